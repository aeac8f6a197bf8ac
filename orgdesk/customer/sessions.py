"""Customer sign-in sessions on this site: a CustomerSession row per signed-in browser.

The browser holds a random token in its own cookie (`orgdesk_customer`, HttpOnly, SameSite=Lax,
Secure in production), separate from the admin portal's Django session; the row stores only a
SHA-256 hash of it. A session is live while it is neither revoked (sign out here, or an admin's
"Clear sessions" in the portal) nor expired, and its account is enabled. `/account/` shows who
is signed in; without a live session it shows a plain "not signed in" page that reveals nothing.
"""

import datetime as dt

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from orgdesk.access.actor import Actor
from orgdesk.accounts.models import Account
from orgdesk.core.tokens import hash_token, well_formed
from orgdesk.organizations.models import Application
from orgdesk.security import actions as security_actions
from orgdesk.security.models import CustomerSession
from orgdesk.security.selectors import live_session
from orgdesk.security.signin import client_ip

COOKIE = "orgdesk_customer"
LIFETIME = security_actions.CUSTOMER_SESSION_LIFETIME
ACTIVITY_GRANULARITY = dt.timedelta(minutes=1)
MAX_TOKEN_LENGTH = 64
USER_AGENT_LENGTH = 1000


def sign_in(
    request: HttpRequest,
    response: HttpResponse,
    account: Account,
    application: Application | None = None,
    *,
    method: str = "password",
) -> CustomerSession:
    """Start a session for `account` (its login event recorded) and set its cookie."""
    actor = Actor.customer(account, authenticated_at=timezone.now(), ip=client_ip(request) or None)
    session, token = security_actions.start_customer_session(
        actor=actor,
        application=application,
        user_agent=request.META.get("HTTP_USER_AGENT", ""),
        method=method,
    )
    response.set_cookie(
        COOKIE,
        token,
        max_age=int(LIFETIME.total_seconds()),
        httponly=True,
        samesite="Lax",
        secure=settings.SESSION_COOKIE_SECURE,
    )
    return session


def current_customer_session(request: HttpRequest) -> CustomerSession | None:
    """The live session the request's cookie belongs to (not revoked, not expired, account
    enabled), else None. Notes activity at most once a minute."""
    token = request.COOKIES.get(COOKIE, "")
    if not well_formed(token, MAX_TOKEN_LENGTH):
        return None
    now = timezone.now()
    session = live_session(hash_token(token), now)
    if session is None or not session.account.is_active:
        return None
    if now - session.last_activity >= ACTIVITY_GRANULARITY:
        security_actions.note_session_activity(session=session, now=now)
    return session


@never_cache
@require_http_methods(["GET", "HEAD"])
def account_view(request: HttpRequest) -> HttpResponse:
    session = current_customer_session(request)
    if session is None:
        response = render(request, "customer/account_signed_out.html")
        if COOKIE in request.COOKIES:
            response.delete_cookie(COOKIE, samesite="Lax")
        return response
    account = session.account
    return render(
        request,
        "customer/account.html",
        {
            "name": account.get_full_name() or account.email,
            "email": account.email,
            "organization": account.organization,
        },
    )


@never_cache
@require_POST
def sign_out_view(request: HttpRequest) -> HttpResponse:
    session = current_customer_session(request)
    if session is not None:
        security_actions.end_customer_session(
            actor=Actor.customer(session.account, ip=client_ip(request) or None),
            session=session,
        )
    response = redirect("customer:account")
    response.delete_cookie(COOKIE, samesite="Lax")
    return response
