"""Password links: sending (permissions, Notification, Event, email) and the customer page
(one use, expiry, superseded links, generic failure page, token kept out of the Referer)."""

import datetime as dt
import re
from unittest import mock

import pytest
from django.conf import settings
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from orgdesk.accounts.actions import (
    complete_password_link,
    create_account,
    disable_account,
    send_password_link,
    set_password,
)
from orgdesk.accounts.models import Account
from orgdesk.accounts.passwords import (
    InvalidPasswordLink,
    PasswordLinkError,
    PasswordLinkTokenGenerator,
    encode_uid,
)
from orgdesk.activity.models import Event
from orgdesk.notifications.models import Notification, NotificationTemplate
from orgdesk.security.models import CustomerSession
from orgdesk.testing.actors import SYSTEM, as_admin

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "plum tangerine cobalt 42"
INVALID_TEXT = "This link is no longer valid. Ask your administrator for a new one."
DONE = reverse("customer:password_done")


@pytest.fixture
def send(django_capture_on_commit_callbacks):
    """send_password_link with its on_commit email delivered; returns (notification, path)."""

    def _send(account, purpose="password_reset", actor=SYSTEM, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            notification = send_password_link(
                actor=as_admin(actor), account=account, purpose=purpose, **kwargs
            )
        return notification, link_path(mail.outbox[-1].body)

    return _send


def link_path(body: str) -> str:
    match = re.search(r"https?://\S+", body)
    assert match, body
    url = match.group(0)
    assert url.startswith(settings.ORGDESK_PUBLIC_URL + "/account/password/")
    return url.removeprefix(settings.ORGDESK_PUBLIC_URL)


def token_of(path: str) -> str:
    return path.split("?")[0].rstrip("/").split("/")[-1]


def set_url(account) -> str:
    return reverse("customer:password_link", kwargs={"uidb64": encode_uid(account), "token": "set"})


def assert_invalid(response) -> None:
    assert response.status_code == 404
    assert INVALID_TEXT in response.content.decode()


def use_link(client: Client, path: str, password: str = NEW_PASSWORD):
    opened = client.get(path)
    assert opened.status_code == 302, opened.content
    form = client.get(opened["Location"])
    assert form.status_code == 200
    return client.post(opened["Location"], {"new_password1": password, "new_password2": password})


def later(minutes: float):
    """Patch the token clock `minutes` ahead (Django's generator mocks time through _now)."""
    moment = dt.datetime.now() + dt.timedelta(minutes=minutes)
    return mock.patch.object(PasswordLinkTokenGenerator, "_now", return_value=moment)


# ---- sending --------------------------------------------------------------------------------


def test_reset_link_records_notification_event_and_sends_email(world, send):
    notification, path = send(world.inside, actor=as_admin(world.admin), reason="locked out")

    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == [world.inside.email]
    assert message.subject == "Reset your password"
    assert message.body.startswith("Follow this link to choose a new password: ")
    assert "{link}" not in message.body
    assert "?purpose=password_reset" in path

    notification.refresh_from_db()
    assert notification.template.code == "password_reset"
    assert notification.channel == "email"
    assert notification.target == world.inside.email
    assert notification.account == world.inside
    assert notification.organization == world.france
    assert notification.status == Notification.Status.SENT
    assert notification.expires_at - notification.sent_at == dt.timedelta(minutes=60)
    assert abs(notification.sent_at - timezone.now()) < dt.timedelta(minutes=1)

    event = Event.objects.get(type="account.password_reset_sent")
    assert event.category == Event.Category.ADMIN_ACTION
    assert event.account_id == world.inside.pk
    assert event.organization_id == world.france.pk
    assert event.actor_id == world.admin.pk
    assert event.metadata["reason"] == "locked out"
    assert event.metadata["purpose"] == "password_reset"
    assert event.metadata["notification"] == notification.pk


def test_set_password_link_for_a_new_account_lasts_three_days(world, send):
    account = create_account(
        actor=as_admin(world.admin), organization=world.france, email="new@acme.test"
    )
    assert not account.has_usable_password()
    notification, path = send(account, purpose="set_password", actor=as_admin(world.admin))

    assert mail.outbox[0].subject == "Set your password"
    assert notification.expires_at - notification.sent_at == dt.timedelta(days=3)
    assert "?purpose=set_password" in path
    # Named for what happened: a set-password link, not a password reset.
    event = Event.objects.get(type="account.set_password_link_sent")
    assert not Event.objects.filter(type="account.password_reset_sent").exists()
    assert "reason" not in event.metadata
    assert event.metadata["purpose"] == "set_password"

    with later(60 * 24 * 3 - 5):
        response = use_link(Client(), path)
    assert response.status_code == 302 and response["Location"] == DONE
    account.refresh_from_db()
    assert account.check_password(NEW_PASSWORD)


def test_email_failure_marks_the_notification_failed(world, django_capture_on_commit_callbacks):
    with (
        mock.patch("orgdesk.notifications.delivery.send_mail", side_effect=OSError("smtp down")),
        django_capture_on_commit_callbacks(execute=True),
    ):
        notification = send_password_link(
            actor=as_admin(world.admin), account=world.inside, purpose="password_reset"
        )
    notification.refresh_from_db()
    assert notification.status == Notification.Status.FAILED
    assert "smtp down" in notification.error


def test_email_waits_for_commit(world, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        notification = send_password_link(
            actor=SYSTEM, account=world.inside, purpose="password_reset"
        )
    assert len(callbacks) == 1
    assert mail.outbox == []
    notification.refresh_from_db()
    assert notification.status == Notification.Status.QUEUED


@pytest.mark.parametrize(
    ("actor", "customer", "purpose", "error"),
    [
        ("viewer", "inside", "password_reset", PermissionDenied),
        ("viewer", "inside", "set_password", PermissionDenied),
        ("admin", "foreign", "password_reset", Http404),
        ("admin", "outside", "password_reset", Http404),
        ("admin", "foreign", "set_password", Http404),
    ],
)
def test_permissions(world, actor, customer, purpose, error, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(error):
        send_password_link(
            actor=as_admin(getattr(world, actor)),
            account=world.customer_in(customer),
            purpose=purpose,
        )
    assert mail.outbox == []
    assert not Notification.objects.exists()
    assert not Event.objects.filter(
        type__in=("account.password_reset_sent", "account.set_password_link_sent")
    ).exists()


def test_recovery_assistant_may_reset_but_not_send_set_password_links(world, send):
    from orgdesk.access.actions import grant_role
    from orgdesk.testing.world import role

    helper = create_account(
        actor=SYSTEM, organization=world.france, email="helper@acme.test", password=NEW_PASSWORD
    )
    grant_role(
        actor=SYSTEM,
        account=helper,
        organization=world.emea,
        role=role("account-recovery-assistant"),
    )
    send(world.inside, actor=as_admin(helper))
    with pytest.raises(PermissionDenied):
        send_password_link(actor=as_admin(helper), account=world.inside, purpose="set_password")


def test_refuses_accounts_without_email_and_disabled_accounts(world):
    phone_only = create_account(actor=SYSTEM, organization=world.france, phone="+33699999999")
    with pytest.raises(PasswordLinkError, match="no email address"):
        send_password_link(
            actor=as_admin(world.admin), account=phone_only, purpose="password_reset"
        )
    disabled = world.inside
    Account.objects.filter(pk=disabled.pk).update(
        status=Account.Status.DISABLED, disabled_at=timezone.now()
    )
    with pytest.raises(PasswordLinkError, match="disabled"):
        send_password_link(actor=as_admin(world.admin), account=disabled, purpose="password_reset")
    assert not Notification.objects.exists()
    assert issubclass(PasswordLinkError, ValueError)


def test_unknown_purpose_is_a_programming_error(world):
    with pytest.raises(ValueError, match="unknown password link purpose"):
        send_password_link(actor=SYSTEM, account=world.inside, purpose="email_verification")


# ---- the customer page ----------------------------------------------------------------------


def test_link_works_once_and_signs_the_customer_out(world, send):
    _, path = send(world.inside, actor=as_admin(world.admin))
    assert CustomerSession.objects.filter(account=world.inside, revoked_at__isnull=True).exists()
    client = Client()

    response = use_link(client, path)

    assert response.status_code == 302 and response["Location"] == DONE
    done = client.get(DONE)
    assert done.status_code == 200
    assert "Password saved" in done.content.decode()
    account = Account.objects.get(pk=world.inside.pk)
    assert account.check_password(NEW_PASSWORD)
    assert not CustomerSession.objects.filter(account=account, revoked_at__isnull=True).exists()
    event = Event.objects.get(type="password_reset")
    assert event.category == Event.Category.CUSTOMER_FLOW
    assert event.account_id == account.pk
    assert event.organization_id == world.france.pk
    assert event.ip == "127.0.0.1"
    assert event.metadata == {"purpose": "password_reset", "sessions_revoked": 1}

    assert_invalid(client.get(path))  # used
    assert_invalid(Client().get(path))
    assert_invalid(client.get(set_url(account)))  # the session no longer holds the token


def test_set_password_leaves_sessions_alone(world, send):
    _, path = send(world.inside, purpose="set_password", actor=as_admin(world.admin))
    use_link(Client(), path)
    assert CustomerSession.objects.filter(account=world.inside, revoked_at__isnull=True).exists()
    assert Event.objects.get(type="password_created").metadata == {"purpose": "set_password"}
    assert not Event.objects.filter(type__in=("password_reset", "password_change")).exists()


def test_token_is_moved_out_of_the_address(world, send):
    _, path = send(world.inside, actor=as_admin(world.admin))
    token = token_of(path)
    client = Client()

    opened = client.get(path)

    assert opened.status_code == 302
    assert opened["Location"] == set_url(world.inside)
    assert token not in opened["Location"]
    assert opened["Referrer-Policy"] == "no-referrer"
    assert "no-cache" in opened["Cache-Control"] or "max-age=0" in opened["Cache-Control"]
    form = client.get(opened["Location"])
    body = form.content.decode()
    assert form.status_code == 200
    assert token not in body
    # The form's address holds no token; with no-referrer browsers would send "Origin: null"
    # with the POST and the CSRF check would refuse it.
    assert form["Referrer-Policy"] == "same-origin"
    assert body.count('autocomplete="new-password"') == 2
    assert 'autocomplete="username"' in body
    # Another browser (no session) cannot use the token-less address.
    assert_invalid(Client().get(opened["Location"]))
    assert_invalid(Client().post(opened["Location"], {"new_password1": NEW_PASSWORD}))


def test_a_scanner_opening_the_link_does_not_use_it(world, send):
    _, path = send(world.inside, actor=as_admin(world.admin))
    assert Client().get(path).status_code == 302  # e.g. an email security scanner
    assert use_link(Client(), path)["Location"] == DONE


def test_link_expires_after_the_template_lifetime(world, send):
    _, path = send(world.inside, actor=as_admin(world.admin))
    with later(59):
        assert Client().get(path).status_code == 302
    with later(61):
        assert_invalid(Client().get(path))
    # Expiring between opening the page and submitting it is caught too.
    client = Client()
    opened = client.get(path)
    with later(61):
        response = client.post(
            opened["Location"], {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD}
        )
    assert_invalid(response)
    assert not Account.objects.get(pk=world.inside.pk).check_password(NEW_PASSWORD)


def test_template_lifetime_is_read_from_the_template(world, send):
    NotificationTemplate.objects.filter(code="password_reset").update(expires_after=1)
    _, path = send(world.inside, actor=as_admin(world.admin))
    with later(2):
        assert_invalid(Client().get(path))


def test_a_newer_link_supersedes_the_older_one(world, send):
    _, first = send(world.inside, actor=as_admin(world.admin))
    _, second = send(world.inside, actor=as_admin(world.admin))
    assert first != second
    assert_invalid(Client().get(first))
    # A link of the other purpose does not supersede this one.
    send(world.inside, purpose="set_password", actor=as_admin(world.admin))
    assert use_link(Client(), second)["Location"] == DONE


def test_an_older_link_opened_before_a_newer_one_was_sent_is_refused_on_submit(world, send):
    _, first = send(world.inside, actor=as_admin(world.admin))
    client = Client()
    opened = client.get(first)
    send(world.inside, actor=as_admin(world.admin))
    response = client.post(
        opened["Location"], {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD}
    )
    assert_invalid(response)


def test_a_password_change_invalidates_the_link(world, send):
    _, path = send(world.inside, actor=as_admin(world.admin))
    account = Account.objects.get(pk=world.inside.pk)
    account.set_password("another long passphrase")
    account.save()
    assert_invalid(Client().get(path))


def test_an_admin_setting_the_password_invalidates_the_link(world, send):
    _, path = send(world.inside, actor=SYSTEM)
    with mock.patch("orgdesk.accounts.actions.require_recent_auth"):
        set_password(
            actor=as_admin(world.admin), account=world.inside, password="another long passphrase"
        )
    assert_invalid(Client().get(path))


def test_disabling_the_account_invalidates_the_link(world, send):
    _, path = send(world.inside, actor=as_admin(world.admin))
    with mock.patch("orgdesk.accounts.actions.require_recent_auth"):
        disable_account(actor=as_admin(world.admin), account=world.inside)
    assert_invalid(Client().get(path))


def test_wrong_purpose_uid_or_token_get_the_same_page(world, send):
    _, path = send(world.inside, actor=as_admin(world.admin))
    base, query = path.split("?")
    uid, token = base.split("/")[-2:]
    prefix = "/account/password"
    other_uid = encode_uid(world.outside)
    missing_uid = encode_uid(Account(pk="00000000-0000-0000-0000-000000000000"))
    tampered = token[:-1] + ("0" if token[-1] != "0" else "1")
    bad = [
        f"{base}?purpose=set_password",
        f"{base}?purpose=email_verification",
        base,
        f"{prefix}/{other_uid}/{token}?{query}",
        f"{prefix}/{missing_uid}/{token}?{query}",
        f"{prefix}/not-base64!/{token}?{query}",
        f"{prefix}/{uid}/{tampered}?{query}",
        f"{prefix}/{uid}/zzzzzzzzzzzzzzzzzzzz-{token.split('-')[1]}?{query}",
        f"{prefix}/{uid}/garbage?{query}",
        f"{prefix}/{uid}/{'a' * 200}?{query}",
    ]
    pages = set()
    for url in bad:
        response = Client().get(url)
        assert_invalid(response)
        pages.add(response.content)
    assert len(pages) == 1  # nothing distinguishes an unknown account from a bad token
    # POSTing to the emailed address does nothing either.
    assert_invalid(Client().post(path, {"new_password1": NEW_PASSWORD}))
    assert use_link(Client(), path)["Location"] == DONE  # the real link still works


def test_a_reset_token_is_not_a_set_password_token(world, send):
    _, path = send(world.inside, actor=as_admin(world.admin))
    send(world.inside, purpose="set_password", actor=as_admin(world.admin))
    uid, token = path.split("?")[0].split("/")[-2:]
    with pytest.raises(InvalidPasswordLink):
        complete_password_link(
            uidb64=uid, purpose="set_password", token=token, password=NEW_PASSWORD
        )


def test_weak_or_mismatched_passwords_are_refused_and_the_link_stays_valid(world, send):
    _, path = send(world.inside, actor=as_admin(world.admin))
    client = Client()
    opened = client.get(path)
    for first, second in [("password123", "password123"), (NEW_PASSWORD, NEW_PASSWORD + "x")]:
        response = client.post(
            opened["Location"], {"new_password1": first, "new_password2": second}
        )
        assert response.status_code == 200
        assert 'class="field-error"' in response.content.decode()
    assert "two password fields didn" in response.content.decode()
    assert not Account.objects.get(pk=world.inside.pk).check_password(NEW_PASSWORD)
    assert not Event.objects.filter(type="password_reset").exists()
    response = client.post(
        opened["Location"], {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD}
    )
    assert response["Location"] == DONE


def test_complete_password_link_validates_and_works_once(world, send):
    _, path = send(world.inside, actor=as_admin(world.admin))
    uid, token = path.split("?")[0].split("/")[-2:]
    with pytest.raises(ValidationError):
        complete_password_link(uidb64=uid, purpose="password_reset", token=token, password="1234")
    account = complete_password_link(
        uidb64=uid, purpose="password_reset", token=token, password=NEW_PASSWORD, ip="192.0.2.1"
    )
    assert account.check_password(NEW_PASSWORD)
    assert Event.objects.get(type="password_reset").ip == "192.0.2.1"
    with pytest.raises(InvalidPasswordLink):
        complete_password_link(
            uidb64=uid, purpose="password_reset", token=token, password=NEW_PASSWORD + "!"
        )
