"""Reads about identity verification beyond restrict()."""

from django.db import models

from orgdesk.access.actor import Actor
from orgdesk.access.scoping import restrict
from orgdesk.accounts.models import Account
from orgdesk.organizations.models import Organization
from orgdesk.verification.models import VerificationPolicy, VerificationResult


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


def results_shown(actor: Actor, account: Account) -> models.QuerySet[VerificationResult]:
    """The account's verification results, one per policy, with their policy; seen by whoever
    may view the account (accounts.view)."""
    return restrict(
        actor, "accounts.view", VerificationResult.objects.select_related("policy")
    ).filter(account=account)
