"""The list pipeline (DESIGN §6): restrict → filter → search → order → keyset page.

Orders are deterministic (sort columns, then id, all in the same direction) and pages are
addressed by a signed cursor holding the last row's sort key, so page 100 costs what page 1
costs: the database starts its index scan at the cursor instead of counting past skipped rows.
No unbounded COUNT: the total is counted only up to a small limit ("1,000+"), and exactly only
when asked, within a time limit (`exact_count`).

NULL sorts as the lowest value: last first when descending, first when ascending — a
never-used account is the "oldest" last login either way, and PostgreSQL reads one
`DESC NULLS LAST` index in both directions.
"""

import time
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from django.core import signing
from django.db import DatabaseError, connection, models, transaction
from django.db.models import F, Q
from django.db.models.expressions import RawSQL

CURSOR_SALT = "orgdesk.listing.cursor"
COUNT_LIMIT = 1000


@dataclass(frozen=True)
class Ordering:
    """Sort by `field` (NULLs lowest when `nullable`), then by each of `then`, then by
    primary key, all descending or all ascending. `field` and `then` may follow relations
    (`organization__name`); only `field` may hold NULLs."""

    key: str
    field: str
    nullable: bool = False
    descending: bool = True
    then: tuple[str, ...] = ()
    # Rows grouped by this relation: `field` is its sort column (`organization__name`), then
    # its key (`organization_id`), then the rows' own columns. paginate(groups=…) then walks
    # the groups in order and each group along its own index, instead of sorting every row
    # of every group to find one page.
    partition: str = ""

    def __post_init__(self) -> None:
        if self.partition:
            assert self.field.startswith(f"{self.partition}__"), "the group's sort column"
            assert self.then[:1] == (f"{self.partition}_id",), "then the group's key"
            assert len(self.then) > 1, "then the rows' own columns"

    @property
    def fields(self) -> tuple[str, ...]:
        return (self.field, *self.then)

    @property
    def local(self) -> bool:
        """Every sort column is a column of the listed table: one row comparison serves."""
        return all("__" not in name for name in self.fields)

    def reversed(self, key: str) -> "Ordering":
        """The same columns the other way round, as `key`."""
        return Ordering(
            key, self.field, self.nullable, not self.descending, self.then, self.partition
        )

    def within_group(self) -> "Ordering":
        """A partitioned order's rows within one group."""
        return Ordering(self.key, self.then[1], False, self.descending, self.then[2:])

    def order_by(self, reverse: bool = False) -> list[Any]:
        descending = self.descending != reverse
        terms: list[Any] = []
        for i, name in enumerate((*self.fields, "pk")):
            f = F(name)
            if i == 0 and self.nullable:
                terms.append(f.desc(nulls_last=True) if descending else f.asc(nulls_first=True))
            else:
                terms.append(f.desc() if descending else f.asc())
        return terms


@dataclass
class Page:
    rows: list[Any]
    size: int
    start: int  # 1-based position of the first row
    next_cursor: str | None
    prev_cursor: str | None
    total: int | None  # exact when below COUNT_LIMIT
    total_capped: bool

    @property
    def end(self) -> int:
        return self.start + len(self.rows) - 1 if self.rows else self.start - 1


class BadCursor(ValueError):
    pass


def _sign(data: dict[str, Any]) -> str:
    return signing.dumps(data, salt=CURSOR_SALT, compress=True)


def _unsign(cursor: str) -> dict[str, Any]:
    try:
        data = signing.loads(cursor, salt=CURSOR_SALT)
    except signing.BadSignature:
        raise BadCursor("This page link is no longer valid.") from None
    if not isinstance(data, dict) or {"k", "id", "n", "d"} - set(data):
        raise BadCursor("This page link is no longer valid.")
    return data


