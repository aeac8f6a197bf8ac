"""Admin sessions: idle timeout, absolute lifetime, cookie flags, CSRF, and step-up
(recent authentication) for sensitive actions."""

import datetime as dt
import importlib.util
import re
import time

import pytest
from django.contrib.sessions.models import Session
from django.utils import timezone

from orgdesk import settings as product_settings
from orgdesk.access.actor import Actor
from orgdesk.security import actions as security_actions
from orgdesk.security import mfa
from orgdesk.security.models import Authenticator
from orgdesk.security.stepup import StepUpRequired, has_recent_auth, require_recent_auth
from orgdesk.security.throttle import KNOWN_DEVICE_COOKIE
from orgdesk.testing.actors import SYSTEM, as_admin, himself
from tests.portal_support import (
    HOME,
    LOGIN,
    LOGOUT,
    PAGE,
    PASSWORD,
    SECURITY,
    SESSION_COOKIE,
    STEP_UP,
    current_step,
    form_error,
    last_event,
    make_admin,
    portal_client,
    recovery_codes_from,
    session_key,
    set_session,
    sign_in,
    signed_in,
    signed_in_account_id,
    totp_code,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("forget_throttle_counters")]

LOGIN_AGAIN = f"{LOGIN}?next={PAGE}"


@pytest.fixture
def admin(org):
    return make_admin(org)


def csrf_token_from(response):
    match = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', response.content.decode())
    assert match, "no CSRF token in the page"
    return match.group(1)


# ---- idle timeout -----------------------------------------------------------------------------


def test_idle_timeout_is_thirty_minutes_renewed_by_activity():
    assert product_settings.ORGDESK_SESSION_IDLE_MINUTES == 30
    assert product_settings.SESSION_COOKIE_AGE == 30 * 60
    # renewed by the middleware at most once a minute rather than on every request
    assert product_settings.SESSION_SAVE_EVERY_REQUEST is False


def test_idle_session_ends(admin):
    client = signed_in(admin)
    expired = Session.objects.filter(session_key=session_key(client)).update(
        expire_date=timezone.now() - dt.timedelta(seconds=1)
    )
    assert expired == 1

    response = client.get(PAGE)

    assert response.status_code == 302
    assert response["Location"] == LOGIN_AGAIN
    assert signed_in_account_id(client) is None


def test_activity_pushes_the_idle_deadline_back(admin):
    client = signed_in(admin)
    key = session_key(client)
    # as if the last renewal were 29 minutes ago
    set_session(client, orgdesk_renewed_at=time.time() - 29 * 60)
    Session.objects.filter(session_key=key).update(
        expire_date=timezone.now() + dt.timedelta(seconds=60)
    )

    response = client.get(PAGE)

    assert response.status_code == 200
    assert response.cookies[SESSION_COOKIE]["max-age"] == 30 * 60
    deadline = Session.objects.get(session_key=key).expire_date
    assert deadline > timezone.now() + dt.timedelta(minutes=29)


def test_idle_timeout_in_real_time(admin, settings):
    settings.SESSION_COOKIE_AGE = 1
    client = signed_in(admin)
    assert client.get(PAGE).status_code == 200

    time.sleep(1.5)

    assert client.get(PAGE)["Location"] == LOGIN_AGAIN


def test_requests_within_a_minute_do_not_rewrite_the_session(admin):
    client = signed_in(admin)
    client.get(PAGE)
    key = session_key(client)
    before = Session.objects.get(session_key=key).expire_date
    response = client.get(PAGE)
    assert response.status_code == 200
    assert SESSION_COOKIE not in response.cookies  # nothing to renew yet
    assert Session.objects.get(session_key=key).expire_date == before


# ---- absolute lifetime ------------------------------------------------------------------------


def test_session_within_the_absolute_lifetime_goes_on(admin):
    assert product_settings.ORGDESK_SESSION_MAX_HOURS == 12
    client = signed_in(admin)
    set_session(client, orgdesk_signed_in_at=time.time() - 11.5 * 3600)
    assert client.get(PAGE).status_code == 200


def test_absolute_lifetime_signs_out_even_an_active_session(admin):
    client = signed_in(admin)
    set_session(client, orgdesk_signed_in_at=time.time() - 13 * 3600)

    assert client.get("/healthz").status_code == 200  # outside the portal: just signed out

    assert signed_in_account_id(client) is None
    assert client.get(PAGE)["Location"] == LOGIN_AGAIN


