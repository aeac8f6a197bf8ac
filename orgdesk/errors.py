"""The error pages: 400, 403, 404, 429, 500 and a refused CSRF check.

Wired in orgdesk/urls.py (handler400/403/404/500) and settings.CSRF_FAILURE_VIEW; a throttled
view answers `too_many_requests(request, retry_after)`. Each page is translated and offers a
way back:

- a signed-in admin (request.actor, set by security.middleware) sees the page inside the
  portal shell (portal/error.html: the sidebar of the organization in the address, else of
  their first favorite or organization), with links to the portal home and back;
- anyone else, and every page under the customer addresses (/account/, /invite/), sees a plain
  page (ui/error.html) with a link to sign in or home;
- an htmx request gets a small fragment (ui/_error.html): htmx swaps no error, and portal.js
  shows its message in a toast (htmx:responseError).

The 500 page reads no database, session or context processor (whatever failed may fail again):
ui/error.html rendered without the request. Building the shell may query the database; if it
fails, the plain page is shown instead: an error page never raises.
"""

import logging
from typing import TYPE_CHECKING, Any, cast

from django.http import HttpRequest, HttpResponse
from django.template import loader
from django.urls import NoReverseMatch, Resolver404, resolve, reverse
from django.utils.functional import Promise
from django.utils.html import escape
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext_lazy as _

if TYPE_CHECKING:
    from orgdesk.organizations.models import Organization
    from orgdesk.security.middleware import AdminRequest

logger = logging.getLogger(__name__)

# What each page says: (title, explanation).
PAGES: dict[int, tuple[Promise, Promise]] = {
    400: (
        _("Bad request"),
        _("The request could not be understood. Check the address and try again."),
    ),
    403: (
        _("Access denied"),
        _("You do not have permission to do this here. Ask an administrator if you need it."),
    ),
    404: (
        _("Page not found"),
        _("This page does not exist, or it belongs to an organization you do not administer."),
    ),
    429: (
        _("Too many requests"),
        _("Too many attempts in a short time. Wait a little, then try again."),
    ),
    500: (
        _("Something went wrong"),
        _(
            "The server could not complete this request. Try again in a moment; if it keeps "
            "happening, tell your administrator."
        ),
    ),
}
CSRF_PAGE = (
    _("This form has expired"),
    _(
        "The form was not accepted because it was open for too long, or sent from another "
        "page. Reload the page and try again."
    ),
)

# Customer-facing addresses: never the admins' shell there, whoever is signed in.
CUSTOMER_PREFIXES = ("/account/", "/invite/")

# The last resort, should even the plain template fail (no template, no translation).
BARE = (
    '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{title}</title></head>'
    '<body><h1>{title}</h1><p><a href="/">Orgdesk</a></p></body></html>'
)


# ---- the handlers ----------------------------------------------------------------------------


def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return error_page(request, 400)


