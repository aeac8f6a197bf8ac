"""Reads of sign-in methods and sessions: an account's own (its security page, sign-in), and
what an admin may see of a customer's (the account details tabs)."""

from datetime import datetime
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone

from orgdesk.access.actor import Actor
from orgdesk.access.scoping import restrict
from orgdesk.accounts.models import Account
from orgdesk.security.models import Authenticator, CustomerSession, EnrolmentLink

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


# ---- what an admin sees of a customer's sign-in methods and sessions --------------------------


def authenticators_shown(actor: Actor, account: Account) -> QuerySet[Authenticator]:
    """The account's sign-in methods the actor may see (the Authenticators tab)."""
    return restrict(actor, "authenticators.view", Authenticator).filter(account=account)


def authenticator_to_manage(actor: Actor, account: Account, pk: Any) -> Authenticator | None:
    """One of the account's sign-in methods the actor may manage, with its account and
    organization (for the action), else None."""
    return (
        restrict(
            actor,
            "authenticators.manage",
            Authenticator.objects.select_related("account__organization"),
        )
        .filter(account=account, pk=pk)
        .first()
    )


def latest_enrolment_link(actor: Actor, account: Account) -> EnrolmentLink | None:
    """The account's newest enrolment link the actor may see, used or not."""
    return (
        restrict(actor, "authenticators.view", EnrolmentLink)
        .filter(account=account)
        .order_by("-created", "-id")
        .first()
    )


def live_sessions(actor: Actor, account: Account) -> QuerySet[CustomerSession]:
    """The account's customer sessions that are neither revoked nor expired, as far as the
    actor may see them."""
    return restrict(actor, "sessions.view", CustomerSession).filter(
        account=account, revoked_at__isnull=True, expires__gt=timezone.now()
    )


def live_session(key_hash: str, now: datetime) -> CustomerSession | None:
    """The customer session whose cookie hashes to `key_hash`, if neither revoked nor expired
    at `now`, with its account and organization (the account may be disabled: callers
    check)."""
    return (
        CustomerSession.objects.select_related("account__organization")
        .filter(key_hash=key_hash, revoked_at__isnull=True, expires__gt=now)
        .first()
    )
