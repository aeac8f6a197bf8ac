"""Identifier normalisation and validation shared by forms, the API and actions."""

import unicodedata
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import phonenumbers
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db.models import Q
from django.utils.translation import gettext as _

if TYPE_CHECKING:
    from orgdesk.accounts.models import Account

USERNAME_ALLOWED = set("abcdefghijklmnopqrstuvwxyz0123456789._-@+")


def normalize_phone(raw: str, region: str | None = None) -> str:
    """Return the E.164 form of a phone number or raise ValidationError."""
    raw = (raw or "").strip()
    if not raw:
        return ""
    try:
        number = phonenumbers.parse(raw, region)
    except phonenumbers.NumberParseException:
        raise ValidationError(
            _("Enter a phone number in international format, such as +33612345678."),
            code="invalid_phone",
        ) from None
    if not phonenumbers.is_valid_number(number):
        raise ValidationError(_("This phone number is not valid."), code="invalid_phone")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def clean_identifiers(account: "Account") -> None:
    """Normalise identifiers in place and check them; raises ValidationError by field."""
    errors: dict[str, list[str]] = {}
    account.email = (account.email or "").strip()
    account.username = (account.username or "").strip()
    if account.email:
        try:
            validate_email(account.email)
        except ValidationError:
            errors.setdefault("email", []).append(_("Enter a valid email address."))
    if account.username and any(ch not in USERNAME_ALLOWED for ch in account.username.lower()):
        errors.setdefault("username", []).append(
            _("Usernames may contain letters, digits and . _ - @ + only.")
        )
    if account.phone:
        try:
            account.phone = normalize_phone(account.phone)
        except ValidationError as exc:
            errors.setdefault("phone", []).extend(exc.messages)
    if not (account.email or account.username or account.phone):
        errors.setdefault("email", []).append(
            _("An account needs at least one identifier: email, username or phone.")
        )
    if not errors:
        errors.update(identifier_conflicts(account))
    if errors:
        raise ValidationError(errors)


def identifier_conflicts(account: "Account") -> dict[str, list[str]]:
    """Identifiers already taken in the account's identity store (the constraint's twin).
    The account's own class is asked, so this module needs no import of the model (which
    imports it)."""
    accounts = type(account)._default_manager
    out: dict[str, list[str]] = {}
    organization = account.organization
    store = organization.identity_store_id if organization is not None else None
    scope = accounts.filter(store=store) if store else accounts.filter(store__isnull=True)
    scope = scope.exclude(pk=account.pk)
    for field in ("email", "username", "phone"):
        value = getattr(account, field)
        # as the uniqueness constraints compare (lower(email), lower(username), phone)
        lookup = field if field == "phone" else f"{field}__lower"
        if value and scope.filter(Q(**{lookup: value})).exists():
            out[field] = [_("This identifier is already used in this organization hierarchy.")]
    return out


# ---- hidden characters in free text -----------------------------------------------------------

# Characters that change the order text is shown in without being seen themselves: with a
# right-to-left override (U+202E), "Evil\u202egnp.exe" reads "Evilexe.png". Refused in every
# free-text field a person types (names, username, address), like the other invisible
# formatting and control characters (zero-width spaces, soft hyphens, tag characters, word
# joiners, the blank Hangul fillers), which can make two different names look the same.
BIDI_CONTROLS = frozenset(
    "\u061c"  # ARABIC LETTER MARK
    "\u200e\u200f"  # LEFT-TO-RIGHT MARK, RIGHT-TO-LEFT MARK
    "\u202a\u202b\u202c\u202d\u202e"  # LRE, RLE, PDF, LRO, RLO
    "\u2066\u2067\u2068\u2069"  # LRI, RLI, FSI, PDI
)
# Zero-width (non-)joiners are format characters too, but Persian, Arabic and Indic names and
# emoji sequences need them to be spelt right: they stay allowed.
JOINERS = frozenset("\u200c\u200d")
# Letters that show as nothing at all.
BLANK_LETTERS = frozenset("\u115f\u1160\u3164\uffa0")
# Format (Cf), control (Cc), line and paragraph separator (Zl, Zp) characters.
INVISIBLE_CATEGORIES = frozenset({"Cf", "Cc", "Zl", "Zp"})
# The free-text fields of an account that admins and customers type.
ACCOUNT_TEXT_FIELDS = (
    "given_name",
    "family_name",
    "display_name",
    "username",
    "street",
    "city",
    "region",
    "postal_code",
)


def _hidden_kind(value: str) -> str:
    """What `value` hides: "bidi" for a text-direction control, "invisible" for another
    invisible formatting or control character, "" when every character shows."""
    found = ""
    for ch in value:
        if ch in BIDI_CONTROLS:
            return "bidi"
        if ch in JOINERS:
            continue
        # str.isprintable() is True for most characters, and cheap: the category is looked
        # up only for the rest (spaces other than " ", format, control, private characters).
        if ch in BLANK_LETTERS or (
            not ch.isprintable() and unicodedata.category(ch) in INVISIBLE_CATEGORIES
        ):
            found = "invisible"
    return found


def hidden_character_errors(values: Mapping[str, Any]) -> dict[str, list[ValidationError]]:
    """The check for text-direction controls and other invisible characters, by field: for
    each value (a field name → the text typed) that holds one, an error to show on that field.
    Forms add them with `form.add_error(None, errors)`; models raise ValidationError(errors)."""
    errors: dict[str, list[ValidationError]] = {}
    for field, value in values.items():
        kind = _hidden_kind(value) if isinstance(value, str) else ""
        if kind == "bidi":
            message = _("Remove the invisible text-direction characters from this field.")
        elif kind == "invisible":
            message = _("Remove the invisible formatting or control characters from this field.")
        else:
            continue
        errors[field] = [ValidationError(message, code=f"{kind}_characters")]
    return errors


def clean_account_text(account: "Account") -> None:
    """Refuse hidden characters in the free-text fields of an account (Account.clean).

    Only what is being entered is refused: a value the account already holds in the database
    (written before this check, or by an import) is left for an admin to correct, so that
    editing one field is not blocked by another one that the form may not even show. That
    costs a query only when a field holds such a character."""
    errors = hidden_character_errors({name: getattr(account, name) for name in ACCOUNT_TEXT_FIELDS})
    if errors and not account._state.adding and account.pk is not None:
        stored = type(account)._default_manager.filter(pk=account.pk).values(*errors).first()
        for name in list(errors):
            if stored is not None and stored[name] == getattr(account, name):
                del errors[name]
    if errors:
        raise ValidationError(errors)
