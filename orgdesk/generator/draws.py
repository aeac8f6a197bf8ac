"""The run's one seeded random stream, and the values made from it.

Everything the generator writes comes from this stream, so a seed's data depends on the
order of the draws: builders are called in a fixed order and keep their draws in the order
the original rows were written.
"""

import bisect
import datetime as dt
import hashlib
import itertools
import random
import uuid
from collections.abc import Callable


class Draws:
    def __init__(self, seed: int, anchor: dt.datetime) -> None:
        self.rng = random.Random(seed)
        self.anchor = anchor
        self.anchor_ts = anchor.timestamp()
        self._uuid_base = seed << 32
        self._uuid_counter = 0

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


def weighted(rng: random.Random, items: list[tuple[str, int]]) -> Callable[[], str]:
    """A picker of names by weight; making it draws nothing, each pick draws once."""
    names = [n for n, _ in items]
    cum = list(itertools.accumulate(w for _, w in items))
    total = cum[-1]

    def pick() -> str:
        return names[bisect.bisect_right(cum, rng.random() * total)]

    return pick