def test_session_without_a_sign_in_time_is_not_trusted(admin):
    # A session that did not go through the portal's sign-in (here: force_login).
    client = portal_client()
    client.force_login(admin, backend="orgdesk.accounts.backends.IdentifierBackend")
    assert signed_in_account_id(client) == str(admin.pk)

    client.get("/healthz")

    assert signed_in_account_id(client) is None


def test_absolute_lifetime_sends_a_portal_request_to_sign_in(admin):
    client = signed_in(admin)
    set_session(client, orgdesk_signed_in_at=time.time() - 13 * 3600)

    response = client.get(PAGE)

    assert response.status_code == 302
    assert response["Location"] == LOGIN_AGAIN
    assert signed_in_account_id(client) is None


def test_disabled_admin_is_signed_out_at_the_next_request(admin):
    client = signed_in(admin)
    admin.status = admin.Status.DISABLED
    admin.save()

    assert client.get(PAGE)["Location"] == LOGIN_AGAIN


# ---- cookies ----------------------------------------------------------------------------------


def test_session_and_device_cookies_are_httponly_and_samesite_lax(admin):
    client = portal_client()
    page = client.get(LOGIN)
    response = sign_in(client, admin.email)

    session_cookie = response.cookies[SESSION_COOKIE]
    assert session_cookie["httponly"] is True
    assert session_cookie["samesite"] == "Lax"
    assert session_cookie["path"] == "/"
    device_cookie = response.cookies[KNOWN_DEVICE_COOKIE]
    assert device_cookie["httponly"] is True
    assert device_cookie["samesite"] == "Lax"
    assert page.cookies["csrftoken"]["samesite"] == "Lax"


def test_device_cookie_is_secure_over_https(admin):
    client = portal_client()
    response = client.post(LOGIN, {"identifier": admin.email, "password": PASSWORD}, secure=True)
    assert response.status_code == 302
    assert response.cookies[KNOWN_DEVICE_COOKIE]["secure"] is True


def test_cookies_are_secure_in_production(monkeypatch):
    monkeypatch.setenv("ORGDESK_ENV", "production")
    monkeypatch.setenv("ORGDESK_SECRET_KEY", "x" * 50)
    spec = importlib.util.spec_from_file_location("production_settings", product_settings.__file__)
    production = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(production)  # a separate module object: Django's settings untouched

    assert production.SESSION_COOKIE_SECURE is True
    assert production.CSRF_COOKIE_SECURE is True
    assert production.SESSION_COOKIE_HTTPONLY is True
    assert production.SESSION_COOKIE_SAMESITE == "Lax"


# ---- CSRF -------------------------------------------------------------------------------------


def test_login_needs_the_csrf_token(admin):
    client = portal_client(enforce_csrf_checks=True)
    credentials = {"identifier": admin.email, "password": PASSWORD}

    refused = client.post(LOGIN, credentials)

    assert refused.status_code == 403
    assert signed_in_account_id(client) is None
    assert last_event("login", account=admin) is None

    token = csrf_token_from(client.get(LOGIN))
    forged = client.post(LOGIN, credentials, HTTP_ORIGIN="https://evil.example")
    assert forged.status_code == 403
    cross_site = client.post(
        LOGIN, {**credentials, "csrfmiddlewaretoken": token}, HTTP_ORIGIN="https://evil.example"
    )
    assert cross_site.status_code == 403
    assert signed_in_account_id(client) is None

    response = client.post(LOGIN, {**credentials, "csrfmiddlewaretoken": token})
    assert response.status_code == 302
    assert signed_in_account_id(client) == str(admin.pk)


def test_logout_needs_the_csrf_token(admin):
    client = portal_client(enforce_csrf_checks=True)
    token = csrf_token_from(client.get(LOGIN))
    client.post(
        LOGIN, {"identifier": admin.email, "password": PASSWORD, "csrfmiddlewaretoken": token}
    )
    assert signed_in_account_id(client) == str(admin.pk)

    assert client.post(LOGOUT).status_code == 403
    assert signed_in_account_id(client) == str(admin.pk)
    assert last_event("logout") is None

    # The token rotates at sign-in: the one from the sign-in page is stale.
    page = client.get(PAGE)
    response = client.post(LOGOUT, {"csrfmiddlewaretoken": csrf_token_from(page)})
    assert response.status_code == 302
    assert signed_in_account_id(client) is None
    assert last_event("logout", account=admin) is not None


# ---- step-up: recent authentication -----------------------------------------------------------


