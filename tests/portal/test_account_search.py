"""The search box of the Accounts tab: what text means, and the index-only search pages.

A search alone (no filter) is paged from `search_keys()` on PostgreSQL: a union of index-only
probes per organization. These tests walk such pages through the view on both databases and
compare them with a reference computed in Python, and check the union against the plain
OR query page by page, forwards and back.
"""

import datetime as dt
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from django.db import connection

from orgdesk.access.scoping import restrict
from orgdesk.accounts.filters import SearchText, parse_search, search, search_keys
from orgdesk.accounts.models import Account
from orgdesk.core.listing import Ordering, paginate
from orgdesk.organizations.models import Organization
from orgdesk.testing.actors import as_admin
from tests.factories import make_account
from tests.portal.test_accounts_tab import DASH, accounts_url, pager_link, problems, results, rows

pytestmark = pytest.mark.django_db

LAST_LOGIN = Ordering("last_login", "last_login", nullable=True)
CREATED = Ordering("created", "created")


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("", None),
        ("   ", None),
        ("*", None),
        ("**", None),
        ("Jo", SearchText("prefix", "jo")),
        ("  JOHN.D@  ", SearchText("prefix", "john.d@")),
        ("jo*", SearchText("prefix", "jo")),
        ("*oreau*", SearchText("substring", "oreau")),
        ("*OREAU", SearchText("substring", "oreau")),
        ("*ab*", SearchText("prefix", "ab", too_short=True)),
        ("+33 6 12", SearchText("phone", "+33612")),
        ("+336", SearchText("phone", "+336")),
        ("+", SearchText("prefix", "+")),
        ("%_", SearchText("prefix", "%_")),
    ],
)
def test_what_the_search_text_means(raw, expected):
    assert parse_search(raw) == expected


