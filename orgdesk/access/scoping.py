"""Tenancy in one place: what an actor may see and do.

`restrict(actor, action, queryset)` returns the rows whose organization lies in a subtree where
the actor holds a role granting `action`; brand admins see everything. `access_*` fetch one
object the same way and answer 404 for a missing object and for another organization's alike,
so existence never leaks. `require(actor, action, organization)` raises 403 for an action on an
organization the actor may see but not act on.

The actor is an `access.actor.Actor`. Its grants are read once and kept on it for the rest of
its life (one request); a restricted list is then one query whatever the number of grants or
rows:
    … WHERE organization_id IN (SELECT id FROM organization WHERE path LIKE '/a/%' OR …)
"""

from typing import TYPE_CHECKING, TypeVar

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models
from django.db.models import Q
from django.http import Http404
from django.utils.translation import gettext

from orgdesk.access.actor import Actor, Grant, Kind
from orgdesk.access.models import RoleAssignment
from orgdesk.access.permissions import ALL, CATALOGUE
from orgdesk.organizations.models import Organization

if TYPE_CHECKING:
    from orgdesk.accounts.models import Account
    from orgdesk.security.models import Authenticator

M = TypeVar("M", bound=models.Model)

__all__ = ["Actor", "Authority", "Grant", "authority", "require", "restrict"]


class Authority:
    """The grants of one actor, and the questions asked of them.

    `is_brand` is true for everyone not limited by grants: brand admins and the system.
    """

    def __init__(self, actor: Actor) -> None:
        if not isinstance(actor, Actor):
            raise TypeError(f"an Actor is needed, not {type(actor).__name__}")
        self.actor = actor
        self.is_brand = actor.is_system or actor.is_brand
        self.grants: tuple[Grant, ...] = ()
        if self.is_brand:
            return
        if actor.grants is not None:
            self.grants = actor.grants
        elif actor.kind is Kind.ADMIN and actor.account is not None and actor.account.is_active:
            rows = RoleAssignment.objects.filter(account_id=actor.account.pk).values_list(
                "organization_id",
                "organization__path",
                "organization__root_id",
                "role_id",
                "role__slug",
                "role__permissions",
            )
            self.grants = tuple(
                Grant(org, path, root, role, slug, frozenset(perms))
                for org, path, root, role, slug, perms in rows
            )

    def paths_for(self, action: str) -> list[str]:
        """Subtree prefixes where `action` is granted, without prefixes nested in others."""
        paths = sorted({g.path for g in self.grants if action in g.permissions})
        minimal: list[str] = []
        for path in paths:  # sorted, so an ancestor comes before its descendants
            if not minimal or not path.startswith(minimal[-1]):
                minimal.append(path)
        return minimal

    def permissions_in(self, organization: Organization) -> frozenset[str]:
        return self.permissions_at(organization.path)

    def permissions_at(self, path: str) -> frozenset[str]:
        """The permissions held over the organization at `path` (a materialized path)."""
        if self.is_brand:
            return ALL
        held: set[str] = set()
        for grant in self.grants:
            if path.startswith(grant.path):
                held |= grant.permissions
        return frozenset(held)

    def can(self, action: str, organization: Organization) -> bool:
        _check_action(action)
        return action in self.permissions_in(organization)

    def organizations(self) -> list[tuple[Organization, frozenset[str]]]:
        """The organizations where grants are held, with the permissions held in each.

        Descendants inherit: any organization below one of these is reachable too, with at
        least the same permissions (see permissions_in).
        """
        if self.is_brand:
            roots = Organization.objects.filter(parent__isnull=True).order_by("route")
            return [(org, ALL) for org in roots]
        ids = {g.organization_id for g in self.grants}
        orgs = Organization.objects.filter(id__in=ids).order_by("route")
        return [(org, self.permissions_in(org)) for org in orgs]


def authority(actor: Actor) -> Authority:
    """The actor's Authority, loaded once and cached on the actor."""
    if not isinstance(actor, Actor):  # e.g. an Account: refused here, before its cache is read
        raise TypeError(f"an Actor is needed, not {type(actor).__name__}")
    cached = actor.authority_cache
    if cached is None:
        cached = actor.authority_cache = Authority(actor)
    return cached


