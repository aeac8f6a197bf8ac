"""Accepting an invitation: `/invite/<token>`, in the manner of the password link pages.

The emailed address carries the token. The first request checks it, moves it into the session
and redirects to `/invite/register`, so the token never sits in the address bar, the history
or a Referer header. The page is branded with the organization's name and its application's
colour, in the language the admin chose for the invitee. Every failure (unknown, expired,
revoked, superseded or used token) gets the same page and status, which shows no address and
says nothing about which case it is.

Registering signs the invitee in on this site (a CustomerSession, customer/sessions.py) and
ends on a "Your account is ready" page that links to their `/account/` page; an invitee who
was given organization roles is also pointed to the Organization portal's sign-in.
"""

import json
import uuid
from typing import Any

from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods, require_POST

from orgdesk.access.selectors import holds_roles
from orgdesk.accounts.models import Account
from orgdesk.branding.resolve import resolve
from orgdesk.branding.theme import theme_css
from orgdesk.customer.forms import NamesForm, RegisterForm
from orgdesk.customer.sessions import sign_in
from orgdesk.invitations.actions import InvalidInvitation, accept_invitation, recently_accepted
from orgdesk.invitations.emails import invitation_language
from orgdesk.invitations.models import Invitation
from orgdesk.invitations.selectors import accepted_invitation
from orgdesk.invitations.tokens import usable_invitation
from orgdesk.security import mfa
from orgdesk.security.signin import client_ip

REGISTER = "register"  # the token-less address of the form (a token is 43 characters)
SESSION_TOKEN = "orgdesk_invitation"  # noqa: S105 (a session key name)
SESSION_DONE = "orgdesk_invitation_done"
SESSION_PASSKEY = "orgdesk_invitation_passkey"
INVALID_STATUS = 404


def _no_referrer(response: HttpResponse) -> HttpResponse:
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


def _invalid(request: HttpRequest) -> HttpResponse:
    request.session.pop(SESSION_TOKEN, None)
    return _no_referrer(render(request, "customer/invite_invalid.html", status=INVALID_STATUS))


# ---- branding ----------------------------------------------------------------------------------


def branding(invitation: Invitation) -> dict[str, Any]:
    """The organization's look (branding/resolve.py): its application's policy, then the
    override of the organization or the nearest one above it; the sign-in surface's custom
    CSS and script."""
    found = resolve(invitation.organization, invitation.application).surface("signin")
    return {
        "brand_css": found["theme_url"],
        "logo_url": found["logo_url"],
        "header_style": found["header_style"],
        "branding": found,
    }


# ---- registration ------------------------------------------------------------------------------


def _page(
    request: HttpRequest, template: str, invitation: Invitation, **context: Any
) -> HttpResponse:
    return render(
        request,
        template,
        {
            "organization": invitation.organization,
            "application": invitation.application,
            **branding(invitation),
            **context,
        },
    )


@never_cache
@sensitive_post_parameters("password1", "password2")
@require_http_methods(["GET", "HEAD", "POST"])
def accept_view(request: HttpRequest, token: str) -> HttpResponse:
    if token != REGISTER:
        # The emailed address: check, stash, redirect to the token-less address.
        if request.method == "POST" or usable_invitation(token) is None:
            return _invalid(request)
        request.session[SESSION_TOKEN] = token
        return _no_referrer(HttpResponseRedirect(reverse("invite:accept", args=[REGISTER])))

    token = str(request.session.get(SESSION_TOKEN) or "")
    invitation = usable_invitation(token) if token else None
    if invitation is None:
        if request.method == "POST" and token and recently_accepted(token):
            return redirect("invite:done")  # a second submission of a form that worked
        return _invalid(request)

    with translation.override(invitation_language(invitation.locale)):
        form = RegisterForm(
            request.POST if request.method == "POST" else None,
            invitation=invitation,
            initial={"given_name": invitation.given_name, "family_name": invitation.family_name},
        )
        if form.is_valid():
            try:
                account = accept_invitation(
                    token=token,
                    password=form.cleaned_data["password1"],
                    given_name=form.cleaned_data["given_name"],
                    family_name=form.cleaned_data["family_name"],
                    ip=client_ip(request),
                )
            except InvalidInvitation:
                if recently_accepted(token):
                    return redirect("invite:done")
                return _invalid(request)
            except ValidationError as exc:
                form.add_error(None, exc.messages)
            else:
                del request.session[SESSION_TOKEN]
                request.session[SESSION_DONE] = {
                    "invitation": str(invitation.pk),
                    "portal": holds_roles(account),
                }
                response: HttpResponse = redirect("invite:done")
                # Registering signs the invitee in (customer/sessions.py).
                sign_in(
                    request,
                    response,
                    account,
                    application=invitation.application,
                    method="password",
                )
                return response
        response = _page(
            request,
            "customer/invite_register.html",
            invitation,
            form=form,
            email=invitation.email,
        )
    if request.method == "POST":
        response.status_code = 400
    # No token in this address, so the site's Referrer-Policy applies: with no-referrer,
    # browsers send "Origin: null" with the form's POST and the CSRF check refuses it.
    return response


