"""Authenticators and customer sessions."""

import datetime as dt
import json
import uuid

from orgdesk.core.fields import encrypt_text
from orgdesk.generator import pools
from orgdesk.generator.builders import Row
from orgdesk.generator.builders.accounts import Customer
from orgdesk.generator.draws import Draws

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


def authenticator_rows(draws: Draws, c: Customer) -> list[Row]:
    """OTP by email or SMS for some verified addresses; TOTP, passkeys and security keys,
    and for half the accounts with one of those, recovery codes."""
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
                    draws.ts_between(created_ts, last_seen_ts),
                )
            )
    strong = False
    if rng.random() < 0.2:
        strong = True
        seed32 = "".join(rng.choice(BASE32) for _ in range(32))
        rows.append(
            (
                draws.uuid(),
                created,
                created,
                account_id,
                "totp",
                rng.choice(pools.TOTP_LABELS),
                "",
                encrypt_text(seed32),
                {},
                True,
                draws.ts_between(created_ts, last_seen_ts),
            )
        )
    for kind, labels, p in (
        ("passkey", pools.PASSKEY_LABELS, 0.15),
        ("security_key", pools.SECURITY_KEY_LABELS, 0.03),
    ):
        if rng.random() < p:
            strong = True
            cred_id = draws.uuid().hex + draws.uuid().hex
            rows.append(
                (
                    draws.uuid(),
                    created,
                    created,
                    account_id,
                    kind,
                    rng.choice(labels),
                    cred_id[:16],
                    "",
                    {
                        "credential_id": cred_id,
                        "public_key": draws.hexdigest(),
                        "sign_count": rng.randint(0, 500),
                        "transports": ["internal", "hybrid"] if kind == "passkey" else ["usb"],
                    },
                    True,
                    draws.ts_between(created_ts, last_seen_ts),
                )
            )
    if strong and rng.random() < 0.5:
        codes = [draws.hexdigest() for _ in range(10)]
        rows.append(
            (
                draws.uuid(),
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
        draws, rng, last_login_ts = self.draws, self.draws.rng, c.last_login_ts
        if not (last_login_ts and rng.random() < 0.35):
            return []
        uas, rows = pools.USER_AGENTS, []
        for _ in range(rng.randint(1, 3)):
            ua_index = rng.randrange(len(uas))
            ip, country = rng.choice(self.ips)
            activity = draws.ts_between(
                max(last_login_ts - 30 * 86400, c.created_ts), last_login_ts
            )
            start = max(activity - dt.timedelta(hours=rng.randint(0, 72)), c.created)
            revoked = min(activity + DAY, draws.anchor) if rng.random() < 0.08 else None
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
                    activity + dt.timedelta(days=14),
                    revoked,
                )
            )
        return rows