def forget_authority(actor: Actor) -> None:
    """Drop the cached grants (after a grant or revoke that concerns the actor)."""
    actor.authority_cache = None


def _check_action(action: str) -> None:
    if action not in CATALOGUE:
        raise ValueError(f"unknown permission {action!r}: add it to access/permissions.py")


def tenant_field(model: type[models.Model]) -> str:
    try:
        return model.TENANT_FIELD  # type: ignore[attr-defined]
    except AttributeError:
        raise TypeError(
            f"{model.__name__} declares no TENANT_FIELD; it cannot be restricted"
        ) from None


def _within(paths: list[str], subtree: str) -> list[str]:
    """The prefixes that select rows both under `subtree` and under one of `paths`."""
    if any(subtree.startswith(p) for p in paths):
        return [subtree]  # a grant covers the whole subtree
    return [p for p in paths if p.startswith(subtree)]  # grants inside the subtree


def restrict(
    actor: Actor,
    action: str,
    queryset: models.QuerySet[M] | type[M],
    *,
    within: Organization | None = None,
) -> models.QuerySet[M]:
    """The part of `queryset` the actor may `action`, optionally only under `within` (an
    organization): the two conditions are merged into one subtree test, so the database sees
    a single `organization_id IN (…)` it can estimate and plan well."""
    _check_action(action)
    qs = queryset._default_manager.all() if isinstance(queryset, type) else queryset
    auth = authority(actor)
    if auth.is_brand:
        paths = [within.path] if within is not None else None
        if paths is None:
            return qs
    else:
        paths = auth.paths_for(action)
        if within is not None:
            paths = _within(paths, within.path)
    if not paths:
        return qs.none()
    in_subtrees = Q()
    for path in paths:
        in_subtrees |= Q(path__startswith=path)
    field = tenant_field(qs.model)
    if field == "":
        return qs.filter(in_subtrees)
    return qs.filter(**{f"{field}__in": Organization.objects.filter(in_subtrees).values("id")})


def access(actor: Actor, action: str, queryset: models.QuerySet[M] | type[M], pk: object) -> M:
    """One object the actor may `action`, or Http404 (missing and foreign look the same)."""
    qs = restrict(actor, action, queryset)
    try:
        key = qs.model._meta.pk.to_python(pk)
    except (TypeError, ValueError, ValidationError):
        raise Http404("No such object.") from None
    obj = qs.filter(pk=key).first()
    if obj is None:
        raise Http404("No such object.")
    return obj


def access_account(actor: Actor, pk: object, action: str = "accounts.view") -> "Account":
    from orgdesk.accounts.models import Account

    # Accounts of organizations only: a brand admin's own account (no organization) is not
    # tenant data, and no organization screen may open it.
    accounts = Account.objects.select_related("organization").filter(organization__isnull=False)
    return access(actor, action, accounts, pk)


def access_organization(actor: Actor, pk: object, action: str = "accounts.view") -> Organization:
    return access(actor, action, Organization, pk)


def access_authenticator(
    actor: Actor, pk: object, action: str = "authenticators.view"
) -> "Authenticator":
    from orgdesk.security.models import Authenticator

    return access(actor, action, Authenticator.objects.select_related("account"), pk)


def access_role_assignment(actor: Actor, pk: object, action: str = "roles.view") -> RoleAssignment:
    return access(
        actor, action, RoleAssignment.objects.select_related("role", "organization", "account"), pk
    )


def require_brand(actor: Actor, message: str) -> None:
    """Brand-wide actions (roles, policies, brand admins' own accounts): brand admins and the
    system only. PermissionDenied with `message` otherwise."""
    if not authority(actor).is_brand:
        raise PermissionDenied(message)


def visible_or_404(actor: Actor, organization: Organization) -> None:
    """404 unless the actor holds any permission at all on the organization."""
    auth = authority(actor)
    if not auth.permissions_in(organization):
        raise Http404("No such object.")


def require(actor: Actor, action: str, organization: Organization) -> None:
    """403 if the actor may see `organization` but not `action` on it; 404 if not even see."""
    auth = authority(actor)
    if auth.can(action, organization):
        return
    visible_or_404(actor, organization)
    raise PermissionDenied(
        gettext("You do not have the %(permission)s permission on this organization.")
        % {"permission": action}
    )
