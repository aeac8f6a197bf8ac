"""The list use-case: one function runs any resource's list for an actor.

A resource describes its list once, as a `ListSpec` (accounts/lists.py, invitations/lists.py):
the permission that shows its rows, the base query, the FilterSet, the orders, whether it can
reach the organizations below, and its search. `run_list` then does, the same way for every
screen and client (the portal today, the console and the API next):

    scope (restrict to what the actor may see, within an organization)
    → parameter checks (scope, order, search text) → filters (a bad one is dropped with a
    problem, never a query) → search → order → keyset page (a stale cursor falls back to the
    first page) → bounded count

and answers the page, the problems found in the request (each one already undone, so the page
shows what it says), and the parameters actually applied — what a screen links to, remembers
or echoes. Nothing here knows about HTTP, templates or preferences.

Adding a list is a spec and a call:

    ORGANIZATIONS = ListSpec(
        name="organizations", permission="organizations.view",
        rows=lambda: Organization.objects.all(), filterset=OrganizationFilter,
        orderings={"name": Ordering("name", "name")},
    )
    result = run_list(ORGANIZATIONS, actor, request.GET, within=None, size=50)
"""

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import django_filters
from django.db.models import QuerySet, prefetch_related_objects
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from orgdesk.access.actor import Actor
from orgdesk.access.scoping import require, restrict, tenant_field
from orgdesk.core.listing import BadCursor, ExactCount, Ordering, Page, exact_count, paginate
from orgdesk.organizations.models import Organization

SCOPE_ORG = "org"
SCOPE_TREE = "tree"
TOO_LONG = gettext_lazy("The search text is too long (at most 100 characters).")
UNKNOWN_ORDER = gettext_lazy("Unknown sort order; sorted by the default order.")


class ListFilterSet(django_filters.FilterSet):
    """A FilterSet of a list: the actor and the organization of the list are given to it, so
    filters that look at grants or groups answer only what that actor may see there."""

    def __init__(
        self,
        data: Any = None,
        queryset: QuerySet[Any] | None = None,
        *,
        actor: Actor | None = None,
        organization: Organization | None = None,
        **kwargs: Any,
    ) -> None:
        self.actor = actor
        self.organization = organization
        super().__init__(data, queryset, **kwargs)

    @property
    def active(self) -> dict[str, Any]:
        """The filters in use, by name (valid values only)."""
        if not self.is_bound or not self.is_valid():
            return {}
        return {k: v for k, v in self.form.cleaned_data.items() if v not in (None, "")}


@dataclass(frozen=True)
class Search:
    """A list's search box. `parse` reads the text (None: nothing to search), `apply` narrows
    the rows, `keys` (optional) answers a search alone from indexes (core.listing.paginate's
    `keys`), `notes` tells how the text was understood when that is not what was typed."""

    parse: Callable[[str], Any]
    apply: Callable[[QuerySet[Any], Any], QuerySet[Any]]
    keys: Callable[[QuerySet[Organization], Any], QuerySet[Any] | None] | None = None
    notes: Callable[[Any], list[str]] = lambda wanted: []
    max_length: int = 100
    too_long: Any = TOO_LONG


def orderings(*given: Ordering) -> dict[str, Ordering]:
    """Each ordering and its reverse, by key: `name` and `-name` (the first given is the
    default). A key starting with "-" is the descending one."""
    found: dict[str, Ordering] = {}
    for ordering in given:
        other = ordering.key[1:] if ordering.key.startswith("-") else f"-{ordering.key}"
        found[ordering.key] = ordering
        found[other] = ordering.reversed(other)
    return found


@dataclass(frozen=True)
class ListSpec:
    name: str  # also the key a screen remembers the view under
    permission: str  # the permission that shows a row
    rows: Callable[[], QuerySet[Any]]  # the base query, with what every row needs joined
    filterset: type[ListFilterSet]
    orderings: Mapping[str, Ordering]  # the first one is the default
    # Whether the list may reach the organizations below the one it is shown for; None: only
    # the organization itself. Given the organization, so a resource can refuse where it
    # cannot tell rows of different organizations apart.
    tree: Callable[[Organization], bool] | None = None
    search: Search | None = None
    prefetch: tuple[str, ...] = ()
    unknown_order: Any = UNKNOWN_ORDER
    # Filters that pick out one row (an account ID): a jump, not a view to come back to.
    one_off: frozenset[str] = frozenset()

    @property
    def default_order(self) -> str:
        return next(iter(self.orderings))

    @property
    def view_params(self) -> frozenset[str]:
        """The query parameters that describe a view of this list (cursor and size do not)."""
        names = set(self.filterset.base_filters)
        if self.search is not None:
            names.add("q")
        if self.tree is not None:
            names.add("scope")
        if len(self.orderings) > 1:
            names.add("order")
        return frozenset(names)


@dataclass
class ListResult:
    page: Page
    filterset: ListFilterSet
    problems: list[str]  # what was wrong in the request, each already left out
    applied: dict[str, str]  # the view parameters in effect: to link to, remember, echo
    order: str
    scope: str
    tree_scope: bool  # whether the organizations below may be included
    q: str = ""
    wanted: Any = None  # the parsed search, or None

    @property
    def query(self) -> str:
        """The applied view as a query string, in a stable order."""
        return urlencode(sorted(self.applied.items()))

    def url(self, base: str, **more: str) -> str:
        """`base` with the applied view (and `more`) as its query."""
        query = urlencode({**self.applied, **more})
        return f"{base}?{query}" if query else base


