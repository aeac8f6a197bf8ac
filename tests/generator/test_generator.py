"""`orgdesk.generator`: reproducible, realistic synthetic data, and clear refusals.

Runs on whatever ORGDESK_DATABASE_URL names (SQLite or PostgreSQL). Generation runs happen
inside a transaction that is rolled back, so runs do not see each other's rows.
"""

import datetime as dt
import hashlib
import ipaddress
import json
import statistics
import threading
import uuid
from collections import Counter, defaultdict
from typing import Any

import phonenumbers
import pytest
from django.apps import apps
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import connection, models, transaction

from orgdesk.access.models import OrgRole, RoleAssignment
from orgdesk.accounts.models import Account, ExternalIdentity, Group, GroupMembership
from orgdesk.activity.models import Event
from orgdesk.consents.models import ConsentPolicy, ConsentRecord
from orgdesk.core.fields import decrypt_text
from orgdesk.generator import GenerateError, Plan, generate
from orgdesk.generator.writer import Table, Writer
from orgdesk.invitations.models import Invitation
from orgdesk.notifications.models import Notification, NotificationTemplate
from orgdesk.organizations.models import Application, Organization
from orgdesk.security.models import Authenticator, CustomerSession
from orgdesk.verification.models import VerificationPolicy, VerificationResult

ANCHOR = dt.datetime(2026, 11, 28, tzinfo=dt.UTC)

# Every table the generator fills. Auto-increment ids are left out of the digest (PostgreSQL
# sequences are not rolled back), the encrypted `secret` too (random IV; compared decrypted).
GENERATED_MODELS: list[type[models.Model]] = [
    Organization,
    Group,
    VerificationPolicy.organizations.through,
    Account,
    ExternalIdentity,
    GroupMembership,
    RoleAssignment,
    Authenticator,
    CustomerSession,
    Event,
    Notification,
    VerificationResult,
    ConsentRecord,
    Invitation,
]


# ---- helpers ---------------------------------------------------------------------------------
def _natural_keys() -> dict[type[models.Model], dict[Any, str]]:
    """Reference rows may be created inside the rolled-back run with fresh uuid4 ids, so
    foreign keys to them are compared by natural key."""
    return {
        Application: dict(Application.objects.values_list("id", "client_id")),
        OrgRole: dict(OrgRole.objects.values_list("id", "slug")),
        NotificationTemplate: dict(NotificationTemplate.objects.values_list("id", "code")),
        ConsentPolicy: {
            pk: f"{name} v{version}"
            for pk, name, version in ConsentPolicy.objects.values_list("id", "name", "version")
        },
        VerificationPolicy: dict(VerificationPolicy.objects.values_list("id", "name")),
    }


def _canonical(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC).isoformat()
    if isinstance(value, dt.date | uuid.UUID):
        return str(value)
    return value


def _table_digests() -> dict[str, str]:
    natural = _natural_keys()
    digests = {}
    for model in GENERATED_MODELS:
        fields = [
            f
            for f in model._meta.concrete_fields
            if not f.get_internal_type().endswith("AutoField") and f.name != "secret"
        ]
        rows = []
        for values in model.objects.values_list(*(f.attname for f in fields)):
            row = []
            for f, value in zip(fields, values, strict=True):
                if f.is_relation and f.related_model in natural and value is not None:
                    value = natural[f.related_model][value]
                row.append(_canonical(value))
            rows.append(json.dumps(row, sort_keys=True, default=str))
        rows.sort()
        digest = hashlib.sha256("\n".join(rows).encode()).hexdigest()
        digests[model._meta.db_table] = f"{len(rows)}:{digest}"
    return digests


def _secrets() -> tuple[dict[str, str], set[str]]:
    """(authenticator id -> decrypted secret, raw stored tokens) of every stored secret."""
    decrypted = {
        str(a.id): a.secret for a in Authenticator.objects.exclude(secret="").only("id", "secret")
    }
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT secret FROM {Authenticator._meta.db_table} WHERE secret <> ''")
        raw = {row[0] for row in cursor.fetchall()}
    return decrypted, raw


