from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "orgdesk.accounts"
    label = "accounts"
