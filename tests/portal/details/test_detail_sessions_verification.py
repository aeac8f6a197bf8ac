"""Account details: the Sessions tab (active sessions, Clear sessions) and the Identity
verification tab (results per policy, Manually verify)."""

import datetime as dt
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from django.contrib.messages import get_messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from orgdesk.access.actions import grant_role
from orgdesk.access.models import OrgRole
from orgdesk.accounts.models import Account
from orgdesk.activity.models import Event
from orgdesk.security.devices import describe_device
from orgdesk.security.models import Authenticator, CustomerSession
from orgdesk.testing.actors import SYSTEM, fresh
from orgdesk.verification.actions import verify_manually
from orgdesk.verification.models import VerificationPolicy, VerificationResult
from orgdesk.verification.selectors import applicable_policies
from tests.detail_support import action_url, client_for, tab_url

pytestmark = pytest.mark.django_db

PASSWORD = "correct horse battery staple"
CHROME_WINDOWS = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/131.0.0.0 Safari/537.36"
)
SAFARI_IPHONE = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1"
)
# Operator setup is never said to the portal's admins (issue 12 item 6).
SERVER_SETUP = ("ORGDESK_GEOIP_CITY_DB", "GeoLite2", "MaxMind", "city database")


def messages_of(response: Any) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def session(account: Any, key: str, **fields: Any) -> CustomerSession:
    fields.setdefault("expires", timezone.now() + dt.timedelta(days=14))
    return CustomerSession.objects.create(account=account, key_hash=key, **fields)


def role_with(slug: str, *permissions: str) -> OrgRole:
    return OrgRole.objects.create(slug=slug, name=slug.title(), permissions=list(permissions))


def client_with(world: Any, *permissions: str) -> Any:
    """A client for `cross` (lives in Germany) holding only `permissions` on EMEA."""
    grant_role(
        actor=SYSTEM,
        account=world.cross,
        organization=world.emea,
        role=role_with("custom", *permissions),
    )
    return client_for(world.cross)


@pytest.fixture(autouse=True)
def _no_city_database(monkeypatch):
    monkeypatch.delenv("ORGDESK_GEOIP_CITY_DB", raising=False)


# ---- Sessions tab ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("user_agent", "expected"),
    [
        (CHROME_WINDOWS, "Chrome 131 on Windows 10"),
        (SAFARI_IPHONE, "Mobile Safari 17 on iOS 17"),
        ("", ""),
        ("NotARealAgent", ""),  # nothing known: pages say "Unknown device" in their language
    ],
)
def test_stored_device_line(user_agent, expected):
    assert describe_device(user_agent) == expected


def test_an_unknown_device_is_named_in_the_admins_language(admin_client, world):
    session(
        world.inside, "robot", user_agent="NotARealAgent", device=describe_device("NotARealAgent")
    )
    html = admin_client.get(
        tab_url(world.emea, world.inside, "sessions"), HTTP_ACCEPT_LANGUAGE="fr"
    ).content.decode()
    assert "Appareil inconnu" in html


def test_sessions_show_device_location_and_last_activity(admin_client, world):
    now = timezone.now()
    session(
        world.inside,
        "chrome",
        user_agent=CHROME_WINDOWS,
        device="Chrome 131 on Windows 10",
        ip="81.250.0.1",  # no country stored: found from the IP (bundled data)
        last_activity=now - dt.timedelta(hours=2),
    )
    session(
        world.inside,
        "iphone",
        user_agent=SAFARI_IPHONE,
        ip="8.8.8.8",
        country="US",
        last_activity=now - dt.timedelta(minutes=5),
    )
    session(world.inside, "expired", ip="198.51.100.1", expires=now - dt.timedelta(minutes=1))
    session(world.inside, "revoked", ip="198.51.100.2", revoked_at=now)
    session(world.outside, "other-customer", ip="198.51.100.3")

    response = admin_client.get(tab_url(world.emea, world.inside, "sessions"))
    assert response.status_code == 200
    html = response.content.decode()
    assert "Chrome 131" in html and "Windows 10" in html
    assert "Mobile Safari 17" in html and "iOS 17" in html
    assert "81.250.0.1" in html and "France" in html
    assert "8.8.8.8" in html and "United States of America" in html
    # the world's own session: no user agent kept, its stored device line is shown
    assert "Firefox 133 on Linux" in html and "203.0.113.7" in html
    for hidden in ("198.51.100.1", "198.51.100.2", "198.51.100.3"):
        assert hidden not in html
    # most recent activity first
    assert html.index("8.8.8.8") < html.index("81.250.0.1")
    for setup in SERVER_SETUP:
        assert setup not in html, setup
    assert "Clear sessions" in html and 'data-dialog-open="clear-sessions-dialog"' in html
    assert action_url("account_sessions_clear", world.emea, world.inside) in html
    rows = [r["session"].key_hash for r in response.context["rows"]]
    assert rows == [f"k-{world.inside.pk.hex}", "iphone", "chrome"]


