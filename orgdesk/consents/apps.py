from django.apps import AppConfig


class ConsentsConfig(AppConfig):
    name = "orgdesk.consents"
    label = "consents"
