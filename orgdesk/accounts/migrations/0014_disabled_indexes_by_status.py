"""The disabled-account indexes keyed on the status, the one condition the status filter
states (accounts/filters.py _status_condition), and disabled accounts by organization and
date for the disabled-date filters."""

from django.db import migrations, models

from orgdesk.core.migration_ops import PostgresOnlySQL


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0013_sortable_columns"),
        ("organizations", "0002_postgres_path_index"),
    ]

    operations = [
        migrations.RemoveIndex(
            model_name="account",
            name="account_disabled_last_login",
        ),
        migrations.RemoveIndex(
            model_name="account",
            name="account_disabled_created",
        ),
        migrations.AddIndex(
            model_name="account",
            index=models.Index(
                condition=models.Q(("status", "disabled")),
                fields=["-last_login", "-id"],
                name="account_disabled_last_login",
            ),
        ),
        migrations.AddIndex(
            model_name="account",
            index=models.Index(
                condition=models.Q(("status", "disabled")),
                fields=["-created", "-id"],
                name="account_disabled_created",
            ),
        ),
        migrations.AddIndex(
            model_name="account",
            index=models.Index(
                condition=models.Q(("disabled_at__isnull", False)),
                fields=["organization", "disabled_at"],
                name="account_org_disabled_at",
            ),
        ),
        # PostgreSQL: NULLs last in DESC order, as for the other last_login indexes (0005).
        PostgresOnlySQL(
            [
                "DROP INDEX IF EXISTS account_disabled_last_login",
                "CREATE INDEX account_disabled_last_login ON accounts_account "
                "(last_login DESC NULLS LAST, id DESC) WHERE status = 'disabled'",
            ],
            reverse_sql=[],
        ),
    ]