def test_stored_city_is_shown_and_a_broken_city_database_does_not_break_the_page(
    admin_client, world, monkeypatch
):
    session(world.inside, "paris", ip="81.250.0.1", city="Paris", country="FR")
    session(world.inside, "nocity", ip="90.0.0.1")
    monkeypatch.setenv("ORGDESK_GEOIP_CITY_DB", "/nonexistent/GeoLite2-City.mmdb")
    response = admin_client.get(tab_url(world.emea, world.inside, "sessions"))
    assert response.status_code == 200
    html = response.content.decode()
    assert "Paris, France" in html
    assert "90.0.0.1" in html and "France" in html  # falls back to the country
    for setup in SERVER_SETUP:
        assert setup not in html, setup


def test_without_a_city_database_the_country_is_shown_and_nothing_about_the_server(
    admin_client, world, monkeypatch
):
    from orgdesk.security import geo

    def no_city(ip):
        raise AssertionError("no City database: not asked")

    monkeypatch.setattr(geo, "locate", no_city)
    session(world.inside, "lyon", ip="81.250.0.1", user_agent=CHROME_WINDOWS)
    session(world.inside, "nowhere", ip="10.1.2.3", user_agent=SAFARI_IPHONE)
    html = admin_client.get(
        tab_url(world.emea, world.inside, "sessions"), HTTP_ACCEPT_LANGUAGE="fr"
    ).content.decode()
    assert "81.250.0.1" in html and '<span class="session-place">France</span>' in html
    assert "10.1.2.3" in html  # a private address: its IP only
    assert "Chrome 131" in html and "Windows 10" in html
    for setup in SERVER_SETUP:
        assert setup not in html, setup


def test_with_a_city_database_city_and_country_are_shown(admin_client, world, monkeypatch):
    from orgdesk.security import geo

    monkeypatch.setenv("ORGDESK_GEOIP_CITY_DB", "/srv/geo/GeoLite2-City.mmdb")
    located = {"81.250.0.1": ("Lyon", "FR"), "8.8.8.8": ("Mountain View", "US")}
    monkeypatch.setattr(geo, "locate", lambda ip: located.get(ip, ("", "")))
    session(world.inside, "lyon", ip="81.250.0.1", user_agent=CHROME_WINDOWS)
    session(world.inside, "stored", ip="8.8.8.8", city="Paris", country="FR")
    html = admin_client.get(
        tab_url(world.emea, world.inside, "sessions"), HTTP_ACCEPT_LANGUAGE="de"
    ).content.decode()
    assert '<span class="session-place">Lyon, Frankreich</span>' in html
    # What was recorded at the time wins over today's lookup.
    assert '<span class="session-place">Paris, Frankreich</span>' in html
    assert "Mountain View" not in html
    for setup in SERVER_SETUP:
        assert setup not in html, setup


def test_sessions_empty_state(admin_client, world):
    CustomerSession.objects.filter(account=world.inside).update(revoked_at=timezone.now())
    response = admin_client.get(tab_url(world.emea, world.inside, "sessions"))
    html = response.content.decode()
    assert "No active sessions." in html
    assert "clear-sessions-dialog" not in html


