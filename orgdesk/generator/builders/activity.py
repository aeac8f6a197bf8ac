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
# How accounts come to exist: they sign up, or an admin creates them.
REGISTERED = 0.6
# What an account that never signed in can have done: no session, so no token, logout,
# second factor or consent of its own.
WITHOUT_SIGN_IN = frozenset({"login", "password_reset", "email_verification"})
# Customer flows that save the account's row (a new password).
SAVING_FLOWS = frozenset({"password_reset", "password_change"})


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
        """The account's creation, when it added its strong authenticators, its everyday
        events, then its last sign-in. Everything agrees with the other tables: nothing
        before the creation or after the disabling, sign-ins no more than `login_count`,
        MFA challenges only with a second factor, consents when the consent records say, an
        admin's edits raising the account's `updated`. Fills `c.updated_ts`."""
        draws, rng, admins, admin_ips = self.draws, self.draws.rng, self.admins, self.admin_ips
        categories, account_id, org_id = self.categories, c.account_id, c.org.id
        created_ts, end_ts = c.created_ts, c.end_ts
        signed_in = c.last_login_ts is not None
        until_ts = c.last_seen_ts if signed_in else end_ts
        budget = self.per_account
        rows: list[Row] = []
        if budget:
            budget -= 1
            if rng.random() < REGISTERED:
                rows.append(self._customer(c, c.created, "registration", "success", ""))
            else:
                rows.append(self._admin(c, c.created, "account.created"))
        for enrolled_ts in (c.enrolled or ())[:budget]:
            budget -= 1
            when = dt.datetime.fromtimestamp(enrolled_ts, dt.UTC)
            rows.append(self._customer(c, when, "mfa_enrolment", "success", ""))
        # Sign-ins the log may show besides the last one.
        logins_left = c.login_count - 1
        for _ in range(budget):
            result, reason = "success", ""
            if rng.random() < 0.1:
                etype = self.pick_admin_event()
                actor = rng.choice(admins) if admins else None
                ip = rng.choice(admin_ips)
                meta: dict[str, Any] = {"via": rng.choice(ADMIN_CHANNELS)}
                when = draws.ts_between(created_ts, end_ts)
                if etype == "account.password_reset_sent" and not c.email:
                    etype = "account.updated"
                elif etype == "group.member_added":
                    if c.joined:
                        when = dt.datetime.fromtimestamp(rng.choice(c.joined), dt.UTC)
                    else:
                        etype = "account.updated"
                elif etype == "role.granted":
                    if c.granted_ts is not None:
                        when = dt.datetime.fromtimestamp(c.granted_ts, dt.UTC)
                    else:
                        etype = "account.updated"
                elif etype == "identity.verified":
                    if c.verified_manually_ts is not None:
                        when = dt.datetime.fromtimestamp(c.verified_manually_ts, dt.UTC)
                    else:
                        etype = "account.updated"
                if etype == "account.updated":
                    c.updated_ts = max(c.updated_ts, when.timestamp())
            else:
                etype = self.pick_customer_event()
                actor = None
                ip = c.ip
                meta = {
                    "client_id": rng.choice(CLIENT_IDS),
                    "user_agent_index": rng.randrange(len(pools.USER_AGENTS)),
                }
                when = draws.ts_between(created_ts, until_ts)
                if not signed_in and etype not in WITHOUT_SIGN_IN:
                    continue
                if etype in FAILURE_REASONS and rng.random() < 0.12:
                    result, reason = "failure", rng.choice(FAILURE_REASONS[etype])
                    if reason == "mfa_failed" and not c.mfa:
                        reason = "invalid_password"
                if not signed_in and etype in ("login", "password_reset") and result == "success":
                    # Never signed in: its attempts failed, its reset link was not used.
                    result, reason = "failure", FAILURE_REASONS[etype][0]
                if etype == "login" and result == "success":
                    if logins_left > 0:
                        logins_left -= 1
                    else:
                        etype = "token_request"
                elif etype == "mfa_challenge" and not c.mfa:
                    etype, result, reason = "token_request", "success", ""
                elif etype == "email_verification":
                    if not c.email:
                        continue
                    if not c.email_verified:
                        result, reason = "failure", "expired_link"
                elif etype in ("consent_granted", "consent_revoked"):
                    times = [
                        granted if etype == "consent_granted" else revoked
                        for granted, revoked in c.consents or ()
                    ]
                    found = [t for t in times if t is not None]
                    if found:
                        when = dt.datetime.fromtimestamp(rng.choice(found), dt.UTC)
                    else:
                        etype = "token_request"
                if etype in SAVING_FLOWS and result == "success":
                    c.updated_ts = max(c.updated_ts, when.timestamp())
            rows.append(
                (
                    when,
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

    def _customer(self, c: Customer, ts: dt.datetime, etype: str, result: str, reason: str) -> Row:
        return (
            ts,
            c.account_id,
            c.org.id,
            "customer_flow",
            etype,
            result,
            reason,
            None,
            c.ip,
            {"client_id": "customer-web"},
        )

    def _admin(self, c: Customer, ts: dt.datetime, etype: str) -> Row:
        rng = self.draws.rng
        return (
            ts,
            c.account_id,
            c.org.id,
            "admin_action",
            etype,
            "success",
            "",
            rng.choice(self.admins) if self.admins else None,
            rng.choice(self.admin_ips),
            {"via": rng.choice(ADMIN_CHANNELS)},
        )

    def disabling_rows(self, c: Customer) -> list[Row]:
        """An admin's event when the account was disabled, and when enabled again; perhaps
        sign-ins refused while it was disabled."""
        spell = c.spell
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
