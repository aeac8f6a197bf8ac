"""restrict() and access_*(): property-based against a brute-force reference, and the
query-count guarantee."""

import pytest
from django.db import connection, transaction
from django.http import Http404
from django.test.utils import CaptureQueriesContext
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from orgdesk.access.models import OrgRole, RoleAssignment
from orgdesk.access.permissions import ALL, CATALOGUE
from orgdesk.access.scoping import (
    access_account,
    access_authenticator,
    authority,
    forget_authority,
    restrict,
)
from orgdesk.accounts.models import Account
from orgdesk.organizations.models import Organization
from orgdesk.security.models import Authenticator
from orgdesk.testing.actors import as_admin
from tests.factories import make_account, make_org

pytestmark = pytest.mark.django_db

ROLE_SLUGS = ["admin", "organization-manager", "account-recovery-assistant", "viewer"]


@st.composite
def scenarios(draw):
    n_orgs = draw(st.integers(min_value=1, max_value=9))
    # parent index < own index; None starts a new tree
    parents = [None] + [
        draw(st.one_of(st.none(), st.integers(min_value=0, max_value=i - 1)))
        for i in range(1, n_orgs)
    ]
    n_accounts = draw(st.integers(min_value=1, max_value=12))
    homes = [draw(st.integers(min_value=0, max_value=n_orgs - 1)) for _ in range(n_accounts)]
    actor_home = draw(st.integers(min_value=0, max_value=n_orgs - 1))
    grants = draw(
        st.lists(
            st.tuples(st.integers(min_value=0, max_value=n_orgs - 1), st.sampled_from(ROLE_SLUGS)),
            max_size=5,
        )
    )
    status = draw(st.sampled_from(["enabled", "disabled"]))
    return parents, homes, actor_home, grants, status


def brute_force(actor, action, accounts, grant_rows, active):
    if not active:
        return set()
    allowed_paths = [org.path for org, role in grant_rows if action in role.permissions]
    return {a.id for a in accounts if any(a.organization.path.startswith(p) for p in allowed_paths)}


@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(scenario=scenarios())
def test_restrict_matches_brute_force(db, scenario):
    parents, homes, actor_home, grants, status = scenario
    with transaction.atomic():
        OrgRole.objects.get_or_create(
            slug="viewer", defaults={"name": "Viewer", "permissions": ["accounts.view"]}
        )
        roles = {r.slug: r for r in OrgRole.objects.filter(slug__in=ROLE_SLUGS)}
        orgs = []
        for i, parent in enumerate(parents):
            orgs.append(make_org(f"O{i}", orgs[parent] if parent is not None else None))
        accounts = [make_account(orgs[h], email=f"c{i}@example.com") for i, h in enumerate(homes)]
        actor = make_account(orgs[actor_home], email="actor@example.com")
        accounts.append(actor)
        grant_rows = []
        for org_index, slug in grants:
            org = orgs[org_index]
            if org.root_id != orgs[actor_home].root_id:
                continue  # grants never cross identity stores (checked in test_escalation)
            RoleAssignment.objects.get_or_create(account=actor, organization=org, role=roles[slug])
            grant_rows.append((org, roles[slug]))
        if status == "disabled":
            Account.objects.filter(pk=actor.pk).update(
                status="disabled", disabled_at="2026-01-01T00:00:00Z"
            )
            actor.refresh_from_db()
        for account in accounts:
            account.organization = Organization.objects.get(pk=account.organization_id)
        for action in CATALOGUE:
            expected = brute_force(actor, action, accounts, grant_rows, status == "enabled")
            got = set(
                restrict(as_admin(actor), action, Account.objects.all()).values_list(
                    "id", flat=True
                )
            )
            assert got == expected, action
            orgs_expected = {
                o.id
                for o in orgs
                if status == "enabled"
                and any(
                    o.path.startswith(g.path) and action in r.permissions for g, r in grant_rows
                )
            }
            got_orgs = set(
                restrict(as_admin(actor), action, Organization).values_list("id", flat=True)
            )
            assert got_orgs == orgs_expected, action
        transaction.set_rollback(True)


def test_brand_admin_sees_everything(world):
    brand = make_account(None, email="brand@brand.test", is_staff=True)
    assert restrict(as_admin(brand), "accounts.view", Account).count() == Account.objects.count()
    assert authority(as_admin(brand)).permissions_in(world.globex_eu) == ALL


