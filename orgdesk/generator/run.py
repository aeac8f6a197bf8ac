"""The generation run: organizations first, then accounts with everything that hangs off
them, written in batches so memory stays flat whatever the size."""

import bisect
import datetime as dt
import hashlib
import itertools
import json
import random
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.db import IntegrityError, connection
from django.utils.text import slugify

from orgdesk.access.builtins import ensure_roles
from orgdesk.access.models import OrgRole, RoleAssignment
from orgdesk.accounts.models import Account, ExternalIdentity, Group, GroupMembership
from orgdesk.activity.events import EVENT_TYPES
from orgdesk.activity.models import Event
from orgdesk.branding.builtins import ensure_portal_client
from orgdesk.consents.models import ConsentPolicy, ConsentRecord
from orgdesk.core.fields import encrypt_text
from orgdesk.core.ids import key_from_int
from orgdesk.generator import indexes, pools
from orgdesk.generator.plan import GenerateError, Plan
from orgdesk.generator.writer import Writer
from orgdesk.invitations.models import Invitation
from orgdesk.notifications.builtins import ensure_templates
from orgdesk.notifications.models import Notification, NotificationTemplate
from orgdesk.organizations.models import PORTAL_CLIENT_ID, Application, Organization
from orgdesk.security.models import Authenticator, CustomerSession
from orgdesk.verification.models import VerificationPolicy, VerificationResult

DAY = dt.timedelta(days=1)
TWO_YEARS = 730 * 86400

CUSTOMER_EVENTS = [
    ("login", 50),
    ("token_request", 20),
    ("logout", 12),
    ("mfa_challenge", 6),
    ("password_reset", 3),
    ("password_change", 2),
    ("email_verification", 2),
    ("consent_granted", 2),
    ("mfa_enrolment", 2),
    ("consent_revoked", 1),
]
ADMIN_EVENTS = [
    ("account.updated", 40),
    ("account.password_reset_sent", 15),
    ("sessions.cleared", 10),
    ("group.member_added", 10),
    ("authenticator.removed", 6),
    ("identity.verified", 5),
    ("role.granted", 3),
    ("authenticator.added", 2),
]
FAILURE_REASONS = {
    "login": [
        "invalid_password",
        "invalid_password",
        "mfa_failed",
        "rate_limited",
    ],
    "token_request": ["invalid_grant", "expired_refresh_token"],
    "mfa_challenge": ["invalid_code", "expired_code"],
    "password_reset": ["expired_link"],
}
NOTIFICATION_MIX = [
    ("password_reset", 30),
    ("email_verification", 25),
    ("email_otp", 20),
    ("sms_otp", 12),
    ("mfa_enrolment", 8),
]
# Enabled accounts that were disabled once and enabled again, after their last sign-in.
SUSPENDED_ONCE = 0.02
CONSENT_POLICIES = [
    ("Terms of Service", "1.0", True),
    ("Terms of Service", "2.0", True),
    ("Privacy Policy", "3.1", True),
    ("Marketing emails", "1.0", False),
    ("Product research", "1.2", False),
]
VERIFICATION_POLICIES = [
    ("Government ID check", "document"),
    ("Bank account match", "database"),
    ("Video identification", "video"),
    ("In-store verification", "in_person"),
]
EXTRA_APPLICATIONS = [
    ("Customer web app", "customer-web", "web"),
    ("Mobile app", "customer-mobile", "native"),
]


@dataclass
class Org:
    id: uuid.UUID
    key: str
    name: str
    slug: str
    parent: "Org | None"
    root: "Org | None"
    depth: int
    path: str = ""
    route: str = ""
    ancestors: list["Org"] = field(default_factory=list)
    group_ids: list[uuid.UUID] = field(default_factory=list)
    tree_index: int = 0


@dataclass
class Report:
    seconds: float
    rows: dict[str, int]
    organizations: int
    accounts: int
    trees: list[str]

    def as_dict(self) -> dict[str, Any]:
        return {
            "seconds": round(self.seconds, 2),
            "organizations": self.organizations,
            "accounts": self.accounts,
            "trees": self.trees,
            "rows": self.rows,
        }


