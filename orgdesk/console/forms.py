"""The console's forms. A parent is named by its route ("Acme / EMEA") or its key, as the
CLI names organizations (organizations.actions.resolve_organization)."""

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from orgdesk.branding.models import BrandingPolicy, HeaderStyle
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
        # only the applications organizations are turned on for (console Applications)
        queryset=Application.objects.filter(organizations_enabled=True).order_by("name"),
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


COLOUR_HELP = _("#RRGGBB, e.g. #4f46e5")


class BrandingPolicyForm(forms.Form):
    """The branding policy editor. Colours, header styles and typefaces are checked again by
    branding.actions, whoever calls it."""

    name = forms.CharField(label=_("Name"), max_length=200)
    primary_color = forms.CharField(label=_("Primary colour"), max_length=7, help_text=COLOUR_HELP)
    font = forms.ChoiceField(label=_("Typography"), choices=BrandingPolicy.Font.choices)
    header_style = forms.ChoiceField(label=_("Header style"), choices=HeaderStyle.choices)
    logo = forms.FileField(
        label=_("Logo"),
        required=False,
        help_text=_(
            "PNG, JPEG, GIF or WebP, one frame, at most 512 KB; shown at most 512 px wide."
        ),
    )
    clear_logo = forms.BooleanField(label=_("Remove the logo"), required=False)
    signin_css = forms.CharField(label=_("Custom CSS"), required=False, widget=forms.Textarea)
    signin_script = forms.CharField(
        label=_("Additional script"), required=False, widget=forms.Textarea
    )
    portal_css = forms.CharField(label=_("Custom CSS"), required=False, widget=forms.Textarea)
    portal_script = forms.CharField(
        label=_("Additional script"), required=False, widget=forms.Textarea
    )
    emails_css = forms.CharField(label=_("Custom CSS"), required=False, widget=forms.Textarea)

    @classmethod
    def for_policy(
        cls, policy: BrandingPolicy, data: Any = None, files: Any = None
    ) -> "BrandingPolicyForm":
        initial = {
            "name": policy.name,
            "primary_color": policy.primary_color,
            "font": policy.font,
            "header_style": policy.header_style,
        }
        for surface in ("signin", "portal", "emails"):
            for kind in ("css", "script"):
                initial[f"{surface}_{kind}"] = policy.custom_text(surface, kind)
        return cls(data, files, initial=initial)

    def custom(self) -> dict[str, dict[str, str]]:
        data = self.cleaned_data
        return {
            surface: {
                kind: data.get(f"{surface}_{kind}", "") or ""
                for kind in ("css", "script")
                if f"{surface}_{kind}" in self.fields
            }
            for surface in ("signin", "portal", "emails")
        }


class NewPolicyForm(forms.Form):
    name = forms.CharField(label=_("Name of the new policy"), max_length=200)


class OverrideForm(forms.Form):
    """An organization's branding: predefined options only, never CSS."""

    background_color = forms.CharField(
        label=_("Background colour"),
        max_length=7,
        required=False,
        help_text=_("#RRGGBB; leave empty for the policy's."),
    )
    header_style = forms.ChoiceField(label=_("Header style"), choices=HeaderStyle.choices)
    logo = forms.FileField(
        label=_("Logo"),
        required=False,
        help_text=_("PNG, JPEG, GIF or WebP, one frame, at most 512 KB."),
    )
    clear_logo = forms.BooleanField(label=_("Remove the logo"), required=False)
