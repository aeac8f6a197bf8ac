"""An organization's Roles and grants tab in the console: who holds which role here (on this
organization, and on those above it, which cover it), grant a role to an account of the same
identity store, revoke a grant. The writes are access.actions.grant_role / revoke_role, the
same rules as the portal's Roles tab (delegation, same store, the last admin stays)."""

from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from orgdesk.access.actions import GrantError, grant_role, revoke_role
from orgdesk.access.models import OrgRole, RoleAssignment
from orgdesk.access.scoping import access_role_assignment
from orgdesk.access.selectors import grants_covering, roles_by_name
from orgdesk.console.access import console_view
from orgdesk.console.organizations import _page
from orgdesk.organizations.models import Organization
from orgdesk.portal.shell import current_organization
from orgdesk.portal.views import step_up_required
from orgdesk.security.middleware import AdminRequest
from orgdesk.security.signin import find_accounts


class GrantForm(forms.Form):
    identifier = forms.CharField(
        label=gettext_lazy("Account (email, username or phone)"), max_length=254
    )
    role = forms.ModelChoiceField(label=gettext_lazy("Role"), queryset=OrgRole.objects.none())
    reason = forms.CharField(
        label=gettext_lazy("Reason (optional)"), max_length=500, required=False
    )

    def __init__(self, *args: Any, organization: Organization, **kwargs: Any) -> None:
        self.organization = organization
        super().__init__(*args, **kwargs)
        role = self.fields["role"]
        assert isinstance(role, forms.ModelChoiceField)
        role.queryset = roles_by_name()  # by the names the admin reads

    def clean_identifier(self) -> Any:
        store = self.organization.identity_store_id
        matches = [
            account
            for account in find_accounts(self.cleaned_data["identifier"])
            if account.organization_id is not None and account.store == store
        ]
        if not matches:
            raise ValidationError(
                _("No account of this organization's identity store has this identifier.")
            )
        if len(matches) > 1:
            raise ValidationError(_("More than one account has this identifier: use the email."))
        return matches[0]


def _grants(
    actor: Any, organization: Organization
) -> tuple[list[RoleAssignment], list[RoleAssignment]]:
    rows = list(grants_covering(actor, organization))
    here = [g for g in rows if g.organization_id == organization.pk]
    above = [g for g in rows if g.organization_id != organization.pk]
    return here, above


def _render(
    request: AdminRequest, organization: Organization, form: GrantForm, status: int
) -> HttpResponse:
    here, above = _grants(request.actor, organization)
    return render(
        request,
        "console/organizations/grants.html",
        _page(request, organization, "grants", tab="grants", form=form, here=here, above=above),
        status=status,
    )


@console_view
def organization_grants(request: AdminRequest, org: str) -> HttpResponse:
    organization = current_organization(request, org)
    form = GrantForm(request.POST or None, organization=organization)
    if request.method != "POST":
        return _render(request, organization, form, 200)
    if form.is_valid():
        try:
            _assignment, created = grant_role(
                actor=request.actor,
                account=form.cleaned_data["identifier"],
                organization=organization,
                role=form.cleaned_data["role"],
                reason=form.cleaned_data["reason"],
            )
        except (GrantError, PermissionDenied, ValidationError) as exc:
            form.add_error(None, exc.messages[0] if isinstance(exc, ValidationError) else str(exc))
        else:
            messages.success(
                request,
                _("The role was granted.")
                if created
                else _("The account already holds this role here."),
            )
            return redirect("console:organization_grants", organization.key)
    return _render(request, organization, form, 400)


@console_view
@require_POST
@step_up_required(return_to="console:organizations")
def organization_revoke(request: AdminRequest, org: str, grant: int) -> HttpResponse:
    organization = current_organization(request, org)
    assignment = access_role_assignment(request.actor, grant, "roles.assign")
    if assignment.organization_id != organization.pk:  # a grant of another organization
        raise Http404("No such grant.")
    try:
        revoke_role(
            actor=request.actor, assignment=assignment, reason=request.POST.get("reason", "")
        )
    except (GrantError, PermissionDenied, ValidationError) as exc:
        messages.error(request, exc.messages[0] if isinstance(exc, ValidationError) else str(exc))
    else:
        messages.success(request, _("The role was revoked."))
    return redirect("console:organization_grants", organization.key)
