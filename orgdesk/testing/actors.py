"""Actors for tests: an account as an admin, just authenticated or not, and the system."""

from django.utils import timezone

from orgdesk.access.actor import Actor, Channel
from orgdesk.accounts.models import Account

SYSTEM = Actor.system(label="tests")


def as_admin(account: Account | Actor) -> Actor:
    """`account` acting as an admin in the portal, with no recent sign-in (step-up needed).
    An Actor is taken as it is, so a test can hand either to a helper."""
    if isinstance(account, Actor):
        return account
    if not isinstance(account, Account):
        raise TypeError(f"as_admin needs an Account or an Actor, not {account!r}")
    return Actor.admin(account)


def fresh(account: Account) -> Actor:
    """`account` acting as an admin who has just signed in (no step-up needed)."""
    return Actor.admin(account, authenticated_at=timezone.now())


def himself(account: Account) -> Actor:
    """`account` acting on its own sign-in methods, on the portal's security page."""
    return Actor.self_service(account, channel=Channel.PORTAL)
