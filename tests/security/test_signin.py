"""Password sign-in to the Organization portal: identifiers, events, even failures, the
known-device cookie, logout, `next`, throttling and password hashing cost."""

import time

import argon2
import pytest
from django.contrib.auth.hashers import identify_hasher
from django.contrib.sessions.backends.db import SessionStore
from django.core import signing

from orgdesk import settings as product_settings
from orgdesk.accounts.hashers import OwaspArgon2PasswordHasher
from orgdesk.accounts.models import Account
from orgdesk.organizations.models import PORTAL_CLIENT_ID
from orgdesk.security.throttle import KNOWN_DEVICE_COOKIE, KNOWN_DEVICE_SALT, known_device_value
from tests.portal_support import (
    GENERIC_FAILURE,
    HOME,
    LOGIN,
    LOGOUT,
    PAGE,
    PASSWORD,
    SECURITY,
    form_error,
    last_event,
    make_admin,
    make_customer,
    portal_client,
    session_key,
    sign_in,
    signed_in_account_id,
    unique,
    unique_ip,
    unique_phone,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("forget_throttle_counters")]


@pytest.fixture
def admin(org):
    return make_admin(org, username=unique("adm"), phone=unique_phone())


# ---- success ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "kind", ["email", "email_other_case", "username", "username_other_case", "phone"]
)
def test_admin_signs_in_with_any_identifier(admin, kind):
    identifier = {
        "email": admin.email,
        "email_other_case": admin.email.upper(),
        "username": admin.username,
        "username_other_case": admin.username.upper(),
        "phone": admin.phone,
    }[kind]
    client = portal_client()
    assert client.get(PAGE).status_code == 302  # not signed in yet

    response = sign_in(client, identifier)

    assert response.status_code == 302
    assert response["Location"] == HOME
    assert signed_in_account_id(client) == str(admin.pk)
    assert client.get(PAGE).status_code == 200


def test_phone_in_another_format_signs_in(admin):
    # "+33 6 12 34 56 78" is the same number as "+33612345678".
    spaced = f"{admin.phone[:3]} {admin.phone[3]} " + " ".join(
        admin.phone[i : i + 2] for i in range(4, 12, 2)
    )
    client = portal_client()
    assert sign_in(client, spaced).status_code == 302
    assert signed_in_account_id(client) == str(admin.pk)


def test_success_records_a_login_event_and_counts_the_login(admin):
    ip = unique_ip()
    assert sign_in(portal_client(ip), admin.email).status_code == 302

    event = last_event("login", account=admin)
    assert event.result == "success"
    assert event.reason == ""
    assert event.metadata == {"client_id": PORTAL_CLIENT_ID, "method": "password"}
    assert event.ip == ip
    assert event.organization_id == admin.organization_id
    admin.refresh_from_db()
    assert admin.login_count == 1
    assert admin.last_ip == ip


def test_session_key_changes_at_sign_in(admin):
    client = portal_client()
    # An existing anonymous session, as an attacker planting a session id would create.
    before = client.session
    before["probe"] = "kept"
    before.save()
    old_key = session_key(client)
    assert old_key == before.session_key

    assert sign_in(client, admin.email).status_code == 302

    new_key = session_key(client)
    assert new_key and new_key != old_key
    assert not SessionStore().exists(old_key)  # the planted id is worthless now
    assert SessionStore(session_key=new_key).get("_auth_user_id") == str(admin.pk)


def test_known_device_cookie_is_set_on_success_only(admin):
    client = portal_client()
    failed = sign_in(client, admin.email, "wrong password")
    assert KNOWN_DEVICE_COOKIE not in failed.cookies

    response = sign_in(client, admin.email)

    cookie = response.cookies[KNOWN_DEVICE_COOKIE]
    assert signing.loads(cookie.value, salt=KNOWN_DEVICE_SALT) == {"a": str(admin.pk)}
    assert cookie["httponly"] is True
    assert cookie["samesite"] == "Lax"
    assert cookie["max-age"] == 180 * 86400


# ---- failures: one answer for every cause ----------------------------------------------------


def _disabled(admin):
    admin.status = Account.Status.DISABLED
    admin.save()
    return admin


