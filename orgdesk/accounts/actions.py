"""Writes to accounts. Each records its Event in the same transaction."""

from typing import Any

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from orgdesk.access.actor import Actor
from orgdesk.access.protection import require_manage, require_not_last_admin, require_sign_in_change
from orgdesk.access.scoping import require, require_brand
from orgdesk.accounts import identifiers, passwords
from orgdesk.accounts.groups import may_join
from orgdesk.accounts.models import Account
from orgdesk.activity.recorder import reason_metadata, record
from orgdesk.notifications.delivery import queue_email
from orgdesk.notifications.models import Notification
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
    actor: Actor,
    organization: Organization | None,
    password: str | None = None,
    is_staff: bool = False,
    account_id: Any = None,
    **fields: Any,
) -> Account:
    """Create an account in `organization` (None: a brand admin). Raises ValidationError.
    `account_id`: a primary key chosen beforehand (a passkey registered while accepting an
    invitation carries it as its user handle). `password` None: no usable password."""
    if organization is not None:
        require(actor, "accounts.create", organization)
    else:
        require_brand(actor, "Only brand admins create brand admins.")
    unknown = set(fields) - PROFILE_FIELDS
    if unknown:
        raise ValueError(f"unknown account fields: {sorted(unknown)}")
    account = Account(organization=organization, is_staff=is_staff, **fields)
    if account_id is not None:
        account.pk = account_id
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


def _home(account: Account) -> Organization:
    """The organization of an account these actions manage: a customer's, an organization
    admin's (a brand admin has none; `require` could not be asked about it)."""
    assert account.organization is not None, "a customer account belongs to an organization"
    return account.organization


def _locked(account: Account) -> Account:
    """The account again, its row locked for the rest of the transaction, with its
    organization (which the event and the notification record) read in the same query; the
    organization's row is not locked."""
    return (
        Account.objects.select_for_update(of=("self",))
        .select_related("organization")
        .get(pk=account.pk)
    )


def _not_self(actor: Actor, account: Account, message: str) -> None:
    if actor.is_account(account):
        raise PermissionDenied(message)


@transaction.atomic
def set_password(*, actor: Actor, account: Account, password: str, reason: str = "") -> Account:
    """An admin sets a customer's password (sensitive: permission, step-up, not oneself)."""
    require(actor, "accounts.set_password", _home(account))
    _not_self(actor, account, _("You cannot set the password of your own account."))
    require_sign_in_change(actor, account, reason)
    require_recent_auth(actor)
    validate_password(password, user=account)
    account.set_password(password)
    account.save(update_fields=["password", "updated"])
    record("account.password_set", account=account, actor=actor, metadata=reason_metadata(reason))
    return account


@transaction.atomic
def set_password_by_operator(
    *, actor: Actor, account: Account, password: str, brand_admin: bool = False
) -> Account:
    """`orgdesk createadmin` run again for an existing admin: the password is set anew (a
    brand admin is made staff again). Only for the server's operator (a system actor)."""
    if not actor.is_system:
        raise PermissionDenied("Only the server's operator resets an admin this way.")
    account.set_password(password)
    fields = ["password", "updated"]
    if brand_admin:
        account.is_staff = True
        fields.append("is_staff")
    account.save(update_fields=fields)
    record("account.password_set", account=account, actor=actor, metadata={"via": actor.channel})
    return account


@transaction.atomic
def disable_account(*, actor: Actor, account: Account, reason: str = "") -> Account:
    require(actor, "accounts.disable", _home(account))
    _not_self(actor, account, _("You cannot disable your own account."))
    require_manage(actor, account)
    require_recent_auth(actor)
    account = _locked(account)
    if account.status == Account.Status.DISABLED:
        return account
    if not actor.is_system:
        require_not_last_admin(account)
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
def enable_account(*, actor: Actor, account: Account, reason: str = "") -> Account:
    require(actor, "accounts.disable", _home(account))
    _not_self(actor, account, _("You cannot enable your own account."))
    require_manage(actor, account)
    account = _locked(account)
    if account.status == Account.Status.ENABLED:
        return account
    account.status = Account.Status.ENABLED
    account.save(update_fields=["status", "disabled_at", "updated"])
    record("account.enabled", account=account, actor=actor, metadata=reason_metadata(reason))
    return account


