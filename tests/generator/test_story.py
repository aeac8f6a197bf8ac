"""`orgdesk generate`: each account tells one believable story, which every table agrees
with (issue 12 item 8): created ≤ updated, created ≤ last login ≤ now, sign-ins as many as
the account's age allows, nothing before the creation or after the disabling, sessions and
authenticators used after they began, invitations accepted after they were sent.

One run of a small plan, read back into plain Python and rolled back.
"""

import datetime as dt
from collections import Counter, defaultdict
from typing import Any

import pytest
from django.db import transaction

from orgdesk.accounts.models import Account, ExternalIdentity, GroupMembership
from orgdesk.activity.models import Event
from orgdesk.consents.models import ConsentRecord
from orgdesk.generator import Plan, generate
from orgdesk.generator.builders.activity import WITHOUT_SIGN_IN
from orgdesk.invitations.models import Invitation
from orgdesk.notifications.models import Notification
from orgdesk.security.models import Authenticator, CustomerSession
from orgdesk.verification.models import VerificationResult

pytestmark = [pytest.mark.django_db, pytest.mark.slow]

ANCHOR = dt.datetime(2026, 11, 28, tzinfo=dt.UTC)
PLAN = Plan(accounts=1500, orgs=30, depth=3, trees=2, seed=17, anchor=ANCHOR)
DAY = dt.timedelta(days=1)
# Sign-ins a day of an account's life, at most (generator.builders.accounts).
MAX_PER_DAY = 2.02
# Events that save the account's row: `updated` is at least their time.
SAVING = {"account.updated", "account.disabled", "account.enabled"}
SAVING_FLOWS = {"password_reset", "password_change"}


@pytest.fixture(scope="module")
def story(django_db_setup, django_db_blocker) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    with django_db_blocker.unblock(), transaction.atomic():
        generate(PLAN, threaded=False)
        data = {
            "accounts": {a["id"]: a for a in Account.objects.values()},
            "events": list(Event.objects.values()),
            "sessions": list(CustomerSession.objects.values()),
            "authenticators": list(Authenticator.objects.values()),
            "memberships": list(GroupMembership.objects.values()),
            "identities": list(ExternalIdentity.objects.values()),
            "consents": list(ConsentRecord.objects.values()),
            "verifications": list(VerificationResult.objects.values()),
            "notifications": list(Notification.objects.values()),
            "invitations": list(Invitation.objects.values()),
        }
        transaction.set_rollback(True)
    by_account: dict[Any, list[dict[str, Any]]] = defaultdict(list)
    for event in data["events"]:
        by_account[event["account_id"]].append(event)
    data["timeline"] = by_account
    return data


def _end(account: dict[str, Any]) -> dt.datetime:
    """Until when the account could act: its disabling, or now."""
    return account["disabled_at"] or ANCHOR


def test_created_updated_and_last_login_agree(story):
    for a in story["accounts"].values():
        assert a["created"] <= a["updated"] <= ANCHOR, a["id"]
        if a["last_login"] is not None:
            assert a["created"] <= a["last_login"] <= _end(a)
        if a["disabled_at"] is not None:
            # Disabling saved the row.
            assert a["created"] <= a["disabled_at"] <= a["updated"]
    # Not every account was saved only at its creation.
    assert sum(a["updated"] > a["created"] for a in story["accounts"].values()) > 300


