"""Sorting the Accounts tab by its columns: every order both ways, with ties and NULLs,
walked page by page forwards and back through the view, on SQLite and PostgreSQL.

Each walk is compared with the order computed in Python from the rows' values (names are
plain lowercase words, so the database's collation and Python agree), and the same walk runs
with the bounded count below the result's size, so both of paginate()'s plans are paged:
rows read by key (a small result) and the sort index walked (a large one).
"""

import datetime as dt
import uuid
from typing import Any

import pytest

from orgdesk.accounts.lists import ACCOUNTS
from orgdesk.accounts.models import Account
from orgdesk.core.listing import BadCursor, _sign, paginate
from orgdesk.ui.lists import sort_headers
from tests.factories import make_account
from tests.portal.test_account_search import walk_view
from tests.portal.test_accounts_tab import accounts_url, problems, results, rows

pytestmark = pytest.mark.django_db

ORDERS = sorted(ACCOUNTS.orderings)


@pytest.fixture
def sortable(world):
    """22 accounts of EMEA's subtree whose family name begins with "sortx": namesakes (equal
    sort names, one differing in case only), names falling back to the email, equal and
    missing last logins, equal creation times, both statuses."""
    base = dt.datetime(2026, 5, 1, tzinfo=dt.UTC)
    names = ["delta", "alpha", "Alpha", "charlie", "bravo", "bravo", "bravo", "echo", "", ""]
    made = []
    for i in range(22):
        organization = (world.emea, world.france, world.germany)[i % 3]
        display = names[i % len(names)]
        fields: dict[str, Any] = {
            "email": f"z{i:02d}@acme.test",
            "given_name": "" if not display else "Given",
            "family_name": "sortx",
            "display_name": display,
        }
        account = make_account(organization, **fields)
        last = None if i % 5 == 0 else base + dt.timedelta(hours=i % 4)
        created = base - dt.timedelta(days=i % 3)
        disabled = i % 4 == 1
        Account.objects.filter(pk=account.pk).update(
            last_login=last,
            created=created,
            status=Account.Status.DISABLED if disabled else Account.Status.ENABLED,
            disabled_at=base if disabled else None,
        )
        made.append(account)
    return made


def _hex(value: Any) -> str:
    return uuid.UUID(str(value)).hex


def expected(accounts: list[Account], order: str) -> list[str]:
    """The ids in the order `order` means, computed in Python."""
    fresh = list(
        Account.objects.select_related("organization").filter(pk__in=[a.pk for a in accounts])
    )
    column, descending = order.lstrip("-"), order.startswith("-")
    if column == "last_login":
        dated = sorted(
            (a for a in fresh if a.last_login is not None), key=lambda a: (a.last_login, _hex(a.pk))
        )
        undated = sorted((a for a in fresh if a.last_login is None), key=lambda a: _hex(a.pk))
        ascending = undated + dated  # NULL is the lowest value
        ordered = ascending[::-1] if descending else ascending
        return [str(a.pk) for a in ordered]
    keys = {
        "name": lambda a: (a.sort_name, _hex(a.pk)),
        "organization": lambda a: (
            a.organization.name,
            _hex(a.organization_id),
            a.sort_name,
            _hex(a.pk),
        ),
        "status": lambda a: (a.status, a.sort_name, _hex(a.pk)),
        "created": lambda a: (a.created, _hex(a.pk)),
    }
    return [str(a.pk) for a in sorted(fresh, key=keys[column], reverse=descending)]


def test_every_column_and_direction_has_an_order():
    columns = {"name", "organization", "status", "last_login", "created"}
    assert set(ORDERS) == columns | {f"-{c}" for c in columns}
    assert ACCOUNTS.default_order == "-last_login"


def test_the_sort_name_is_what_the_account_column_shows_lowered(world):
    shown = make_account(world.france, display_name="Zoë Ärger", email="zoe@acme.test")
    named = make_account(world.france, given_name="Ann", family_name="Lee", email="a@acme.test")
    bare = make_account(world.france, given_name="", family_name="", email="Bare@Acme.test")
    phone = make_account(world.france, given_name="", family_name="", phone="+33611223344")
    found = dict(
        Account.objects.filter(pk__in=[shown.pk, named.pk, bare.pk, phone.pk]).values_list(
            "pk", "sort_name"
        )
    )
    assert found[shown.pk] == "zoë ärger"
    assert found[named.pk] == "ann lee"
    assert found[bare.pk] == bare.email.lower()
    assert found[phone.pk] == "+33611223344"
    # kept up to date by the database on every write
    Account.objects.filter(pk=named.pk).update(display_name="Bee")
    assert Account.objects.get(pk=named.pk).sort_name == "bee"