EDITABLE = PROFILE_FIELDS


class AccountChanged(ValidationError):
    """The account changed after the caller read it (optimistic concurrency): nothing written."""

    def __init__(self) -> None:
        super().__init__(
            _(
                "This account was changed by someone else after you opened it. Nothing was "
                "saved: review the current values and make your changes again."
            ),
            code="stale",
        )


def _check_version(account: Account, if_updated: Any) -> None:
    """`if_updated`: the `updated` time the caller's form was built from (None: no check)."""
    if if_updated is not None and account.updated != if_updated:
        raise AccountChanged()


@transaction.atomic
def update_account(
    *,
    actor: Actor,
    account: Account,
    changes: dict[str, Any],
    if_updated: Any = None,
    reason: str = "",
) -> Account:
    """Change identifiers and profile fields; identifiers stay unique in the identity store.
    With `if_updated`, refuse (AccountChanged) when the account changed since that time.

    An admin's change of identifiers changes how the account signs in: it follows the rules of
    access/protection.py (an administrator's needs a reason and a recent sign-in), the new
    email or phone stays unverified until the customer proves it, and the old address is told
    (accounts/identifiers.py). Only the system marks an address verified here."""
    require(actor, "accounts.edit", _home(account))
    unknown = set(changes) - EDITABLE
    if unknown:
        raise ValueError(f"fields that cannot be edited here: {sorted(unknown)}")
    if not changes:
        return account
    if not actor.is_system and any(
        changes.get(name) for name in ("email_verified", "phone_verified")
    ):
        raise PermissionDenied(_("Only the customer can confirm that an address is theirs."))
    standing = require_manage(actor, account)
    sign_in = set(changes) & set(identifiers.SIGN_IN_IDENTIFIERS)
    if sign_in:
        standing = require_sign_in_change(actor, account, reason)
        if standing.needs_reason:
            require_recent_auth(actor)
    account = (
        Account.objects.select_for_update(of=("self",))
        .select_related("organization")
        .get(pk=account.pk)
    )
    _check_version(account, if_updated)
    old = {name: getattr(account, name) for name in identifiers.SIGN_IN_IDENTIFIERS}
    for name, value in changes.items():
        setattr(account, name, value)
    changed = {name for name in sign_in if old[name] != getattr(account, name)}
    if not actor.is_system:
        identifiers.mark_admin_set(account, changed)
    else:
        if "email" in changed and "email_verified" not in changes:
            account.email_verified = False  # a new address is not verified yet
        if "phone" in changed and "phone_verified" not in changes:
            account.phone_verified = False
    account.full_clean(exclude=["password", "store", "picture"], validate_unique=False)
    try:
        with transaction.atomic():
            account.save()
    except IntegrityError:
        raise ValidationError(
            {"email": [_("This identifier is already used in this organization hierarchy.")]}
        ) from None
    meta = {"fields": sorted(changes), **reason_metadata(reason)}
    record("account.updated", account=account, actor=actor, metadata=meta)
    if not actor.is_system and changed:
        identifiers.after_admin_change(actor=actor, account=account, old=old)
    return account


# ---- group memberships (Groups tab) -----------------------------------------------------------


def _group_metadata(group: Any) -> dict[str, str]:
    return {
        "group": str(group.pk),
        "group_name": group.name,
        "group_organization": str(group.organization_id),
    }


