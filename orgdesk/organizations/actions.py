"""Writes to the organization tree. Paths, routes, depths and identity stores of a whole
subtree are rewritten in a constant number of statements, inside one transaction."""

import uuid
from typing import TYPE_CHECKING

from django.db import IntegrityError, transaction
from django.db.models import F, Value
from django.db.models.functions import Concat, Substr
from django.utils.text import slugify
from django.utils.translation import gettext as _

from orgdesk.access.actor import Actor
from orgdesk.access.scoping import require_brand
from orgdesk.activity.recorder import record
from orgdesk.organizations.models import (
    MAX_DEPTH,
    PATH_SEPARATOR,
    ROUTE_SEPARATOR,
    Application,
    Organization,
)

if TYPE_CHECKING:
    from orgdesk.accounts.models import Account


class TreeError(ValueError):
    """A tree change that cannot be made; the message says why."""


def _validate_name(name: str) -> str:
    name = (name or "").strip()
    if not name:
        raise TreeError(_("An organization needs a name."))
    if ROUTE_SEPARATOR in name:
        raise TreeError(_("An organization name cannot contain ' / '."))
    if len(name) > 200:
        raise TreeError(_("An organization name is at most 200 characters."))
    return name


@transaction.atomic
def create_organization(
    *,
    actor: Actor,
    name: str,
    parent: Organization | None = None,
    application: Application | None = None,
    slug: str | None = None,
    hierarchy_unique_identifiers: bool = True,
) -> Organization:
    require_brand(actor, _("Only brand admins change the organization tree."))
    name = _validate_name(name)
    if parent is not None and parent.depth + 1 >= MAX_DEPTH:
        raise TreeError(
            _("Organization trees are at most %(depth)s levels deep.") % {"depth": MAX_DEPTH}
        )
    if application is None:
        application = parent.application if parent else Application.objects.get(builtin=True)
    if not application.organizations_enabled:
        raise TreeError(
            _("Organizations are turned off for the application %(name)s.")
            % {"name": application.name}
        )
    org = Organization(
        name=name,
        slug=slugify(slug or name)[:100] or "org",
        parent=parent,
        application=application,
        hierarchy_unique_identifiers=hierarchy_unique_identifiers,
    )
    if parent is None:
        org.path = f"{PATH_SEPARATOR}{org.key}{PATH_SEPARATOR}"
        org.route = name
        org.depth = 0
        org.root_id = org.id
    else:
        org.path = f"{parent.path}{org.key}{PATH_SEPARATOR}"
        org.route = f"{parent.route}{ROUTE_SEPARATOR}{name}"
        org.depth = parent.depth + 1
        org.root_id = parent.root_id
    try:
        with transaction.atomic():
            org.save()
    except IntegrityError:
        raise TreeError(_("An organization with this slug already exists at this level.")) from None
    record("organization.created", organization=org, actor=actor, metadata={"route": org.route})
    return org


def _rewrite_subtree(
    old_path: str,
    new_path: str,
    old_route: str,
    new_route: str,
    depth_delta: int,
    new_root_id: uuid.UUID | None,
) -> int:
    # Substr is 1-based: keep everything after the old prefix.
    return Organization.objects.filter(path__startswith=old_path).update(
        path=Concat(Value(new_path), Substr("path", len(old_path) + 1)),
        route=Concat(Value(new_route), Substr("route", len(old_route) + 1)),
        depth=F("depth") + depth_delta,
        root_id=new_root_id,
    )


@transaction.atomic
def rename_organization(*, actor: Actor, organization: Organization, name: str) -> Organization:
    require_brand(actor, _("Only brand admins change the organization tree."))
    name = _validate_name(name)
    org = Organization.objects.select_for_update().get(pk=organization.pk)
    old_route = org.route
    parent_route = old_route[: -len(org.name)] if org.parent_id else ""
    new_route = f"{parent_route}{name}"
    _rewrite_subtree(org.path, org.path, old_route, new_route, 0, org.root_id)
    Organization.objects.filter(pk=org.pk).update(name=name)
    org.refresh_from_db()
    record(
        "organization.renamed",
        organization=org,
        actor=actor,
        metadata={"from": old_route, "to": new_route},
    )
    return org


