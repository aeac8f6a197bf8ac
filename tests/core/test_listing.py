import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from orgdesk.accounts.models import Account
from orgdesk.core.listing import BadCursor, Ordering, keys_of, paginate
from tests.factories import make_account

pytestmark = pytest.mark.django_db

LAST_LOGIN = Ordering("last_login", "last_login", nullable=True)
CREATED = Ordering("created", "created")


@pytest.fixture
def accounts(tree):
    base = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    made = []
    for i in range(47):
        account = make_account(tree.france, email=f"p{i}@example.com")
        # duplicates of the same instant, and never-signed-in accounts (NULL)
        last = None if i % 5 == 0 else base + dt.timedelta(hours=i // 3)
        Account.objects.filter(pk=account.pk).update(last_login=last)
        made.append(account)
    return made


def reference(ordering):
    rows = list(Account.objects.all())
    non_null = sorted(
        (r for r in rows if getattr(r, ordering.field) is not None),
        key=lambda r: (getattr(r, ordering.field), r.pk),
        reverse=True,
    )
    nulls = sorted(
        (r for r in rows if getattr(r, ordering.field) is None), key=lambda r: r.pk, reverse=True
    )
    return [r.pk for r in non_null + nulls]


def walk(ordering, size, with_keys):
    """Every page forwards, then back from the last one, as lists of keys."""
    qs = Account.objects.all()
    keys = keys_of(qs) if with_keys else None
    seen, pages, cursor = [], [], None
    while True:
        page = paginate(qs, ordering, size=size, cursor=cursor, keys=keys)
        assert page.start == len(seen) + 1
        seen.extend(r.pk for r in page.rows)
        pages.append(page)
        if not page.next_cursor:
            break
        cursor = page.next_cursor
    back, page = [], pages[-1]
    while page.prev_cursor:
        page = paginate(qs, ordering, size=size, cursor=page.prev_cursor, keys=keys)
        back = [r.pk for r in page.rows] + back
    return seen, back, pages


@pytest.mark.parametrize("with_keys", [False, True], ids=["rows", "keys"])
@pytest.mark.parametrize("ordering", [LAST_LOGIN, CREATED], ids=lambda o: o.key)
@pytest.mark.parametrize("size", [1, 7, 10, 100])
def test_forward_and_backward_walks_match_the_reference(accounts, ordering, size, with_keys):
    expected = reference(ordering)
    seen, back, pages = walk(ordering, size, with_keys)
    assert seen == expected
    assert pages[0].total == len(expected)
    assert back == expected[: len(back)]
    assert len(back) == len(expected) - len(pages[-1].rows)


def test_a_keys_page_whose_rows_are_gone_still_counts(accounts):
    qs = Account.objects.all()
    keys = keys_of(qs)
    first = paginate(qs, LAST_LOGIN, size=40, keys=keys)
    Account.objects.filter(pk__in=[r.pk for r in reference_rows(40)]).delete()
    later = paginate(qs, LAST_LOGIN, size=40, cursor=first.next_cursor, keys=keys)
    assert later.rows == [] and later.total == 40 and later.next_cursor is None


def reference_rows(n):
    order = reference(LAST_LOGIN)
    return [Account(pk=pk) for pk in order[40 : 40 + n]]


def test_tampered_and_foreign_cursors_are_refused(accounts):
    page = paginate(Account.objects.all(), LAST_LOGIN, size=5)
    with pytest.raises(BadCursor):
        paginate(Account.objects.all(), LAST_LOGIN, size=5, cursor=page.next_cursor + "x")
    with pytest.raises(BadCursor):
        paginate(Account.objects.all(), CREATED, size=5, cursor=page.next_cursor)
    with pytest.raises(BadCursor):
        paginate(Account.objects.all(), LAST_LOGIN, size=5, cursor="' OR 1=1 --")


def test_keys_pages_take_two_queries_whatever_the_size(accounts):
    qs = Account.objects.all()
    for size in (10, 25, 50, 100):
        with CaptureQueriesContext(connection) as ctx:
            first = paginate(qs, LAST_LOGIN, size=size, keys=keys_of(qs))
        assert len(ctx.captured_queries) == 2, size  # the keys and the count, then the rows
        assert first.total == 47 and not first.total_capped


def test_keys_repeated_across_parts_are_counted_once(accounts, monkeypatch):
    monkeypatch.setattr("orgdesk.core.listing.COUNT_LIMIT", 5)
    few = Account.objects.filter(pk__in=reference(LAST_LOGIN)[:4])
    qs = Account.objects.all()
    # four rows, three times over: the first read (12) is all repeats, the longer one tells
    repeated = keys_of(few).union(keys_of(few), keys_of(few), all=True)
    page = paginate(few, LAST_LOGIN, size=10, keys=repeated)
    assert (page.total, page.total_capped) == (4, False)
    assert [r.pk for r in page.rows] == reference(LAST_LOGIN)[:4]
    # repeats first, then more distinct rows than the limit
    more = keys_of(few).union(keys_of(few), keys_of(qs), all=True)
    page = paginate(qs, LAST_LOGIN, size=10, keys=more)
    assert (page.total, page.total_capped) == (5, True)
    assert [r.pk for r in page.rows] == reference(LAST_LOGIN)[:10]


def test_query_count_does_not_depend_on_the_page_size(accounts):
    for size in (10, 25, 50, 100):
        # first page: the bounded id fetch, then the page itself
        with CaptureQueriesContext(connection) as ctx:
            first = paginate(Account.objects.all(), LAST_LOGIN, size=size)
        assert len(ctx.captured_queries) == 2, size
        if first.next_cursor:
            # later pages add at most one query, where the page crosses into NULL last logins
            with CaptureQueriesContext(connection) as ctx:
                paginate(Account.objects.all(), LAST_LOGIN, size=size, cursor=first.next_cursor)
            assert len(ctx.captured_queries) in (2, 3), size


def test_a_large_result_walks_the_order_by_keys_then_reads_the_page(accounts, monkeypatch):
    """Past the bounded count the sort order is walked for keys alone (an index-only scan
    where the index holds what the filters test), then the page's rows are read by key."""
    monkeypatch.setattr("orgdesk.core.listing.COUNT_LIMIT", 5)
    qs = Account.objects.select_related("organization").only(
        "id", "last_login", "email", "organization__name"
    )
    seen = []
    cursor = None
    while True:
        with CaptureQueriesContext(connection) as ctx:
            page = paginate(qs, LAST_LOGIN, size=10, cursor=cursor)
        assert page.total_capped
        walks = [q["sql"] for q in ctx.captured_queries if "ORDER BY" in q["sql"]]
        # each walk selects the key alone; the rows come by key, with the join asked for
        assert walks and all(w.split(" FROM ")[0].count(",") == 0 for w in walks), walks
        assert "JOIN" in ctx.captured_queries[-1]["sql"]
        seen += [row.pk for row in page.rows]
        assert all(row.organization is not None for row in page.rows)
        if not page.next_cursor:
            break
        cursor = page.next_cursor
    assert seen == reference(LAST_LOGIN)


def test_a_row_deleted_between_the_walk_and_the_read_is_left_out(accounts, monkeypatch):
    from orgdesk.core import listing

    monkeypatch.setattr("orgdesk.core.listing.COUNT_LIMIT", 5)
    gone = reference(LAST_LOGIN)[1]
    read = listing._by_keys

    def deleted_meanwhile(qs, ids):
        Account.objects.filter(pk=gone).delete()
        return read(qs, ids)

    monkeypatch.setattr(listing, "_by_keys", deleted_meanwhile)
    page = paginate(Account.objects.all(), LAST_LOGIN, size=10)
    # the page is walked again without it: still a full page, and a next one
    assert [row.pk for row in page.rows] == [pk for pk in reference(LAST_LOGIN) if pk != gone][:10]
    assert page.next_cursor
