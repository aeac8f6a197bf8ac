"""Reads of branding that screens need."""

from typing import Any

from django.db.models import QuerySet

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


def own_override(organization: Organization) -> OrganizationBranding | None:
    """The organization's own branding override (not one inherited from above), or None."""
    return OrganizationBranding.objects.filter(organization=organization).first()


def policies_with_applications() -> QuerySet[BrandingPolicy]:
    return BrandingPolicy.objects.prefetch_related("applications").order_by("name")


def policy_by_id(pk: Any) -> BrandingPolicy | None:
    return BrandingPolicy.objects.filter(pk=pk).first()
