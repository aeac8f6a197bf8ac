"""Remembered list views: per organization and list, never a one-off jump to one account,
dropped with a notice when they no longer apply; and exact totals on demand."""

import pytest
from django.contrib.messages import get_messages
from django.db import connection
from django.db.models import BooleanField
from django.db.models.expressions import RawSQL

from orgdesk.accounts.models import Account, Group
from orgdesk.core.listing import exact_count
from tests.factories import make_account
from tests.portal.test_accounts_tab import (
    accounts_url,
    bulk_accounts,
    create_form,
    create_url,
    preference,
    results,
    rows,
)

pytestmark = pytest.mark.django_db


def remembered(admin, organization):
    return preference(admin).filters.get(f"accounts@{organization.pk}")


def notices(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def test_a_view_is_remembered_for_its_organization_only(world, admin_client):
    emea, france = accounts_url(world.emea), accounts_url(world.france)
    admin_client.get(emea, {"status": "disabled"})
    assert remembered(world.admin, world.emea) == "status=disabled"
    assert remembered(world.admin, world.france) is None
    # another organization opens on its own list, not on EMEA's filter
    response = admin_client.get(france)
    assert response.status_code == 200
    assert results(response).find("div", cls="alert") is None
    admin_client.get(france, {"q": "in"})
    assert admin_client.get(emea)["Location"] == f"{emea}?status=disabled"
    assert admin_client.get(france)["Location"] == f"{france}?q=in"


def test_a_new_sign_in_opens_each_organization_on_its_own_view(world, client, admin_client):
    from orgdesk.testing.auth import portal_login

    admin_client.get(accounts_url(world.emea), {"status": "enabled"})
    admin_client.logout()
    portal_login(client, world.admin)
    assert client.get(accounts_url(world.france)).status_code == 200
    response = client.get(accounts_url(world.emea))
    assert response["Location"] == f"{accounts_url(world.emea)}?status=enabled"


def test_a_jump_to_one_account_is_not_remembered(world, admin_client):
    url = accounts_url(world.france)
    admin_client.get(url, {"status": "enabled"})
    admin_client.get(url, {"account_id": str(world.inside.pk)})
    assert remembered(world.admin, world.france) == "status=enabled"
    # creating an account lands on it, and the list is then the remembered view again
    response = admin_client.post(create_url(world.france), create_form())
    assert response.status_code == 302
    landed = admin_client.get(response["Location"])
    assert len(rows(landed)) == 1
    assert remembered(world.admin, world.france) == "status=enabled"
    assert admin_client.get(url)["Location"] == f"{url}?status=enabled"


def test_a_remembered_view_that_now_matches_nothing_is_dropped_with_a_notice(world, admin_client):
    url = accounts_url(world.france)
    lone = make_account(world.france, email="lone@acme.test", family_name="Solitary")
    admin_client.get(url, {"family_name": "solit"})
    assert remembered(world.admin, world.france) == "family_name=solit"
    lone.delete()

    response = admin_client.get(url)
    assert response["Location"] == f"{url}?family_name=solit"
    response = admin_client.get(response["Location"])
    assert response.status_code == 302
    assert response["Location"] == url
    assert notices(response) == [
        "The filters you last used here no longer apply, so they were cleared."
    ]
    assert remembered(world.admin, world.france) is None
    response = admin_client.get(url)
    assert response.status_code == 200
    assert rows(response)


def test_a_remembered_view_whose_group_is_gone_is_dropped(world, admin_client):
    url = accounts_url(world.france)
    group = Group.objects.create(organization=world.france, name="Temporary")
    admin_client.get(url, {"group": str(group.pk)})
    assert remembered(world.admin, world.france) == f"group={group.pk}"
    group.delete()
    response = admin_client.get(admin_client.get(url)["Location"])
    assert response["Location"] == url
    assert remembered(world.admin, world.france) is None


def test_an_empty_view_asked_for_is_shown_not_dropped(world, admin_client):
    url = accounts_url(world.france)
    admin_client.get(url, {"status": "enabled"})
    response = admin_client.get(url, {"family_name": "nobody-has-this"})
    assert response.status_code == 200
    assert "No account matches these filters" in response.content.decode()
    assert remembered(world.admin, world.france) == "family_name=nobody-has-this"


def test_old_views_are_forgotten_beyond_the_limit(world, admin_client, monkeypatch):
    monkeypatch.setattr("orgdesk.ui.lists.REMEMBERED_VIEWS", 1)
    admin_client.get(accounts_url(world.emea), {"status": "enabled"})
    admin_client.get(accounts_url(world.france), {"status": "enabled"})
    assert remembered(world.admin, world.emea) is None
    assert remembered(world.admin, world.france) == "status=enabled"


# ---- exact totals ------------------------------------------------------------------------


def test_count_exactly_answers_the_exact_total(world, admin_client, monkeypatch):
    monkeypatch.setattr("orgdesk.core.listing.COUNT_LIMIT", 5)
    bulk_accounts(world.france, 12, "x")
    url = accounts_url(world.france)
    page = admin_client.get(url, {"family_name": "x"})
    button = results(page).find("button", cls="link-btn")
    assert button.text() == "Count exactly"
    assert button.attrs["hx-get"] == f"{url}?family_name=x&count=exact"
    response = admin_client.get(
        url, {"family_name": "x", "count": "exact"}, headers={"HX-Request": "true"}
    )
    assert response.status_code == 200
    assert response.content.decode().strip().endswith(">of 12</span>")
    # counting is not a view: nothing remembered from it
    assert remembered(world.admin, world.france) == "family_name=x"


def test_count_exactly_is_scoped_like_the_list(world, admin_client):
    # another tree's organization: the same 404 as its list
    response = admin_client.get(accounts_url(world.globex_eu), {"count": "exact"})
    assert response.status_code == 404


SLOW = (
    "(SELECT count(*) FROM (WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c "
    "WHERE x < 100000000) SELECT x FROM c) AS t) > 0"
)


def test_an_exact_count_gives_up_at_its_time_limit_and_the_connection_goes_on(world):
    qs = Account.objects.filter(RawSQL(SLOW, [], output_field=BooleanField()))  # noqa: S611
    counted = exact_count(qs, seconds=0.2)
    assert counted.total is None
    assert counted.seconds < 5
    # the connection is usable and its limit is back as it was
    assert Account.objects.filter(pk=world.inside.pk).exists()
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SHOW statement_timeout")
            assert cursor.fetchone()[0] == "0"
    assert exact_count(Account.objects.filter(pk=world.inside.pk)).total == 1


def test_an_exact_count_may_use_parallel_workers_and_requests_do_not(world):
    if connection.vendor != "postgresql":
        pytest.skip("parallel query: PostgreSQL")
    with_workers = RawSQL(
        "current_setting('max_parallel_workers_per_gather') = '2'",
        [],
        output_field=BooleanField(),
    )
    assert exact_count(Account.objects.filter(with_workers)).total >= 1
    assert not Account.objects.filter(with_workers).exists()


def test_the_page_says_when_counting_gave_up(world, admin_client, monkeypatch):
    from orgdesk.core.listing import ExactCount

    monkeypatch.setattr("orgdesk.lists.exact_count", lambda qs: ExactCount(None, 3.0))
    response = admin_client.get(accounts_url(world.france), {"count": "exact"})
    assert "of more than 1,000 (counting stopped after 3 s)" in response.content.decode()
