"""Authenticators tab: the customer's sign-in methods (what each is tied to, its type, when it
was added and last used); adding one on the customer's behalf; deleting one.

"Add authenticator" offers what an admin can set up without the customer's device: an email
or SMS one-time-code authenticator for an address or phone number the admin enters (a recent
sign-in is needed, as for deleting), or, for an authenticator app or a passkey, which only the
customer's device can create, an enrolment link emailed to the account's address
(security/enrolment.py). An admin does not manage their own sign-in methods here but on their
security page.
"""

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import redirect
from django.urls import path
from django.utils import timezone
from django.utils.timesince import timeuntil
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from orgdesk.core.listing import Ordering
from orgdesk.portal.details import Detail, Tab, act, detail_for
from orgdesk.portal.views import portal_login_required
from orgdesk.security import actions, enrolment
from orgdesk.security.middleware import AdminRequest
from orgdesk.security.models import Authenticator
from orgdesk.security.selectors import (
    authenticator_to_manage,
    authenticators_shown,
    latest_enrolment_link,
)

ORDERING = Ordering("added", "created")
SLUG = "authenticators"
# The choices of the "Add authenticator" dialog.
OTP_KINDS = {
    "email_otp": Authenticator.Type.EMAIL_OTP,
    "sms_otp": Authenticator.Type.SMS_OTP,
}
LINK_KINDS = {"totp": "totp", "passkey": "passkey"}


def link_lifetime() -> str:
    """How long an enrolment link stays valid, in words ("1 day")."""
    now = timezone.now()
    return timeuntil(now + enrolment.lifetime(), now)


def context(request: AdminRequest, detail: Detail) -> dict[str, Any]:
    rows = authenticators_shown(request.actor, detail.account)
    built = detail.page(rows, ORDERING, tab=SLUG)
    own = request.actor.is_account(detail.account)
    built["own_account"] = own
    built["can_manage"] = detail.can("authenticators.manage") and not own
    if built["can_manage"]:
        built["link_lifetime"] = link_lifetime()
        account = detail.account
        built["unproven_email"] = bool(account.email_set_by_admin_at and not account.email_verified)
        for row in built["page"].rows:
            row.reason_id = f"delete-authn-{row.pk}-reason"
    latest = latest_enrolment_link(request.actor, detail.account)
    if latest is not None:
        latest.account = detail.account
    built["pending_link"] = latest if latest is not None and enrolment.usable(latest) else None
    return built


def _managed(request: AdminRequest, org: str, pk: Any) -> Detail:
    detail = detail_for(request, org, pk, "accounts.view")
    if not detail.can("authenticators.manage"):
        raise PermissionDenied
    return detail


@portal_login_required
@require_POST
def add(request: AdminRequest, org: str, pk: Any) -> HttpResponse:
    detail = _managed(request, org, pk)
    kind = request.POST.get("kind", "")
    reason = request.POST.get("reason", "")[:500]
    account = detail.account
    if kind in OTP_KINDS:
        field = "email" if kind == "email_otp" else "phone"

        def added(authenticator: Authenticator) -> str:
            return gettext("%(type)s authenticator added for %(to)s.") % {
                "type": authenticator.get_type_display(),
                "to": authenticator.identifier,
            }

        return act(
            detail,
            SLUG,
            lambda: actions.add_otp_authenticator(
                actor=request.actor,
                account=account,
                kind=OTP_KINDS[kind],
                identifier=request.POST.get(field, ""),
                reason=reason,
            ),
            added,
        )
    if kind in LINK_KINDS:
        return act(
            detail,
            SLUG,
            lambda: actions.send_enrolment_link(
                actor=request.actor, account=account, method=LINK_KINDS[kind], reason=reason
            ),
            lambda notification: (
                gettext("Enrolment link sent to %(to)s.") % {"to": notification.target}
            ),
        )
    messages.error(request, gettext("Choose the type of authenticator to add."))
    return redirect(detail.tab_url(SLUG))


@portal_login_required
@require_POST
def delete(request: AdminRequest, org: str, pk: Any, authenticator_id: Any) -> HttpResponse:
    detail = _managed(request, org, pk)
    authenticator = authenticator_to_manage(request.actor, detail.account, authenticator_id)
    if authenticator is None:
        raise Http404("No such authenticator.")
    label = authenticator.display_label
    return act(
        detail,
        SLUG,
        lambda: actions.remove_authenticator(
            actor=request.actor,
            authenticator=authenticator,
            reason=request.POST.get("reason", "")[:500],
        ),
        gettext("Authenticator %(name)s deleted.") % {"name": label},
    )


TAB = Tab(
    slug=SLUG,
    label=_("Authenticators"),
    permission="authenticators.view",
    template="portal/account/tabs/authenticators.html",
    context=context,
)

urlpatterns: list[Any] = [
    path("authenticators/add", add, name="account_authenticators_add"),
    path(
        "authenticators/<uuid:authenticator_id>/delete",
        delete,
        name="account_authenticators_delete",
    ),
]
