"""Reads of invitations and bulk invitation jobs that screens need beyond a list spec."""

from typing import Any

from django.db.models import QuerySet

from orgdesk.access.actor import Actor
from orgdesk.access.models import OrgRole
from orgdesk.access.scoping import access, restrict
from orgdesk.access.selectors import in_display_order
from orgdesk.accounts.models import Group
from orgdesk.invitations.bulk import common as bulk_common
from orgdesk.invitations.models import ImportJob, ImportRow, Invitation
from orgdesk.organizations.models import Organization

BULK_PERMISSION = "invitations.manage"


def own_invitations(actor: Actor, organization: Organization) -> QuerySet[Invitation]:
    """The organization's own invitations (not those of the organizations below it) that the
    actor may see, with their application."""
    return restrict(
        actor,
        "invitations.view",
        Invitation.objects.select_related("application"),
        within=organization,
    ).filter(organization=organization)


def invitation_shown(actor: Actor, organization: Organization, pk: Any) -> Invitation:
    """One of the organization's own invitations, with who sent it, or 404 (missing and
    another organization's look the same)."""
    return access(
        actor,
        "invitations.view",
        own_invitations(actor, organization).select_related("organization", "invited_by"),
        pk,
    )


def invitation_groups(invitation: Invitation) -> QuerySet[Group]:
    """The groups the invitee will join, by name, with their organization."""
    return invitation.groups.select_related("organization").order_by("name")


def invitation_roles(invitation: Invitation) -> QuerySet[OrgRole]:
    return in_display_order(invitation.roles.all())


def accepted_invitation(pk: Any) -> Invitation | None:
    """The invitation `pk` once accepted, with its organization and application (the page
    after registering), else None."""
    return (
        Invitation.objects.select_related("organization", "application")
        .filter(pk=pk, status=Invitation.Status.ACCEPTED)
        .first()
    )


def bulk_jobs(actor: Actor, organization: Organization) -> QuerySet[ImportJob]:
    """The organization's bulk invitation jobs, if the actor may manage its invitations."""
    return restrict(
        actor,
        BULK_PERMISSION,
        ImportJob.objects.filter(kind=bulk_common.KIND, organization=organization).select_related(
            "created_by"
        ),
        within=organization,
    )


def bulk_job_of(actor: Actor, organization: Organization, pk: Any) -> ImportJob:
    """One bulk invitation job of the organization, or 404 (missing and another
    organization's look the same)."""
    return access(actor, BULK_PERMISSION, bulk_jobs(actor, organization), pk)


def job_rows(job: ImportJob, *, problems_only: bool, after: int, limit: int) -> list[ImportRow]:
    """Up to `limit` rows of the job after row number `after`, in file order, with their
    email's notification; only the invalid and failed ones with `problems_only`."""
    rows = ImportRow.objects.filter(job=job).select_related("notification")
    if problems_only:
        rows = rows.filter(status__in=[ImportRow.Status.INVALID, ImportRow.Status.FAILED])
    return list(rows.filter(number__gt=after).order_by("number")[:limit])
