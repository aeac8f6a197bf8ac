"""Consent records."""

import uuid

from orgdesk.generator.builders import Row
from orgdesk.generator.builders.accounts import Customer
from orgdesk.generator.draws import Draws

CONSENT_RECORD_COLUMNS = (
    "id",
    "created",
    "updated",
    "account_id",
    "policy_id",
    "granted_at",
    "revoked_at",
)


def consent_rows(draws: Draws, policies: list[uuid.UUID], c: Customer) -> list[Row]:
    """For most accounts: the terms (one version or the other) and the privacy policy, some
    of the optional policies too (`policies` in reference.CONSENT_POLICIES order); only
    optional ones are ever revoked; given and withdrawn while the customer was signed in
    (`c.consents`: when)."""
    rng = draws.rng
    if rng.random() >= 0.75:
        return []
    optional = policies[3:]
    chosen = [policies[1 if rng.random() < 0.7 else 0], policies[2]]
    if rng.random() < 0.35:
        chosen.append(policies[3])
    if rng.random() < 0.1:
        chosen.append(policies[4])
    rows = []
    times: list[tuple[float, float | None]] = []
    for policy_id in chosen:
        # Given or withdrawn by the customer: at sign-up, or later while signed in.
        granted = draws.ts_between(c.created_ts, c.last_seen_ts)
        revoked_at = None
        if policy_id in optional and rng.random() < 0.25 and c.last_seen_ts > granted.timestamp():
            revoked_at = draws.ts_between(granted.timestamp(), c.last_seen_ts)
        times.append((granted.timestamp(), revoked_at.timestamp() if revoked_at else None))
        updated = revoked_at or granted
        rows.append((draws.uuid(), granted, updated, c.account_id, policy_id, granted, revoked_at))
    c.consents = times
    return rows
