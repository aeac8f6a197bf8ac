"""The customer pages' forms: the enrolment link's code, and registering through an invitation."""

from typing import Any

from django import forms
from django.contrib.auth.password_validation import (
    password_validators_help_text_html,
    validate_password,
)
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from orgdesk.accounts.models import Account
from orgdesk.accounts.validation import hidden_character_errors
from orgdesk.invitations.models import Invitation


def _refuse_hidden_characters(form: forms.Form, data: dict[str, Any]) -> None:
    """Names with text-direction controls or other invisible characters: an error on the
    field (Account.clean refuses them too, but its error would not say which field)."""
    names: dict[str, Any] = {
        name: data[name] for name in ("given_name", "family_name") if name in data
    }
    errors = hidden_character_errors(names)
    if errors:
        form.add_error(None, errors)


class CodeForm(forms.Form):
    code = forms.CharField(
        label=gettext_lazy("Code"),
        max_length=32,
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "autofocus": True}
        ),
    )


class NamesForm(forms.Form):
    """The names alone: what a passkey registration sends before the browser's ceremony."""

    given_name = forms.CharField(label=gettext_lazy("Given name"), max_length=150)
    family_name = forms.CharField(label=gettext_lazy("Family name"), max_length=150)

    def clean(self) -> dict[str, Any]:
        super().clean()  # Form.clean() returns cleaned_data
        data = self.cleaned_data
        _refuse_hidden_characters(self, data)
        return data


class RegisterForm(forms.Form):
    given_name = forms.CharField(
        label=gettext_lazy("Given name"),
        max_length=150,
        widget=forms.TextInput(attrs={"autocomplete": "given-name"}),
    )
    family_name = forms.CharField(
        label=gettext_lazy("Family name"),
        max_length=150,
        widget=forms.TextInput(attrs={"autocomplete": "family-name"}),
    )
    password1 = forms.CharField(
        label=gettext_lazy("Password"),
        strip=False,
        max_length=4096,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    password2 = forms.CharField(
        label=gettext_lazy("Confirm the password"),
        strip=False,
        max_length=4096,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def __init__(self, *args: Any, invitation: Invitation, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.invitation = invitation
        self.fields["password1"].help_text = password_validators_help_text_html()

    def clean(self) -> dict[str, Any]:
        super().clean()  # Form.clean() returns cleaned_data
        data = self.cleaned_data
        _refuse_hidden_characters(self, data)
        first, second = data.get("password1"), data.get("password2")
        if first and second and first != second:
            self.add_error("password2", _("The two passwords do not match."))
        elif first:
            candidate = Account(
                organization=self.invitation.organization,
                email=self.invitation.email,
                given_name=data.get("given_name", ""),
                family_name=data.get("family_name", ""),
            )
            try:
                validate_password(first, user=candidate)
            except ValidationError as exc:
                self.add_error("password1", exc)
        return data
