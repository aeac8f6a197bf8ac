"""Arguments of a generation run, checked before anything is written."""

import datetime as dt
from dataclasses import dataclass, field

# Generated phone numbers are unique for up to 8M accounts a run (see pools.LOCALES).
MAX_ACCOUNTS = 5_000_000
MAX_DEPTH = 12
MAX_SEED = 65_535  # the seed keys the generated ids' high bits (see Generator.uuid)


class GenerateError(ValueError):
    """Impossible arguments or an unusable database; the message is one line for the CLI."""


@dataclass(frozen=True)
class Plan:
    accounts: int
    orgs: int
    depth: int = 3
    seed: int = 1
    trees: int = 3
    events_per_account: int = 5
    batch_size: int = 5_000
    anchor: dt.datetime = field(
        default_factory=lambda: dt.datetime.now(dt.UTC).replace(
            hour=0, minute=0, second=0, microsecond=0
        )
    )
    # An unusable hash: generated customers cannot sign in.
    customer_password_hash: str = "!"  # noqa: S105

    def check(self) -> "Plan":
        if self.accounts < 1:
            raise GenerateError(f"--accounts must be at least 1 (got {self.accounts})")
        if self.accounts > MAX_ACCOUNTS:
            raise GenerateError(f"--accounts is at most {MAX_ACCOUNTS:,} (got {self.accounts:,})")
        if self.orgs < 1:
            raise GenerateError(f"--orgs must be at least 1 (got {self.orgs})")
        if self.depth < 1 or self.depth > MAX_DEPTH:
            raise GenerateError(f"--depth must be between 1 and {MAX_DEPTH} (got {self.depth})")
        if self.trees < 1:
            raise GenerateError(f"--trees must be at least 1 (got {self.trees})")
        if self.orgs > self.accounts:
            raise GenerateError(
                f"--orgs ({self.orgs:,}) cannot exceed --accounts ({self.accounts:,}): "
                "every organization gets at least one account"
            )
        if self.trees > self.orgs:
            raise GenerateError(f"--trees ({self.trees}) cannot exceed --orgs ({self.orgs})")
        if self.depth > 1 and self.orgs < self.trees * self.depth:
            raise GenerateError(
                f"--orgs ({self.orgs}) is too few for {self.trees} tree(s) of depth "
                f"{self.depth}: need at least {self.trees * self.depth}"
            )
        if self.depth == 1 and self.orgs != self.trees:
            raise GenerateError(
                f"--depth 1 means only roots: --orgs ({self.orgs}) must equal --trees "
                f"({self.trees})"
            )
        if self.events_per_account < 0 or self.events_per_account > 1000:
            raise GenerateError(
                f"--events-per-account must be between 0 and 1000 (got {self.events_per_account})"
            )
        if not 0 <= self.seed <= MAX_SEED:
            raise GenerateError(f"--seed must be between 0 and {MAX_SEED} (got {self.seed})")
        if self.batch_size < 1:
            raise GenerateError("--batch-size must be at least 1")
        return self
