from django.apps import AppConfig


class SecurityConfig(AppConfig):
    name = "orgdesk.security"
    label = "security"
