"""The Accounts tab's role and group filters look only at what the admin may see.

`?role=<id>` lists the accounts holding that role through a grant the admin may see
(roles.view on the grant's organization: what the account's Roles tab lists), never through a
grant elsewhere: an account at home in France holding a role on its sibling Germany must not
match for an admin of France alone, or the filter would tell that admin about a grant they
cannot see. `?group=<id>` likewise counts only the memberships the Groups tab shows.

The world: Acme / EMEA / {France, Germany}, Acme / Americas; Globex / {Europe, Asia}.
Grants of the "Store clerk" role (CLERK) sit on sibling branches, on a parent's branch and, as
an import or an older release might have left them, in another tree. Each admin's list is
checked against a table written out by hand and against an oracle computed from the grants
themselves, for every organization the admin may list and every role.
"""

import re
from types import SimpleNamespace
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from orgdesk.access.actions import grant_role
from orgdesk.access.models import OrgRole, RoleAssignment
from orgdesk.accounts.filters import AccountFilter
from orgdesk.accounts.models import Account, Group, GroupMembership
from orgdesk.testing.actors import SYSTEM, as_admin
from orgdesk.testing.auth import portal_login
from tests.factories import make_account, make_org

pytestmark = pytest.mark.django_db

INVALID_GROUP = "These filters were not valid and were ignored: Group."


# ---- the world ---------------------------------------------------------------------------------


def _role(slug: str, *permissions: str) -> OrgRole:
    return OrgRole.objects.create(
        name=slug.replace("-", " ").title(), slug=slug, permissions=list(permissions)
    )


def _account(org: Any, name: str, **fields: Any) -> Account:
    return make_account(org, email=f"{name}@example.test", given_name=name, **fields)


@pytest.fixture
def w(db: Any) -> SimpleNamespace:
    acme = make_org("Acme")
    emea = make_org("EMEA", acme)
    france = make_org("France", emea)
    germany = make_org("Germany", emea)
    americas = make_org("Americas", acme)
    globex = make_org("Globex")
    europe = make_org("Europe", globex)
    asia = make_org("Asia", globex)

    clerk = _role("store-clerk", "accounts.view")
    auditor = _role("auditor", "accounts.view")
    accounts_reader = _role("accounts-reader", "accounts.view")
    roles_reader = _role("roles-reader", "accounts.view", "roles.view")
    groups_reader = _role("groups-reader", "accounts.view", "groups.view")
    admin_role = OrgRole.objects.get(slug="admin")

    def grant(account: Account, org: Any, role: OrgRole) -> None:
        grant_role(actor=SYSTEM, account=account, organization=org, role=role)

    # Customers and their grants.
    a_holds_a = _account(france, "a_holds_a")
    grant(a_holds_a, france, clerk)
    a_holds_b = _account(france, "a_holds_b")  # home France, role on the sibling Germany
    grant(a_holds_b, germany, clerk)
    a_holds_both = _account(france, "a_holds_both")
    grant(a_holds_both, france, clerk)
    grant(a_holds_both, germany, clerk)
    b_holds_a = _account(germany, "b_holds_a")  # home Germany, role on France
    grant(b_holds_a, france, clerk)
    a_holds_americas = _account(france, "a_holds_americas")  # a branch outside EMEA
    grant(a_holds_americas, americas, clerk)
    a_holds_parent = _account(france, "a_holds_parent")  # on the parent itself
    grant(a_holds_parent, emea, clerk)
    a_auditor = _account(france, "a_auditor")  # another role
    grant(a_auditor, france, auditor)
    plain = _account(france, "plain")  # no grant at all
    americano = _account(americas, "americano")
    # Grants in another tree than the account's: grant_role refuses them now; rows written
    # directly stand for what an import or an older release may have left.
    a_holds_globex = _account(france, "a_holds_globex")
    RoleAssignment.objects.create(account=a_holds_globex, organization=europe, role=clerk)
    g_holds_acme = _account(europe, "g_holds_acme")
    RoleAssignment.objects.create(account=g_holds_acme, organization=france, role=clerk)
    # The same cross-branch grant inside the other tree.
    eu_holds_asia = _account(europe, "eu_holds_asia")
    grant(eu_holds_asia, asia, clerk)

    # Admins.
    admin_a = _account(france, "admin_a")
    grant(admin_a, france, admin_role)
    admin_b = _account(germany, "admin_b")
    grant(admin_b, germany, admin_role)
    admin_p = _account(emea, "admin_p")
    grant(admin_p, emea, admin_role)
    # Sees every Acme account, but the grants of France only.
    mixed = _account(acme, "mixed")
    grant(mixed, acme, accounts_reader)
    grant(mixed, france, roles_reader)
    # Sees every Acme account, and the groups and memberships of EMEA only.
    grouper = _account(acme, "grouper")
    grant(grouper, acme, accounts_reader)
    grant(grouper, emea, groups_reader)
    # Accounts, no roles.view anywhere.
    reader = _account(emea, "reader")
    grant(reader, emea, accounts_reader)
    admin_globex = _account(globex, "admin_globex")
    grant(admin_globex, globex, admin_role)
    brand = make_account(None, email="brand@example.test", is_staff=True)

    return SimpleNamespace(**{k: v for k, v in locals().items() if k != "grant"})


