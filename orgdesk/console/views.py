"""The console's overview page and its ⌘K organization search."""

from django.db.models.functions import Lower
from django.http import HttpResponse, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.cache import add_never_cache_headers

from orgdesk.access.scoping import restrict
from orgdesk.accounts.stats import store_summary
from orgdesk.console.access import console_view
from orgdesk.console.shell import console_context
from orgdesk.organizations.models import Application, Organization
from orgdesk.security.middleware import AdminRequest

SEARCH_LIMIT = 20


@console_view
def home(request: AdminRequest) -> HttpResponse:
    roots = (
        Organization.objects.filter(parent__isnull=True)
        .select_related("application")
        .order_by(Lower("name"))[:SEARCH_LIMIT]
    )
    response = render(
        request,
        "console/home.html",
        {
            **console_context(request, "home"),
            "summary": store_summary(),
            "roots": roots,
            "applications": Application.objects.order_by("name"),
        },
    )
    add_never_cache_headers(response)
    return response


@console_view
def search_organizations(request: AdminRequest) -> JsonResponse:
    """The palette's answers: organizations whose name or route holds the text, each
    opening its console page (the portal's palette opens the Accounts tab instead)."""
    text = (request.GET.get("q") or "").strip().lower()[:100]
    if "\x00" in text:  # cannot be stored or matched; PostgreSQL rejects it outright
        return JsonResponse({"results": []})
    qs = restrict(request.actor, "accounts.view", Organization)
    if text:
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
                    "url": reverse("console:organization", args=[r["key"]]),
                }
                for r in rows
            ]
        }
    )
