"""The console's branding: Policies > Branding (the policy editor, one policy per
application's look, with a live preview) and an organization's own override on its General
page. Every write is a branding.actions function (brand-only, its event in the same
transaction); what is refused comes back as form errors with nothing stored."""

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from orgdesk.branding import actions
from orgdesk.branding.models import SURFACES, OrganizationBranding
from orgdesk.branding.resolve import Branding
from orgdesk.branding.selectors import policies_with_applications, policy_by_id
from orgdesk.console.access import console_view
from orgdesk.console.forms import BrandingPolicyForm, NewPolicyForm, OverrideForm
from orgdesk.console.shell import console_context
from orgdesk.organizations.selectors import organization_by_key
from orgdesk.security.middleware import AdminRequest


def _add_errors(form: Any, exc: ValidationError) -> None:
    if hasattr(exc, "error_dict"):
        for field, errors in exc.error_dict.items():
            target = field if field in form.fields else None
            for error in errors:
                form.add_error(target, error)
    else:
        form.add_error(None, exc)


@console_view
def policy_list(request: AdminRequest) -> HttpResponse:
    form = NewPolicyForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                policy = actions.create_policy(actor=request.actor, name=form.cleaned_data["name"])
            except ValidationError as exc:
                _add_errors(form, exc)
            else:
                messages.success(request, _("The branding policy was created."))
                return redirect("console:branding_policy", policy.pk)
        status = 400
    policies = policies_with_applications()
    return render(
        request,
        "console/policies/branding_list.html",
        {**console_context(request, "policies"), "policies": policies, "form": form},
        status=status,
    )


@console_view
def policy_edit(request: AdminRequest, policy: str) -> HttpResponse:
    found = policy_by_id(policy)
    if found is None:
        raise Http404("No such policy.")
    form = BrandingPolicyForm.for_policy(found, request.POST or None, request.FILES or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            try:
                actions.update_policy(
                    actor=request.actor,
                    policy=found,
                    name=data["name"],
                    primary_color=data["primary_color"],
                    font=data["font"],
                    header_style=data["header_style"],
                    custom=form.custom(),
                    logo=data.get("logo"),
                    clear_logo=data["clear_logo"],
                )
            except ValidationError as exc:
                _add_errors(form, exc)
            else:
                messages.success(request, _("The branding policy was saved."))
                return redirect("console:branding_policy", found.pk)
        status = 400
    return render(
        request,
        "console/policies/branding_edit.html",
        {
            **console_context(request, "policies"),
            "policy": found,
            "form": form,
            "surfaces": SURFACES,
            "applications": found.applications.order_by("name"),
        },
        status=status,
    )


@console_view
@require_POST
def organization_branding(request: AdminRequest, org: str) -> HttpResponse:
    """The General page's Branding section: set the override, or clear it."""
    organization = organization_by_key(org)
    if organization is None:
        raise Http404("No such organization.")
    if "clear" in request.POST:
        actions.clear_override(actor=request.actor, organization=organization)
        messages.success(request, _("The organization's branding now follows its policy."))
        return redirect("console:organization", organization.key)
    form = OverrideForm(request.POST, request.FILES)
    if form.is_valid():
        data = form.cleaned_data
        try:
            actions.set_override(
                actor=request.actor,
                organization=organization,
                background_color=data["background_color"],
                header_style=data["header_style"],
                logo=data.get("logo"),
                clear_logo=data["clear_logo"],
            )
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            messages.success(request, _("The organization's branding was saved."))
            return redirect("console:organization", organization.key)
    from orgdesk.console.organizations import organization_general_page

    return organization_general_page(request, organization, branding_form=form, status=400)


def override_form(own: OrganizationBranding | None, resolved: Branding) -> OverrideForm:
    """The Branding section's form, filled with the organization's own override, else with
    the header style it shows now (inherited or the policy's)."""
    if own is not None:
        return OverrideForm(
            initial={"background_color": own.background_color, "header_style": own.header_style}
        )
    return OverrideForm(initial={"header_style": resolved.header})
