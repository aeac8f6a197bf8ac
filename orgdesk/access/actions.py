"""Role grants and revocations, with the delegation rules of DESIGN §4: an admin grants or
revokes only roles whose permissions they hold on that organization, never their own roles,
never protected roles, and only right after confirming their identity (step-up). And the
brand-defined roles themselves: create, update, delete (brand admins and scripts only; the
built-in roles are Orgdesk's and read-only)."""

from collections.abc import Iterable
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import ProtectedError
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from orgdesk.access.actor import Actor
from orgdesk.access.models import OrgRole, RoleAssignment
from orgdesk.access.permissions import ALL
from orgdesk.access.protection import (
    ADMIN_LEVEL,
    EscalationRefused,
    delegation_refusal,
    require_manage,
    require_not_last_admin,
)
from orgdesk.access.scoping import require, require_brand
from orgdesk.access.selectors import pending_invitations_giving
from orgdesk.accounts.validation import hidden_character_errors
from orgdesk.activity.recorder import record
from orgdesk.core.builtin_text import in_every_language
from orgdesk.organizations.models import Organization
from orgdesk.security.stepup import require_recent_auth


class GrantError(ValueError):
    """The grant makes no sense whoever asks (e.g. another identity store)."""


def _check_delegation(
    actor: Actor, account: Any, organization: Organization, role: OrgRole
) -> None:
    if actor.is_system:
        return
    require(actor, "roles.assign", organization)
    if actor.is_account(account):
        raise EscalationRefused(_("You cannot change your own roles."))
    refusal = delegation_refusal(actor, organization, role)
    if refusal:
        raise EscalationRefused(refusal)
    require_manage(actor, account)
    require_recent_auth(actor)


def _same_store(account: Any, organization: Organization) -> None:
    if account.organization_id is None:
        raise GrantError(_("Brand admins hold no organization roles; they see every organization."))
    home_root = Organization.objects.values_list("root_id", flat=True).get(
        pk=account.organization_id
    )
    if home_root != organization.root_id:
        raise GrantError(
            _(
                "An organization role can only be granted to an account of the same identity "
                "store (the same organization tree)."
            )
        )


def _meta(role: OrgRole, organization: Organization, reason: str) -> dict[str, str]:
    meta = {"role": role.slug, "organization": str(organization.pk)}
    reason = (reason or "").strip()[:500]
    if reason:
        meta["reason"] = reason
    return meta


@transaction.atomic
def grant_role(
    *, actor: Actor, account: Any, organization: Organization, role: OrgRole, reason: str = ""
) -> tuple[RoleAssignment, bool]:
    _check_delegation(actor, account, organization, role)
    _same_store(account, organization)
    assignment, created = RoleAssignment.objects.get_or_create(
        account=account,
        organization=organization,
        role=role,
        defaults={"granted_by": actor.admin_account},
    )
    if created:
        record(
            "role.granted",
            account=account,
            organization=organization,
            actor=actor,
            metadata=_meta(role, organization, reason),
        )
    return assignment, created


def _keep_a_role_granter(assignment: RoleAssignment) -> None:
    """Revoking this grant must not leave its organization with nobody who can grant roles.
    The account keeps the right when another of its grants gives it there."""
    organization = assignment.organization
    others = (
        RoleAssignment.objects.filter(account_id=assignment.account_id)
        .exclude(pk=assignment.pk)
        .select_related("organization", "role")
    )
    for other in others:
        if ADMIN_LEVEL in other.role.permission_set and organization.path.startswith(
            other.organization.path
        ):
            return
    if assignment.account.status == "enabled":
        require_not_last_admin(assignment.account, [organization])


@transaction.atomic
def revoke_role(*, actor: Actor, assignment: RoleAssignment, reason: str = "") -> None:
    _check_delegation(actor, assignment.account, assignment.organization, assignment.role)
    account, organization, role = assignment.account, assignment.organization, assignment.role
    if not actor.is_system and ADMIN_LEVEL in role.permission_set:
        _keep_a_role_granter(assignment)
    assignment.delete()
    record(
        "role.revoked",
        account=account,
        organization=organization,
        actor=actor,
        metadata=_meta(role, organization, reason),
    )