@pytest.mark.parametrize("capped", [False, True], ids=["rows-by-key", "sort-index"])
@pytest.mark.parametrize("order", ORDERS)
def test_each_order_pages_forwards_and_back(
    world, admin_client, sortable, monkeypatch, order, capped
):
    if capped:
        # a result larger than the bounded count: pages are read along the sort index
        monkeypatch.setattr("orgdesk.core.listing.COUNT_LIMIT", 5)
    params = {"family_name": "sortx", "scope": "tree", "size": "10", "order": order}
    forward, backward = walk_view(admin_client, accounts_url(world.emea), params)
    assert forward == expected(sortable, order)
    assert backward == forward


@pytest.mark.parametrize("order", ORDERS)
def test_each_order_pages_a_search(world, admin_client, sortable, order):
    # a search alone: on PostgreSQL the last-login and created orders are answered from the
    # covering search indexes, the others by the general plan
    params = {"q": "sortx", "scope": "tree", "size": "10", "order": order}
    forward, backward = walk_view(admin_client, accounts_url(world.emea), params)
    assert forward == expected(sortable, order)
    assert backward == forward


def test_the_headers_link_each_column_and_turn_the_sorted_one_round(world, admin_client, sortable):
    url = accounts_url(world.emea)
    response = admin_client.get(url, {"family_name": "sortx", "order": "name"})
    headers = {
        th.find("a", cls="sort-link").text(): th
        for th in results(response).find("thead").find_all("th")
        if th.attrs.get("aria-sort")
    }
    assert list(headers) == ["Account", "Organization", "Status", "Last login", "Created"]
    assert headers["Account"].attrs["aria-sort"] == "ascending"
    assert {h.attrs["aria-sort"] for n, h in headers.items() if n != "Account"} == {"none"}

    def target(name: str) -> str:
        link = headers[name].find("a", cls="sort-link")
        assert link.attrs["href"] == link.attrs["hx-get"]
        return link.attrs["href"]

    assert target("Account") == f"{url}?family_name=sortx&order=-name"
    assert target("Organization") == f"{url}?family_name=sortx&order=organization"
    # dates start with the most recent; the default order is named too (a bare address
    # would mean "my remembered view")
    assert target("Last login") == f"{url}?family_name=sortx&order=-last_login"
    assert target("Created") == f"{url}?family_name=sortx&order=-created"

    response = admin_client.get(url, {"family_name": "sortx", "order": "-name"})
    header = next(
        th for th in results(response).find("thead").find_all("th") if th.text() == "Account"
    )
    assert header.attrs["aria-sort"] == "descending"
    assert header.find("a").attrs["href"] == f"{url}?family_name=sortx&order=name"


def test_the_filter_form_keeps_the_sort(world, admin_client, sortable):
    response = admin_client.get(accounts_url(world.emea), {"order": "status"})
    hidden = results(response).find("input", name="order")
    assert hidden.attrs["form"] == "list-form"
    assert hidden.attrs["value"] == "status"
    response = admin_client.get(accounts_url(world.emea), {"order": "-last_login"})
    assert results(response).find("input", name="order").attrs["value"] == ""


def test_the_sort_is_remembered_like_filters(world, admin_client, sortable):
    url = accounts_url(world.emea)
    admin_client.get(url, {"family_name": "sortx", "order": "-created"})
    response = admin_client.get(url)
    assert response.status_code == 302
    assert response["Location"] == f"{url}?family_name=sortx&order=-created"


def test_an_unknown_order_is_a_problem_and_the_default_is_used(world, admin_client, sortable):
    response = admin_client.get(accounts_url(world.emea), {"family_name": "sortx", "order": "nope"})
    assert response.status_code == 200
    assert problems(response) == ["Unknown sort order; sorted by last login."]
    assert [row["id"] for row in rows(response)] == expected(sortable, "-last_login")[:25]


def test_a_cursor_of_another_order_or_shape_is_refused(sortable):
    qs = Account.objects.filter(family_name="sortx")
    by_name = ACCOUNTS.orderings["name"]
    page = paginate(qs, by_name, size=5)
    assert page.next_cursor
    with pytest.raises(BadCursor):
        paginate(qs, ACCOUNTS.orderings["-name"], size=5, cursor=page.next_cursor)
    # a signed cursor of this order but holding another order's number of keys
    wrong_shape = _sign(
        {"o": "name", "d": "next", "k": ["a", "b"], "id": str(page.rows[-1].pk), "n": 6}
    )
    with pytest.raises(BadCursor):
        paginate(qs, by_name, size=5, cursor=wrong_shape)
    with pytest.raises(BadCursor):
        paginate(qs, by_name, size=5, cursor=page.next_cursor[:-2] + "xx")


def test_sort_headers_of_the_default_view(world, sortable):
    from orgdesk.lists import run_list
    from orgdesk.testing.actors import as_admin

    result = run_list(ACCOUNTS, as_admin(world.admin), {}, within=world.emea, size=10)
    headers = sort_headers(ACCOUNTS, result, "/x")
    assert headers["last_login"].state == "descending"
    assert headers["last_login"].url == "/x?order=last_login"
    assert headers["name"].url == "/x?order=name"
    assert headers["status"].state == "none"
