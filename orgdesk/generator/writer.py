"""Batched row writers: COPY on PostgreSQL, executemany on SQLite.

Rows arrive as tuples of Python values in the order of a table's declared columns. On
PostgreSQL psycopg adapts them during COPY; on SQLite they are converted the way Django
stores each field type (UUIDs as hex, datetimes as naive UTC text).
"""

import datetime as dt
import json
import queue
import threading
import uuid
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from django.db import connection, models, transaction


def _sqlite_converter(field: models.Field) -> Callable[[Any], Any] | None:
    """How Django would store a value of `field` on SQLite; None for as it is (bools too:
    sqlite3 binds them as 0 and 1)."""
    kind = field.get_internal_type()
    if kind == "ForeignKey":
        kind = field.target_field.get_internal_type()  # type: ignore[attr-defined]
    if kind == "UUIDField":
        return lambda v: v.hex if isinstance(v, uuid.UUID) else v
    if kind == "DateTimeField":

        def convert_dt(v: Any) -> Any:
            if isinstance(v, dt.datetime):
                return v.astimezone(dt.UTC).replace(tzinfo=None).isoformat(sep=" ")
            return v

        return convert_dt
    if kind == "DateField":
        return lambda v: v.isoformat() if isinstance(v, dt.date) else v
    return None


class Table:
    def __init__(self, model: type[models.Model], columns: Sequence[str]) -> None:
        self.model = model
        self.name = model._meta.db_table
        fields = {f.attname: f for f in model._meta.concrete_fields}
        unknown = [c for c in columns if c not in fields]
        if unknown:
            raise ValueError(f"{self.name}: unknown columns {unknown}")
        self.columns = [fields[c].column for c in columns]
        # Only the columns that need it: a call per value was a good part of a run's time.
        self.conversions = [
            (i, convert)
            for i, c in enumerate(columns)
            if (convert := _sqlite_converter(fields[c])) is not None
        ]
        self.json_positions = [
            i for i, c in enumerate(columns) if isinstance(fields[c], models.JSONField)
        ]
        self.rows: list[tuple[Any, ...]] = []
        self.written = 0

    def add(self, row: tuple[Any, ...]) -> None:
        self.rows.append(row)

    def extend(self, rows: Iterable[tuple[Any, ...]]) -> None:
        self.rows.extend(rows)


class Writer:
    """Collects rows per table and flushes them in dependency order.

    Flushes run on a background thread with its own database connection, so Python builds
    the next batch while the database ingests the previous one (two cores: one each). At most
    one batch waits in the queue, which bounds memory.
    """

    def __init__(self, *, threaded: bool = True) -> None:
        self.threaded = threaded
        self.vendor = connection.vendor
        self.tables: list[Table] = []
        self._queue: queue.Queue[list[tuple[Table, list[tuple[Any, ...]]]] | None] = queue.Queue(
            maxsize=1
        )
        self._error: BaseException | None = None
        self._thread: threading.Thread | None = None

    def table(self, model: type[models.Model], columns: Sequence[str]) -> Table:
        table = Table(model, columns)
        self.tables.append(table)
        return table

    def _run(self) -> None:
        try:
            with connection.cursor() as cursor:
                # Losing the last batches on a crash is fine for synthetic data.
                if self.vendor == "postgresql":
                    cursor.execute("SET synchronous_commit = off")
                else:
                    cursor.execute("PRAGMA synchronous = OFF")
                    cursor.execute("PRAGMA cache_size = -64000")
            while True:
                work = self._queue.get()
                if work is None:
                    return
                if self._error is not None:
                    continue
                with transaction.atomic(), connection.cursor() as cursor:
                    for table, rows in work:
                        self._write(cursor, table, rows)
        except BaseException as exc:  # surfaced to the caller by flush()/close()
            self._error = exc
            while self._queue.get() is not None:
                pass
        finally:
            connection.close()

    def _raise_if_failed(self) -> None:
        if self._error is not None:
            error, self._error = self._error, None
            raise error

    def flush(self) -> None:
        """Hand the collected rows to the writer thread (waits while it is a batch behind)."""
        self._raise_if_failed()
        if self._thread is None and self.threaded:
            self._thread = threading.Thread(target=self._run, name="generator-writer", daemon=True)
            self._thread.start()
        work = []
        for table in self.tables:
            if table.rows:
                work.append((table, table.rows))
                table.written += len(table.rows)
                table.rows = []
        if work and self.threaded:
            self._queue.put(work)
        elif work:
            with transaction.atomic(), connection.cursor() as cursor:
                for table, rows in work:
                    self._write(cursor, table, rows)

    def abort(self) -> None:
        """Stop the writer thread after a failure elsewhere; queued rows are dropped."""
        if self._thread is not None:
            self._error = self._error or RuntimeError("aborted")
            self._queue.put(None)
            self._thread.join()
            self._thread = None
            self._error = None

    def close(self) -> None:
        """Wait until everything handed over is committed; re-raise a writer failure."""
        if self._thread is not None:
            self._queue.put(None)
            self._thread.join()
            self._thread = None
        self._raise_if_failed()

    def _write(self, cursor: Any, table: Table, rows: Iterable[tuple[Any, ...]]) -> None:
        json_positions = table.json_positions
        if self.vendor == "postgresql":
            cols = ", ".join(f'"{c}"' for c in table.columns)
            with cursor.cursor.copy(f'COPY "{table.name}" ({cols}) FROM STDIN') as copy:
                if json_positions:
                    for row in rows:
                        values = list(row)
                        for i in json_positions:
                            values[i] = json.dumps(values[i])
                        copy.write_row(values)
                else:
                    for row in rows:
                        copy.write_row(row)
        else:
            cols = ", ".join(f'"{c}"' for c in table.columns)
            marks = ", ".join("?" for _ in table.columns)
            conversions = table.conversions
            converted = []
            for row in rows:
                values = list(row)
                for i, convert in conversions:
                    values[i] = convert(values[i])
                for i in json_positions:
                    values[i] = json.dumps(values[i])
                converted.append(values)
            cursor.executemany(f'INSERT INTO "{table.name}" ({cols}) VALUES ({marks})', converted)
