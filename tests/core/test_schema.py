"""The list pipeline's indexes and the identity store's constraints exist on this database."""

import pytest
from django.db import connection

pytestmark = pytest.mark.django_db


def index_names(table):
    with connection.cursor() as cursor:
        return set(connection.introspection.get_constraints(cursor, table))


def test_account_list_indexes():
    names = index_names("accounts_account")
    expected = {
        "account_last_login",
        "account_created",
        "account_org_last_login",
        "account_org_status",
        "account_org_created",
        "account_email_unique_in_store",
        "account_username_unique_in_store",
        "account_phone_unique_in_store",
        "account_family_name_lower",
        "account_given_name_lower",
    }
    assert expected <= names
    if connection.vendor == "postgresql":
        pg_only = {
            "account_email_prefix",
            "account_username_prefix",
            "account_phone_prefix",
            "account_email_trgm",
            "account_username_trgm",
            "account_phone_trgm",
            "account_display_name_trgm",
        }
        assert pg_only <= names


def test_postgres_trigram_index_is_gin():
    if connection.vendor != "postgresql":
        pytest.skip("trigram indexes are PostgreSQL-only")
    with connection.cursor() as cursor:
        cursor.execute("SELECT indexdef FROM pg_indexes WHERE indexname = 'account_email_trgm'")
        (definition,) = cursor.fetchone()
    assert "gin" in definition and "gin_trgm_ops" in definition and "lower" in definition


def test_postgres_order_indexes_hold_what_the_filters_test():
    """A walk along a sort order's index tests the organization, the status and the
    disabled date from the index itself (core/listing.py _take, accounts migration 0015)."""
    if connection.vendor != "postgresql":
        pytest.skip("covering indexes and statistics targets: PostgreSQL")
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'accounts_account'"
        )
        definitions = dict(cursor.fetchall())
        cursor.execute(
            "SELECT c.relname, a.attstattarget FROM pg_attribute a "
            "JOIN pg_class c ON c.oid = a.attrelid "
            "WHERE c.relname = 'account_family_name_prefix' AND a.attnum = 1"
        )
        (_, target) = cursor.fetchone()
    for name in ("account_last_login", "account_created", "account_sort_name"):
        assert "INCLUDE (organization_id, status)" in definitions[name], name
    assert "INCLUDE (organization_id)" in definitions["account_status_name"]
    for name in ("account_disabled_last_login", "account_disabled_created"):
        assert "INCLUDE (organization_id, disabled_at)" in definitions[name], name
        assert "status)::text = 'disabled'" in definitions[name], name
    assert "INCLUDE (id)" in definitions["account_org_disabled_at"]
    assert "NULLS LAST" in definitions["account_last_login"]
    assert target == 500


def test_organization_and_event_indexes():
    assert {"organization_root_path", "organization_path_unique"} <= index_names(
        "organizations_organization"
    )
    assert {"event_account_ts", "event_org_ts", "event_ts"} <= index_names("activity_event")
    if connection.vendor == "postgresql":
        assert "organization_path_prefix" in index_names("organizations_organization")


def test_subtree_query_uses_an_index_on_postgres(tree):
    if connection.vendor != "postgresql":
        pytest.skip("plan check is PostgreSQL-specific")
    from orgdesk.organizations.models import Organization

    with connection.cursor() as cursor:
        cursor.execute("SET enable_seqscan = off")
        plan = Organization.objects.filter(path__startswith=tree.emea.path).explain()
        cursor.execute("SET enable_seqscan = on")
    assert "organization_path_prefix" in plan or "organization_path_unique" in plan


def test_builtins_after_migrate():
    from orgdesk.access.models import OrgRole
    from orgdesk.access.permissions import ALL, BUILTIN_ROLES
    from orgdesk.notifications.models import NotificationTemplate
    from orgdesk.organizations.models import PORTAL_CLIENT_ID, Application

    portal = Application.objects.get(client_id=PORTAL_CLIENT_ID)
    assert portal.name == "Organization Portal" and portal.builtin
    roles = {r.slug: set(r.permissions) for r in OrgRole.objects.filter(builtin=True)}
    assert set(roles) == set(BUILTIN_ROLES)
    assert roles["admin"] == set(ALL)
    assert "roles.assign" not in roles["organization-manager"]
    assert "accounts.disable" not in roles["account-recovery-assistant"]
    assert NotificationTemplate.objects.filter(code="password_reset", expires_after=60).exists()
