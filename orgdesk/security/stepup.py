"""Recent authentication for sensitive actions (DESIGN §4).

The portal middleware builds the request's Actor with the session's last sign-in or step-up
time as `authenticated_at`; actions call require_recent_auth(actor) so the rule holds for every
caller (portal, API, scripts). The system actor is trusted by definition.
"""

import datetime as dt

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.utils import timezone
from django.utils.translation import gettext

from orgdesk.access.actor import Actor


class StepUpRequired(PermissionDenied):
    """The actor must confirm their identity again before this action."""


def step_up_window() -> dt.timedelta:
    return dt.timedelta(minutes=settings.ORGDESK_STEP_UP_MINUTES)


def has_recent_auth(actor: Actor, *, now: dt.datetime | None = None) -> bool:
    if actor.is_system:
        return True
    auth_time = actor.authenticated_at
    if auth_time is None:
        return False
    return (now or timezone.now()) - auth_time <= step_up_window()


def require_recent_auth(actor: Actor) -> None:
    if not has_recent_auth(actor):
        raise StepUpRequired(gettext("Confirm your identity again to continue."))
