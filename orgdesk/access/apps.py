from django.apps import AppConfig


class AccessConfig(AppConfig):
    name = "orgdesk.access"
    label = "access"
