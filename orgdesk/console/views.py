"""The console's overview page and its ⌘K organization search."""

from django.http import HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.cache import add_never_cache_headers

from orgdesk.accounts.stats import store_summary
from orgdesk.console.access import console_view
from orgdesk.console.shell import console_context
from orgdesk.organizations.selectors import tree_roots
from orgdesk.portal.prefs import organization_matches
from orgdesk.security.middleware import AdminRequest

SEARCH_LIMIT = 20


@console_view
def home(request: AdminRequest) -> HttpResponse:
    roots = tree_roots(SEARCH_LIMIT)
    response = render(
        request,
        "console/home.html",
        {
            **console_context(request, "home"),
            "summary": store_summary(),
            "roots": roots,
        },
    )
    add_never_cache_headers(response)
    return response


@console_view
def search_organizations(request: AdminRequest) -> JsonResponse:
    """The palette's answers, each opening the organization's console page (the portal's
    palette opens its Accounts tab)."""
    return organization_matches(request, "console:organization")
