"""Text-direction controls and other invisible characters are refused in names and addresses.

A right-to-left override (U+202E) makes "Ann\u202enahtaN" read as another name; zero-width and
other format characters make two names look the same. Every free-text account field an admin
or a customer types (given, family and display name, username, street, city, region, postal
code) refuses them, through Account.clean (accounts/validation.py), so every path that saves
an account does: the portal's Create account and the Overview edit forms, the edit account
page, and accepting an invitation. The names of an invitation are refused when it is sent (one
by one or in a CSV file) and when the invitee registers. The error is on the field, in the
admin's or customer's language. Joiners that spell Persian, Arabic and Indic names stay allowed.
"""

from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.utils import translation

from orgdesk.accounts import actions as account_actions
from orgdesk.accounts.models import Account
from orgdesk.accounts.validation import (
    ACCOUNT_TEXT_FIELDS,
    BIDI_CONTROLS,
    hidden_character_errors,
)
from orgdesk.invitations import actions as invitation_actions
from orgdesk.invitations.bulk import preview as bulk_preview
from orgdesk.invitations.models import ImportRow, Invitation
from orgdesk.testing.actors import SYSTEM, as_admin
from orgdesk.testing.world import World
from tests.detail_support import action_url
from tests.invitations.test_invitations import make_invitation

pytestmark = pytest.mark.django_db

BIDI = "Remove the invisible text-direction characters from this field."
INVISIBLE = "Remove the invisible formatting or control characters from this field."
PASSWORD = "plum tangerine cobalt 42"
PERSIAN = "می\u200cخواهم"  # noqa: RUF001 (Persian letters, a ZERO WIDTH NON-JOINER between)

# Every bidirectional control the check names.
BIDI_CHARS = [
    "\u202a",
    "\u202b",
    "\u202c",
    "\u202d",
    "\u202e",
    "\u2066",
    "\u2067",
    "\u2068",
    "\u2069",
    "\u200e",
    "\u200f",
    "\u061c",
]
# Other characters that show as nothing (or hide what follows).
INVISIBLE_CHARS = [
    "\u200b",  # ZERO WIDTH SPACE
    "\u2060",  # WORD JOINER
    "\ufeff",  # ZERO WIDTH NO-BREAK SPACE (BOM)
    "\u00ad",  # SOFT HYPHEN
    "\u180e",  # MONGOLIAN VOWEL SEPARATOR
    "\u2061",  # FUNCTION APPLICATION
    "\u206a",  # INHIBIT SYMMETRIC SWAPPING
    "\ufff9",  # INTERLINEAR ANNOTATION ANCHOR
    "\U000e0041",  # TAG LATIN CAPITAL LETTER A
    "\U0001d173",  # MUSICAL SYMBOL BEGIN BEAM
    "\u3164",  # HANGUL FILLER
    "\uffa0",  # HALFWIDTH HANGUL FILLER
    "\u2028",  # LINE SEPARATOR
    "\u2029",  # PARAGRAPH SEPARATOR
    "\x07",  # a control character
    "\x1b",
    "\x7f",
    "\x85",
    "\t",
    "\n",
]
# Names that must stay possible.
FINE = [
    "Émile Öztürk",
    "Łucja Żółć",
    "محمد عبد الله",  # Arabic: right to left by itself, no control needed
    "שרה כהן",  # Hebrew
    PERSIAN,
    "क्\u200dष",  # Devanagari, with a ZERO WIDTH JOINER
    "田中 太郎",
    "Nguyễn Văn An",
    "O'Brien-Smith Jr.",
    "Ann\u00a0Marie",  # NO-BREAK SPACE: a space that shows
    "👩\u200d💻",  # an emoji sequence
    "",
]


# ---- the check ---------------------------------------------------------------------------------


def test_the_check_names_every_bidi_control() -> None:
    assert set(BIDI_CHARS) == BIDI_CONTROLS


@pytest.mark.parametrize("ch", BIDI_CHARS, ids=lambda c: f"U+{ord(c):04X}")
def test_bidi_controls_are_refused(ch: str) -> None:
    for value in (f"Ann{ch}nahtaN", ch, f"{ch}Ann", f"Ann{ch}"):
        errors = hidden_character_errors({"given_name": value})
        assert [e.message for e in errors["given_name"]] == [BIDI]
        assert errors["given_name"][0].code == "bidi_characters"