def client_for(account: Account) -> Client:
    client = Client()
    portal_login(client, account)
    return client


def listed(client: Client, org: Any, **params: str) -> set[str]:
    """Ids of the accounts on the organization's Accounts tab (the whole subtree, one page)."""
    response = client.get(f"/portal/{org.key}/accounts", {"scope": "tree", "size": "100", **params})
    assert response.status_code == 200, response.status_code
    page = response.content.decode()
    section = page[page.index('id="results"') :]
    assert "next" not in re.findall(r'rel="(\w+)"', section), "more than one page"
    return set(re.findall(r'data-copy="([0-9a-f-]{36})"', section))


def problems_of(client: Client, org: Any, **params: str) -> list[str]:
    response = client.get(f"/portal/{org.key}/accounts", {"scope": "tree", **params})
    return re.findall(r'<div class="alert" role="alert">(.*?)</div>', response.content.decode())


def ids(*accounts: Account) -> set[str]:
    return {str(a.pk) for a in accounts}


# ---- the role filter, case by case -------------------------------------------------------------

# (admin, organization in view) → the accounts listed by ?role=<Store clerk>.
ROLE_CASES = {
    ("admin_a", "france"): {"a_holds_a", "a_holds_both"},
    ("admin_b", "germany"): set(),  # b_holds_a's grant is on France: not theirs to see
    ("admin_p", "emea"): {"a_holds_a", "a_holds_b", "a_holds_both", "b_holds_a", "a_holds_parent"},
    ("admin_p", "france"): {"a_holds_a", "a_holds_b", "a_holds_both", "a_holds_parent"},
    ("admin_p", "germany"): {"b_holds_a"},
    ("mixed", "acme"): {"a_holds_a", "a_holds_both", "b_holds_a"},
    ("mixed", "emea"): {"a_holds_a", "a_holds_both", "b_holds_a"},
    ("reader", "emea"): set(),
    ("admin_globex", "globex"): {"eu_holds_asia"},
    ("admin_globex", "europe"): {"eu_holds_asia"},
    (
        "brand",
        "acme",
    ): {
        "a_holds_a",
        "a_holds_b",
        "a_holds_both",
        "b_holds_a",
        "a_holds_americas",
        "a_holds_parent",
        "a_holds_globex",
    },
    ("brand", "globex"): {"eu_holds_asia", "g_holds_acme"},
}


@pytest.mark.parametrize(("who", "where"), list(ROLE_CASES), ids=lambda v: str(v))
def test_role_filter_lists_only_accounts_with_a_visible_grant(w, who, where):
    client = client_for(getattr(w, who))
    org = getattr(w, where)
    expected = ids(*(getattr(w, name) for name in ROLE_CASES[(who, where)]))
    assert listed(client, org, role=str(w.clerk.pk)) == expected
    assert problems_of(client, org, role=str(w.clerk.pk)) == []