def _row_compare(
    qs: models.QuerySet[Any], ordering: Ordering, op: str, values: Sequence[Any], pk: Any
) -> models.QuerySet[Any]:
    """WHERE (sort columns…, id) <op> (values…, pk): a row comparison a btree scan can start
    at (spelt with ANDs and ORs, only its first column would bound the scan)."""
    model = qs.model
    table = connection.ops.quote_name(model._meta.db_table)
    fields = [model._meta.get_field(name) for name in ordering.fields] + [model._meta.pk]
    columns = ", ".join(f"{table}.{connection.ops.quote_name(f.column)}" for f in fields)
    params = [
        f.get_db_prep_value(f.to_python(v), connection)
        for f, v in zip(fields, [*values, pk], strict=True)
    ]
    marks = ", ".join(["%s"] * len(params))
    # Only quoted identifiers from the model and a fixed operator are interpolated; the
    # values are bound parameters.
    condition = RawSQL(  # noqa: S611
        f"({columns}) {op} ({marks})", params, output_field=models.BooleanField()
    )
    return qs.filter(condition)


def _lexicographic(names: Sequence[str], values: Sequence[Any], op: str) -> Q:
    """(names…) <op> (values…) spelt with ANDs and ORs, which also works across joins, with
    the first column's bound stated on its own so an index scan can start there."""
    cmp = "lt" if op == "<" else "gt"
    condition = Q(**{f"{names[-1]}__{cmp}": values[-1]})
    for name, value in zip(reversed(names[:-1]), reversed(values[:-1]), strict=True):
        condition = Q(**{f"{name}__{cmp}": value}) | (Q(**{name: value}) & condition)
    return Q(**{f"{names[0]}__{cmp}e": values[0]}) & condition


def _toward(
    qs: models.QuerySet[Any], ordering: Ordering, lower: bool, values: list[Any], pk: Any
) -> list[models.QuerySet[Any]]:
    """Querysets holding the rows beyond (values, pk) toward lower (or higher) keys, in the
    order they come when reading that way (NULL being the lowest sort value)."""
    op, cmp = ("<", "lt") if lower else (">", "gt")
    first = ordering.field
    if ordering.nullable and values[0] is None:
        null_rest = qs.filter(Q(**{f"{first}__isnull": True}), **{f"pk__{cmp}": pk})
        if lower:
            return [null_rest]
        return [null_rest, qs.filter(**{f"{first}__isnull": False})]
    if ordering.local:
        parts = [_row_compare(qs, ordering, op, values, pk)]
    else:
        parts = [qs.filter(_lexicographic([*ordering.fields, "pk"], [*values, pk], op))]
    if ordering.nullable and lower:
        parts.append(qs.filter(**{f"{first}__isnull": True}))
    return parts


def _take(
    qs: models.QuerySet[Any],
    parts: Sequence[models.QuerySet[Any]],
    order: list[Any],
    limit: int,
    *,
    walk: bool = True,
) -> list[Any]:
    """Up to `limit` rows of `parts` (narrowings of `qs`) in `order`, part after part.

    With `walk` (a large result, read along the sort index) the walk reads keys alone, then
    the page's rows by key: where the index also holds what the filters test (organization,
    status, disabled date: accounts migration 0015), PostgreSQL walks it without reading a
    table row for each entry it passes over — a filter that kept one row in a hundred read
    a hundred table rows per row shown."""
    if not walk:  # a few rows read by key and sorted: one query
        rows: list[Any] = []
        for part in parts:
            if len(rows) >= limit:
                break
            rows.extend(part.order_by(*order)[: limit - len(rows)])
        return rows
    for _attempt in range(3):
        keys: list[Any] = []
        for part in parts:
            if len(keys) >= limit:
                break
            keys.extend(part.order_by(*order).values_list("pk", flat=True)[: limit - len(keys)])
        found = {row.pk: row for row in _by_keys(qs, keys)} if keys else {}
        if len(found) == len(keys):
            break
        # A row deleted between the two reads: walked again, so the page stays full and
        # still tells whether another follows.
    return [found[key] for key in keys if key in found]


