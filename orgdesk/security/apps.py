from django.apps import AppConfig


class SecurityConfig(AppConfig):
    name = "orgdesk.security"
    label = "security"

    def ready(self) -> None:
        from orgdesk.security import checks  # noqa: F401 (registers the system checks)