# ---- registration with a passkey ----------------------------------------------------------------
# Progressive enhancement of the form (static portal/invite-passkey.js, shown only where the
# browser has WebAuthn): the script posts the names to passkey/options, which keeps the
# challenge and a primary key chosen for the new account in the session and answers with the
# registration options; the browser's credential goes to passkey/register, which accepts the
# invitation with that passkey (no password) and signs the invitee in.


def _json_invalid(request: HttpRequest) -> JsonResponse:
    request.session.pop(SESSION_TOKEN, None)
    request.session.pop(SESSION_PASSKEY, None)
    return JsonResponse({"detail": _("This invitation link is not valid.")}, status=404)


@never_cache
@require_POST
def passkey_options_view(request: HttpRequest) -> JsonResponse:
    token = str(request.session.get(SESSION_TOKEN) or "")
    invitation = usable_invitation(token) if token else None
    if invitation is None:
        return _json_invalid(request)
    with translation.override(invitation_language(invitation.locale)):
        form = NamesForm(request.POST)
        if not form.is_valid():
            errors = {name: [str(e) for e in errs] for name, errs in form.errors.items()}
            return JsonResponse(
                {"detail": _("Enter your given name and family name."), "errors": errors},
                status=400,
            )
    candidate = Account(
        pk=uuid.uuid4(),
        organization=invitation.organization,
        email=invitation.email,
        given_name=form.cleaned_data["given_name"].strip(),
        family_name=form.cleaned_data["family_name"].strip(),
    )
    options, challenge = mfa.passkey_registration_options(candidate)
    request.session[SESSION_PASSKEY] = {
        "challenge": challenge,
        "account_id": str(candidate.pk),
        "given_name": candidate.given_name,
        "family_name": candidate.family_name,
    }
    return JsonResponse(json.loads(options))


@never_cache
@require_POST
def passkey_register_view(request: HttpRequest) -> JsonResponse:
    token = str(request.session.get(SESSION_TOKEN) or "")
    stash = request.session.pop(SESSION_PASSKEY, None) or {}
    invitation = usable_invitation(token) if token else None
    if invitation is None:
        return _json_invalid(request)
    with translation.override(invitation_language(invitation.locale)):
        if not stash.get("challenge"):
            return JsonResponse({"detail": _("Start again: the request expired.")}, status=400)
        try:
            account = accept_invitation(
                token=token,
                password=None,
                given_name=stash["given_name"],
                family_name=stash["family_name"],
                ip=client_ip(request),
                passkey={
                    "response": request.POST.get("credential", ""),
                    "challenge": stash["challenge"],
                    "account_id": uuid.UUID(stash["account_id"]),
                },
            )
        except InvalidInvitation:
            return _json_invalid(request)
        except mfa.MfaError as exc:
            return JsonResponse({"detail": str(exc)}, status=400)
        except ValidationError as exc:
            return JsonResponse({"detail": " ".join(exc.messages)}, status=400)
    del request.session[SESSION_TOKEN]
    request.session[SESSION_DONE] = {
        "invitation": str(invitation.pk),
        "portal": holds_roles(account),
        "passkey": True,
    }
    response = JsonResponse({"redirect": reverse("invite:done")})
    sign_in(request, response, account, application=invitation.application, method="passkey")
    return response


@never_cache
@require_http_methods(["GET", "HEAD"])
def done_view(request: HttpRequest) -> HttpResponse:
    done: dict[str, Any] = request.session.get(SESSION_DONE) or {}
    invitation_id = done.get("invitation")
    invitation = accepted_invitation(invitation_id) if invitation_id else None
    if invitation is None:
        # A reload after the session ended, or a double submission: nothing more to say.
        return render(request, "customer/invite_done.html", {"generic": True})
    with translation.override(invitation_language(invitation.locale)):
        return _page(
            request,
            "customer/invite_done.html",
            invitation,
            portal=bool(done.get("portal")),
            passkey=bool(done.get("passkey")),
        )


urlpatterns = [
    path("theme.css", theme_css, name="theme"),
    path("done", done_view, name="done"),
    path("passkey/options", passkey_options_view, name="passkey_options"),
    path("passkey/register", passkey_register_view, name="passkey_register"),
    path("<str:token>", accept_view, name="accept"),
]
