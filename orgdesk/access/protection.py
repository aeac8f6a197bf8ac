"""Who may manage whom: no admin manages an account more powerful than themselves.

Delegation cannot escalate by granting roles (access/actions.py); without this module it could
escalate through the target instead: change a more powerful admin's email, send a reset, sign
in as them. Two rules, each one function, used by every action that writes to an account and by
the screens that decide which buttons to offer:

1. `standing(actor, target).read_only`: an admin manages an account (identifiers, password,
   authenticators, sessions, status, groups, roles, profile) only when every permission the
   target holds, on every organization it holds roles on (cross-organization grants included),
   is also held by the actor over that same organization. Otherwise the account is read-only
   to that admin. A brand admin's account is read-only to every organization admin.
2. `standing(actor, target).sign_in_locked`: an account that holds any organization role is an
   administrator's; changing how it signs in (identifiers, password, authenticators) needs
   ADMIN_LEVEL, the permission to grant roles, on its home organization and on every
   organization it holds roles on, and such a change needs a reason and a recent sign-in
   (`needs_reason`), as disabling does. Okta's help-desk role works the same way: it resets the
   passwords of users without admin roles only.

The system actor (scripts, background jobs) and brand admins are not limited by rule 1 or
2, but brand admins still give a reason for sign-in changes of an administrator.
"""

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.core.exceptions import PermissionDenied, ValidationError
from django.utils.translation import gettext

from orgdesk.access.actor import Actor
from orgdesk.access.models import OrgRole, RoleAssignment
from orgdesk.access.permissions import VIEW_ONLY
from orgdesk.access.scoping import authority
from orgdesk.organizations.models import Organization

if TYPE_CHECKING:
    from orgdesk.accounts.models import Account

# The permission that makes a role an administrator's: whoever holds it can make anyone an
# admin, so only its holders may change how another administrator signs in.
ADMIN_LEVEL = "roles.assign"

# What an admin may still do on an account that is read-only to them: look.
READ_ONLY_KEEPS = VIEW_ONLY
# Permissions that change how an account signs in (rule 2). Editing identifiers is part of
# accounts.edit, which also covers the profile: the identifiers form asks `sign_in_locked`.
SIGN_IN_PERMISSIONS = frozenset(
    {"accounts.set_password", "accounts.reset_password", "authenticators.manage"}
)


class EscalationRefused(PermissionDenied):
    """The actor may not hand out, take away or use this much power."""


@dataclass(frozen=True)
class HeldGrant:
    organization_id: uuid.UUID
    path: str
    permissions: frozenset[str]


@dataclass(frozen=True)
class Standing:
    """What an actor may do to one account, beyond the permissions on its organization."""

    read_only: bool = False  # rule 1: the account holds more than the actor
    sign_in_locked: bool = False  # rule 2: an administrator's sign-in, without ADMIN_LEVEL
    needs_reason: bool = False  # sign-in changes of an administrator: reason and step-up
    message: str = ""  # why, for the screen and the refusal

    def allowed(self, permissions: frozenset[str]) -> frozenset[str]:
        """Of the permissions held on the account's organization, those usable on it."""
        if self.read_only:
            return permissions & READ_ONLY_KEEPS
        if self.sign_in_locked:
            return permissions - SIGN_IN_PERMISSIONS
        return permissions


FREE = Standing()


def held_grants(account_ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, list[HeldGrant]]:
    """The grants each account holds, whatever its status (a disabled admin enabled again gets
    them back, so they count), in one query."""
    ids = list(account_ids)
    out: dict[uuid.UUID, list[HeldGrant]] = {pk: [] for pk in ids}
    if not ids:
        return out
    rows = RoleAssignment.objects.filter(account_id__in=ids).values_list(
        "account_id", "organization_id", "organization__path", "role__permissions"
    )
    for account_id, org_id, path, perms in rows:
        out[account_id].append(HeldGrant(org_id, path, frozenset(perms)))
    return out


def _home_path(target: "Account") -> str | None:
    organization = getattr(target, "organization", None)
    return organization.path if organization is not None else None


