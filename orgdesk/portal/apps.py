from django.apps import AppConfig


class PortalConfig(AppConfig):
    name = "orgdesk.portal"
    label = "portal"