@transaction.atomic
def move_organization(
    *, actor: Actor, organization: Organization, new_parent: Organization | None
) -> Organization:
    """Move a subtree under `new_parent` (None makes it a root of its own tree).

    Moving into another tree changes the identity store of every account in the subtree; a
    clash of identifiers there aborts the whole move.
    """
    from orgdesk.accounts.models import Account

    require_brand(actor, _("Only brand admins change the organization tree."))
    org = Organization.objects.select_for_update().get(pk=organization.pk)
    if new_parent is not None:
        new_parent = Organization.objects.select_for_update().get(pk=new_parent.pk)
        if new_parent.path.startswith(org.path):
            raise TreeError(_("An organization cannot move under itself or its descendants."))
        if new_parent.pk == org.parent_id:
            return org
    elif org.parent_id is None:
        return org

    subtree = Organization.objects.filter(path__startswith=org.path)
    subtree_height = max(o.depth for o in subtree.only("depth")) - org.depth
    new_depth = new_parent.depth + 1 if new_parent else 0
    if new_depth + subtree_height >= MAX_DEPTH:
        raise TreeError(
            _("Organization trees are at most %(depth)s levels deep.") % {"depth": MAX_DEPTH}
        )

    old_path, old_route, old_root = org.path, org.route, org.root_id
    if new_parent is None:
        new_path = f"{PATH_SEPARATOR}{org.key}{PATH_SEPARATOR}"
        new_route, new_root = org.name, org.id
    else:
        new_path = f"{new_parent.path}{org.key}{PATH_SEPARATOR}"
        new_route = f"{new_parent.route}{ROUTE_SEPARATOR}{org.name}"
        assert new_parent.root_id is not None, "a saved organization has its tree's root"
        new_root = new_parent.root_id

    org_ids = list(subtree.values_list("id", flat=True))
    try:
        with transaction.atomic():
            _rewrite_subtree(
                old_path, new_path, old_route, new_route, new_depth - org.depth, new_root
            )
            Organization.objects.filter(pk=org.pk).update(parent=new_parent)
            if new_root != old_root:
                _reassign_stores(Account, org_ids, new_root)
    except IntegrityError:
        raise TreeError(
            _(
                "Some accounts of this subtree use identifiers that already exist in the "
                "target hierarchy; nothing was moved."
            )
        ) from None
    org.refresh_from_db()
    _refresh_planner_statistics()
    record(
        "organization.moved",
        organization=org,
        actor=actor,
        metadata={"from": old_route, "to": new_route},
    )
    return org


def _refresh_planner_statistics() -> None:
    """Subtree queries are planned from path statistics; a move rewrites many paths at once,
    often too few for autovacuum to notice, and stale estimates make large lists slow."""
    from django.db import connection

    if connection.vendor == "postgresql":

        def analyze() -> None:
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE organizations_organization")

        transaction.on_commit(analyze)


def _reassign_stores(
    account_model: type["Account"], org_ids: list[uuid.UUID], root_id: uuid.UUID
) -> None:
    unique = (
        Organization.objects.filter(pk=root_id)
        .values_list("hierarchy_unique_identifiers", flat=True)
        .get()
    )
    accounts = account_model.objects.filter(organization_id__in=org_ids)
    if unique:
        accounts.update(store=root_id)
    else:
        accounts.update(store=F("organization_id"))


@transaction.atomic
def set_hierarchy_uniqueness(*, actor: Actor, root: Organization, enabled: bool) -> Organization:
    """Switch a tree between one identity store and one store per organization."""
    from orgdesk.accounts.models import Account

    require_brand(actor, _("Only brand admins change the organization tree."))
    if root.parent_id is not None:
        raise TreeError(_("Identifier uniqueness is set on the root of a tree."))
    root = Organization.objects.select_for_update().get(pk=root.pk)
    org_ids = list(Organization.objects.filter(root_id=root.pk).values_list("id", flat=True))
    Organization.objects.filter(pk=root.pk).update(hierarchy_unique_identifiers=enabled)
    try:
        with transaction.atomic():
            _reassign_stores(Account, org_ids, root.pk)
    except IntegrityError:
        raise TreeError(
            _(
                "Accounts in different organizations of this tree share identifiers; "
                "uniqueness across the hierarchy cannot be enabled until they differ."
            )
        ) from None
    root.refresh_from_db()
    record(
        "organization.uniqueness_changed",
        organization=root,
        actor=actor,
        metadata={"enabled": enabled},
    )
    return root


@transaction.atomic
def delete_organization(*, actor: Actor, organization: Organization) -> dict[str, int]:
    """Delete an organization and the organizations below it, with what belongs to them
    (groups, the role grants held on them, invitations, branding overrides), when none of
    them holds an account: accounts are never deleted with their organization. Answers what
    was deleted (organizations.selectors.deletion_impact's counts); the events stay."""
    from orgdesk.organizations.selectors import deletion_impact

    require_brand(actor, _("Only brand admins change the organization tree."))
    org = Organization.objects.select_for_update().get(pk=organization.pk)
    subtree = list(
        Organization.objects.select_for_update()
        .filter(path__startswith=org.path)
        .order_by("-depth")
    )
    impact = deletion_impact(org)
    if impact["accounts"]:
        raise TreeError(
            _(
                "%(name)s cannot be deleted: %(count)s accounts belong to it or to the "
                "organizations below it. Move or delete them first."
            )
            % {"name": org.route, "count": impact["accounts"]}
        )
    route, parent = org.route, org.parent
    for member in subtree:  # deepest first: an organization's parent is protected
        member.delete()
    record(
        "organization.deleted",
        organization=parent,
        actor=actor,
        metadata={"route": route, "id": str(org.pk), **impact},
    )
    return impact


def resolve_organization(ref: str) -> Organization:
    """Find an organization by id, key or full route ("Acme / EMEA / France")."""
    ref = (ref or "").strip()
    query = Organization.objects.all()
    try:
        return query.get(pk=uuid.UUID(ref))
    except (ValueError, Organization.DoesNotExist):
        pass
    by_key = query.filter(key=ref).first()
    if by_key:
        return by_key
    normalized = ROUTE_SEPARATOR.join(part.strip() for part in ref.split("/"))
    matches = list(query.filter(route__iexact=ref)[:2]) or list(
        query.filter(route__iexact=normalized)[:2]
    )
    if len(matches) == 1:
        return matches[0]
    if len(matches) > 1:
        raise TreeError(
            _("More than one organization has the route “%(route)s”; use its key.")
            % {"route": normalized}
        )
    raise TreeError(_("No organization has the key or route “%(ref)s”.") % {"ref": ref})