def _key(row: Any, ordering: Ordering) -> list[Any]:
    """The row's sort values, as a cursor keeps them."""
    values = []
    for name in ordering.fields:
        value = row
        for part in name.split("__"):
            value = getattr(value, part) if value is not None else None
        values.append(value.isoformat() if hasattr(value, "isoformat") else value)
    return [str(v) if isinstance(v, uuid.UUID) else v for v in values]


def _by_keys(qs: models.QuerySet[Any], ids: list[Any]) -> models.QuerySet[Any]:
    """The rows of `qs` whose keys are `ids`, read by key alone.

    `ids` came from `qs` itself (restricted and filtered), so its conditions need not be
    evaluated again; repeating them next to a long IN list made PostgreSQL misjudge the
    result and walk the sort index (100 ms instead of 2). Joins asked for with
    select_related() and the columns chosen with only()/defer() are kept; a queryset with
    selected annotations keeps its conditions (they may be needed to compute them)."""
    if qs.query.annotation_select or qs.query.extra_select:
        return qs.filter(pk__in=ids)
    rows = qs.model._default_manager.filter(pk__in=ids)
    rows.query.select_related = qs.query.select_related
    rows.query.deferred_loading = qs.query.deferred_loading
    return rows


def keys_of(qs: models.QuerySet[Any]) -> models.QuerySet[Any]:
    """`qs` as a part of a keys query for paginate(keys=…): its primary keys alone."""
    return qs.order_by().values(k_id=F("pk"))


def _counted_keys(keys: models.QuerySet[Any]) -> tuple[list[Any], bool]:
    """The distinct keys of `keys` (a UNION ALL of parts: a row may come once per part), up
    to COUNT_LIMIT, and whether there are more. One bounded read usually answers; only
    when the first read was full of repeats is a longer one needed, long enough that the
    repeats cannot hide more than COUNT_LIMIT distinct rows (each part yields a row once).
    The first read has room for some repeats: a person whose email, username and name all
    begin with what was searched comes three times, and a first read of exactly
    COUNT_LIMIT + 1 keys then often had to be followed by the long one."""
    inner, params = keys.query.get_compiler(connection=connection).as_sql()
    parts = max(len(keys.query.combined_queries), 1)
    limits = [min(parts, 2) * (COUNT_LIMIT + 1), parts * (COUNT_LIMIT + 1)]
    for limit in dict.fromkeys(limits):
        with connection.cursor() as cursor:
            # Only the compiled keys query is interpolated; values are parameters.
            cursor.execute(f"SELECT k_id FROM ({inner}) AS keys LIMIT %s", [*params, limit])
            found = [row[0] for row in cursor.fetchall()]
        distinct = list(dict.fromkeys(found))
        if len(distinct) > COUNT_LIMIT:
            return distinct[:COUNT_LIMIT], True
        if len(found) < limit:
            return distinct, False
    return distinct, False  # every part full of the same ≤ COUNT_LIMIT rows: all of them


