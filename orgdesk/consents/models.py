"""Versioned consent policies and the consent records of accounts."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from orgdesk.core.models import BaseModel


class ConsentPolicy(BaseModel):
    name = models.CharField(_("name"), max_length=200)
    version = models.CharField(_("version"), max_length=32)
    text = models.TextField(blank=True)
    required = models.BooleanField(default=False)

    class Meta:
        ordering = ["name", "version"]
        verbose_name_plural = "consent policies"
        constraints = [
            models.UniqueConstraint(fields=["name", "version"], name="consent_policy_version")
        ]

    def __str__(self) -> str:
        return f"{self.name} v{self.version}"


class ConsentRecord(BaseModel):
    # Path to the owning organization, for restrict() (access/scoping.py).
    TENANT_FIELD = "account__organization"

    account = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="consents",
        db_index=False,
    )
    policy = models.ForeignKey(ConsentPolicy, on_delete=models.PROTECT)
    granted_at = models.DateTimeField(_("granted"))
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["account", "policy"], name="consent_record_unique"),
            models.CheckConstraint(
                condition=models.Q(revoked_at__isnull=True)
                | models.Q(revoked_at__gte=models.F("granted_at")),
                name="consent_revoked_after_granted",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.policy_id} for {self.account_id}"
