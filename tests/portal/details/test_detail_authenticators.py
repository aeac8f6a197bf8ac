"""Authenticators tab: the table, adding email and SMS one-time-code authenticators, enrolment
links for an authenticator app or a passkey (the customer's page included), deleting, step-up,
permissions and other organizations."""

import datetime as dt
import json
import re
import uuid
from unittest import mock

import pyotp
import pytest
from django.conf import settings
from django.contrib.messages import get_messages
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from orgdesk.access.actions import grant_role
from orgdesk.access.models import OrgRole
from orgdesk.accounts.actions import create_account
from orgdesk.activity.models import Event
from orgdesk.notifications.models import Notification
from orgdesk.security import actions, enrolment
from orgdesk.security.models import Authenticator, EnrolmentLink
from orgdesk.testing.actors import SYSTEM
from tests.detail_support import action_url, client_for, tab_url
from tests.soft_webauthn import SoftWebAuthn

pytestmark = pytest.mark.django_db

INVALID_TEXT = "This link is no longer valid. Ask your administrator for a new one."
DONE = reverse("customer:enrol_done")
FORM = reverse("customer:enrol")
PASSKEY_OPTIONS = reverse("customer:enrol_passkey_options")
PASSKEY_REGISTER = reverse("customer:enrol_passkey_register")


def add_url(world, account=None):
    return action_url("account_authenticators_add", world.emea, account or world.inside)


def delete_url(world, authenticator, account=None):
    return action_url(
        "account_authenticators_delete", world.emea, account or world.inside, authenticator.pk
    )


def messages_of(response):
    """The messages of the response's request (with any left unread by earlier requests)."""
    return [str(m) for m in get_messages(response.wsgi_request)]


def back_to_tab(response, world, account=None):
    assert response.status_code == 302, response.content
    assert response["Location"] == tab_url(world.emea, account or world.inside, "authenticators")


def email_otp_of(account):
    return Authenticator.objects.get(account=account, type=Authenticator.Type.EMAIL_OTP)


def later(minutes):
    """Patch the enrolment links' clock `minutes` ahead."""
    moment = timezone.now() + dt.timedelta(minutes=minutes)
    return mock.patch.object(enrolment, "_now", return_value=moment)


def link_path(body):
    match = re.search(r"https?://\S+", body)
    assert match, body
    url = match.group(0)
    assert url.startswith(settings.ORGDESK_PUBLIC_URL + "/account/enrol/")
    return url.removeprefix(settings.ORGDESK_PUBLIC_URL)


@pytest.fixture
def send_link(admin_client, world, django_capture_on_commit_callbacks):
    """The admin sends an enrolment link from the tab; returns the emailed path."""

    def _send(method="totp", account=None):
        with django_capture_on_commit_callbacks(execute=True):
            response = admin_client.post(add_url(world, account), {"kind": method})
        back_to_tab(response, world, account)
        return link_path(mail.outbox[-1].body)

    return _send


def open_link(path, client=None):
    """The customer opens the emailed link: the token moves into the session."""
    client = client or Client()
    opened = client.get(path)
    assert opened.status_code == 302, opened.content
    assert opened["Referrer-Policy"] == "no-referrer"
    return client, opened["Location"]


def assert_invalid(response, world):
    assert response.status_code == 404
    html = response.content.decode()
    assert INVALID_TEXT in html
    assert world.inside.email not in html and 'class="qr"' not in html


# ---- the table --------------------------------------------------------------------------------


def test_tab_lists_authenticators_with_type_added_and_last_used(admin_client, world):
    used = timezone.now() - dt.timedelta(hours=3)
    app = Authenticator.objects.create(
        account=world.inside,
        type=Authenticator.Type.TOTP,
        label="Pixel 8",
        secret="JBSWY3DPEHPK3PXP",
        last_used=used,
    )
    Authenticator.objects.create(
        account=world.inside,
        type=Authenticator.Type.SMS_OTP,
        label="+33612345678",
        identifier="+33612345678",
    )
    email = email_otp_of(world.inside)

    response = admin_client.get(tab_url(world.emea, world.inside, "authenticators"))

    assert response.status_code == 200
    html = response.content.decode()
    rows = list(response.context["page"].rows)
    assert rows[0].pk != email.pk  # newest first
    assert {r.pk for r in rows} == {app.pk, email.pk, rows[0].pk}
    for text in (
        "Pixel 8",
        "inside@acme.test",
        "+33612345678",
        "Authenticator app (TOTP)",
        "Email one-time code",
        "SMS one-time code",
        "Never",  # the email and SMS authenticators were never used
        f'datetime="{used.isoformat()}"'[:30],
        "Add authenticator",
        'id="add-authn-dialog"',
        delete_url(world, app),
        f'data-dialog-open="delete-authn-{email.pk}"',
    ):
        assert text in html, text
    assert "The link works once and expires after 1\xa0day." in html
    # Nothing secret reaches the page.
    assert "JBSWY3DPEHPK3PXP" not in html


