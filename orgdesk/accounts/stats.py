"""Cheap counts of what the identity store holds (the landing page, demo, generator output)."""

from django.db import connection, models

from orgdesk.accounts.models import Account
from orgdesk.organizations.models import Organization


def approximate_count(model: type[models.Model]) -> int:
    """Exact on SQLite; the planner's estimate on PostgreSQL once a table is large."""
    table = model._meta.db_table
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT reltuples::bigint FROM pg_class WHERE relname = %s", [table])
            row = cursor.fetchone()
        if row and row[0] > 100_000:
            return int(row[0])
    return model._default_manager.count()


def store_summary() -> dict[str, int]:
    return {
        "trees": Organization.objects.filter(parent__isnull=True).count(),
        "organizations": Organization.objects.count(),
        "accounts": approximate_count(Account),
    }