# ---- brand-defined roles (the console's Roles section, the CLI) -------------------------------

# Words of the console's role URLs (/console/roles/new): a role's slug never takes one.
RESERVED_ROLE_SLUGS = frozenset({"new"})

NAME_MAX = OrgRole._meta.get_field("name").max_length or 150
DESCRIPTION_MAX = OrgRole._meta.get_field("description").max_length or 500
SLUG_MAX = OrgRole._meta.get_field("slug").max_length or 100


def _require_role_definer(actor: Actor) -> None:
    require_brand(actor, _("Only brand admins define organization roles."))


def _require_brand_defined(role: OrgRole, refusal: str) -> None:
    if role.builtin:
        raise GrantError(refusal)


def _names_of(role: OrgRole) -> set[str]:
    """The names a role is known by, folded: its name and slug, and while a built-in role
    keeps its English name, that name in every product language (what admins read on the
    screens; a bulk invitation file names roles by any of them)."""
    names = {role.name.casefold(), role.slug.casefold()}
    if role.builtin_default_name:
        names |= {name.casefold() for name in in_every_language(role.builtin_default_name)}
    return names


def _name_taken(name: str, *, other_than: OrgRole | None = None) -> bool:
    # Compared in Python (casefold), not with the database's case-insensitive match: SQLite
    # folds ASCII letters only. The roles are a short list.
    others = OrgRole.objects.only("name", "slug", "builtin")
    if other_than is not None:
        others = others.exclude(pk=other_than.pk)
    folded = name.casefold()
    return any(folded in _names_of(role) for role in others)


def _clean_role(
    name: str,
    description: str,
    permissions: Iterable[str],
    *,
    role: OrgRole | None = None,
) -> tuple[str, str, list[str]]:
    """The name, description and permission codes of a brand-defined role, checked: a name
    of 1 to 150 characters that no other role is known by, a description of at most 500, at
    least one permission, every one of the catalogue. GrantError otherwise."""
    name = (name or "").strip()
    description = (description or "").strip()
    if not name or len(name) > NAME_MAX:
        raise GrantError(
            _("A role needs a name of at most %(max)d characters.") % {"max": NAME_MAX}
        )
    if len(description) > DESCRIPTION_MAX:
        raise GrantError(
            _("A role's description has at most %(max)d characters.") % {"max": DESCRIPTION_MAX}
        )
    if hidden_character_errors({"name": name, "description": description}):
        raise GrantError(_("Remove the invisible characters from the role's name and description."))
    codes = sorted({str(code) for code in permissions})
    unknown = [code for code in codes if code not in ALL]
    if unknown:
        raise GrantError(
            _("A role holds permissions of the catalogue only; unknown permission: %(codes)s.")
            % {"codes": ", ".join(unknown)}
        )
    if not codes:
        raise GrantError(_("A role needs at least one permission."))
    if _name_taken(name, other_than=role):
        raise GrantError(_('A role named "%(name)s" already exists.') % {"name": name})
    return name, description, codes


def _new_slug(name: str) -> str:
    """A slug for a new role, from its name: unique, never a word of the console's URLs."""
    from django.utils.text import slugify

    base = slugify(name)[:SLUG_MAX].strip("-") or "role"
    taken = set(OrgRole.objects.values_list("slug", flat=True))  # a short list
    slug, n = base, 2
    while slug in taken or slug in RESERVED_ROLE_SLUGS:
        suffix = f"-{n}"
        slug, n = base[: SLUG_MAX - len(suffix)] + suffix, n + 1
    return slug


@transaction.atomic
def create_role(
    *,
    actor: Actor,
    name: str,
    permissions: list[str],
    description: str = "",
    protected: bool = False,
) -> OrgRole:
    """A brand-defined organization role (brand admins and scripts only)."""
    _require_role_definer(actor)
    name, description, codes = _clean_role(name, description, permissions)
    slug = _new_slug(name)
    try:
        with transaction.atomic():  # a role of that name created meanwhile
            role = OrgRole.objects.create(
                name=name,
                slug=slug,
                description=description,
                permissions=codes,
                protected=protected,
            )
    except IntegrityError:
        raise GrantError(_('A role named "%(name)s" already exists.') % {"name": name}) from None
    record(
        "role.created",
        actor=actor,
        metadata={"role": slug, "name": name, "permissions": codes, "protected": protected},
    )
    return role


