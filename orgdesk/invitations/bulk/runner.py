"""The background job of a bulk invitation: `process_job` (the task `run_bulk_invite`) works
through the pending rows in batches. A batch is one transaction: it checks its rows again (an
account or an invitation may have appeared since the preview), supersedes outdated
invitations (each recorded as `invitation.revoked`, as `actions.issue_invitation` does),
creates the invitations with their groups and roles and one queued Notification per email
(bulk_create), and marks each row done with its invitation and notification. After the commit
the same run sends the batch's emails and marks their notifications sent. The job's counters
move in the batch's transaction, so the progress bar and the rows always agree.

Resuming after a crash (kill -9 of the worker, a lost database connection): pending rows are
still pending, because their batch rolled back or never started; done rows are never taken
again, so no invitation is created twice. The one window is between a batch's commit and its
emails leaving: those rows are done, their notifications still queued. A resumed run first
sends exactly those, with a new token (only token hashes are stored, so the lost token cannot
be recovered, and it was never sent), then carries on. An email that left just before the
crash but was not yet marked sent goes again (at most one chunk of EMAIL_CHUNK emails): SMTP
gives no exactly-once delivery, and the later link is the valid one.

One run holds a job at a time: a run claims it (a random `worker` id and a `heartbeat` it
renews with every batch and chunk of emails), checks the claim in each batch's transaction
(the job row is locked) and stops when another run took over. A job whose heartbeat is older
than STALL is offered for resuming (`actions.resume_bulk_invite`), which hands it to a new
run; a running `orgdesk worker` also queues such jobs again by itself, when it starts and every
STALL (`actions.requeue_stalled_jobs`).
"""

import datetime as dt
import uuid
from dataclasses import dataclass
from typing import Any, cast

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.core.mail import EmailMessage, get_connection
from django.db import IntegrityError, connection, transaction
from django.db.models.functions import Lower
from django.http import Http404
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django_tasks import task

from orgdesk.access.actor import Actor
from orgdesk.access.actor import Channel as Via
from orgdesk.access.models import OrgRole
from orgdesk.access.scoping import require
from orgdesk.activity.events import category_of
from orgdesk.activity.models import Event
from orgdesk.activity.recorder import record
from orgdesk.invitations.actions import allowed_groups, grantable_roles
from orgdesk.invitations.bulk.common import (
    STALL,
    _account_exists_message,
    _already_invited_message,
    _chunks,
    _insert,
    _taken_addresses,
)
from orgdesk.invitations.emails import TEMPLATE_CODE, render_invitation_email
from orgdesk.invitations.models import ImportJob, ImportRow, Invitation
from orgdesk.invitations.tokens import invitation_link, new_token
from orgdesk.notifications.models import Channel, Notification, NotificationTemplate
from orgdesk.organizations.models import Organization

BATCH_SIZE = 1000  # rows per transaction of the job
EMAIL_CHUNK = 100  # emails sent between two "sent" marks
INTEGRITY_RETRIES = 3


class LeaseLost(Exception):
    """Another run holds the job now (or it was stopped): this run ends quietly."""


@dataclass
class Run:
    job_id: uuid.UUID
    lease: str
    organization: Organization
    actor: Actor
    template: NotificationTemplate
    days: int
    locale: str
    allowed_groups: set[str]
    grantable_roles: set[str]
    role_slugs: dict[str, str]
    batch_size: int
    renderer: "Renderer"


