"""The WSGI application (`gunicorn orgdesk.wsgi:application`; `orgdesk serve` runs that).

A bad ORGDESK_* value stops the process with one line, `orgdesk: <VARIABLE>='value': expected
...`, and exit status 2 (orgdesk/settings.py). Inside a gunicorn worker it exits 4 instead:
gunicorn starts a worker that exits 2 again, forever, but stops altogether ("App failed to
load") on 4.
"""

import os
import sys

from django.core.wsgi import get_wsgi_application

from orgdesk.config import ConfigExit
from orgdesk.core.runtime import settle_after_startup

GUNICORN_APP_LOAD_ERROR = 4

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "orgdesk.settings")
try:
    application = get_wsgi_application()
except ConfigExit:
    if "gunicorn.arbiter" in sys.modules:
        raise SystemExit(GUNICORN_APP_LOAD_ERROR) from None
    raise
settle_after_startup()
