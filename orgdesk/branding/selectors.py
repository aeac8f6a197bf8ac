"""Reads of branding that screens need."""

from orgdesk.branding.models import BrandingPolicy, OrganizationBranding
from orgdesk.organizations.models import Organization


def default_policy() -> BrandingPolicy | None:
    """The built-in "Default" branding policy (for an application without one of its own)."""
    return BrandingPolicy.objects.filter(name="Default").first()


def nearest_override(organization: Organization) -> OrganizationBranding | None:
    """The branding override of the organization, or of the nearest organization above it
    that has one (an override covers the organizations below it)."""
    return (
        OrganizationBranding.objects.filter(organization__in=organization.lineage())
        .order_by("-organization__depth")
        .first()
    )
