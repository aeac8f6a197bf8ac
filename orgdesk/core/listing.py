"""The list pipeline (DESIGN §6): restrict → filter → search → order → keyset page.

Orders are deterministic (a sort column, then id, both descending) and pages are addressed by
a signed cursor holding the last row's sort key, so page 100 costs what page 1 costs: the
database starts its index scan at the cursor instead of counting past skipped rows. No
unbounded COUNT: the total is counted only up to a small limit ("1,000+").
"""

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.core import signing
from django.db import connection, models
from django.db.models import F, Q
from django.db.models.expressions import RawSQL

CURSOR_SALT = "orgdesk.listing.cursor"
COUNT_LIMIT = 1000


@dataclass(frozen=True)
class Ordering:
    """Sort by `field` descending (NULLs last), then by primary key descending."""

    key: str
    field: str
    nullable: bool = False

    def order_by(self, reverse: bool = False) -> list[Any]:
        f, pk = F(self.field), F("pk")
        if reverse:
            return [f.asc(nulls_first=True) if self.nullable else f.asc(), pk.asc()]
        return [f.desc(nulls_last=True) if self.nullable else f.desc(), pk.desc()]


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
    qs: models.QuerySet[Any], ordering: Ordering, op: str, value: Any, pk: Any
) -> models.QuerySet[Any]:
    """WHERE (sort_column, id) <op> (value, pk): a row comparison a btree scan can start at."""
    model = qs.model
    field = model._meta.get_field(ordering.field)
    pk_field = model._meta.pk
    table = connection.ops.quote_name(model._meta.db_table)
    col = f"{table}.{connection.ops.quote_name(field.column)}"
    pk_col = f"{table}.{connection.ops.quote_name(pk_field.column)}"
    params = [
        field.get_db_prep_value(field.to_python(value), connection),
        pk_field.get_db_prep_value(pk_field.to_python(pk), connection),
    ]
    # Only quoted identifiers from the model and a fixed operator are interpolated; the
    # values are bound parameters.
    condition = RawSQL(  # noqa: S611
        f"({col}, {pk_col}) {op} (%s, %s)", params, output_field=models.BooleanField()
    )
    return qs.filter(condition)


def _after(
    qs: models.QuerySet[Any], ordering: Ordering, value: Any, pk: Any
) -> list[models.QuerySet[Any]]:
    """Querysets, in display order, holding the rows after (value, pk)."""
    if value is None:
        return [qs.filter(Q(**{f"{ordering.field}__isnull": True}), pk__lt=pk)]
    parts = [_row_compare(qs, ordering, "<", value, pk)]
    if ordering.nullable:
        parts.append(qs.filter(**{f"{ordering.field}__isnull": True}))
    return parts


def _before(
    qs: models.QuerySet[Any], ordering: Ordering, value: Any, pk: Any
) -> list[models.QuerySet[Any]]:
    """Querysets, in reverse display order, holding the rows before (value, pk)."""
    if value is None:
        parts = [qs.filter(Q(**{f"{ordering.field}__isnull": True}), pk__gt=pk)]
        parts.append(qs.filter(**{f"{ordering.field}__isnull": False}))
        return parts
    return [_row_compare(qs, ordering, ">", value, pk)]


def _take(parts: Sequence[models.QuerySet[Any]], order: list[Any], limit: int) -> list[Any]:
    rows: list[Any] = []
    for part in parts:
        if len(rows) >= limit:
            break
        rows.extend(part.order_by(*order)[: limit - len(rows)])
    return rows


def _key(row: Any, ordering: Ordering) -> Any:
    value = getattr(row, ordering.field)
    return value.isoformat() if hasattr(value, "isoformat") else value


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


def _keyset_sql(
    model: type[models.Model], ordering: Ordering, direction: str, value: Any, pk: Any
) -> tuple[str, list[Any]]:
    """The keyset condition of `_after`/`_before`, on the columns `k_sort` and `k_id` of a
    keys query (see paginate's `keys`)."""
    field = model._meta.get_field(ordering.field)
    assert isinstance(field, models.Field), "a list is ordered by a column, not a relation"
    pk_field = model._meta.pk
    key = pk_field.get_db_prep_value(pk_field.to_python(pk), connection)
    if value is None:
        if direction == "next":
            return "k_sort IS NULL AND k_id < %s", [key]
        return "(k_sort IS NULL AND k_id > %s) OR k_sort IS NOT NULL", [key]
    sort = field.get_db_prep_value(field.to_python(value), connection)
    if direction == "next":
        nulls = " OR k_sort IS NULL" if ordering.nullable else ""
        return f"(k_sort, k_id) < (%s, %s){nulls}", [sort, key]
    return "(k_sort, k_id) > (%s, %s)", [sort, key]


