"""Activity events: customer flows and admin actions, and the story of a disabling."""

import datetime as dt
import uuid
from typing import Any

from orgdesk.activity.events import EVENT_TYPES
from orgdesk.generator import pools
from orgdesk.generator.builders import Row
from orgdesk.generator.builders.accounts import Customer
from orgdesk.generator.draws import Draws, weighted

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
ADMIN_CHANNELS = ["portal", "console", "api"]
CLIENT_IDS = ("organization-portal", "customer-web", "customer-mobile")
# Enabled accounts that were disabled once and enabled again, after their last sign-in.
SUSPENDED_ONCE = 0.02

# When an account was disabled, and enabled again (None: it still is).
Spell = tuple[float, float | None]


def draw_spell(draws: Draws, c: Customer) -> Spell | None:
    """A disabled account's spell starts at the end of its story; a few enabled accounts
    had one after their last sign-in."""
    if c.disabled:
        return (c.end_ts, None)
    rng, anchor_ts = draws.rng, draws.anchor_ts
    if rng.random() < SUSPENDED_ONCE:
        off_ts = c.last_seen_ts + (anchor_ts - c.last_seen_ts) * rng.random()
        return (off_ts, off_ts + (anchor_ts - off_ts) * rng.random())
    return None


EVENT_COLUMNS = (
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
)


class EventBuilder:
    """Admin actions name an admin granted so far (`admins`, the grant builder's list) as
    their actor, from one of a few office addresses."""

    def __init__(
        self,
        draws: Draws,
        ips: list[tuple[str, str]],
        admins: list[uuid.UUID],
        events_per_account: int,
    ) -> None:
        self.draws = draws
        self.admin_ips = [ip for ip, _ in ips[:200]]
        self.admins = admins
        self.per_account = events_per_account
        self.pick_customer_event = weighted(draws.rng, CUSTOMER_EVENTS)
        self.pick_admin_event = weighted(draws.rng, ADMIN_EVENTS)
        self.categories = {code: cat for code, (cat, _label) in EVENT_TYPES.items()}

    def rows(self, c: Customer) -> list[Row]:
        """The account's everyday events, then its last sign-in."""
        draws, rng, admins, admin_ips = self.draws, self.draws.rng, self.admins, self.admin_ips
        categories, account_id, org_id = self.categories, c.account_id, c.org.id
        until_ts = c.last_seen_ts if c.last_login_ts else c.end_ts
        rows = []
        for _ in range(self.per_account):
            result, reason = "success", ""
            if rng.random() < 0.1:
                etype = self.pick_admin_event()
                actor = rng.choice(admins) if admins else None
                ip = rng.choice(admin_ips)
                meta: dict[str, Any] = {"via": rng.choice(ADMIN_CHANNELS)}
            else:
                etype = self.pick_customer_event()
                actor = None
                ip = c.ip
                meta = {
                    "client_id": rng.choice(CLIENT_IDS),
                    "user_agent_index": rng.randrange(len(pools.USER_AGENTS)),
                }
                if etype in FAILURE_REASONS and rng.random() < 0.12:
                    result, reason = "failure", rng.choice(FAILURE_REASONS[etype])
            rows.append(
                (
                    draws.ts_between(c.created_ts, until_ts),
                    account_id,
                    org_id,
                    categories[etype],
                    etype,
                    result,
                    reason,
                    actor,
                    ip,
                    meta,
                )
            )
        if c.last_login:
            rows.append(self._sign_in(c, c.last_login, "success", ""))
        return rows

    def disabling_rows(self, c: Customer, spell: Spell | None) -> list[Row]:
        """An admin's event when the account was disabled, and when enabled again; perhaps
        sign-ins refused while it was disabled."""
        if spell is None:
            return []
        draws, rng, admins = self.draws, self.draws.rng, self.admins
        off_ts, on_ts = spell
        changes = [("account.disabled", off_ts)]
        if on_ts is not None:
            changes.append(("account.enabled", on_ts))
        rows = [
            (
                dt.datetime.fromtimestamp(when_ts, dt.UTC),
                c.account_id,
                c.org.id,
                self.categories[etype],
                etype,
                "success",
                "",
                rng.choice(admins) if admins else None,
                rng.choice(self.admin_ips),
                {"via": rng.choice(ADMIN_CHANNELS)},
            )
            for etype, when_ts in changes
        ]
        if rng.random() < 0.3:
            refused = draws.ts_between(off_ts, draws.anchor_ts if on_ts is None else on_ts)
            rows.append(self._sign_in(c, refused, "failure", "account_disabled"))
        return rows

    def _sign_in(self, c: Customer, ts: dt.datetime, result: str, reason: str) -> Row:
        return (
            ts,
            c.account_id,
            c.org.id,
            "customer_flow",
            "login",
            result,
            reason,
            None,
            c.ip,
            {"client_id": "customer-web"},
        )
