"""The organization trees of a run, built in memory before anything is written."""

import itertools
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field

from django.utils.text import slugify

from orgdesk.core.ids import key_from_int
from orgdesk.generator import pools
from orgdesk.generator.draws import Draws
from orgdesk.generator.plan import Plan


@dataclass
class Org:
    id: uuid.UUID
    key: str
    name: str
    slug: str
    parent: "Org | None"
    top: "Org | None"  # the tree's root; None for the root itself (see `root`)
    depth: int
    path: str = ""
    route: str = ""
    ancestors: list["Org"] = field(default_factory=list)
    group_ids: list[uuid.UUID] = field(default_factory=list)
    tree_index: int = 0

    @property
    def root(self) -> "Org":
        return self.top or self


def build_trees(plan: Plan, draws: Draws, taken_root_slugs: set[str]) -> list[Org]:
    """`plan.trees` trees of `plan.orgs` organizations in all, each as deep as the plan says.
    Root slugs avoid `taken_root_slugs` (roots already in the database) and are added to it."""
    rng = draws.rng
    company = pools.company_names(plan.seed, plan.trees)
    cities = pools.city_names(plan.seed, max(64, plan.orgs))
    counter = itertools.count(plan.seed * 10_000_000 + 1)
    orgs: list[Org] = []
    per_tree = [plan.orgs // plan.trees] * plan.trees
    for i in range(plan.orgs % plan.trees):
        per_tree[i] += 1
    for t in range(plan.trees):
        name = company[t]
        slug = slugify(name)[:90] or "company"
        while slug in taken_root_slugs:
            slug = f"{slug[:84]}-{rng.randrange(10**5):05d}"
        taken_root_slugs.add(slug)
        root = Org(
            draws.uuid(),
            key_from_int(next(counter) * 7919 % 36**8),
            name,
            slug,
            None,
            None,
            0,
            tree_index=t,
        )
        tree = [root]
        # A chain to the full depth first, then attach the rest at random levels.
        parent = root
        for level in range(1, plan.depth):
            child = _child(draws, parent, level, tree, cities, counter)
            tree.append(child)
            parent = child
        while len(tree) < per_tree[t]:
            candidates = [o for o in tree if o.depth < plan.depth - 1]
            parent = rng.choice(candidates)
            tree.append(_child(draws, parent, parent.depth + 1, tree, cities, counter))
        orgs.extend(tree)
    for org in orgs:
        if org.parent is None:
            org.path, org.route = f"/{org.key}/", org.name
        else:
            org.path = f"{org.parent.path}{org.key}/"
            org.route = f"{org.parent.route} / {org.name}"
            org.ancestors = [*org.parent.ancestors, org.parent]
    return orgs


def _child(
    draws: Draws,
    parent: Org,
    depth: int,
    tree: list[Org],
    cities: list[str],
    counter: Iterator[int],
) -> Org:
    rng = draws.rng
    siblings = {o.slug for o in tree if o.parent is parent}
    if depth == 1:
        base = rng.choice(pools.REGION_NAMES)
    elif depth == 2:
        base = f"{rng.choice(cities)} store"
    else:
        base = f"{rng.choice(pools.GROUP_NAMES)} team"
    name, n = base, 2
    while slugify(name) in siblings:
        name, n = f"{base} {n}", n + 1
    return Org(
        draws.uuid(),
        key_from_int(next(counter) * 7919 % 36**8),
        name,
        slugify(name)[:100],
        parent,
        parent.root,
        depth,
        tree_index=parent.tree_index,
    )
