"""Reads of organizations that screens need (whether the actor may see one is theirs to ask:
access.scoping)."""

from collections.abc import Iterable
from typing import Any

from orgdesk.organizations.models import Organization


def organization_by_key(key: str) -> Organization | None:
    """The organization with URL key `key`, else None."""
    return Organization.objects.filter(key=key).first()


def organization_by_id(pk: Any) -> Organization | None:
    return Organization.objects.filter(pk=pk).first()


def organizations_by_id(ids: Iterable[Any]) -> dict[str, Organization]:
    """The organizations `ids` that still exist, by their id as a string (one query)."""
    return {str(o.id): o for o in Organization.objects.filter(id__in=list(ids))}


def deletion_impact(organization: Organization) -> dict[str, int]:
    """What deleting `organization` would take with it: the organizations below it, their
    groups, the role grants held on them, their open and past invitations; and the accounts
    that prevent it (organizations.actions.delete_organization)."""
    from orgdesk.access.models import RoleAssignment
    from orgdesk.accounts.models import Account, Group
    from orgdesk.invitations.models import Invitation

    subtree = Organization.objects.filter(path__startswith=organization.path).values("id")
    return {
        "organizations_below": Organization.objects.filter(path__startswith=organization.path)
        .exclude(pk=organization.pk)
        .count(),
        "accounts": Account.objects.filter(organization__in=subtree).count(),
        "groups": Group.objects.filter(organization__in=subtree).count(),
        "role_grants": RoleAssignment.objects.filter(organization__in=subtree).count(),
        "invitations": Invitation.objects.filter(organization__in=subtree).count(),
    }


def child_counts(ids: Iterable[Any]) -> dict[Any, int]:
    """How many organizations sit directly below each of `ids` (one grouped query)."""
    from django.db.models import Count

    rows = (
        Organization.objects.filter(parent__in=list(ids))
        .values_list("parent")
        .annotate(n=Count("pk"))
        .values_list("parent", "n")
    )
    return dict(rows)


def tree_roots(limit: int) -> list[Organization]:
    """The roots of the organization trees, by name."""
    from django.db.models.functions import Lower

    return list(
        Organization.objects.filter(parent__isnull=True)
        .select_related("application")
        .order_by(Lower("name"))[:limit]
    )
