"""Prefix filters and search within a subtree, on PostgreSQL: (organization, lower(col)) indexes.

With only global prefix indexes, a prefix such as "ste" matched about 15,000 accounts over the
whole store, all read from the heap, to keep the tenth inside the admin's subtree (30-90 ms at
1M accounts). Per organization, the subtree's organizations are each probed for the prefix and
only matching rows in reach are read (4-9 ms). SQLite's LIKE does not use such indexes.
"""

from django.db import migrations

from orgdesk.core.migration_ops import PostgresOnlySQL

COLUMNS = {
    "email": "lower(email) text_pattern_ops",
    "username": "lower(username) text_pattern_ops",
    "given_name": "lower(given_name) text_pattern_ops",
    "family_name": "lower(family_name) text_pattern_ops",
    "phone": "phone text_pattern_ops",
}


class Migration(migrations.Migration):
    dependencies = [("accounts", "0009_disabled_order_indexes")]
    operations = [
        PostgresOnlySQL(
            f"CREATE INDEX IF NOT EXISTS account_org_{name}_prefix ON accounts_account "
            f"(organization_id, {expression})",
            reverse_sql=f"DROP INDEX IF EXISTS account_org_{name}_prefix",
        )
        for name, expression in COLUMNS.items()
    ]
