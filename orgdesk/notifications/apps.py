from django.apps import AppConfig
from django.db.models.signals import post_migrate


class NotificationsConfig(AppConfig):
    name = "orgdesk.notifications"
    label = "notifications"

    def ready(self) -> None:
        from orgdesk.notifications.builtins import ensure_templates

        # Sent once per app after the whole migrate run; keyed to this app so it runs once.
        post_migrate.connect(
            ensure_templates, sender=self, dispatch_uid="orgdesk-notifications-builtins"
        )
