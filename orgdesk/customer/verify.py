"""The email verification link: the customer proves an address is theirs.

Built like the password link (customer/views.py): the emailed address checks the token, moves
it into the session and redirects to a token-less address, where the customer confirms with a
button. A GET never verifies: mail scanners that open links must not confirm an address for
its owner. Every failure gets the same page, which says nothing about the account.
"""

from typing import Any

from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from orgdesk.accounts.identifiers import account_for_verification, complete_verification
from orgdesk.customer.views import SET_TOKEN, invalid_link, no_referrer
from orgdesk.security.signin import client_ip

SESSION_VERIFY = "orgdesk_verify_email"


def _invalid(request: HttpRequest) -> HttpResponse:
    request.session.pop(SESSION_VERIFY, None)
    return invalid_link(request)


@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def verify_email_view(request: HttpRequest, uidb64: str, token: str) -> HttpResponse:
    if token != SET_TOKEN:
        if request.method == "POST" or account_for_verification(uidb64, token) is None:
            return _invalid(request)
        request.session[SESSION_VERIFY] = {"uid": uidb64, "token": token}
        url = reverse("customer:verify_email", kwargs={"uidb64": uidb64, "token": SET_TOKEN})
        return no_referrer(HttpResponseRedirect(url))

    stash: dict[str, Any] = request.session.get(SESSION_VERIFY) or {}
    if stash.get("uid") != uidb64:
        return _invalid(request)
    token = str(stash.get("token", ""))
    account = account_for_verification(uidb64, token)
    if account is None:
        return _invalid(request)
    if request.method == "POST":
        if complete_verification(uidb64=uidb64, token=token, ip=client_ip(request)) is None:
            return _invalid(request)
        del request.session[SESSION_VERIFY]
        return render(request, "customer/verify_done.html", {"email": account.email})
    return render(request, "customer/verify_email.html", {"email": account.email})
