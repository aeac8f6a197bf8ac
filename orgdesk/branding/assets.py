"""A branding policy's custom CSS and additional script, each served as a file of its own
(the CSP allows no inline style or script; the script tag carries its integrity hash). Only
brand admins write them (branding/actions.py); organization overrides never have any."""

from django.http import Http404, HttpRequest, HttpResponse
from django.views.decorators.http import require_http_methods

from orgdesk.branding.models import SURFACES, BrandingPolicy


def _text(pk: str, surface: str, kind: str) -> str:
    if surface not in SURFACES:
        raise Http404("No such surface.")
    policy = BrandingPolicy.objects.filter(pk=pk).first()
    text = policy.custom_text(surface, kind) if policy is not None else ""
    if not text:
        raise Http404("No such file.")
    return text


def _asset(text: str, content_type: str) -> HttpResponse:
    response = HttpResponse(text, content_type=content_type)
    # The address carries the policy's version (?v=): a change is a new address.
    response["Cache-Control"] = "public, max-age=3600"
    response["X-Content-Type-Options"] = "nosniff"
    return response


@require_http_methods(["GET", "HEAD"])
def custom_css(request: HttpRequest, pk: str, surface: str) -> HttpResponse:
    return _asset(_text(pk, surface, "css"), "text/css; charset=utf-8")


@require_http_methods(["GET", "HEAD"])
def custom_js(request: HttpRequest, pk: str, surface: str) -> HttpResponse:
    return _asset(_text(pk, surface, "script"), "text/javascript; charset=utf-8")