@pytest.mark.parametrize("ch", INVISIBLE_CHARS, ids=lambda c: f"U+{ord(c):04X}")
def test_other_invisible_characters_are_refused(ch: str) -> None:
    errors = hidden_character_errors({"city": f"Par{ch}is"})
    assert [e.message for e in errors["city"]] == [INVISIBLE]


def test_a_bidi_control_is_named_first() -> None:
    errors = hidden_character_errors({"city": "\u200bPar\u202eis"})
    assert [e.message for e in errors["city"]] == [BIDI]


@pytest.mark.parametrize("value", FINE)
def test_ordinary_names_in_any_script_pass(value: str) -> None:
    assert hidden_character_errors({"given_name": value}) == {}


def test_only_the_fields_with_a_problem_have_errors() -> None:
    errors = hidden_character_errors(
        {"given_name": "Ann", "family_name": "Lee\u202e", "street": "1\u200b Main St", "city": 3}
    )
    assert set(errors) == {"family_name", "street"}


@pytest.mark.parametrize("lang", ["fr", "de", "es"])
def test_the_messages_are_translated(lang: str) -> None:
    with translation.override(lang):
        bidi = hidden_character_errors({"a": "\u202e"})["a"][0].message
        invisible = hidden_character_errors({"a": "\u200b"})["a"][0].message
    assert bidi != BIDI and invisible != INVISIBLE and bidi != invisible


# ---- the model ---------------------------------------------------------------------------------


@pytest.mark.parametrize("field", ACCOUNT_TEXT_FIELDS)
def test_account_full_clean_refuses_every_free_text_field(world: World, field: str) -> None:
    account = Account(organization=world.france, email="new@acme.test", given_name="New")
    setattr(account, field, "ab\u202ecd")
    with pytest.raises(ValidationError) as caught:
        account.full_clean(exclude=["password", "store"], validate_unique=False)
    assert BIDI in caught.value.message_dict[field]


def test_create_account_refuses_and_writes_nothing(world: World) -> None:
    before = Account.objects.count()
    with pytest.raises(ValidationError) as caught:
        account_actions.create_account(
            actor=as_admin(world.admin),
            organization=world.france,
            email="new@acme.test",
            given_name="New\u202e",
            family_name="Per\u200bson",
            street="1 Main\u2066 St",
        )
    errors = caught.value.message_dict
    assert errors["given_name"] == [BIDI]
    assert errors["family_name"] == [INVISIBLE]
    assert errors["street"] == [BIDI]
    assert Account.objects.count() == before


def test_update_account_refuses_a_new_value(world: World) -> None:
    for field in ACCOUNT_TEXT_FIELDS:
        value = "nora\u202e" if field == "username" else "Ab\u2067cd"
        with pytest.raises(ValidationError) as caught:
            account_actions.update_account(
                actor=as_admin(world.admin), account=world.inside, changes={field: value}
            )
        assert BIDI in caught.value.message_dict[field], field
        assert getattr(Account.objects.get(pk=world.inside.pk), field) != value


def test_a_value_stored_before_the_check_does_not_block_other_edits(world: World) -> None:
    """An address imported with a control character in it is the admin's to correct: it does
    not stop them from changing another field (which the form may not even show)."""
    Account.objects.filter(pk=world.inside.pk).update(street="1 Main\u202e St")
    account = account_actions.update_account(
        actor=as_admin(world.admin), account=world.inside, changes={"city": "Lyon"}
    )
    assert account.city == "Lyon" and account.street == "1 Main\u202e St"
    # Changing it to another value that still holds one is refused; cleaning it works.
    with pytest.raises(ValidationError):
        account_actions.update_account(
            actor=as_admin(world.admin), account=account, changes={"street": "2 Main\u202e St"}
        )
    fixed = account_actions.update_account(
        actor=as_admin(world.admin), account=account, changes={"street": "2 Main St"}
    )
    assert fixed.street == "2 Main St"


# ---- the portal forms --------------------------------------------------------------------------


