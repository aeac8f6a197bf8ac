"""Sessions tab: not built yet (issue 5). It says so plainly."""

from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from orgdesk.portal.details import Detail, Tab


def context(request: HttpRequest, detail: Detail) -> dict[str, Any]:
    return {}


TAB = Tab(
    slug="sessions",
    label=_("Sessions"),
    permission="sessions.view",
    template="portal/account/tabs/unavailable.html",
    context=context,
)

urlpatterns: list[Any] = []
