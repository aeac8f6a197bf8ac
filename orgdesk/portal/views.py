"""Organization portal: sign-in, second factors, step-up, and the organizations an admin
can act in. The account screens arrive with the Accounts tab."""

import json
import time
from collections.abc import Callable
from functools import wraps
from typing import Any, Concatenate, ParamSpec, TypeVar, overload

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from orgdesk.access.scoping import authority, visible_or_404
from orgdesk.accounts.models import Account
from orgdesk.branding.resolve import portal_sign_in
from orgdesk.errors import too_many_requests
from orgdesk.organizations.selectors import organization_by_key
from orgdesk.portal.forms import CodeForm, LoginForm, StepUpForm
from orgdesk.security import actions as security_actions
from orgdesk.security import mfa, selectors
from orgdesk.security.middleware import AdminRequest
from orgdesk.security.models import SecurityPolicy
from orgdesk.security.signin import (
    SESSION_MFA_PENDING,
    SESSION_PASSKEY_CHALLENGE,
    answer_mfa_challenge,
    attempt_password,
    client_ip,
    complete_sign_in,
    pending_account,
    sign_out,
    step_up,
)
from orgdesk.security.stepup import has_recent_auth
from orgdesk.security.throttle import (
    KNOWN_DEVICE_COOKIE,
    KNOWN_DEVICE_MAX_AGE,
    SignInThrottle,
    known_device_value,
)

GENERIC_FAILURE = gettext_lazy("The identifier or password is not correct.")
SESSION_TOTP_SECRET = "orgdesk_totp_setup"  # noqa: S105 (a session key name)


def _safe_next(request: HttpRequest, fallback: str = "portal:home") -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return reverse(fallback)


_View = TypeVar("_View", bound=Callable[..., HttpResponseBase])
_P = ParamSpec("_P")
# A view of a signed-in admin (its request carries the Actor) answering a page.
_AdminView = Callable[Concatenate[AdminRequest, _P], HttpResponse]


def portal_login_required(view: _View) -> _View:
    """Only for a signed-in admin: the view's request is then an AdminRequest."""
    return login_required(view, login_url="portal:login")


@overload
def step_up_required(view: _AdminView[_P], *, return_to: str = ...) -> _AdminView[_P]: ...
@overload
def step_up_required(
    view: None = None, *, return_to: str = ...
) -> Callable[[_AdminView[_P]], _AdminView[_P]]: ...
def step_up_required(
    view: _AdminView[_P] | None = None, *, return_to: str = "portal:security"
) -> _AdminView[_P] | Callable[[_AdminView[_P]], _AdminView[_P]]:
    """Send the admin to confirm their identity when their last one is too old."""
    if view is None:
        return lambda v: step_up_required(v, return_to=return_to)

    @wraps(view)
    def wrapper(request: AdminRequest, /, *args: _P.args, **kwargs: _P.kwargs) -> HttpResponse:
        if not has_recent_auth(request.actor):
            messages.info(request, _("Confirm your identity to continue."))
            # After a POST, come back to a page that can be shown, not to the action URL.
            back = request.path if request.method == "GET" else reverse(return_to)
            return redirect(f"{reverse('portal:step_up')}?{urlencode({'next': back})}")
        return view(request, *args, **kwargs)

    return wrapper


def _signed_in_response(request: HttpRequest, account: Account) -> HttpResponse:
    response = redirect(_safe_next(request))
    response.set_cookie(
        KNOWN_DEVICE_COOKIE,
        known_device_value(account.pk),
        max_age=KNOWN_DEVICE_MAX_AGE,
        httponly=True,
        samesite="Lax",
        secure=request.is_secure(),
    )
    return response


# ---- sign-in ---------------------------------------------------------------------------------