def _run_and_roll_back(plan: Plan) -> tuple[dict[str, str], dict[str, str], set[str]]:
    with transaction.atomic():
        generate(plan, threaded=False)
        digests = _table_digests()
        decrypted, raw = _secrets()
        transaction.set_rollback(True)
    return digests, decrypted, raw


def _plan(seed: int) -> Plan:
    return Plan(accounts=300, orgs=12, depth=3, trees=2, seed=seed, anchor=ANCHOR)


# ---- determinism -----------------------------------------------------------------------------
@pytest.mark.django_db
def test_same_seed_gives_identical_data_and_another_seed_does_not() -> None:
    first, secrets_1, raw_1 = _run_and_roll_back(_plan(5))
    second, secrets_2, raw_2 = _run_and_roll_back(_plan(5))
    other, _secrets_other, _raw_other = _run_and_roll_back(_plan(6))

    assert set(first) == {m._meta.db_table for m in GENERATED_MODELS}
    # Every table got rows (a digest of nothing would compare equal trivially); role grants
    # are rare (0.6% of accounts), so 300 accounts may have none.
    empty = [t for t, d in first.items() if d.startswith("0:") and t != "access_roleassignment"]
    assert not empty, f"generated nothing into {empty}"
    assert first == second, {t: (first[t], second[t]) for t in first if first[t] != second[t]}

    # Secrets: same plaintext both runs, encrypted at rest with a fresh IV each time.
    assert secrets_1 and secrets_1 == secrets_2
    assert raw_1.isdisjoint(raw_2)
    assert raw_1.isdisjoint(secrets_1.values())
    assert {decrypt_text(token) for token in raw_1} == set(secrets_1.values())

    differing = [t for t in first if first[t] != other[t]]
    assert Account._meta.db_table in differing and Organization._meta.db_table in differing


# ---- rows and their columns ------------------------------------------------------------------
def _suits(field: models.Field, value: Any) -> bool:
    """Whether `value` may go into `field` as the writer passes it on: of the field's type,
    within its length, one of its choices."""
    if value is None:
        return field.null
    kind = field.get_internal_type()
    if kind == "ForeignKey":
        kind = field.target_field.get_internal_type()  # type: ignore[attr-defined]
    if kind == "UUIDField":
        return isinstance(value, uuid.UUID)
    if kind == "DateTimeField":
        return isinstance(value, dt.datetime) and value.tzinfo is not None
    if kind == "DateField":
        return isinstance(value, dt.date) and not isinstance(value, dt.datetime)
    if kind == "BooleanField":
        return isinstance(value, bool)
    if kind.endswith("IntegerField") or kind.endswith("AutoField"):
        return isinstance(value, int) and not isinstance(value, bool)
    if kind == "JSONField":
        return isinstance(value, dict | list)
    if kind == "GenericIPAddressField":
        try:
            ipaddress.ip_address(value)
        except ValueError:
            return False
        return True
    if not isinstance(value, str):
        return False
    if field.max_length is not None and len(value) > field.max_length:
        return False
    return not field.choices or value in {choice for choice, _label in field.flatchoices}