def test_the_accounts_filtered_out_are_in_the_list_without_the_filter(w):
    """What the filter drops is the grant the admin cannot see, not the account itself."""
    client = client_for(w.admin_a)
    everyone = listed(client, w.france)
    assert ids(w.a_holds_b, w.a_holds_americas, w.a_holds_globex, w.a_holds_parent) <= everyone
    assert not ids(w.a_holds_b, w.a_holds_americas, w.a_holds_globex) & listed(
        client, w.france, role=str(w.clerk.pk)
    )


def test_the_parent_admin_sees_the_sibling_grant_the_branch_admin_does_not(w):
    role = {"role": str(w.clerk.pk)}
    assert str(w.a_holds_b.pk) not in listed(client_for(w.admin_a), w.france, **role)
    assert str(w.a_holds_b.pk) in listed(client_for(w.admin_p), w.france, **role)
    assert str(w.a_holds_b.pk) in listed(client_for(w.brand), w.france, **role)


def test_another_role_and_the_admins_own_role(w):
    client = client_for(w.admin_p)
    assert listed(client, w.emea, role=str(w.auditor.pk)) == ids(w.a_auditor)
    # admin_a and admin_b hold Admin inside EMEA; admin_p's own grant is on EMEA too.
    assert listed(client, w.emea, role=str(w.admin_role.pk)) == ids(w.admin_a, w.admin_b, w.admin_p)
    # From France alone, the Admin of Germany is not listed (home Germany); admin_a is.
    assert listed(client_for(w.admin_a), w.france, role=str(w.admin_role.pk)) == ids(w.admin_a)


# ---- every admin, organization and role against an oracle --------------------------------------


def _visible_prefixes(actor: Account, permission: str) -> list[str] | None:
    """The subtrees where `actor` holds `permission` (None: every organization)."""
    if actor.is_staff:
        return None
    return [
        ra.organization.path
        for ra in RoleAssignment.objects.filter(account=actor).select_related(
            "organization", "role"
        )
        if permission in ra.role.permissions
    ]


def _within(path: str, prefixes: list[str] | None) -> bool:
    return prefixes is None or any(path.startswith(p) for p in prefixes)


def _listable(w: SimpleNamespace, actor: Account) -> list[Any]:
    orgs = [w.acme, w.emea, w.france, w.germany, w.americas, w.globex, w.europe, w.asia]
    prefixes = _visible_prefixes(actor, "accounts.view")
    return [org for org in orgs if _within(org.path, prefixes)]


ACTORS = ["admin_a", "admin_b", "admin_p", "mixed", "grouper", "reader", "admin_globex", "brand"]


@pytest.mark.parametrize("who", ACTORS)
def test_role_filter_matches_the_oracle_everywhere(w, who):
    actor = getattr(w, who)
    client = client_for(actor)
    visible = _visible_prefixes(actor, "roles.view")
    roles = [w.clerk, w.auditor, w.admin_role, w.accounts_reader, w.roles_reader]
    for org in _listable(w, actor):
        everyone = listed(client, org)
        for role in roles:
            expected = {
                str(account_id)
                for account_id, path in RoleAssignment.objects.filter(role=role).values_list(
                    "account_id", "organization__path"
                )
                if str(account_id) in everyone and _within(path, visible)
            }
            assert listed(client, org, role=str(role.pk)) == expected, (who, org.name, role.slug)


# ---- the group filter --------------------------------------------------------------------------


@pytest.fixture
def groups(w: SimpleNamespace) -> SimpleNamespace:
    acme_team = Group.objects.create(organization=w.acme, name="Acme team")
    france_team = Group.objects.create(organization=w.france, name="France team")
    germany_team = Group.objects.create(organization=w.germany, name="Germany team")
    emea_team = Group.objects.create(organization=w.emea, name="EMEA team")
    asia_team = Group.objects.create(organization=w.asia, name="Asia team")
    for group, members in (
        (france_team, [w.a_holds_a, w.plain]),
        (germany_team, [w.b_holds_a]),
        (emea_team, [w.a_holds_b, w.b_holds_a]),
        (asia_team, [w.eu_holds_asia]),
    ):
        for account in members:
            GroupMembership.objects.create(group=group, account=account)
    # A membership that breaks the tree rule (an Americas account in an EMEA group), as an
    # import may have written it: shown only to whoever may see the account's groups.
    GroupMembership.objects.create(group=emea_team, account=w.americano)
    return SimpleNamespace(
        acme_team=acme_team,
        france_team=france_team,
        germany_team=germany_team,
        emea_team=emea_team,
        asia_team=asia_team,
    )


