from django.apps import AppConfig


class OrganizationsConfig(AppConfig):
    name = "orgdesk.organizations"
    label = "organizations"