def create_form(**overrides: str) -> dict[str, str]:
    return {
        "given_name": "Nora",
        "family_name": "Quist",
        "email": "nora@acme.test",
        "username": "",
        "phone": "",
        "password_choice": "set",
        "password": PASSWORD,
        **overrides,
    }


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("given_name", "Nora\u202eauq", BIDI),
        ("family_name", "\u2067Quist", BIDI),
        ("given_name", "No\u200bra", INVISIBLE),
        ("username", "nora\u200f", BIDI),
    ],
)
def test_create_account_form_shows_the_error_on_the_field(
    admin_client: Client, world: World, field: str, value: str, message: str
) -> None:
    response = admin_client.post(
        f"/portal/{world.france.key}/accounts/new", create_form(**{field: value})
    )
    assert response.status_code == 400
    form = response.context["form"]
    assert message in form.errors[field]
    assert not form.non_field_errors()
    assert message in response.content.decode()
    assert not Account.objects.filter(email="nora@acme.test").exists()


def test_create_account_form_accepts_a_persian_name(admin_client: Client, world: World) -> None:
    response = admin_client.post(
        f"/portal/{world.france.key}/accounts/new",
        create_form(given_name=PERSIAN, family_name="رضایی"),
    )
    assert response.status_code == 302
    assert Account.objects.get(email="nora@acme.test").given_name == PERSIAN


def _profile(account: Account, **changes: str) -> dict[str, str]:
    return {
        "version": account.updated.isoformat(),
        "given_name": account.given_name,
        "family_name": account.family_name,
        "display_name": account.display_name,
        "birthdate": "",
        "locale": account.locale,
        "street": account.street,
        "city": account.city,
        "region": account.region,
        "postal_code": account.postal_code,
        "country": account.country,
        **changes,
    }


@pytest.mark.parametrize(
    "field",
    ["given_name", "family_name", "display_name", "street", "city", "region", "postal_code"],
)
def test_overview_profile_form_shows_the_error_on_the_field(
    admin_client: Client, world: World, field: str
) -> None:
    account = Account.objects.get(pk=world.inside.pk)
    value = "75\u202e001" if field == "postal_code" else "Paris\u202esi"
    response = admin_client.post(
        action_url("account_update_profile", world.emea, account),
        _profile(account, **{field: value}),
    )
    assert response.status_code == 400
    form = response.context["profile_form"]
    assert form.errors[field] == [BIDI]
    assert BIDI in response.content.decode()
    assert getattr(Account.objects.get(pk=account.pk), field) != value


def test_overview_identifiers_form_refuses_a_username_with_a_bidi_control(
    admin_client: Client, world: World
) -> None:
    account = Account.objects.get(pk=world.inside.pk)
    response = admin_client.post(
        action_url("account_update_identifiers", world.emea, account),
        {
            "version": account.updated.isoformat(),
            "username": "inside\u202e",
            "email": account.email,
            "phone": account.phone,
        },
    )
    assert response.status_code == 400
    assert BIDI in response.context["identifiers_form"].errors["username"]
    assert Account.objects.get(pk=account.pk).username == account.username


def test_edit_account_page_refuses_on_the_field_and_tolerates_a_stored_value(
    admin_client: Client, world: World
) -> None:
    url = f"/portal/{world.emea.key}/accounts/{world.inside.pk}/edit"
    account = Account.objects.get(pk=world.inside.pk)
    data = {
        "username": account.username,
        "email": account.email,
        "phone": account.phone,
        "given_name": account.given_name,
        "family_name": account.family_name,
        "display_name": account.display_name,
    }
    response = admin_client.post(url, {**data, "display_name": "In\u202eside"})
    assert response.status_code == 400
    assert BIDI in response.context["form"].errors["display_name"]
    # A street stored with a control (a field this form does not have) is not in the way.
    Account.objects.filter(pk=account.pk).update(street="1 Main\u202e St")
    response = admin_client.post(url, {**data, "given_name": "Inès"})
    assert response.status_code == 302
    assert Account.objects.get(pk=account.pk).given_name == "Inès"


# ---- invitations -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [("given_name", "Iris\u202e", BIDI), ("family_name", "In\u2060vitee", INVISIBLE)],
)
def test_invite_form_shows_the_error_on_the_field(
    admin_client: Client, world: World, field: str, value: str, message: str
) -> None:
    response = admin_client.post(
        f"/portal/{world.emea.key}/invitations/new",
        {
            "email": "iris@example.test",
            "given_name": "Iris",
            "family_name": "Invitee",
            "days": "7",
            "locale": "en",
            field: value,
        },
    )
    assert response.status_code == 400
    assert response.context["form"].errors[field] == [message]
    assert not Invitation.objects.filter(email="iris@example.test").exists()


