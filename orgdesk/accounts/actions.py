"""Writes to accounts. Each records its Event in the same transaction."""

from typing import Any

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from orgdesk.accounts.models import Account
from orgdesk.activity.recorder import reason_metadata, record
from orgdesk.core.scoping import require
from orgdesk.organizations.models import Organization
from orgdesk.security.stepup import require_recent_auth

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
    if organization is not None:
        require(actor, "accounts.create", organization)
    elif actor is not None and not actor.is_staff:
        raise PermissionDenied("Only brand admins create brand admins.")
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
            {"email": [_("This identifier is already used in this organization hierarchy.")]}
        ) from None
    record(
        "admin.created" if is_staff else "account.created",
        account=account,
        organization=organization,
        actor=actor,
    )
    return account


def _not_self(actor: Any, account: Account, message: str) -> None:
    if actor is not None and actor.pk == account.pk:
        raise PermissionDenied(message)


@transaction.atomic
def set_password(*, actor: Any, account: Account, password: str, reason: str = "") -> Account:
    """An admin sets a customer's password (sensitive: permission, step-up, not oneself)."""
    require(actor, "accounts.set_password", account.organization)
    _not_self(actor, account, _("You cannot set the password of your own account."))
    require_recent_auth(actor)
    validate_password(password, user=account)
    account.set_password(password)
    account.save(update_fields=["password", "updated"])
    record("account.password_set", account=account, actor=actor, metadata=reason_metadata(reason))
    return account


@transaction.atomic
def disable_account(*, actor: Any, account: Account, reason: str = "") -> Account:
    require(actor, "accounts.disable", account.organization)
    _not_self(actor, account, _("You cannot disable your own account."))
    require_recent_auth(actor)
    account = Account.objects.select_for_update().get(pk=account.pk)
    if account.status == Account.Status.DISABLED:
        return account
    account.status = Account.Status.DISABLED
    account.save(update_fields=["status", "disabled_at", "updated"])
    from orgdesk.security.models import CustomerSession

    # A disabled account is signed out everywhere at once.
    CustomerSession.objects.filter(account=account, revoked_at__isnull=True).update(
        revoked_at=timezone.now()
    )
    record("account.disabled", account=account, actor=actor, metadata=reason_metadata(reason))
    return account


@transaction.atomic
def enable_account(*, actor: Any, account: Account, reason: str = "") -> Account:
    require(actor, "accounts.disable", account.organization)
    _not_self(actor, account, _("You cannot enable your own account."))
    account = Account.objects.select_for_update().get(pk=account.pk)
    if account.status == Account.Status.ENABLED:
        return account
    account.status = Account.Status.ENABLED
    account.save(update_fields=["status", "disabled_at", "updated"])
    record("account.enabled", account=account, actor=actor, metadata=reason_metadata(reason))
    return account


EDITABLE = PROFILE_FIELDS


@transaction.atomic
def update_account(*, actor: Any, account: Account, changes: dict[str, Any]) -> Account:
    """Change identifiers and profile fields; identifiers stay unique in the identity store."""
    require(actor, "accounts.edit", account.organization)
    unknown = set(changes) - EDITABLE
    if unknown:
        raise ValueError(f"fields that cannot be edited here: {sorted(unknown)}")
    if not changes:
        return account
    account = (
        Account.objects.select_for_update(of=("self",))
        .select_related("organization")
        .get(pk=account.pk)
    )
    for name, value in changes.items():
        setattr(account, name, value)
    if {"email"} & set(changes) and "email_verified" not in changes:
        account.email_verified = False  # a new address is not verified yet
    if {"phone"} & set(changes) and "phone_verified" not in changes:
        account.phone_verified = False
    account.full_clean(exclude=["password", "store", "picture"], validate_unique=False)
    try:
        with transaction.atomic():
            account.save()
    except IntegrityError:
        raise ValidationError(
            {"email": [_("This identifier is already used in this organization hierarchy.")]}
        ) from None
    record("account.updated", account=account, actor=actor, metadata={"fields": sorted(changes)})
    return account