@pytest.mark.django_db
def test_every_row_suits_the_columns_of_its_table(monkeypatch: pytest.MonkeyPatch) -> None:
    """Builders return plain tuples in the order of their *_COLUMNS; a value in the wrong
    place would mostly be of the wrong type, too long or no valid choice. The columns a
    builder leaves out must be ones the database may leave empty."""
    written: dict[str, tuple[Table, list[tuple[Any, ...]]]] = {}
    write = Writer._write

    def recording_write(self: Writer, cursor: Any, table: Table, rows: Any) -> None:
        rows = list(rows)
        written.setdefault(table.name, (table, []))[1].extend(rows)
        write(self, cursor, table, rows)

    monkeypatch.setattr(Writer, "_write", recording_write)
    generate(_plan(5), threaded=False)

    through = VerificationPolicy.organizations.through._meta.db_table  # written by the ORM
    assert set(written) == {m._meta.db_table for m in GENERATED_MODELS} - {through}
    unsuitable = set()
    for name, (table, rows) in written.items():
        by_column = {f.column: f for f in table.model._meta.concrete_fields}
        fields = [by_column[column] for column in table.columns]
        assert rows
        for row in rows:
            assert len(row) == len(fields), f"{name}: {len(row)} values for {len(fields)} columns"
            unsuitable |= {
                f"{name}.{f.column}: {value!r}"
                for f, value in zip(fields, row, strict=True)
                if not _suits(f, value)
            }
        left_out = [
            f.name
            for f in table.model._meta.concrete_fields
            if f.column not in table.columns
            and not f.get_internal_type().endswith("AutoField")
            and not getattr(f, "generated", False)  # the database computes it
            and not f.null
        ]
        assert not left_out, f"{name}: no value for the NOT NULL columns {left_out}"
    assert not unsuitable, sorted(unsuitable)[:20]


# ---- realism and invariants ------------------------------------------------------------------
REALISM_PLAN = Plan(accounts=2000, orgs=40, depth=3, trees=2, seed=11, anchor=ANCHOR)


@pytest.fixture(scope="module")
def snapshot(django_db_setup, django_db_blocker) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    """One 2,000-account run, read back into plain Python and rolled back."""
    with django_db_blocker.unblock(), transaction.atomic():
        report = generate(REALISM_PLAN, threaded=False)
        data: dict[str, Any] = {
            "report": report,
            "orgs": {o["id"]: o for o in Organization.objects.values()},
            "accounts": list(Account.objects.values()),
            "authenticators": list(
                Authenticator.objects.values("type", "label", "identifier", "credential")
            ),
            "totp_secrets": [
                a.secret for a in Authenticator.objects.filter(type="totp").only("secret")
            ],
            "sessions": list(CustomerSession.objects.values()),
            "events": list(Event.objects.values()),
            "notifications": list(
                Notification.objects.values(
                    "channel",
                    "target",
                    "sent_at",
                    "expires_at",
                    "status",
                    "template__code",
                    "template__expires_after",
                )
            ),
            "verifications": list(VerificationResult.objects.values()),
            "policy_orgs": set(
                VerificationPolicy.organizations.through.objects.values_list(
                    "verificationpolicy_id", "organization_id"
                )
            ),
            "consents": list(
                ConsentRecord.objects.values(
                    "account_id", "granted_at", "revoked_at", "policy__name", "policy__required"
                )
            ),
            "invitations": list(Invitation.objects.values()),
            "grants": list(
                RoleAssignment.objects.values("account_id", "organization_id", "role__slug")
            ),
        }
        transaction.set_rollback(True)
    return data


def _ancestor_ids(org: dict[str, Any], orgs: dict[Any, dict[str, Any]]) -> set[Any]:
    out = set()
    while org["parent_id"] is not None:
        org = orgs[org["parent_id"]]
        out.add(org["id"])
    return out


@pytest.mark.django_db
@pytest.mark.slow
def test_report_matches_plan(snapshot: dict[str, Any]) -> None:
    report = snapshot["report"]
    assert report.accounts == len(snapshot["accounts"]) == REALISM_PLAN.accounts
    assert report.organizations == len(snapshot["orgs"]) == REALISM_PLAN.orgs
    assert report.rows["accounts_account"] == REALISM_PLAN.accounts
    assert report.rows["activity_event"] == len(snapshot["events"])
    roots = sorted(o["route"] for o in snapshot["orgs"].values() if o["parent_id"] is None)
    assert sorted(report.trees) == roots and len(roots) == REALISM_PLAN.trees


