"""Branding policies (per application) and the organization-level override."""

from django.core.validators import RegexValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from orgdesk.core.models import BaseModel

hex_colour = RegexValidator(r"^#[0-9a-fA-F]{6}$", _("Enter a colour as #RRGGBB."))

# Where a policy's custom CSS and additional script apply (BrandingPolicy.custom's keys).
SURFACES = {
    "signin": _("Sign-in"),
    "portal": _("Organization portal"),
    "emails": _("Emails"),
}


class HeaderStyle(models.TextChoices):
    LIGHT = "light", _("Light")
    DARK = "dark", _("Dark")
    BRAND = "brand", _("Brand colour")


class BrandingPolicy(BaseModel):
    class Font(models.TextChoices):
        SYSTEM = "system", _("System sans-serif")
        SERIF = "serif", _("Serif")
        ROUNDED = "rounded", _("Rounded")
        MONO = "mono", _("Monospace")

    name = models.CharField(_("name"), max_length=200, unique=True)
    primary_color = models.CharField(
        _("primary colour"), max_length=7, default="#4f46e5", validators=[hex_colour]
    )
    logo = models.ImageField(_("logo"), upload_to="branding/", blank=True)
    font = models.CharField(_("typography"), max_length=10, choices=Font.choices, default="system")
    header_style = models.CharField(
        _("header style"), max_length=10, choices=HeaderStyle.choices, default=HeaderStyle.BRAND
    )
    # Per-surface advanced customisation, brand admins only: {"portal": {"css": "...",
    # "script": "..."}, "signin": {...}, "emails": {"css": "..."}}. Served as files of their
    # own (branding/assets.py), never written into a page.
    custom = models.JSONField(default=dict, blank=True)

    class Meta:
        verbose_name_plural = "branding policies"

    def __str__(self) -> str:
        return self.name

    def custom_text(self, surface: str, kind: str) -> str:
        entry = self.custom.get(surface) if isinstance(self.custom, dict) else None
        value = entry.get(kind) if isinstance(entry, dict) else None
        return value if isinstance(value, str) else ""


class OrganizationBranding(BaseModel):
    """Predefined options only: tokens, never raw CSS."""

    HeaderStyle = HeaderStyle

    organization = models.OneToOneField(
        "organizations.Organization", on_delete=models.CASCADE, related_name="branding"
    )
    logo = models.ImageField(_("logo"), upload_to="branding/orgs/", blank=True)
    background_color = models.CharField(
        _("background colour"), max_length=7, blank=True, validators=[hex_colour]
    )
    header_style = models.CharField(
        _("header style"), max_length=10, choices=HeaderStyle.choices, default=HeaderStyle.LIGHT
    )

    def __str__(self) -> str:
        return f"branding of {self.organization_id}"
