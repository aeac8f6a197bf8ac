"""Identifier changes that cannot hijack (accounts/identifiers.py, issue 17), end to end over
real SMTP: an admin changes a customer's email through the portal; a notice goes to the old
address and a verification link to the new one; no password reset or enrolment link reaches
the new address before the customer confirms it; then it does. And the screens of an account
that is read-only to the admin, the cross-branch case included.
"""

import re
import time
from collections.abc import Iterator
from typing import Any

import pytest
from django.contrib.messages import get_messages
from django.test import Client

from orgdesk.access.actions import grant_role
from orgdesk.access.models import OrgRole
from orgdesk.accounts import actions as account_actions
from orgdesk.accounts.models import Account
from orgdesk.activity.models import Event
from orgdesk.notifications.models import Notification
from orgdesk.organizations.actions import create_organization
from orgdesk.testing.actors import SYSTEM
from orgdesk.testing.auth import portal_login
from tests.detail_support import action_url, tab_url
from tests.detail_support import identifiers as _identifiers
from tests.smtp_support import Sink, smtp_sink

pytestmark = pytest.mark.django_db

PASSWORD = "correct horse battery staple"
OLD = "carla.customer@old-mail.test"
NEW = "carla@new-mail.test"


@pytest.fixture
def sink(settings: Any) -> Iterator[Sink]:
    with smtp_sink(settings, "http://testserver") as handler:
        yield handler


def _account(org: Any, address: str, slug: str | None = None, where: Any = None) -> Account:
    account = account_actions.create_account(
        actor=SYSTEM,
        organization=org,
        password=PASSWORD,
        email=address,
        email_verified=True,
        given_name=address.split("@")[0].split(".")[0].title(),
        family_name="Test",
    )
    if slug:
        role = OrgRole.objects.get(slug=slug)
        grant_role(actor=SYSTEM, account=account, organization=where or org, role=role)
    return account


@pytest.fixture
def store() -> dict[str, Any]:
    acme = create_organization(actor=SYSTEM, name="Acme")
    latam = create_organization(actor=SYSTEM, name="Latin America", parent=acme)
    dach = create_organization(actor=SYSTEM, name="DACH", parent=acme)
    return {
        "latam": latam,
        "dach": dach,
        "manager": _account(latam, "manager@acme.test", "organization-manager"),
        "admin": _account(latam, "admin@acme.test", "admin"),
        "latam_admin2": _account(latam, "admin2@acme.test", "admin"),
        "customer": _account(latam, OLD),
        "cross": _account(latam, "cross@acme.test", "admin", where=dach),
    }


def client_for(account: Account) -> Client:
    client = Client()
    portal_login(client, account)
    return client


def identifiers(account: Account, **changes: str) -> dict[str, str]:
    """The Overview identifiers form for the account as it is now in the database."""
    return _identifiers(Account.objects.get(pk=account.pk), **changes)


def messages_of(response: Any) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


LINK = re.compile(r"http://testserver(/account/[^\s]+)")


def test_email_change_then_reset_never_reaches_the_new_address_unverified(
    store, sink, django_capture_on_commit_callbacks
):
    org, customer = store["latam"], store["customer"]
    manager = client_for(store["manager"])
    with django_capture_on_commit_callbacks(execute=True):
        response = manager.post(
            action_url("account_update_identifiers", org, customer),
            identifiers(customer, email=NEW),
        )
    assert response.status_code == 302
    sink.wait(2)
    customer.refresh_from_db()
    assert customer.email == NEW and not customer.email_verified
    assert customer.email_set_by_admin_at is not None

    # The notice went to the old address and names both.
    (notice,) = sink.to(OLD)
    assert OLD in notice and NEW in notice and "did not ask for this" in notice
    # The new address got a verification link, and nothing else.
    (verification,) = sink.to(NEW)
    assert "/account/verify-email/" in verification and "/account/password/" not in verification

    # A reset now is refused with the reason; no link is sent anywhere.
    with django_capture_on_commit_callbacks(execute=True):
        response = manager.post(action_url("account_reset_password", org, customer), {})
    assert any("has not confirmed it yet" in m for m in messages_of(response))
    # The enrolment link too (an authenticator app set up by whoever reads the new mailbox).
    with django_capture_on_commit_callbacks(execute=True):
        response = manager.post(
            action_url("account_authenticators_add", org, customer), {"kind": "totp"}
        )
    assert any("has not confirmed it yet" in m for m in messages_of(response))
    time.sleep(0.3)
    assert len(sink.messages) == 2
    assert not Notification.objects.filter(
        account=customer, template__code__in=["password_reset", "mfa_enrolment"]
    ).exists()
    # The Overview says why the button is not offered.
    html = manager.get(tab_url(org, customer, "overview")).content.decode()
    assert "has not confirmed it yet" in html

    # The customer follows the verification link: a GET alone confirms nothing.
    path = LINK.search(verification).group(1)
    visitor = Client()
    response = visitor.get(path)
    assert response.status_code == 302
    confirm = visitor.get(response["Location"])
    assert confirm.status_code == 200 and NEW in confirm.content.decode()
    customer.refresh_from_db()
    assert not customer.email_verified
    done = visitor.post(response["Location"])
    assert done.status_code == 200 and "is confirmed" in done.content.decode()
    customer.refresh_from_db()
    assert customer.email_verified and customer.email_set_by_admin_at is None
    # the link works once
    assert Client().get(path).status_code == 404

    # Now the reset goes to the confirmed address.
    with django_capture_on_commit_callbacks(execute=True):
        response = manager.post(action_url("account_reset_password", org, customer), {})
    assert any(f"was sent to {NEW}" in m for m in messages_of(response))
    sink.wait(3)
    assert any("/account/password/" in body for body in sink.to(NEW))

    # All of it is in the account's activity.
    types = list(
        Event.objects.filter(account=customer).order_by("id").values_list("type", flat=True)
    )
    for expected in (
        "account.updated",
        "account.identifier_change_notice_sent",
        "account.email_verification_sent",
        "email_verification",
        "account.password_reset_sent",
    ):
        assert expected in types