class Renderer:
    """Invitation emails of one job: render_invitation_email once per language, expiry and
    with/without a given name, with markers then replaced by each row's name and link (the
    templates print them unescaped, so the result is what rendering each row gives)."""

    NAME = "\x00given-name\x00"
    LINK = "\x00link\x00"
    LINK_MARK = "BulkInviteLinkMarker"  # URL-safe, so reverse() takes it

    def __init__(self, organization: Organization) -> None:
        self.organization = organization
        self.cache: dict[tuple[uuid.UUID, str, bool, dt.datetime], tuple[str, str]] = {}
        self.link = invitation_link(self.LINK_MARK)  # one reverse() per job, not per email

    def render(self, invitation: Invitation, token: str) -> tuple[str, str]:
        link = self.link.replace(self.LINK_MARK, token)
        key = (
            invitation.application_id,
            invitation.locale,
            bool(invitation.given_name),
            invitation.expires,
        )
        if key not in self.cache:
            model = Invitation(
                organization=self.organization,
                application=invitation.application,
                given_name=self.NAME if invitation.given_name else "",
                expires=invitation.expires,
                locale=invitation.locale,
            )
            if len(self.cache) > 64:
                self.cache.clear()
            self.cache[key] = render_invitation_email(model, self.LINK)
        subject, body = self.cache[key]
        name = invitation.given_name
        subject = subject.replace(self.NAME, " ".join(name.split())).replace(self.LINK, link)
        body = body.replace(self.NAME, name).replace(self.LINK, link)
        return subject, body


def _claim(job_id: uuid.UUID | str) -> str | None:
    """Take the job for this run: its lease id, or None (finished, cancelled, or held by a
    live run)."""
    with transaction.atomic():
        job = ImportJob.objects.select_for_update().filter(pk=job_id).first()
        if job is None or job.status != ImportJob.Status.RUNNING:
            return None
        now = timezone.now()
        if job.worker and job.heartbeat and now - job.heartbeat <= STALL:
            return None
        job.worker = uuid.uuid4().hex
        job.heartbeat = now
        job.started_at = job.started_at or now
        job.save(update_fields=["worker", "heartbeat", "started_at", "updated"])
        return job.worker


def _hold(run: Run) -> ImportJob:
    """Inside a transaction: the job row, locked, if this run still holds it."""
    job = ImportJob.objects.select_for_update().get(pk=run.job_id)
    if job.worker != run.lease or job.status != ImportJob.Status.RUNNING:
        raise LeaseLost
    return job


def process_job(job_id: uuid.UUID | str, *, batch_size: int = BATCH_SIZE) -> dict[str, Any]:
    """Run (or resume) a confirmed bulk invitation job to its end. Safe to call again at any
    time: rows done are skipped, a job held by a live run is left alone."""
    lease = _claim(job_id)
    if lease is None:
        return {"job": str(job_id), "ran": False}
    job = ImportJob.objects.select_related("organization", "created_by").get(pk=job_id)
    language = job.options.get("language") or settings.LANGUAGE_CODE
    with translation.override(language):
        try:
            run = _start(job, lease, batch_size)
            _send_unsent(run)
            while _batch(run):
                pass
            job = _finish(run)
        except LeaseLost:
            return {"job": str(job_id), "ran": False}
        except PermissionDenied as exc:
            _fail(job_id, lease, str(exc))
            return {"job": str(job_id), "ran": True, "status": ImportJob.Status.FAILED}
        except Exception as exc:
            _fail(job_id, lease, _("The job stopped on an error: %(error)s") % {"error": exc})
            raise
    return {
        "job": str(job_id),
        "ran": True,
        "status": job.status,
        "succeeded": job.succeeded_rows,
        "failed": job.failed_rows,
    }


@task()
def run_bulk_invite(job_id: str) -> dict[str, Any]:
    """The background task (django-tasks; `orgdesk worker` runs it)."""
    return process_job(job_id)


def _start(job: ImportJob, lease: str, batch_size: int) -> Run:
    organization = job.organization
    if job.created_by is None:
        raise PermissionDenied(_("The admin who sent this file no longer exists."))
    # The job acts for the admin who confirmed it, with that admin's grants as they are now.
    actor = Actor.admin(job.created_by, channel=Via.JOB)
    try:
        require(actor, "invitations.manage", organization)
    except (PermissionDenied, Http404):  # 404: no permission at all there any more
        raise PermissionDenied(
            _("The admin who sent this file may no longer invite customers here.")
        ) from None
    return Run(
        job_id=job.pk,
        lease=lease,
        organization=organization,
        actor=actor,
        template=NotificationTemplate.objects.get(code=TEMPLATE_CODE),
        days=int(job.options.get("days") or 1),
        locale=job.options.get("locale", ""),
        allowed_groups={
            str(pk) for pk in allowed_groups(actor, organization).values_list("pk", flat=True)
        },
        grantable_roles={str(role.pk) for role in grantable_roles(actor, organization)},
        role_slugs={str(pk): slug for pk, slug in OrgRole.objects.values_list("pk", "slug")},
        batch_size=batch_size,
        renderer=Renderer(organization),
    )


