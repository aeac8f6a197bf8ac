"""Failed sign-in throttling, kept in the cache (Redis in production).

Three counters over a sliding-bucket window: per identifier and IP (the attacker's own
guesses), per identifier (a distributed attack on one account) and per IP (one source
spraying many accounts). The per-identifier lock is what an attacker could use against a
victim, so it expires with the window and does not apply on a device where that account
signed in successfully before (a signed "known device" cookie, as OWASP recommends): the
owner can always get in from their own browser.
"""

import hashlib
from dataclasses import dataclass

from django.conf import settings
from django.core import signing
from django.core.cache import cache

KNOWN_DEVICE_COOKIE = "orgdesk_device"
KNOWN_DEVICE_SALT = "orgdesk.security.known-device"
KNOWN_DEVICE_MAX_AGE = 180 * 86400


def _digest(identifier: str) -> str:
    return hashlib.sha256(identifier.strip().lower().encode()).hexdigest()[:32]


@dataclass(frozen=True)
class Verdict:
    allowed: bool
    retry_after: int = 0  # seconds


class SignInThrottle:
    def __init__(self, identifier: str, ip: str, known_device: bool = False) -> None:
        conf = settings.ORGDESK_THROTTLE
        self.window = conf["window_seconds"]
        self.limits = {
            "pair": conf["per_pair"],
            "identifier": conf["per_identifier"],
            "ip": conf["per_ip"],
        }
        digest = _digest(identifier)
        self.keys = {
            "pair": f"signin-fail:pair:{digest}:{ip}",
            "identifier": f"signin-fail:id:{digest}",
            "ip": f"signin-fail:ip:{ip}",
        }
        self.known_device = known_device

    def check(self) -> Verdict:
        counts = cache.get_many(list(self.keys.values()))
        for scope, key in self.keys.items():
            if scope == "identifier" and self.known_device:
                continue
            if counts.get(key, 0) >= self.limits[scope]:
                return Verdict(False, self.window)
        return Verdict(True)

    def failed(self) -> None:
        for key in self.keys.values():
            # add() starts the window at the first failure; incr() keeps its expiry.
            if not cache.add(key, 1, self.window):
                try:
                    cache.incr(key)
                except ValueError:  # expired between add() and incr()
                    cache.add(key, 1, self.window)

    def succeeded(self) -> None:
        cache.delete(self.keys["pair"])


def known_device_value(account_id: object) -> str:
    return signing.dumps({"a": str(account_id)}, salt=KNOWN_DEVICE_SALT)


def is_known_device(cookie: str | None, identifier_account_ids: set[str]) -> bool:
    if not cookie:
        return False
    try:
        data = signing.loads(cookie, salt=KNOWN_DEVICE_SALT, max_age=KNOWN_DEVICE_MAX_AGE)
    except signing.BadSignature:
        return False
    return data.get("a") in identifier_account_ids