def test_clear_sessions_signs_out_everywhere_but_keeps_account_and_credentials(admin_client, world):
    session(world.inside, "second", user_agent=CHROME_WINDOWS, ip="81.250.0.1")
    expired = session(world.inside, "old", expires=timezone.now() - dt.timedelta(days=1))
    authenticators = set(
        Authenticator.objects.filter(account=world.inside).values_list("pk", flat=True)
    )
    url = action_url("account_sessions_clear", world.emea, world.inside)
    response = admin_client.post(url, {"reason": "Phone stolen"})
    assert response.status_code == 302
    assert response["Location"] == tab_url(world.emea, world.inside, "sessions")
    assert messages_of(response) == ["2 sessions ended: the customer is signed out everywhere."]

    live = CustomerSession.objects.filter(
        account=world.inside, revoked_at__isnull=True, expires__gt=timezone.now()
    )
    assert not live.exists()
    assert CustomerSession.objects.filter(account=world.inside).count() == 3  # kept, revoked
    expired.refresh_from_db()
    assert expired.revoked_at is None  # it had ended already
    world.inside.refresh_from_db()
    assert world.inside.status == Account.Status.ENABLED and world.inside.is_active
    assert world.inside.check_password(PASSWORD)
    assert (
        set(Authenticator.objects.filter(account=world.inside).values_list("pk", flat=True))
        == authenticators
    )
    assert CustomerSession.objects.get(account=world.outside).revoked_at is None

    event = Event.objects.get(type="sessions.cleared", account=world.inside)
    assert event.actor_id == world.admin.pk
    assert event.category == "admin_action"
    assert event.metadata == {"sessions": 2, "reason": "Phone stolen"}

    page = admin_client.get(response["Location"])
    assert "No active sessions." in page.content.decode()


def test_clear_sessions_needs_a_recent_sign_in(stale_admin_client, world):
    url = action_url("account_sessions_clear", world.emea, world.inside)
    response = stale_admin_client.post(url)
    assert response.status_code == 302
    target = urlsplit(response["Location"])
    assert target.path == "/portal/step-up"
    assert parse_qs(target.query)["next"] == [tab_url(world.emea, world.inside, "sessions")]
    assert CustomerSession.objects.get(account=world.inside).revoked_at is None
    assert not Event.objects.filter(type="sessions.cleared").exists()


def test_clear_sessions_is_post_only(admin_client, world):
    url = action_url("account_sessions_clear", world.emea, world.inside)
    assert admin_client.get(url).status_code == 405
    assert CustomerSession.objects.get(account=world.inside).revoked_at is None


def test_clear_sessions_without_permission_is_403(world):
    client = client_with(world, "accounts.view", "sessions.view")
    page = client.get(tab_url(world.emea, world.inside, "sessions"))
    assert page.status_code == 200
    html = page.content.decode()
    assert "203.0.113.7" in html and "clear-sessions-dialog" not in html
    url = action_url("account_sessions_clear", world.emea, world.inside)
    assert client.post(url).status_code == 403
    # a viewer (accounts.view only) neither
    assert client_for(world.viewer).post(url).status_code == 403
    assert CustomerSession.objects.get(account=world.inside).revoked_at is None
    assert not Event.objects.filter(type="sessions.cleared").exists()


# ---- Identity verification tab ---------------------------------------------------------------


@pytest.fixture
def policies(world):
    """Policies per organization: the account in France may use Acme's and France's."""

    def make(name: str, method: str, *orgs: Any) -> VerificationPolicy:
        policy = VerificationPolicy.objects.create(name=name, method=method)
        policy.organizations.set(orgs)
        return policy

    return {
        "acme": make("Government ID check", "document", world.acme),
        "france": make("In-store verification", "in_person", world.france),
        "americas": make("Bank account match", "database", world.americas),
        "globex": make("Video identification", "video", world.globex),
    }


def verify_url(world: Any, customer: Any = None, org: Any = None) -> str:
    return action_url("account_verify_identity", org or world.emea, customer or world.inside)


def test_applicable_policies_are_the_organizations_and_its_ancestors(world, policies):
    assert list(applicable_policies(world.france)) == [policies["acme"], policies["france"]]
    assert list(applicable_policies(world.emea)) == [policies["acme"]]
    assert list(applicable_policies(world.americas)) == [policies["americas"], policies["acme"]]
    assert list(applicable_policies(world.globex_eu)) == [policies["globex"]]


