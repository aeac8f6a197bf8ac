"""Sessions tab: the customer's active sessions (device, location, last activity), and
"Clear sessions", which signs the customer out everywhere without disabling the account or
touching its credentials."""

import logging
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.urls import path
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from orgdesk.core.listing import Ordering
from orgdesk.portal.details import Detail, Tab, act, detail_for
from orgdesk.portal.views import portal_login_required
from orgdesk.security import actions, geo
from orgdesk.security.devices import browser_and_system
from orgdesk.security.middleware import AdminRequest
from orgdesk.security.models import CustomerSession
from orgdesk.security.selectors import live_sessions

log = logging.getLogger(__name__)

ORDERING = Ordering("activity", "last_activity")


@dataclass(frozen=True)
class Device:
    browser: str  # "Chrome 131"
    system: str  # "Windows 10"
    description: str  # what was stored when no user agent was (e.g. "Firefox 133 on Linux")


def device_of(session: CustomerSession) -> Device:
    """Browser and operating system from the stored user agent (ua-parser); the stored device
    description when the user agent was not kept."""
    browser, system = browser_and_system(session.user_agent)
    description = "" if browser or system else session.device
    return Device(browser, system, description)


def location_of(session: CustomerSession) -> tuple[str, str]:
    """(city, country code) of the session's last activity: what was recorded then, with the
    gaps filled from the IP (the bundled country data; a City database when the server has
    one). What is not known is left out: the page says nothing of how the server is set up."""
    city, country = session.city, session.country
    if not session.ip or (city and country):
        return city, country
    if not city and geo.city_database_configured():
        try:
            found_city, found_country = geo.locate(session.ip)
        except Exception:  # a missing or unreadable City database must not break the page
            log.warning("City database unusable; showing countries only", exc_info=True)
        else:
            return city or found_city, country or found_country
    return city, country or geo.country_of(session.ip)


def _named(location: tuple[str, str]) -> tuple[str, str]:
    """(city, country name in the admin's language); the code when the name is unknown."""
    from django_countries import countries

    city, code = location
    return city, (countries.name(code) or code) if code else ""


def context(request: AdminRequest, detail: Detail) -> dict[str, Any]:
    active = live_sessions(request.actor, detail.account)
    built = detail.page(active, ORDERING, tab="sessions")
    rows = [
        {"session": s, "device": device_of(s), "location": _named(location_of(s))}
        for s in built["page"].rows
    ]
    return {
        **built,
        "rows": rows,
        "has_sessions": bool(rows) or bool(built["page"].total),
        "can_clear": detail.can("sessions.clear"),
    }


@portal_login_required
@require_POST
def clear(request: AdminRequest, org: str, pk: Any) -> HttpResponse:
    detail = detail_for(request, org, pk, "accounts.view")
    if not detail.can("sessions.clear"):
        raise PermissionDenied
    reason = request.POST.get("reason", "")[:500]

    def done(cleared: int) -> str:
        if not cleared:
            return gettext("The customer had no active sessions.")
        return ngettext(
            "%(count)d session ended: the customer is signed out everywhere.",
            "%(count)d sessions ended: the customer is signed out everywhere.",
            cleared,
        ) % {"count": cleared}

    return act(
        detail,
        "sessions",
        lambda: actions.clear_sessions(actor=request.actor, account=detail.account, reason=reason),
        done,
    )


TAB = Tab(
    slug="sessions",
    label=_("Sessions"),
    permission="sessions.view",
    template="portal/account/tabs/sessions.html",
    context=context,
)

urlpatterns: list[Any] = [path("sessions/clear", clear, name="account_sessions_clear")]
