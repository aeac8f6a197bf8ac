"""Failed sign-in throttling, with counters every server process shares.

Three counters over a sliding-bucket window: per identifier and IP (the attacker's own
guesses), per identifier (a distributed attack on one account) and per IP (one source
spraying many accounts). The per-identifier lock is what an attacker could use against a
victim, so it expires with the window and does not apply on a device where that account
signed in successfully before (a signed "known device" cookie, as OWASP recommends): the
owner can always get in from their own browser.

The counters must be exact across processes (gunicorn workers, several servers), or every
limit multiplies by the number of processes. `counters()` picks the store: Redis when it is
the default cache (INCR and EXPIRE in one Lua script), else a database table counted by one
atomic upsert (`ThrottleCounter`). A cache's add() then incr() is not enough: on Django's
DatabaseCache incr() is a read then a write, and two processes lose increments.
"""

import hashlib
import random
import time
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core import signing
from django.core.cache import DEFAULT_CACHE_ALIAS, caches
from django.core.cache.backends.redis import RedisCache
from django.db import connection, transaction

if TYPE_CHECKING:
    import redis

KNOWN_DEVICE_COOKIE = "orgdesk_device"
KNOWN_DEVICE_SALT = "orgdesk.security.known-device"
KNOWN_DEVICE_MAX_AGE = 180 * 86400


def _digest(identifier: str) -> str:
    return hashlib.sha256(identifier.strip().lower().encode()).hexdigest()[:32]


@dataclass(frozen=True)
class Verdict:
    allowed: bool
    retry_after: int = 0  # seconds


# ---- counters shared by every process ----------------------------------------------------

# Database counters: the share of hits that also delete expired rows (keeps the table small).
PURGE_PROBABILITY = 0.01
PURGE_BATCH = 1000

# KEYS: the counters; ARGV[1]: the window in seconds. A counter's window starts at its first
# hit; a counter found without an expiry (left by a non-atomic incr) gets one.
_REDIS_HIT = """
for _, key in ipairs(KEYS) do
  if redis.call('INCR', key) == 1 or redis.call('TTL', key) < 0 then
    redis.call('EXPIRE', key, ARGV[1])
  end
end
return 0
"""


def _now() -> float:
    return time.time()


@lru_cache(maxsize=4)
def _redis_client(url: str) -> "redis.Redis":
    import redis

    return redis.Redis.from_url(url)


def _redis_write_url(location: str | list[str]) -> str:
    # Django's RedisCache writes to the first of its servers; so do we.
    servers = location if isinstance(location, list | tuple) else location.split(",")
    return servers[0].strip()


class RedisCounters:
    """Counters in the default cache's Redis, under the cache's own key names: cache.get()
    reads them and cache.delete() removes them."""

    def __init__(self, cache: RedisCache) -> None:
        self.cache = cache
        self.client = _redis_client(
            _redis_write_url(settings.CACHES[DEFAULT_CACHE_ALIAS]["LOCATION"])
        )

    def _names(self, keys: Iterable[str]) -> dict[str, str]:
        return {self.cache.make_and_validate_key(key): key for key in keys}

    def hit(self, keys: Iterable[str], window: int) -> None:
        names = sorted(self._names(keys))
        if names:
            self.client.eval(_REDIS_HIT, len(names), *names, max(1, int(window)))

    def get(self, keys: Iterable[str]) -> dict[str, int]:
        names = self._names(keys)
        if not names:
            return {}
        values = self.client.mget(list(names))
        return {names[n]: int(v) for n, v in zip(names, values, strict=True) if v is not None}

    def delete(self, keys: Iterable[str]) -> None:
        names = list(self._names(keys))
        if names:
            self.client.delete(*names)


class DatabaseCounters:
    """Counters in the `security_throttlecounter` table. One INSERT ... ON CONFLICT DO UPDATE
    SET count = count + 1 per hit (PostgreSQL and SQLite): the database serialises concurrent
    hits on a row, so none is lost; a row whose window ended starts again at 1."""

    def _model(self) -> Any:
        from orgdesk.security.models import ThrottleCounter

        return ThrottleCounter

    def hit(self, keys: Iterable[str], window: int) -> None:
        # Sorted and distinct: concurrent upserts lock rows in one order (no deadlock).
        keys = sorted(set(keys))
        if not keys:
            return
        model = self._model()
        now = _now()
        qn = connection.ops.quote_name
        table = qn(model._meta.db_table)
        key, count, expires = (
            qn(model._meta.get_field(name).column) for name in ("key", "count", "expires_at")
        )
        values = ", ".join(["(%s, 1, %s)"] * len(keys))
        sql = (
            f"INSERT INTO {table} ({key}, {count}, {expires}) VALUES {values} "
            f"ON CONFLICT ({key}) DO UPDATE SET "
            f"{count} = CASE WHEN {table}.{expires} <= %s THEN 1 ELSE {table}.{count} + 1 END, "
            f"{expires} = CASE WHEN {table}.{expires} <= %s "
            f"THEN EXCLUDED.{expires} ELSE {table}.{expires} END"
        )
        params: list[Any] = []
        for k in keys:
            params += [k, now + window]
        with connection.cursor() as cursor:
            cursor.execute(sql, [*params, now, now])
        # Not inside a caller's transaction: its row locks would last until that commits.
        if not connection.in_atomic_block and random.random() < PURGE_PROBABILITY:
            self.purge(now)

    def get(self, keys: Iterable[str]) -> dict[str, int]:
        keys = list(keys)
        if not keys:
            return {}
        rows = self._model().objects.filter(key__in=keys, expires_at__gt=_now())
        return dict(rows.values_list("key", "count"))

    def delete(self, keys: Iterable[str]) -> None:
        keys = list(keys)
        if keys:
            self._model().objects.filter(key__in=keys).delete()

    def purge(self, now: float | None = None) -> None:
        """Delete expired rows, a batch at a time. On PostgreSQL rows another transaction has
        locked are skipped rather than waited for, so a purge never blocks a hit."""
        model = self._model()
        expired = model.objects.filter(expires_at__lte=_now() if now is None else now)
        if connection.vendor == "postgresql":
            with transaction.atomic():
                batch = list(
                    expired.select_for_update(skip_locked=True).values_list("key", flat=True)[
                        :PURGE_BATCH
                    ]
                )
                model.objects.filter(key__in=batch).delete()
        else:
            model.objects.filter(key__in=expired.values("key")[:PURGE_BATCH]).delete()


def counters() -> RedisCounters | DatabaseCounters:
    """The shared counter store: Redis when the default cache is Redis, else the database
    (never a per-process cache, whatever CACHES says)."""
    cache = caches[DEFAULT_CACHE_ALIAS]
    if isinstance(cache, RedisCache):
        return RedisCounters(cache)
    return DatabaseCounters()


# ---- sign-in throttle ----------------------------------------------------------------------


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
        self.counters = counters()

    def check(self) -> Verdict:
        counts = self.counters.get(self.keys.values())
        for scope, key in self.keys.items():
            if scope == "identifier" and self.known_device:
                continue
            if counts.get(key, 0) >= self.limits[scope]:
                return Verdict(False, self.window)
        return Verdict(True)

    def failed(self) -> None:
        # One atomic hit on the three counters; the window starts at the first failure.
        self.counters.hit(self.keys.values(), self.window)

    def succeeded(self) -> None:
        self.counters.delete([self.keys["pair"]])


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