def test_sign_ins_are_as_many_as_the_accounts_age_allows(story):
    accounts = list(story["accounts"].values())
    for a in accounts:
        if a["last_login"] is None:
            assert a["login_count"] == 0 and a["last_ip"] is None
            continue
        days = (a["last_login"] - a["created"]) / DAY
        assert 1 <= a["login_count"] <= 1 + MAX_PER_DAY * days, (a["login_count"], days)
    young = [a for a in accounts if ANCHOR - a["created"] < 2 * DAY]
    assert all(a["login_count"] <= 5 for a in young)
    # An old account was used a lot more than a new one, some accounts very much.
    counts = [a["login_count"] for a in accounts]
    assert max(counts) > 100 and sorted(counts)[len(counts) // 2] < max(counts) / 5


def test_no_event_before_the_creation_or_after_the_disabling(story):
    accounts = story["accounts"]
    for e in story["events"]:
        a = accounts[e["account_id"]]
        assert a["created"] <= e["ts"] <= ANCHOR
        if a["status"] == "disabled" and e["reason"] != "account_disabled":
            assert e["ts"] <= a["disabled_at"]


def test_each_story_starts_with_the_creation(story):
    starts = Counter()
    for account_id, events in story["timeline"].items():
        first = min(events, key=lambda e: (e["ts"], e["id"]))
        created = story["accounts"][account_id]["created"]
        assert first["ts"] == created
        assert first["type"] in ("registration", "account.created"), first["type"]
        starts[first["type"]] += 1
        assert [e["type"] for e in events].count(first["type"]) == 1
    assert starts["registration"] and starts["account.created"]


def test_the_log_shows_no_more_sign_ins_than_happened(story):
    for account_id, events in story["timeline"].items():
        a = story["accounts"][account_id]
        logins = [e["ts"] for e in events if e["type"] == "login" and e["result"] == "success"]
        assert len(logins) <= a["login_count"]
        if a["last_login"] is None:
            assert not logins
            # (A second factor may be set up through an enrolment link, without signing in.)
            assert {e["type"] for e in events if e["category"] == "customer_flow"} <= {
                "registration",
                "mfa_enrolment",
                *WITHOUT_SIGN_IN,
            }
            assert all(
                e["result"] == "failure" for e in events if e["type"] in ("login", "password_reset")
            )
        else:
            assert max(logins) == a["last_login"]
            assert all(
                e["ts"] <= a["last_login"]
                for e in events
                if e["category"] == "customer_flow" and e["reason"] != "account_disabled"
            )


def test_updated_is_at_least_every_change_of_the_account(story):
    for account_id, events in story["timeline"].items():
        a = story["accounts"][account_id]
        for e in events:
            if e["type"] in SAVING or (e["type"] in SAVING_FLOWS and e["result"] == "success"):
                assert e["ts"] <= a["updated"], (e["type"], e["ts"], a["updated"])


def test_second_factors_and_enrolments_agree(story):
    held = defaultdict(list)
    for auth in story["authenticators"]:
        held[auth["account_id"]].append(auth)
    for auth in story["authenticators"]:
        a = story["accounts"][auth["account_id"]]
        assert a["created"] <= auth["created"] <= _end(a)
        if auth["last_used"] is not None:
            assert a["last_login"] is not None
            assert auth["created"] <= auth["last_used"] <= a["last_login"]
    strong = {"totp", "passkey", "security_key"}
    for account_id, events in story["timeline"].items():
        mine = held[account_id]
        if any(e["type"] == "mfa_challenge" for e in events):
            assert mine, "an MFA challenge without a second factor"
        added = sorted(x["created"] for x in mine if x["type"] in strong)
        enrolled = sorted(e["ts"] for e in events if e["type"] == "mfa_enrolment")
        assert set(enrolled) <= set(added)
        codes = [x for x in mine if x["type"] == "recovery_codes"]
        if codes:
            assert added and codes[0]["created"] == added[0]
    assert any(x["last_used"] is None for x in story["authenticators"])
    assert any(x["last_used"] is not None for x in story["authenticators"])


def test_sessions_begin_at_sign_ins_and_end_with_the_disabling(story):
    accounts = story["accounts"]
    per_account = defaultdict(list)
    for s in story["sessions"]:
        a = accounts[s["account_id"]]
        per_account[s["account_id"]].append(s)
        assert a["last_login"] is not None
        assert a["created"] <= s["created"] <= a["last_login"]
        assert s["created"] <= s["last_activity"] <= _end(a)
        if a["disabled_at"] is not None and s["expires"] > a["disabled_at"]:
            assert s["revoked_at"] == a["disabled_at"], "a disabled account is still signed in"
        if s["revoked_at"] is not None:
            assert s["revoked_at"] >= s["last_activity"]
    for account_id, sessions in per_account.items():
        a = accounts[account_id]
        assert len(sessions) <= a["login_count"]
        newest = max(sessions, key=lambda s: s["created"])
        assert newest["created"] == a["last_login"] and newest["ip"] == a["last_ip"]


def test_the_other_tables_follow_the_account(story):
    accounts = story["accounts"]
    for m in story["memberships"]:
        a = accounts[m["account_id"]]
        assert a["created"] <= m["created"] <= _end(a)
    joined = {(m["account_id"], m["created"]) for m in story["memberships"]}
    for e in story["events"]:
        if e["type"] == "group.member_added":
            assert (e["account_id"], e["ts"]) in joined
    for i in story["identities"]:
        assert accounts[i["account_id"]]["created"] <= i["created"]
    for c in story["consents"]:
        a = accounts[c["account_id"]]
        seen = a["last_login"] or a["created"]
        assert a["created"] <= c["granted_at"] <= seen
        if c["revoked_at"] is not None:
            assert c["granted_at"] <= c["revoked_at"] <= seen
    manual = {
        (v["account_id"], v["verified_at"])
        for v in story["verifications"]
        if v["manual"] and v["verified"]
    }
    for v in story["verifications"]:
        a = accounts[v["account_id"]]
        assert a["created"] <= v["created"] <= _end(a)
    for e in story["events"]:
        if e["type"] == "identity.verified":
            assert (e["account_id"], e["ts"]) in manual
    for n in story["notifications"]:
        a = accounts[n["account_id"]]
        assert a["created"] <= n["sent_at"] <= ANCHOR


def test_invitations_are_sent_before_they_are_accepted(story):
    for i in story["invitations"]:
        assert i["created"] <= i["last_sent"] <= i["updated"] <= ANCHOR
        if i["accepted_at"] is not None:
            assert i["last_sent"] < i["accepted_at"] == i["updated"]
