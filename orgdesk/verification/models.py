"""Identity verification policies and per-account results."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from orgdesk.core.models import BaseModel


class VerificationPolicy(BaseModel):
    class Method(models.TextChoices):
        DOCUMENT = "document", _("Identity document")
        DATABASE = "database", _("Database check")
        VIDEO = "video", _("Video call")
        IN_PERSON = "in_person", _("In person")

    name = models.CharField(_("verification policy"), max_length=200, unique=True)
    method = models.CharField(max_length=20, choices=Method.choices)
    description = models.CharField(max_length=500, blank=True)
    # Organizations (and their descendants) where admins may apply this policy.
    organizations = models.ManyToManyField(
        "organizations.Organization", blank=True, related_name="verification_policies"
    )

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "verification policies"

    def __str__(self) -> str:
        return self.name


class VerificationResult(BaseModel):
    # Path to the owning organization, for restrict() (access/scoping.py).
    TENANT_FIELD = "account__organization"

    account = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="verifications",
        db_index=False,
    )
    policy = models.ForeignKey(VerificationPolicy, on_delete=models.PROTECT)
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    verified = models.BooleanField(_("successfully verified"), default=False)
    verified_at = models.DateTimeField(null=True, blank=True)
    manual = models.BooleanField(default=False)
    verified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    revoked = models.BooleanField(_("result revoked"), default=False)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["account", "policy"], name="verification_unique"),
            models.CheckConstraint(
                condition=models.Q(revoked=False) | models.Q(verified=True),
                name="verification_revoked_needs_verified",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.policy_id}: {self.verified}"
