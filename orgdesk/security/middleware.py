"""Admin session rules applied to every request of a signed-in actor, and the cache rule of
the signed-in pages."""

import datetime as dt
import time
from collections.abc import Callable

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django_htmx.middleware import HtmxDetails

from orgdesk.access.actor import Actor, Channel
from orgdesk.accounts.models import Account
from orgdesk.security.signin import SESSION_SIGNED_IN_AT, auth_time, client_ip

SESSION_RENEWED_AT = "orgdesk_renewed_at"
RENEW_EVERY_SECONDS = 60

# The admin screens: the session rules below (absolute lifetime, second factor required by
# policy) hold on all of them alike.
ADMIN_PATHS = ("/portal/", "/console/")

# Pages an admin who must enrol a second factor may still open.
MFA_SETUP_ALLOWED = (
    "portal:security",
    "portal:totp",
    "portal:passkey_options",
    "portal:passkey_register",
    "portal:recovery_codes",
    "portal:logout",
)


class AdminRequest(HttpRequest):
    """A request of a signed-in admin, as the portal's views see it (for the type checker:
    the middleware below sets `actor`, django_htmx's HtmxMiddleware sets `htmx`)."""

    user: Account
    actor: Actor
    htmx: HtmxDetails


def channel_of(request: HttpRequest) -> Channel:
    return Channel.CONSOLE if request.path.startswith("/console/") else Channel.PORTAL


class AdminSessionMiddleware:
    """Absolute session lifetime, the request's Actor (with the time it last authenticated,
    for step-up), mandatory MFA."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            signed_in_at = request.session.get(SESSION_SIGNED_IN_AT)
            max_age = dt.timedelta(hours=settings.ORGDESK_SESSION_MAX_HOURS)
            started = dt.datetime.fromtimestamp(signed_in_at, dt.UTC) if signed_in_at else None
            if started is None or timezone.now() - started > max_age:
                logout(request)
                if request.path.startswith(ADMIN_PATHS):
                    messages.info(request, _("Your session has ended. Sign in again."))
                    return redirect(f"{reverse('portal:login')}?next={request.path}")
                return self.get_response(request)
            request.actor = Actor.admin(  # type: ignore[attr-defined]
                user,
                channel=channel_of(request),
                authenticated_at=auth_time(request),
                ip=client_ip(request) or None,
            )
            self._renew_idle_deadline(request)
            if request.path.startswith(ADMIN_PATHS) and self._must_enrol(request, user):
                return redirect("portal:security")
        return self.get_response(request)

    @staticmethod
    def _renew_idle_deadline(request: HttpRequest) -> None:
        """Push the idle deadline (the session's expiry) back, at most once a minute: the
        deadline is then exact to within a minute, without a database write per request."""
        now = time.time()
        every = min(RENEW_EVERY_SECONDS, settings.SESSION_COOKIE_AGE / 10)
        if now - request.session.get(SESSION_RENEWED_AT, 0) >= every:
            request.session[SESSION_RENEWED_AT] = now

    @staticmethod
    def _must_enrol(request: HttpRequest, user: Account) -> bool:
        from orgdesk.security.mfa import has_second_factor
        from orgdesk.security.models import SecurityPolicy

        match = getattr(request, "resolver_match", None)
        if match is None:
            from django.urls import Resolver404, resolve

            try:
                match = resolve(request.path_info)
            except Resolver404:
                return False
        if match.view_name in MFA_SETUP_ALLOWED:
            return False
        return SecurityPolicy.current().require_admin_mfa and not has_second_factor(user)


# Pages of people signed in (admins in the portal, customers on their account page) or on their
# way to be (invitation and password links): personal data, never to be kept by a browser or a
# proxy, nor shown again from the history once the session has ended.
NO_STORE_PREFIXES = ("/portal/", "/console/", "/account/", "/invite/")
# Responses under those prefixes that are assets, the same for everyone: the invitation page's
# branding stylesheet (colours from its query string; it says "public, max-age=86400").
CACHEABLE_VIEWS = frozenset({"invite:theme"})


class NoStoreMiddleware:
    """`Cache-Control: no-store` on every response of the portal and of the customer pages,
    whatever the view set (redirects, errors, downloads and profile pictures included).

    Static files never get here: WhiteNoise, earlier in MIDDLEWARE, answers them itself."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if not request.path_info.startswith(NO_STORE_PREFIXES):
            return response
        match = getattr(request, "resolver_match", None)
        if match is not None and match.view_name in CACHEABLE_VIEWS:
            return response
        # Replaced, not patched: "private, max-age=86400" plus no-store would still be read as
        # a lifetime by some caches. never_cache's own value already says no-store: kept.
        if "no-store" not in response.get("Cache-Control", ""):
            response["Cache-Control"] = "no-store"
        return response
