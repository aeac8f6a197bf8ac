"""The console's Organizations section: the tree (browse, search by name or route), create
under a parent, an organization's General page (rename, identifier uniqueness), move a
subtree, delete an empty one. Every write is an organizations.actions function (brand-only,
with its event in the same transaction); the list is the shared list page (ui/lists.py)."""

from typing import Any

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _

from orgdesk.accounts.lists import ACCOUNTS
from orgdesk.accounts.selectors import account_counts
from orgdesk.console.access import console_view
from orgdesk.console.forms import (
    ConfirmDeleteForm,
    MoveForm,
    OrganizationForm,
    RenameForm,
    UniquenessForm,
)
from orgdesk.console.shell import console_context
from orgdesk.invitations.lists import INVITATIONS
from orgdesk.lists import ListResult
from orgdesk.organizations import actions
from orgdesk.organizations.lists import ORGANIZATIONS
from orgdesk.organizations.models import Organization
from orgdesk.organizations.selectors import child_counts, deletion_impact, organization_by_key
from orgdesk.portal.shell import current_organization, preferences
from orgdesk.portal.views import step_up_required
from orgdesk.security.middleware import AdminRequest
from orgdesk.ui.lists import list_page


@console_view
def organization_list(request: AdminRequest) -> HttpResponse:
    def counts(result: ListResult, here: str) -> dict[str, Any]:
        # Two grouped counts for the page's rows, not two queries a row.
        ids = [org.pk for org in result.page.rows]
        accounts, children = account_counts(ids), child_counts(ids)
        for org in result.page.rows:
            org.account_count = accounts.get(org.pk, 0)
            org.child_count = children.get(org.pk, 0)
        return {}

    return list_page(
        request,
        ORGANIZATIONS,
        within=None,
        here=reverse("console:organizations"),
        pref=preferences(request.user),
        surroundings=console_context(request, "organizations"),
        templates="console/organizations",
        extra=counts,
    )


@console_view
def organization_create(request: AdminRequest) -> HttpResponse:
    initial = {}
    parent_key = request.GET.get("parent", "")
    if parent_key:
        parent = organization_by_key(parent_key)
        if parent is not None:
            initial["parent"] = parent.route
    form = OrganizationForm(request.POST or None, initial=initial)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            try:
                organization = actions.create_organization(
                    actor=request.actor,
                    name=data["name"],
                    parent=data["parent"],
                    application=data["application"],
                    hierarchy_unique_identifiers=data["hierarchy_unique_identifiers"],
                )
            except actions.TreeError as exc:
                form.add_error(None, str(exc))
            else:
                messages.success(
                    request, _("%(route)s was created.") % {"route": organization.route}
                )
                return redirect("console:organization", organization.key)
        status = 400
    return render(
        request,
        "console/organizations/create.html",
        {**console_context(request, "organizations"), "form": form},
        status=status,
    )


def _page(
    request: AdminRequest, organization: Organization, template: str, **context: Any
) -> dict[str, Any]:
    return {
        **console_context(request, "organizations"),
        "organization": organization,
        "ancestors": list(organization.ancestors()),
        "children": list(organization.children.order_by("name")[:50]),
        **context,
    }


@console_view
def organization_general(request: AdminRequest, org: str) -> HttpResponse:
    organization = current_organization(request, org)
    rename = RenameForm(
        request.POST if request.POST.get("form") == "rename" else None,
        initial={"name": organization.name},
    )
    uniqueness = UniquenessForm(
        request.POST if request.POST.get("form") == "uniqueness" else None,
        initial={"enabled": organization.hierarchy_unique_identifiers},
    )
    if request.method == "POST":
        chosen = {"rename": rename, "uniqueness": uniqueness}.get(request.POST.get("form", ""))
        if chosen is None:
            return redirect("console:organization", organization.key)
        if chosen.is_valid():
            try:
                if chosen is rename:
                    organization = actions.rename_organization(
                        actor=request.actor,
                        organization=organization,
                        name=rename.cleaned_data["name"],
                    )
                    messages.success(request, _("The organization was renamed."))
                else:
                    organization = actions.set_hierarchy_uniqueness(
                        actor=request.actor,
                        root=organization,
                        enabled=uniqueness.cleaned_data["enabled"],
                    )
                    messages.success(request, _("Identifier uniqueness was changed."))
            except actions.TreeError as exc:
                chosen.add_error(None, str(exc))
            else:
                return redirect("console:organization", organization.key)
        return organization_general_page(
            request, organization, rename=rename, uniqueness=uniqueness, status=400
        )
    return organization_general_page(request, organization, rename=rename, uniqueness=uniqueness)


