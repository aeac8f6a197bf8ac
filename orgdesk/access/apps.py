from django.apps import AppConfig
from django.db.models.signals import post_migrate


class AccessConfig(AppConfig):
    name = "orgdesk.access"
    label = "access"

    def ready(self) -> None:
        from orgdesk.access.builtins import ensure_roles

        # Sent once per app after the whole migrate run; keyed to this app so it runs once.
        post_migrate.connect(ensure_roles, sender=self, dispatch_uid="orgdesk-access-builtins")
