"""Consents tab: each consent the customer granted, with its version, and when it was revoked."""

from typing import Any

from django.utils.translation import gettext_lazy as _

from orgdesk.consents.selectors import consents_shown
from orgdesk.core.listing import Ordering
from orgdesk.portal.details import Detail, Tab
from orgdesk.security.middleware import AdminRequest

ORDERING = Ordering("granted", "granted_at")


def context(request: AdminRequest, detail: Detail) -> dict[str, Any]:
    return detail.page(consents_shown(request.actor, detail.account), ORDERING, tab="consents")


TAB = Tab(
    slug="consents",
    label=_("Consents"),
    permission="consents.view",
    template="portal/account/tabs/consents.html",
    context=context,
)

urlpatterns: list[Any] = []
