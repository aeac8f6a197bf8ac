"""Reads of notifications and their templates that screens need."""

from django.db.models import QuerySet

from orgdesk.access.actor import Actor
from orgdesk.access.scoping import restrict
from orgdesk.accounts.models import Account
from orgdesk.notifications.models import Notification, NotificationTemplate

# What an admin is shown of a notification; the delivery error text (SMTP replies and the like)
# stays internal, so it is not even read.
# The template's code tells a built-in name, shown translated (NotificationTemplate.display_name).
SHOWN_COLUMNS = (
    "id",
    "sent_at",
    "channel",
    "target",
    "expires_at",
    "status",
    "template__code",
    "template__name",
)


def notifications_shown(actor: Actor, account: Account) -> QuerySet[Notification]:
    """What was sent to the account, as far as the actor may see, with its template's name
    and only the columns an admin is shown."""
    return (
        restrict(actor, "notifications.view", Notification.objects.select_related("template"))
        .filter(account=account)
        .only(*SHOWN_COLUMNS)
    )


def link_lifetime_minutes(code: str) -> int | None:
    """How long the links sent with template `code` stay valid, in minutes (None: unknown
    template or no expiry)."""
    return (
        NotificationTemplate.objects.filter(code=code)
        .values_list("expires_after", flat=True)
        .first()
    )