def _weighted(rng: random.Random, items: list[tuple[str, int]]) -> Callable[[], str]:
    names = [n for n, _ in items]
    cum = list(itertools.accumulate(w for _, w in items))
    total = cum[-1]

    def pick() -> str:
        return names[bisect.bisect_right(cum, rng.random() * total)]

    return pick


class Generator:
    def __init__(
        self, plan: Plan, progress: Callable[[str], None] | None = None, *, threaded: bool = True
    ) -> None:
        self.plan = plan
        self.rng = random.Random(plan.seed)
        self.progress = progress or (lambda _msg: None)
        self.anchor = plan.anchor
        self.anchor_ts = plan.anchor.timestamp()
        self.writer = Writer(threaded=threaded)
        self.admin_pool: list[uuid.UUID] = []
        self._uuid_base = plan.seed << 32
        self._uuid_counter = 0

    # ---- helpers -------------------------------------------------------------------------
    def uuid(self) -> uuid.UUID:
        # Time-ordered like UUIDv7: the high 48 bits count up from a base derived from the
        # seed, so primary keys and the (account_id, …) indexes of child tables are appended
        # to rather than written at random places (a large share of the load time at 1M).
        self._uuid_counter += 1
        high = (self._uuid_base + self._uuid_counter) & ((1 << 48) - 1)
        return uuid.UUID(int=(high << 80) | self.rng.getrandbits(80), version=4)

    def ts_between(self, start: float, end: float) -> dt.datetime:
        return dt.datetime.fromtimestamp(start + self.rng.random() * max(end - start, 0), dt.UTC)

    def hexdigest(self) -> str:
        return hashlib.sha256(self.rng.getrandbits(256).to_bytes(32, "big")).hexdigest()

    # ---- reference data ------------------------------------------------------------------
    def prepare_reference_data(self) -> None:
        ensure_portal_client()
        ensure_roles()
        ensure_templates()
        self.portal = Application.objects.get(client_id=PORTAL_CLIENT_ID)
        self.apps = [self.portal.id]
        for name, client_id, kind in EXTRA_APPLICATIONS:
            app, _ = Application.objects.get_or_create(
                client_id=client_id, defaults={"name": name, "kind": kind}
            )
            self.apps.append(app.id)
        self.roles = {r.slug: r.id for r in OrgRole.objects.filter(builtin=True)}
        self.templates = {t.code: t for t in NotificationTemplate.objects.all()}
        self.consent_policies = []
        for name, version, required in CONSENT_POLICIES:
            policy, _ = ConsentPolicy.objects.get_or_create(
                name=name, version=version, defaults={"required": required}
            )
            self.consent_policies.append(policy.id)
        self.verification_policies = []
        # The policies that apply in each tree (by root id), set with the trees.
        self.tree_policies: dict[uuid.UUID, list[VerificationPolicy]] = {}
        for name, method in VERIFICATION_POLICIES:
            policy, _ = VerificationPolicy.objects.get_or_create(
                name=name, defaults={"method": method}
            )
            self.verification_policies.append(policy)

    # ---- organizations -------------------------------------------------------------------
    def build_trees(self) -> list[Org]:
        plan, rng = self.plan, self.rng
        company = pools.company_names(plan.seed, plan.trees)
        cities = pools.city_names(plan.seed, max(64, plan.orgs))
        existing_root_slugs = set(
            Organization.objects.filter(parent__isnull=True).values_list("slug", flat=True)
        )
        counter = itertools.count(plan.seed * 10_000_000 + 1)
        orgs: list[Org] = []
        per_tree = [plan.orgs // plan.trees] * plan.trees
        for i in range(plan.orgs % plan.trees):
            per_tree[i] += 1
        for t in range(plan.trees):
            name = company[t]
            slug = slugify(name)[:90] or "company"
            while slug in existing_root_slugs:
                slug = f"{slug[:84]}-{rng.randrange(10**5):05d}"
            existing_root_slugs.add(slug)
            root = Org(
                self.uuid(),
                key_from_int(next(counter) * 7919 % 36**8),
                name,
                slug,
                None,
                None,
                0,
                tree_index=t,
            )
            root.root = root
            tree = [root]
            # A chain to the full depth first, then attach the rest at random levels.
            parent = root
            for level in range(1, plan.depth):
                child = self._child(parent, level, tree, cities, counter)
                tree.append(child)
                parent = child
            while len(tree) < per_tree[t]:
                candidates = [o for o in tree if o.depth < plan.depth - 1]
                parent = rng.choice(candidates)
                tree.append(self._child(parent, parent.depth + 1, tree, cities, counter))
            orgs.extend(tree)
        for org in orgs:
            if org.parent is None:
                org.path, org.route = f"/{org.key}/", org.name
            else:
                org.path = f"{org.parent.path}{org.key}/"
                org.route = f"{org.parent.route} / {org.name}"
                org.ancestors = [*org.parent.ancestors, org.parent]
        return orgs

    def _child(
        self, parent: Org, depth: int, tree: list[Org], cities: list[str], counter: Any
    ) -> Org:
        rng = self.rng
        siblings = {o.slug for o in tree if o.parent is parent}
        if depth == 1:
            base = rng.choice(pools.REGION_NAMES)
        elif depth == 2:
            base = f"{rng.choice(cities)} store"
        else:
            base = f"{rng.choice(pools.GROUP_NAMES)} team"
        name, n = base, 2
        while slugify(name) in siblings:
            name, n = f"{base} {n}", n + 1
        return Org(
            self.uuid(),
            key_from_int(next(counter) * 7919 % 36**8),
            name,
            slugify(name)[:100],
            parent,
            parent.root,
            depth,
            tree_index=parent.tree_index,
        )

    def write_orgs(self, orgs: list[Org]) -> None:
        table = self.writer.table(
            Organization,
            [
                "id",
                "created",
                "updated",
                "key",
                "name",
                "slug",
                "parent_id",
                "root_id",
                "path",
                "route",
                "depth",
                "application_id",
                "hierarchy_unique_identifiers",
            ],
        )
        groups = self.writer.table(
            Group, ["id", "created", "updated", "organization_id", "name", "description"]
        )
        start = self.anchor_ts - 4 * 365 * 86400
        for org in orgs:
            created = self.ts_between(start, start + 86400 * 300)
            table.add(
                (
                    org.id,
                    created,
                    created,
                    org.key,
                    org.name,
                    org.slug,
                    org.parent.id if org.parent else None,
                    org.root.id,
                    org.path,
                    org.route,
                    org.depth,
                    self.portal.id,
                    True,
                )
            )
            for name in self.rng.sample(pools.GROUP_NAMES, self.rng.randint(2, 5)):
                gid = self.uuid()
                org.group_ids.append(gid)
                groups.add((gid, created, created, org.id, name, ""))
        self.writer.flush()
        self.writer.close()
        # Policies a tree's admins may apply: every root gets two of them.
        roots = [o for o in orgs if o.parent is None]
        for root in roots:
            self.tree_policies[root.id] = self.rng.sample(self.verification_policies, 2)
            for policy in self.tree_policies[root.id]:
                policy.organizations.add(root.id)
        self.writer.tables.clear()

    # ---- accounts and everything attached ------------------------------------------------
    def write_accounts(self, orgs: list[Org]) -> int:
        plan, rng, w = self.plan, self.rng, self.writer
        accounts = w.table(
            Account,
            [
                "id",
                "created",
                "updated",
                "password",
                "last_login",
                "organization_id",
                "store",
                "username",
                "email",
                "email_verified",
                "phone",
                "phone_verified",
                "given_name",
                "family_name",
                "display_name",
                "birthdate",
                "picture",
                "street",
                "city",
                "region",
                "postal_code",
                "country",
                "locale",
                "status",
                "disabled_at",
                "login_count",
                "last_ip",
                "attributes",
                "is_staff",
                "is_superuser",
            ],
        )
        identities = w.table(
            ExternalIdentity,
            [
                "id",
                "created",
                "updated",
                "account_id",
                "kind",
                "provider",
                "subject",
                "email",
                "last_login",
            ],
        )
        memberships = w.table(GroupMembership, ["group_id", "account_id", "created"])
        grants = w.table(RoleAssignment, ["account_id", "organization_id", "role_id", "created"])
        authenticators = w.table(
            Authenticator,
            [
                "id",
                "created",
                "updated",
                "account_id",
                "type",
                "label",
                "identifier",
                "secret",
                "credential",
                "confirmed",
                "last_used",
            ],
        )
        sessions = w.table(
            CustomerSession,
            [
                "id",
                "created",
                "updated",
                "account_id",
                "application_id",
                "key_hash",
                "user_agent",
                "device",
                "ip",
                "city",
                "country",
                "last_activity",
                "expires",
                "revoked_at",
            ],
        )
        events = w.table(
            Event,
            [
                "ts",
                "account_id",
                "organization_id",
                "category",
                "type",
                "result",
                "reason",
                "actor_id",
                "ip",
                "metadata",
            ],
        )
        notifications = w.table(
            Notification,
            [
                "account_id",
                "organization_id",
                "template_id",
                "channel",
                "target",
                "sent_at",
                "expires_at",
                "status",
                "error",
            ],
        )
        verifications = w.table(
            VerificationResult,
            [
                "id",
                "created",
                "updated",
                "account_id",
                "policy_id",
                "attempts",
                "verified",
                "verified_at",
                "manual",
                "revoked",
                "revoked_at",
            ],
        )
        consents = w.table(
            ConsentRecord,
            [
                "id",
                "created",
                "updated",
                "account_id",
                "policy_id",
                "granted_at",
                "revoked_at",
            ],
        )

        locale_pools = pools.build_locale_pools(plan.seed)
        pick_locale = _weighted(rng, [(str(i), wt) for i, wt in enumerate(pools.LOCALE_WEIGHTS)])
        ips = pools.public_ip_pool(rng, 4000)
        admin_ips = [ip for ip, _ in ips[:200]]
        uas = pools.USER_AGENTS
        devices = [pools.device_of(ua) for ua in uas]
        pick_customer_event = _weighted(rng, CUSTOMER_EVENTS)
        pick_admin_event = _weighted(rng, ADMIN_EVENTS)
        pick_notification = _weighted(rng, NOTIFICATION_MIX)
        categories = {code: cat for code, (cat, _label) in EVENT_TYPES.items()}
        role_ids = [
            self.roles["admin"],
            self.roles["organization-manager"],
            self.roles["account-recovery-assistant"],
        ]
        tree_orgs: dict[int, list[Org]] = {}
        cross_grants = 0
        for org in orgs:
            tree_orgs.setdefault(org.tree_index, []).append(org)
        company_domain = {
            org.id: f"{org.slug[:40].strip('-') or 'company'}.example"
            for org in orgs
            if org.parent is None
        }

        # Skewed sizes: a few large organizations, many small ones.
        weights = [rng.paretovariate(1.3) for _ in orgs]
        cum = list(itertools.accumulate(weights))
        total_weight = cum[-1]
        anchor_ts = self.anchor_ts
        base_n = plan.seed * 100_000_000
        started = time.monotonic()
        n_orgs = len(orgs)
        for n in range(plan.accounts):
            if n < n_orgs:
                org = orgs[n]
            else:
                org = orgs[min(bisect.bisect_right(cum, rng.random() * total_weight), n_orgs - 1)]
            lp = locale_pools[int(pick_locale())]
            seq = base_n + n
            given = rng.choice(lp.first_names)
            family = rng.choice(lp.last_names)
            folded_given, folded_family = pools.ascii_fold(given), pools.ascii_fold(family)
            account_id = self.uuid()
            created_ts = anchor_ts - rng.random() * 3 * 365 * 86400
            created = dt.datetime.fromtimestamp(created_ts, dt.UTC)
            free_mail = rng.random() < 0.6
            domain = rng.choice(lp.free_domains) if free_mail else company_domain[org.root.id]
            has_email = rng.random() < 0.96
            email = f"{folded_given}.{folded_family}{seq % 10**8}@{domain}" if has_email else ""
            username = (
                f"{folded_given[:12]}{folded_family[:1]}{seq % 10**8}"
                if rng.random() < 0.5 or not has_email
                else ""
            )
            phone = ""
            if rng.random() < 0.55:
                phone = lp.phone(seq)
            email_verified = bool(email) and rng.random() < 0.8
            phone_verified = bool(phone) and rng.random() < 0.6
            disabled = rng.random() < 0.07
            # A disabled account's story ends when it was disabled.
            end_ts = (
                created_ts + (anchor_ts - created_ts) * (0.2 + 0.8 * rng.random())
                if disabled
                else anchor_ts
            )
            disabled_at = dt.datetime.fromtimestamp(end_ts, dt.UTC) if disabled else None
            last_login_ts = None
            if rng.random() < 0.88:
                # max of two uniforms: recent logins more common than old ones
                span = end_ts - created_ts
                last_login_ts = created_ts + span * max(rng.random(), rng.random())
            last_login = dt.datetime.fromtimestamp(last_login_ts, dt.UTC) if last_login_ts else None
            updated = self.ts_between(created_ts, end_ts)
            city, region, postal = rng.choice(lp.places)
            has_address = rng.random() < 0.7
            birthdate = None
            if rng.random() < 0.6:
                birthdate = dt.date(1945, 1, 1) + dt.timedelta(days=rng.randrange(22_000))
            attributes: dict[str, Any] = {}
            if rng.random() < 0.3:
                attributes = {
                    "customer_number": f"C-{seq % 10**8:08d}",
                    "tier": rng.choice(["bronze", "silver", "gold", "platinum"]),
                }
            ip, _country = rng.choice(ips)
            login_count = rng.randint(1, 400) if last_login else 0
            accounts.add(
                (
                    account_id,
                    created,
                    updated,
                    plan.customer_password_hash,
                    last_login,
                    org.id,
                    org.root.id,
                    username,
                    email,
                    email_verified,
                    phone,
                    phone_verified,
                    given,
                    family,
                    f"{given} {family}",
                    birthdate,
                    "",
                    rng.choice(lp.streets) if has_address else "",
                    city if has_address else "",
                    region if has_address else "",
                    postal if has_address else "",
                    lp.country if has_address else "",
                    lp.tag,
                    "disabled" if disabled else "enabled",
                    disabled_at,
                    login_count,
                    ip if last_login else None,
                    attributes,
                    False,
                    False,
                )
            )

            # linked identities
            if rng.random() < 0.18:
                enterprise = rng.random() < 0.25
                provider = rng.choice(
                    pools.ENTERPRISE_PROVIDERS if enterprise else pools.SOCIAL_PROVIDERS
                )
                identities.add(
                    (
                        self.uuid(),
                        created,
                        created,
                        account_id,
                        "enterprise" if enterprise else "social",
                        provider,
                        self.uuid().hex,
                        email,
                        last_login,
                    )
                )
            # groups
            if org.group_ids and rng.random() < 0.45:
                for gid in rng.sample(org.group_ids, min(len(org.group_ids), rng.randint(1, 2))):
                    memberships.add((gid, account_id, created))
            # role grants: a few admins, some of them across organizations of the tree
            # ... and the first account placed in each root administers its tree.
            if n < n_orgs and org.parent is None:
                grants.add((account_id, org.id, self.roles["admin"], created))
                self.admin_pool.append(account_id)
            elif rng.random() < 0.006 and not disabled:
                # Every fifth grant reaches across the tree, outside the account's own branch
                # (a counter rather than a coin, so that small runs have some too).
                lineage = [*org.ancestors, org]
                cross_grants += 1
                across = []
                if cross_grants % 5 == 1:
                    across = [o for o in tree_orgs[org.tree_index] if o not in lineage]
                target = rng.choice(across or lineage)
                grants.add((account_id, target.id, rng.choice(role_ids), created))
                self.admin_pool.append(account_id)
            # authenticators
            last_seen_ts = last_login_ts or created_ts
            if email_verified and rng.random() < 0.3:
                authenticators.add(
                    (
                        self.uuid(),
                        created,
                        created,
                        account_id,
                        "email_otp",
                        email,
                        email,
                        "",
                        {},
                        True,
                        self.ts_between(created_ts, last_seen_ts),
                    )
                )
            if phone_verified and rng.random() < 0.4:
                authenticators.add(
                    (
                        self.uuid(),
                        created,
                        created,
                        account_id,
                        "sms_otp",
                        phone,
                        phone,
                        "",
                        {},
                        True,
                        self.ts_between(created_ts, last_seen_ts),
                    )
                )
            strong = False
            if rng.random() < 0.2:
                strong = True
                seed32 = "".join(rng.choice("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567") for _ in range(32))
                authenticators.add(
                    (
                        self.uuid(),
                        created,
                        created,
                        account_id,
                        "totp",
                        rng.choice(pools.TOTP_LABELS),
                        "",
                        encrypt_text(seed32),
                        {},
                        True,
                        self.ts_between(created_ts, last_seen_ts),
                    )
                )
            for kind, labels, p in (
                ("passkey", pools.PASSKEY_LABELS, 0.15),
                ("security_key", pools.SECURITY_KEY_LABELS, 0.03),
            ):
                if rng.random() < p:
                    strong = True
                    cred_id = self.uuid().hex + self.uuid().hex
                    authenticators.add(
                        (
                            self.uuid(),
                            created,
                            created,
                            account_id,
                            kind,
                            rng.choice(labels),
                            cred_id[:16],
                            "",
                            {
                                "credential_id": cred_id,
                                "public_key": self.hexdigest(),
                                "sign_count": rng.randint(0, 500),
                                "transports": ["internal", "hybrid"]
                                if kind == "passkey"
                                else ["usb"],
                            },
                            True,
                            self.ts_between(created_ts, last_seen_ts),
                        )
                    )
            if strong and rng.random() < 0.5:
                codes = [self.hexdigest() for _ in range(10)]
                authenticators.add(
                    (
                        self.uuid(),
                        created,
                        created,
                        account_id,
                        "recovery_codes",
                        "Recovery codes",
                        "10 codes",
                        encrypt_text(json.dumps(codes)),
                        {},
                        True,
                        None,
                    )
                )
            # sessions
            if last_login_ts and rng.random() < 0.35:
                for _ in range(rng.randint(1, 3)):
                    ua_index = rng.randrange(len(uas))
                    s_ip, s_country = rng.choice(ips)
                    activity = self.ts_between(
                        max(last_login_ts - 30 * 86400, created_ts), last_login_ts
                    )
                    start = max(activity - dt.timedelta(hours=rng.randint(0, 72)), created)
                    revoked = min(activity + DAY, self.anchor) if rng.random() < 0.08 else None
                    sessions.add(
                        (
                            self.uuid(),
                            start,
                            activity,
                            account_id,
                            rng.choice(self.apps),
                            self.hexdigest(),
                            uas[ua_index],
                            devices[ua_index],
                            s_ip,
                            "",
                            s_country,
                            activity,
                            activity + dt.timedelta(days=14),
                            revoked,
                        )
                    )
            # events
            for _ in range(plan.events_per_account):
                if rng.random() < 0.1:
                    etype = pick_admin_event()
                    actor = rng.choice(self.admin_pool) if self.admin_pool else None
                    e_ip = rng.choice(admin_ips)
                    meta: dict[str, Any] = {"via": rng.choice(["portal", "console", "api"])}
                    result, reason = "success", ""
                else:
                    etype = pick_customer_event()
                    actor = None
                    e_ip = ip
                    meta = {
                        "client_id": rng.choice(
                            ("organization-portal", "customer-web", "customer-mobile")
                        ),
                        "user_agent_index": rng.randrange(len(uas)),
                    }
                    result, reason = "success", ""
                    if etype in FAILURE_REASONS and rng.random() < 0.12:
                        result, reason = "failure", rng.choice(FAILURE_REASONS[etype])
                events.add(
                    (
                        self.ts_between(created_ts, last_seen_ts if last_login_ts else end_ts),
                        account_id,
                        org.id,
                        categories[etype],
                        etype,
                        result,
                        reason,
                        actor,
                        e_ip,
                        meta,
                    )
                )
            if last_login:
                events.add(
                    (
                        last_login,
                        account_id,
                        org.id,
                        "customer_flow",
                        "login",
                        "success",
                        "",
                        None,
                        ip,
                        {"client_id": "customer-web"},
                    )
                )
            # Disabling as it happens: an admin's event and the customer's email when it was
            # disabled, perhaps attempts to sign in while disabled, and for an account enabled
            # again, the event that ended it.
            spell: tuple[float, float | None] | None = None
            if disabled:
                spell = (end_ts, None)
            elif rng.random() < SUSPENDED_ONCE:
                off_ts = last_seen_ts + (anchor_ts - last_seen_ts) * rng.random()
                spell = (off_ts, off_ts + (anchor_ts - off_ts) * rng.random())
            if spell is not None:
                off_ts, on_ts = spell
                changes = [("account.disabled", off_ts)]
                if on_ts is not None:
                    changes.append(("account.enabled", on_ts))
                for etype, when_ts in changes:
                    events.add(
                        (
                            dt.datetime.fromtimestamp(when_ts, dt.UTC),
                            account_id,
                            org.id,
                            categories[etype],
                            etype,
                            "success",
                            "",
                            rng.choice(self.admin_pool) if self.admin_pool else None,
                            rng.choice(admin_ips),
                            {"via": rng.choice(["portal", "console", "api"])},
                        )
                    )
                if rng.random() < 0.3:
                    events.add(
                        (
                            self.ts_between(off_ts, anchor_ts if on_ts is None else on_ts),
                            account_id,
                            org.id,
                            "customer_flow",
                            "login",
                            "failure",
                            "account_disabled",
                            None,
                            ip,
                            {"client_id": "customer-web"},
                        )
                    )
                template = self.templates["account_disabled"]
                if email and template.channel == "email":
                    notifications.add(
                        (
                            account_id,
                            org.id,
                            template.id,
                            template.channel,
                            email,
                            dt.datetime.fromtimestamp(off_ts, dt.UTC),
                            None,
                            "delivered",
                            "",
                        )
                    )
            # notifications
            if rng.random() < 0.45:
                for _ in range(rng.randint(1, 2)):
                    template = self.templates[pick_notification()]
                    target = phone if template.channel == "sms" else email
                    if not target:
                        continue
                    sent = self.ts_between(created_ts, end_ts)
                    expires = (
                        sent + dt.timedelta(minutes=template.expires_after)
                        if template.expires_after
                        else None
                    )
                    status = "failed" if rng.random() < 0.03 else "delivered"
                    notifications.add(
                        (
                            account_id,
                            org.id,
                            template.id,
                            template.channel,
                            target,
                            sent,
                            expires,
                            status,
                            "mailbox unavailable" if status == "failed" else "",
                        )
                    )
            # identity verification
            if rng.random() < 0.1:
                policy = rng.choice(self.tree_policies[org.root.id])
                verified = rng.random() < 0.7
                when = self.ts_between(created_ts, anchor_ts)
                revoked = verified and rng.random() < 0.06
                verifications.add(
                    (
                        self.uuid(),
                        when,
                        when,
                        account_id,
                        policy.id,
                        rng.randint(1, 3),
                        verified,
                        when if verified else None,
                        rng.random() < 0.2,
                        revoked,
                        min(when + DAY * rng.randint(1, 90), self.anchor) if revoked else None,
                    )
                )
            # consents
            if rng.random() < 0.75:
                tos = self.consent_policies[1 if rng.random() < 0.7 else 0]
                chosen = [tos, self.consent_policies[2]]
                if rng.random() < 0.35:
                    chosen.append(self.consent_policies[3])
                if rng.random() < 0.1:
                    chosen.append(self.consent_policies[4])
                for policy_id in chosen:
                    granted = self.ts_between(created_ts, anchor_ts)
                    revoked_at = None
                    if policy_id in self.consent_policies[3:] and rng.random() < 0.25:
                        revoked_at = self.ts_between(granted.timestamp(), anchor_ts)
                    consents.add(
                        (self.uuid(), granted, granted, account_id, policy_id, granted, revoked_at)
                    )

            if (n + 1) % plan.batch_size == 0:
                self._flush_batch()
                done = n + 1
                rate = done / max(time.monotonic() - started, 1e-6)
                self.progress(f"accounts {done:,}/{plan.accounts:,} ({rate:,.0f}/s)")
        self._flush_batch()
        w.close()
        rows = {t.name: t.written for t in w.tables}
        w.tables.clear()
        return rows  # type: ignore[return-value]

    def _flush_batch(self) -> None:
        self.writer.flush()

    def write_invitations(self, orgs: list[Org]) -> int:
        rng, w = self.rng, self.writer
        table = w.table(
            Invitation,
            [
                "id",
                "created",
                "updated",
                "organization_id",
                "email",
                "given_name",
                "family_name",
                "application_id",
                "token_hash",
                "status",
                "last_sent",
                "expires",
                "invited_by_id",
                "accepted_account_id",
                "accepted_at",
                "locale",
            ],
        )
        count = max(len(orgs), self.plan.accounts // 50)
        week = 7 * 86400
        for i in range(count):
            org = orgs[i % len(orgs)]
            email = f"invitee{self.plan.seed}-{i}@{org.root.slug[:40]}.example"
            r = rng.random()
            if r < 0.45:  # pending and still valid
                sent = self.ts_between(self.anchor_ts - 6 * 86400, self.anchor_ts)
                status, accepted_at = "pending", None
            elif r < 0.7:  # pending but expired: "Outdated"
                sent = self.ts_between(self.anchor_ts - TWO_YEARS, self.anchor_ts - 8 * 86400)
                status, accepted_at = "pending", None
            elif r < 0.95:
                sent = self.ts_between(self.anchor_ts - TWO_YEARS, self.anchor_ts - 86400)
                status = "accepted"
                accepted_at = min(sent + dt.timedelta(hours=rng.randint(1, 100)), self.anchor)
            else:
                sent = self.ts_between(self.anchor_ts - TWO_YEARS, self.anchor_ts - 86400)
                status, accepted_at = "revoked", None
            created = sent - dt.timedelta(days=rng.randint(0, 3))
            table.add(
                (
                    self.uuid(),
                    created,
                    sent,
                    org.id,
                    email,
                    "",
                    "",
                    self.portal.id,
                    self.hexdigest(),
                    status,
                    sent,
                    sent + dt.timedelta(seconds=week),
                    rng.choice(self.admin_pool) if self.admin_pool else None,
                    None,
                    accepted_at,
                    "en",
                )
            )
            if len(table.rows) >= self.plan.batch_size:
                self._flush_batch()
        self._flush_batch()
        w.close()
        written = table.written
        w.tables.clear()
        return written


def generate(
    plan: Plan, progress: Callable[[str], None] | None = None, *, threaded: bool = True
) -> Report:
    """Write the plan's data. `threaded=False` writes on the caller's connection (tests)."""
    plan.check()
    say = progress or (lambda _msg: None)
    started = time.monotonic()
    gen = Generator(plan, progress, threaded=threaded)
    gen.prepare_reference_data()
    orgs = gen.build_trees()
    # Keys come from the seed alone (not the RNG stream), so they identify a seed's data.
    if Organization.objects.filter(key__in=[o.key for o in orgs[:3]]).exists():
        raise GenerateError(
            f"data from seed {plan.seed} is already in this database; use another --seed"
        )
    if connection.vendor == "postgresql":
        indexes.restore(say)  # left over from an interrupted run
    suspended = indexes.suspend() if indexes.worth_suspending(plan.accounts) else []
    if suspended:
        say(f"{len(suspended)} secondary indexes dropped for the load; rebuilt at the end")
    try:
        gen.write_orgs(orgs)
        say(f"organizations {len(orgs):,} in {plan.trees} tree(s)")
        rows = gen.write_accounts(orgs)
        rows["invitations_invitation"] = gen.write_invitations(orgs)
    except IntegrityError as exc:
        raise GenerateError(f"the database refused generated rows: {exc}".splitlines()[0]) from None
    finally:
        gen.writer.abort()  # no-op after a clean run; after a failure, frees the tables
        if suspended:
            indexes.restore(say)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    rows["organizations_organization"] = len(orgs)
    return Report(
        seconds=time.monotonic() - started,
        rows=rows,
        organizations=len(orgs),
        accounts=plan.accounts,
        trees=[o.route for o in orgs if o.parent is None],
    )