def _standing(actor: Actor, target: "Account", grants: list[HeldGrant]) -> Standing:
    if actor.is_system:
        return FREE
    auth = authority(actor)
    is_admin = bool(grants)
    if auth.is_brand:
        return Standing(needs_reason=is_admin)
    if actor.is_account(target):
        return FREE  # one's own account: the actions refuse what one may not do to oneself
    if target.is_staff or target.organization_id is None:
        return Standing(
            read_only=True,
            message=gettext("This is a brand admin's account: it is read-only to you."),
        )
    for grant in grants:
        if not grant.permissions <= auth.permissions_at(grant.path):
            return Standing(
                read_only=True,
                message=gettext(
                    "This account holds permissions that you do not hold over the same "
                    "organizations, so it is read-only to you."
                ),
            )
    if is_admin:
        paths = {grant.path for grant in grants}
        home = _home_path(target)
        if home:
            paths.add(home)
        if any(ADMIN_LEVEL not in auth.permissions_at(path) for path in paths):
            return Standing(
                sign_in_locked=True,
                needs_reason=True,
                message=gettext(
                    "This account holds an organization role: only an admin who may grant "
                    "roles can change how it signs in."
                ),
            )
        return Standing(needs_reason=True)
    return FREE


def standing(actor: Actor, target: "Account") -> Standing:
    """What `actor` may do to `target` (see the module's rules)."""
    if actor.is_system:
        return FREE
    return _standing(actor, target, held_grants([target.pk])[target.pk])


def standings(actor: Actor, targets: Iterable["Account"]) -> dict[uuid.UUID, Standing]:
    """`standing` for many accounts (a page of the list) in one query."""
    targets = list(targets)
    if actor.is_system:
        return {t.pk: FREE for t in targets}
    grants = held_grants(t.pk for t in targets)
    return {t.pk: _standing(actor, t, grants[t.pk]) for t in targets}


def require_manage(actor: Actor, target: "Account") -> Standing:
    """PermissionDenied unless `actor` may manage `target` at all (rule 1)."""
    found = standing(actor, target)
    if found.read_only:
        raise EscalationRefused(found.message)
    return found


def require_sign_in_change(actor: Actor, target: "Account", reason: str = "") -> Standing:
    """PermissionDenied unless `actor` may change how `target` signs in (rules 1 and 2);
    ValidationError when the change needs a reason and none is given. The caller also
    requires a recent sign-in (step-up) when `needs_reason` is set."""
    found = require_manage(actor, target)
    if found.sign_in_locked:
        raise EscalationRefused(found.message)
    if found.needs_reason and not (reason or "").strip():
        raise ValidationError(
            gettext(
                "This account holds an organization role: give a reason for changing how it "
                "signs in."
            ),
            code="reason_required",
        )
    return found


def role_granting_holders(organization: Organization, *, excluding: "Account") -> bool:
    """Whether an enabled account other than `excluding` may still grant roles on
    `organization` (a grant carrying ADMIN_LEVEL on it or an organization above it)."""
    roles = [r.pk for r in OrgRole.objects.all() if ADMIN_LEVEL in r.permission_set]
    orgs = organization.lineage().values("id")
    return (
        RoleAssignment.objects.filter(role_id__in=roles, organization_id__in=orgs)
        .exclude(account_id=excluding.pk)
        .filter(account__status="enabled")
        .exists()
    )


def require_not_last_admin(
    account: "Account", organizations: Iterable[Organization] | None = None
) -> None:
    """Refuse to leave an organization with nobody who can grant roles there: `account` is
    about to lose ADMIN_LEVEL on `organizations` (default: everywhere it holds it)."""
    if organizations is None:
        organizations = [
            a.organization
            for a in RoleAssignment.objects.filter(account_id=account.pk).select_related(
                "organization", "role"
            )
            if ADMIN_LEVEL in a.role.permission_set
        ]
    for organization in {o.pk: o for o in organizations}.values():
        if not role_granting_holders(organization, excluding=account):
            raise PermissionDenied(
                gettext(
                    "%(name)s is the last person who can grant roles in %(organization)s. "
                    "Grant a role that can grant roles to someone else first."
                )
                % {"name": account.get_full_name() or str(account), "organization": organization}
            )


# ---- delegation: who may grant or revoke which role ---------------------------------------


def delegation_refusal(actor: Actor, organization: Organization, role: OrgRole) -> str:
    """Why `actor` may not grant (or revoke) `role` on `organization`; "" when they may. The
    one statement of DESIGN §4's rule: with ADMIN_LEVEL there, only roles whose permissions
    they hold there, never a protected role unless a brand admin. Used by the grant and revoke
    actions and by every screen or file that offers roles."""
    auth = authority(actor)
    if auth.is_brand:
        return ""
    held = auth.permissions_in(organization)
    if ADMIN_LEVEL not in held:
        return gettext("You do not have the %(permission)s permission on this organization.") % {
            "permission": ADMIN_LEVEL
        }
    if role.protected:
        return gettext("This role is protected: only brand admins assign it.")
    if not role.permission_set <= held:
        return gettext("You can only assign roles whose permissions you hold on this organization.")
    return ""


def may_grant(actor: Actor, organization: Organization, role: OrgRole) -> bool:
    return not delegation_refusal(actor, organization, role)