def paginate(
    qs: models.QuerySet[Any],
    ordering: Ordering,
    *,
    size: int,
    cursor: str | None = None,
    count: bool = True,
    keys: models.QuerySet[Any] | None = None,
    groups: models.QuerySet[Any] | None = None,
) -> Page:
    """One page of `qs`. Raises BadCursor for a tampered or foreign cursor.

    With `count`, the matching ids are fetched first, up to COUNT_LIMIT + 1, in no particular
    order (the database uses whatever index serves the filters). That is the bounded total,
    and it picks the plan: a small result is then read by primary key and sorted in memory,
    while a large one is read by walking the sort index, which finds a page quickly because
    matches are frequent. Without this a selective filter could make the database walk the
    sort index across millions of rows looking for a few matches.

    `keys`, when given, is a cheaper query of the keys of exactly the rows of `qs` (`k_id`;
    build its parts with keys_of() and join them with UNION ALL), typically answered from
    covering indexes alone: it replaces the first step. A search over several columns, as
    one OR, cannot use the per-column indexes and would read every match of the whole store.

    `groups`, for a partitioned ordering (Ordering.partition), is the query of the groups
    the rows may belong to (the organizations in scope): a large result is then paged group
    by group (`_grouped`).
    """
    data = _unsign(cursor) if cursor else None
    if data is not None and data.get("o") != ordering.key:
        raise BadCursor("This page link belongs to another sort order.")
    if data is not None and (
        not isinstance(data["k"], list) or len(data["k"]) != len(ordering.fields)
    ):
        raise BadCursor("This page link is no longer valid.")
    total, capped = None, False
    if count or keys is not None:
        if keys is not None:
            ids, capped = _counted_keys(keys)
            # as the raw cursor gave them: SQLite stores a UUID key as text
            ids = [qs.model._meta.pk.to_python(pk) for pk in ids]
        else:
            ids = list(qs.order_by().values_list("pk", flat=True)[: COUNT_LIMIT + 1])
            capped = len(ids) > COUNT_LIMIT
        total = min(len(ids), COUNT_LIMIT)
        if not capped:
            qs = _by_keys(qs, ids)
    start = 1 if data is None else max(int(data["n"]), 1)
    large = capped or not (count or keys is not None)
    if large and ordering.partition and groups is not None:
        forward = data is None or data["d"] == "next"
        rows = _grouped(qs, ordering, size + 1, data, groups)
        if forward:
            has_more, has_before = len(rows) > size, data is not None
            rows = rows[:size]
        else:
            has_before, has_more = len(rows) > size, True
            rows = list(reversed(rows[:size]))
    elif data is not None:
        forward = data["d"] == "next"
        # Forward reads in display order, backward against it.
        lower = ordering.descending == forward
        parts = _toward(qs, ordering, lower, data["k"], data["id"])
        rows = _take(qs, parts, ordering.order_by(reverse=not forward), size + 1, walk=large)
        if forward:
            has_more, has_before = len(rows) > size, True
            rows = rows[:size]
        else:
            has_before, has_more = len(rows) > size, True
            rows = list(reversed(rows[:size]))
    else:
        rows = _take(qs, [qs], ordering.order_by(), size + 1, walk=large)
        has_more, has_before = len(rows) > size, False
        rows = rows[:size]
    return _page(rows, ordering, size, start, bool(cursor), has_more, has_before, total, capped)


def _grouped(
    qs: models.QuerySet[Any],
    ordering: Ordering,
    limit: int,
    data: dict[str, Any] | None,
    groups: models.QuerySet[Any],
) -> list[Any]:
    """Up to `limit` rows of a partitioned ordering from the cursor `data` on, in the order
    of travel: the groups in their order (from the cursor's group), each group's rows along
    the (group, columns, id) index. Groups are read one, then two, four… at a time, so a
    page inside one group costs one query and groups without a match cost few."""
    forward = data is None or data["d"] == "next"
    lower = ordering.descending == forward  # travelling toward lower values
    name = ordering.field.split("__", 1)[1]
    order = [F(name).desc(), F("pk").desc()] if lower else [F(name).asc(), F("pk").asc()]
    ahead = groups
    if data is not None:
        group_name, group_pk = data["k"][0], data["k"][1]
        # the cursor's group and those beyond it, compared by the database (its collation)
        ahead = groups.filter(
            _lexicographic([name, "pk"], [group_name, group_pk], "<" if lower else ">")
            | Q(**{name: group_name, "pk": group_pk})
        )
    # Group keys are read as far as the page needs them, not all of a large scope's.
    in_order = ahead.order_by(*order).values_list("pk", flat=True)
    fk = f"{ordering.partition}_id"
    rows: list[Any] = []
    i = 0
    if data is not None:
        first = list(in_order[:1])
        if first and str(first[0]) == str(data["k"][1]):
            inner = ordering.within_group()
            parts = _toward(qs.filter(**{fk: first[0]}), inner, lower, data["k"][2:], data["id"])
            rows += _take(qs, parts, inner.order_by(reverse=not forward), limit)
            i = 1
    chunk = 1
    inner = ordering.within_group()
    while len(rows) < limit:
        keys = list(in_order[i : i + chunk])
        if not keys:
            break
        if len(keys) == 1:
            # One group: along its own (group, columns, id) index. Ordered by the group's
            # sort column too, PostgreSQL sorted all the group's rows (18,000 in a large
            # store: 43 ms) without seeing that the column is the same for all of them.
            part, order = qs.filter(**{fk: keys[0]}), inner.order_by(reverse=not forward)
        else:
            part = qs.filter(**{f"{fk}__in": keys})
            order = ordering.order_by(reverse=not forward)
        rows += _take(qs, [part], order, limit - len(rows))
        i += chunk
        chunk *= 2
    return rows


