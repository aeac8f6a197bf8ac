from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "orgdesk.notifications"
    label = "notifications"
