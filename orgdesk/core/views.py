from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render

from orgdesk.core.stats import store_summary


def home(request: HttpRequest) -> HttpResponse:
    """Status page until the Organization portal lands: what the identity store holds."""
    return render(request, "core/home.html", {"summary": store_summary()})


def healthz(request: HttpRequest) -> JsonResponse:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok", "database": connection.vendor})
