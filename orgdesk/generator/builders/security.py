"""Authenticators and customer sessions."""

import datetime as dt
import json
import uuid

from orgdesk.core.fields import encrypt_text
from orgdesk.generator import pools
from orgdesk.generator.builders import Row
from orgdesk.generator.builders.accounts import Customer
from orgdesk.generator.draws import Draws
from orgdesk.security.models import DEFAULT_LABELS, Authenticator, recovery_codes_identifier

DAY = dt.timedelta(days=1)
BASE32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"

AUTHENTICATOR_COLUMNS = (
    "id",
    "created",
    "updated",
    "account_id",
    "type",
    "label",
    "identifier",
    "secret",  # written as is, so encrypted here (core.fields.encrypt_text); "" for none
    "credential",
    "confirmed",
    "last_used",
)


def _used(draws: Draws, c: Customer, since_ts: float) -> dt.datetime | None:
    """When an authenticator added at `since_ts` was last used: at a sign-in after it was
    added, or never."""
    if c.last_login_ts is None or c.last_login_ts <= since_ts:
        return None
    return draws.ts_between(since_ts, c.last_login_ts)


def authenticator_rows(draws: Draws, c: Customer) -> list[Row]:
    """OTP by email or SMS for some verified addresses, set up with the account; TOTP,
    passkeys and security keys added later (`c.enrolled`), and for half the accounts with one
    of those, recovery codes made with the first. Last used at a sign-in after it was added,
    if any (`c.mfa`: the account holds a second factor)."""
    rng = draws.rng
    account_id, created = c.account_id, c.created
    created_ts, last_seen_ts = c.created_ts, c.last_seen_ts
    rows: list[Row] = []
    for verified, kind, p, address in (
        (c.email_verified, "email_otp", 0.3, c.email),
        (c.phone_verified, "sms_otp", 0.4, c.phone),
    ):
        if verified and rng.random() < p:
            rows.append(
                (
                    draws.uuid(),
                    created,
                    created,
                    account_id,
                    kind,
                    address,
                    address,
                    "",
                    {},
                    True,
                    _used(draws, c, created_ts),
                )
            )
    enrolled: list[float] = []
    if rng.random() < 0.2:
        seed32 = "".join(rng.choice(BASE32) for _ in range(32))
        added = draws.ts_between(created_ts, last_seen_ts)
        enrolled.append(added.timestamp())
        rows.append(
            (
                draws.uuid(),
                added,
                added,
                account_id,
                "totp",
                rng.choice(pools.TOTP_LABELS),
                "",
                encrypt_text(seed32),
                {},
                True,
                _used(draws, c, added.timestamp()),
            )
        )
    for kind, labels, p in (
        ("passkey", pools.PASSKEY_LABELS, 0.15),
        ("security_key", pools.SECURITY_KEY_LABELS, 0.03),
    ):
        if rng.random() < p:
            cred_id = draws.uuid().hex + draws.uuid().hex
            added = draws.ts_between(created_ts, last_seen_ts)
            enrolled.append(added.timestamp())
            rows.append(
                (
                    draws.uuid(),
                    added,
                    added,
                    account_id,
                    kind,
                    rng.choice(labels),
                    cred_id[:16],
                    "",
                    {
                        "credential_id": cred_id,
                        "public_key": draws.hexdigest(),
                        "sign_count": rng.randint(0, min(500, c.login_count)),
                        "transports": ["internal", "hybrid"] if kind == "passkey" else ["usb"],
                    },
                    True,
                    _used(draws, c, added.timestamp()),
                )
            )
    if enrolled and rng.random() < 0.5:
        codes = [draws.hexdigest() for _ in range(10)]
        first = dt.datetime.fromtimestamp(min(enrolled), dt.UTC)
        rows.append(
            (
                draws.uuid(),
                first,
                first,
                account_id,
                "recovery_codes",
                DEFAULT_LABELS[Authenticator.Type.RECOVERY_CODES],
                recovery_codes_identifier(len(codes)),
                encrypt_text(json.dumps(codes)),
                {},
                True,
                None,
            )
        )
    c.mfa = bool(rows)
    c.enrolled = sorted(enrolled)
    return rows


CUSTOMER_SESSION_COLUMNS = (
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
)


class SessionBuilder:
    """One to three recent sessions for some of the accounts that signed in."""

    def __init__(self, draws: Draws, ips: list[tuple[str, str]], apps: list[uuid.UUID]) -> None:
        self.draws = draws
        self.ips = ips
        self.apps = apps
        self.devices = [pools.device_of(ua) for ua in pools.USER_AGENTS]

    def rows(self, c: Customer) -> list[Row]:
        """The session of the last sign-in (from the account's last IP address), perhaps
        older ones started in the month before; each a sign-in the account's login_count
        counts. Disabling the account ended those still open then."""
        draws, rng, last_login_ts = self.draws, self.draws.rng, c.last_login_ts
        if not (last_login_ts and rng.random() < 0.35):
            return []
        uas, rows = pools.USER_AGENTS, []
        signed_out_ts = c.spell[0] if c.spell is not None else None
        # Used until now, or until the account was disabled.
        end_ts = c.end_ts if signed_out_ts is None else signed_out_ts
        for i in range(min(rng.randint(1, 3), c.login_count)):
            ua_index = rng.randrange(len(uas))
            if i == 0:
                ip, country = c.ip, c.country
                start_ts = last_login_ts
            else:
                ip, country = rng.choice(self.ips)
                start_ts = max(last_login_ts - 30 * 86400, c.created_ts)
                start_ts += (last_login_ts - start_ts) * rng.random()
            activity_ts = start_ts + min(rng.random() * 72 * 3600, end_ts - start_ts)
            start = dt.datetime.fromtimestamp(start_ts, dt.UTC)
            activity = dt.datetime.fromtimestamp(activity_ts, dt.UTC)
            expires = activity + dt.timedelta(days=14)
            revoked = None
            if signed_out_ts is not None and expires.timestamp() > signed_out_ts:
                revoked = dt.datetime.fromtimestamp(max(signed_out_ts, activity_ts), dt.UTC)
            elif rng.random() < 0.08:
                revoked = min(activity + DAY, draws.anchor)  # the customer signed out
            rows.append(
                (
                    draws.uuid(),
                    start,
                    activity,
                    c.account_id,
                    rng.choice(self.apps),
                    draws.hexdigest(),
                    uas[ua_index],
                    self.devices[ua_index],
                    ip,
                    "",
                    country,
                    activity,
                    expires,
                    revoked,
                )
            )
        return rows
