"""Role assignments: a few admins, some of them across organizations of their tree."""

import uuid

from orgdesk.generator.builders import Row
from orgdesk.generator.builders.accounts import Customer
from orgdesk.generator.draws import Draws
from orgdesk.generator.trees import Org

ROLE_ASSIGNMENT_COLUMNS = ("account_id", "organization_id", "role_id", "created")


class GrantBuilder:
    """Grants roles and keeps the run's admins in `admins` (later rows name them as actors,
    so it is the caller's list, shared)."""

    def __init__(
        self, draws: Draws, roles: dict[str, uuid.UUID], orgs: list[Org], admins: list[uuid.UUID]
    ) -> None:
        self.draws = draws
        self.admin_role = roles["admin"]
        self.role_ids = [
            roles["admin"],
            roles["organization-manager"],
            roles["account-recovery-assistant"],
        ]
        self.tree_orgs: dict[int, list[Org]] = {}
        for org in orgs:
            self.tree_orgs.setdefault(org.tree_index, []).append(org)
        self.admins = admins
        self.cross_grants = 0

    def rows(self, c: Customer) -> list[Row]:
        rng, org = self.draws.rng, c.org
        # The first account placed in each root administers its tree.
        if c.placed and org.parent is None:
            self.admins.append(c.account_id)
            c.granted_ts = c.created_ts
            return [(c.account_id, org.id, self.admin_role, c.created)]
        if rng.random() < 0.006 and not c.disabled:
            # Every fifth grant reaches across the tree, outside the account's own branch
            # (a counter rather than a coin, so that small runs have some too).
            lineage = [*org.ancestors, org]
            self.cross_grants += 1
            across = []
            if self.cross_grants % 5 == 1:
                across = [o for o in self.tree_orgs[org.tree_index] if o not in lineage]
            target = rng.choice(across or lineage)
            self.admins.append(c.account_id)
            c.granted_ts = c.created_ts
            return [(c.account_id, target.id, rng.choice(self.role_ids), c.created)]
        return []