@transaction.atomic
def add_to_group(*, actor: Actor, account: Account, group: Any) -> Any:
    """Make `account` a member of `group`: a group of its own organization or of one above
    it (a group elsewhere in the tree would reach across branches). Raises ValidationError
    when the account cannot join or already belongs to the group."""
    from orgdesk.accounts.models import GroupMembership

    require(actor, "groups.manage", _home(account))
    require(actor, "groups.manage", group.organization)
    require_manage(actor, account)
    if not may_join(account.organization, group):
        raise ValidationError(
            _(
                "An account can only join groups of its own organization or of the "
                "organizations above it."
            )
        )
    already = _("%(name)s is already a member of %(group)s.") % {
        "name": account.get_full_name(),
        "group": group.name,
    }
    if GroupMembership.objects.filter(account=account, group=group).exists():
        raise ValidationError(already)
    try:
        with transaction.atomic():
            membership = GroupMembership.objects.create(account=account, group=group)
    except IntegrityError:  # a concurrent request added it first
        raise ValidationError(already) from None
    record("group.member_added", account=account, actor=actor, metadata=_group_metadata(group))
    return membership


@transaction.atomic
def remove_from_group(*, actor: Actor, account: Account, group: Any) -> None:
    """End `account`'s membership of `group`. Raises ValidationError if it is not a member."""
    from orgdesk.accounts.models import GroupMembership

    require(actor, "groups.manage", _home(account))
    require(actor, "groups.manage", group.organization)
    require_manage(actor, account)
    deleted, _rows = GroupMembership.objects.filter(account=account, group=group).delete()
    if not deleted:
        raise ValidationError(
            _("%(name)s is not a member of %(group)s.")
            % {"name": account.get_full_name(), "group": group.name}
        )
    record("group.member_removed", account=account, actor=actor, metadata=_group_metadata(group))


# ---- profile picture and password reset (Overview tab) ----------------------------------------


@transaction.atomic
def set_picture(*, actor: Actor, account: Account, picture: Any, if_updated: Any = None) -> Account:
    """Store a checked, re-encoded picture (orgdesk.accounts.pictures.Picture) as the account's
    profile picture. The file is written first; the one it replaces is deleted after commit."""
    from django.core.files.base import ContentFile

    require(actor, "accounts.edit", _home(account))
    require_manage(actor, account)
    account = Account.objects.select_for_update(of=("self",)).get(pk=account.pk)
    _check_version(account, if_updated)
    if picture.is_current(account):
        return account
    old = account.picture.name
    account.picture.save(picture.filename(account), ContentFile(picture.data), save=False)
    account.save(update_fields=["picture", "updated"])
    record(
        "account.picture_changed",
        account=account,
        actor=actor,
        metadata={"width": picture.width, "height": picture.height, "bytes": len(picture.data)},
    )
    if old and old != account.picture.name:
        storage = account.picture.storage
        transaction.on_commit(lambda: storage.delete(old))
    return account


@transaction.atomic
def clear_picture(*, actor: Actor, account: Account, if_updated: Any = None) -> Account:
    """Remove the account's profile picture (the file goes after commit)."""
    require(actor, "accounts.edit", _home(account))
    require_manage(actor, account)
    account = Account.objects.select_for_update(of=("self",)).get(pk=account.pk)
    _check_version(account, if_updated)
    old = account.picture.name
    if not old:
        return account
    storage = account.picture.storage
    account.picture = ""
    account.save(update_fields=["picture", "updated"])
    record("account.picture_removed", account=account, actor=actor)
    transaction.on_commit(lambda: storage.delete(old))
    return account


@transaction.atomic
def update_profile(
    *,
    actor: Actor,
    account: Account,
    changes: dict[str, Any],
    picture: Any = None,
    remove_picture: bool = False,
    if_updated: Any = None,
    reason: str = "",
) -> Account:
    """One save of the details page: field changes and a new (or removed) picture together,
    all or nothing. The first write checks the version and locks the row for the others."""
    check = if_updated
    if changes:
        account = update_account(
            actor=actor, account=account, changes=changes, if_updated=check, reason=reason
        )
        check = None
    if remove_picture:
        account = clear_picture(actor=actor, account=account, if_updated=check)
    elif picture is not None:
        account = set_picture(actor=actor, account=account, picture=picture, if_updated=check)
    return account


ANY_LINK = object()  # send_password_reset without the repeat check


