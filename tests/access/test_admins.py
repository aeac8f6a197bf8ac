"""`orgdesk createadmin` (access/admins.py) run again for an existing admin sets the password
through a recorded action, for a brand admin and for an organization admin alike."""

from typing import Any

import pytest

from orgdesk.access.admins import create_admin
from orgdesk.accounts.models import Account
from orgdesk.activity.models import Event

pytestmark = pytest.mark.django_db

FIRST = "a first long passphrase 1"
SECOND = "another long passphrase 2"


def test_brand_admin_again_sets_the_password_and_records_it(tree: Any) -> None:
    account, created = create_admin(email="ops@brand.test", password=FIRST, brand=True)
    assert created and account.is_staff
    Account.objects.filter(pk=account.pk).update(is_staff=False)
    again, created = create_admin(email="OPS@brand.test", password=SECOND, brand=True)
    assert (again.pk, created) == (account.pk, False)
    again.refresh_from_db()
    assert again.is_staff and again.check_password(SECOND)
    event = Event.objects.get(type="account.password_set", account=account)
    assert event.actor_id is None and event.metadata == {"via": "cli"}


def test_organization_admin_again_sets_the_password_and_records_it(tree: Any) -> None:
    ref = tree.emea.route
    account, created = create_admin(
        email="boss@acme.test", password=FIRST, org_ref=ref, role_ref="admin"
    )
    assert created
    again, created = create_admin(
        email="boss@acme.test", password=SECOND, org_ref=ref, role_ref="admin"
    )
    assert (again.pk, created) == (account.pk, False)
    again.refresh_from_db()
    assert again.check_password(SECOND)
    assert Event.objects.filter(type="account.password_set", account=account).count() == 1