@pytest.fixture
def crowd(world):
    """35 accounts under EMEA whose email, username or names begin with "jo", some twice, with
    equal and missing last logins; namesakes elsewhere that must never show."""
    base = dt.datetime(2026, 3, 1, tzinfo=dt.UTC)
    made = []
    for i in range(35):
        organization = (world.emea, world.france, world.germany)[i % 3]
        fields: dict[str, Any] = {"email": f"c{i}@acme.test", "given_name": "Ann"}
        if i % 4 == 0:
            fields["email"] = f"jo{i}@acme.test"
        if i % 4 == 1:
            fields["username"] = f"Jo.{i}"
        if i % 4 == 2:
            fields["given_name"] = "Joëlle"
        if i % 4 == 3:
            fields.update(family_name="Jones", email=f"JOnes{i}@acme.test")  # matches twice
        account = make_account(organization, **fields)
        last = None if i % 6 == 0 else base + dt.timedelta(hours=i // 4)
        Account.objects.filter(pk=account.pk).update(last_login=last)
        made.append(account)
    # outside the admin's reach, or outside EMEA's subtree
    make_account(world.globex_eu, email="jo.foreign@globex.test", given_name="Jo")
    make_account(world.americas, email="jo.americas@acme.test", given_name="Jo")
    return made


def walk_view(client: Any, url: str, params: dict[str, str]) -> tuple[list[str], list[str]]:
    """Every page forwards through the view's next links, then back through its previous
    links: the row ids in display order, both ways."""
    forward, pages = [], []
    response = client.get(url, params)
    while True:
        assert problems(response) == []
        pages.append(response)
        forward.extend(row["id"] for row in rows(response))
        link = pager_link(response, "next")
        if not link:
            break
        response = client.get(url, {k: v[0] for k, v in parse_qs(urlsplit(link).query).items()})
    backward = [row["id"] for row in rows(pages[-1])]
    response = pages[-1]
    while link := pager_link(response, "prev"):
        response = client.get(url, {k: v[0] for k, v in parse_qs(urlsplit(link).query).items()})
        backward = [row["id"] for row in rows(response)] + backward
    return forward, backward


def expected_order(accounts: list[Account], field: str) -> list[str]:
    fresh = list(Account.objects.filter(pk__in=[a.pk for a in accounts]))
    dated = sorted(
        (a for a in fresh if getattr(a, field) is not None),
        key=lambda a: (getattr(a, field), a.pk),
        reverse=True,
    )
    undated = sorted((a for a in fresh if getattr(a, field) is None), key=lambda a: a.pk)
    return [str(a.pk) for a in dated + undated[::-1]]


@pytest.mark.parametrize("order", ["-last_login", "-created"])
def test_search_pages_walk_the_whole_subtree_and_nothing_else(world, admin_client, crowd, order):
    url = accounts_url(world.emea)
    forward, backward = walk_view(
        admin_client, url, {"q": "JO", "size": "10", "scope": "tree", "order": order}
    )
    expected = expected_order(crowd, order.lstrip("-"))
    assert forward == expected
    assert backward == expected


def test_search_in_this_organization_only(world, admin_client, crowd):
    url = accounts_url(world.emea)
    forward, _ = walk_view(admin_client, url, {"q": "jo", "size": "10", "scope": "org"})
    in_emea = [a for a in crowd if a.organization_id == world.emea.pk]
    assert forward == expected_order(in_emea, "last_login")


def test_the_total_counts_each_account_once(world, admin_client, crowd):
    response = admin_client.get(accounts_url(world.emea), {"q": "jo", "size": "100"})
    assert len(rows(response)) == 35
    assert results(response).find("span", cls="range-text").text() == f"1{DASH}35 of 35"
    response = admin_client.get(accounts_url(world.emea), {"q": "jo", "size": "10"})
    assert results(response).find("span", cls="range-text").text() == f"1{DASH}10 of 35"


@pytest.mark.parametrize("ordering", [LAST_LOGIN, CREATED], ids=lambda o: o.key)
@pytest.mark.parametrize("text", ["jo", "jon", "+336", "c1"])
def test_keys_pages_equal_the_plain_query_pages(world, crowd, ordering, text):
    """Where search_keys answers (PostgreSQL), its pages are the plain OR query's pages."""
    wanted = parse_search(text)
    organizations = restrict(
        as_admin(world.admin), "accounts.view", Organization, within=world.emea
    )
    keys = search_keys(organizations, wanted)
    if connection.vendor != "postgresql":
        assert keys is None
        return
    qs = search(
        restrict(as_admin(world.admin), "accounts.view", Account.objects.all(), within=world.emea),
        wanted,
    )
    cursors: tuple[str | None, str | None] = (None, None)
    while True:
        plain = paginate(qs, ordering, size=4, cursor=cursors[0])
        keyed = paginate(qs, ordering, size=4, cursor=cursors[1], keys=keys)
        assert [r.pk for r in keyed.rows] == [r.pk for r in plain.rows]
        assert (keyed.start, keyed.total, keyed.total_capped) == (
            plain.start,
            plain.total,
            plain.total_capped,
        )
        if not plain.next_cursor:
            assert keyed.next_cursor is None
            break
        cursors = (plain.next_cursor, keyed.next_cursor)


def test_substring_search_is_not_answered_from_keys(world):
    organizations = Organization.objects.all()
    assert search_keys(organizations, parse_search("*oreau*")) is None


def test_two_characters_anywhere_are_searched_as_a_beginning(world, admin_client):
    dan = make_account(world.france, email="dm@acme.test", given_name="Daniel")
    anna = make_account(world.france, email="an.b@acme.test", given_name="Zoé")
    response = admin_client.get(accounts_url(world.emea), {"q": "*an*"})
    assert problems(response) == [
        "Text anywhere in a name needs at least 3 characters; searched as a beginning."
    ]
    assert {row["id"] for row in rows(response)} == {str(anna.pk)}
    assert str(dan.pk) not in {row["id"] for row in rows(response)}


def test_a_beginning_search_offers_the_same_text_anywhere(world, admin_client):
    dan = make_account(
        world.france, email="dm@acme.test", given_name="Daniel", display_name="Dan Moreau"
    )
    url = accounts_url(world.emea)
    response = admin_client.get(url, {"q": "oreau", "status": "enabled"})
    assert rows(response) == []
    hint = results(response).find("p", cls="search-hint")
    assert "begins with “oreau”" in hint.text()
    link = hint.find("a").attrs["href"]
    assert parse_qs(urlsplit(link).query) == {"q": ["*oreau*"], "status": ["enabled"]}
    assert [row["id"] for row in rows(admin_client.get(link))] == [str(dan.pk)]
    # no offer for two letters, for a phone, or once the text is searched anywhere
    for q in ("or", "+336", "*oreau*"):
        assert results(admin_client.get(url, {"q": q})).find("p", cls="search-hint") is None