@transaction.atomic
def send_password_reset(
    *, actor: Actor, account: Account, reason: str = "", after_link: Any = ANY_LINK
) -> Any:
    """Email the account a password reset link (orgdesk.accounts.passwords), recorded as a
    notification with its expiry. `after_link`: the id of the newest reset link the caller's
    page knew of (None: none); when a newer one exists already, the request is a repeat (a
    double submission, or another admin just sent one) and nothing is sent: returns None.
    Raises PermissionDenied, ValidationError (no email, disabled account)."""
    require(actor, "accounts.reset_password", _home(account))
    if require_sign_in_change(actor, account, reason).needs_reason:
        require_recent_auth(actor)
    account = _locked(account)
    if (
        after_link is not ANY_LINK
        and passwords.latest_link_id(account, "password_reset") != after_link
    ):
        return None
    identifiers.require_proven_email(account)
    try:
        return send_password_link(
            actor=actor, account=account, purpose="password_reset", reason=reason
        )
    except passwords.PasswordLinkError as exc:
        raise ValidationError(str(exc)) from None


# ---- password links (accounts/passwords.py makes and checks them) ----------------------------

# What each purpose's link is recorded as (activity/events.py): sent by an admin, then used
# by the customer.
LINK_SENT_EVENTS: dict[str, str] = {
    "set_password": "account.set_password_link_sent",
    "password_reset": "account.password_reset_sent",
}
LINK_USED_EVENTS: dict[str, str] = {
    "set_password": "password_created",
    "password_reset": "password_reset",
}


@transaction.atomic
def send_password_link(
    *, actor: Actor, account: Account, purpose: passwords.Purpose, reason: str = ""
) -> Notification:
    """Email the account a link to set (new account) or reset its password.

    Supersedes any earlier link of the same purpose. Raises PermissionDenied/Http404 (scoping)
    and PasswordLinkError (no email, disabled account).
    """
    passwords.check_purpose(purpose)
    if account.organization is None:
        require_brand(actor, "Only brand admins manage brand admins.")
    else:
        require(actor, passwords.PURPOSES[purpose], account.organization)
    account = _locked(account)
    if not account.email:
        raise passwords.PasswordLinkError(
            _("This account has no email address to send the link to.")
        )
    if not account.is_active:
        raise passwords.PasswordLinkError(
            _("This account is disabled. Enable it before sending a link.")
        )

    # The token covers the newest link of the purpose: made once the notification exists.
    notification = queue_email(
        account=account,
        template_code=purpose,
        target=account.email,
        values={"link": lambda _notification: passwords.link_for(account, purpose)},
    )
    record(
        LINK_SENT_EVENTS[purpose],
        account=account,
        actor=actor,
        metadata={"purpose": purpose, "notification": notification.pk, **reason_metadata(reason)},
    )
    return notification


@transaction.atomic
def complete_password_link(
    *, uidb64: str, purpose: passwords.Purpose, token: str, password: str, ip: str | None = None
) -> Account:
    """The customer sets a password through a link. Raises InvalidPasswordLink or
    ValidationError (password validators). A reset also signs the customer out everywhere."""
    found = passwords.account_for_link(uidb64, purpose, token)
    if found is None:
        raise passwords.InvalidPasswordLink(_("This link is no longer valid."))
    # Lock, then check again: two submissions of one link cannot both succeed.
    account = Account.objects.select_for_update().get(pk=found.pk)
    if not account.is_active or not passwords.TOKEN_GENERATORS[purpose].check_token(account, token):
        raise passwords.InvalidPasswordLink(_("This link is no longer valid."))
    validate_password(password, user=account)
    account.set_password(password)
    account.save(update_fields=["password", "updated"])
    metadata: dict[str, Any] = {"purpose": purpose}
    if purpose == "password_reset":
        from orgdesk.security.models import CustomerSession

        metadata["sessions_revoked"] = CustomerSession.objects.filter(
            account=account, revoked_at__isnull=True, expires__gt=timezone.now()
        ).update(revoked_at=timezone.now())
    record(
        LINK_USED_EVENTS[purpose],
        account=account,
        actor=Actor.customer(account, ip=ip),
        ip=ip,
        metadata=metadata,
    )
    return account
