"""Notifications tab: what was sent to the customer (date, template, target and channel, and
when a link or code in it expires), newest first."""

from typing import Any

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from orgdesk.core.listing import Ordering
from orgdesk.notifications.selectors import notifications_shown
from orgdesk.portal.details import Detail, Tab
from orgdesk.security.middleware import AdminRequest

ORDERING = Ordering("sent", "sent_at")


def context(request: AdminRequest, detail: Detail) -> dict[str, Any]:
    # Only what the table shows is read (notifications.selectors.SHOWN_COLUMNS).
    notifications = notifications_shown(request.actor, detail.account)
    return {**detail.page(notifications, ORDERING, tab="notifications"), "now": timezone.now()}


TAB = Tab(
    slug="notifications",
    label=_("Notifications"),
    permission="notifications.view",
    template="portal/account/tabs/notifications.html",
    context=context,
)

urlpatterns: list[Any] = []