def test_group_filter_counts_only_memberships_the_admin_may_see(w, groups):
    team = {"group": str(groups.emea_team.pk)}
    # grouper sees every Acme account but the groups of EMEA only: the Americas member of the
    # EMEA group is not theirs to see as a member (the Groups tab would not show it).
    assert listed(client_for(w.grouper), w.acme, **team) == ids(w.a_holds_b, w.b_holds_a)
    assert listed(client_for(w.admin_p), w.emea, **team) == ids(w.a_holds_b, w.b_holds_a)
    assert listed(client_for(w.brand), w.acme, **team) == ids(w.a_holds_b, w.b_holds_a, w.americano)


def test_group_filter_refuses_groups_the_admin_may_not_see(w, groups):
    client = client_for(w.grouper)
    for group in (groups.acme_team, groups.asia_team):  # above EMEA; another tree
        assert problems_of(client, w.acme, group=str(group.pk)) == [INVALID_GROUP]
    assert problems_of(client_for(w.admin_a), w.france, group=str(groups.emea_team.pk)) == [
        INVALID_GROUP
    ]
    assert problems_of(client_for(w.admin_p), w.emea, group=str(groups.asia_team.pk)) == [
        INVALID_GROUP
    ]
    # Refused, the filter is dropped: the list is the unfiltered one, not an empty one.
    assert listed(client, w.acme, group=str(groups.asia_team.pk)) == listed(client, w.acme)


def test_group_filter_lists_members_of_a_visible_group(w, groups):
    client = client_for(w.admin_p)
    assert listed(client, w.emea, group=str(groups.emea_team.pk)) == ids(w.a_holds_b, w.b_holds_a)
    assert listed(client, w.emea, group=str(groups.germany_team.pk)) == ids(w.b_holds_a)
    assert listed(client, w.emea, group=str(groups.france_team.pk)) == ids(w.a_holds_a, w.plain)
    assert listed(client_for(w.admin_globex), w.globex, group=str(groups.asia_team.pk)) == ids(
        w.eu_holds_asia
    )


# ---- the FilterSet itself ----------------------------------------------------------------------


def _filtered(w: SimpleNamespace, actor: Any, **data: str) -> set[str]:
    qs = Account.objects.filter(organization__root_id=w.acme.root_id)
    filterset = AccountFilter(
        data,
        queryset=qs,
        actor=as_admin(actor) if actor is not ... else None,
    )
    assert filterset.is_valid(), filterset.errors
    return {str(pk) for pk in filterset.qs.values_list("pk", flat=True)}


def test_without_an_actor_the_grant_filters_match_nothing(w, groups):
    """A FilterSet built without the request fails closed rather than open."""
    assert _filtered(w, ..., role=str(w.clerk.pk)) == set()
    assert _filtered(w, ..., group=str(groups.emea_team.pk)) == set()
    assert _filtered(w, w.brand, role=str(w.clerk.pk)) == ids(
        w.a_holds_a,
        w.a_holds_b,
        w.a_holds_both,
        w.b_holds_a,
        w.a_holds_americas,
        w.a_holds_parent,
        w.a_holds_globex,
    )


def test_role_filter_is_one_exists_with_one_subquery(w):
    """The filter adds one EXISTS on the grants (their organization tested by the same one
    subtree IN as every restricted list): no extra query, no join that would repeat rows."""
    qs = Account.objects.all()
    filterset = AccountFilter({"role": str(w.clerk.pk)}, queryset=qs, actor=as_admin(w.admin_p))
    assert filterset.is_valid()
    filtered = filterset.qs  # the admin's grants are read here, once per request
    with CaptureQueriesContext(connection) as queries:
        rows = list(filtered)
    assert len(queries) == 1
    sql = queries[0]["sql"].upper()
    assert sql.count("EXISTS") == 1
    assert " JOIN " not in sql
    assert len(rows) == len({r.pk for r in rows})
