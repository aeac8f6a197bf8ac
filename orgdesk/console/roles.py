"""The console's Roles section: the organization roles (built-in and brand-defined) with what
they hold and how many grants hold them, the permission catalogue, and a brand-defined role's
create, edit and delete. Every write is an access.actions function (brand-only, with its event
in the same transaction); built-in roles are Orgdesk's own and shown read-only."""

from typing import Any

from django import forms
from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from orgdesk.access import actions
from orgdesk.access.models import OrgRole
from orgdesk.access.permissions import CATALOGUE
from orgdesk.access.selectors import (
    grant_counts,
    pending_invitations_giving,
    role_by_slug,
    roles_by_name,
)
from orgdesk.console.access import console_view
from orgdesk.console.shell import console_context
from orgdesk.portal.views import step_up_required
from orgdesk.security.middleware import AdminRequest
from orgdesk.security.stepup import has_recent_auth

SECTION = "roles"


class RoleForm(forms.Form):
    """A brand-defined role. The form checks the shape (lengths, known codes); the action
    checks the rest (a name no other role is known by, hidden characters) and has the last
    word."""

    name = forms.CharField(label=gettext_lazy("Name"), max_length=actions.NAME_MAX)
    description = forms.CharField(
        label=gettext_lazy("Description"),
        max_length=actions.DESCRIPTION_MAX,
        required=False,
        help_text=gettext_lazy("What the role is for, as the admins granting it will read it."),
    )
    permissions = forms.MultipleChoiceField(
        label=gettext_lazy("Permissions"),
        choices=list(CATALOGUE.items()),
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": gettext_lazy("Choose at least one permission.")},
    )
    protected = forms.BooleanField(
        label=gettext_lazy("Protected"),
        required=False,
        help_text=gettext_lazy(
            "Only brand admins grant and revoke a protected role; organization admins never "
            "can, whatever permissions they hold."
        ),
    )

    def fields_for_action(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "name": data["name"],
            "description": data["description"],
            "permissions": list(data["permissions"]),
            "protected": data["protected"],
        }


class DeleteRoleForm(forms.Form):
    """The confirm step: no field, the button is the confirmation; refusals show here."""


def _role(slug: str) -> OrgRole:
    role = role_by_slug(slug)
    if role is None:
        raise Http404("No such role.")
    return role


def _permissions_of(role: OrgRole) -> list[tuple[str, Any]]:
    """The role's codes with their catalogue descriptions (None for a code the catalogue no
    longer has), in the catalogue's order."""
    order = {code: n for n, code in enumerate(CATALOGUE)}
    codes = sorted(role.permission_set, key=lambda code: (order.get(code, len(order)), code))
    return [(code, CATALOGUE.get(code)) for code in codes]


def _posted(request: AdminRequest) -> Any:
    """The form data of a POST, even an empty one (then every required field says so)."""
    return request.POST if request.method == "POST" else None


def _step_up(request: AdminRequest) -> HttpResponse:
    messages.info(request, _("Confirm your identity to continue."))
    return redirect(f"{reverse('portal:step_up')}?{urlencode({'next': request.path})}")


@console_view
def role_list(request: AdminRequest) -> HttpResponse:
    roles = list(roles_by_name())
    counts = grant_counts()  # one grouped query for every role
    for role in roles:
        role.grant_count = counts.get(role.pk, 0)  # type: ignore[attr-defined]
        role.permission_count = len(role.permission_set)  # type: ignore[attr-defined]
    return render(
        request,
        "console/roles/list.html",
        {
            **console_context(request, SECTION),
            "roles": roles,
            "catalogue": list(CATALOGUE.items()),
        },
    )


@console_view
def role_create(request: AdminRequest) -> HttpResponse:
    form = RoleForm(_posted(request))
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                role = actions.create_role(actor=request.actor, **form.fields_for_action())
            except actions.GrantError as exc:
                form.add_error(None, str(exc))
            else:
                messages.success(
                    request, _("The role %(name)s was created.") % {"name": role.display_name}
                )
                return redirect("console:role", role.slug)
        status = 400
    return render(
        request,
        "console/roles/create.html",
        {**console_context(request, SECTION), "form": form},
        status=status,
    )


@console_view
def role_detail(request: AdminRequest, role: str) -> HttpResponse:
    found = _role(role)
    form = None
    refusal = ""
    status = 200
    if found.builtin:
        if request.method == "POST":
            # Read-only: the action's refusal, shown; nothing is written.
            try:
                actions.update_role(
                    actor=request.actor,
                    role=found,
                    name=found.name,
                    description=found.description,
                    permissions=list(found.permissions),
                    protected=found.protected,
                )
            except actions.GrantError as exc:
                refusal = str(exc)
            status = 400
    else:
        form = RoleForm(
            _posted(request),
            initial={
                "name": found.name,
                "description": found.description,
                "permissions": list(found.permissions),
                "protected": found.protected,
            },
        )
        if request.method == "POST":
            # Every grant of the role changes with it: only right after confirming one's
            # identity, as for a grant.
            if not has_recent_auth(request.actor):
                return _step_up(request)
            if form.is_valid():
                try:
                    found = actions.update_role(
                        actor=request.actor, role=found, **form.fields_for_action()
                    )
                except actions.GrantError as exc:
                    form.add_error(None, str(exc))
                else:
                    messages.success(request, _("The role was saved."))
                    return redirect("console:role", found.slug)
            status = 400
    return render(
        request,
        "console/roles/detail.html",
        {
            **console_context(request, SECTION),
            "role": found,
            "permissions": _permissions_of(found),
            "grant_count": grant_counts([found]).get(found.pk, 0),
            "form": form,
            "refusal": refusal,
        },
        status=status,
    )


@console_view
@step_up_required(return_to="console:roles")
def role_delete(request: AdminRequest, role: str) -> HttpResponse:
    found = _role(role)
    form = DeleteRoleForm(_posted(request))
    status = 200
    if request.method == "POST":
        try:
            actions.delete_role(actor=request.actor, role=found)
        except actions.GrantError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(
                request, _("The role %(name)s was deleted.") % {"name": found.display_name}
            )
            return redirect("console:roles")
        status = 400
    return render(
        request,
        "console/roles/delete.html",
        {
            **console_context(request, SECTION),
            "role": found,
            "permissions": _permissions_of(found),
            "grant_count": grant_counts([found]).get(found.pk, 0),
            "invitation_count": pending_invitations_giving(found),
            "form": form,
        },
        status=status,
    )
