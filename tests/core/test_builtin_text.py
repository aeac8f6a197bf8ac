"""Built-in words stored in English are shown in the reader's language while they are still the
seeded English text; anything renamed or typed is shown as it is stored."""

import pytest
from django.utils import translation

from orgdesk.access.models import OrgRole
from orgdesk.access.permissions import BUILTIN_ROLES
from orgdesk.core.builtin_text import builtin_text, in_every_language
from orgdesk.notifications.builtins import NOTIFICATION_TEMPLATES
from orgdesk.notifications.models import NotificationTemplate
from orgdesk.security.models import DEFAULT_LABELS, Authenticator, recovery_codes_identifier


def test_builtin_text_translates_the_default_only() -> None:
    with translation.override("fr"):
        assert builtin_text("Passkey", "Passkey") == "Clé d'accès"
        assert builtin_text("Passkey ", "Passkey") == "Passkey "
        assert builtin_text("My phone", "Passkey") == "My phone"
        assert builtin_text("Passkey", None) == "Passkey"
        assert builtin_text("", "") == ""


def test_in_every_language_names_each_translation() -> None:
    assert in_every_language("Passkey") == {"Passkey", "Clé d'accès", "Llave de acceso"}


@pytest.mark.django_db
def test_builtin_roles_are_stored_in_english_and_shown_translated() -> None:
    admin = OrgRole.objects.get(slug="admin")
    assert admin.name == "Admin" and admin.builtin
    with translation.override("fr"):
        assert admin.display_name == "Administrateur"
        assert str(admin) == "Administrateur"
        assert admin.display_description.startswith("Tout le portail d'organisation")
    with translation.override("en"):
        assert admin.display_name == "Admin"


@pytest.mark.django_db
def test_a_renamed_builtin_role_and_a_custom_role_show_as_typed() -> None:
    OrgRole.objects.filter(slug="admin").update(name="Superviseurs", description="À nous")
    renamed = OrgRole.objects.get(slug="admin")
    custom = OrgRole.objects.create(slug="helpers", name="Admin", permissions=[])
    with translation.override("fr"):
        assert renamed.display_name == "Superviseurs"
        assert renamed.display_description == "À nous"
        # A custom role of the same words is not the built-in one.
        assert custom.display_name == "Admin"
        assert custom.builtin_default_name is None


def test_every_builtin_english_text_is_translated() -> None:
    texts = [name for name, _description, _permissions in BUILTIN_ROLES.values()]
    texts += [description for _name, description, _permissions in BUILTIN_ROLES.values()]
    texts += [name for _code, name, *_rest in NOTIFICATION_TEMPLATES]
    texts += list(DEFAULT_LABELS.values())
    # The same word in that language.
    same = {"fr": ["Invitation"], "de": ["Passkey"], "es": []}
    for lang, words in same.items():
        with translation.override(lang):
            untranslated = [text for text in texts if translation.gettext(text) == text]
        assert untranslated == words, lang


@pytest.mark.django_db
def test_notification_template_names_follow_their_code() -> None:
    reset = NotificationTemplate.objects.get(code="password_reset")
    assert reset.name == "Password reset"
    with translation.override("de"):
        assert reset.display_name == translation.gettext("Password reset") != "Password reset"
    reset.name = "Reset (brand wording)"
    with translation.override("de"):
        assert reset.display_name == "Reset (brand wording)"
    # Another template's built-in name is not this one's.
    other = NotificationTemplate(code="custom", name="Password reset")
    with translation.override("de"):
        assert other.display_name == "Password reset"


def test_default_authenticator_labels_and_recovery_code_counts() -> None:
    def authn(kind: str, label: str, identifier: str = "") -> Authenticator:
        return Authenticator(type=kind, label=label, identifier=identifier)

    Type = Authenticator.Type
    with translation.override("fr"):
        assert authn(Type.TOTP, "Authenticator app").display_label == (
            "Application d'authentification"
        )
        assert authn(Type.PASSKEY, "Passkey").display_label == "Clé d'accès"
        assert authn(Type.PASSKEY, "iCloud Keychain").display_label == "iCloud Keychain"
        # The default of another type is a label someone typed.
        assert authn(Type.SECURITY_KEY, "Passkey").display_label == "Passkey"
        codes = authn(Type.RECOVERY_CODES, "Recovery codes", recovery_codes_identifier(9))
        assert codes.display_label == "Codes de récupération"
        assert codes.display_identifier == "9 codes"
        assert authn(Type.RECOVERY_CODES, "Recovery codes", "1 codes").display_identifier == (
            "1 code"
        )
        assert authn(Type.EMAIL_OTP, "a@b.test", "a@b.test").display_identifier == "a@b.test"
    with translation.override("de"):
        assert codes.display_identifier == "9 Codes"
