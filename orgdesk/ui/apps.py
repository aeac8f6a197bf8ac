from django.apps import AppConfig


class UiConfig(AppConfig):
    name = "orgdesk.ui"
    label = "ui"
    verbose_name = "Shared screen pieces"