def _take_keys(
    keys: models.QuerySet[Any],
    ordering: Ordering,
    limit: int,
    keyset: tuple[str, list[Any]] | None,
    reverse: bool,
) -> tuple[list[Any], int | None]:
    """Up to `limit` primary keys from `keys` in (reverse) display order, and how many keys
    there are in all (None when this page is empty)."""
    inner, params = keys.query.get_compiler(connection=connection).as_sql()
    if reverse:
        order = "k_sort ASC NULLS FIRST, k_id ASC" if ordering.nullable else "k_sort, k_id"
    else:
        order = (
            "k_sort DESC NULLS LAST, k_id DESC" if ordering.nullable else "k_sort DESC, k_id DESC"
        )
    where, where_params = keyset if keyset else ("TRUE", [])
    # Only fixed SQL and the compiled keys query are interpolated; values are parameters.
    sql = (
        "SELECT k_id, n FROM (SELECT k_id, k_sort, count(*) OVER () AS n "
        f"FROM ({inner}) AS keys) AS counted WHERE {where} ORDER BY {order} LIMIT %s"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [*params, *where_params, limit])
        found = cursor.fetchall()
    return [row[0] for row in found], (found[0][1] if found else None)


def keys_of(qs: models.QuerySet[Any], ordering: Ordering) -> models.QuerySet[Any]:
    """`qs` as a keys query for paginate(keys=…): its primary key and sort column."""
    return qs.order_by().values(k_id=F("pk"), k_sort=F(ordering.field))


def paginate(
    qs: models.QuerySet[Any],
    ordering: Ordering,
    *,
    size: int,
    cursor: str | None = None,
    count: bool = True,
    keys: models.QuerySet[Any] | None = None,
) -> Page:
    """One page of `qs`. Raises BadCursor for a tampered or foreign cursor.

    With `count`, the matching ids are fetched first, up to COUNT_LIMIT + 1, in no particular
    order (the database uses whatever index serves the filters). That is the bounded total,
    and it picks the plan: a small result is then read by primary key and sorted in memory,
    while a large one is read by walking the sort index, which finds a page quickly because
    matches are frequent. Without this a selective filter could make the database walk the
    sort index across millions of rows looking for a few matches.

    `keys`, when given, is a cheaper query of exactly the rows of `qs` that yields only their
    key and sort column (`k_id`, `k_sort`; build its parts with keys_of()), typically a union
    answered from covering indexes alone. The page's keys and the total are then picked from
    it in one statement, and only the page's rows are read from `qs`, by key. Its total is
    exact (all of its rows are sorted anyway); it is shown capped like the other.
    """
    data = _unsign(cursor) if cursor else None
    if data is not None and data.get("o") != ordering.key:
        raise BadCursor("This page link belongs to another sort order.")
    if keys is not None:
        return _paginate_keys(qs, keys, ordering, size, data, cursor)
    total, capped = None, False
    if count:
        ids = list(qs.order_by().values_list("pk", flat=True)[: COUNT_LIMIT + 1])
        total, capped = min(len(ids), COUNT_LIMIT), len(ids) > COUNT_LIMIT
        if not capped:
            qs = _by_keys(qs, ids)
    start = 1
    if data is not None:
        start = max(int(data["n"]), 1)
        if data["d"] == "next":
            rows = _take(_after(qs, ordering, data["k"], data["id"]), ordering.order_by(), size + 1)
            has_more, has_before = len(rows) > size, True
            rows = rows[:size]
        else:
            rows = _take(
                _before(qs, ordering, data["k"], data["id"]),
                ordering.order_by(reverse=True),
                size + 1,
            )
            has_before = len(rows) > size
            rows = list(reversed(rows[:size]))
            has_more = True
    else:
        rows = list(qs.order_by(*ordering.order_by())[: size + 1])
        has_more, has_before = len(rows) > size, False
        rows = rows[:size]
    return _page(rows, ordering, size, start, bool(cursor), has_more, has_before, total, capped)


def _paginate_keys(
    qs: models.QuerySet[Any],
    keys: models.QuerySet[Any],
    ordering: Ordering,
    size: int,
    data: dict[str, Any] | None,
    cursor: str | None,
) -> Page:
    start, reverse, keyset = 1, False, None
    if data is not None:
        start = max(int(data["n"]), 1)
        reverse = data["d"] != "next"
        keyset = _keyset_sql(qs.model, ordering, data["d"], data["k"], data["id"])
    ids, total = _take_keys(keys, ordering, size + 1, keyset, reverse)
    if total is None:  # an empty page (rows changed since the link was made): count anew
        inner, params = keys.query.get_compiler(connection=connection).as_sql()
        with connection.cursor() as db:
            db.execute(
                f"SELECT count(*) FROM (SELECT 1 FROM ({inner}) AS keys LIMIT %s) AS c",
                [*params, COUNT_LIMIT + 1],
            )
            total = db.fetchone()[0]
    more = len(ids) > size
    # as the raw cursor gave them: SQLite stores a UUID key as text
    ids = [qs.model._meta.pk.to_python(pk) for pk in ids[:size]]
    position = {pk: i for i, pk in enumerate(ids)}
    rows = sorted(_by_keys(qs, ids), key=lambda row: position[row.pk])
    if reverse:
        rows.reverse()
        has_more, has_before = True, more
    else:
        has_more, has_before = more, data is not None
    return _page(
        rows,
        ordering,
        size,
        start,
        bool(cursor),
        has_more,
        has_before,
        min(total, COUNT_LIMIT),
        total > COUNT_LIMIT,
    )


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
