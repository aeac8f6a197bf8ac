"""Helpers for the portal sign-in, MFA and session tests (test_signin, test_mfa, test_sessions).

Throttle counters live in the cache, which is Redis when ORGDESK_REDIS_URL is set and then
outlives the test run (and may be shared with other runs): every test uses its own client IP
and its own identifiers, and `forget_throttle_keys` deletes the counters a test created.
"""

import json
import random
import re
import uuid
from collections.abc import Iterator
from typing import Any

import phonenumbers
import pyotp
import pytest
from django.conf import settings
from django.contrib.sessions.backends.base import SessionBase
from django.core.cache import cache
from django.http import HttpResponse
from django.test import Client
from django.utils import timezone

from orgdesk.access.actions import grant_role
from orgdesk.access.models import OrgRole
from orgdesk.accounts.models import Account
from orgdesk.activity.models import Event
from orgdesk.organizations.models import Organization
from orgdesk.security.models import Authenticator
from orgdesk.security.throttle import SignInThrottle
from orgdesk.testing.actors import SYSTEM
from tests.factories import make_account

PASSWORD = "correct horse battery staple"
LOGIN = "/portal/login"
VERIFY = "/portal/login/verify"
LOGOUT = "/portal/logout"
HOME = "/portal/"  # where sign-in lands; it redirects on to the Accounts tab
# A plain signed-in page (no redirect of its own) for "am I signed in?" checks.
PAGE = "/portal/step-up"
SECURITY = "/portal/security"
TOTP = "/portal/security/totp"
STEP_UP = "/portal/step-up"
SESSION_COOKIE = settings.SESSION_COOKIE_NAME
GENERIC_FAILURE = "The identifier or password is not correct."


def unique(prefix: str = "u") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:12]}"


def unique_ip() -> str:
    # 10/8 is private: no geolocation, and 16M addresses make collisions between runs unlikely.
    return "10.{}.{}.{}".format(*(random.randint(1, 254) for _ in range(3)))


def unique_phone() -> str:
    """A random valid French mobile number in E.164."""
    while True:
        candidate = "+336" + "".join(random.choice("0123456789") for _ in range(8))
        if phonenumbers.is_valid_number(phonenumbers.parse(candidate)):
            return candidate


def portal_client(ip: str | None = None, **defaults: Any) -> Client:
    return Client(REMOTE_ADDR=ip or unique_ip(), **defaults)


def make_admin(organization: Organization, **fields: Any) -> Account:
    """An organization admin: an account holding the built-in "admin" role on `organization`."""
    fields.setdefault("email", f"{unique('admin')}@example.com")
    account = make_account(organization, **fields)
    grant_role(
        actor=SYSTEM,
        account=account,
        organization=organization,
        role=OrgRole.objects.get(slug="admin"),
    )
    return account


def make_customer(organization: Organization, **fields: Any) -> Account:
    fields.setdefault("email", f"{unique('customer')}@example.com")
    return make_account(organization, **fields)


def sign_in(
    client: Client, identifier: str, password: str = PASSWORD, next_url: str | None = None
) -> HttpResponse:
    data = {"identifier": identifier, "password": password}
    if next_url is not None:
        data["next"] = next_url
    return client.post(LOGIN, data)


def signed_in_account_id(client: Client) -> str | None:
    return client.session.get("_auth_user_id")


def set_session(client: Client, **values: Any) -> SessionBase:
    session = client.session
    for key, value in values.items():
        session[key] = value
    session.save()
    return session


def last_event(event_type: str, **filters: Any) -> Event | None:
    return Event.objects.filter(type=event_type, **filters).order_by("-id").first()


def form_error(response: HttpResponse) -> str:
    """The text of the form's non-field error box (empty when there is none)."""
    match = re.search(
        r'<div class="alert" role="alert">(.*?)</div>', response.content.decode(), re.S
    )
    return re.sub(r"<[^>]+>", "", match.group(1)).strip() if match else ""


def session_key(client: Client) -> str | None:
    cookie = client.cookies.get(SESSION_COOKIE)
    return cookie.value if cookie is not None and cookie.value else None


# ---- TOTP -----------------------------------------------------------------------------------


def totp_code(secret: str, step: int) -> str:
    return pyotp.TOTP(secret).generate_otp(step)


def current_step(secret: str) -> int:
    return pyotp.TOTP(secret).timecode(timezone.now())


def next_totp_code(authenticator: Authenticator) -> str:
    """A code the server accepts now and has not seen: the current step or the next one."""
    authenticator.refresh_from_db()
    last = authenticator.credential.get("last_counter")
    now = current_step(authenticator.secret)
    for step in (now, now + 1):
        if last is None or step > last:
            return totp_code(authenticator.secret, step)
    raise AssertionError("no unused TOTP step left in the accepted window")


def recovery_codes_from(response: HttpResponse) -> list[str]:
    return re.findall(r"<li><code>([a-z0-9]{5}-[a-z0-9]{5})</code></li>", response.content.decode())


def enrol_totp_via_portal(client: Client) -> tuple[str, HttpResponse]:
    """Enrol an authenticator app through /portal/security/totp: (secret, POST response)."""
    page = client.get(TOTP)
    assert page.status_code == 200
    secret = client.session["orgdesk_totp_setup"]
    response = client.post(TOTP, {"code": totp_code(secret, current_step(secret))})
    return secret, response


# ---- passkeys -------------------------------------------------------------------------------


def json_of(response: HttpResponse) -> dict[str, Any]:
    return json.loads(response.content)


# ---- throttle counters ----------------------------------------------------------------------


def throttle_key_tracker(monkeypatch: Any) -> Iterator[list[str]]:
    """Record the cache keys of every SignInThrottle built during a test; delete them after.

    Used as a generator fixture body: `yield from throttle_key_tracker(monkeypatch)`.
    """
    keys: list[str] = []
    original_init = SignInThrottle.__init__

    def tracking_init(self: SignInThrottle, *args: Any, **kwargs: Any) -> None:
        original_init(self, *args, **kwargs)
        keys.extend(self.keys.values())

    monkeypatch.setattr(SignInThrottle, "__init__", tracking_init)
    yield keys
    if keys:
        cache.delete_many(sorted(set(keys)))


# ---- fixtures shared by the sign-in, MFA and session tests (import them by name) -----------


@pytest.fixture
def forget_throttle_counters(monkeypatch):  # type: ignore[no-untyped-def]
    """Delete the throttle keys a test created, even on Redis shared by parallel runs."""
    yield from throttle_key_tracker(monkeypatch)


@pytest.fixture
def org():  # type: ignore[no-untyped-def]
    from tests.factories import make_org

    return make_org("Acme")


def signed_in(account: Account, **client_defaults: Any) -> Client:
    """A client signed in through the real form (password only)."""
    client = portal_client(**client_defaults)
    assert sign_in(client, account.email)["Location"] == HOME
    return client
