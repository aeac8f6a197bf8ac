"""Reads of accounts and groups that screens need beyond a list spec."""

from collections.abc import Iterable
from typing import Any

from django.db.models import QuerySet

from orgdesk.access.actor import Actor
from orgdesk.access.scoping import restrict
from orgdesk.accounts.groups import groups_open_to
from orgdesk.accounts.models import Account, Group, GroupMembership
from orgdesk.organizations.models import Organization


def account_with_organization(pk: Any) -> Account:
    """The account `pk` read afresh with its organization (for a write after a form)."""
    return Account.objects.select_related("organization").get(pk=pk)


def memberships_shown(actor: Actor, account: Account) -> QuerySet[GroupMembership]:
    """The account's memberships whose group the actor may see, wherever it sits in the tree
    (restrict("groups.view") on both the membership and the group)."""
    visible_groups = restrict(actor, "groups.view", Group).values("pk")
    return restrict(
        actor,
        "groups.view",
        GroupMembership.objects.select_related("group__organization"),
    ).filter(account=account, group__in=visible_groups)


def joinable_groups(actor: Actor, account: Account, within: Organization) -> QuerySet[Group]:
    """Groups the actor may put the account in, joined ones included: those open to the
    account's organization (accounts.groups) that the actor manages under `within`."""
    assert account.organization is not None, "a customer account belongs to an organization"
    return restrict(
        actor,
        "groups.manage",
        groups_open_to(account.organization).select_related("organization"),
        within=within,
    )


def groups_to_join(actor: Actor, account: Account, within: Organization) -> QuerySet[Group]:
    """The joinable groups the account is not in yet, by level (highest first), then name."""
    joined = GroupMembership.objects.filter(account=account).values("group_id")
    return (
        joinable_groups(actor, account, within)
        .exclude(pk__in=joined)
        .order_by("organization__depth", "name", "pk")
    )


def visible_group(actor: Actor, pk: Any) -> Group | None:
    """The group `pk` with its organization if the actor may see it, else None."""
    return (
        restrict(actor, "groups.view", Group.objects.select_related("organization"))
        .filter(pk=pk)
        .first()
    )


def filter_groups(
    actor: Actor, organization: Organization, *, limit: int, chosen: Group | None = None
) -> list[Group]:
    """The groups offered in the accounts list's group filter: `organization`'s and the level
    below's that the actor may see, at most `limit`, plus the `chosen` one when it is not
    among them (any visible group can be named in the URL)."""
    groups = list(
        Group.objects.filter(
            pk__in=restrict(actor, "groups.view", Group, within=organization)
            .filter(organization__depth__lte=organization.depth + 1)
            .order_by("organization__depth", "organization__name", "name")
            .values("pk")[:limit]
        )
        .select_related("organization")
        .order_by("organization__depth", "organization__name", "name")
    )
    if chosen is not None and chosen.pk not in {g.pk for g in groups}:
        groups.append(Group.objects.select_related("organization").get(pk=chosen.pk))
    return groups


def groups_by_name(pks: Iterable[Any]) -> QuerySet[Group]:
    """The groups `pks` (already checked when they were chosen), with their organization."""
    return Group.objects.filter(pk__in=pks).select_related("organization").order_by("name")


def account_counts(organization_ids: Iterable[Any]) -> dict[Any, int]:
    """How many accounts belong to each of `organization_ids` itself (one grouped query)."""
    from django.db.models import Count

    rows = (
        Account.objects.filter(organization__in=list(organization_ids))
        .values_list("organization")
        .annotate(n=Count("pk"))
        .values_list("organization", "n")
    )
    return dict(rows)