def run_list(
    spec: ListSpec,
    actor: Actor,
    params: Mapping[str, str],
    *,
    within: Organization | None,
    size: int,
    problems: list[str] | None = None,
) -> ListResult:
    """One page of `spec`'s rows that `actor` may see in `within` (None: everywhere the actor
    may), as `params` asks. Raises PermissionDenied/Http404 when the actor may not list here
    at all; anything else wrong in `params` becomes a problem and is left out."""
    problems = problems if problems is not None else []
    found = _query(spec, actor, params, within, problems)
    ordering = spec.orderings[found.order]

    def page_at(cursor: str | None) -> Page:
        return paginate(
            found.qs,
            ordering,
            size=size,
            cursor=cursor,
            keys=found.keys,
            groups=found.organizations,
        )

    try:
        page = page_at(params.get("cursor") or None)
    except BadCursor:
        problems.append(_("That page link is no longer valid; showing the first page."))
        page = page_at(None)
    if spec.prefetch:
        prefetch_related_objects(page.rows, *spec.prefetch)
    return ListResult(
        page=page,
        filterset=found.filterset,
        problems=problems,
        applied=found.applied,
        order=found.order,
        scope=found.scope,
        tree_scope=found.tree_scope,
        q=found.q,
        wanted=found.wanted,
    )


def count_list(
    spec: ListSpec, actor: Actor, params: Mapping[str, str], *, within: Organization | None
) -> ExactCount:
    """How many rows the view `params` holds, counted exactly within a time limit (the
    list's own total stops at COUNT_LIMIT)."""
    found = _query(spec, actor, params, within, [])
    return exact_count(found.qs)


@dataclass
class _Query:
    qs: QuerySet[Any]
    filterset: ListFilterSet
    applied: dict[str, str]
    order: str
    scope: str
    tree_scope: bool
    q: str
    wanted: Any
    keys: QuerySet[Any] | None
    organizations: QuerySet[Organization]  # those the rows may belong to


def _query(
    spec: ListSpec,
    actor: Actor,
    params: Mapping[str, str],
    within: Organization | None,
    problems: list[str],
) -> _Query:
    """The rows of the view `params` (scope, filters, search), before ordering and paging."""
    if within is not None:
        require(actor, spec.permission, within)
    applied = {
        k: v
        for k, v in params.items()
        if k in spec.view_params and isinstance(v, str) and v.strip()
    }

    tree_scope = within is not None and spec.tree is not None and spec.tree(within)
    scope = SCOPE_ORG
    if spec.tree is not None:
        scope = params.get("scope") or (SCOPE_TREE if tree_scope else SCOPE_ORG)
        if scope not in (SCOPE_ORG, SCOPE_TREE) or (scope == SCOPE_TREE and not tree_scope):
            applied.pop("scope", None)
            problems.append(_("Unknown search scope; showing this organization only."))
            scope = SCOPE_ORG

    order = params.get("order") or spec.default_order if len(spec.orderings) > 1 else ""
    if order not in spec.orderings:
        if len(spec.orderings) > 1:
            problems.append(str(spec.unknown_order))
            applied.pop("order", None)
        order = spec.default_order

    base = restrict(actor, spec.permission, spec.rows(), within=within)
    organizations = restrict(actor, spec.permission, Organization, within=within)
    if within is not None and scope == SCOPE_ORG:
        base = _own_rows(base, within)
        organizations = organizations.filter(pk=within.pk)

    filterset = spec.filterset(params, queryset=base, actor=actor, organization=within)
    if not filterset.is_valid():
        # The page shows the valid filters only, and says which were left out.
        labels = [str(filterset.form.fields[name].label) for name in filterset.errors]
        for name in filterset.errors:
            applied.pop(name, None)
        problems.append(
            _("These filters were not valid and were ignored: %(names)s.")
            % {"names": ", ".join(labels)}
        )
        valid = {k: v for k, v in params.items() if k not in filterset.errors}
        filterset = spec.filterset(valid, queryset=base, actor=actor, organization=within)
    qs = filterset.qs

    q, wanted, keys = "", None, None
    if spec.search is not None:
        q, wanted = _search_text(spec.search, params.get("q", ""), problems)
        if not q:
            applied.pop("q", None)
        if wanted is not None:
            problems.extend(spec.search.notes(wanted))
            qs = spec.search.apply(qs, wanted)
            if spec.search.keys is not None and not filterset.active:
                # A search alone: the resource may answer it from covering indexes.
                keys = spec.search.keys(organizations, wanted)
    return _Query(qs, filterset, applied, order, scope, tree_scope, q, wanted, keys, organizations)


def _own_rows(qs: QuerySet[Any], organization: Organization) -> QuerySet[Any]:
    """The rows of `organization` itself, not of those below it: by the model's tenant field
    (an organizations list holds the organization itself)."""
    field_name = tenant_field(qs.model)
    if not field_name:
        return qs.filter(pk=organization.pk)
    return qs.filter(**{field_name: organization})


def _search_text(search: Search, raw: str, problems: list[str]) -> tuple[str, Any]:
    if len(raw) > search.max_length:
        problems.append(str(search.too_long))
        return "", None
    if "\x00" in raw:
        problems.append(_("The search text contains characters that cannot be searched."))
        return "", None
    return raw, search.parse(raw)
