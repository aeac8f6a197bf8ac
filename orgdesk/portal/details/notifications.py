"""Notifications tab: what was sent to the customer (date, template, target and channel, and
when a link or code in it expires), newest first."""

from typing import Any

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from orgdesk.access.scoping import restrict
from orgdesk.core.listing import Ordering
from orgdesk.notifications.models import Notification
from orgdesk.portal.details import Detail, Tab
from orgdesk.security.middleware import AdminRequest

ORDERING = Ordering("sent", "sent_at")
# What the table shows; the delivery error text (SMTP replies and the like) stays internal.
COLUMNS = ("id", "sent_at", "channel", "target", "expires_at", "status", "template__name")


def context(request: AdminRequest, detail: Detail) -> dict[str, Any]:
    notifications = (
        restrict(
            request.actor, "notifications.view", Notification.objects.select_related("template")
        )
        .filter(account=detail.account)
        .only(*COLUMNS)
    )
    return {**detail.page(notifications, ORDERING, tab="notifications"), "now": timezone.now()}


TAB = Tab(
    slug="notifications",
    label=_("Notifications"),
    permission="notifications.view",
    template="portal/account/tabs/notifications.html",
    context=context,
)

urlpatterns: list[Any] = []
