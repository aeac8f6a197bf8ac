"""Reads of roles and grants that screens need beyond restrict()."""

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from django.db.models import Case, CharField, F, QuerySet, Value, When
from django.db.models.functions import Lower
from django.utils.translation import gettext

from orgdesk.access.actor import Actor
from orgdesk.access.models import OrgRole, RoleAssignment
from orgdesk.access.permissions import BUILTIN_ROLES
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


def in_display_order(roles: QuerySet[OrgRole]) -> QuerySet[OrgRole]:
    """`roles` in the order of the names the admin reads (OrgRole.display_name): a built-in
    role still under its English name sorts by its name in the current language."""
    shown = Case(
        *(
            When(builtin=True, slug=slug, name=name, then=Value(gettext(name)))
            for slug, (name, _description, _permissions) in BUILTIN_ROLES.items()
        ),
        default=F("name"),
        output_field=CharField(),
    )
    return roles.annotate(shown_name=Lower(shown)).order_by("shown_name", "pk")


def roles_by_name() -> QuerySet[OrgRole]:
    return in_display_order(OrgRole.objects.all())


def find_role(pk: Any) -> OrgRole | None:
    """The role `pk`, or None."""
    return OrgRole.objects.filter(pk=pk).first()


def roles_among(pks: Iterable[Any]) -> QuerySet[OrgRole]:
    """The roles `pks`, by name."""
    return in_display_order(OrgRole.objects.filter(pk__in=pks))


def holds_roles(account: "Account") -> bool:
    """Whether the account holds an organization role anywhere (it may use the portal)."""
    return account.role_assignments.exists()


# ---- the console's Roles section ------------------------------------------------------------


def role_by_slug(slug: str) -> OrgRole | None:
    """The role `slug`, or None."""
    return OrgRole.objects.filter(slug=slug).first()


def grant_counts(roles: Iterable[OrgRole] | None = None) -> dict[Any, int]:
    """How many grants hold each role (of `roles`, or every role), by role id: one grouped
    query. A role no grant holds is absent."""
    from django.db.models import Count

    grants = RoleAssignment.objects.all()
    if roles is not None:
        grants = grants.filter(role__in=[role.pk for role in roles])
    return dict(
        grants.values_list("role").annotate(n=Count("pk")).values_list("role", "n").order_by()
    )


def pending_invitations_giving(role: OrgRole) -> int:
    """How many pending invitations give `role` when accepted (outdated ones too: they may
    be resent)."""
    return OrgRole.objects.filter(pk=role.pk, invitation__status="pending").count()


def grants_covering(actor: Actor, organization: Organization) -> QuerySet[RoleAssignment]:
    """The grants held on `organization` and on the organizations above it (they cover it),
    that the actor may see: the nearest first."""
    return (
        restrict(
            actor,
            "roles.view",
            RoleAssignment.objects.select_related(
                "account", "account__organization", "role", "organization"
            ),
        )
        .filter(organization__in=organization.lineage())
        .order_by("-organization__depth", "role__name", "account__email")
    )
