"""Recent authentication for sensitive actions (DESIGN §4).

The portal middleware copies the session's last sign-in or step-up time onto the actor as
`auth_time`; actions call require_recent_auth(actor) so the rule holds for every caller (portal,
API, scripts). The system actor (None) is scripts and background jobs, trusted by definition.
"""

import datetime as dt
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.utils import timezone
from django.utils.translation import gettext


class StepUpRequired(PermissionDenied):
    """The actor must confirm their identity again before this action."""


def step_up_window() -> dt.timedelta:
    return dt.timedelta(minutes=settings.ORGDESK_STEP_UP_MINUTES)


def has_recent_auth(actor: Any, *, now: dt.datetime | None = None) -> bool:
    if actor is None:
        return True
    auth_time = getattr(actor, "auth_time", None)
    if auth_time is None:
        return False
    return (now or timezone.now()) - auth_time <= step_up_window()


def require_recent_auth(actor: Any) -> None:
    if not has_recent_auth(actor):
        raise StepUpRequired(gettext("Confirm your identity again to continue."))