def test_invite_action_refuses_by_field(world: World) -> None:
    with pytest.raises(ValidationError) as caught:
        invitation_actions.invite(
            actor=as_admin(world.admin),
            organization=world.emea,
            email="iris@example.test",
            given_name="\u202eIris",
            family_name="Invitee\u200f",
        )
    assert caught.value.message_dict == {"given_name": [BIDI], "family_name": [BIDI]}
    assert not Invitation.objects.filter(email="iris@example.test").exists()


def test_bulk_invite_marks_the_row_invalid(world: World) -> None:
    data = (
        "email,given_name,family_name\n"
        "ok@example.test,Olga,Kay\n"
        "rlo@example.test,Ann\u202enahtaN,Lee\n"
        "zw@example.test,Zoe,Wi\u200bse\n"
    ).encode()
    job = bulk_preview.preview_bulk_invite(
        actor=as_admin(world.admin), organization=world.emea, filename="people.csv", data=data
    )
    rows = {row.data["email"]: row for row in ImportRow.objects.filter(job=job)}
    assert rows["ok@example.test"].status == ImportRow.Status.PENDING
    for email in ("rlo@example.test", "zw@example.test"):
        assert rows[email].status == ImportRow.Status.INVALID
        assert "invisible characters" in rows[email].error
    assert job.invalid_rows == 2


def _register(client: Client, token: str, **names: str) -> Any:
    assert client.get(f"/invite/{token}").status_code == 302
    return client.post(
        "/invite/register",
        {
            "given_name": "Iris",
            "family_name": "Invitee",
            "password1": PASSWORD,
            "password2": PASSWORD,
            **names,
        },
    )


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("given_name", "Iris\u202esirI", BIDI),
        ("family_name", "\u2066Invitee\u2069", BIDI),
        ("family_name", "Invi\ufefftee", INVISIBLE),
    ],
)
def test_registering_refuses_on_the_field(
    world: World, field: str, value: str, message: str
) -> None:
    _invitation, token = make_invitation(world.emea, "joiner@example.test")
    client = Client()
    response = _register(client, token, **{field: value})
    assert response.status_code == 400
    assert response.context["form"].errors[field] == [message]
    assert message in response.content.decode()
    assert not Account.objects.filter(email="joiner@example.test").exists()
    # Corrected, the same form goes through.
    fixed = client.post(
        "/invite/register",
        {
            "given_name": "Iris",
            "family_name": "Invitee",
            "password1": PASSWORD,
            "password2": PASSWORD,
        },
    )
    assert fixed.status_code == 302 and fixed["Location"] == "/invite/done"
    assert Account.objects.get(email="joiner@example.test").given_name == "Iris"


def test_registering_in_the_invitation_language_translates_the_error(world: World) -> None:
    options = invitation_actions.invitation_options(
        actor=SYSTEM, organization=world.emea, locale="fr"
    )
    _invitation, token = invitation_actions.issue_invitation(
        actor=SYSTEM, organization=world.emea, email="jean@example.test", options=options
    )
    response = _register(Client(), token, given_name="Jean\u202e")
    assert response.status_code == 400
    with translation.override("fr"):
        expected = translation.gettext(BIDI)
    assert expected != BIDI
    assert response.context["form"].errors["given_name"] == [expected]


def test_passkey_registration_refuses_the_names_first(world: World) -> None:
    _invitation, token = make_invitation(world.emea, "joiner@example.test")
    client = Client()
    assert client.get(f"/invite/{token}").status_code == 302
    response = client.post(
        "/invite/passkey/options", {"given_name": "Iris\u202e", "family_name": "Invitee"}
    )
    assert response.status_code == 400
    assert response.json()["errors"] == {"given_name": [BIDI]}


def test_accepting_refuses_names_the_form_did_not_check(world: World) -> None:
    """The action itself refuses (Account.clean), whatever called it."""
    _invitation, token = make_invitation(world.emea, "joiner@example.test")
    with pytest.raises(ValidationError) as caught:
        invitation_actions.accept_invitation(
            token=token, password=PASSWORD, given_name="Iris\u202e", family_name="Invitee"
        )
    assert caught.value.message_dict["given_name"] == [BIDI]
    assert not Account.objects.filter(email="joiner@example.test").exists()
