"""Customer sessions (customer/sessions.py): accepting an invitation signs the invitee in,
`/account/` shows who is signed in, signing out and an admin's "Clear sessions" end it, and any
other cookie (expired, revoked, garbage) is simply "not signed in". Also registering with a
passkey instead of a password while accepting (customer/invitations.py), with the software
authenticator of tests/soft_webauthn.py."""

import datetime as dt
import hashlib
import json
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from orgdesk.accounts.models import Account, Group, GroupMembership
from orgdesk.activity.models import Event
from orgdesk.customer.sessions import COOKIE, current_customer_session
from orgdesk.invitations.models import Invitation
from orgdesk.security.actions import clear_sessions
from orgdesk.security.models import Authenticator, CustomerSession
from orgdesk.testing.actors import fresh
from tests.invitations.test_invitations import make_invitation, register
from tests.soft_webauthn import SoftWebAuthn, b64url_decode

pytestmark = pytest.mark.django_db

EMAIL = "joiner@example.test"
UA = "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0"


def accept(world: Any, client: Client | None = None) -> tuple[Client, Any, Account]:
    client = client or Client(HTTP_USER_AGENT=UA, REMOTE_ADDR="203.0.113.9")
    _invitation, token = make_invitation(world.emea, EMAIL)
    response = register(client, f"/invite/{token}", given_name="Jo", family_name="Iner")
    assert response.status_code == 302 and response["Location"] == "/invite/done"
    return client, response, Account.objects.get(email=EMAIL)


def signed_in(client: Client) -> bool:
    page = client.get("/account/")
    assert page.status_code == 200
    text = page.content.decode()
    return "You are signed in as" in text


def test_acceptance_signs_the_invitee_in(world: Any) -> None:
    client, response, account = accept(world)
    cookie = response.cookies[COOKIE]
    token = cookie.value
    session = CustomerSession.objects.get(account=account)
    assert session.key_hash == hashlib.sha256(token.encode()).hexdigest()
    assert token not in session.key_hash  # only the hash is stored
    assert session.user_agent == UA and session.device.startswith("Firefox 133")
    assert str(session.ip) == "203.0.113.9"
    assert session.revoked_at is None
    now = timezone.now()
    assert dt.timedelta(days=29) < session.expires - now <= dt.timedelta(days=30)
    assert session.application is not None
    # Signing in is recorded, by the account itself, with the session it opened.
    login = Event.objects.get(type="login", account=account)
    assert login.actor_id == account.pk and str(login.ip) == "203.0.113.9"
    assert login.metadata == {
        "client_id": session.application.client_id,
        "method": "password",
        "session": str(session.pk),
    }
    # The done page links to the account page, which names the invitee.
    assert "/account/" in client.get("/invite/done").content.decode()
    page = client.get("/account/").content.decode()
    assert "You are signed in as Jo Iner (joiner@example.test) at EMEA." in page
    assert "Sign out" in page
    # The admin portal's session is a different thing: no portal sign-in came with it.
    assert client.get("/portal/").status_code in (302, 404)


def test_cookie_flags(world: Any, settings: Any) -> None:
    _client, response, _account = accept(world)
    cookie = response.cookies[COOKIE]
    assert cookie["httponly"] is True
    assert cookie["samesite"] == "Lax"
    assert cookie["max-age"] == 30 * 24 * 3600
    assert not cookie["secure"]  # tests run as development
    assert COOKIE != settings.SESSION_COOKIE_NAME


def test_cookie_is_secure_in_production(world: Any, settings: Any) -> None:
    settings.SESSION_COOKIE_SECURE = True
    _client, response, _account = accept(world)
    assert response.cookies[COOKIE]["secure"] is True


