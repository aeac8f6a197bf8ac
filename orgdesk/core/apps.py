from django.apps import AppConfig
from django.db.models.signals import post_migrate


class CoreConfig(AppConfig):
    name = "orgdesk.core"
    label = "core"

    def ready(self) -> None:
        from orgdesk.core.builtins import ensure_builtins

        # Sent once per app after the whole migrate run; keyed to one app so it runs once.
        post_migrate.connect(ensure_builtins, sender=self, dispatch_uid="orgdesk-builtins")
