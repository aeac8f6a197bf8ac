"""Events cannot be updated, even by raw SQL.

Deletes stay possible at the database level for retention purges (a deliberate, raw-SQL
operation); the ORM refuses both. Note: a later migration that makes Django rebuild this
table on SQLite drops the trigger and must create it again.
"""

from django.db import migrations

from orgdesk.core.migration_ops import PostgresOnlySQL, SQLiteOnlySQL


class Migration(migrations.Migration):
    dependencies = [("activity", "0002_initial")]
    operations = [
        PostgresOnlySQL(
            [
                """
                CREATE FUNCTION activity_event_append_only() RETURNS trigger AS $$
                BEGIN
                    RAISE EXCEPTION 'activity events are append-only';
                END
                $$ LANGUAGE plpgsql
                """,
                """
                CREATE TRIGGER activity_event_no_update BEFORE UPDATE ON activity_event
                FOR EACH ROW EXECUTE FUNCTION activity_event_append_only()
                """,
            ],
            reverse_sql=[
                "DROP TRIGGER IF EXISTS activity_event_no_update ON activity_event",
                "DROP FUNCTION IF EXISTS activity_event_append_only()",
            ],
        ),
        SQLiteOnlySQL(
            """
            CREATE TRIGGER activity_event_no_update BEFORE UPDATE ON activity_event
            BEGIN SELECT RAISE(ABORT, 'activity events are append-only'); END
            """,
            reverse_sql="DROP TRIGGER IF EXISTS activity_event_no_update",
        ),
    ]
