"""Role grants. The no-escalation rules for organization admins arrive with the sign-in
issue; here the grant itself and its invariants (same identity store, one grant per role)."""

from typing import Any

from django.db import transaction

from orgdesk.access.models import OrgRole, RoleAssignment
from orgdesk.activity.recorder import record
from orgdesk.organizations.models import Organization


class GrantError(ValueError):
    pass


@transaction.atomic
def grant_role(
    *, actor: Any, account: Any, organization: Organization, role: OrgRole, reason: str = ""
) -> tuple[RoleAssignment, bool]:
    if account.organization_id is None:
        raise GrantError("Brand admins hold no organization roles; they see every organization.")
    home_root = Organization.objects.values_list("root_id", flat=True).get(
        pk=account.organization_id
    )
    if home_root != organization.root_id:
        raise GrantError(
            "An organization role can only be granted to an account of the same identity "
            "store (the same organization tree)."
        )
    assignment, created = RoleAssignment.objects.get_or_create(
        account=account,
        organization=organization,
        role=role,
        defaults={"granted_by": actor if getattr(actor, "pk", None) else None},
    )
    if created:
        meta = {"role": role.slug, "organization": str(organization.pk)}
        if reason:
            meta["reason"] = reason
        record(
            "role.granted", account=account, organization=organization, actor=actor, metadata=meta
        )
    return assignment, created