def _page(
    rows: list[Any],
    ordering: Ordering,
    size: int,
    start: int,
    paged: bool,
    has_more: bool,
    has_before: bool,
    total: int | None,
    capped: bool,
) -> Page:
    if paged and not has_before:
        start = 1
    next_cursor = prev_cursor = None
    if rows and has_more:
        last = rows[-1]
        next_cursor = _sign(
            {
                "o": ordering.key,
                "d": "next",
                "k": _key(last, ordering),
                "id": str(last.pk),
                "n": start + len(rows),
            }
        )
    if rows and has_before and start > 1:
        first = rows[0]
        prev_cursor = _sign(
            {
                "o": ordering.key,
                "d": "prev",
                "k": _key(first, ordering),
                "id": str(first.pk),
                "n": max(start - size, 1),
            }
        )
    return Page(rows, size, start, next_cursor, prev_cursor, total, capped)


EXACT_COUNT_SECONDS = 3.0
PARALLEL_COUNT_WORKERS = 2  # PostgreSQL's default


@dataclass(frozen=True)
class ExactCount:
    total: int | None  # None: not counted within the time limit
    seconds: float  # how long it took (or how long it tried)


def exact_count(qs: models.QuerySet[Any], *, seconds: float | None = None) -> ExactCount:
    """COUNT(*) of `qs`, given up after `seconds`: the database stops the statement itself
    (PostgreSQL's statement_timeout, SQLite's progress handler), so an abandoned count costs
    no more than the limit."""
    seconds = EXACT_COUNT_SECONDS if seconds is None else seconds
    started = time.monotonic()
    try:
        with transaction.atomic(), _time_limit(seconds):
            total: int | None = qs.order_by().count()
    except DatabaseError:
        total = None
    return ExactCount(total, time.monotonic() - started)


@contextmanager
def _time_limit(seconds: float) -> Iterator[None]:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT current_setting('statement_timeout')")
            before = cursor.fetchone()[0]
            # Local to the transaction (a savepoint inside a request's own: reset below).
            cursor.execute("SELECT set_config('statement_timeout', %s, true)", [f"{seconds}s"])
            # A count over a whole store is the statement parallel workers help (the
            # connections default to none: config.parse_database_url).
            cursor.execute("SELECT current_setting('max_parallel_workers_per_gather')")
            workers = cursor.fetchone()[0]
            cursor.execute(
                "SELECT set_config('max_parallel_workers_per_gather', %s, true)",
                [str(PARALLEL_COUNT_WORKERS)],
            )
        yield
        with connection.cursor() as cursor:
            cursor.execute("SELECT set_config('statement_timeout', %s, true)", [before])
            cursor.execute(
                "SELECT set_config('max_parallel_workers_per_gather', %s, true)", [workers]
            )
        return
    if connection.vendor == "sqlite":
        connection.ensure_connection()
        deadline = time.monotonic() + seconds
        raw = connection.connection
        raw.set_progress_handler(lambda: int(time.monotonic() > deadline), 10_000)
        try:
            yield
        finally:
            raw.set_progress_handler(None, 0)
        return
    yield