def permission_denied(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return error_page(request, 403)


def page_not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return error_page(request, 404)


def server_error(request: HttpRequest) -> HttpResponse:
    return error_page(request, 500)


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """settings.CSRF_FAILURE_VIEW: a form sent without a valid CSRF token (403)."""
    return error_page(request, 403, texts=CSRF_PAGE, code="csrf")


def too_many_requests(request: HttpRequest, retry_after: int) -> HttpResponse:
    """A throttled request (429), with Retry-After in seconds."""
    seconds = max(1, int(retry_after))
    response = error_page(request, 429, retry_minutes=max(1, -(-seconds // 60)))
    response["Retry-After"] = str(seconds)
    return response


# ---- rendering -------------------------------------------------------------------------------


def error_page(
    request: HttpRequest,
    status: int,
    *,
    texts: tuple[Promise, Promise] | None = None,
    code: str = "",
    retry_minutes: int = 0,
) -> HttpResponse:
    title, message = texts or PAGES.get(status, PAGES[500])
    context: dict[str, Any] = {
        "status": status,
        "code": code or str(status),
        "title": title,
        "message": message,
        "retry_minutes": retry_minutes,
    }
    try:
        return _render(request, status, context)
    except Exception:
        logger.exception("The %s error page could not be rendered", status)
        return HttpResponse(BARE.format(title=escape(str(title))), status=status)


def _render(request: HttpRequest, status: int, context: dict[str, Any]) -> HttpResponse:
    if request.headers.get("HX-Request") == "true":
        # htmx swaps no error response: portal.js shows this message in a toast.
        html = loader.render_to_string("ui/_error.html", context)
        return HttpResponse(html, status=status)
    back = _back_url(request)
    if status == 500:
        return _plain(None, status, {**context, **_plain_links(request, signed_in=None), **back})
    if _is_portal_admin(request):
        try:
            shell = _shell(request)
        except Exception:
            logger.exception("The portal shell of an error page could not be built")
            shell = None
        if shell is not None:
            home = {"home_url": reverse("portal:home"), "home_label": _("Go to the portal home")}
            html = loader.render_to_string(
                "portal/error.html", {**shell, **context, **home, **back}, request
            )
            return HttpResponse(html, status=status)
    try:
        signed_in = _is_signed_in(request)
        return _plain(request, status, {**context, **_plain_links(request, signed_in), **back})
    except Exception:
        logger.exception("The %s error page could not be rendered with its request", status)
        return _plain(None, status, {**context, **_plain_links(request, signed_in=None), **back})


def _plain(request: HttpRequest | None, status: int, context: dict[str, Any]) -> HttpResponse:
    """ui/error.html; without a request, no context processor runs (the 500 page)."""
    return HttpResponse(loader.render_to_string("ui/error.html", context, request), status=status)


def _is_signed_in(request: HttpRequest) -> bool:
    user = getattr(request, "user", None)
    return bool(user is not None and user.is_authenticated)


def _is_portal_admin(request: HttpRequest) -> bool:
    """A signed-in admin (the middleware gave the request an Actor), not on a customer page."""
    if request.path_info.startswith(CUSTOMER_PREFIXES):
        return False
    return getattr(request, "actor", None) is not None and _is_signed_in(request)


def _plain_links(request: HttpRequest, signed_in: bool | None) -> dict[str, Any]:
    """Where the plain page leads: the portal (its home, or its sign-in page), or the site's
    home from a customer page. `signed_in` None: unknown (the 500 page does not ask)."""
    if request.path_info.startswith(CUSTOMER_PREFIXES):
        return {"home_url": "/", "home_label": _("Go to the home page")}
    if signed_in is False:
        return {
            "home_url": reverse("portal:login"),
            "home_label": _("Sign in to the Organization portal"),
        }
    return {"home_url": reverse("portal:home"), "home_label": _("Go to the portal home")}


def _back_url(request: HttpRequest) -> dict[str, Any]:
    """The page the visitor came from (Referer), when it is this site's and not this page."""
    referer = request.META.get("HTTP_REFERER", "")
    try:
        host = request.get_host()
        here = request.build_absolute_uri()
    except Exception:  # DisallowedHost: the 400 page of a bad Host header
        return {"back_url": ""}
    safe = url_has_allowed_host_and_scheme(
        referer, allowed_hosts={host}, require_https=request.is_secure()
    )
    return {"back_url": referer if safe and referer != here else ""}


def _shell(request: HttpRequest) -> dict[str, Any] | None:
    """The portal shell's context around an error page, or None when the admin reaches no
    organization (then the plain page is shown)."""
    from orgdesk.portal.shell import shell_context

    admin = cast("AdminRequest", request)
    organization = _shell_organization(admin)
    if organization is None:
        return None
    return shell_context(admin, organization, tab="")


def _shell_organization(request: "AdminRequest") -> "Organization | None":
    """The organization in the address when the admin reaches it, else where the portal
    opens (their first favorite, else their first organization)."""
    from django.http import Http404

    from orgdesk.portal.shell import current_organization, landing_organization

    key = _org_key(request)
    if key:
        try:
            return current_organization(request, key)
        except Http404:
            pass
    return landing_organization(request)


def _org_key(request: HttpRequest) -> str:
    match = getattr(request, "resolver_match", None)
    if match is None:
        try:
            match = resolve(request.path_info)
        except (Resolver404, NoReverseMatch):
            match = None
    key = match.kwargs.get("org") if match is not None else None
    if isinstance(key, str):
        return key
    # An address no view matched, under an organization: /portal/<key>/...
    parts = request.path_info.split("/")
    if len(parts) > 3 and parts[1] == "portal" and 0 < len(parts[2]) <= 100:
        return parts[2]
    return ""
