"""Reads of an account's own sign-in methods, for the screens that show or offer them."""

from django.db.models import QuerySet

from orgdesk.accounts.models import Account
from orgdesk.security.models import Authenticator

PASSKEY_TYPES = (Authenticator.Type.PASSKEY, Authenticator.Type.SECURITY_KEY)


def own_methods(account: Account) -> QuerySet[Authenticator]:
    """The account's sign-in methods, oldest first (its security page)."""
    return Authenticator.objects.filter(account=account).order_by("created")


def has_passkey(account: Account) -> bool:
    """Whether a passkey or security key can answer a challenge for the account (the same
    credentials mfa.passkey_authentication_options offers)."""
    return Authenticator.objects.filter(account=account, type__in=PASSKEY_TYPES).exists()


def has_recovery_codes(account: Account) -> bool:
    return Authenticator.objects.filter(
        account=account, type=Authenticator.Type.RECOVERY_CODES
    ).exists()
