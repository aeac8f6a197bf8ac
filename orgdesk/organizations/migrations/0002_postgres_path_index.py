from django.db import migrations

from orgdesk.core.migration_ops import PostgresOnlySQL


class Migration(migrations.Migration):
    dependencies = [("organizations", "0001_initial")]
    operations = [
        # Subtree queries are `path LIKE '/key/%'`; the database collation is not C, so the
        # prefix match needs a pattern_ops index to use a btree.
        PostgresOnlySQL(
            "CREATE INDEX organization_path_prefix ON organizations_organization "
            "(path text_pattern_ops)",
            reverse_sql="DROP INDEX IF EXISTS organization_path_prefix",
        ),
        PostgresOnlySQL(
            "CREATE EXTENSION IF NOT EXISTS pg_trgm", reverse_sql=migrations.RunSQL.noop
        ),
        PostgresOnlySQL(
            "CREATE INDEX organization_route_trgm ON organizations_organization "
            "USING gin (lower(route) gin_trgm_ops)",
            reverse_sql="DROP INDEX IF EXISTS organization_route_trgm",
        ),
    ]