def test_disabled_brand_admin_sees_nothing(world):
    brand = make_account(None, email="brand@brand.test", is_staff=True)
    Account.objects.filter(pk=brand.pk).update(status="disabled", disabled_at="2026-01-01T00:00Z")
    brand.refresh_from_db()
    assert not restrict(as_admin(brand), "accounts.view", Account).exists()


def test_brand_admin_accounts_are_no_organizations_data(world, client):
    """A brand admin's own account belongs to no organization: no organization screen opens
    it, not even for another brand admin (it was a server error)."""
    brand = make_account(None, email="brand@brand.test", is_staff=True)
    other = make_account(None, email="other@brand.test", is_staff=True, password="long enough pw 1")
    with pytest.raises(Http404):
        access_account(as_admin(brand), other.pk)
    from orgdesk.testing.auth import portal_login

    portal_login(client, brand)
    for suffix in ("", "/edit", "/password"):
        url = f"/portal/{world.acme.key}/accounts/{other.pk}{suffix}"
        assert client.get(url).status_code == 404, url
    assert (
        client.post(f"/portal/{world.acme.key}/accounts/{other.pk}/clear-sessions").status_code
        == 404
    )


def test_system_and_anonymous_actors(world):
    from orgdesk.access.actor import Actor, Channel
    from orgdesk.testing.actors import SYSTEM

    nobody = Actor.anonymous(channel=Channel.PORTAL)
    assert not restrict(nobody, "accounts.view", Account).exists()
    assert restrict(SYSTEM, "accounts.view", Account).count() == Account.objects.count()
    with pytest.raises(TypeError, match="an Actor is needed"):
        restrict(world.admin, "accounts.view", Account)
    with pytest.raises(ValueError, match="unknown permission"):
        restrict(as_admin(world.admin), "accounts.fly", Account)


def test_access_answers_404_alike_for_missing_foreign_and_malformed(world):
    assert access_account(as_admin(world.admin), world.inside.pk) == world.inside
    for pk in (
        world.foreign.pk,
        world.outside.pk,
        "00000000-0000-0000-0000-000000000000",
        "not-a-uuid",
        "",
        None,
        "1; DROP TABLE x",
    ):
        with pytest.raises(Http404):
            access_account(as_admin(world.admin), pk)
    foreign_auth = Authenticator.objects.get(account=world.foreign)
    with pytest.raises(Http404):
        access_authenticator(as_admin(world.admin), foreign_auth.pk)


def test_access_checks_the_action_not_just_visibility(world):
    assert access_account(as_admin(world.viewer), world.inside.pk, "accounts.view") == world.inside
    with pytest.raises(Http404):
        access_account(as_admin(world.viewer), world.inside.pk, "accounts.disable")


def test_grant_on_ancestor_covers_descendants_and_nothing_above(world):
    visible = set(
        restrict(as_admin(world.admin), "accounts.view", Account).values_list("email", flat=True)
    )
    assert "inside@acme.test" in visible
    assert "outside@acme.test" not in visible and "foreign@globex.test" not in visible
    # cross-organization grant: the account lives under EMEA, the grant is on Americas
    cross = set(
        restrict(as_admin(world.cross), "accounts.view", Account).values_list("email", flat=True)
    )
    assert cross == {"outside@acme.test"}


def _list_queries(actor):
    forget_authority(actor)
    with CaptureQueriesContext(connection) as ctx:
        rows = list(
            restrict(
                actor, "accounts.view", Account.objects.select_related("organization")
            ).order_by("-last_login", "id")[:25]
        )
    return len(ctx.captured_queries), rows


def test_query_count_does_not_grow_with_grants_or_rows(world):
    admin_role = OrgRole.objects.get(slug="admin")
    one = make_account(world.france, email="one@acme.test")
    many = make_account(world.france, email="many@acme.test")
    RoleAssignment.objects.create(account=one, organization=world.emea, role=admin_role)
    parent = world.americas
    for i in range(50):
        org = make_org(f"Store {i}", parent if i % 2 else world.emea)
        RoleAssignment.objects.create(account=many, organization=org, role=admin_role)
        make_account(org, email=f"s{i}@acme.test")
    many = as_admin(many)  # one actor: its grants are read once and kept with it
    queries_one, rows_one = _list_queries(as_admin(one))
    queries_many, rows_many = _list_queries(many)
    assert queries_one == queries_many == 2  # grants once, then the page
    assert rows_one and rows_many
    # cached for the rest of the request: the next list is one query
    with CaptureQueriesContext(connection) as ctx:
        list(restrict(many, "accounts.view", Account)[:25])
    assert len(ctx.captured_queries) == 1
