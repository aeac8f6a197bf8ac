import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from orgdesk.accounts.models import Account
from orgdesk.core.listing import BadCursor, Ordering, paginate
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


@pytest.mark.parametrize("ordering", [LAST_LOGIN, CREATED], ids=lambda o: o.key)
@pytest.mark.parametrize("size", [1, 7, 10, 100])
def test_forward_and_backward_walks_match_the_reference(accounts, ordering, size):
    expected = reference(ordering)
    seen, pages, cursor = [], [], None
    while True:
        page = paginate(Account.objects.all(), ordering, size=size, cursor=cursor)
        assert page.start == len(seen) + 1
        seen.extend(r.pk for r in page.rows)
        pages.append(page)
        if not page.next_cursor:
            break
        cursor = page.next_cursor
    assert seen == expected
    assert pages[0].total == len(expected)
    # walk back from the last page
    back, page = [], pages[-1]
    while page.prev_cursor:
        page = paginate(Account.objects.all(), ordering, size=size, cursor=page.prev_cursor)
        back = [r.pk for r in page.rows] + back
    assert back == expected[: len(back)]
    assert len(back) == len(expected) - len(pages[-1].rows)


def test_tampered_and_foreign_cursors_are_refused(accounts):
    page = paginate(Account.objects.all(), LAST_LOGIN, size=5)
    with pytest.raises(BadCursor):
        paginate(Account.objects.all(), LAST_LOGIN, size=5, cursor=page.next_cursor + "x")
    with pytest.raises(BadCursor):
        paginate(Account.objects.all(), CREATED, size=5, cursor=page.next_cursor)
    with pytest.raises(BadCursor):
        paginate(Account.objects.all(), LAST_LOGIN, size=5, cursor="' OR 1=1 --")


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
