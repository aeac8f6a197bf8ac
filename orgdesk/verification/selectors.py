"""Reads about identity verification beyond restrict()."""

from django.db import models

from orgdesk.organizations.models import Organization
from orgdesk.verification.models import VerificationPolicy


def applicable_policies(organization: Organization) -> models.QuerySet[VerificationPolicy]:
    """The policies admins may apply to an account of `organization`.

    A policy lists the organizations where it may be applied, and covers their descendants
    (like a role granted on an organization): an account is eligible for the policies of its
    own organization and of every ancestor up to the root. A policy of another branch or
    another tree does not apply.
    """
    lineage = organization.lineage().values("id")
    return VerificationPolicy.objects.filter(
        pk__in=VerificationPolicy.objects.filter(organizations__in=lineage).values("pk")
    ).order_by("name")