def test_has_recent_auth_is_a_ten_minute_window(admin):
    account = admin
    now = timezone.now()
    assert product_settings.ORGDESK_STEP_UP_MINUTES == 10

    def actor(minutes_ago):
        return Actor.admin(account, authenticated_at=now - dt.timedelta(minutes=minutes_ago))

    assert has_recent_auth(actor(0), now=now)
    assert has_recent_auth(actor(9), now=now)
    assert has_recent_auth(actor(10), now=now)
    assert not has_recent_auth(actor(10 + 1 / 60), now=now)
    assert not has_recent_auth(actor(11), now=now)
    assert not has_recent_auth(Actor.admin(account), now=now)  # never authenticated here
    assert has_recent_auth(SYSTEM)  # the system actor (scripts, jobs)
    with pytest.raises(StepUpRequired):
        require_recent_auth(actor(11))
    require_recent_auth(actor(1))


def test_step_up_window_follows_the_setting(settings, admin):
    account = admin
    settings.ORGDESK_STEP_UP_MINUTES = 30
    actor = Actor.admin(account, authenticated_at=timezone.now() - dt.timedelta(minutes=20))
    assert has_recent_auth(as_admin(actor))


def test_portal_requests_carry_the_sessions_auth_time(admin):
    client = signed_in(admin)
    actor = client.get(PAGE).wsgi_request.actor
    assert has_recent_auth(as_admin(actor))
    assert abs(actor.authenticated_at.timestamp() - client.session["orgdesk_auth_time"]) < 1

    set_session(client, orgdesk_auth_time=time.time() - 11 * 60)
    assert not has_recent_auth(client.get(PAGE).wsgi_request.actor)


def test_step_up_with_the_password(admin):
    client = signed_in(admin)
    stale = time.time() - 3600
    set_session(client, orgdesk_auth_time=stale)
    page = client.get(STEP_UP, {"next": SECURITY})
    assert page.status_code == 200
    assert f'name="next" value="{SECURITY}"' in page.content.decode()

    response = client.post(f"{STEP_UP}?next={SECURITY}", {"password": PASSWORD})

    assert response.status_code == 302
    assert response["Location"] == SECURITY
    assert client.session["orgdesk_auth_time"] > time.time() - 60
    assert client.session["orgdesk_signed_in_at"] < client.session["orgdesk_auth_time"]
    event = last_event("step_up", account=admin)
    assert (event.result, event.metadata) == ("success", {"method": "password"})
    assert event.ip == client.defaults["REMOTE_ADDR"]


def test_step_up_next_stays_on_this_site(admin):
    client = signed_in(admin)
    response = client.post(f"{STEP_UP}?next=https://evil.example/", {"password": PASSWORD})
    assert response["Location"] == HOME


def test_step_up_with_a_wrong_password(admin):
    client = signed_in(admin)
    stale = time.time() - 3600
    set_session(client, orgdesk_auth_time=stale)

    response = client.post(f"{STEP_UP}?next={SECURITY}", {"password": "not the password"})

    assert response.status_code == 401
    assert form_error(response) == "That did not match. Try again."
    assert client.session["orgdesk_auth_time"] == stale
    event = last_event("step_up", account=admin)
    assert (event.result, event.reason) == ("failure", "invalid_credentials")
    assert event.metadata == {"method": "password"}
    # Nothing typed is a failure too, not a pass.
    assert client.post(STEP_UP, {"password": ""}).status_code == 401
    assert client.session["orgdesk_auth_time"] == stale


def test_step_up_with_an_authenticator_code(admin):
    client = signed_in(admin)
    secret = mfa.new_totp_secret()
    security_actions.enrol_totp(
        actor=himself(admin), secret=secret, code=totp_code(secret, current_step(secret))
    )
    set_session(client, orgdesk_auth_time=time.time() - 3600)

    code = totp_code(secret, current_step(secret) + 1)
    response = client.post(f"{STEP_UP}?next={SECURITY}", {"code": code})

    assert response["Location"] == SECURITY
    assert last_event("step_up", account=admin).metadata == {"method": "totp"}
    # The same code again is refused.
    set_session(client, orgdesk_auth_time=time.time() - 3600)
    assert client.post(STEP_UP, {"code": code}).status_code == 401


def test_step_up_failures_are_throttled(admin, settings):
    settings.ORGDESK_THROTTLE = {
        "window_seconds": 900,
        "per_pair": 2,
        "per_identifier": 10,
        "per_ip": 100,
    }
    client = signed_in(admin)
    for _ in range(2):
        assert client.post(STEP_UP, {"password": "not the password"}).status_code == 401

    response = client.post(STEP_UP, {"password": PASSWORD})

    assert response.status_code == 429
    assert last_event("step_up", account=admin, result="success") is None