def test_sign_out_revokes_the_session(world: Any) -> None:
    client, _response, account = accept(world)
    token = client.cookies[COOKIE].value
    response = client.post("/account/sign-out")
    assert response.status_code == 302 and response["Location"] == "/account/"
    assert response.cookies[COOKIE].value == ""  # deleted
    session = CustomerSession.objects.get(account=account)
    assert session.revoked_at is not None
    logout = Event.objects.get(type="logout", account=account)
    assert logout.actor_id == account.pk and logout.metadata == {"session": str(session.pk)}
    assert not signed_in(client)
    # Signing out again with the old cookie records nothing more.
    again = Client()
    again.cookies[COOKIE] = token
    again.post("/account/sign-out")
    assert Event.objects.filter(type="logout", account=account).count() == 1
    # The old token no longer works even if a browser kept it.
    other = Client()
    other.cookies[COOKIE] = token
    assert not signed_in(other)


def test_sign_out_needs_post_and_is_harmless_when_signed_out(world: Any) -> None:
    client, _response, _account = accept(world)
    assert client.get("/account/sign-out").status_code == 405
    assert signed_in(client)
    stranger = Client()
    assert stranger.post("/account/sign-out").status_code == 302


def test_admin_clear_sessions_signs_the_customer_out(world: Any) -> None:
    client, _response, account = accept(world)
    assert signed_in(client)
    # a recent sign-in (step-up)
    assert clear_sessions(actor=fresh(world.admin), account=account) == 1
    page = client.get("/account/").content.decode()
    assert "You are not signed in" in page and EMAIL not in page


def test_disabled_account_is_not_signed_in(world: Any) -> None:
    client, _response, account = accept(world)
    Account.objects.filter(pk=account.pk).update(status="disabled", disabled_at=timezone.now())
    assert not signed_in(client)


@pytest.mark.parametrize(
    "value",
    ["", "garbage", "x" * 5000, "'; DROP TABLE security_customersession; --", "é\u00e9"],
)
def test_garbage_cookie_is_not_signed_in(world: Any, value: str) -> None:
    client = Client()
    client.cookies[COOKIE] = value
    page = client.get("/account/")
    assert page.status_code == 200
    assert "You are not signed in" in page.content.decode()


def test_no_cookie_is_not_signed_in() -> None:
    page = Client().get("/account/")
    assert page.status_code == 200
    assert "You are not signed in" in page.content.decode()


def test_expired_and_revoked_sessions_are_not_signed_in(world: Any) -> None:
    client, _response, account = accept(world)
    session = CustomerSession.objects.get(account=account)
    CustomerSession.objects.filter(pk=session.pk).update(
        expires=timezone.now() - dt.timedelta(seconds=1)
    )
    assert not signed_in(client)
    CustomerSession.objects.filter(pk=session.pk).update(
        expires=timezone.now() + dt.timedelta(days=1), revoked_at=timezone.now()
    )
    assert not signed_in(client)


def test_last_activity_is_noted_at_most_once_a_minute(world: Any, rf: Any) -> None:
    client, _response, account = accept(world)
    token = client.cookies[COOKIE].value
    session = CustomerSession.objects.get(account=account)
    request = rf.get("/account/")
    request.COOKIES[COOKIE] = token
    first = current_customer_session(request)
    assert first is not None and first.last_activity == session.last_activity  # just now
    earlier = timezone.now() - dt.timedelta(minutes=5)
    CustomerSession.objects.filter(pk=session.pk).update(last_activity=earlier)
    assert current_customer_session(request) is not None
    session.refresh_from_db()
    assert session.last_activity > earlier + dt.timedelta(minutes=4)


# ---- registering with a passkey ----------------------------------------------------------------

OPTIONS = "/invite/passkey/options"
REGISTER = "/invite/passkey/register"


def opened(world: Any, email: str = EMAIL, **kw: Any) -> tuple[Client, Invitation]:
    invitation, token = make_invitation(world.emea, email, **kw)
    client = Client()
    assert client.get(f"/invite/{token}").status_code == 302
    return client, invitation


