"""The Invitations tab: list (filter by email and status, keyset pages), invite, view, resend,
delete. Bulk invite lives in portal/bulk_invitations.py."""

from typing import Any
from urllib.parse import urlencode

from django import forms
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from orgdesk.access.actor import Actor
from orgdesk.access.models import OrgRole
from orgdesk.access.scoping import require
from orgdesk.access.selectors import roles_among
from orgdesk.accounts.models import Group
from orgdesk.invitations import actions as invitation_actions
from orgdesk.invitations.emails import invitation_language
from orgdesk.invitations.lists import INVITATIONS
from orgdesk.invitations.models import Invitation
from orgdesk.invitations.selectors import invitation_groups, invitation_roles, invitation_shown
from orgdesk.organizations.models import Organization
from orgdesk.portal.listview import list_page
from orgdesk.portal.shell import current_organization, shell_context
from orgdesk.portal.views import portal_login_required
from orgdesk.security.middleware import AdminRequest
from orgdesk.security.stepup import StepUpRequired, has_recent_auth


def _invitation_or_404(request: AdminRequest, organization: Organization, pk: Any) -> Invitation:
    """One invitation of the organization in the URL: 403 without invitations.view there,
    404 for another organization's invitation (whether or not it exists)."""
    require(request.actor, "invitations.view", organization)
    return invitation_shown(request.actor, organization, pk)


@portal_login_required
def invitations_list(request: AdminRequest, org: str) -> HttpResponse:
    organization = current_organization(request, org)
    return list_page(request, INVITATIONS, organization, templates="portal/invitations")


# ---- invite ------------------------------------------------------------------------------------


class GroupChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.name} · {obj.organization.name}"


class InviteForm(forms.Form):
    email = forms.EmailField(label=gettext_lazy("Email address"), max_length=254)
    given_name = forms.CharField(label=gettext_lazy("Given name"), max_length=150, required=False)
    family_name = forms.CharField(label=gettext_lazy("Family name"), max_length=150, required=False)
    groups = GroupChoiceField(
        label=gettext_lazy("Groups"),
        queryset=Group.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    roles = forms.ModelMultipleChoiceField(
        label=gettext_lazy("Roles"),
        queryset=OrgRole.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    locale = forms.ChoiceField(
        label=gettext_lazy("Language of the invitation"), choices=settings.LANGUAGES
    )

    def __init__(self, *args: Any, actor: Actor, organization: Organization, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.organization = organization
        maximum = invitation_actions.max_days()
        self.fields["days"] = forms.IntegerField(
            label=_("Valid for (days)"),
            min_value=1,
            max_value=maximum,
            initial=invitation_actions.default_days(),
            help_text=_("From 1 to %(max)d days.") % {"max": maximum},
        )
        self.fields["locale"].initial = invitation_language(translation.get_language() or "")
        groups = self.fields["groups"]
        assert isinstance(groups, forms.ModelMultipleChoiceField)
        groups.queryset = invitation_actions.allowed_groups(actor, organization)
        roles = invitation_actions.grantable_roles(actor, organization)
        roles_field = self.fields["roles"]
        assert isinstance(roles_field, forms.ModelMultipleChoiceField)
        roles_field.queryset = roles_among([r.pk for r in roles])
        self.can_assign_roles = bool(roles)
        # Handing out roles is granting them: it needs a recent sign-in, asked for up front so
        # nothing typed is lost on the way to confirm it.
        self.roles_need_step_up = bool(roles) and not has_recent_auth(actor)
        if self.roles_need_step_up:
            self.fields["roles"].disabled = True

    def clean_email(self) -> str:
        return invitation_actions.check_invitee(self.organization, self.cleaned_data["email"])


def _attach(form: forms.Form, exc: ValidationError) -> None:
    if hasattr(exc, "error_dict"):
        for field, errors in exc.message_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc.messages)


@portal_login_required
def invitation_create(request: AdminRequest, org: str) -> HttpResponse:
    organization = current_organization(request, org)
    require(request.actor, "invitations.manage", organization)
    form = InviteForm(request.POST or None, actor=request.actor, organization=organization)
    status = 200
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            invitation = invitation_actions.invite(
                actor=request.actor,
                organization=organization,
                email=data["email"],
                given_name=data["given_name"],
                family_name=data["family_name"],
                groups=list(data["groups"]),
                roles=list(data["roles"] or []),
                days=data["days"],
                locale=data["locale"],
            )
        except ValidationError as exc:
            _attach(form, exc)
            status = 400
        except StepUpRequired:
            form.add_error("roles", _("Confirm your identity again to include roles."))
            status = 403
        except PermissionDenied as exc:
            form.add_error(None, str(exc))
            status = 403
        else:
            messages.success(
                request, _("Invitation sent to %(email)s.") % {"email": invitation.email}
            )
            return redirect("portal:invitations", org=organization.key)
    elif request.method == "POST":
        status = 400
    here = reverse("portal:invitation_create", args=[organization.key])
    return render(
        request,
        "portal/invitations/invite.html",
        {
            **shell_context(request, organization, "invitations"),
            "form": form,
            "step_up_url": f"{reverse('portal:step_up')}?{urlencode({'next': here})}",
        },
        status=status,
    )


# ---- one invitation -----------------------------------------------------------------------------


@portal_login_required
def invitation_detail(request: AdminRequest, org: str, pk: Any) -> HttpResponse:
    organization = current_organization(request, org)
    invitation = _invitation_or_404(request, organization, pk)
    return render(
        request,
        "portal/invitations/detail.html",
        {
            **shell_context(request, organization, "invitations"),
            "invitation": invitation,
            "groups": invitation_groups(invitation),
            "roles": invitation_roles(invitation),
            "language": dict(settings.LANGUAGES).get(invitation.locale, invitation.locale),
        },
    )


def _back(request: HttpRequest, organization: Organization, invitation: Invitation) -> str:
    """Back to the invitation's page when the action came from there, else to the list."""
    detail = reverse("portal:invitation", args=[organization.key, invitation.pk])
    if request.POST.get("from") == "detail":
        return detail
    return reverse("portal:invitations", args=[organization.key])


@portal_login_required
@require_POST
def invitation_resend(request: AdminRequest, org: str, pk: Any) -> HttpResponse:
    organization = current_organization(request, org)
    invitation = _invitation_or_404(request, organization, pk)
    require(request.actor, "invitations.manage", organization)
    try:
        invitation = invitation_actions.resend_invitation(
            actor=request.actor, invitation=invitation
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(
            request, _("Invitation sent again to %(email)s.") % {"email": invitation.email}
        )
    return redirect(_back(request, organization, invitation))


@portal_login_required
@require_POST
def invitation_delete(request: AdminRequest, org: str, pk: Any) -> HttpResponse:
    organization = current_organization(request, org)
    invitation = _invitation_or_404(request, organization, pk)
    require(request.actor, "invitations.manage", organization)
    try:
        invitation = invitation_actions.revoke_invitation(
            actor=request.actor, invitation=invitation, reason=request.POST.get("reason", "")
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(
            request,
            _("Invitation to %(email)s deleted: its link no longer works.")
            % {"email": invitation.email},
        )
    return redirect(_back(request, organization, invitation))