def _fail(job_id: uuid.UUID | str, lease: str, message: str) -> None:
    with transaction.atomic():
        job = ImportJob.objects.select_for_update().get(pk=job_id)
        if job.worker != lease:
            return
        job.status = ImportJob.Status.FAILED
        job.error = message[:2000]
        job.worker = ""
        job.save(update_fields=["status", "error", "worker", "updated"])


def _beat(run: Run) -> None:
    ImportJob.objects.filter(pk=run.job_id, worker=run.lease).update(heartbeat=timezone.now())


def _row_problems(run: Run, row: ImportRow, accounts: set[str], invited: set[str]) -> str:
    key = row.data["email"].lower()
    if key in accounts:
        return _account_exists_message()
    if key in invited:
        return _already_invited_message()
    if not set(row.data.get("group_ids", [])) <= run.allowed_groups:
        return _("A group of this row is gone or no longer yours to manage.")
    if not set(row.data.get("role_ids", [])) <= run.grantable_roles:
        return _("A role of this row is gone or no longer yours to give.")
    return ""


Outgoing = list[tuple[int, Invitation, str]]  # notification id, invitation, token


def _batch(run: Run) -> bool:
    """One batch of pending rows in one transaction, then its emails. False when none is left."""
    for attempt in range(INTEGRITY_RETRIES):
        try:
            with transaction.atomic():
                outgoing = _issue_batch(run)
        except IntegrityError:
            # A concurrent invitation to one of these addresses won the race: the batch rolled
            # back, and its next try sees that invitation and marks the row failed.
            if attempt == INTEGRITY_RETRIES - 1:
                raise
            continue
        break
    if outgoing is None:
        return False
    _send(run, outgoing)
    return True


def _issue_batch(run: Run) -> Outgoing | None:
    job = _hold(run)
    rows = list(
        ImportRow.objects.filter(job_id=run.job_id, status=ImportRow.Status.PENDING).order_by(
            "number"
        )[: run.batch_size]
    )
    if not rows:
        return None
    organization = run.organization
    now = timezone.now()
    accounts, invited = _taken_addresses(organization, [row.data["email"].lower() for row in rows])
    good: list[ImportRow] = []
    for row in rows:
        problem = _row_problems(run, row, accounts, invited)
        if problem:
            row.status = ImportRow.Status.FAILED
            row.error = problem
        else:
            good.append(row)
    outgoing: Outgoing = []
    events: list[Event] = []
    if good:
        superseded = _supersede(run, [row.data["email"].lower() for row in good], now)
        invitations = []
        tokens = []
        for row in good:
            token, token_hash = new_token()
            tokens.append(token)
            invitations.append(
                Invitation(
                    organization=organization,
                    email=row.data["email"],
                    given_name=row.data.get("given_name", ""),
                    family_name=row.data.get("family_name", ""),
                    application=organization.application,
                    token_hash=token_hash,
                    status=Invitation.Status.PENDING,
                    last_sent=now,
                    expires=now + dt.timedelta(days=run.days),
                    invited_by=run.actor.admin_account,
                    locale=run.locale,
                    created=now,
                )
            )
        _insert(invitations)
        Invitation.groups.through.objects.bulk_create(
            Invitation.groups.through(invitation_id=inv.pk, group_id=group_id)
            for row, inv in zip(good, invitations, strict=True)
            for group_id in row.data.get("group_ids", [])
        )
        Invitation.roles.through.objects.bulk_create(
            Invitation.roles.through(invitation_id=inv.pk, orgrole_id=role_id)
            for row, inv in zip(good, invitations, strict=True)
            for role_id in row.data.get("role_ids", [])
        )
        notifications = Notification.objects.bulk_create(
            Notification(
                account=None,
                organization=organization,
                template=run.template,
                channel=Channel.EMAIL,
                target=inv.email,
                sent_at=inv.last_sent,
                expires_at=inv.expires,
                status=Notification.Status.QUEUED,
            )
            for inv in invitations
        )
        successor = {inv.email.lower(): inv for inv in invitations}
        for old in superseded:
            events.append(
                _event(
                    run,
                    "invitation.revoked",
                    {
                        "invitation": str(old.pk),
                        "superseded_by": str(successor[old.email.lower()].pk),
                    },
                )
            )
        for row, inv, notification, token in zip(
            good, invitations, notifications, tokens, strict=True
        ):
            row.status = ImportRow.Status.DONE
            row.error = ""
            row.invitation = inv
            row.notification = notification
            outgoing.append((notification.pk, inv, token))
        if events:
            Event.objects.bulk_create(events)
    _save_outcomes(rows)
    job.processed_rows += len(rows)
    job.succeeded_rows += len(good)
    job.failed_rows += len(rows) - len(good)
    job.heartbeat = timezone.now()
    job.save(
        update_fields=["processed_rows", "succeeded_rows", "failed_rows", "heartbeat", "updated"]
    )
    return outgoing


