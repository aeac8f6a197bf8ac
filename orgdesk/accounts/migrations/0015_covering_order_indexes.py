"""The list's order indexes hold what its filters test, on PostgreSQL.

A large result is paged by walking the sort order's index (core/listing.py). Each entry the
walk passed over was read from the table to test the organization, the status or the
disabled date, so a filter that kept one account in a hundred read a hundred table rows per
row shown, and a range of disabled dates over a whole tree took 60 ms walking 20,000 rows.
The order indexes now also hold those columns (INCLUDE), and the walk reads keys alone: an
index-only scan. Disabled accounts by organization and date are keyed on the status, the
condition the status filter states, and hold the key, so they are counted from the index.

The planner also misjudged prefix searches on names (a family-name prefix found 1,195 rows
where it expected 77) and chose the global prefix index, testing every match's organization
in the table, over the subtree's covering indexes: the name and identifier expressions get
finer statistics.
"""

from django.db import migrations, models

from orgdesk.core.migration_ops import PostgresOnlySQL

# name: (key columns, included columns, condition)
COVERING = {
    "account_last_login": ("last_login DESC NULLS LAST, id DESC", "organization_id, status", ""),
    "account_created": ("created DESC, id DESC", "organization_id, status", ""),
    "account_sort_name": ("sort_name, id", "organization_id, status", ""),
    "account_status_name": ("status, sort_name, id", "organization_id", ""),
    "account_disabled_last_login": (
        "last_login DESC NULLS LAST, id DESC",
        "organization_id, disabled_at",
        "status = 'disabled'",
    ),
    "account_disabled_created": (
        "created DESC, id DESC",
        "organization_id, disabled_at",
        "status = 'disabled'",
    ),
    "account_org_disabled_at": ("organization_id, disabled_at", "id", "status = 'disabled'"),
}

# (index, column number) of the expressions prefix searches compare (accounts/filters.py)
STATISTICS = [
    ("account_email_prefix", 1),
    ("account_username_prefix", 1),
    ("account_given_name_prefix", 1),
    ("account_family_name_prefix", 1),
    ("account_given_name_lower", 1),
    ("account_family_name_lower", 1),
    ("account_org_email_search", 2),
    ("account_org_username_search", 2),
    ("account_org_given_name_search", 2),
    ("account_org_family_name_search", 2),
]
STATISTICS_TARGET = 500  # the default is 100


def _create(name: str, include: bool) -> str:
    columns, included, condition = COVERING[name]
    return (
        f"CREATE INDEX {name} ON accounts_account ({columns})"
        + (f" INCLUDE ({included})" if include else "")
        + (f" WHERE {condition}" if condition else "")
    )


def _rebuild(name: str) -> PostgresOnlySQL:
    drop = f"DROP INDEX IF EXISTS {name}"
    return PostgresOnlySQL([drop, _create(name, True)], reverse_sql=[drop, _create(name, False)])


class Migration(migrations.Migration):
    dependencies = [("accounts", "0014_disabled_indexes_by_status")]

    operations = [
        migrations.RemoveIndex(model_name="account", name="account_org_disabled_at"),
        migrations.AddIndex(
            model_name="account",
            index=models.Index(
                condition=models.Q(("status", "disabled")),
                fields=["organization", "disabled_at"],
                name="account_org_disabled_at",
            ),
        ),
        *[_rebuild(name) for name in COVERING],
        PostgresOnlySQL(
            [
                f"ALTER INDEX {index} ALTER COLUMN {column} SET STATISTICS {STATISTICS_TARGET}"
                for index, column in STATISTICS
            ]
            + [f"ALTER TABLE accounts_account ALTER COLUMN phone SET STATISTICS {STATISTICS_TARGET}"],
            reverse_sql=[
                f"ALTER INDEX {index} ALTER COLUMN {column} SET STATISTICS -1"
                for index, column in STATISTICS
            ]
            + ["ALTER TABLE accounts_account ALTER COLUMN phone SET STATISTICS -1"],
        ),
    ]