def test_empty_state(admin_client, world):
    Authenticator.objects.filter(account=world.inside).delete()
    response = admin_client.get(tab_url(world.emea, world.inside, "authenticators"))
    assert response.status_code == 200
    assert "No authenticators for this account." in response.content.decode()


def test_admin_own_account_offers_no_actions(admin_client, world):
    response = admin_client.get(tab_url(world.emea, world.admin, "authenticators"))
    html = response.content.decode()
    assert response.status_code == 200
    assert "Add authenticator" not in html and reverse("portal:security") in html
    response = admin_client.post(
        add_url(world, world.admin), {"kind": "email_otp", "email": "me@elsewhere.test"}
    )
    back_to_tab(response, world, world.admin)
    assert "Manage your own sign-in methods on your security page." in messages_of(response)
    assert not Authenticator.objects.filter(account=world.admin).exists()


# ---- permissions and other organizations ----------------------------------------------------


@pytest.fixture
def view_only_client(world):
    """An admin of EMEA who sees authenticators but may not manage them."""
    role = OrgRole.objects.create(
        slug="authn-view", name="Authn view", permissions=["accounts.view", "authenticators.view"]
    )
    helper = create_account(actor=SYSTEM, organization=world.france, email="helper@acme.test")
    grant_role(actor=SYSTEM, account=helper, organization=world.emea, role=role)
    return client_for(helper)


def test_view_only_role_sees_the_table_without_actions(view_only_client, world):
    response = view_only_client.get(tab_url(world.emea, world.inside, "authenticators"))
    html = response.content.decode()
    assert response.status_code == 200
    assert "inside@acme.test" in html
    assert "Add authenticator" not in html and "delete-authn-" not in html


@pytest.mark.parametrize("who", ["viewer", "view_only"])
def test_actions_need_authenticators_manage(world, view_only_client, who):
    client = client_for(world.viewer) if who == "viewer" else view_only_client
    email = email_otp_of(world.inside)
    before = Event.objects.count()

    for data in (
        {"kind": "email_otp", "email": "x@acme.test"},
        {"kind": "sms_otp", "phone": "+33698765432"},
        {"kind": "totp"},
    ):
        assert client.post(add_url(world), data).status_code == 403
    assert client.post(delete_url(world, email)).status_code == 403

    assert list(Authenticator.objects.filter(account=world.inside)) == [email]
    assert Event.objects.count() == before and not mail.outbox


@pytest.mark.parametrize("where", ["outside", "foreign"])
def test_other_organization_accounts_are_404(admin_client, world, where):
    customer = world.customer_in(where)
    theirs = email_otp_of(customer)
    before = Event.objects.count()
    for org in (world.emea, customer.organization):
        url = action_url("account_authenticators_add", org, customer)
        assert admin_client.post(url, {"kind": "email_otp", "email": "x@x.test"}).status_code == 404
        assert admin_client.post(url, {"kind": "totp"}).status_code == 404
        url = action_url("account_authenticators_delete", org, customer, theirs.pk)
        assert admin_client.post(url).status_code == 404
    assert Authenticator.objects.filter(pk=theirs.pk).exists()
    assert Authenticator.objects.filter(account=customer).count() == 1
    assert Event.objects.count() == before and not mail.outbox


