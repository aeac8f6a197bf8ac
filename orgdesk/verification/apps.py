from django.apps import AppConfig


class VerificationConfig(AppConfig):
    name = "orgdesk.verification"
    label = "verification"