@pytest.mark.parametrize(
    ("case", "reason"),
    [
        ("wrong_password", "invalid_password"),
        ("unknown_identifier", "unknown_identifier"),
        ("disabled_account", "account_disabled"),
    ],
)
def test_failures_look_the_same_and_record_a_reason(admin, case, reason):
    identifier, password = admin.email, PASSWORD
    if case == "wrong_password":
        password = "not the password"
    elif case == "unknown_identifier":
        identifier = f"{unique('nobody')}@example.com"
    else:
        _disabled(admin)
    ip = unique_ip()
    client = portal_client(ip)

    response = sign_in(client, identifier, password)

    assert response.status_code == 401
    assert form_error(response) == GENERIC_FAILURE
    assert signed_in_account_id(client) is None
    assert KNOWN_DEVICE_COOKIE not in response.cookies
    event = last_event("login", reason=reason, ip=ip)
    assert event is not None
    assert event.result == "failure"
    assert event.metadata == {"client_id": PORTAL_CLIENT_ID}
    expected_account = None if case == "unknown_identifier" else admin.pk
    assert event.account_id == expected_account


def test_disabled_account_with_wrong_password_is_an_invalid_password(admin):
    _disabled(admin)
    ip = unique_ip()
    response = sign_in(portal_client(ip), admin.email, "not the password")
    assert response.status_code == 401
    assert last_event("login", ip=ip).reason == "invalid_password"


def test_customer_without_a_role_gets_no_access(org):
    customer = make_customer(org)
    ip = unique_ip()
    client = portal_client(ip)

    response = sign_in(client, customer.email)

    assert response.status_code == 403
    assert "no access" in form_error(response)
    assert signed_in_account_id(client) is None
    assert client.get(PAGE).status_code == 302
    event = last_event("login", account=customer)
    assert (event.result, event.reason, event.ip) == ("failure", "no_admin_access", ip)
    # A wrong password does not tell whether the account has portal access.
    wrong = sign_in(portal_client(), customer.email, "not the password")
    assert wrong.status_code == 401
    assert form_error(wrong) == GENERIC_FAILURE


def test_empty_form_is_a_bad_request(admin):
    response = portal_client().post(LOGIN, {"identifier": "", "password": ""})
    assert response.status_code == 400
    assert last_event("login") is None


# ---- logout and next --------------------------------------------------------------------------


def test_logout_is_post_only_and_recorded(admin):
    ip = unique_ip()
    client = portal_client(ip)
    assert sign_in(client, admin.email).status_code == 302

    assert client.get(LOGOUT).status_code == 405
    assert signed_in_account_id(client) == str(admin.pk)
    assert last_event("logout") is None

    response = client.post(LOGOUT)

    assert response.status_code == 302
    assert response["Location"] == LOGIN
    assert signed_in_account_id(client) is None
    assert client.get(PAGE).status_code == 302
    event = last_event("logout", account=admin)
    assert (event.result, event.ip, event.metadata) == (
        "success",
        ip,
        {"client_id": PORTAL_CLIENT_ID},
    )


@pytest.mark.parametrize(
    ("next_url", "expected"),
    [
        (SECURITY, SECURITY),
        ("/portal/acme/", "/portal/acme/"),
        ("https://evil.example", HOME),
        ("https://evil.example/portal/", HOME),
        ("//evil.example/", HOME),
        ("http://testserver.evil.example/", HOME),
    ],
)
def test_next_is_honoured_only_on_this_site(admin, next_url, expected):
    response = sign_in(portal_client(), admin.email, next_url=next_url)
    assert response.status_code == 302
    assert response["Location"] == expected


def test_next_from_the_query_string_of_the_login_page(admin):
    client = portal_client()
    page = client.get(LOGIN, {"next": SECURITY})
    assert f'name="next" value="{SECURITY}"' in page.content.decode()
    response = client.post(
        f"{LOGIN}?next={SECURITY}", {"identifier": admin.email, "password": PASSWORD}
    )
    assert response["Location"] == SECURITY


def test_signed_in_admin_on_login_page_goes_on_but_not_off_site(admin):
    client = portal_client()
    sign_in(client, admin.email)
    assert client.get(LOGIN, {"next": SECURITY})["Location"] == SECURITY
    assert client.get(LOGIN, {"next": "https://evil.example"})["Location"] == HOME


# ---- throttling -------------------------------------------------------------------------------


@pytest.fixture
def limits(settings):
    settings.ORGDESK_THROTTLE = {
        "window_seconds": 900,
        "per_pair": 3,
        "per_identifier": 6,
        "per_ip": 100,
    }
    return settings.ORGDESK_THROTTLE


def _fail(client, identifier, times):
    for _ in range(times):
        assert sign_in(client, identifier, "not the password").status_code == 401