@pytest.mark.parametrize("owner", ["outside", "same_org", "missing"])
def test_delete_an_authenticator_of_another_account_is_404(admin_client, world, owner):
    if owner == "missing":
        target = Authenticator(pk=uuid.uuid4())
    else:
        account = world.outside if owner == "outside" else world.viewer  # viewer: France too
        target = Authenticator.objects.create(
            account=account, type=Authenticator.Type.EMAIL_OTP, label=account.email
        )
    # Addressed through the inside customer's page, whose authenticator it is not.
    response = admin_client.post(delete_url(world, target), {"reason": "x"})
    assert response.status_code == 404
    if owner != "missing":
        assert Authenticator.objects.filter(pk=target.pk).exists()
    assert not Event.objects.filter(type="authenticator.removed").exists()


def test_actions_are_post_only(admin_client, world):
    email = email_otp_of(world.inside)
    assert admin_client.get(add_url(world)).status_code == 405
    assert admin_client.get(delete_url(world, email)).status_code == 405


# ---- adding email and SMS one-time-code authenticators --------------------------------------


def test_add_email_otp(admin_client, world):
    response = admin_client.post(
        add_url(world),
        {"kind": "email_otp", "email": " Second@Example.COM ", "reason": "ticket 42"},
    )

    back_to_tab(response, world)
    row = Authenticator.objects.get(account=world.inside, identifier="Second@example.com")
    assert row.type == Authenticator.Type.EMAIL_OTP and row.label == "Second@example.com"
    assert row.confirmed and row.last_used is None
    event = Event.objects.get(type="authenticator.added")
    assert event.account_id == world.inside.pk and event.actor_id == world.admin.pk
    assert event.organization_id == world.france.pk
    assert event.category == Event.Category.ADMIN_ACTION
    assert event.metadata == {
        "type": "email_otp",
        "authenticator": str(row.pk),
        "reason": "ticket 42",
    }
    assert messages_of(response) == [
        "Email one-time code authenticator added for Second@example.com."
    ]
    html = admin_client.get(response["Location"]).content.decode()
    assert "Second@example.com" in html


def test_add_sms_otp(admin_client, world):
    response = admin_client.post(add_url(world), {"kind": "sms_otp", "phone": "+33 6 98 76 54 32"})

    back_to_tab(response, world)
    row = Authenticator.objects.get(account=world.inside, type=Authenticator.Type.SMS_OTP)
    assert row.identifier == row.label == "+33698765432"
    event = Event.objects.get(type="authenticator.added")
    assert event.metadata == {"type": "sms_otp", "authenticator": str(row.pk)}
    assert messages_of(response) == ["SMS one-time code authenticator added for +33698765432."]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"kind": "email_otp", "email": "not-an-email"}, "Enter a valid email address."),
        ({"kind": "email_otp", "email": "  "}, "Enter the email address the codes go to."),
        (
            {"kind": "email_otp", "email": "a" * 64 + "@" + "b" * 250 + ".test"},
            "Enter a valid email address.",
        ),
        (
            {"kind": "sms_otp", "phone": "+3" + "3" * 5000},
            "Enter a phone number in international format, such as +33612345678.",
        ),
        ({"kind": "email_otp"}, "Enter the email address the codes go to."),
        (
            {"kind": "sms_otp", "phone": "0612345678"},
            "Enter a phone number in international format, such as +33612345678.",
        ),
        ({"kind": "sms_otp", "phone": "+33 6 12 34 56 7"}, "This phone number is not valid."),
        (
            {"kind": "sms_otp", "phone": "call me"},
            "Enter a phone number in international format, such as +33612345678.",
        ),
        ({"kind": "sms_otp", "phone": ""}, "Enter the phone number the codes go to."),
        ({"kind": "security_key"}, "Choose the type of authenticator to add."),
        ({}, "Choose the type of authenticator to add."),
    ],
)
def test_bad_input_is_refused_with_a_clear_message(admin_client, world, data, message):
    before = set(Authenticator.objects.values_list("pk", flat=True))
    response = admin_client.post(add_url(world), data)
    back_to_tab(response, world)
    assert messages_of(response) == [message]
    assert set(Authenticator.objects.values_list("pk", flat=True)) == before
    assert not Event.objects.filter(type__startswith="authenticator.").exists()


