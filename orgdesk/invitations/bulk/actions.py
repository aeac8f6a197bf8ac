"""The admin's actions on a previewed bulk invitation (confirm, discard, resume) and the
worker's care of jobs left behind (stalled jobs queued again, old previews discarded). Each
records its event; a confirmed or resumed job goes to `runner.run_bulk_invite` when the
transaction commits."""

import datetime as dt
import logging
import threading

from django.core.exceptions import ValidationError
from django.db import close_old_connections, models, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from orgdesk.access.actor import Actor, Channel
from orgdesk.access.models import OrgRole
from orgdesk.access.scoping import require
from orgdesk.accounts.models import Group
from orgdesk.activity.recorder import record
from orgdesk.invitations.actions import invitation_options
from orgdesk.invitations.bulk.common import STALL
from orgdesk.invitations.bulk.runner import run_bulk_invite
from orgdesk.invitations.models import ImportJob, ImportRow

log = logging.getLogger(__name__)
# A preview not sent within this time is discarded: its rows hold the file's addresses.
PREVIEW_KEEP = dt.timedelta(days=1)
PREVIEW_EXPIRED = "preview_expired"  # ImportJob.error of a preview discarded for its age

EXPIRY = Actor.system(channel=Channel.JOB, label="bulk preview expiry")


def _locked(job: ImportJob) -> ImportJob:
    return ImportJob.objects.select_for_update().select_related("organization").get(pk=job.pk)


@transaction.atomic
def confirm_bulk_invite(*, actor: Actor, job: ImportJob) -> ImportJob:
    """Send the invitations of a previewed job: checks the options once (permission, roles the
    actor may give, a recent sign-in when the rows carry roles), records
    `invitation.bulk_started` and starts the job when the transaction commits. Raises
    PermissionDenied (StepUpRequired, EscalationRefused), ValidationError."""
    require(actor, "invitations.manage", job.organization)
    job = _locked(job)
    if job.status != ImportJob.Status.VALIDATED:
        raise ValidationError(
            _("This file was already sent or discarded (%(status)s).")
            % {"status": job.get_status_display().lower()},
            code="not_validated",
        )
    valid = job.total_rows - job.invalid_rows
    if valid <= 0:
        raise ValidationError(
            _("No row of this file can be invited: correct the file and upload it again."),
            code="nothing_to_send",
        )
    options = job.options
    invitation_options(
        actor=actor,
        organization=job.organization,
        groups=Group.objects.filter(pk__in=options.get("group_ids", [])),
        roles=OrgRole.objects.filter(pk__in=options.get("role_ids", [])),
        days=options.get("days"),
        locale=options.get("locale", ""),
    )
    job.status = ImportJob.Status.RUNNING
    job.save(update_fields=["status", "updated"])
    record(
        "invitation.bulk_started",
        organization=job.organization,
        actor=actor,
        metadata={
            "job": str(job.pk),
            "filename": job.filename,
            "rows": job.total_rows,
            "valid": valid,
            "invalid": job.invalid_rows,
        },
    )
    _enqueue_on_commit(job)
    return job


@transaction.atomic
def discard_bulk_invite(*, actor: Actor, job: ImportJob) -> ImportJob:
    """Drop a preview that was not sent: the job stays, cancelled, its rows (the addresses of
    the file) go."""
    require(actor, "invitations.manage", job.organization)
    job = _locked(job)
    if job.status != ImportJob.Status.VALIDATED:
        raise ValidationError(
            _("Only a preview that was not sent can be discarded."), code="not_validated"
        )
    _discard(job, actor=actor, reason="")
    return job


def _discard(job: ImportJob, *, actor: Actor, reason: str) -> None:
    """Inside a transaction, the job locked: cancel a preview and delete its rows (the file's
    addresses), with its event."""
    job.status = ImportJob.Status.CANCELLED
    job.error = reason
    job.finished_at = timezone.now()
    job.save(update_fields=["status", "error", "finished_at", "updated"])
    ImportRow.objects.filter(job=job).delete()
    record(
        "invitation.bulk_discarded",
        organization=job.organization,
        actor=actor,
        reason=reason,
        metadata={"job": str(job.pk), "filename": job.filename, "rows": job.total_rows},
    )


