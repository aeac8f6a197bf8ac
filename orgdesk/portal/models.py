"""Per-admin portal preferences: theme, page size, pinned organizations, remembered filters."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class AdminPreference(models.Model):
    class Theme(models.TextChoices):
        SYSTEM = "system", _("System")
        LIGHT = "light", _("Light")
        DARK = "dark", _("Dark")

    account = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="portal_preference",
    )
    theme = models.CharField(max_length=10, choices=Theme.choices, default=Theme.SYSTEM)
    page_size = models.PositiveSmallIntegerField(default=25)
    # Organization ids, in the order they were pinned.
    favorites = models.JSONField(default=list, blank=True)
    # view name -> query string last used there ("status=enabled&q=anna")
    filters = models.JSONField(default=dict, blank=True)
    updated = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"preferences of {self.account_id}"
