from django.apps import AppConfig


class CustomerConfig(AppConfig):
    """Pages customers reach from emails (password links), outside the admin portal."""

    name = "orgdesk.customer"
    label = "customer"
