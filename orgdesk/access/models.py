"""Organization roles and their assignments (grants)."""

from django.conf import settings
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from orgdesk.access.permissions import BUILTIN_ROLES
from orgdesk.core.builtin_text import builtin_text
from orgdesk.core.models import BaseModel


class OrgRole(BaseModel):
    name = models.CharField(_("name"), max_length=150)
    slug = models.SlugField(_("slug"), max_length=100, unique=True)
    description = models.CharField(_("description"), max_length=500, blank=True)
    permissions = models.JSONField(_("permissions"), default=list)
    builtin = models.BooleanField(_("built in"), default=False)
    # Protected roles cannot be granted, revoked or edited by organization admins.
    protected = models.BooleanField(_("protected"), default=False)

    class Meta:
        ordering = ["name"]
        constraints = [models.UniqueConstraint(Lower("name"), name="orgrole_name_unique")]

    def __str__(self) -> str:
        # What choice fields and messages show: the name as the admin reads it.
        return self.display_name

    @property
    def builtin_default_name(self) -> str | None:
        """The English name this built-in role was seeded with, while it still carries it."""
        default = BUILTIN_ROLES.get(self.slug) if self.builtin else None
        return default[0] if default and self.name == default[0] else None

    @property
    def display_name(self) -> str:
        """The name in the current language while a built-in role keeps its English name;
        a renamed or custom role's name as typed."""
        return builtin_text(self.name, self.builtin_default_name)

    @property
    def display_description(self) -> str:
        default = BUILTIN_ROLES.get(self.slug) if self.builtin else None
        return builtin_text(self.description, default[1] if default else None)

    @property
    def permission_set(self) -> frozenset[str]:
        return frozenset(self.permissions)


class RoleAssignment(models.Model):
    """A grant of `role` on `organization` (and its descendants) to `account`.

    The account may live in another organization of the same tree: a cross-organization grant.
    """

    # Path to the owning organization, for restrict() (access/scoping.py).
    TENANT_FIELD = "organization"

    id = models.BigAutoField(primary_key=True)
    account = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="role_assignments",
        db_index=False,
    )
    organization = models.ForeignKey(
        "organizations.Organization", on_delete=models.CASCADE, related_name="role_assignments"
    )
    role = models.ForeignKey(OrgRole, on_delete=models.PROTECT, related_name="assignments")
    granted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["account", "organization", "role"], name="role_assignment_unique"
            )
        ]
        indexes = [
            models.Index(fields=["organization", "role"], name="role_assignment_org"),
        ]

    def __str__(self) -> str:
        return f"{self.role_id} on {self.organization_id} for {self.account_id}"
