"""Organizations and their groups."""

import datetime as dt
import uuid

from orgdesk.generator import pools
from orgdesk.generator.builders import Row
from orgdesk.generator.draws import Draws
from orgdesk.generator.trees import Org

ORGANIZATION_COLUMNS = (
    "id",
    "created",
    "updated",
    "key",
    "name",
    "slug",
    "parent_id",
    "root_id",
    "path",
    "route",
    "depth",
    "application_id",
    "hierarchy_unique_identifiers",
)


def organization_row(org: Org, created: dt.datetime, portal_id: uuid.UUID) -> Row:
    return (
        org.id,
        created,
        created,
        org.key,
        org.name,
        org.slug,
        org.parent.id if org.parent else None,
        org.root.id,
        org.path,
        org.route,
        org.depth,
        portal_id,
        True,
    )


GROUP_COLUMNS = (
    "id",
    "created",
    "updated",
    "organization_id",
    "name",
    "description",
)


def group_rows(draws: Draws, org: Org, created: dt.datetime) -> list[Row]:
    """Two to five groups; their ids join `org.group_ids`, where accounts find them."""
    rng = draws.rng
    rows = []
    for name in rng.sample(pools.GROUP_NAMES, rng.randint(2, 5)):
        gid = draws.uuid()
        org.group_ids.append(gid)
        rows.append((gid, created, created, org.id, name, ""))
    return rows