def _locked(role: OrgRole) -> OrgRole:
    """The role's row, locked until the transaction ends (a grant of it waits), as stored."""
    found = OrgRole.objects.select_for_update().filter(pk=role.pk).first()
    if found is None:
        raise GrantError(_("This role no longer exists."))
    return found


@transaction.atomic
def update_role(
    *,
    actor: Actor,
    role: OrgRole,
    name: str,
    permissions: list[str],
    description: str = "",
    protected: bool = False,
) -> OrgRole:
    """Rename, describe, re-scope or (un)protect a brand-defined role. Its slug stays, and
    every grant of it gives its new permissions at once. Built-in roles are Orgdesk's own:
    refused. Nothing recorded when nothing changes."""
    _require_role_definer(actor)
    role = _locked(role)
    _require_brand_defined(
        role,
        _(
            "Built-in roles cannot be changed: Orgdesk defines them and restores them on every "
            "upgrade. Create a role of your own instead."
        ),
    )
    name, description, codes = _clean_role(name, description, permissions, role=role)
    before = set(role.permissions)
    changes: dict[str, Any] = {}
    if name != role.name:
        changes["name"] = {"from": role.name, "to": name}
    if description != role.description:
        changes["description"] = {"from": role.description, "to": description}
    if set(codes) != before:
        changes["permissions"] = {
            "added": sorted(set(codes) - before),
            "removed": sorted(before - set(codes)),
        }
    if protected != role.protected:
        changes["protected"] = {"from": role.protected, "to": protected}
    if not changes:
        return role
    role.name, role.description, role.permissions, role.protected = (
        name,
        description,
        codes,
        protected,
    )
    try:
        with transaction.atomic():
            role.save(update_fields=["name", "description", "permissions", "protected"])
    except IntegrityError:
        raise GrantError(_('A role named "%(name)s" already exists.') % {"name": name}) from None
    record(
        "role.updated",
        actor=actor,
        metadata={"role": role.slug, "fields": sorted(changes), **changes},
    )
    return role


@transaction.atomic
def delete_role(*, actor: Actor, role: OrgRole) -> None:
    """Delete a brand-defined role that no grant holds (revoke its grants first); built-in
    roles are refused. The events that name it are kept."""
    _require_role_definer(actor)
    role = _locked(role)
    _require_brand_defined(
        role,
        _(
            "Built-in roles cannot be deleted: Orgdesk defines them and restores them on every "
            "upgrade."
        ),
    )
    grants = role.assignments.count()
    if grants:
        raise GrantError(
            ngettext(
                "This role cannot be deleted: %(count)s grant holds it. Revoke it first.",
                "This role cannot be deleted: %(count)s grants hold it. Revoke them first.",
                grants,
            )
            % {"count": grants}
        )
    # A pending invitation gives its roles when it is accepted (and may be resent when
    # outdated): deleting the role would silently take it out of the invitation.
    invited = pending_invitations_giving(role)
    if invited:
        raise GrantError(
            ngettext(
                "This role cannot be deleted: %(count)s pending invitation gives it. "
                "Revoke the invitation first.",
                "This role cannot be deleted: %(count)s pending invitations give it. "
                "Revoke the invitations first.",
                invited,
            )
            % {"count": invited}
        )
    meta = {
        "role": role.slug,
        "name": role.name,
        "id": str(role.pk),
        "permissions": list(role.permissions),
        "protected": role.protected,
    }
    try:
        with transaction.atomic():  # a grant made meanwhile (the lock covers PostgreSQL)
            role.delete()
    except ProtectedError:
        raise GrantError(
            _("This role cannot be deleted: a grant holds it. Revoke it first.")
        ) from None
    record("role.deleted", actor=actor, metadata=meta)
