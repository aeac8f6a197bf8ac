"""Signing a test client in as an admin without going through the login form."""

from django.test import Client
from django.utils import timezone

from orgdesk.accounts.models import Account
from orgdesk.security.signin import SESSION_AUTH_TIME, SESSION_SIGNED_IN_AT


def portal_login(client: Client, account: Account, *, auth_age_seconds: float = 0) -> None:
    client.force_login(account, backend="orgdesk.accounts.backends.IdentifierBackend")
    session = client.session
    now = timezone.now().timestamp()
    session[SESSION_SIGNED_IN_AT] = now - auth_age_seconds
    session[SESSION_AUTH_TIME] = now - auth_age_seconds
    session.save()
