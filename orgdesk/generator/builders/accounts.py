"""Accounts, and what hangs off them in the accounts app: linked identities and group
memberships. Drawing an account also draws the facts the other tables share (`Customer`).

One account tells one story, which every table about it agrees with: created, then signed in
now and then (as often as its age allows: `login_count`), perhaps disabled (nothing after
that but refused sign-ins), its row saved last (`updated`) by the latest change any table
records. Builders called later fill in what the story's later rows need (`mfa`, `enrolled`,
`joined`, `consents`…), and the account's row is completed last (`AccountBuilder.complete`).
"""

import bisect
import datetime as dt
import itertools
import uuid
from dataclasses import dataclass
from typing import Any

from django.conf.locale import LANG_INFO

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
    country: str  # of `ip`
    login_count: int
    # When the account was disabled, and enabled again (None: it still is); None: never.
    spell: "Spell | None"
    # The latest time the account's row was saved: raised by the events that save it.
    updated_ts: float
    # Filled in by the builders called after the account's own row was drawn.
    mfa: bool = False  # holds a second factor (authenticators)
    enrolled: list[float] | None = None  # when its strong authenticators were added
    joined: list[float] | None = None  # when it was added to its groups
    granted_ts: float | None = None  # when it was granted a role
    consents: list[tuple[float, float | None]] | None = None  # (granted, revoked)
    verified_manually_ts: float | None = None  # an admin verified its identity then


# When an account was disabled, and enabled again (None: it still is).
Spell = tuple[float, float | None]
# Enabled accounts that were disabled once and enabled again, after their last sign-in.
SUSPENDED_ONCE = 0.02
DAY_S = 86400


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
        # The preferred language as the portal offers it (core.formfields.language_choices):
        # fr-FR is French, en-GB and pt-BR have entries of their own.
        self.languages = {
            lp.tag: lp.tag if lp.tag.lower() in LANG_INFO else lp.tag.split("-")[0]
            for lp in self.locale_pools
        }
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

    def draw(self, n: int) -> tuple[Customer, list[Any]]:
        """The run's `n`th account: its shared facts and its row, to be completed (complete())
        once the other tables' rows about it are drawn."""
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
        last_seen_ts = last_login_ts or created_ts
        # Sign-ins as often as the account's age allows: each account its own pace, most a
        # few times a month, some daily, a few several times a day.
        login_count = 0
        if last_login_ts is not None:
            per_day = 0.02 + 2.0 * rng.random() ** 3
            login_count = 1 + int((last_login_ts - created_ts) / DAY_S * per_day)
        # The customer edited their own profile, while signed in; an admin's edits come later
        # with their events (EventBuilder), disabling and enabling with the spell.
        updated_ts = created_ts
        if last_login_ts is not None and rng.random() < 0.5:
            updated_ts = created_ts + (last_login_ts - created_ts) * rng.random()
        spell: Spell | None = None
        if disabled:
            spell = (end_ts, None)
        elif rng.random() < SUSPENDED_ONCE:
            off_ts = last_seen_ts + (anchor_ts - last_seen_ts) * rng.random()
            spell = (off_ts, off_ts + (anchor_ts - off_ts) * rng.random())
        if spell is not None:
            updated_ts = max(updated_ts, spell[0] if spell[1] is None else spell[1])
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
        ip, country = rng.choice(self.ips)
        row = [
            account_id,
            created,
            None,  # updated: complete()
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
            self.languages[lp.tag],
            "disabled" if disabled else "enabled",
            disabled_at,
            login_count,
            ip if last_login else None,
            attributes,
            False,
            False,
        ]
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
            last_seen_ts=last_seen_ts,
            ip=ip,
            country=country,
            login_count=login_count,
            spell=spell,
            updated_ts=updated_ts,
        )
        return customer, row

    @staticmethod
    def complete(c: Customer, row: list[Any]) -> Row:
        """The account's row, once everything that saves it is known (`c.updated_ts`)."""
        row[2] = dt.datetime.fromtimestamp(c.updated_ts, dt.UTC)
        return tuple(row)


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
    """Groups an admin added the account to, while it was enabled (`c.joined`: when)."""
    rng, group_ids = draws.rng, c.org.group_ids
    if not (group_ids and rng.random() < 0.45):
        return []
    rows = []
    joined = []
    for gid in rng.sample(group_ids, min(len(group_ids), rng.randint(1, 2))):
        # Most at the account's creation, the others later.
        when = c.created if rng.random() < 0.6 else draws.ts_between(c.created_ts, c.end_ts)
        joined.append(when.timestamp())
        rows.append((gid, c.account_id, when))
    c.joined = joined
    return rows
