"""The enrolment link page: a customer sets up an authenticator app (TOTP) or a passkey
through a link an admin sent (security/enrolment.py), without signing in.

Built like the password link page (views.py): the emailed address is checked, its token moved
into the session and the browser redirected to the token-less address, so the token never
sits in the address bar, the history or a Referer header. The form pages keep the site's
usual Referrer-Policy: under `no-referrer` browsers send `Origin: null` with a form's POST,
which Django's CSRF check refuses. Every failure gets the same page and
status, which says nothing about the account. The TOTP secret shown to the customer stays in
the session until they confirm a first code, so reloading the page keeps the QR code they
scanned.
"""

import json
from typing import Any

from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods, require_POST

from orgdesk.customer.forms import CodeForm
from orgdesk.security import actions as security_actions
from orgdesk.security import enrolment, mfa
from orgdesk.security.enrolment import InvalidEnrolmentLink
from orgdesk.security.models import EnrolmentLink

SESSION_LINK = "orgdesk_enrol_link"
SESSION_DONE = "orgdesk_enrol_done"
INVALID_STATUS = 404


def _no_referrer(response: HttpResponse) -> HttpResponse:
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


def _invalid(request: HttpRequest) -> HttpResponse:
    request.session.pop(SESSION_LINK, None)
    response = render(request, "customer/link_invalid.html", status=INVALID_STATUS)
    return _no_referrer(response)


def _invalid_json(request: HttpRequest) -> JsonResponse:
    request.session.pop(SESSION_LINK, None)
    return JsonResponse({"detail": _("This link is no longer valid.")}, status=INVALID_STATUS)


def _stashed(request: HttpRequest, method: str = "") -> tuple[dict[str, Any], EnrolmentLink | None]:
    """The link kept in this session and its EnrolmentLink, if still usable (and of `method`)."""
    stash: dict[str, Any] = dict(request.session.get(SESSION_LINK) or {})
    link = enrolment.link_for_token(str(stash.get("token", "")))
    if link is None or (method and link.method != method):
        return stash, None
    return stash, link


@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def enrol_link_view(request: HttpRequest, token: str) -> HttpResponse:
    """The emailed address: check, stash, redirect to the token-less address."""
    if request.method == "POST" or enrolment.link_for_token(token) is None:
        return _invalid(request)
    request.session[SESSION_LINK] = {"token": token}
    return _no_referrer(HttpResponseRedirect(reverse("customer:enrol")))


@never_cache
@sensitive_post_parameters("code")
@require_http_methods(["GET", "HEAD", "POST"])
def enrol_view(request: HttpRequest) -> HttpResponse:
    stash, link = _stashed(request)
    if link is None:
        return _invalid(request)
    account = link.account
    context: dict[str, Any] = {"identifier": account.email}
    if link.method == EnrolmentLink.Method.PASSKEY:
        return render(request, "customer/enrol_passkey.html", context)

    secret = stash.get("secret")
    if not secret:
        secret = stash["secret"] = mfa.new_totp_secret()
        request.session[SESSION_LINK] = stash
    form = CodeForm(request.POST if request.method == "POST" else None)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                security_actions.complete_totp_enrolment(
                    token=str(stash["token"]), secret=secret, code=form.cleaned_data["code"]
                )
            except InvalidEnrolmentLink:
                return _invalid(request)
            except mfa.MfaError as exc:
                form.add_error("code", str(exc))
            else:
                request.session.pop(SESSION_LINK, None)
                request.session[SESSION_DONE] = link.method
                return redirect("customer:enrol_done")
    uri = mfa.totp_uri(account, secret)
    context.update(form=form, secret=secret, qr=mfa.qr_svg(uri))
    return render(request, "customer/enrol_totp.html", context, status=status)


@never_cache
@require_POST
def enrol_passkey_options_view(request: HttpRequest) -> JsonResponse:
    stash, link = _stashed(request, EnrolmentLink.Method.PASSKEY)
    if link is None:
        return _invalid_json(request)
    options, challenge = mfa.passkey_registration_options(link.account)
    stash["challenge"] = challenge
    request.session[SESSION_LINK] = stash
    return JsonResponse(json.loads(options))


@never_cache
@require_POST
def enrol_passkey_register_view(request: HttpRequest) -> JsonResponse:
    stash, link = _stashed(request, EnrolmentLink.Method.PASSKEY)
    if link is None:
        return _invalid_json(request)
    challenge = stash.pop("challenge", None)
    request.session[SESSION_LINK] = stash
    if not challenge:
        return JsonResponse({"detail": _("Start again: the request expired.")}, status=400)
    try:
        security_actions.complete_passkey_enrolment(
            token=str(stash["token"]),
            response=request.POST.get("credential", ""),
            challenge=challenge,
        )
    except InvalidEnrolmentLink:
        return _invalid_json(request)
    except mfa.MfaError as exc:
        return JsonResponse({"detail": str(exc)}, status=400)
    request.session.pop(SESSION_LINK, None)
    request.session[SESSION_DONE] = link.method
    return JsonResponse({"redirect": reverse("customer:enrol_done")})


@never_cache
@require_http_methods(["GET", "HEAD"])
def enrol_done_view(request: HttpRequest) -> HttpResponse:
    method = request.session.pop(SESSION_DONE, "")
    return render(request, "customer/enrol_done.html", {"method": method})
