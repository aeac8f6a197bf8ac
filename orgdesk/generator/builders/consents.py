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
    optional ones are ever revoked."""
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
    for policy_id in chosen:
        granted = draws.ts_between(c.created_ts, draws.anchor_ts)
        revoked_at = None
        if policy_id in optional and rng.random() < 0.25:
            revoked_at = draws.ts_between(granted.timestamp(), draws.anchor_ts)
        rows.append((draws.uuid(), granted, granted, c.account_id, policy_id, granted, revoked_at))
    return rows
