"""Per-admin preferences (theme, pinned organizations) and the organization search (⌘K)."""

from django.db.models.functions import Lower
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_POST

from orgdesk.access.scoping import restrict
from orgdesk.organizations.models import Organization
from orgdesk.portal.models import AdminPreference
from orgdesk.portal.shell import MAX_FAVORITES, current_organization, preferences
from orgdesk.portal.views import portal_login_required
from orgdesk.security.middleware import AdminRequest

SEARCH_LIMIT = 20


def _back(request: HttpRequest) -> str:
    target = request.POST.get("next") or request.META.get("HTTP_REFERER") or ""
    if url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return target
    return reverse("portal:home")


@portal_login_required
@require_POST
def set_theme(request: AdminRequest) -> HttpResponse:
    theme = request.POST.get("theme", "")
    if theme in AdminPreference.Theme.values:
        pref = preferences(request.user)
        pref.theme = theme
        pref.save(update_fields=["theme", "updated"])
    if request.headers.get("HX-Request"):
        return HttpResponse(status=204)
    return redirect(_back(request))


@portal_login_required
@require_POST
def toggle_pin(request: AdminRequest, org: str) -> HttpResponse:
    organization = current_organization(request, org)
    pref = preferences(request.user)
    key = str(organization.id)
    favorites = [str(f) for f in pref.favorites]
    if key in favorites:
        favorites.remove(key)
    else:
        favorites = [*favorites, key][-MAX_FAVORITES:]
    pref.favorites = favorites
    pref.save(update_fields=["favorites", "updated"])
    return redirect(_back(request))


@portal_login_required
@require_GET
def search_organizations(request: AdminRequest) -> JsonResponse:
    """Organizations the admin can reach whose name or route contains the text."""
    # The palette opens an organization's Accounts tab: offer those the admin may list.
    return organization_matches(request, "portal:accounts")


def organization_matches(request: AdminRequest, url_name: str) -> JsonResponse:
    """The ⌘K palette's answers (the portal's and the console's): organizations the admin may
    list accounts of whose name or route holds the text, each opening `url_name`."""
    text = (request.GET.get("q") or "").strip().lower()[:100]
    if "\x00" in text:  # cannot be stored or matched; PostgreSQL rejects it outright
        return JsonResponse({"results": []})
    qs = restrict(request.actor, "accounts.view", Organization)
    if text:
        # "acme/emea" and "acme / emea" both find "Acme / EMEA"
        normalized = " / ".join(part.strip() for part in text.split("/") if part.strip())
        qs = qs.alias(route_lower=Lower("route")).filter(route_lower__contains=normalized)
    rows = qs.order_by("depth", "route").values("key", "name", "route")[:SEARCH_LIMIT]
    return JsonResponse(
        {
            "results": [
                {
                    "key": r["key"],
                    "name": r["name"],
                    "route": r["route"],
                    "url": reverse(url_name, args=[r["key"]]),
                }
                for r in rows
            ]
        }
    )