def test_duplicate_email_otp_is_refused(admin_client, world):
    # The world's row keeps the address in its label only; the check finds it all the same.
    response = admin_client.post(add_url(world), {"kind": "email_otp", "email": "INSIDE@acme.test"})
    back_to_tab(response, world)
    assert messages_of(response) == [
        "This account already has an email one-time code authenticator for INSIDE@acme.test."
    ]
    admin_client.post(add_url(world), {"kind": "email_otp", "email": "two@acme.test"})
    again = admin_client.post(add_url(world), {"kind": "email_otp", "email": "Two@ACME.test"})
    assert messages_of(again)[-1] == (
        "This account already has an email one-time code authenticator for Two@acme.test."
    )
    assert Authenticator.objects.filter(account=world.inside).count() == 2
    assert Event.objects.filter(type="authenticator.added").count() == 1


def test_duplicate_sms_otp_is_refused_but_another_account_may_use_the_number(admin_client, world):
    first = admin_client.post(add_url(world), {"kind": "sms_otp", "phone": "+33698765432"})
    assert len(messages_of(first)) == 1
    again = admin_client.post(add_url(world), {"kind": "sms_otp", "phone": "+33 6 98 76 54 32"})
    assert messages_of(again)[-1] == (
        "This account already has an SMS one-time code authenticator for +33698765432."
    )
    assert Authenticator.objects.filter(account=world.inside, type="sms_otp").count() == 1
    # The same number as an SMS authenticator of another customer, and as an email: no clash.
    actions.add_otp_authenticator(
        actor=SYSTEM, account=world.outside, kind="sms_otp", identifier="+33698765432"
    )


def test_adding_a_code_authenticator_needs_a_recent_sign_in(stale_admin_client, world):
    tab = tab_url(world.emea, world.inside, "authenticators")
    response = stale_admin_client.post(
        add_url(world), {"kind": "email_otp", "email": "x@acme.test"}
    )
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('portal:step_up')}?next={tab.replace('/', '%2F')}"
    assert Authenticator.objects.filter(account=world.inside).count() == 1
    assert not Event.objects.filter(type="authenticator.added").exists()


# ---- enrolment links ----------------------------------------------------------------------------


