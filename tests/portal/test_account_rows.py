"""The Accounts table's rows, written in Python (portal/account_rows.py): everything from an
account escaped, the same queries whatever the page size, and the French labels."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from orgdesk.accounts.models import Account, ExternalIdentity
from tests.factories import make_account
from tests.portal.test_accounts_tab import accounts_url, bulk_accounts, results, rows

pytestmark = pytest.mark.django_db

HOSTILE = '<img src=x onerror="alert(1)">'


def test_every_value_from_an_account_is_escaped(world, admin_client):
    account = make_account(world.france, display_name=HOSTILE, email="hostile@acme.test")
    # as an import from elsewhere might have stored it, past the form's rules
    Account.objects.filter(pk=account.pk).update(username='x"><script>alert(2)</script>')
    ExternalIdentity.objects.create(
        account=account,
        kind=ExternalIdentity.Kind.SOCIAL,
        provider='"><b>prov</b>',
        subject="s-1",
    )
    response = admin_client.get(accounts_url(world.france), {"q": "hostile"})
    body = response.content.decode()
    assert "<img src=x" not in body and "<script>alert(2)" not in body and "<b>prov" not in body
    assert "&lt;img src=x onerror=&quot;alert(1)&quot;&gt;" in body
    (row,) = rows(response)
    assert row["name"] == HOSTILE
    assert [idp.lower() for idp in row["idps"]] == ['"><b>prov</b>']
    assert 'aria-label="Actions for &lt;img' in body


def test_the_row_queries_do_not_grow_with_the_page(world, admin_client):
    bulk_accounts(world.france, 120, "q")
    counts = {}
    for size in ("10", "100"):
        # accounts alike (none holds a role, whose standing reads its grants' organizations)
        view = {"size": size, "family_name": "q"}
        admin_client.get(accounts_url(world.france), view)
        with CaptureQueriesContext(connection) as ctx:
            response = admin_client.get(accounts_url(world.france), view)
        assert len(rows(response)) == int(size)
        counts[size] = [q["sql"][:60] for q in ctx.captured_queries]
    assert counts["10"] == counts["100"]


def test_rows_in_french(world, admin_client):
    Account.objects.filter(pk=world.inside.pk).update(last_login=None)
    admin_client.post("/i18n/setlang/", {"language": "fr", "next": "/"})
    response = admin_client.get(accounts_url(world.france), {"q": "inside"})
    (row,) = rows(response)
    assert row["status"] == "Activé"
    assert row["last_login"] == "Jamais"
    assert "Modifier les détails du compte" in row["menu"][0]
    assert results(response).find("span", cls="range-text") is not None
