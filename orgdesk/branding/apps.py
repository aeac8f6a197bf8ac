from django.apps import AppConfig


class BrandingConfig(AppConfig):
    name = "orgdesk.branding"
    label = "branding"
