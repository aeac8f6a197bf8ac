"""Identity verification tab: the customer's result under each verification policy, and
"Manually verify" under one of the policies of the account's organization."""

from typing import Any

from django import forms
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import QuerySet
from django.http import HttpResponse
from django.urls import path
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from orgdesk.core.listing import Ordering
from orgdesk.portal.details import Detail, Tab, act, detail_for
from orgdesk.portal.views import portal_login_required
from orgdesk.security.middleware import AdminRequest
from orgdesk.verification.actions import verify_manually
from orgdesk.verification.models import VerificationPolicy, VerificationResult
from orgdesk.verification.selectors import applicable_policies, results_shown

ORDERING = Ordering("updated", "updated")


class ManualVerificationForm(forms.Form):
    policy = forms.ModelChoiceField(
        label=_("Verification policy"),
        queryset=VerificationPolicy.objects.none(),
        empty_label=_("Choose a policy"),
        error_messages={
            "required": _("Choose the verification policy under which you verify the account."),
            "invalid_choice": _(
                "This verification policy does not apply to the account's organization."
            ),
        },
    )
    confirm = forms.BooleanField(
        label=_("I have verified this customer's identity according to this policy."),
        error_messages={
            "required": _("Confirm that you have verified the customer's identity."),
        },
    )
    reason = forms.CharField(label=_("Reason (optional)"), required=False, max_length=500)

    def __init__(self, *args: Any, policies: QuerySet[VerificationPolicy], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        policy = self.fields["policy"]
        assert isinstance(policy, forms.ModelChoiceField)
        policy.queryset = policies


def context(request: AdminRequest, detail: Detail) -> dict[str, Any]:
    results = results_shown(request.actor, detail.account)
    can_verify = detail.can("identity.verify") and not request.actor.is_account(detail.account)
    policies = list(applicable_policies(detail.home)) if can_verify else []
    return {
        **detail.page(results, ORDERING, tab="verification"),
        "can_verify": can_verify,
        "policies": policies,
    }


@portal_login_required
@require_POST
def verify(request: AdminRequest, org: str, pk: Any) -> HttpResponse:
    detail = detail_for(request, org, pk, "accounts.view")
    if not detail.can("identity.verify"):
        raise PermissionDenied
    account = detail.account
    form = ManualVerificationForm(request.POST, policies=applicable_policies(detail.home))

    def run() -> VerificationResult:
        if not form.is_valid():
            raise ValidationError([e for errors in form.errors.values() for e in errors])
        return verify_manually(
            actor=request.actor,
            account=account,
            policy=form.cleaned_data["policy"],
            reason=form.cleaned_data["reason"],
        )

    def done(result: VerificationResult) -> str:
        return gettext("Identity verified under %(policy)s.") % {"policy": result.policy.name}

    return act(detail, "verification", run, done)


TAB = Tab(
    slug="verification",
    label=_("Identity verification"),
    permission="accounts.view",
    template="portal/account/tabs/verification.html",
    context=context,
)

urlpatterns: list[Any] = [path("verification/verify", verify, name="account_verify_identity")]