@pytest.mark.django_db
@pytest.mark.slow
def test_tree_shape_and_every_organization_has_accounts(snapshot: dict[str, Any]) -> None:
    orgs = snapshot["orgs"]
    per_org = Counter(a["organization_id"] for a in snapshot["accounts"])
    assert set(per_org) == set(orgs), "some organization has no account"
    assert max(o["depth"] for o in orgs.values()) == REALISM_PLAN.depth - 1
    for org in orgs.values():
        ancestors = _ancestor_ids(org, orgs)
        assert org["depth"] == len(ancestors)
        root = orgs[org["root_id"]]
        assert root["parent_id"] is None and (org["id"] == root["id"] or root["id"] in ancestors)
        if org["parent_id"] is not None:
            parent = orgs[org["parent_id"]]
            assert org["path"] == f"{parent['path']}{org['key']}/"
            assert org["route"] == f"{parent['route']} / {org['name']}"
    # A few large organizations, many small ones.
    sizes = sorted(per_org.values())
    assert sizes[-1] >= 3 * statistics.median(sizes)


@pytest.mark.django_db
@pytest.mark.slow
def test_accounts_look_real(snapshot: dict[str, Any]) -> None:
    orgs, accounts = snapshot["orgs"], snapshot["accounts"]
    for a in accounts:
        assert a["store"] == orgs[a["organization_id"]]["root_id"]
        if a["phone"]:
            number = phonenumbers.parse(a["phone"], None)
            assert phonenumbers.is_valid_number(number), a["phone"]
        if a["email"]:
            try:
                validate_email(a["email"])
            except ValidationError:
                pytest.fail(f"invalid email {a['email']!r}")
        assert a["email"] or a["username"] or a["phone"], "account without an identifier"
        assert a["display_name"] == f"{a['given_name']} {a['family_name']}"
        if a["status"] == "disabled":
            assert a["disabled_at"] is not None and a["disabled_at"] >= a["created"]
        else:
            assert a["status"] == "enabled" and a["disabled_at"] is None
        if a["last_login"] is not None:
            assert a["created"] <= a["last_login"] <= ANCHOR
            assert a["login_count"] >= 1 and ipaddress.ip_address(a["last_ip"]).is_global
        assert a["created"] <= ANCHOR

    statuses = Counter(a["status"] for a in accounts)
    assert statuses["enabled"] > statuses["disabled"] > 0
    with_phone = sum(1 for a in accounts if a["phone"])
    assert 0.3 * len(accounts) < with_phone < 0.8 * len(accounts)
    logins = [a["last_login"] for a in accounts if a["last_login"]]
    assert max(logins) - min(logins) >= dt.timedelta(days=300)
    assert len({a["locale"] for a in accounts}) >= 5
    assert len({a["email"].split("@")[1] for a in accounts if a["email"]}) >= 10


@pytest.mark.django_db
@pytest.mark.slow
def test_every_authenticator_type_appears(snapshot: dict[str, Any]) -> None:
    types = Counter(a["type"] for a in snapshot["authenticators"])
    assert set(types) == set(Authenticator.Type.values)
    for secret in snapshot["totp_secrets"]:
        assert len(secret) == 32 and set(secret) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567")
    for a in snapshot["authenticators"]:
        if a["type"] in ("passkey", "security_key"):
            assert a["credential"]["credential_id"].startswith(a["identifier"])


@pytest.mark.django_db
@pytest.mark.slow
def test_sessions_have_device_country_and_public_ip(snapshot: dict[str, Any]) -> None:
    sessions = snapshot["sessions"]
    assert sessions
    for s in sessions:
        assert s["device"] and s["device"] != "Unknown device" and " on " in s["device"]
        assert len(s["country"]) == 2 and s["country"].isalpha() and s["country"].isupper()
        assert ipaddress.ip_address(s["ip"]).is_global
        assert s["created"] <= s["last_activity"] < s["expires"]
    assert len({s["device"] for s in sessions}) >= 5
    assert len({s["country"] for s in sessions}) >= 5
    assert any(s["revoked_at"] for s in sessions) and any(not s["revoked_at"] for s in sessions)


