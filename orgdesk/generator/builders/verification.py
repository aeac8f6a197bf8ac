"""Identity verification results."""

import datetime as dt
import uuid

from orgdesk.generator.builders import Row
from orgdesk.generator.builders.accounts import Customer
from orgdesk.generator.draws import Draws
from orgdesk.verification.models import VerificationPolicy

DAY = dt.timedelta(days=1)


VERIFICATION_RESULT_COLUMNS = (
    "id",
    "created",
    "updated",
    "account_id",
    "policy_id",
    "attempts",
    "verified",
    "verified_at",
    "manual",
    "revoked",
    "revoked_at",
)


def verification_rows(
    draws: Draws, tree_policies: dict[uuid.UUID, list[VerificationPolicy]], c: Customer
) -> list[Row]:
    """For some accounts, a result under one of the policies that apply in their tree."""
    rng = draws.rng
    if rng.random() >= 0.1:
        return []
    policy = rng.choice(tree_policies[c.org.root.id])
    verified = rng.random() < 0.7
    when = draws.ts_between(c.created_ts, c.end_ts)  # while the account was enabled
    revoked = verified and rng.random() < 0.06
    manual = rng.random() < 0.2
    revoked_at = min(when + DAY * rng.randint(1, 90), draws.anchor) if revoked else None
    if verified and manual:
        c.verified_manually_ts = when.timestamp()
    return [
        (
            draws.uuid(),
            when,
            revoked_at or when,
            c.account_id,
            policy.id,
            rng.randint(1, 3),
            verified,
            when if verified else None,
            manual,
            revoked,
            revoked_at,
        )
    ]