def test_enrolment_link_is_emailed_recorded_and_completes_totp_enrolment(
    admin_client, world, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(add_url(world), {"kind": "totp", "reason": "new phone"})
    back_to_tab(response, world)
    assert messages_of(response) == ["Enrolment link sent to inside@acme.test."]

    # The email, the notification with its expiry, the event.
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["inside@acme.test"]
    assert message.subject == "Finish setting up sign-in security"
    path = link_path(message.body)
    notification = Notification.objects.get(account=world.inside)
    assert notification.template.code == "mfa_enrolment"
    assert notification.channel == "email" and notification.target == "inside@acme.test"
    assert notification.organization_id == world.france.pk
    assert notification.status == Notification.Status.SENT
    assert notification.expires_at - notification.sent_at == dt.timedelta(days=1)
    event = Event.objects.get(type="authenticator.enrolment_sent")
    assert event.actor_id == world.admin.pk and event.account_id == world.inside.pk
    assert event.category == Event.Category.ADMIN_ACTION
    assert event.metadata == {
        "method": "totp",
        "notification": notification.pk,
        "reason": "new phone",
    }
    link = EnrolmentLink.objects.get(account=world.inside)
    assert link.method == "totp" and link.sent_by_id == world.admin.pk
    assert link.notification_id == notification.pk and link.expires_at == notification.expires_at
    assert link.used_at is None
    assert not Authenticator.objects.filter(account=world.inside, type="totp").exists()
    # The tab says a link is waiting for the customer.
    tab = admin_client.get(tab_url(world.emea, world.inside, "authenticators")).content.decode()
    assert "A link to add an authenticator app was sent to the customer on" in tab

    # The customer's page: no sign-in, the token leaves the address bar.
    customer, page_url = open_link(path)
    assert page_url == FORM
    page = customer.get(page_url)
    assert page.status_code == 200 and page["Referrer-Policy"] == "same-origin"
    html = page.content.decode()
    secret = page.context["secret"]
    assert "<svg" in html and secret in html and "inside@acme.test" in html
    # A reload keeps the secret the customer scanned.
    assert customer.get(page_url).context["secret"] == secret

    wrong = customer.post(page_url, {"code": "000000"})
    assert wrong.status_code == 400
    assert "That code is not valid." in wrong.content.decode()
    assert customer.post(page_url, {"code": ""}).status_code == 400

    done = customer.post(page_url, {"code": pyotp.TOTP(secret).now()})
    assert done.status_code == 302 and done["Location"] == DONE
    row = Authenticator.objects.get(account=world.inside, type="totp")
    assert row.secret == secret and row.confirmed
    assert Event.objects.get(type="mfa_enrolment", account=world.inside).metadata == {
        "type": "totp"
    }
    finished = customer.get(DONE)
    assert "Your authenticator app is ready." in finished.content.decode()

    link.refresh_from_db()
    assert link.used_at is not None
    # It shows in the tab, and the link no longer does.
    html = admin_client.get(tab_url(world.emea, world.inside, "authenticators")).content.decode()
    assert "Authenticator app (TOTP)" in html and "A link to add" not in html

    # Single use: the emailed link and the page are spent.
    assert_invalid(Client().get(path), world)
    assert_invalid(customer.get(page_url), world)


def test_two_submissions_of_one_link_enrol_once(send_link, world):
    path = send_link()
    customer, page_url = open_link(path)
    secret = customer.get(page_url).context["secret"]
    other, other_url = open_link(path)
    other_secret = other.get(other_url).context["secret"]
    assert customer.post(page_url, {"code": pyotp.TOTP(secret).now()}).status_code == 302
    assert_invalid(other.post(other_url, {"code": pyotp.TOTP(other_secret).now()}), world)
    assert Authenticator.objects.filter(account=world.inside, type="totp").count() == 1


def test_deleting_the_old_app_after_sending_a_link_keeps_the_link_working(
    admin_client, send_link, world
):
    # The usual order when a phone is lost: send a link for the new one, remove the old one.
    old = Authenticator.objects.create(
        account=world.inside, type=Authenticator.Type.TOTP, label="Old phone", secret="X"
    )
    path = send_link()
    assert admin_client.post(delete_url(world, old)).status_code == 302
    assert not Authenticator.objects.filter(pk=old.pk).exists()
    customer, page_url = open_link(path)
    secret = customer.get(page_url).context["secret"]
    assert customer.post(page_url, {"code": pyotp.TOTP(secret).now()})["Location"] == DONE
    assert Authenticator.objects.get(account=world.inside, type="totp").secret == secret


def test_enrolment_link_expires(send_link, world):
    path = send_link()
    with later(60 * 24 - 5):
        open_link(path)
    with later(60 * 24 + 5):
        assert_invalid(Client().get(path), world)
    # Opened in time, submitted too late.
    customer, page_url = open_link(path)
    secret = customer.get(page_url).context["secret"]
    with later(60 * 24 + 5):
        assert_invalid(customer.post(page_url, {"code": pyotp.TOTP(secret).now()}), world)
    assert not Authenticator.objects.filter(account=world.inside, type="totp").exists()


def test_a_newer_link_supersedes_the_older_one(send_link, world):
    first = send_link()
    second = send_link("passkey")
    assert Notification.objects.filter(account=world.inside).count() == 2
    assert_invalid(Client().get(first), world)
    open_link(second)


def test_tampered_links_show_the_same_page_and_leak_nothing(send_link, world):
    path = send_link()
    prefix, token = path.rsplit("/", 1)
    assert len(token) >= 43 and "?" not in token
    flipped = token[:-1] + ("a" if token[-1] != "a" else "b")
    for bad in (
        f"{prefix}/{flipped}",  # tampered token
        f"{prefix}/{token[:-1]}",
        f"{prefix}/x",
        f"{prefix}/{'1' * 65}",
        FORM,  # the form address without having opened the link
    ):
        assert_invalid(Client().get(bad), world)
    assert_invalid(Client().post(path, {"code": "123456"}), world)
    assert_invalid(Client().post(FORM, {"code": "123456"}), world)
    # Only a hash is stored: the token itself is nowhere in the database.
    link = EnrolmentLink.objects.get(account=world.inside)
    assert link.token_hash != token and token not in link.token_hash
    # The genuine link still works afterwards.
    open_link(path)


def test_link_stops_working_when_the_account_is_disabled(send_link, world):
    from orgdesk.accounts.actions import disable_account

    path = send_link()
    disable_account(actor=SYSTEM, account=world.inside)
    assert_invalid(Client().get(path), world)


@pytest.mark.parametrize("problem", ["disabled", "no_email"])
def test_enrolment_link_needs_an_enabled_account_with_email(admin_client, world, problem):
    if problem == "disabled":
        from orgdesk.accounts.actions import disable_account

        account = disable_account(actor=SYSTEM, account=world.inside)
        expected = "This account is disabled. Enable it before sending a link."
    else:
        account = create_account(actor=SYSTEM, organization=world.france, phone="+33698765431")
        expected = "This account has no email address to send the link to."
    response = admin_client.post(add_url(world, account), {"kind": "totp"})
    back_to_tab(response, world, account)
    assert messages_of(response) == [expected]
    assert not Notification.objects.exists() and not mail.outbox
    assert not Event.objects.filter(type="authenticator.enrolment_sent").exists()


def test_passkey_enrolment_through_a_link(send_link, world):
    path = send_link("passkey")
    customer, page_url = open_link(path)
    page = customer.get(page_url)
    html = page.content.decode()
    assert page.status_code == 200 and "data-passkey-register" in html
    options_url, register_url = PASSKEY_OPTIONS, PASSKEY_REGISTER
    assert options_url in html and register_url in html and "portal/passkeys.js" in html

    # Without fresh options, or with a refused credential, nothing is added.
    refused = customer.post(register_url, {"credential": "{}"})
    assert refused.status_code == 400
    options = customer.post(options_url).json()
    assert options["user"]["id"]
    assert customer.post(register_url, {"credential": "not json"}).status_code == 400
    assert not Authenticator.objects.filter(account=world.inside, type="passkey").exists()

    device = SoftWebAuthn()
    options = customer.post(options_url).json()
    credential = device.create(options)
    response = customer.post(register_url, {"credential": json.dumps(credential)})
    assert response.status_code == 200, response.content
    assert response.json() == {"redirect": DONE}
    row = Authenticator.objects.get(account=world.inside, type="passkey")
    assert row.credential["credential_id"] == credential["id"]
    assert "Your passkey is ready." in customer.get(DONE).content.decode()
    # Spent.
    assert customer.post(options_url).status_code == 404
    assert_invalid(Client().get(path), world)


def test_passkey_endpoints_need_an_opened_passkey_link(send_link, world):
    path = send_link("totp")
    customer, _page_url = open_link(path)
    # A TOTP link does not register passkeys; a stranger's session has no link at all.
    for client in (customer, Client()):
        assert client.post(PASSKEY_OPTIONS).status_code == 404
        response = client.post(PASSKEY_REGISTER, {"credential": "{}"})
        assert response.status_code == 404
        assert world.inside.email not in response.content.decode()


def test_sending_a_link_needs_no_recent_sign_in(stale_admin_client, world):
    response = stale_admin_client.post(add_url(world), {"kind": "passkey"})
    back_to_tab(response, world)
    assert Notification.objects.filter(account=world.inside).count() == 1
    assert Event.objects.filter(type="authenticator.enrolment_sent").count() == 1


# ---- deleting -----------------------------------------------------------------------------------


def test_delete_authenticator(admin_client, world):
    email = email_otp_of(world.inside)
    response = admin_client.post(delete_url(world, email), {"reason": "lost access"})

    back_to_tab(response, world)
    assert not Authenticator.objects.filter(pk=email.pk).exists()
    event = Event.objects.get(type="authenticator.removed")
    assert event.account_id == world.inside.pk and event.actor_id == world.admin.pk
    assert event.metadata == {
        "type": "email_otp",
        "authenticator": str(email.pk),
        "reason": "lost access",
    }
    assert messages_of(response) == ["Authenticator inside@acme.test deleted."]
    html = admin_client.get(response["Location"]).content.decode()
    assert "No authenticators for this account." in html


def test_delete_needs_a_recent_sign_in(stale_admin_client, world):
    email = email_otp_of(world.inside)
    tab = tab_url(world.emea, world.inside, "authenticators")
    response = stale_admin_client.post(delete_url(world, email))
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('portal:step_up')}?next={tab.replace('/', '%2F')}"
    assert Authenticator.objects.filter(pk=email.pk).exists()
    assert not Event.objects.filter(type="authenticator.removed").exists()
