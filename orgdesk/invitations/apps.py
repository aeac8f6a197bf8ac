from django.apps import AppConfig


class InvitationsConfig(AppConfig):
    name = "orgdesk.invitations"
    label = "invitations"
