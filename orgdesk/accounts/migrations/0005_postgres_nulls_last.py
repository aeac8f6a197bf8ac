"""PostgreSQL sorts NULLs first in DESC order; the accounts list wants never-signed-in
accounts last, so its last_login indexes are rebuilt as DESC NULLS LAST there."""

from django.db import migrations

from orgdesk.core.migration_ops import PostgresOnlySQL


class Migration(migrations.Migration):
    dependencies = [("accounts", "0004_list_order_indexes")]
    operations = [
        PostgresOnlySQL(
            [
                "DROP INDEX IF EXISTS account_last_login",
                "CREATE INDEX account_last_login ON accounts_account "
                "(last_login DESC NULLS LAST, id DESC)",
                "DROP INDEX IF EXISTS account_org_last_login",
                "CREATE INDEX account_org_last_login ON accounts_account "
                "(organization_id, last_login DESC NULLS LAST, id DESC)",
            ],
            reverse_sql=[
                "DROP INDEX IF EXISTS account_last_login",
                "CREATE INDEX account_last_login ON accounts_account (last_login DESC, id DESC)",
                "DROP INDEX IF EXISTS account_org_last_login",
                "CREATE INDEX account_org_last_login ON accounts_account "
                "(organization_id, last_login DESC, id DESC)",
            ],
        ),
    ]
