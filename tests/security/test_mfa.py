"""Second factors for portal admins: TOTP enrolment and sign-in, recovery codes, passkeys
(with the soft authenticator in tests/soft_webauthn.py) and the brand's mandatory-MFA policy."""

import base64
import json
import time

import pytest
from django.db import connection

from orgdesk.organizations.models import PORTAL_CLIENT_ID
from orgdesk.security import actions as security_actions
from orgdesk.security import mfa
from orgdesk.security.models import Authenticator, SecurityPolicy
from orgdesk.security.throttle import KNOWN_DEVICE_COOKIE
from orgdesk.testing.actors import himself
from tests.portal_support import (
    HOME,
    LOGIN,
    LOGOUT,
    PAGE,
    SECURITY,
    TOTP,
    VERIFY,
    current_step,
    enrol_totp_via_portal,
    form_error,
    json_of,
    last_event,
    make_admin,
    next_totp_code,
    portal_client,
    recovery_codes_from,
    session_key,
    set_session,
    sign_in,
    signed_in,
    signed_in_account_id,
    totp_code,
)
from tests.soft_webauthn import SoftWebAuthn, b64url, tamper_signature

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("forget_throttle_counters")]

PASSKEY_OPTIONS = "/portal/security/passkey-options"
PASSKEY_REGISTER = "/portal/security/passkey"
SIGNIN_PASSKEY_OPTIONS = "/portal/login/passkey-options"
STEPUP_PASSKEY_OPTIONS = "/portal/step-up/passkey-options"


@pytest.fixture
def admin(org):
    return make_admin(org)