def organization_general_page(
    request: AdminRequest,
    organization: Organization,
    *,
    rename: RenameForm | None = None,
    uniqueness: UniquenessForm | None = None,
    branding_form: Any = None,
    status: int = 200,
) -> HttpResponse:
    """The General page with its forms (those given keep what was sent and its errors)."""
    from orgdesk.branding.resolve import resolve
    from orgdesk.branding.selectors import own_override
    from orgdesk.console.branding import override_form

    own = own_override(organization)
    resolved = resolve(organization)
    return render(
        request,
        "console/organizations/general.html",
        _page(
            request,
            organization,
            "general",
            rename=rename or RenameForm(initial={"name": organization.name}),
            uniqueness=uniqueness
            or UniquenessForm(initial={"enabled": organization.hierarchy_unique_identifiers}),
            branding_form=branding_form or override_form(own, resolved),
            own_branding=own,
            resolved=resolved,
            inherited_from=(
                resolved.override.organization
                if resolved.override is not None and own is None
                else None
            ),
            impact=deletion_impact(organization),
            tab="general",
        ),
        status=status,
    )


def _tab_list(request: AdminRequest, org: str, spec: Any, tab: str, templates: str) -> HttpResponse:
    """An organization's list tab in the console: the portal's list (the same spec, filters,
    rows and templates), its rows opening the portal's pages, where a brand admin has every
    capability."""
    from orgdesk.access.scoping import authority
    from orgdesk.portal.accounts import list_extra

    organization = current_organization(request, org)
    here = reverse(f"console:organization_{tab}", args=[organization.key])
    row_base = reverse(f"portal:{tab}", args=[organization.key]) + "/"

    def extra(result: ListResult, _here: str) -> dict[str, Any]:
        if spec is ACCOUNTS:
            return list_extra(request, organization, result, row_base)
        return {"row_base": row_base}

    return list_page(
        request,
        spec,
        within=organization,
        here=here,
        pref=preferences(request.user),
        surroundings=_page(
            request,
            organization,
            tab,
            tab=tab,
            perms=authority(request.actor).permissions_in(organization),
        ),
        templates=templates,
        extra=extra,
    )


@console_view
def organization_accounts(request: AdminRequest, org: str) -> HttpResponse:
    return _tab_list(request, org, ACCOUNTS, "accounts", "console/organizations/accounts")


@console_view
def organization_invitations(request: AdminRequest, org: str) -> HttpResponse:
    return _tab_list(request, org, INVITATIONS, "invitations", "console/organizations/invitations")


@console_view
@step_up_required(return_to="console:organizations")
def organization_move(request: AdminRequest, org: str) -> HttpResponse:
    organization = current_organization(request, org)
    form = MoveForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                moved = actions.move_organization(
                    actor=request.actor,
                    organization=organization,
                    new_parent=form.cleaned_data["new_parent"],
                )
            except actions.TreeError as exc:
                form.add_error("new_parent", str(exc))
            else:
                messages.success(request, _("Moved: now %(route)s.") % {"route": moved.route})
                return redirect("console:organization", moved.key)
        status = 400
    return render(
        request,
        "console/organizations/move.html",
        _page(request, organization, "move", form=form, tab="move"),
        status=status,
    )


@console_view
@step_up_required(return_to="console:organizations")
def organization_delete(request: AdminRequest, org: str) -> HttpResponse:
    organization = current_organization(request, org)
    impact = deletion_impact(organization)
    form = ConfirmDeleteForm(request.POST or None, organization=organization)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            parent = organization.parent
            try:
                actions.delete_organization(actor=request.actor, organization=organization)
            except actions.TreeError as exc:
                form.add_error(None, str(exc))
            else:
                messages.success(
                    request, _("%(route)s was deleted.") % {"route": organization.route}
                )
                if parent is not None:
                    return redirect("console:organization", parent.key)
                return redirect("console:organizations")
        status = 400
    return render(
        request,
        "console/organizations/delete.html",
        _page(request, organization, "delete", form=form, impact=impact, tab="delete"),
        status=status,
    )
