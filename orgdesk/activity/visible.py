"""What of the activity log an organization admin may see (spec: Activity tab).

Only high-level facts about the customer's account: when, what (the event type and its
category) and the result. The actor, the IP address, the reason code and the metadata are
internal and never leave this module: callers get dictionaries of the public fields only, so
a template cannot reach the rest by accident.
"""

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet

from orgdesk.access.actor import Actor
from orgdesk.access.scoping import require
from orgdesk.accounts.models import Account
from orgdesk.activity.models import Event

# The only columns ever read for an organization admin.
PUBLIC_FIELDS = ("id", "ts", "category", "type", "result")


@dataclass(frozen=True)
class PublicEvent:
    """One event as an organization admin sees it: nothing else is there to reach."""

    id: int
    ts: dt.datetime
    category: str
    type: str
    result: str

    @property
    def label(self) -> str:
        from orgdesk.activity.events import label_of

        return label_of(self.type)

    @property
    def category_label(self) -> str:
        try:
            return str(Event.Category(self.category).label)
        except ValueError:
            return self.category

    @property
    def succeeded(self) -> bool:
        return self.result == Event.Result.SUCCESS


def public(rows: Iterable[Event]) -> list[PublicEvent]:
    """The public projection of rows of account_events() (for a page of the Activity tab)."""
    return [PublicEvent(*(getattr(row, name) for name in PUBLIC_FIELDS)) for row in rows]


def account_events(actor: Actor, account: Account) -> QuerySet[Event]:
    """The account's events the actor may see, newest first, as rows of PUBLIC_FIELDS.

    Events are scoped through the account, which the caller obtained through access_account():
    an event recorded before the account moved to another organization still belongs to it,
    and the permission is checked on the account's organization of today."""
    assert account.organization is not None, "a customer account belongs to an organization"
    require(actor, "activity.view", account.organization)
    return Event.objects.filter(account=account).order_by("-ts", "-id").only(*PUBLIC_FIELDS)


def recent(actor: Actor, account: Account, limit: int = 5) -> list[dict[str, Any]]:
    """The latest few events, for the Overview tab's Recent activity snapshot."""
    from orgdesk.activity.events import label_of

    rows = account_events(actor, account).values(*PUBLIC_FIELDS)[:limit]
    return [{**row, "label": label_of(row["type"])} for row in rows]