def _save_outcomes(rows: list[ImportRow]) -> None:
    """Each row's status, error, invitation and notification in one round: bulk_update's CASE
    expressions cost more to build in Python than the batch's inserts. PostgreSQL joins the
    batch as a VALUES list (one statement); SQLite runs one UPDATE per row in executemany's
    C loop, which is as fast there."""
    if not rows:
        return
    q = connection.ops.quote_name
    table = q(ImportRow._meta.db_table)
    invitation_key = ImportRow._meta.get_field("invitation").target_field
    values = [
        (
            row.pk,
            row.status,
            row.error,
            invitation_key.get_db_prep_value(row.invitation_id, connection),
            row.notification_id,
        )
        for row in rows
    ]
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            placeholders = ", ".join(["(%s, %s, %s, %s::uuid, %s::bigint)"] * len(values))
            cursor.execute(
                f"UPDATE {table} AS r SET {q('status')} = v.status, {q('error')} = v.error, "
                f"{q('invitation_id')} = v.invitation, {q('notification_id')} = v.notification "
                f"FROM (VALUES {placeholders}) AS v(id, status, error, invitation, notification) "
                f"WHERE r.{q('id')} = v.id",
                [value for row in values for value in row],
            )
        else:
            cursor.executemany(
                f"UPDATE {table} SET {q('status')} = %s, {q('error')} = %s, "
                f"{q('invitation_id')} = %s, {q('notification_id')} = %s WHERE {q('id')} = %s",
                [(*row[1:], row[0]) for row in values],
            )


def _event(run: Run, event_type: str, metadata: dict[str, Any]) -> Event:
    """The row record() writes, for bulk_create."""
    return Event(
        type=event_type,
        category=category_of(event_type),
        organization=run.organization,
        actor=run.actor.admin_account,
        result=Event.Result.SUCCESS,
        metadata=metadata,
    )


def _supersede(run: Run, lowered: list[str], now: dt.datetime) -> list[Invitation]:
    """Expired pending invitations of these addresses in the organization become revoked (one
    pending invitation per address and organization), as actions._supersede_outdated does."""
    outdated: list[Invitation] = list(
        Invitation.objects.select_for_update()
        .annotate(email_lower=Lower("email"))
        .filter(
            organization=run.organization,
            email_lower__in=lowered,
            status=Invitation.Status.PENDING,
            expires__lte=now,
        )
    )
    for old in outdated:
        old.status = Invitation.Status.REVOKED
        old.token_hash = new_token()[1]
        old.updated = now
    if outdated:
        Invitation.objects.bulk_update(outdated, ["status", "token_hash", "updated"])
    return outdated


