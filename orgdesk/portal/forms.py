"""The portal's forms: sign-in, second factor and step-up, and the Accounts and Invitations
tabs. (An Account details tab keeps its forms in its own module, beside the tab they serve.)"""

from typing import Any

from django import forms
from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from orgdesk.access.actor import Actor
from orgdesk.access.models import OrgRole
from orgdesk.access.selectors import roles_among
from orgdesk.accounts.models import Account, Group
from orgdesk.core.formfields import LanguageField
from orgdesk.invitations import actions as invitation_actions
from orgdesk.invitations.emails import invitation_language
from orgdesk.organizations.models import Organization
from orgdesk.security.stepup import has_recent_auth


class LoginForm(forms.Form):
    identifier = forms.CharField(
        label=gettext_lazy("Email, username or phone"),
        max_length=254,
        widget=forms.TextInput(attrs={"autocomplete": "username", "autofocus": True}),
    )
    password = forms.CharField(
        label=gettext_lazy("Password"),
        max_length=4096,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )


class CodeForm(forms.Form):
    code = forms.CharField(
        label=gettext_lazy("Code"),
        max_length=32,
        required=False,  # a passkey assertion comes without a code
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "autofocus": True}
        ),
    )


class StepUpForm(forms.Form):
    password = forms.CharField(
        label=gettext_lazy("Password"),
        required=False,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )
    code = forms.CharField(
        label=gettext_lazy("Or a code from your authenticator"), required=False, max_length=32
    )


class CreateAccountForm(forms.Form):
    PASSWORD_SET = "set"  # noqa: S105 (a choice value)
    PASSWORD_LINK = "link"  # noqa: S105 (a choice value)

    email = forms.EmailField(label=gettext_lazy("Email"), required=False, max_length=254)
    username = forms.CharField(label=gettext_lazy("Username"), required=False, max_length=150)
    phone = forms.CharField(
        label=gettext_lazy("Phone"),
        required=False,
        max_length=32,
        help_text=gettext_lazy("International format, such as +33612345678."),
    )
    given_name = forms.CharField(label=gettext_lazy("Given name"), max_length=150)
    family_name = forms.CharField(label=gettext_lazy("Family name"), max_length=150)
    locale = LanguageField(label=gettext_lazy("Preferred language"))
    password_choice = forms.ChoiceField(
        label=gettext_lazy("Password"),
        choices=[
            (PASSWORD_LINK, gettext_lazy("Email a link to set a password")),
            (PASSWORD_SET, gettext_lazy("Set an initial password")),
        ],
        initial=PASSWORD_LINK,
        widget=forms.RadioSelect,
    )
    password = forms.CharField(
        label=gettext_lazy("Initial password"),
        required=False,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        choice = data.get("password_choice")
        if choice == self.PASSWORD_SET and not data.get("password"):
            self.add_error("password", _("Enter the initial password."))
        if choice == self.PASSWORD_LINK and not data.get("email"):
            self.add_error("email", _("A set-password link needs an email address."))
        return data


class EditAccountForm(forms.ModelForm):
    reason = forms.CharField(
        label=gettext_lazy("Reason (optional)"),
        required=False,
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    # A choice of languages; the stored tag stays offered when the list does not hold it.
    locale = LanguageField(label=gettext_lazy("Preferred language"))

    class Meta:
        model = Account
        fields = [
            "username",
            "email",
            "phone",
            "given_name",
            "family_name",
            "display_name",
            "locale",
        ]

    def __init__(self, *args: Any, reason_required: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        locale = self.fields["locale"]
        assert isinstance(locale, LanguageField)
        locale.keep(self.instance.locale if self.instance else "")
        if reason_required:
            self.fields["reason"].label = gettext_lazy("Reason for changing identifiers")
            self.fields["reason"].help_text = gettext_lazy(
                "This account holds an organization role: changing its username, email or "
                "phone needs a reason, kept in its activity."
            )


class SetPasswordForm(forms.Form):
    password = forms.CharField(
        label=gettext_lazy("New password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    reason = forms.CharField(
        label=gettext_lazy("Reason (optional)"), required=False, max_length=500
    )


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


class BulkInviteForm(forms.Form):
    file = forms.FileField(
        label=gettext_lazy("CSV file"),
        error_messages={
            "required": gettext_lazy("Choose a CSV file to upload."),
            "empty": gettext_lazy(
                "The file is empty. Upload a CSV file with a header line and one row per invitee."
            ),
        },
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,text/csv,text/plain"}),
    )
    locale = forms.ChoiceField(
        label=gettext_lazy("Language of the invitations"), choices=settings.LANGUAGES
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        maximum = invitation_actions.max_days()
        self.fields["days"] = forms.IntegerField(
            label=_("Valid for (days)"),
            min_value=1,
            max_value=maximum,
            initial=invitation_actions.default_days(),
            help_text=_("From 1 to %(max)d days.") % {"max": maximum},
        )
        self.fields["locale"].initial = invitation_language(translation.get_language() or "")
