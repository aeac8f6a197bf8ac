"""Accounts, and what hangs off them in the accounts app: linked identities and group
memberships. Drawing an account also draws the facts the other tables share (`Customer`)."""

import bisect
import datetime as dt
import itertools
import uuid
from dataclasses import dataclass
from typing import Any

from orgdesk.generator import pools
from orgdesk.generator.builders import Row
from orgdesk.generator.draws import Draws, weighted
from orgdesk.generator.plan import Plan
from orgdesk.generator.trees import Org


@dataclass(slots=True)
class Customer:
    """One generated account's facts, which the rows of every table about it share."""

    account_id: uuid.UUID
    org: Org
    # One of the accounts placed one per organization, so that none is empty.
    placed: bool
    created_ts: float
    created: dt.datetime
    email: str
    phone: str
    email_verified: bool
    phone_verified: bool
    disabled: bool
    end_ts: float  # a disabled account's story ends when it was disabled
    last_login_ts: float | None
    last_login: dt.datetime | None
    last_seen_ts: float  # the last sign-in, else the creation
    ip: str


ACCOUNT_COLUMNS = (
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
)


class AccountBuilder:
    """Draws accounts one by one, each in an organization of the run."""

    def __init__(
        self, draws: Draws, plan: Plan, orgs: list[Org], ips: list[tuple[str, str]]
    ) -> None:
        self.draws = draws
        self.orgs = orgs
        self.ips = ips
        self.password_hash = plan.customer_password_hash
        self.locale_pools = pools.build_locale_pools(plan.seed)
        self.pick_locale = weighted(
            draws.rng, [(str(i), wt) for i, wt in enumerate(pools.LOCALE_WEIGHTS)]
        )
        self.company_domain = {
            org.id: f"{org.slug[:40].strip('-') or 'company'}.example"
            for org in orgs
            if org.parent is None
        }
        # Skewed sizes: a few large organizations, many small ones.
        weights = [draws.rng.paretovariate(1.3) for _ in orgs]
        self.cum_weights = list(itertools.accumulate(weights))
        self.base_n = plan.seed * 100_000_000

    def draw(self, n: int) -> tuple[Customer, Row]:
        """The run's `n`th account: its shared facts and its row."""
        draws, rng, anchor_ts, orgs = self.draws, self.draws.rng, self.draws.anchor_ts, self.orgs
        n_orgs = len(orgs)
        if n < n_orgs:
            org = orgs[n]
        else:
            total = self.cum_weights[-1]
            org = orgs[min(bisect.bisect_right(self.cum_weights, rng.random() * total), n_orgs - 1)]
        lp = self.locale_pools[int(self.pick_locale())]
        seq = self.base_n + n
        given = rng.choice(lp.first_names)
        family = rng.choice(lp.last_names)
        folded_given, folded_family = pools.ascii_fold(given), pools.ascii_fold(family)
        account_id = draws.uuid()
        # Multiplied in this order: floats round differently grouped, and so would the data.
        created_ts = anchor_ts - rng.random() * 3 * 365 * 86400
        created = dt.datetime.fromtimestamp(created_ts, dt.UTC)
        free_mail = rng.random() < 0.6
        domain = rng.choice(lp.free_domains) if free_mail else self.company_domain[org.root.id]
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
        updated = draws.ts_between(created_ts, end_ts)
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
        ip, _country = rng.choice(self.ips)
        login_count = rng.randint(1, 400) if last_login else 0
        row = (
            account_id,
            created,
            updated,
            self.password_hash,
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
        customer = Customer(
            account_id=account_id,
            org=org,
            placed=n < n_orgs,
            created_ts=created_ts,
            created=created,
            email=email,
            phone=phone,
            email_verified=email_verified,
            phone_verified=phone_verified,
            disabled=disabled,
            end_ts=end_ts,
            last_login_ts=last_login_ts,
            last_login=last_login,
            last_seen_ts=last_login_ts or created_ts,
            ip=ip,
        )
        return customer, row


EXTERNAL_IDENTITY_COLUMNS = (
    "id",
    "created",
    "updated",
    "account_id",
    "kind",
    "provider",
    "subject",
    "email",
    "last_login",
)


def identity_rows(draws: Draws, c: Customer) -> list[Row]:
    """A linked social or enterprise identity, for some accounts."""
    rng = draws.rng
    if rng.random() >= 0.18:
        return []
    enterprise = rng.random() < 0.25
    provider = rng.choice(pools.ENTERPRISE_PROVIDERS if enterprise else pools.SOCIAL_PROVIDERS)
    return [
        (
            draws.uuid(),
            c.created,
            c.created,
            c.account_id,
            "enterprise" if enterprise else "social",
            provider,
            draws.uuid().hex,
            c.email,
            c.last_login,
        )
    ]


GROUP_MEMBERSHIP_COLUMNS = ("group_id", "account_id", "created")


def membership_rows(draws: Draws, c: Customer) -> list[Row]:
    rng, group_ids = draws.rng, c.org.group_ids
    if not (group_ids and rng.random() < 0.45):
        return []
    return [
        (gid, c.account_id, c.created)
        for gid in rng.sample(group_ids, min(len(group_ids), rng.randint(1, 2)))
    ]
