from django.apps import AppConfig


class ActivityConfig(AppConfig):
    name = "orgdesk.activity"
    label = "activity"
