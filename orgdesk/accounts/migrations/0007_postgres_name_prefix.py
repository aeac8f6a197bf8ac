"""Name filters and search are case-insensitive prefix matches (`lower(col) LIKE 'abc%'`);
on PostgreSQL with a non-C collation they need pattern_ops indexes to use a btree."""

from django.db import migrations

from orgdesk.core.migration_ops import PostgresOnlySQL


class Migration(migrations.Migration):
    dependencies = [("accounts", "0006_filter_indexes")]
    operations = [
        PostgresOnlySQL(
            f"CREATE INDEX account_{name}_prefix ON accounts_account "
            f"(lower({name}) text_pattern_ops)",
            reverse_sql=f"DROP INDEX IF EXISTS account_{name}_prefix",
        )
        for name in ("given_name", "family_name")
    ]
