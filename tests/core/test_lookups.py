"""`field__lower`: the identifier comparison the lower(…) indexes serve."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from orgdesk.accounts.models import Account
from orgdesk.accounts.validation import identifier_conflicts
from tests.factories import make_account

pytestmark = pytest.mark.django_db


def test_matches_whatever_the_case_beyond_ascii(world):
    made = make_account(world.france, email="Emile.Zola@acme.test", given_name="Émile")
    assert list(Account.objects.filter(email__lower="emile.zola@ACME.test")) == [made]
    assert list(Account.objects.filter(given_name__lower="éMILE")) == [made]
    assert not Account.objects.filter(given_name__lower="emile").exists()


def test_identifier_conflicts_compare_as_the_constraints_do(world):
    make_account(world.france, email="taken@acme.test", username="Taken.User")
    other = Account(organization=world.germany, email="TAKEN@acme.test", username="taken.user")
    with CaptureQueriesContext(connection) as ctx:
        found = identifier_conflicts(other)
    assert set(found) == {"email", "username"}
    lookups = [q["sql"] for q in ctx.captured_queries if "accounts_account" in q["sql"]]
    assert len(lookups) == 2
    assert all("LOWER(" in sql and "UPPER(" not in sql for sql in lookups)