def test_verification_tab_lists_results_and_the_policies_to_choose_from(
    admin_client, world, policies
):
    now = timezone.now()
    VerificationResult.objects.create(
        account=world.inside,
        policy=policies["acme"],
        attempts=2,
        verified=True,
        verified_at=now - dt.timedelta(days=3),
    )
    VerificationResult.objects.create(
        account=world.inside,
        policy=policies["globex"],  # a result under a policy that no longer applies is shown
        attempts=3,
        verified=True,
        verified_at=now - dt.timedelta(days=9),
        revoked=True,
        revoked_at=now - dt.timedelta(days=1),
    )
    VerificationResult.objects.create(account=world.outside, policy=policies["americas"])
    response = admin_client.get(tab_url(world.emea, world.inside, "verification"))
    assert response.status_code == 200
    rows = response.context["page"].rows
    assert {(r.policy.name, r.attempts, r.verified, r.revoked) for r in rows} == {
        ("Government ID check", 2, True, False),
        ("Video identification", 3, True, True),
    }
    html = response.content.decode()
    assert "Government ID check" in html and "Video identification" in html
    assert "Bank account match</td>" not in html  # another account's result
    assert '<span class="status ok">Yes</span>' in html
    assert '<span class="status off">Yes</span>' in html  # revoked
    assert "No identity verification data available." not in html
    # the dialog offers the policies of France and its ancestors only
    assert "Manually verify" in html and 'data-dialog-open="verify-identity-dialog"' in html
    assert f'<option value="{policies["acme"].pk}">' in html
    assert f'<option value="{policies["france"].pk}">' in html
    assert str(policies["americas"].pk) not in html and str(policies["globex"].pk) not in html
    assert 'name="confirm" value="on" required' in html
    assert "portal/dialogs.js" in html


def test_verification_empty_state(admin_client, world, policies):
    response = admin_client.get(tab_url(world.emea, world.inside, "verification"))
    assert "No identity verification data available." in response.content.decode()


def test_no_applicable_policy_disables_manual_verification(admin_client, world):
    html = admin_client.get(tab_url(world.emea, world.inside, "verification")).content.decode()
    assert "No verification policy applies to this organization." in html
    assert "verify-identity-dialog" not in html


def test_manually_verify_records_the_result_and_the_event(admin_client, world, policies):
    policy = policies["france"]
    response = admin_client.post(
        verify_url(world),
        {"policy": str(policy.pk), "confirm": "on", "reason": "Passport checked at the desk"},
    )
    assert response.status_code == 302
    assert response["Location"] == tab_url(world.emea, world.inside, "verification")
    assert messages_of(response) == ["Identity verified under In-store verification."]
    result = VerificationResult.objects.get(account=world.inside, policy=policy)
    assert result.verified and result.manual and not result.revoked
    assert result.verified_by_id == world.admin.pk and result.verified_at is not None
    assert result.attempts == 1
    event = Event.objects.get(type="identity.verified", account=world.inside)
    assert event.actor_id == world.admin.pk and event.category == "admin_action"
    assert event.metadata == {
        "policy": str(policy.pk),
        "policy_name": "In-store verification",
        "method": "in_person",
        "reason": "Passport checked at the desk",
    }
    html = admin_client.get(response["Location"]).content.decode()
    assert "In-store verification" in html and "Manually" in html


def test_manually_verify_a_revoked_result_verifies_it_again(admin_client, world, policies):
    policy = policies["acme"]
    VerificationResult.objects.create(
        account=world.inside,
        policy=policy,
        attempts=2,
        verified=True,
        verified_at=timezone.now(),
        revoked=True,
        revoked_at=timezone.now(),
    )
    response = admin_client.post(verify_url(world), {"policy": str(policy.pk), "confirm": "on"})
    assert response.status_code == 302
    result = VerificationResult.objects.get(account=world.inside, policy=policy)
    assert result.verified and not result.revoked and result.revoked_at is None
    assert result.attempts == 3 and result.manual
    event = Event.objects.get(type="identity.verified")
    assert event.metadata["previously_revoked"] is True and "reason" not in event.metadata


def test_an_already_valid_result_is_left_alone(admin_client, world, policies):
    policy = policies["acme"]
    VerificationResult.objects.create(
        account=world.inside, policy=policy, attempts=1, verified=True, verified_at=timezone.now()
    )
    response = admin_client.post(verify_url(world), {"policy": str(policy.pk), "confirm": "on"})
    assert response.status_code == 302
    assert messages_of(response) == ["This account is already verified under Government ID check."]
    assert VerificationResult.objects.get(account=world.inside).attempts == 1
    assert not Event.objects.filter(type="identity.verified").exists()


