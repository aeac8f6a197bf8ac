"""The list use-case (orgdesk/lists.py) on a list no screen has yet: an organizations list as
the console will show it, declared in a handful of lines. run_list must scope it to the actor
(everything for a brand admin, the subtree of the grants otherwise), with or without an
organization to list within, and turn every bad parameter into a problem, never a query."""

from typing import Any

import django_filters
import pytest
from django.core import signing
from django.db.models import QuerySet

from orgdesk.core.listing import Ordering
from orgdesk.lists import ListFilterSet, ListSpec, run_list
from orgdesk.organizations.models import Organization
from orgdesk.testing.actors import SYSTEM, as_admin
from tests.factories import make_account

pytestmark = pytest.mark.django_db


# ---- the whole of a new list ---------------------------------------------------------------


class OrganizationFilter(ListFilterSet):
    name = django_filters.CharFilter(method="filter_name", label="Name", max_length=200)
    depth = django_filters.NumberFilter(field_name="depth", label="Depth")

    class Meta:
        model = Organization
        fields: list[str] = []

    def filter_name(self, qs: QuerySet[Organization], name: str, value: str) -> Any:
        return qs.filter(name__istartswith=value.strip())


ORGANIZATIONS = ListSpec(
    name="organizations",
    permission="accounts.view",
    rows=lambda: Organization.objects.all(),
    filterset=OrganizationFilter,
    orderings={"created": Ordering("created", "created"), "name": Ordering("name", "name")},
)

# ---------------------------------------------------------------------------------------------


def names(result: Any) -> set[str]:
    return {org.name for org in result.page.rows}


def test_a_brand_admin_lists_every_organization(world: Any) -> None:
    brand = make_account(None, email="brand@brand.test", is_staff=True)
    result = run_list(ORGANIZATIONS, as_admin(brand), {}, within=None, size=50)
    assert names(result) == set(Organization.objects.values_list("name", flat=True))
    assert result.problems == [] and result.applied == {} and result.order == "created"
    assert result.page.total == Organization.objects.count()


def test_an_organization_admin_lists_only_under_their_grants(world: Any) -> None:
    result = run_list(ORGANIZATIONS, as_admin(world.admin), {}, within=None, size=50)
    assert names(result) == {"EMEA", "France", "Germany"}  # Admin on EMEA
    within = run_list(ORGANIZATIONS, as_admin(world.admin), {}, within=world.emea, size=50)
    assert names(within) == {"EMEA"}  # no tree scope declared: the organization itself


def test_filters_order_and_pages(world: Any) -> None:
    params = {"name": "ger", "order": "name"}
    result = run_list(ORGANIZATIONS, SYSTEM, params, within=None, size=50)
    assert names(result) == {"Germany"}
    assert result.applied == params and result.query == "name=ger&order=name"
    first = run_list(ORGANIZATIONS, SYSTEM, {"order": "name"}, within=None, size=2)
    assert first.page.next_cursor
    second = run_list(
        ORGANIZATIONS,
        SYSTEM,
        {"order": "name", "cursor": first.page.next_cursor},
        within=None,
        size=2,
    )
    assert not names(first) & names(second)


@pytest.mark.parametrize(
    ("params", "problem", "applied"),
    [
        ({"order": "nope"}, "Unknown sort order", {}),
        (
            {"depth": "deep", "name": "E"},
            "These filters were not valid and were ignored: Depth.",
            {"name": "E"},
        ),
        (
            {"cursor": signing.dumps({"k": 1}, salt="other")},
            "That page link is no longer valid",
            {},
        ),
        ({"cursor": "\x00garbage"}, "That page link is no longer valid", {}),
    ],
)
def test_bad_parameters_are_problems_not_queries(
    world: Any, params: dict[str, str], problem: str, applied: dict[str, str]
) -> None:
    result = run_list(ORGANIZATIONS, SYSTEM, params, within=None, size=50)
    assert any(p.startswith(problem) for p in result.problems), result.problems
    assert result.applied == applied
    # The valid part of the request still applies: the name filter stays on.
    if "name" in params:
        assert names(result) == {"EMEA", "Europe"}


def test_listing_within_an_organization_needs_the_permission_there(world: Any) -> None:
    from django.core.exceptions import PermissionDenied
    from django.http import Http404

    with pytest.raises(Http404):  # no grant at all on Globex
        run_list(ORGANIZATIONS, as_admin(world.admin), {}, within=world.globex, size=10)
    viewer_spec = ListSpec(
        name="organizations",
        permission="roles.assign",
        rows=lambda: Organization.objects.all(),
        filterset=OrganizationFilter,
        orderings={"created": Ordering("created", "created")},
    )
    with pytest.raises(PermissionDenied):  # viewer holds accounts.view only
        run_list(viewer_spec, as_admin(world.viewer), {}, within=world.emea, size=10)