@pytest.mark.django_db
@pytest.mark.slow
def test_events_of_both_categories_with_failures(snapshot: dict[str, Any]) -> None:
    events = snapshot["events"]
    home = {a["id"]: a["organization_id"] for a in snapshot["accounts"]}
    admins = {g["account_id"] for g in snapshot["grants"]}
    assert Counter(e["category"] for e in events).keys() == {"customer_flow", "admin_action"}
    failures = [e for e in events if e["result"] == "failure"]
    assert failures and all(e["reason"] for e in failures)
    assert all(not e["reason"] for e in events if e["result"] == "success")
    for e in events:
        assert e["organization_id"] == home[e["account_id"]]
        assert e["ts"] <= ANCHOR
        if e["category"] == "customer_flow":
            assert e["actor_id"] is None
        elif e["actor_id"] is not None:
            assert e["actor_id"] in admins, "admin event by an account holding no role"
    assert any(e["actor_id"] for e in events if e["category"] == "admin_action")


@pytest.mark.django_db
@pytest.mark.slow
def test_notifications_expire_with_their_template(snapshot: dict[str, Any]) -> None:
    notifications = snapshot["notifications"]
    assert any(n["expires_at"] for n in notifications)
    for n in notifications:
        minutes = n["template__expires_after"]
        if minutes:
            assert n["expires_at"] == n["sent_at"] + dt.timedelta(minutes=minutes)
        else:
            assert n["expires_at"] is None
        if n["channel"] == "sms":
            assert n["target"].startswith("+")
        else:
            assert "@" in n["target"]
        assert n["sent_at"] <= ANCHOR
    assert {n["status"] for n in notifications} >= {"delivered"}


@pytest.mark.django_db
@pytest.mark.slow
def test_verifications_and_consents_include_revoked(snapshot: dict[str, Any]) -> None:
    results = snapshot["verifications"]
    assert any(r["verified"] for r in results) and any(not r["verified"] for r in results)
    revoked = [r for r in results if r["revoked"]]
    assert revoked
    for r in results:
        assert (r["verified_at"] is not None) == r["verified"]
        assert (r["revoked_at"] is not None) == r["revoked"]
        if r["revoked"]:
            assert r["verified"] and r["revoked_at"] > r["verified_at"]

    consents = snapshot["consents"]
    revoked_consents = [c for c in consents if c["revoked_at"]]
    assert revoked_consents and len(revoked_consents) < len(consents)
    for c in consents:
        if c["revoked_at"]:
            assert c["revoked_at"] >= c["granted_at"]
            assert not c["policy__required"], "a required policy consent was revoked"


@pytest.mark.django_db
@pytest.mark.slow
def test_invitations_pending_expired_and_accepted(snapshot: dict[str, Any]) -> None:
    invitations = snapshot["invitations"]
    pending = [i for i in invitations if i["status"] == "pending" and i["expires"] > ANCHOR]
    expired = [i for i in invitations if i["status"] == "pending" and i["expires"] <= ANCHOR]
    accepted = [i for i in invitations if i["status"] == "accepted"]
    assert pending and expired and accepted
    assert all(i["accepted_at"] and i["accepted_at"] > i["last_sent"] for i in accepted)
    assert all(i["accepted_at"] is None for i in invitations if i["status"] != "accepted")
    assert len({i["email"] for i in invitations}) == len(invitations)
    assert {i["organization_id"] for i in invitations} <= set(snapshot["orgs"])


@pytest.mark.django_db
@pytest.mark.slow
def test_role_grants_stay_in_their_tree_and_some_cross_organizations(
    snapshot: dict[str, Any],
) -> None:
    orgs = snapshot["orgs"]
    accounts = {a["id"]: a for a in snapshot["accounts"]}
    grants = snapshot["grants"]
    assert {g["role__slug"] for g in grants} <= {
        "admin",
        "organization-manager",
        "account-recovery-assistant",
    }
    cross = []
    for g in grants:
        account = accounts[g["account_id"]]
        home = orgs[account["organization_id"]]
        target = orgs[g["organization_id"]]
        assert target["root_id"] == home["root_id"], "grant outside the account's tree"
        assert account["status"] == "enabled"
        if target["id"] != home["id"] and target["id"] not in _ancestor_ids(home, orgs):
            cross.append(g)
    assert cross, f"no cross-organization grant among {len(grants)} grants"