def test_pair_limit_blocks_even_the_right_password(admin, limits):
    ip = unique_ip()
    client = portal_client(ip)
    _fail(client, admin.email, limits["per_pair"])

    response = sign_in(client, admin.email)

    assert response.status_code == 429
    assert "Too many failed attempts" in form_error(response)
    assert signed_in_account_id(client) is None
    event = last_event("login", ip=ip, reason="rate_limited")
    assert event.result == "failure"
    assert event.account_id == admin.pk
    assert event.metadata == {"client_id": PORTAL_CLIENT_ID}
    # The identifier in another case or with spaces is the same counter.
    assert sign_in(client, f"  {admin.email.upper()} ").status_code == 429


def test_failures_below_the_limit_do_not_block_and_success_resets_the_pair(admin, limits):
    client = portal_client()
    _fail(client, admin.email, limits["per_pair"] - 1)
    assert sign_in(client, admin.email).status_code == 302
    client.post(LOGOUT)
    # The pair counter started again: the same number of mistakes is allowed once more.
    _fail(client, admin.email, limits["per_pair"] - 1)
    assert sign_in(client, admin.email).status_code == 302


def test_other_ips_sign_in_until_the_identifier_limit(admin, limits):
    attacker_one = portal_client()
    _fail(attacker_one, admin.email, limits["per_pair"])
    assert sign_in(attacker_one, admin.email).status_code == 429

    owner = portal_client()
    assert sign_in(owner, admin.email).status_code == 302  # 3 of 6 failures so far
    owner.post(LOGOUT)

    attacker_two = portal_client()
    _fail(attacker_two, admin.email, limits["per_identifier"] - limits["per_pair"])

    stranger_ip = unique_ip()
    response = sign_in(portal_client(stranger_ip), admin.email)
    assert response.status_code == 429
    assert last_event("login", ip=stranger_ip).reason == "rate_limited"


