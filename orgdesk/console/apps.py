from django.apps import AppConfig


class ConsoleConfig(AppConfig):
    name = "orgdesk.console"
    label = "console"
