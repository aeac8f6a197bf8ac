"""Site-level pages: the status page at / and the health check."""

from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.cache import add_never_cache_headers

from orgdesk.accounts.stats import store_summary


def home(request: HttpRequest) -> HttpResponse:
    """Status page: the store is running, and where to sign in.

    What the identity store holds (how many trees, organizations and accounts) is the brand's
    business, not a visitor's: the counts are shown to a signed-in brand admin only, and that
    page is not kept by any cache."""
    user = request.user
    brand = bool(user.is_authenticated and user.is_active and user.is_staff)
    response = render(request, "core/home.html", {"summary": store_summary() if brand else None})
    if brand:
        add_never_cache_headers(response)
    return response


def healthz(request: HttpRequest) -> JsonResponse:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok", "database": connection.vendor})