def test_an_admin_cannot_mark_a_new_address_verified(store):
    from django.core.exceptions import PermissionDenied

    from orgdesk.testing.actors import fresh

    with pytest.raises(PermissionDenied):
        account_actions.update_account(
            actor=fresh(store["admin"]),
            account=store["customer"],
            changes={"email": NEW, "email_verified": True},
        )


def test_a_phone_change_is_noticed_at_the_email_address(
    store, sink, django_capture_on_commit_callbacks
):
    from orgdesk.testing.actors import fresh

    customer = store["customer"]
    with django_capture_on_commit_callbacks(execute=True):
        account_actions.update_account(
            actor=fresh(store["admin"]), account=customer, changes={"phone": "+5511987654321"}
        )
    sink.wait(1)
    (notice,) = sink.to(OLD)
    assert "+5511987654321" in notice
    customer.refresh_from_db()
    assert not customer.phone_verified and customer.phone_set_by_admin_at is not None


def test_the_attack_from_the_issue_is_refused(store, sink, django_capture_on_commit_callbacks):
    """An Organization manager changes an Admin's email and sends a reset: refused, and
    nothing is written or sent."""
    org, target = store["latam"], store["admin"]
    manager = client_for(store["manager"])
    html = manager.get(tab_url(org, target, "overview")).content.decode()
    assert "read-only to you" in html
    assert "Edit identifiers" not in html and "Password reset" not in html
    assert "Disable account" not in html
    with django_capture_on_commit_callbacks(execute=True):
        manager.post(
            action_url("account_update_identifiers", org, target),
            identifiers(target, email="evil@attacker.test"),
        )
        manager.post(action_url("account_reset_password", org, target), {})
        manager.post(
            action_url("account_authenticators_add", org, target),
            {"kind": "email_otp", "email": "evil@attacker.test"},
        )
    time.sleep(0.3)
    assert sink.messages == []
    assert Account.objects.get(pk=target.pk).email == "admin@acme.test"
    assert not Event.objects.filter(account=target, actor=store["manager"]).exists()


def test_the_cross_branch_account_is_read_only_to_the_branch_admin(store):
    """Home under Latin America, Admin on DACH: the Latin America admin sees it, read-only."""
    org, target = store["latam"], store["cross"]
    admin = client_for(store["admin"])
    html = admin.get(tab_url(org, target, "overview")).content.decode()
    assert "read-only to you" in html
    for hidden in ("Edit identifiers", "Password reset", "Disable account", 'name="given_name"'):
        assert hidden not in html
    html = admin.get(tab_url(org, target, "authenticators")).content.decode()
    assert "Add authenticator" not in html
    # the list's row menu offers only the copy of the id
    listing = admin.get(f"/portal/{org.key}/accounts").content.decode()
    assert f"{target.pk}/password" not in listing and f"{target.pk}/edit" not in listing
    # the pages behind the row menu refuse too
    assert admin.get(f"/portal/{org.key}/accounts/{target.pk}/password").status_code == 403
    assert admin.get(f"/portal/{org.key}/accounts/{target.pk}/edit").status_code == 403
    response = admin.post(f"/portal/{org.key}/accounts/{target.pk}/clear-sessions")
    assert any("read-only to you" in m for m in messages_of(response))
    assert not Event.objects.filter(account=target, actor=store["admin"]).exists()


def test_a_peer_admin_changes_an_admins_email_with_a_reason(store):
    org, target = store["latam"], store["latam_admin2"]
    admin = client_for(store["admin"])
    html = admin.get(tab_url(org, target, "overview")).content.decode()
    assert "Reason (required)" in html and "read-only" not in html
    url = action_url("account_update_identifiers", org, target)
    response = admin.post(url, identifiers(target, email="admin2.new@acme.test"))
    assert response.status_code == 400
    assert Account.objects.get(pk=target.pk).email == "admin2@acme.test"
    response = admin.post(url, identifiers(target, email="admin2.new@acme.test", reason="renamed"))
    assert response.status_code == 302
    event = Event.objects.get(account=target, type="account.updated")
    assert event.metadata["reason"] == "renamed"
