#!/usr/bin/env python
"""Django's command-line utility for Orgdesk (`orgdesk manage …` runs the same commands).

A bad ORGDESK_* value stops it with one line, `orgdesk: <VARIABLE>='value': expected ...`, and
exit status 2 (orgdesk/settings.py)."""

import os
import sys


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "orgdesk.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