def test_registration_page_offers_a_passkey_by_progressive_enhancement(world: Any) -> None:
    client, _invitation = opened(world)
    html = client.get("/invite/register").content.decode()
    assert "Use a passkey instead of a password" in html
    assert "data-invite-passkey" in html and "portal/invite-passkey.js" in html
    assert OPTIONS in html and REGISTER in html
    # Hidden until the script finds WebAuthn; no inline script.
    assert "<script>" not in html and "data-invite-passkey data-options-url" in html


def test_accepting_with_a_passkey(world: Any) -> None:
    group = Group.objects.create(organization=world.emea, name="EMEA staff")
    client, invitation = opened(world, groups=[group])
    options = client.post(OPTIONS, {"given_name": "Pat", "family_name": "Key"})
    assert options.status_code == 200
    options = options.json()
    device = SoftWebAuthn()
    credential = device.create(options)
    response = client.post(REGISTER, {"credential": json.dumps(credential)})
    assert response.status_code == 200, response.content
    assert response.json() == {"redirect": "/invite/done"}

    account = Account.objects.get(email=EMAIL)
    assert (account.given_name, account.family_name) == ("Pat", "Key")
    assert not account.has_usable_password()
    # The passkey's user handle is the account's own id.
    assert b64url_decode(options["user"]["id"]) == account.pk.bytes
    row = Authenticator.objects.get(account=account, type="passkey")
    assert row.credential["credential_id"] == credential["id"]
    assert GroupMembership.objects.filter(account=account, group=group).exists()
    invitation.refresh_from_db()
    assert invitation.status == "accepted" and invitation.accepted_account == account
    event = Event.objects.get(type="invitation_accepted")
    assert event.metadata["sign_in_method"] == "passkey"
    # Signed in, and told how to sign in next time.
    assert COOKIE in response.cookies
    assert CustomerSession.objects.filter(account=account, revoked_at__isnull=True).count() == 1
    done = client.get("/invite/done").content.decode()
    assert "with your email address and your passkey" in done
    assert "You are signed in as Pat Key" in client.get("/account/").content.decode()
    # The invitation is spent.
    assert client.post(OPTIONS, {"given_name": "A", "family_name": "B"}).status_code == 404


def test_passkey_refused_or_missing_creates_nothing(world: Any) -> None:
    client, invitation = opened(world)
    # No options asked for first.
    assert client.post(REGISTER, {"credential": "{}"}).status_code == 400
    # Names are required.
    nameless = client.post(OPTIONS, {"given_name": "", "family_name": ""})
    assert nameless.status_code == 400 and "family_name" in nameless.json()["errors"]
    options = client.post(OPTIONS, {"given_name": "Pat", "family_name": "Key"}).json()
    refused = client.post(REGISTER, {"credential": "not json"})
    assert refused.status_code == 400
    assert "could not be registered" in refused.json()["detail"]
    # A credential for spent options (the challenge is single use).
    credential = SoftWebAuthn().create(options)
    assert client.post(REGISTER, {"credential": json.dumps(credential)}).status_code == 400
    assert not Account.objects.filter(email=EMAIL).exists()
    assert not Authenticator.objects.filter(type="passkey").exists()
    invitation.refresh_from_db()
    assert invitation.status == "pending"
    assert COOKIE not in client.cookies or not client.cookies[COOKIE].value
    # The password form still works afterwards.
    ok = client.post(
        "/invite/register",
        {
            "given_name": "Pat",
            "family_name": "Key",
            "password1": "a fresh and long passphrase 42",
            "password2": "a fresh and long passphrase 42",
        },
    )
    assert ok.status_code == 302


def test_passkey_endpoints_need_an_opened_invitation(world: Any) -> None:
    stranger = Client()
    response = stranger.post(OPTIONS, {"given_name": "A", "family_name": "B"})
    assert response.status_code == 404
    assert stranger.post(REGISTER, {"credential": "{}"}).status_code == 404
    assert stranger.get(OPTIONS).status_code == 405
