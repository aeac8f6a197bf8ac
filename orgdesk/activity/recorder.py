"""record(): the one way actions write an Event, inside the caller's transaction."""

from typing import TYPE_CHECKING, Any

from orgdesk.access.actor import Actor, Kind
from orgdesk.activity.events import category_of
from orgdesk.activity.models import Event

if TYPE_CHECKING:
    from orgdesk.accounts.models import Account
    from orgdesk.organizations.models import Organization


def record(
    event_type: str,
    *,
    account: "Account | None" = None,
    organization: "Organization | None" = None,
    actor: Actor,
    result: str = Event.Result.SUCCESS,
    reason: str = "",
    ip: str | None = None,
    metadata: dict[str, Any] | None = None,
) -> Event:
    if organization is None and account is not None:
        organization = getattr(account, "organization", None)
    if ip is None:
        # Where the request came from: the brand's audit log shows it (never the portal).
        ip = actor.ip
    return Event.objects.create(
        type=event_type,
        category=category_of(event_type),
        account=account,
        organization=organization,
        # The account that acted (an admin, or the account itself); clients, the system and
        # anonymous callers leave it empty.
        actor=actor.account if actor.kind in (Kind.ADMIN, Kind.SELF) else None,
        result=result,
        reason=reason,
        ip=ip,
        metadata=metadata or {},
    )


def reason_metadata(reason: str) -> dict[str, str]:
    """The optional reason an admin gives for a sensitive action, as event metadata."""
    reason = (reason or "").strip()[:500]
    return {"reason": reason} if reason else {}
