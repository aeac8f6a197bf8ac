from django.apps import AppConfig
from django.db.models.signals import post_migrate


class BrandingConfig(AppConfig):
    name = "orgdesk.branding"
    label = "branding"

    def ready(self) -> None:
        from orgdesk.branding.builtins import ensure_portal_client

        # Sent once per app after the whole migrate run; keyed to this app so it runs once.
        post_migrate.connect(
            ensure_portal_client, sender=self, dispatch_uid="orgdesk-branding-builtins"
        )
