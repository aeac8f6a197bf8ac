"""Reads of roles and grants that screens need beyond restrict()."""

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from django.db.models import QuerySet

from orgdesk.access.actor import Actor
from orgdesk.access.models import OrgRole, RoleAssignment
from orgdesk.access.scoping import restrict
from orgdesk.organizations.models import Organization

if TYPE_CHECKING:
    from orgdesk.accounts.models import Account


def grants_shown(actor: Actor, account: "Account") -> QuerySet[RoleAssignment]:
    """The account's role grants on organizations where the actor holds roles.view; grants
    elsewhere are neither shown nor counted."""
    return restrict(
        actor,
        "roles.view",
        RoleAssignment.objects.select_related("organization", "role"),
    ).filter(account=account)


def assignable_organizations(actor: Actor, organization: Organization) -> QuerySet[Organization]:
    """The organizations of `organization`'s tree where the actor may assign roles."""
    return restrict(actor, "roles.assign", Organization).filter(root_id=organization.root_id)


def roles_by_name() -> QuerySet[OrgRole]:
    return OrgRole.objects.order_by("name")


def find_role(pk: Any) -> OrgRole | None:
    """The role `pk`, or None."""
    return OrgRole.objects.filter(pk=pk).first()


def roles_among(pks: Iterable[Any]) -> QuerySet[OrgRole]:
    """The roles `pks`, by name."""
    return OrgRole.objects.filter(pk__in=pks).order_by("name")


def holds_roles(account: "Account") -> bool:
    """Whether the account holds an organization role anywhere (it may use the portal)."""
    return account.role_assignments.exists()
