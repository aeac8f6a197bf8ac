"""PostgreSQL-only indexes for identifier search: pattern_ops for prefix, trigram for substring.

SQLite gets the plain lower() indexes from the model; these would not parse there.
"""

from django.db import migrations

from orgdesk.core.migration_ops import PostgresOnlySQL

PREFIX = [("email", "lower(email)"), ("username", "lower(username)"), ("phone", "phone")]
TRIGRAM = [
    ("email", "lower(email)"),
    ("username", "lower(username)"),
    ("phone", "phone"),
    ("display_name", "lower(display_name)"),
]

operations: list = [
    PostgresOnlySQL(
        "CREATE EXTENSION IF NOT EXISTS pg_trgm", reverse_sql=migrations.RunSQL.noop
    )
]
for name, expr in PREFIX:
    operations.append(
        PostgresOnlySQL(
            f"CREATE INDEX account_{name}_prefix ON accounts_account ({expr} text_pattern_ops)",
            reverse_sql=f"DROP INDEX IF EXISTS account_{name}_prefix",
        )
    )
for name, expr in TRIGRAM:
    operations.append(
        PostgresOnlySQL(
            f"CREATE INDEX account_{name}_trgm ON accounts_account "
            f"USING gin ({expr} gin_trgm_ops)",
            reverse_sql=f"DROP INDEX IF EXISTS account_{name}_trgm",
        )
    )


class Migration(migrations.Migration):
    dependencies = [("accounts", "0002_initial")]
    operations = operations
