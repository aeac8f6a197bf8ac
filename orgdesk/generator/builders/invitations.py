"""Invitations: pending, expired ("Outdated"), accepted and revoked."""

import datetime as dt
import uuid

from orgdesk.generator.builders import Row
from orgdesk.generator.draws import Draws
from orgdesk.generator.trees import Org

DAY_S = 86400
TWO_YEARS = 730 * DAY_S
VALID_FOR = dt.timedelta(days=7)


INVITATION_COLUMNS = (
    "id",
    "created",
    "updated",
    "organization_id",
    "email",
    "given_name",
    "family_name",
    "application_id",
    "token_hash",
    "status",
    "last_sent",
    "expires",
    "invited_by_id",
    "accepted_account_id",
    "accepted_at",
    "locale",
)


class InvitationBuilder:
    def __init__(
        self, draws: Draws, seed: int, portal_id: uuid.UUID, admins: list[uuid.UUID]
    ) -> None:
        self.draws = draws
        self.seed = seed
        self.portal_id = portal_id
        self.admins = admins

    def row(self, i: int, org: Org) -> Row:
        """The run's `i`th invitation, to `org`; sent by one of the run's admins."""
        draws, rng, anchor_ts = self.draws, self.draws.rng, self.draws.anchor_ts
        r = rng.random()
        accepted_at = None
        changed = None  # accepted or revoked: the invitation's row was saved then
        if r < 0.45:  # pending and still valid
            sent = draws.ts_between(anchor_ts - 6 * DAY_S, anchor_ts)
            status = "pending"
        elif r < 0.7:  # pending but expired: "Outdated"
            sent = draws.ts_between(anchor_ts - TWO_YEARS, anchor_ts - 8 * DAY_S)
            status = "pending"
        elif r < 0.95:
            sent = draws.ts_between(anchor_ts - TWO_YEARS, anchor_ts - DAY_S)
            status = "accepted"
            accepted_at = min(sent + dt.timedelta(hours=rng.randint(1, 100)), draws.anchor)
            changed = accepted_at
        else:
            sent = draws.ts_between(anchor_ts - TWO_YEARS, anchor_ts - DAY_S)
            status = "revoked"
            changed = draws.ts_between(sent.timestamp(), anchor_ts)
        created = sent - dt.timedelta(days=rng.randint(0, 3))
        return (
            draws.uuid(),
            created,
            changed or sent,
            org.id,
            f"invitee{self.seed}-{i}@{org.root.slug[:40]}.example",
            "",
            "",
            self.portal_id,
            draws.hexdigest(),
            status,
            sent,
            sent + VALID_FOR,
            rng.choice(self.admins) if self.admins else None,
            None,
            accepted_at,
            "en",
        )
