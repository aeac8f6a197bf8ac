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
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from orgdesk.access.scoping import require
from orgdesk.invitations import actions as invitation_actions
from orgdesk.invitations.lists import INVITATIONS
from orgdesk.invitations.models import Invitation
from orgdesk.invitations.selectors import invitation_groups, invitation_roles, invitation_shown
from orgdesk.organizations.models import Organization
from orgdesk.portal.forms import InviteForm
from orgdesk.portal.listview import list_page
from orgdesk.portal.shell import current_organization, shell_context
from orgdesk.portal.views import portal_login_required
from orgdesk.security.middleware import AdminRequest
from orgdesk.security.stepup import StepUpRequired


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
