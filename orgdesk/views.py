"""Site-level pages: the landing page at / and the health check."""

from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.cache import add_never_cache_headers

from orgdesk.accounts.stats import store_summary


def home(request: HttpRequest) -> HttpResponse:
    """The landing page: what this server runs and the way into each part.

    Everyone is shown the Organization portal and the customer's own account page. The Admin
    Console is offered to a signed-in brand admin only: it answers 404 to anyone else, so a
    link to it would be a dead end for them (and tell them it exists). What the identity
    store holds (how many trees, organizations and accounts) is the brand's business, not a
    visitor's: the counts are shown to a signed-in brand admin only. A signed-in admin's page
    names them, so it is kept by no cache."""
    user = request.user
    signed_in = bool(user.is_authenticated and user.is_active)
    brand = signed_in and user.is_staff
    context = {
        "signed_in": signed_in,
        "brand": brand,
        "summary": store_summary() if brand else None,
    }
    response = render(request, "core/home.html", context)
    if user.is_authenticated:
        add_never_cache_headers(response)
    return response


def healthz(request: HttpRequest) -> JsonResponse:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok", "database": connection.vendor})