@pytest.mark.parametrize("which", ["americas", "globex"])
def test_a_policy_of_another_branch_or_tree_is_refused(admin_client, world, policies, which):
    response = admin_client.post(
        verify_url(world), {"policy": str(policies[which].pk), "confirm": "on"}
    )
    assert response.status_code == 302
    assert messages_of(response) == [
        "This verification policy does not apply to the account's organization."
    ]
    assert not VerificationResult.objects.exists()
    assert not Event.objects.filter(type="identity.verified").exists()


def test_the_action_itself_refuses_a_policy_that_does_not_apply(world, policies):
    with pytest.raises(ValidationError, match="does not apply"):
        verify_manually(actor=fresh(world.admin), account=world.inside, policy=policies["globex"])
    assert not VerificationResult.objects.exists()


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"policy": "france", "reason": "x"}, "Confirm that you have verified"),
        ({"confirm": "on"}, "Choose the verification policy"),
        ({"policy": "not-a-uuid", "confirm": "on"}, "is not a valid UUID"),
        ({"policy": "france", "confirm": "on", "reason": "r" * 501}, "at most 500"),
    ],
)
def test_bad_input_is_a_form_error(admin_client, world, policies, data, message):
    if data.get("policy") == "france":
        data = {**data, "policy": str(policies["france"].pk)}
    response = admin_client.post(verify_url(world), data)
    assert response.status_code == 302
    assert any(message in m for m in messages_of(response)), messages_of(response)
    assert not VerificationResult.objects.exists()
    assert not Event.objects.filter(type="identity.verified").exists()


def test_manual_verification_needs_a_recent_sign_in(stale_admin_client, world, policies):
    response = stale_admin_client.post(
        verify_url(world), {"policy": str(policies["france"].pk), "confirm": "on"}
    )
    assert response.status_code == 302
    target = urlsplit(response["Location"])
    assert target.path == "/portal/step-up"
    assert parse_qs(target.query)["next"] == [tab_url(world.emea, world.inside, "verification")]
    assert not VerificationResult.objects.exists()


def test_manual_verification_without_permission_is_403(world, policies):
    client = client_for(world.viewer)  # accounts.view only: sees the tab, not the button
    html = client.get(tab_url(world.emea, world.inside, "verification")).content.decode()
    assert "No identity verification data available." in html
    assert "Manually verify" not in html
    data = {"policy": str(policies["france"].pk), "confirm": "on"}
    assert client.post(verify_url(world), data).status_code == 403
    assert not VerificationResult.objects.exists()


def test_admins_cannot_verify_their_own_identity(admin_client, world, policies):
    html = admin_client.get(tab_url(world.emea, world.admin, "verification")).content.decode()
    assert "Manually verify" not in html
    data = {"policy": str(policies["france"].pk), "confirm": "on"}
    response = admin_client.post(verify_url(world, world.admin), data)
    assert messages_of(response) == ["You cannot verify your own identity."]
    assert not VerificationResult.objects.exists()
    with pytest.raises(PermissionDenied):
        verify_manually(actor=fresh(world.admin), account=world.admin, policy=policies["france"])


def test_manual_verification_is_post_only(admin_client, world):
    assert admin_client.get(verify_url(world)).status_code == 405


# ---- other organizations: 404 on every action ------------------------------------------------

ACTIONS = ["account_sessions_clear", "account_verify_identity"]


@pytest.mark.parametrize("name", ACTIONS)
@pytest.mark.parametrize("where", ["outside", "foreign"])
def test_actions_on_other_organizations_are_404(admin_client, world, policies, name, where):
    customer = world.customer_in(where)
    data = {"policy": str(policies["acme"].pk), "confirm": "on"}
    assert admin_client.post(action_url(name, world.emea, customer), data).status_code == 404
    own = action_url(name, customer.organization, customer)
    assert admin_client.post(own, data).status_code == 404
    # an account under EMEA seen from Germany is not under Germany
    assert admin_client.post(action_url(name, world.germany, world.inside), data).status_code == 404
    assert CustomerSession.objects.filter(revoked_at__isnull=False).count() == 0
    assert not VerificationResult.objects.exists()
    assert not Event.objects.filter(type__in=["sessions.cleared", "identity.verified"]).exists()