def login_view(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        return redirect(_safe_next(request))
    form = LoginForm(request.POST or None)
    status = 200
    retry_after = 0
    if request.method == "POST" and form.is_valid():
        attempt = attempt_password(
            request, form.cleaned_data["identifier"], form.cleaned_data["password"]
        )
        if attempt.outcome == "ok":
            assert attempt.account is not None, "an ok attempt carries its account"
            complete_sign_in(request, attempt.account, "password")
            return _signed_in_response(request, attempt.account)
        if attempt.outcome == "mfa":
            assert attempt.account is not None, "an mfa attempt carries its account"
            request.session.cycle_key()
            request.session[SESSION_MFA_PENDING] = {
                "account": str(attempt.account.pk),
                "at": time.time(),
            }
            target = reverse("portal:verify")
            nxt = request.POST.get("next")
            return redirect(f"{target}?{urlencode({'next': nxt})}" if nxt else target)
        if attempt.outcome == "throttled":
            minutes = max(1, attempt.retry_after // 60)
            form.add_error(
                None,
                _("Too many failed attempts. Try again in %(minutes)d minutes.")
                % {"minutes": minutes},
            )
            status = 429
            retry_after = attempt.retry_after
        elif attempt.outcome == "no_access":
            form.add_error(None, _("This account has no access to the Organization portal."))
            status = 403
        else:
            form.add_error(None, GENERIC_FAILURE)
            status = 401
    elif request.method == "POST":
        status = 400
    response = render(
        request,
        "portal/login.html",
        {
            "form": form,
            "next": request.GET.get("next", request.POST.get("next", "")),
            "branding": portal_sign_in(),
        },
        status=status,
    )
    if status == 429:
        # The form stays (another account may sign in); the wait is in the form's error.
        response["Retry-After"] = str(max(1, retry_after))
    return response


def verify_view(request: HttpRequest) -> HttpResponse:
    account = pending_account(request)
    if account is None:
        messages.info(request, _("Sign in again to continue."))
        return redirect("portal:login")
    form = CodeForm(request.POST or None)
    status = 200
    if request.method == "POST":
        throttle = SignInThrottle(f"mfa:{account.pk}", client_ip(request))
        verdict = throttle.check()
        if not verdict.allowed:
            return too_many_requests(request, verdict.retry_after)
        ok, method = answer_mfa_challenge(request, account)
        if ok:
            complete_sign_in(request, account, method)
            return _signed_in_response(request, account)
        throttle.failed()
        form = CodeForm({"code": ""})
        form.is_valid()
        form.add_error(None, _("That code or passkey was not accepted."))
        status = 401
    return render(
        request,
        "portal/verify.html",
        {
            "form": form,
            "has_passkey": selectors.has_passkey(account),
            "next": request.GET.get("next", ""),
        },
        status=status,
    )


@require_POST
def signin_passkey_options(request: HttpRequest) -> JsonResponse:
    account = pending_account(request)
    if account is None:
        return JsonResponse({"detail": _("Sign in again to continue.")}, status=401)
    options, challenge = mfa.passkey_authentication_options(account)
    request.session[SESSION_PASSKEY_CHALLENGE] = challenge
    return JsonResponse(json.loads(options))


@require_POST
def logout_view(request: HttpRequest) -> HttpResponse:
    sign_out(request)
    messages.info(request, _("You are signed out."))
    return redirect("portal:login")


# ---- step-up ---------------------------------------------------------------------------------


@portal_login_required
@require_POST
def stepup_passkey_options(request: AdminRequest) -> JsonResponse:
    options, challenge = mfa.passkey_authentication_options(request.user)
    request.session[SESSION_PASSKEY_CHALLENGE] = challenge
    return JsonResponse(json.loads(options))


@portal_login_required
def step_up_view(request: AdminRequest) -> HttpResponse:
    form = StepUpForm(request.POST or None)
    status = 200
    account = request.user
    if request.method == "POST" and form.is_valid():
        throttle = SignInThrottle(f"stepup:{account.pk}", client_ip(request))
        verdict = throttle.check()
        if not verdict.allowed:
            return too_many_requests(request, verdict.retry_after)
        if step_up(request, password=form.cleaned_data["password"] or ""):
            return redirect(_safe_next(request))
        throttle.failed()
        form.add_error(None, _("That did not match. Try again."))
        status = 401
    return render(
        request,
        "portal/step_up.html",
        {
            "form": form,
            "next": request.GET.get("next", ""),
            "has_passkey": selectors.has_passkey(account),
        },
        status=status,
    )


# ---- own security page -----------------------------------------------------------------------


@portal_login_required
def security_view(request: AdminRequest) -> HttpResponse:
    methods = selectors.own_methods(request.user)
    return render(
        request,
        "portal/security.html",
        {
            "methods": methods,
            "required": SecurityPolicy.current().require_admin_mfa,
            "has_second_factor": mfa.has_second_factor(request.user),
        },
    )


@portal_login_required
@step_up_required
def totp_view(request: AdminRequest) -> HttpResponse:
    secret = request.session.get(SESSION_TOTP_SECRET)
    if request.method == "GET" or not secret:
        secret = mfa.new_totp_secret()
        request.session[SESSION_TOTP_SECRET] = secret
    form = CodeForm(request.POST or None)
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            security_actions.enrol_totp(
                actor=request.actor.as_self(),
                secret=secret,
                code=form.cleaned_data["code"],
                label=request.POST.get("label", ""),
            )
        except mfa.MfaError as exc:
            form.add_error("code", str(exc))
            status = 400
        else:
            request.session.pop(SESSION_TOTP_SECRET, None)
            messages.success(request, _("Authenticator app added."))
            if not selectors.has_recovery_codes(request.user):
                return _show_recovery_codes(request)
            return redirect("portal:security")
    uri = mfa.totp_uri(request.user, secret)
    return render(
        request,
        "portal/totp.html",
        {"form": form, "secret": secret, "qr": mfa.qr_svg(uri), "uri": uri},
        status=status,
    )


def _show_recovery_codes(request: AdminRequest) -> HttpResponse:
    codes = security_actions.generate_recovery_codes(actor=request.actor.as_self())
    return render(request, "portal/recovery_codes.html", {"codes": codes})


@portal_login_required
@require_POST
def recovery_codes_view(request: AdminRequest) -> HttpResponse:
    if not mfa.has_second_factor(request.user):
        messages.error(request, _("Add an authenticator app or a passkey first."))
        return redirect("portal:security")
    if not has_recent_auth(request.actor):
        return redirect(f"{reverse('portal:step_up')}?next={reverse('portal:security')}")
    return _show_recovery_codes(request)


@portal_login_required
@require_POST
def passkey_options_view(request: AdminRequest) -> JsonResponse:
    if not has_recent_auth(request.actor):
        back = urlencode({"next": reverse("portal:security")})
        return JsonResponse(
            {
                "detail": _("Confirm your identity first."),
                "step_up": f"{reverse('portal:step_up')}?{back}",
            },
            status=403,
        )
    options, challenge = mfa.passkey_registration_options(request.user)
    request.session[SESSION_PASSKEY_CHALLENGE] = challenge
    return JsonResponse(json.loads(options))


@portal_login_required
@require_POST
def passkey_register_view(request: AdminRequest) -> JsonResponse:
    challenge = request.session.pop(SESSION_PASSKEY_CHALLENGE, None)
    if not challenge:
        return JsonResponse({"detail": _("Start again: the request expired.")}, status=400)
    try:
        security_actions.enrol_passkey(
            actor=request.actor.as_self(),
            response=request.POST.get("credential", ""),
            challenge=challenge,
            label=request.POST.get("label", ""),
        )
    except mfa.MfaError as exc:
        return JsonResponse({"detail": str(exc)}, status=400)
    messages.success(request, _("Passkey added."))
    return JsonResponse({"redirect": reverse("portal:security")})


@portal_login_required
@require_POST
@step_up_required
def remove_own_view(request: AdminRequest, pk: Any) -> HttpResponse:
    try:
        security_actions.remove_own_authenticator(
            actor=request.actor.as_self(), authenticator_id=pk
        )
    except mfa.MfaError:
        raise Http404("No such sign-in method.") from None
    messages.success(request, _("Sign-in method removed."))
    return redirect("portal:security")


# ---- organizations ---------------------------------------------------------------------------


@portal_login_required
def home_view(request: AdminRequest) -> HttpResponse:
    """Straight to the Accounts tab of the first favorite, else of the first organization."""
    from orgdesk.portal.shell import landing_organization

    organization = landing_organization(request)
    if organization is not None:
        return redirect("portal:accounts", org=organization.key)
    auth = authority(request.actor)
    return render(request, "portal/home.html", {"entries": [], "is_brand": auth.is_brand})


@portal_login_required
def organization_view(request: AdminRequest, org: str) -> HttpResponse:
    organization = organization_by_key(org)
    if organization is None:
        raise Http404("No such organization.")
    visible_or_404(request.actor, organization)
    return redirect("portal:accounts", org=organization.key)