@pytest.mark.django_db
@pytest.mark.slow
def test_nothing_happens_after_the_anchor() -> None:
    """The anchor is "today": no past action (a login, a revocation, an acceptance) lies after
    it; only expiry times may. Rare per account, so this run is larger and has no events."""
    generate(
        Plan(
            accounts=10_000, orgs=50, depth=3, trees=2, seed=11, anchor=ANCHOR, events_per_account=0
        ),
        threaded=False,
    )
    late = {}
    for model in GENERATED_MODELS:
        for f in model._meta.concrete_fields:
            if isinstance(f, models.DateTimeField) and not f.name.startswith("expires"):
                n = model.objects.filter(**{f"{f.name}__gt": ANCHOR}).count()
                if n:
                    late[f"{model._meta.db_table}.{f.name}"] = n
    assert not late, f"timestamps after the anchor {ANCHOR:%Y-%m-%d}: {late}"


@pytest.mark.django_db
@pytest.mark.slow
def test_account_timelines_are_consistent(snapshot: dict[str, Any]) -> None:
    accounts = {a["id"]: a for a in snapshot["accounts"]}
    logged_in_while_disabled = [
        a
        for a in accounts.values()
        if a["disabled_at"] and a["last_login"] and a["last_login"] > a["disabled_at"]
    ]
    session_before_account = [
        s for s in snapshot["sessions"] if s["created"] < accounts[s["account_id"]]["created"]
    ]
    assert not logged_in_while_disabled and not session_before_account, (
        f"{len(logged_in_while_disabled)} disabled accounts signed in after being disabled; "
        f"{len(session_before_account)} sessions started before their account existed"
    )


@pytest.mark.django_db
@pytest.mark.slow
def test_disabling_is_one_story_per_account(snapshot: dict[str, Any]) -> None:
    """A disabled account has one "disabled" event, at disabled_at, and nothing after it but
    refused sign-ins; an enabled account was at most disabled once and enabled again, after
    its last sign-in; nobody is refused as disabled while enabled."""
    timeline = defaultdict(list)
    for event in snapshot["events"]:
        timeline[event["account_id"]].append(event)
    suspended_again = 0
    for account in snapshot["accounts"]:
        events = timeline[account["id"]]
        offs = [e["ts"] for e in events if e["type"] == "account.disabled"]
        ons = [e["ts"] for e in events if e["type"] == "account.enabled"]
        refused = [e["ts"] for e in events if e["reason"] == "account_disabled"]
        others = [
            e["ts"]
            for e in events
            if e["type"] not in ("account.disabled", "account.enabled")
            and e["reason"] != "account_disabled"
        ]
        if account["status"] == "disabled":
            assert offs == [account["disabled_at"]] and ons == []
            assert all(ts >= account["disabled_at"] for ts in refused)
            assert all(ts <= account["disabled_at"] for ts in others)
        elif offs:
            suspended_again += 1
            assert len(offs) == len(ons) == 1 and offs[0] <= ons[0]
            assert all(offs[0] <= ts <= ons[0] for ts in refused)
            assert account["last_login"] is None or account["last_login"] <= offs[0]
        else:
            assert ons == [] and refused == []
    assert suspended_again, "no enabled account was ever disabled and enabled again"


@pytest.mark.django_db
@pytest.mark.slow
def test_verifications_use_policies_of_their_tree(snapshot: dict[str, Any]) -> None:
    orgs = snapshot["orgs"]
    home = {a["id"]: orgs[a["organization_id"]] for a in snapshot["accounts"]}
    results = snapshot["verifications"]
    assert results
    for result in results:
        root = home[result["account_id"]]["root_id"]
        assert (result["policy_id"], root) in snapshot["policy_orgs"]


