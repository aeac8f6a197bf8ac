"""Templates and the log of notifications sent to customers."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from orgdesk.core.builtin_text import builtin_text
from orgdesk.core.models import BaseModel
from orgdesk.notifications.builtins import BUILTIN_NAMES


class Channel(models.TextChoices):
    EMAIL = "email", _("Email")
    SMS = "sms", _("SMS")


class NotificationTemplate(BaseModel):
    code = models.SlugField(max_length=64, unique=True)
    name = models.CharField(_("notification template"), max_length=200)
    channel = models.CharField(max_length=10, choices=Channel.choices)
    subject = models.CharField(max_length=200, blank=True)
    body = models.TextField()
    # Minutes a link or code in this notification stays valid; null when nothing expires.
    expires_after = models.PositiveIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.display_name

    @property
    def display_name(self) -> str:
        """The name in the current language while a built-in template keeps its English
        name; a renamed or custom one's name as typed."""
        return builtin_text(self.name, BUILTIN_NAMES.get(self.code))


class Notification(models.Model):
    # Path to the owning organization, for restrict() (access/scoping.py).
    TENANT_FIELD = "account__organization"

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        SENT = "sent", _("Sent")
        DELIVERED = "delivered", _("Delivered")
        FAILED = "failed", _("Failed")

    id = models.BigAutoField(primary_key=True)
    account = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="notifications",
        db_index=False,
    )
    organization = models.ForeignKey(
        "organizations.Organization", on_delete=models.CASCADE, null=True, blank=True
    )
    template = models.ForeignKey(NotificationTemplate, on_delete=models.PROTECT)
    channel = models.CharField(max_length=10, choices=Channel.choices)
    target = models.CharField(_("target"), max_length=254)
    sent_at = models.DateTimeField(_("date"), default=timezone.now)
    expires_at = models.DateTimeField(_("expiration time"), null=True, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    error = models.CharField(max_length=500, blank=True)

    class Meta:
        indexes = [models.Index(fields=["account", "-sent_at"], name="notification_account")]

    def __str__(self) -> str:
        return f"{self.template_id} to {self.target}"