def raw_column(model, pk, column):
    """A column as stored, bypassing the field's from_db_value (decryption)."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {column} FROM {model._meta.db_table} WHERE id = %s",
            [model._meta.pk.get_db_prep_value(pk, connection)],
        )
        return cursor.fetchone()[0]


def wrong_code(secret):
    valid = {totp_code(secret, current_step(secret) + d) for d in (-1, 0, 1)}
    return next(c for c in ("000000", "111111", "222222", "333333") if c not in valid)


@pytest.fixture
def totp_admin(admin):
    """(admin, TOTP authenticator, recovery codes), enrolled directly."""
    secret = mfa.new_totp_secret()
    authenticator = security_actions.enrol_totp(
        actor=himself(admin), secret=secret, code=totp_code(secret, current_step(secret))
    )
    codes = security_actions.generate_recovery_codes(actor=himself(admin))
    return admin, authenticator, codes


def start_mfa(account, client=None, next_url=None):
    """Password step for an account with a second factor; the client is then pending."""
    client = client or portal_client(raise_request_exception=False)
    response = sign_in(client, account.email, next_url=next_url)
    assert response.status_code == 302
    assert response["Location"].startswith(VERIFY)
    assert signed_in_account_id(client) is None
    return client


def assert_refused(client, response):
    """The second factor was refused: not signed in, and the 401 page."""
    assert signed_in_account_id(client) is None
    assert response.status_code == 401


# ---- TOTP enrolment ---------------------------------------------------------------------------


def test_totp_enrolment_stores_the_secret_encrypted_and_shows_recovery_codes_once(admin):
    client = signed_in(admin)

    page = client.get(TOTP)
    secret = client.session["orgdesk_totp_setup"]
    assert page.status_code == 200
    assert f'<code class="secret">{secret}</code>' in page.content.decode()
    assert "<svg" in page.content.decode()  # the QR code
    response = client.post(TOTP, {"code": totp_code(secret, current_step(secret))})

    assert response.status_code == 200
    assert response.templates[0].name == "portal/recovery_codes.html"
    codes = recovery_codes_from(response)
    assert len(codes) == mfa.RECOVERY_CODE_COUNT == len(set(codes))
    assert "orgdesk_totp_setup" not in client.session
    totp = Authenticator.objects.get(account=admin, type=Authenticator.Type.TOTP)
    assert totp.secret == secret
    stored = raw_column(Authenticator, totp.pk, "secret")
    assert stored and stored != secret and secret not in stored
    recovery = Authenticator.objects.get(account=admin, type=Authenticator.Type.RECOVERY_CODES)
    stored_codes = raw_column(Authenticator, recovery.pk, "secret")
    assert not any(code in stored_codes or code in recovery.secret for code in codes)
    assert {e.metadata["type"] for e in admin.events.filter(type="mfa_enrolment")} == {
        "totp",
        "recovery_codes",
    }

    # A second authenticator app: the codes are not shown (nor replaced) again.
    _secret, again = enrol_totp_via_portal(client)
    assert again.status_code == 302
    assert again["Location"] == SECURITY
    assert recovery_codes_from(again) == []
    assert Authenticator.objects.filter(account=admin, type="totp").count() == 2
    recovery_again = Authenticator.objects.get(account=admin, type="recovery_codes")
    assert recovery_again.pk == recovery.pk
    assert recovery_again.secret == recovery.secret


def test_wrong_code_at_enrolment_adds_nothing(admin):
    client = signed_in(admin)
    client.get(TOTP)
    secret = client.session["orgdesk_totp_setup"]

    response = client.post(TOTP, {"code": wrong_code(secret)})

    assert response.status_code == 400
    assert not Authenticator.objects.filter(account=admin).exists()
    assert client.session["orgdesk_totp_setup"] == secret  # the person can try again
    assert client.post(TOTP, {"code": totp_code(secret, current_step(secret))}).status_code == 200


def test_totp_page_needs_a_signed_in_admin():
    response = portal_client().get(TOTP)
    assert response.status_code == 302
    assert response["Location"].startswith(LOGIN)


# ---- sign-in with TOTP and recovery codes -----------------------------------------------------


def test_enrolled_admin_signs_in_with_password_then_totp(admin):
    # Enrol through the portal, as a person would.
    client = signed_in(admin)
    _secret, enrolled = enrol_totp_via_portal(client)
    assert enrolled.status_code == 200
    client.post(LOGOUT)
    totp = Authenticator.objects.get(account=admin, type="totp")

    client.raise_request_exception = False  # see assert_refused
    before = session_key(client)
    start_mfa(admin, client)
    pending_key = session_key(client)
    assert pending_key != before
    assert client.get(PAGE).status_code == 302  # half signed in is not signed in
    assert client.get(VERIFY).status_code == 200

    ip = client.defaults["REMOTE_ADDR"]
    assert_refused(client, client.post(VERIFY, {"code": wrong_code(totp.secret)}))
    event = last_event("mfa_challenge", account=admin)
    assert (event.result, event.reason, event.ip) == ("failure", "invalid_code", ip)
    assert event.metadata == {"method": "totp", "client_id": PORTAL_CLIENT_ID}

    response = client.post(VERIFY, {"code": next_totp_code(totp)})

    assert response.status_code == 302
    assert response["Location"] == HOME
    assert signed_in_account_id(client) == str(admin.pk)
    assert session_key(client) not in (before, pending_key)
    assert KNOWN_DEVICE_COOKIE in response.cookies
    assert last_event("mfa_challenge", account=admin).result == "success"
    login = last_event("login", account=admin)
    assert (login.result, login.metadata["method"]) == ("success", "totp")
    assert client.get(PAGE).status_code == 200


def test_totp_code_cannot_be_replayed(totp_admin):
    admin, totp, _codes = totp_admin
    code = next_totp_code(totp)
    client = start_mfa(admin)
    assert client.post(VERIFY, {"code": code}).status_code == 302
    client.post(LOGOUT)

    start_mfa(admin, client)
    assert_refused(client, client.post(VERIFY, {"code": code}))


def test_refused_second_factor_shows_the_form_again_with_401(totp_admin):
    admin, totp, _codes = totp_admin
    client = start_mfa(admin)

    response = client.post(VERIFY, {"code": wrong_code(totp.secret)})

    assert response.status_code == 401
    assert form_error(response) == "That code or passkey was not accepted."
    assert 'name="code"' in response.content.decode()


def test_recovery_code_works_once_and_only_once(totp_admin):
    admin, _totp, codes = totp_admin
    client = start_mfa(admin)
    # Typed in capitals, with a space instead of the dash: still the same code.
    typed = codes[0].upper().replace("-", " ")

    response = client.post(VERIFY, {"code": typed})

    assert response.status_code == 302
    assert signed_in_account_id(client) == str(admin.pk)
    assert last_event("login", account=admin).metadata["method"] == "recovery_code"
    row = Authenticator.objects.get(account=admin, type="recovery_codes")
    assert row.identifier == f"{mfa.RECOVERY_CODE_COUNT - 1} codes"
    client.post(LOGOUT)

    start_mfa(admin, client)
    assert_refused(client, client.post(VERIFY, {"code": codes[0]}))
    assert client.post(VERIFY, {"code": codes[1]}).status_code == 302


def test_pending_second_factor_expires_after_five_minutes(totp_admin):
    admin, totp, _codes = totp_admin
    client = start_mfa(admin)
    pending = client.session["orgdesk_mfa_pending"]
    set_session(client, orgdesk_mfa_pending={**pending, "at": time.time() - 290})
    assert client.get(VERIFY).status_code == 200

    set_session(client, orgdesk_mfa_pending={**pending, "at": time.time() - 301})

    assert client.get(VERIFY)["Location"] == LOGIN
    response = client.post(VERIFY, {"code": next_totp_code(totp)})
    assert response.status_code == 302
    assert response["Location"] == LOGIN
    assert signed_in_account_id(client) is None
    assert last_event("login", account=admin, result="success") is None


def test_verify_page_without_a_password_step_goes_to_login(totp_admin):
    _admin, totp, _codes = totp_admin
    client = portal_client()
    assert client.get(VERIFY)["Location"] == LOGIN
    assert client.post(VERIFY, {"code": next_totp_code(totp)})["Location"] == LOGIN
    assert signed_in_account_id(client) is None


def test_account_disabled_while_pending_cannot_finish(totp_admin):
    admin, totp, _codes = totp_admin
    client = start_mfa(admin)
    admin.status = admin.Status.DISABLED
    admin.save()

    response = client.post(VERIFY, {"code": next_totp_code(totp)})

    assert response["Location"] == LOGIN
    assert signed_in_account_id(client) is None


def test_second_factor_failures_are_throttled(totp_admin, settings):
    settings.ORGDESK_THROTTLE = {
        "window_seconds": 900,
        "per_pair": 3,
        "per_identifier": 10,
        "per_ip": 100,
    }
    admin, totp, _codes = totp_admin
    client = start_mfa(admin)
    for _ in range(3):
        assert_refused(client, client.post(VERIFY, {"code": wrong_code(totp.secret)}))

    response = client.post(VERIFY, {"code": next_totp_code(totp)})

    assert response.status_code == 429
    assert signed_in_account_id(client) is None


@pytest.mark.parametrize(
    ("next_url", "expected"),
    [(SECURITY, SECURITY), ("https://evil.example", HOME), ("//evil.example/", HOME)],
)
def test_next_survives_the_second_factor_on_this_site_only(totp_admin, next_url, expected):
    admin, totp, _codes = totp_admin
    client = portal_client()
    redirect = sign_in(client, admin.email, next_url=next_url)["Location"]

    response = client.post(redirect, {"code": next_totp_code(totp)})

    assert response["Location"] == expected


def test_next_with_a_query_string_survives_the_second_factor(totp_admin):
    admin, totp, _codes = totp_admin
    client = portal_client()
    target = f"{SECURITY}?tab=methods&sort=-created"
    redirect = sign_in(client, admin.email, next_url=target)["Location"]

    response = client.post(redirect, {"code": next_totp_code(totp)})

    assert response["Location"] == target


# ---- passkeys ---------------------------------------------------------------------------------


def register_passkey(client, authenticator, **overrides):
    options = client.post(PASSKEY_OPTIONS)
    assert options.status_code == 200
    credential = authenticator.create(json_of(options), **overrides)
    return client.post(PASSKEY_REGISTER, {"credential": json.dumps(credential)}), credential


@pytest.fixture
def passkey_admin(admin):
    """(admin, soft authenticator holding the admin's registered passkey)."""
    device = SoftWebAuthn()
    client = signed_in(admin)
    response, _credential = register_passkey(client, device)
    assert response.status_code == 200
    client.post(LOGOUT)
    return admin, device


def test_passkey_registration(admin, settings):
    client = signed_in(admin)
    device = SoftWebAuthn()

    options = json_of(client.post(PASSKEY_OPTIONS))

    assert options["rp"] == {"id": settings.WEBAUTHN_RP_ID, "name": settings.WEBAUTHN_RP_NAME}
    assert options["user"]["id"] == b64url(admin.pk.bytes)
    assert options["excludeCredentials"] == []
    assert client.session["orgdesk_passkey_challenge"] == options["challenge"]
    credential = device.create(options)
    response = client.post(PASSKEY_REGISTER, {"credential": json.dumps(credential)})

    assert response.status_code == 200
    assert json_of(response) == {"redirect": SECURITY}
    assert "orgdesk_passkey_challenge" not in client.session
    row = Authenticator.objects.get(account=admin, type=Authenticator.Type.PASSKEY)
    assert row.credential["credential_id"] == credential["id"]
    assert row.credential["sign_count"] == 0
    public_key = device.credentials[credential["id"]].cose_public_key()
    assert base64.b64decode(row.credential["public_key"]) == public_key
    assert row.identifier == credential["id"][:16]
    assert last_event("mfa_enrolment", account=admin).metadata == {"type": "passkey"}
    # The next registration tells the browser not to register the same authenticator twice.
    again = json_of(client.post(PASSKEY_OPTIONS))
    assert [c["id"] for c in again["excludeCredentials"]] == [credential["id"]]


@pytest.mark.parametrize(
    "overrides",
    [
        {"origin": "https://evil.example"},
        {"origin": "http://localhost:8001"},
        {"rp_id": "evil.example"},
        {"challenge": b64url(b"a challenge the server never issued")},
    ],
    ids=["phishing-origin", "other-port", "other-rp-id", "foreign-challenge"],
)
def test_passkey_registration_refused_when_not_for_this_site(admin, overrides):
    client = signed_in(admin)
    response, _credential = register_passkey(client, SoftWebAuthn(), **overrides)
    assert response.status_code == 400
    assert not Authenticator.objects.filter(account=admin).exists()


def test_passkey_registration_needs_fresh_options(admin):
    client = signed_in(admin)
    device = SoftWebAuthn()
    response, credential = register_passkey(client, device)
    assert response.status_code == 200
    # The same response again: the challenge was used up.
    replay = client.post(PASSKEY_REGISTER, {"credential": json.dumps(credential)})
    assert replay.status_code == 400
    assert Authenticator.objects.filter(account=admin, type="passkey").count() == 1


def test_passkey_endpoints_are_post_only_and_need_a_session(admin):
    assert portal_client().post(PASSKEY_OPTIONS)["Location"].startswith(LOGIN)
    client = signed_in(admin)
    assert client.get(PASSKEY_OPTIONS).status_code == 405
    assert client.get(PASSKEY_REGISTER).status_code == 405


@pytest.mark.parametrize("payload", ["not json", "{}", '{"id": "x", "rawId": "x"}'])
def test_malformed_passkey_registration_is_a_bad_request(admin, payload):
    client = signed_in(admin)
    client.post(PASSKEY_OPTIONS)
    response = client.post(PASSKEY_REGISTER, {"credential": payload})
    assert response.status_code == 400


def passkey_options_for_pending(client):
    response = client.post(SIGNIN_PASSKEY_OPTIONS)
    assert response.status_code == 200
    return json_of(response)


def test_sign_in_with_a_passkey(passkey_admin, settings):
    admin, device = passkey_admin
    row = Authenticator.objects.get(account=admin, type="passkey")
    client = start_mfa(admin)
    assert "Use a passkey" in client.get(VERIFY).content.decode()

    options = passkey_options_for_pending(client)
    assert options["rpId"] == settings.WEBAUTHN_RP_ID
    assert [c["id"] for c in options["allowCredentials"]] == [row.credential["credential_id"]]
    response = client.post(VERIFY, {"passkey": json.dumps(device.get(options))})

    assert response.status_code == 302
    assert response["Location"] == HOME
    assert signed_in_account_id(client) == str(admin.pk)
    login = last_event("login", account=admin)
    assert (login.result, login.metadata["method"]) == ("success", "passkey")
    row.refresh_from_db()
    assert row.credential["sign_count"] == 1
    assert row.last_used is not None

    # And again: the counter keeps moving.
    client.post(LOGOUT)
    start_mfa(admin, client)
    options = passkey_options_for_pending(client)
    assert client.post(VERIFY, {"passkey": json.dumps(device.get(options))}).status_code == 302
    row.refresh_from_db()
    assert row.credential["sign_count"] == 2


def test_passkey_with_a_tampered_signature_is_refused(passkey_admin):
    admin, device = passkey_admin
    client = start_mfa(admin)
    assertion = tamper_signature(device.get(passkey_options_for_pending(client)))

    assert_refused(client, client.post(VERIFY, {"passkey": json.dumps(assertion)}))

    row = Authenticator.objects.get(account=admin, type="passkey")
    assert row.credential["sign_count"] == 0
    event = last_event("mfa_challenge", account=admin)
    assert (event.result, event.metadata["method"]) == ("failure", "passkey")


def test_passkey_of_another_account_is_refused(org, passkey_admin):
    admin, _device = passkey_admin
    other = make_admin(org)
    other_device = SoftWebAuthn()
    client = signed_in(other)
    response, other_credential = register_passkey(client, other_device)
    assert response.status_code == 200

    pending = start_mfa(admin)
    options = passkey_options_for_pending(pending)
    # The other admin's authenticator answers the admin's challenge with its own credential.
    assertion = other_device.get(options, credential_id=other_credential["id"])

    assert_refused(pending, pending.post(VERIFY, {"passkey": json.dumps(assertion)}))
    assert last_event("login", account=other, result="success").metadata["method"] == "password"


@pytest.mark.parametrize("attack", ["replay", "phishing-origin", "no-options"])
def test_passkey_assertion_must_answer_this_sites_current_challenge(passkey_admin, attack):
    admin, device = passkey_admin
    client = start_mfa(admin)
    if attack == "replay":
        assertion = device.get(passkey_options_for_pending(client))
        assert client.post(VERIFY, {"passkey": json.dumps(assertion)}).status_code == 302
        client.post(LOGOUT)
        start_mfa(admin, client)
        passkey_options_for_pending(client)  # a fresh challenge the old answer does not match
    elif attack == "phishing-origin":
        assertion = device.get(passkey_options_for_pending(client), origin="https://evil.example")
    else:
        options = {"challenge": b64url(b"made up"), "rpId": "localhost", "allowCredentials": []}
        assertion = device.get(options)

    assert_refused(client, client.post(VERIFY, {"passkey": json.dumps(assertion)}))


def test_passkey_options_need_a_pending_sign_in():
    client = portal_client()
    response = client.post(SIGNIN_PASSKEY_OPTIONS)
    assert response.status_code == 401
    assert "orgdesk_passkey_challenge" not in client.session
    assert client.get(SIGNIN_PASSKEY_OPTIONS).status_code == 405


def test_malformed_passkey_assertion_is_refused(passkey_admin):
    admin, _device = passkey_admin
    credential_id = Authenticator.objects.get(account=admin, type="passkey").credential[
        "credential_id"
    ]
    client = start_mfa(admin)
    passkey_options_for_pending(client)

    response = client.post(
        VERIFY, {"passkey": json.dumps({"id": credential_id, "rawId": credential_id})}
    )

    assert_refused(client, response)
    assert last_event("mfa_challenge", account=admin).result == "failure"


def test_step_up_with_a_passkey(passkey_admin):
    admin, device = passkey_admin
    client = start_mfa(admin)
    client.post(VERIFY, {"passkey": json.dumps(device.get(passkey_options_for_pending(client)))})
    set_session(client, orgdesk_auth_time=time.time() - 3600)

    options = json_of(client.post(STEPUP_PASSKEY_OPTIONS))
    response = client.post(
        f"/portal/step-up?next={SECURITY}", {"passkey": json.dumps(device.get(options))}
    )

    assert response.status_code == 302
    assert response["Location"] == SECURITY
    assert client.session["orgdesk_auth_time"] > time.time() - 60
    event = last_event("step_up", account=admin)
    assert (event.result, event.metadata) == ("success", {"method": "passkey"})


# ---- the brand's policy: every admin needs a second factor ------------------------------------


@pytest.fixture
def mfa_required(db):
    policy = SecurityPolicy.current()
    policy.require_admin_mfa = True
    policy.save()
    return policy


def test_admin_without_second_factor_must_enrol_before_anything_else(org, admin, mfa_required):
    client = signed_in(admin)

    for path in (HOME, f"/portal/{org.key}/", f"/portal/{org.key}/accounts", PAGE):
        response = client.get(path)
        assert response.status_code == 302, path
        assert response["Location"] == SECURITY, path
    page = client.get(SECURITY)
    assert page.status_code == 200
    assert "requires a second factor" in page.content.decode()

    _secret, enrolled = enrol_totp_via_portal(client)
    assert enrolled.status_code == 200

    assert client.get(PAGE).status_code == 200
    assert "requires a second factor" not in client.get(SECURITY).content.decode()


def test_passkey_satisfies_the_policy_and_logout_stays_open(admin, mfa_required):
    client = signed_in(admin)
    assert client.get(PAGE)["Location"] == SECURITY
    response, _credential = register_passkey(client, SoftWebAuthn())
    assert response.status_code == 200
    assert client.get(PAGE).status_code == 200
    assert client.post(LOGOUT)["Location"] == LOGIN


def test_recovery_codes_alone_do_not_satisfy_the_policy(admin, mfa_required):
    security_actions.generate_recovery_codes(actor=himself(admin))
    client = signed_in(admin)
    assert client.get(PAGE)["Location"] == SECURITY


def test_without_the_policy_a_password_is_enough(admin):
    assert SecurityPolicy.current().require_admin_mfa is False
    assert signed_in(admin).get(PAGE).status_code == 200
