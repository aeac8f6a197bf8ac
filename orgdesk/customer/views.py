"""The password link page, in the manner of Django's PasswordResetConfirmView.

The emailed address carries the token. The first request checks it, moves it into the session
and redirects to the same address with `set` in place of the token, so the token never sits in
the address bar, the history or a Referer header. Every failure (unknown account, wrong,
expired, used or superseded token, wrong purpose, disabled account) gets the same page and
status, which says nothing about whether the account exists.
"""

from typing import Any

from django.contrib.auth.forms import SetPasswordForm
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods

from orgdesk.accounts.actions import complete_password_link
from orgdesk.accounts.passwords import PURPOSES, InvalidPasswordLink, account_for_link
from orgdesk.security.signin import client_ip

SET_TOKEN = "set"  # noqa: S105 - a path segment, not a secret
SESSION_LINK = "orgdesk_password_link"
SESSION_DONE = "orgdesk_password_link_done"
INVALID_STATUS = 404


def no_referrer(response: HttpResponse) -> HttpResponse:
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


def invalid_link(request: HttpRequest) -> HttpResponse:
    request.session.pop(SESSION_LINK, None)
    response = render(request, "customer/link_invalid.html", status=INVALID_STATUS)
    return no_referrer(response)


@never_cache
@sensitive_post_parameters("new_password1", "new_password2")
@require_http_methods(["GET", "HEAD", "POST"])
def password_link_view(request: HttpRequest, uidb64: str, token: str) -> HttpResponse:
    if token != SET_TOKEN:
        # The emailed address: check, stash, redirect to the token-less address.
        purpose = request.GET.get("purpose", "")
        if request.method == "POST" or account_for_link(uidb64, purpose, token) is None:
            return invalid_link(request)
        request.session[SESSION_LINK] = {"uid": uidb64, "token": token, "purpose": purpose}
        url = reverse("customer:password_link", kwargs={"uidb64": uidb64, "token": SET_TOKEN})
        return no_referrer(HttpResponseRedirect(url))

    stash: dict[str, Any] = request.session.get(SESSION_LINK) or {}
    if stash.get("uid") != uidb64 or stash.get("purpose") not in PURPOSES:
        return invalid_link(request)
    purpose, token = stash["purpose"], str(stash.get("token", ""))
    account = account_for_link(uidb64, purpose, token)
    if account is None:
        return invalid_link(request)

    form = SetPasswordForm(account, request.POST if request.method == "POST" else None)
    if form.is_valid():
        try:
            complete_password_link(
                uidb64=uidb64,
                purpose=purpose,
                token=token,
                password=form.cleaned_data["new_password1"],
                ip=client_ip(request),
            )
        except InvalidPasswordLink:
            return invalid_link(request)
        except ValidationError as exc:
            form.add_error("new_password2", exc)
        else:
            del request.session[SESSION_LINK]
            request.session[SESSION_DONE] = purpose
            return redirect("customer:password_done")
    response = render(
        request,
        "customer/password_form.html",
        {"form": form, "purpose": purpose, "identifier": account.email},
    )
    # The form's address holds no token, so the site's default Referrer-Policy applies: with
    # no-referrer, browsers send "Origin: null" with the POST and CSRF checks refuse it.
    return response


@never_cache
@require_http_methods(["GET", "HEAD"])
def password_done_view(request: HttpRequest) -> HttpResponse:
    purpose = request.session.pop(SESSION_DONE, "")
    return render(request, "customer/password_done.html", {"purpose": purpose})
