"""Invitations and bulk import jobs."""

from django.conf import settings
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from orgdesk.core.models import BaseModel

STATE_PENDING = "pending"
STATE_OUTDATED = "outdated"
# Filter values and labels of the Invitations tab (the "state" property below).
STATES = [
    (STATE_PENDING, _("Pending")),
    (STATE_OUTDATED, _("Outdated")),
    ("accepted", _("Accepted")),
    ("revoked", _("Revoked")),
]


class Invitation(BaseModel):
    # Path to the owning organization, for restrict() (access/scoping.py).
    TENANT_FIELD = "organization"

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        ACCEPTED = "accepted", _("Accepted")
        REVOKED = "revoked", _("Revoked")

    organization = models.ForeignKey(
        "organizations.Organization", on_delete=models.CASCADE, related_name="invitations"
    )
    email = models.EmailField(_("email address"))
    given_name = models.CharField(max_length=150, blank=True)
    family_name = models.CharField(max_length=150, blank=True)
    application = models.ForeignKey(
        "organizations.Application", verbose_name=_("client"), on_delete=models.PROTECT
    )
    token_hash = models.CharField(max_length=64, unique=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    last_sent = models.DateTimeField(_("last sent"), default=timezone.now)
    expires = models.DateTimeField()
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    accepted_account = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    accepted_at = models.DateTimeField(null=True, blank=True)
    groups = models.ManyToManyField("accounts.Group", blank=True)
    roles = models.ManyToManyField("access.OrgRole", blank=True)
    locale = models.CharField(max_length=16, blank=True)

    class Meta:
        constraints = [
            # One live invitation per address and organization.
            models.UniqueConstraint(
                "organization",
                Lower("email"),
                condition=models.Q(status="pending"),
                name="invitation_pending_unique",
            )
        ]
        indexes = [
            models.Index(fields=["organization", "-last_sent", "id"], name="invitation_org_sent"),
            models.Index(Lower("email"), name="invitation_email_lower"),
        ]

    def __str__(self) -> str:
        return self.email

    @property
    def is_expired(self) -> bool:
        return self.status == self.Status.PENDING and self.expires <= timezone.now()

    @property
    def state(self) -> str:
        """What the admin sees: "pending" (valid), "outdated" (pending but expired),
        "accepted" or "revoked" (deleted by an admin, kept for audit)."""
        if self.status == self.Status.PENDING:
            return STATE_OUTDATED if self.is_expired else STATE_PENDING
        return self.status

    @property
    def is_open(self) -> bool:
        """Pending, valid or outdated: it can still be resent or deleted."""
        return self.status == self.Status.PENDING


class ImportJob(BaseModel):
    # Path to the owning organization, for restrict() (access/scoping.py).
    TENANT_FIELD = "organization"

    class Status(models.TextChoices):
        UPLOADED = "uploaded", _("Uploaded")
        VALIDATED = "validated", _("Validated")
        RUNNING = "running", _("Running")
        FINISHED = "finished", _("Finished")
        FAILED = "failed", _("Failed")
        CANCELLED = "cancelled", _("Cancelled")

    organization = models.ForeignKey(
        "organizations.Organization", on_delete=models.CASCADE, related_name="import_jobs"
    )
    kind = models.CharField(max_length=32, default="bulk_invite")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    filename = models.CharField(max_length=255, blank=True)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.UPLOADED)
    options = models.JSONField(default=dict, blank=True)
    total_rows = models.PositiveIntegerField(default=0)
    # Rows the preview found wrong: never processed, reported as such.
    invalid_rows = models.PositiveIntegerField(default=0)
    processed_rows = models.PositiveIntegerField(default=0)
    succeeded_rows = models.PositiveIntegerField(default=0)
    failed_rows = models.PositiveIntegerField(default=0)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    error = models.TextField(blank=True)
    # The run holding the job (a random id) and when it last showed progress: a second run
    # leaves a job alone while its holder is alive; a stalled one can be resumed (bulk.py).
    worker = models.CharField(max_length=32, blank=True)
    heartbeat = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.kind} {self.filename}"


class ImportRow(models.Model):
    """One input row and its outcome: the unit of idempotent, resumable processing."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        INVALID = "invalid", _("Invalid")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")

    id = models.BigAutoField(primary_key=True)
    job = models.ForeignKey(ImportJob, on_delete=models.CASCADE, related_name="rows")
    number = models.PositiveIntegerField()
    data = models.JSONField(default=dict)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    error = models.CharField(max_length=500, blank=True)
    invitation = models.ForeignKey(Invitation, on_delete=models.SET_NULL, null=True, blank=True)
    # The invitation email: queued in the transaction that creates the invitation, marked sent
    # by the same job once it left, so a resumed job sends only the ones that did not.
    notification = models.ForeignKey(
        "notifications.Notification",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        constraints = [models.UniqueConstraint(fields=["job", "number"], name="import_row_unique")]
        indexes = [models.Index(fields=["job", "status", "number"], name="import_row_status")]

    def __str__(self) -> str:
        return f"row {self.number}"
