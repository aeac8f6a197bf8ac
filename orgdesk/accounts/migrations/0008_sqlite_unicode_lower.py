"""SQLite connections now use a Unicode-aware LOWER() (core/apps.py); rebuild the indexes
on lower(...) so entries written with SQLite's ASCII-only LOWER() agree with it."""

from django.db import migrations

from orgdesk.core.migration_ops import SQLiteOnlySQL


class Migration(migrations.Migration):
    dependencies = [("accounts", "0007_postgres_name_prefix")]
    operations = [SQLiteOnlySQL("REINDEX", reverse_sql=migrations.RunSQL.noop)]
