"""The append-only activity log."""

from typing import Any, NoReturn

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class AppendOnlyError(Exception):
    """Events are facts: they are added, never changed or removed through the ORM."""


class EventQuerySet(models.QuerySet["Event"]):
    def update(self, **kwargs: Any) -> NoReturn:
        raise AppendOnlyError("events cannot be updated")

    def delete(self) -> NoReturn:
        raise AppendOnlyError("events cannot be deleted")

    def bulk_update(self, *args: Any, **kwargs: Any) -> NoReturn:
        raise AppendOnlyError("events cannot be updated")

    def update_or_create(self, *args: Any, **kwargs: Any) -> NoReturn:
        raise AppendOnlyError("events cannot be updated")


class Event(models.Model):
    """One fact about an account or an organization.

    Fields above the line are what an organization admin may see (the same categories a
    customer gets in a "download my data" export); `actor`, `ip` and `metadata` are internal.
    References carry no database constraint so the log outlives the rows it mentions and
    bulk loads skip a foreign-key check per row. A bigint key keeps the table compact and
    gives a cheap insertion order at millions of rows.
    """

    # Path to the owning organization, for restrict() (access/scoping.py).
    TENANT_FIELD = "organization"

    class Category(models.TextChoices):
        CUSTOMER_FLOW = "customer_flow", _("Customer flow")
        ADMIN_ACTION = "admin_action", _("Administrative action")

    class Result(models.TextChoices):
        SUCCESS = "success", _("Success")
        FAILURE = "failure", _("Failure")

    id = models.BigAutoField(primary_key=True)
    ts = models.DateTimeField(_("date"), default=timezone.now)
    account = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        db_index=False,  # covered by the (…, ts) indexes below
        null=True,
        blank=True,
        related_name="events",
    )
    organization = models.ForeignKey(
        "organizations.Organization",
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        db_index=False,  # covered by the (…, ts) indexes below
        null=True,
        blank=True,
        related_name="events",
    )
    category = models.CharField(max_length=20, choices=Category.choices)
    type = models.CharField(_("event"), max_length=64)
    result = models.CharField(max_length=10, choices=Result.choices, default=Result.SUCCESS)
    reason = models.CharField(max_length=64, blank=True)
    # ---- internal: never shown to organization admins ----
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        db_index=False,  # internal; no screen lists events by actor yet
        null=True,
        blank=True,
        related_name="+",
    )
    ip = models.GenericIPAddressField(null=True, blank=True)
    metadata = models.JSONField(default=dict, blank=True)

    objects = EventQuerySet.as_manager()

    class Meta:
        indexes = [
            models.Index(fields=["account", "-ts", "-id"], name="event_account_ts"),
            models.Index(fields=["organization", "-ts", "-id"], name="event_org_ts"),
            models.Index(fields=["-ts", "-id"], name="event_ts"),
        ]

    def __str__(self) -> str:
        return f"{self.type} {self.result} at {self.ts:%Y-%m-%d %H:%M}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise AppendOnlyError("events cannot be updated")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> NoReturn:
        raise AppendOnlyError("events cannot be deleted")
