"""Search within a subtree from indexes alone, on PostgreSQL.

The (organization, lower(column)) prefix indexes of 0010 found a subtree's matches, but each
match was then read from the table for its key and sort columns: for a common prefix such as
"jo", about 9,000 table reads in a 100,000-account subtree (17 ms for the email part alone).
These replace them with the same keys plus the column itself (PostgreSQL cannot take
lower(email) from the index for an index-only scan unless email is there too), both sort
columns and the primary key, so filters.search_keys() reads no table row at all.
"""

from django.db import migrations

from orgdesk.core.migration_ops import PostgresOnlySQL

COLUMNS = {
    "email": ("lower(email) text_pattern_ops", "email, "),
    "username": ("lower(username) text_pattern_ops", "username, "),
    "given_name": ("lower(given_name) text_pattern_ops", "given_name, "),
    "family_name": ("lower(family_name) text_pattern_ops", "family_name, "),
    "phone": ("phone text_pattern_ops", ""),
}


def _create(name: str, expression: str, include: str, suffix: str) -> str:
    return (
        f"CREATE INDEX IF NOT EXISTS account_org_{name}_{suffix} ON accounts_account "
        f"(organization_id, {expression}) INCLUDE ({include}last_login, created, id)"
    )


operations = []
for name, (expression, include) in COLUMNS.items():
    operations.append(
        PostgresOnlySQL(
            _create(name, expression, include, "search"),
            reverse_sql=f"DROP INDEX IF EXISTS account_org_{name}_search",
        )
    )
    operations.append(
        PostgresOnlySQL(
            f"DROP INDEX IF EXISTS account_org_{name}_prefix",
            reverse_sql=(
                f"CREATE INDEX IF NOT EXISTS account_org_{name}_prefix ON accounts_account "
                f"(organization_id, {expression})"
            ),
        )
    )


class Migration(migrations.Migration):
    dependencies = [("accounts", "0010_postgres_org_prefix")]
    operations = operations
