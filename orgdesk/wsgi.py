import os

from django.core.wsgi import get_wsgi_application

from orgdesk.core.runtime import settle_after_startup

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "orgdesk.settings")
application = get_wsgi_application()
settle_after_startup()
