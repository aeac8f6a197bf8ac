"""How many SQL statements each write action of the portal costs, as a delegated organization
admin and as a brand admin, so that a regression (an N+1, a check computed twice, a lookup no
index serves) shows up here rather than only in bench/actions.py. The whole request counts:
session, the admin's account and grants, tenancy, protection, the write, its event, the email
handed to the task queue (the ImmediateBackend of the tests sends it at once, which adds the
notification's status update), and the admin sign-in.

The bounds are today's counts; lower them when a change saves a statement.
"""

from typing import Any

import pytest
from django.core import mail
from django.test import Client

from orgdesk.access.actions import grant_role
from orgdesk.access.models import RoleAssignment
from orgdesk.accounts.actions import create_account
from orgdesk.accounts.models import Account, Group, GroupMembership
from orgdesk.accounts.passwords import latest_link_id
from orgdesk.security.models import SecurityPolicy
from orgdesk.testing.actors import SYSTEM
from tests.detail_support import action_url, client_for, role
from tests.portal_support import LOGIN, PASSWORD, make_admin, portal_client

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("forget_throttle_counters")]

# Most statements an action's POST may take, savepoints of the test's transaction included
# (delegated admin; a brand admin needs one less: its grants are not read).
MAX_QUERIES = {
    "disable": 17,
    "enable": 12,
    # + the email's branded look: the application with its policy, the nearest override
    "password_reset": 23,
    "add_to_group": 18,
    "remove_from_group": 12,
    "assign_role": 21,
    "revoke_role": 13,
}
MAX_SIGN_IN_QUERIES = 16


@pytest.fixture
def brand(world: Any) -> Account:
    return create_account(
        actor=SYSTEM,
        organization=None,
        email="brand@orgdesk.test",
        password=PASSWORD,
        is_staff=True,
    )


@pytest.fixture(params=["delegated", "brand"])
def acting(request: Any, world: Any) -> Client:
    """The admin doing the actions: world.admin (Admin on EMEA) or a brand admin."""
    SecurityPolicy.current()  # the policy row exists (the first request would create it)
    if request.param == "brand":
        return client_for(request.getfixturevalue("brand"))
    return client_for(world.admin)


@pytest.fixture
def group(world: Any) -> Group:
    return Group.objects.create(organization=world.france, name="France support")


def post(client: Client, url: str, data: dict[str, str] | None = None) -> None:
    response = client.post(url, data or {})
    assert response.status_code == 302, response


def test_disable_and_enable(acting: Client, world: Any, django_assert_max_num_queries: Any) -> None:
    with django_assert_max_num_queries(MAX_QUERIES["disable"]):
        post(acting, action_url("account_disable", world.emea, world.inside), {"reason": "x"})
    assert Account.objects.get(pk=world.inside.pk).status == "disabled"
    with django_assert_max_num_queries(MAX_QUERIES["enable"]):
        post(acting, action_url("account_enable", world.emea, world.inside), {"reason": "x"})
    assert Account.objects.get(pk=world.inside.pk).status == "enabled"


def test_password_reset_link(
    acting: Client,
    world: Any,
    django_assert_max_num_queries: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    last = latest_link_id(world.inside, "password_reset")
    data = {"last_link": "" if last is None else str(last)}
    with (
        django_capture_on_commit_callbacks(execute=True),
        django_assert_max_num_queries(MAX_QUERIES["password_reset"]),
    ):
        post(acting, action_url("account_reset_password", world.emea, world.inside), data)
    assert len(mail.outbox) == 1


def test_add_to_and_remove_from_group(
    acting: Client, world: Any, group: Group, django_assert_max_num_queries: Any
) -> None:
    with django_assert_max_num_queries(MAX_QUERIES["add_to_group"]):
        post(
            acting,
            action_url("account_groups_add", world.emea, world.inside),
            {"group": str(group.pk)},
        )
    assert GroupMembership.objects.filter(account=world.inside, group=group).exists()
    with django_assert_max_num_queries(MAX_QUERIES["remove_from_group"]):
        post(acting, action_url("account_groups_remove", world.emea, world.inside, group.pk))
    assert not GroupMembership.objects.filter(account=world.inside, group=group).exists()


def test_assign_and_revoke_role(
    acting: Client, world: Any, django_assert_max_num_queries: Any
) -> None:
    viewer = role("viewer")
    with django_assert_max_num_queries(MAX_QUERIES["assign_role"]):
        post(
            acting,
            action_url("account_roles_assign", world.emea, world.inside),
            {"organization": str(world.france.pk), "role": str(viewer.pk), "reason": "x"},
        )
    grant = RoleAssignment.objects.get(account=world.inside, organization=world.france)
    with django_assert_max_num_queries(MAX_QUERIES["revoke_role"]):
        post(
            acting,
            action_url("account_roles_revoke", world.emea, world.inside, grant.pk),
            {"reason": "x"},
        )
    assert not RoleAssignment.objects.filter(pk=grant.pk).exists()


@pytest.mark.parametrize("who", ["delegated", "brand"])
def test_admin_sign_in(world: Any, who: str, django_assert_max_num_queries: Any) -> None:
    """The login form's POST: candidates, throttle, password, portal access, second factor,
    session, event. Finding the candidates is one indexed query whatever the number of
    accounts (security.signin.find_accounts compares lower(email), not UPPER)."""
    if who == "brand":
        account = create_account(
            actor=SYSTEM, organization=None, email="b@orgdesk.test", password=PASSWORD
        )
        account.is_staff = True
        account.save(update_fields=["is_staff"])
    else:
        account = make_admin(world.emea)
    SecurityPolicy.current()
    client = portal_client()
    with django_assert_max_num_queries(MAX_SIGN_IN_QUERIES):
        response = client.post(LOGIN, {"identifier": account.email.upper(), "password": PASSWORD})
    assert response.status_code == 302
    assert client.session.get("_auth_user_id") == str(account.pk)


def test_sign_in_finds_accounts_by_lower_identifier(world: Any) -> None:
    """The candidates query compares lower(…) both sides (the uniqueness constraints' and the
    indexes' expression), so a mixed-case identifier still finds the account."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from orgdesk.security.signin import find_accounts

    grant_role(actor=SYSTEM, account=world.inside, organization=world.france, role=role("viewer"))
    with CaptureQueriesContext(connection) as ctx:
        found = find_accounts(world.inside.email.upper())
    assert found == [world.inside]
    sql = ctx.captured_queries[0]["sql"].upper()
    assert "LOWER(" in sql and "UPPER(" not in sql