# ---- refusals --------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"accounts": -5, "orgs": 1}, "--accounts must be at least 1"),
        ({"accounts": 0, "orgs": 1}, "--accounts must be at least 1"),
        ({"accounts": 10, "orgs": 0}, "--orgs must be at least 1"),
        ({"accounts": 10, "orgs": 3, "depth": 0}, "--depth must be between 1 and 12"),
        ({"accounts": 100, "orgs": 30, "depth": 13}, "--depth must be between 1 and 12"),
        ({"accounts": 5, "orgs": 10}, r"--orgs \(10\) cannot exceed --accounts \(5\)"),
        ({"accounts": 100, "orgs": 3, "trees": 5}, r"--trees \(5\) cannot exceed --orgs \(3\)"),
        ({"accounts": 100, "orgs": 5, "trees": 2, "depth": 3}, "too few .* need at least 6"),
        ({"accounts": 100, "orgs": 4, "trees": 2, "depth": 1}, "--depth 1 means only roots"),
        ({"accounts": 10, "orgs": 1, "depth": 1, "trees": 1, "seed": -1}, "--seed"),
        ({"accounts": 10, "orgs": 1, "depth": 1, "trees": 1, "batch_size": 0}, "--batch-size"),
        (
            {"accounts": 10, "orgs": 1, "depth": 1, "trees": 1, "events_per_account": -1},
            "--events-per-account",
        ),
    ],
)
def test_impossible_plans_are_refused_before_touching_the_database(
    kwargs: dict[str, int], message: str
) -> None:
    # No django_db mark: reaching the database would fail with a different error.
    with pytest.raises(GenerateError, match=message) as exc:
        generate(Plan(anchor=ANCHOR, **kwargs), threaded=False)
    assert "\n" not in str(exc.value)


def _counts() -> dict[str, int]:
    return {m._meta.db_table: m.objects.count() for m in GENERATED_MODELS}


@pytest.mark.django_db
def test_same_seed_twice_is_refused_and_another_seed_coexists() -> None:
    roots_before = Organization.objects.filter(parent__isnull=True).count()
    plan = Plan(accounts=60, orgs=6, depth=3, trees=2, seed=21, anchor=ANCHOR)
    generate(plan, threaded=False)
    before = _counts()
    for again in (plan, Plan(accounts=90, orgs=9, depth=2, trees=3, seed=21, anchor=ANCHOR)):
        with pytest.raises(GenerateError, match=r"seed 21\b") as exc:
            generate(again, threaded=False)
        assert "\n" not in str(exc.value) and "--seed" in str(exc.value)
    assert _counts() == before

    report = generate(
        Plan(accounts=60, orgs=6, depth=3, trees=2, seed=22, anchor=ANCHOR), threaded=False
    )
    assert Account.objects.count() == before["accounts_account"] + report.accounts
    assert Organization.objects.filter(parent__isnull=True).count() == roots_before + 4


# ---- background writer -----------------------------------------------------------------------
@pytest.mark.django_db(transaction=True)
def test_threaded_writer_commits_what_the_report_counts() -> None:
    progress: list[str] = []
    plan = Plan(accounts=600, orgs=10, depth=3, trees=2, seed=9, anchor=ANCHOR, batch_size=100)
    report = generate(plan, progress=progress.append, threaded=True)

    assert not [t for t in threading.enumerate() if t.name == "generator-writer"]
    assert [m for m in progress if m.startswith("accounts ")][-1].startswith("accounts 600/600")
    by_table = {m._meta.db_table: m for m in apps.get_models(include_auto_created=True)}
    assert report.rows["accounts_account"] == 600
    assert report.rows["organizations_organization"] == report.organizations == 10
    for table, written in report.rows.items():
        assert by_table[table].objects.count() == written, table
    # Rows hang together: every account's organization and store exist.
    assert not Account.objects.exclude(organization__in=Organization.objects.all()).exists()
    assert Group.objects.filter(organization__in=Organization.objects.all()).count() >= 20