def test_known_device_is_not_locked_out_by_the_identifier_limit(admin, limits):
    owner = portal_client()
    assert sign_in(owner, admin.email).status_code == 302
    device_cookie = owner.cookies[KNOWN_DEVICE_COOKIE].value
    owner.post(LOGOUT)

    # A distributed attack exhausts the per-identifier limit...
    for _ in range(limits["per_identifier"] // limits["per_pair"]):
        _fail(portal_client(), admin.email, limits["per_pair"])
    assert sign_in(portal_client(), admin.email).status_code == 429

    # ...but the owner's browser, even from a new network, still gets in.
    owner_elsewhere = portal_client()
    owner_elsewhere.cookies[KNOWN_DEVICE_COOKIE] = device_cookie
    response = sign_in(owner_elsewhere, admin.email)
    assert response.status_code == 302
    assert signed_in_account_id(owner_elsewhere) == str(admin.pk)


def test_known_device_of_another_account_or_forged_does_not_help(org, admin, limits):
    other = make_admin(org)
    for _ in range(limits["per_identifier"] // limits["per_pair"]):
        _fail(portal_client(), admin.email, limits["per_pair"])

    for cookie in (
        known_device_value(other.pk),  # valid, but for someone else
        signing.dumps({"a": str(admin.pk)}, salt="another purpose"),  # wrong salt
        "forged",
    ):
        client = portal_client()
        client.cookies[KNOWN_DEVICE_COOKIE] = cookie
        assert sign_in(client, admin.email).status_code == 429


def test_known_device_still_counts_against_its_own_pair_limit(admin, limits):
    client = portal_client()
    assert sign_in(client, admin.email).status_code == 302
    client.post(LOGOUT)
    _fail(client, admin.email, limits["per_pair"])
    assert sign_in(client, admin.email).status_code == 429


def test_ip_limit_stops_spraying_across_identifiers(org, admin, settings):
    settings.ORGDESK_THROTTLE = {
        "window_seconds": 900,
        "per_pair": 100,
        "per_identifier": 100,
        "per_ip": 4,
    }
    sprayer_ip = unique_ip()
    sprayer = portal_client(sprayer_ip)
    victims = [make_admin(org) for _ in range(2)]
    for identifier in [v.email for v in victims] + [f"{unique('x')}@example.com" for _ in range(2)]:
        assert sign_in(sprayer, identifier, "Summer2024!").status_code == 401

    # Every further identifier from this IP is refused, even with the right password.
    response = sign_in(sprayer, admin.email)
    assert response.status_code == 429
    assert last_event("login", ip=sprayer_ip, reason="rate_limited").account_id == admin.pk
    # Other IPs are unaffected.
    assert sign_in(portal_client(), admin.email).status_code == 302


def test_lock_expires_with_the_window(admin, settings):
    settings.ORGDESK_THROTTLE = {
        "window_seconds": 1,
        "per_pair": 2,
        "per_identifier": 2,
        "per_ip": 2,
    }
    client = portal_client()
    _fail(client, admin.email, 2)
    assert sign_in(client, admin.email).status_code == 429

    time.sleep(1.5)

    assert sign_in(client, admin.email).status_code == 302


def _phone_formats(phone):
    """Seven spellings of one E.164 number, all of which sign in (see the test above)."""
    digits = phone[1:]
    return [
        phone,
        f"+{digits[:2]} {digits[2:]}",
        f"+{digits[:2]} {digits[2]} {digits[3:]}",
        f"+{digits[:2]}-{digits[2:5]}-{digits[5:]}",
        f"+{digits[:2]} ({digits[2]}) {digits[3:]}",
        f"+{digits[:2]} {digits[2:7]} {digits[7:]}",
        f"+{digits[:2]} {digits[2:4]} {digits[4:6]} {digits[6:8]} {digits[8:]}",
    ]


def test_phone_formats_are_all_the_same_account(admin):
    for variant in _phone_formats(admin.phone):
        client = portal_client()
        assert sign_in(client, variant).status_code == 302, variant
        assert signed_in_account_id(client) == str(admin.pk)


def test_phone_formats_share_the_pair_counter(admin, limits):
    attacker = portal_client()
    statuses = [
        sign_in(attacker, variant, "not the password").status_code
        for variant in _phone_formats(admin.phone)
    ]
    assert statuses[: limits["per_pair"]] == [401] * limits["per_pair"]
    assert set(statuses[limits["per_pair"] :]) == {429}


def test_phone_formats_share_the_identifier_counter(admin, limits):
    variants = _phone_formats(admin.phone)
    assert len(variants) > limits["per_identifier"]
    for variant in variants:  # a distributed attack: one guess per IP and spelling
        assert sign_in(portal_client(), variant, "not the password").status_code in (401, 429)
    assert sign_in(portal_client(), admin.phone).status_code == 429


# ---- password hashing ------------------------------------------------------------------------


def test_product_prefers_owasp_argon2():
    assert product_settings.PASSWORD_HASHERS[0] == (
        "orgdesk.accounts.hashers.OwaspArgon2PasswordHasher"
    )


def test_real_hashes_use_owasp_argon2_parameters(org, argon2_hashing):
    admin = make_admin(org)

    assert identify_hasher(admin.password).algorithm == "argon2"
    params = argon2.extract_parameters(admin.password.removeprefix("argon2"))
    assert params.type is argon2.Type.ID
    assert (params.memory_cost, params.time_cost, params.parallelism) == (19 * 1024, 2, 1)
    assert sign_in(portal_client(), admin.email).status_code == 302


@pytest.fixture
def hash_calls(monkeypatch, argon2_hashing):
    """Names of the Argon2 operations run (encode = make a hash, verify = check one)."""
    calls: list[str] = []
    for name in ("encode", "verify"):
        original = getattr(OwaspArgon2PasswordHasher, name)

        def spy(self, *args, _name=name, _original=original, **kwargs):
            calls.append(_name)
            return _original(self, *args, **kwargs)

        monkeypatch.setattr(OwaspArgon2PasswordHasher, name, spy)
    return calls


def test_every_failure_costs_exactly_one_password_hash(org, hash_calls):
    admin = make_admin(org)
    disabled = _disabled(make_admin(org))
    no_password = make_admin(org, password=None)
    assert not no_password.has_usable_password()
    cases = {
        "unknown identifier": (f"{unique('nobody')}@example.com", ["encode"]),
        "wrong password": (admin.email, ["verify"]),
        "disabled account": (disabled.email, ["verify"]),
        "account without a password": (no_password.email, ["encode"]),
    }
    for label, (identifier, expected) in cases.items():
        hash_calls.clear()
        response = sign_in(portal_client(), identifier, "not the password")
        assert response.status_code == 401, label
        assert hash_calls == expected, label

    hash_calls.clear()
    assert sign_in(portal_client(), admin.email).status_code == 302
    assert hash_calls == ["verify"]
