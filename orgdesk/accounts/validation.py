"""Identifier normalisation and validation shared by forms, the API and actions."""

from typing import Any

import phonenumbers
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db.models import Q
from django.utils.translation import gettext as _

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


def clean_identifiers(account: Any) -> None:
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


def identifier_conflicts(account: Any) -> dict[str, list[str]]:
    """Identifiers already taken in the account's identity store (the constraint's twin)."""
    from orgdesk.accounts.models import Account

    out: dict[str, list[str]] = {}
    store = account.organization.identity_store_id if account.organization_id else None
    scope = (
        Account.objects.filter(store=store) if store else Account.objects.filter(store__isnull=True)
    )
    scope = scope.exclude(pk=account.pk)
    for field in ("email", "username", "phone"):
        value = getattr(account, field)
        if value and scope.filter(Q(**{f"{field}__iexact": value})).exists():
            out[field] = [_("This identifier is already used in this organization hierarchy.")]
    return out
