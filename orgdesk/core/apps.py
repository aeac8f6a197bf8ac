from django.apps import AppConfig
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.backends.signals import connection_created


class CoreConfig(AppConfig):
    name = "orgdesk.core"
    label = "core"

    def ready(self) -> None:
        from orgdesk.core import lookups  # noqa: F401  (registers `field__lower`)

        connection_created.connect(use_unicode_lower, dispatch_uid="orgdesk-unicode-lower")


def _unicode_lower(value: object) -> object:
    return value.lower() if isinstance(value, str) else value


def use_unicode_lower(sender: object, connection: BaseDatabaseWrapper, **_: object) -> None:
    """SQLite's LOWER() folds ASCII only, while Python's str.lower() (used for filter values)
    folds every script: give SQLite the same function so "Émile" matches "émile" and
    identifiers stay unique case-insensitively beyond ASCII, as on PostgreSQL."""
    if getattr(connection, "vendor", "") == "sqlite":
        connection.connection.create_function("LOWER", 1, _unicode_lower, deterministic=True)
