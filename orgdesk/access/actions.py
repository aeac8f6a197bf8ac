"""Role grants and revocations, with the delegation rules of DESIGN §4: an admin grants or
revokes only roles whose permissions they hold on that organization, never their own roles,
never protected roles, and only right after confirming their identity (step-up)."""

from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from orgdesk.access.actor import Actor
from orgdesk.access.models import OrgRole, RoleAssignment
from orgdesk.access.protection import (
    ADMIN_LEVEL,
    EscalationRefused,
    delegation_refusal,
    require_manage,
    require_not_last_admin,
)
from orgdesk.access.scoping import require, require_brand
from orgdesk.activity.recorder import record
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
    from django.utils.text import slugify

    from orgdesk.access.permissions import validate_codes

    require_brand(actor, "Only brand admins define organization roles.")
    name = (name or "").strip()
    if not name or len(name) > 150:
        raise GrantError("A role needs a name of at most 150 characters.")
    try:
        codes = validate_codes(permissions)
    except ValueError as exc:
        raise GrantError(str(exc)) from None
    if not codes:
        raise GrantError("A role needs at least one permission.")
    slug = slugify(name)[:100] or "role"
    if (
        OrgRole.objects.filter(slug=slug).exists()
        or OrgRole.objects.filter(name__iexact=name).exists()
    ):
        raise GrantError(f"A role named {name!r} already exists.")
    role = OrgRole.objects.create(
        name=name,
        slug=slug,
        description=description[:500],
        permissions=codes,
        protected=protected,
    )
    record("role.created", actor=actor, metadata={"role": slug, "permissions": codes})
    return role