def is_stalled(job: ImportJob, now: dt.datetime | None = None) -> bool:
    """Running, but no run has shown progress for STALL (killed, or no worker picked it up)."""
    if job.status != ImportJob.Status.RUNNING:
        return False
    last = job.heartbeat or job.updated
    return (now or timezone.now()) - last > STALL


def can_resume(job: ImportJob) -> bool:
    return job.status == ImportJob.Status.FAILED or is_stalled(job)


@transaction.atomic
def resume_bulk_invite(*, actor: Actor, job: ImportJob) -> ImportJob:
    """Start a failed or stalled job again: it carries on where it stopped (process_job)."""
    require(actor, "invitations.manage", job.organization)
    job = _locked(job)
    if not can_resume(job):
        raise ValidationError(
            _("This job is not stopped: only a failed or stalled job can be resumed."),
            code="not_stopped",
        )
    job.status = ImportJob.Status.RUNNING
    job.worker = ""
    job.heartbeat = None
    job.error = ""
    job.save(update_fields=["status", "worker", "heartbeat", "error", "updated"])
    _enqueue_on_commit(job)
    return job


def stalled_jobs(now: dt.datetime | None = None) -> models.QuerySet[ImportJob]:
    """The jobs is_stalled() would name, as one query."""
    cutoff = (now or timezone.now()) - STALL
    return ImportJob.objects.filter(status=ImportJob.Status.RUNNING).filter(
        Q(heartbeat__lt=cutoff) | Q(heartbeat__isnull=True, updated__lt=cutoff)
    )


def requeue_stalled_jobs() -> list[str]:
    """Queue every stalled job again, so that a killed worker's job carries on without an
    admin pressing Resume: `orgdesk worker` calls this when it starts and every STALL. A job
    queued twice runs once (process_job leaves a job held by a live run alone)."""
    job_ids = [str(pk) for pk in stalled_jobs().values_list("pk", flat=True)]
    for job_id in job_ids:
        run_bulk_invite.enqueue(job_id)
    if job_ids:
        log.warning("Queued %d stalled bulk invitation job(s) again: %s", len(job_ids), job_ids)
    return job_ids


def expire_previews(now: dt.datetime | None = None) -> list[str]:
    """Discard the previews that were not sent within PREVIEW_KEEP: their rows (the uploaded
    addresses, names and errors) are deleted, the job stays as discarded, for its history."""
    cutoff = (now or timezone.now()) - PREVIEW_KEEP
    preview = [ImportJob.Status.UPLOADED, ImportJob.Status.VALIDATED]
    expired = []
    for job_id in ImportJob.objects.filter(status__in=preview, updated__lt=cutoff).values_list(
        "pk", flat=True
    ):
        with transaction.atomic():
            # Locked and checked again: the admin may be confirming it right now.
            job = (
                ImportJob.objects.select_for_update()
                .select_related("organization")
                .filter(pk=job_id, status__in=preview, updated__lt=cutoff)
                .first()
            )
            if job is None:
                continue
            _discard(job, actor=EXPIRY, reason=PREVIEW_EXPIRED)
            expired.append(str(job.pk))
    return expired


def watch_jobs(stop: threading.Event) -> None:
    """Every STALL until `stop` is set (a thread of the worker): queue stalled jobs again and
    discard old previews."""
    while not stop.wait(STALL.total_seconds()):
        try:
            requeue_stalled_jobs()
            expire_previews()
        except Exception:  # a lost database connection must not end the watch
            log.exception("Could not look after bulk invitation jobs")
        finally:
            close_old_connections()


def _enqueue_on_commit(job: ImportJob) -> None:
    job_id = str(job.pk)
    transaction.on_commit(lambda: run_bulk_invite.enqueue(job_id))
