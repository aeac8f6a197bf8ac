"""Bulk loads into PostgreSQL: drop secondary indexes first, build them once at the end.

Building an index over a million rows takes seconds; maintaining twenty of them row by row
(random UUIDs, trigram GIN) through a COPY takes most of a load's time and floods the WAL.
Unique and primary-key indexes stay: they are constraints.
"""

from collections.abc import Callable

from django.db import connection, transaction

from orgdesk.core.models import SuspendedIndex

BULK_TABLES = [
    "accounts_account",
    "accounts_externalidentity",
    "accounts_groupmembership",
    "security_authenticator",
    "security_customersession",
    "activity_event",
    "notifications_notification",
    "verification_verificationresult",
    "consents_consentrecord",
]
MIN_ROWS_TO_SUSPEND = 50_000


def worth_suspending(new_accounts: int) -> bool:
    """Only on PostgreSQL, and only when the load is at least as big as what is there."""
    if connection.vendor != "postgresql" or new_accounts < MIN_ROWS_TO_SUSPEND:
        return False
    with connection.cursor() as cursor:
        cursor.execute("SELECT reltuples FROM pg_class WHERE relname = 'accounts_account'")
        row = cursor.fetchone()
    existing = max(int(row[0]), 0) if row else 0
    return new_accounts >= existing


@transaction.atomic
def suspend() -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT i.relname, t.relname, pg_get_indexdef(i.oid)
            FROM pg_index x
            JOIN pg_class i ON i.oid = x.indexrelid
            JOIN pg_class t ON t.oid = x.indrelid
            WHERE t.relname = ANY(%s) AND NOT x.indisunique AND NOT x.indisprimary
            ORDER BY t.relname, i.relname
            """,
            [BULK_TABLES],
        )
        found = cursor.fetchall()
        for name, table, definition in found:
            SuspendedIndex.objects.create(name=name, table=table, definition=definition)
            cursor.execute(f'DROP INDEX "{name}"')
    return [name for name, _table, _definition in found]


def restore(progress: Callable[[str], None] | None = None) -> list[str]:
    """Build every suspended index again (also after a run that was killed half-way)."""
    say = progress or (lambda _msg: None)
    restored = []
    with connection.cursor() as cursor:
        cursor.execute("SET maintenance_work_mem = '256MB'")
        for index in SuspendedIndex.objects.order_by("table", "name"):
            say(f"building index {index.name}")
            with transaction.atomic():
                cursor.execute(
                    "SELECT 1 FROM pg_class WHERE relname = %s AND relkind = 'i'", [index.name]
                )
                if cursor.fetchone() is None:
                    cursor.execute(index.definition)
                index.delete()
            restored.append(index.name)
        cursor.execute("RESET maintenance_work_mem")
    return restored
