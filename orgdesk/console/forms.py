"""The console's forms. A parent is named by its route ("Acme / EMEA") or its key, as the
CLI names organizations (organizations.actions.resolve_organization)."""

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from orgdesk.organizations.actions import TreeError, resolve_organization
from orgdesk.organizations.models import Application, Organization


def _organization(ref: str) -> Organization:
    try:
        return resolve_organization(ref)
    except TreeError as exc:
        raise forms.ValidationError(str(exc)) from None


class OrganizationForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=200)
    parent = forms.CharField(
        label=_("Parent organization"),
        max_length=2000,
        required=False,
        help_text=_("Its route (Acme / EMEA) or key. Leave empty for the root of a new tree."),
    )
    application = forms.ModelChoiceField(
        label=_("Application"),
        queryset=Application.objects.order_by("name"),
        required=False,
        empty_label=_("The parent's (or the Organization Portal for a new tree)"),
    )
    hierarchy_unique_identifiers = forms.BooleanField(
        label=_("Identifiers unique across the whole tree"),
        required=False,
        initial=True,
        help_text=_(
            "For a new tree only: an email, username or phone number belongs to one account in "
            "the whole tree, so the tree can be searched as one."
        ),
    )

    def clean_parent(self) -> Organization | None:
        ref = self.cleaned_data["parent"].strip()
        return _organization(ref) if ref else None


class RenameForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=200)


class UniquenessForm(forms.Form):
    enabled = forms.BooleanField(
        label=_("Identifiers unique across the whole tree"), required=False
    )


class MoveForm(forms.Form):
    new_parent = forms.CharField(
        label=_("New parent organization"),
        max_length=2000,
        required=False,
        help_text=_("Its route (Acme / EMEA) or key. Leave empty to make it the root of a tree."),
    )

    def clean_new_parent(self) -> Organization | None:
        ref = self.cleaned_data["new_parent"].strip()
        return _organization(ref) if ref else None


class ConfirmDeleteForm(forms.Form):
    confirm = forms.CharField(label=_("Type the organization's name to confirm"), max_length=200)

    def __init__(self, *args: Any, organization: Organization, **kwargs: Any) -> None:
        self.organization = organization
        super().__init__(*args, **kwargs)

    def clean_confirm(self) -> str:
        typed = self.cleaned_data["confirm"].strip()
        if typed != self.organization.name:
            raise forms.ValidationError(_("That is not the organization's name."))
        return typed
