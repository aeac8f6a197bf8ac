"""Writes to accounts. Each records its Event in the same transaction."""

from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from orgdesk.accounts.models import Account
from orgdesk.activity.recorder import record
from orgdesk.organizations.models import Organization

PROFILE_FIELDS = {
    "username",
    "email",
    "email_verified",
    "phone",
    "phone_verified",
    "given_name",
    "family_name",
    "display_name",
    "birthdate",
    "street",
    "city",
    "region",
    "postal_code",
    "country",
    "locale",
    "attributes",
}


@transaction.atomic
def create_account(
    *,
    actor: Any,
    organization: Organization | None,
    password: str | None = None,
    is_staff: bool = False,
    **fields: Any,
) -> Account:
    """Create an account in `organization` (None: a brand admin). Raises ValidationError."""
    unknown = set(fields) - PROFILE_FIELDS
    if unknown:
        raise ValueError(f"unknown account fields: {sorted(unknown)}")
    account = Account(organization=organization, is_staff=is_staff, **fields)
    account.store = organization.identity_store_id if organization else None
    account.full_clean(exclude=["password", "store"], validate_unique=False)
    account.set_password(password)
    try:
        with transaction.atomic():
            account.save()
    except IntegrityError:
        # Lost a race with another writer: same message as the pre-check.
        raise ValidationError(
            {"email": ["This identifier is already used in this organization hierarchy."]}
        ) from None
    record(
        "admin.created" if is_staff else "account.created",
        account=account,
        organization=organization,
        actor=actor,
    )
    return account


@transaction.atomic
def set_password(*, actor: Any, account: Account, password: str, reason: str = "") -> Account:
    account.set_password(password)
    account.save(update_fields=["password", "updated"])
    record(
        "account.password_set",
        account=account,
        actor=actor,
        metadata={"reason": reason} if reason else {},
    )
    return account
