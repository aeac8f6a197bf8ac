"""Branding policies (per application) and the organization-level override."""

from django.core.validators import RegexValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from orgdesk.core.models import BaseModel

hex_colour = RegexValidator(r"^#[0-9a-fA-F]{6}$", _("Enter a colour as #RRGGBB."))


class BrandingPolicy(BaseModel):
    name = models.CharField(_("name"), max_length=200, unique=True)
    primary_color = models.CharField(max_length=7, default="#4f46e5", validators=[hex_colour])
    logo = models.ImageField(upload_to="branding/", blank=True)
    # Per-surface advanced customisation: {"portal": {"css": "...", "script": "..."}, ...}
    custom = models.JSONField(default=dict, blank=True)

    class Meta:
        verbose_name_plural = "branding policies"

    def __str__(self) -> str:
        return self.name


class OrganizationBranding(BaseModel):
    """Predefined options only: tokens, never raw CSS."""

    class HeaderStyle(models.TextChoices):
        LIGHT = "light", _("Light")
        DARK = "dark", _("Dark")
        BRAND = "brand", _("Brand colour")

    organization = models.OneToOneField(
        "organizations.Organization", on_delete=models.CASCADE, related_name="branding"
    )
    logo = models.ImageField(upload_to="branding/orgs/", blank=True)
    background_color = models.CharField(max_length=7, blank=True, validators=[hex_colour])
    header_style = models.CharField(
        max_length=10, choices=HeaderStyle.choices, default=HeaderStyle.LIGHT
    )

    def __str__(self) -> str:
        return f"branding of {self.organization_id}"