def test_step_up_needs_a_signed_in_admin():
    assert portal_client().get(STEP_UP)["Location"].startswith(LOGIN)


@pytest.fixture
def admin_client(admin):
    return signed_in(admin)


@pytest.fixture
def own_authenticator(admin, admin_client):
    """An authenticator app the admin added after signing in with `admin_client`."""
    secret = mfa.new_totp_secret()
    return security_actions.enrol_totp(
        actor=himself(admin), secret=secret, code=totp_code(secret, current_step(secret))
    )


def test_removing_an_own_authenticator_needs_a_recent_sign_in(
    admin, admin_client, own_authenticator
):
    client = admin_client
    remove = f"/portal/security/remove/{own_authenticator.pk}"
    set_session(client, orgdesk_auth_time=time.time() - 11 * 60)

    response = client.post(remove)

    assert response.status_code == 302
    assert response["Location"].startswith(f"{STEP_UP}?next=")
    assert Authenticator.objects.filter(pk=own_authenticator.pk).exists()
    assert last_event("authenticator.removed") is None

    assert client.post(STEP_UP, {"password": PASSWORD}).status_code == 302
    response = client.post(remove)

    assert response.status_code == 302
    assert response["Location"] == SECURITY
    assert not Authenticator.objects.filter(pk=own_authenticator.pk).exists()
    event = last_event("authenticator.removed", account=admin)
    assert event.actor_id == admin.pk
    assert event.metadata == {"type": "totp"}


def test_removing_an_authenticator_right_after_sign_in_works(admin_client, own_authenticator):
    response = admin_client.post(f"/portal/security/remove/{own_authenticator.pk}")
    assert response["Location"] == SECURITY
    assert not Authenticator.objects.filter(pk=own_authenticator.pk).exists()


def test_another_admins_authenticator_cannot_be_removed(org, admin):
    other = make_admin(org)
    secret = mfa.new_totp_secret()
    theirs = security_actions.enrol_totp(
        actor=himself(other), secret=secret, code=totp_code(secret, current_step(secret))
    )
    client = signed_in(admin)

    assert client.get(f"/portal/security/remove/{theirs.pk}").status_code == 405
    assert client.post(f"/portal/security/remove/{theirs.pk}").status_code == 404
    assert Authenticator.objects.filter(pk=theirs.pk).exists()


def test_after_step_up_the_admin_lands_on_a_page_that_opens(admin_client, own_authenticator):
    client = admin_client
    set_session(client, orgdesk_auth_time=time.time() - 11 * 60)
    step_up_page = client.post(f"/portal/security/remove/{own_authenticator.pk}")["Location"]

    after = client.post(step_up_page, {"password": PASSWORD})

    assert after.status_code == 302
    assert client.get(after["Location"]).status_code == 200


def test_new_recovery_codes_need_a_recent_sign_in(admin, admin_client, own_authenticator):
    old_codes = security_actions.generate_recovery_codes(actor=himself(admin))
    client = admin_client
    set_session(client, orgdesk_auth_time=time.time() - 11 * 60)

    response = client.post("/portal/security/recovery-codes")

    assert response["Location"] == f"{STEP_UP}?next={SECURITY}"
    assert not mfa.use_recovery_code(account=admin, code="not-a-code")
    assert mfa.use_recovery_code(account=admin, code=old_codes[0])  # still the old set

    client.post(STEP_UP, {"password": PASSWORD})
    response = client.post("/portal/security/recovery-codes")

    new_codes = recovery_codes_from(response)
    assert len(new_codes) == mfa.RECOVERY_CODE_COUNT
    assert not mfa.use_recovery_code(account=admin, code=old_codes[1])
    assert mfa.use_recovery_code(account=admin, code=new_codes[0])


def test_step_up_offers_a_security_key_like_a_passkey(admin, admin_client):
    """Step-up and the sign-in challenge offer the same credentials (security.selectors)."""
    assert admin_client.get("/portal/step-up").context["has_passkey"] is False
    Authenticator.objects.create(
        account=admin,
        type=Authenticator.Type.SECURITY_KEY,
        label="YubiKey",
        credential={"credential_id": "abc", "public_key": "", "sign_count": 0},
    )
    assert admin_client.get("/portal/step-up").context["has_passkey"] is True