def _send(run: Run, outgoing: Outgoing) -> None:
    """Send emails over one connection and mark their notifications sent (or failed) chunk by
    chunk, renewing the heartbeat as they go."""
    if not outgoing:
        return
    connection = get_connection(fail_silently=False)
    try:
        connection.open()
    except Exception as exc:
        _mark(run, [], {nid: _delivery_error(exc) for nid, _inv, _token in outgoing})
        return
    try:
        for chunk in _chunks(outgoing, EMAIL_CHUNK):
            sent: list[int] = []
            failed: dict[int, str] = {}
            for nid, invitation, token in chunk:
                subject, body = run.renderer.render(invitation, token)
                message = EmailMessage(
                    subject, body, None, [invitation.email], connection=connection
                )
                try:
                    message.send()
                except Exception as exc:
                    failed[nid] = _delivery_error(exc)
                else:
                    sent.append(nid)
            _mark(run, sent, failed)
    finally:
        connection.close()


def _delivery_error(exc: Exception) -> str:
    return f"{type(exc).__name__}: {exc}"[:500]


def _mark(run: Run, sent: list[int], failed: dict[int, str]) -> None:
    with transaction.atomic():
        if sent:
            Notification.objects.filter(pk__in=sent).update(status=Notification.Status.SENT)
        by_error: dict[str, list[int]] = {}
        for nid, error in failed.items():
            by_error.setdefault(error, []).append(nid)
        for error, ids in by_error.items():
            Notification.objects.filter(pk__in=ids).update(
                status=Notification.Status.FAILED, error=error
            )
        _beat(run)


def _send_unsent(run: Run) -> None:
    """Emails of rows done by an earlier run that stopped before sending them: a new token
    each (the first one was never sent and only its hash is stored), then the same sending."""
    while True:
        with transaction.atomic():
            _hold(run)
            rows = list(
                ImportRow.objects.filter(
                    job_id=run.job_id,
                    status=ImportRow.Status.DONE,
                    notification__status=Notification.Status.QUEUED,
                )
                .select_related("invitation__application")
                .order_by("number")[: run.batch_size]
            )
            if not rows:
                return
            outgoing: Outgoing = []
            gone: dict[int, str] = {}
            rotated = []
            now = timezone.now()
            for row in rows:
                # The filter above goes through the notification: the column is never NULL.
                notification_id = cast(int, row.notification_id)
                invitation = row.invitation
                if invitation is None or invitation.status != Invitation.Status.PENDING:
                    gone[notification_id] = _("Not sent: the invitation was deleted first.")
                    continue
                token, invitation.token_hash = new_token()
                invitation.updated = now
                invitation.organization = run.organization
                rotated.append(invitation)
                outgoing.append((notification_id, invitation, token))
            Invitation.objects.bulk_update(rotated, ["token_hash", "updated"])
        if gone:
            _mark(run, [], gone)
        _send(run, outgoing)


def _finish(run: Run) -> ImportJob:
    with transaction.atomic():
        job = _hold(run)
        emails_failed = Notification.objects.filter(
            pk__in=ImportRow.objects.filter(job_id=run.job_id, notification__isnull=False).values(
                "notification_id"
            ),
            status=Notification.Status.FAILED,
        ).count()
        now = timezone.now()
        job.status = ImportJob.Status.FINISHED
        job.finished_at = now
        job.heartbeat = now
        job.worker = ""
        job.options["emails_failed"] = emails_failed
        job.save(
            update_fields=["status", "finished_at", "heartbeat", "worker", "options", "updated"]
        )
        record(
            "invitation.bulk_finished",
            organization=run.organization,
            actor=run.actor,
            metadata={
                "job": str(job.pk),
                "invited": job.succeeded_rows,
                "failed": job.failed_rows,
                "invalid": job.invalid_rows,
                "emails_failed": emails_failed,
            },
        )
    return job
