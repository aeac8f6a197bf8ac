"""Bulk invitations: a CSV file checked row by row (a preview that sends nothing), confirmed by
the admin, then run by a background job that is idempotent and resumable.

The steps, each a function below:
- `preview_bulk_invite` reads the file (bulkfile.parse), checks every row the way
  `actions.check_invitee` does (in chunks, not one query per row) plus what only a file can get
  wrong (a duplicate address, an unknown group or role, a role the admin may not give) and
  stores a VALIDATED ImportJob with one ImportRow per row, all in one transaction: a bad file
  leaves nothing behind.
- `confirm_bulk_invite` checks the job's options once with `actions.invitation_options`
  (permission, no escalation for the roles the rows name, a recent sign-in when they name any),
  records `invitation.bulk_started` and enqueues `run_bulk_invite` when the transaction commits.
- `process_job` (the task) works through the pending rows in batches. A batch is one
  transaction: it checks its rows again (an account or an invitation may have appeared since
  the preview), supersedes outdated invitations (each recorded as `invitation.revoked`, as
  `actions.issue_invitation` does), creates the invitations with their groups and roles and one
  queued Notification per email (bulk_create), and marks each row done with its invitation and
  notification. After the commit the same run sends the batch's emails and marks their
  notifications sent. The job's counters move in the batch's transaction, so the progress bar
  and the rows always agree.

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
than STALL is offered for resuming (`resume_bulk_invite`), which hands it to a new run; a
running `orgdesk worker` also queues such jobs again by itself, when it starts and every STALL
(`requeue_stalled_jobs`).

Events: `invitation.bulk_started` (the admin's confirmation: who, which file, how many rows)
and `invitation.bulk_finished` (the outcome: invited, failed, invalid, emails not sent) frame
the job; the per-invitation record is the job's ImportRow (row number, address, status, the
invitation and its notification), kept with the job. One `invitation.sent` event per row, as a
single invitation records, would add a 100,000-row insert with three indexes to a job whose
every invitation is already traceable to its row, its job and the admin who started it
(Invitation.invited_by too); invitation events are about organizations, not accounts, so no
activity view loses anything.
"""

import datetime as dt
import logging
import threading
import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import EmailMessage, get_connection
from django.db import IntegrityError, close_old_connections, connection, models, transaction
from django.db.models import Q
from django.db.models.functions import Lower
from django.http import Http404
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django_tasks import task

from orgdesk.access.models import OrgRole
from orgdesk.access.scoping import require
from orgdesk.accounts.groups import groups_open_to
from orgdesk.accounts.models import Account, Group
from orgdesk.accounts.validation import hidden_character_errors
from orgdesk.activity.events import category_of
from orgdesk.activity.models import Event
from orgdesk.activity.recorder import record
from orgdesk.invitations import bulkfile
from orgdesk.invitations.actions import (
    _same_store_invitations,
    allowed_groups,
    grantable_roles,
    invitation_options,
    normalize_invitee_email,
)
from orgdesk.invitations.emails import TEMPLATE_CODE, render_invitation_email
from orgdesk.invitations.models import ImportJob, ImportRow, Invitation
from orgdesk.invitations.tokens import invitation_link, new_token
from orgdesk.notifications.models import Channel, Notification, NotificationTemplate
from orgdesk.organizations.models import Organization

KIND = "bulk_invite"
BATCH_SIZE = 1000  # rows per transaction of the job
PREVIEW_CHUNK = 2000  # rows checked against the database per query in the preview
EMAIL_CHUNK = 100  # emails sent between two "sent" marks
log = logging.getLogger(__name__)
STALL = dt.timedelta(seconds=60)  # no heartbeat for this long: the job can be resumed
# A preview not sent within this time is discarded: its rows hold the file's addresses.
PREVIEW_KEEP = dt.timedelta(days=1)
PREVIEW_EXPIRED = "preview_expired"  # ImportJob.error of a preview discarded for its age
INTEGRITY_RETRIES = 3


# ---- what a row may name ------------------------------------------------------------------------


class Catalogue:
    """The groups and roles rows may name, resolved once per file for the actor: groups of the
    organization or above it by name (the nearest organization's first) or id, roles by slug or
    name; each checked against what the actor may hand out (actions.allowed_groups and
    actions.grantable_roles)."""

    def __init__(self, actor: Any, organization: Organization) -> None:
        groups = groups_open_to(organization).order_by("-organization__depth", "name")
        self.groups: dict[str, Group] = {}
        for group in groups:
            self.groups.setdefault(group.name.casefold(), group)
            self.groups[str(group.pk)] = group
        self.allowed_groups = set(allowed_groups(actor, organization).values_list("pk", flat=True))
        self.roles: dict[str, OrgRole] = {}
        for role in OrgRole.objects.all():
            self.roles.setdefault(role.slug.casefold(), role)
            self.roles.setdefault(role.name.casefold(), role)
        self.grantable_roles = {role.pk for role in grantable_roles(actor, organization)}

    def resolve_groups(self, cell: str) -> tuple[list[str], list[str]]:
        ids, unknown, refused = [], [], []
        for name in bulkfile.split_list(cell):
            group = self.groups.get(name) or self.groups.get(name.casefold())
            if group is None:
                unknown.append(name)
            elif group.pk not in self.allowed_groups:
                refused.append(group.name)
            elif str(group.pk) not in ids:
                ids.append(str(group.pk))
        errors = []
        if unknown:
            errors.append(_("Unknown group: %(names)s.") % {"names": ", ".join(unknown)})
        if refused:
            errors.append(
                _("You cannot add invitees to the group %(names)s.") % {"names": ", ".join(refused)}
            )
        return ids, errors

    def resolve_roles(self, cell: str) -> tuple[list[str], list[str]]:
        ids, unknown, refused = [], [], []
        for name in bulkfile.split_list(cell):
            role = self.roles.get(name.casefold())
            if role is None:
                unknown.append(name)
            elif role.pk not in self.grantable_roles:
                refused.append(role.name)
            elif str(role.pk) not in ids:
                ids.append(str(role.pk))
        errors = []
        if unknown:
            errors.append(_("Unknown role: %(names)s.") % {"names": ", ".join(unknown)})
        if refused:
            errors.append(
                _(
                    "You cannot give the role %(names)s: only roles whose permissions you hold "
                    "on this organization."
                )
                % {"names": ", ".join(refused)}
            )
        return ids, errors


def _account_exists_message() -> str:
    return _("An account with this email address already exists in this organization.")


def _already_invited_message() -> str:
    return _("This address already has a pending invitation. Resend it instead.")


def _taken_addresses(organization: Organization, lowered: list[str]) -> tuple[set[str], set[str]]:
    """Of these lowercased addresses: those with an account in the organization's identity
    store, and those with a valid pending invitation there (what check_invitee refuses)."""
    if not lowered:
        return set(), set()
    accounts = set(
        Account.objects.filter(store=organization.identity_store_id)
        .annotate(email_lower=Lower("email"))
        .filter(email_lower__in=lowered)
        .values_list("email_lower", flat=True)
    )
    invited = set(
        _same_store_invitations(organization)
        .annotate(email_lower=Lower("email"))
        .filter(
            email_lower__in=lowered,
            status=Invitation.Status.PENDING,
            expires__gt=timezone.now(),
        )
        .values_list("email_lower", flat=True)
    )
    return accounts, invited


def _insert(objs: list[models.Model]) -> None:
    """bulk_create for rows whose key is known or not needed back (the preview's rows, the
    invitations), without Django's per-statement SQL compilation, which costs more than the
    database's work at 100,000 rows: PostgreSQL takes them through COPY, SQLite through
    executemany. Values come from the model's own fields (defaults and conversions included);
    errors are Django's (IntegrityError for a constraint)."""
    if not objs:
        return
    model = type(objs[0])
    fields = [
        f
        for f in model._meta.concrete_fields
        if not (f.primary_key and isinstance(f, models.AutoField | models.BigAutoField))
    ]
    q = connection.ops.quote_name
    table = q(model._meta.db_table)
    columns = ", ".join(q(f.column) for f in fields)

    def values(obj: models.Model) -> list[Any]:
        return [f.get_db_prep_save(f.pre_save(obj, True), connection) for f in fields]

    if connection.vendor == "postgresql":
        with (
            connection.wrap_database_errors,
            connection.cursor() as cursor,
            cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy,
        ):
            for obj in objs:
                copy.write_row(values(obj))
        return
    placeholders = ", ".join(["%s"] * len(fields))
    with connection.cursor() as cursor:
        cursor.executemany(
            f"INSERT INTO {table} ({columns}) VALUES ({placeholders})", [values(o) for o in objs]
        )


def _chunks(items: list[Any], size: int) -> Iterator[list[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _message(errors: list[str]) -> str:
    text = " ".join(errors)
    return text if len(text) <= 500 else text[:499] + "…"


# ---- preview, confirm, discard, resume (the admin's actions) ----------------------------------


@transaction.atomic
def preview_bulk_invite(
    *,
    actor: Any,
    organization: Organization,
    filename: str,
    data: bytes,
    days: int | None = None,
    locale: str = "",
) -> ImportJob:
    """Check an uploaded file row by row and keep the result as a VALIDATED job: nothing is
    sent. Raises PermissionDenied, ValidationError (bulkfile.BadFile for the file; days or
    language out of range)."""
    options = invitation_options(actor=actor, organization=organization, days=days, locale=locale)
    parsed = bulkfile.parse(data)
    catalogue = Catalogue(actor, organization)
    job = ImportJob.objects.create(
        organization=organization,
        kind=KIND,
        created_by=actor if getattr(actor, "pk", None) else None,
        filename=(filename or "")[:255],
        status=ImportJob.Status.VALIDATED,
        total_rows=len(parsed.rows),
        options={
            "days": options.days,
            "locale": options.locale,
            "language": translation.get_language() or settings.LANGUAGE_CODE,
            "delimiter": parsed.delimiter,
            "columns": parsed.columns,
            "ignored_columns": parsed.ignored,
        },
    )
    first_row: dict[str, int] = {}  # lowercased address → the row that has it first
    group_ids: set[str] = set()
    role_ids: set[str] = set()
    invalid = 0
    for chunk in _chunks(parsed.rows, PREVIEW_CHUNK):
        checked = []
        for raw in chunk:
            errors = [raw.problem] if raw.problem else []
            email = raw.email
            try:
                email = normalize_invitee_email(raw.email)
            except ValidationError as exc:
                errors.append(exc.messages[0])
                key = None
            else:
                key = email.lower()
                if key in first_row:
                    errors.append(
                        _("The same address as row %(row)d (whatever the case).")
                        % {"row": first_row[key]}
                    )
                    key = None
                else:
                    first_row[key] = raw.number
            if len(raw.given_name) > 150 or len(raw.family_name) > 150:
                errors.append(_("A name has at most 150 characters."))
            if hidden_character_errors(
                {"given_name": raw.given_name, "family_name": raw.family_name}
            ):
                errors.append(_("A name holds invisible characters, such as text-direction marks."))
            groups, group_errors = catalogue.resolve_groups(raw.groups)
            roles, role_errors = catalogue.resolve_roles(raw.roles)
            errors += group_errors + role_errors
            checked.append((raw, email, key, groups, roles, errors))
        accounts, invited = _taken_addresses(organization, [c[2] for c in checked if c[2]])
        rows = []
        for raw, email, key, groups, roles, errors in checked:
            if key in accounts:
                errors.append(_account_exists_message())
            elif key in invited:
                errors.append(_already_invited_message())
            data_ = {
                "email": email,
                "given_name": raw.given_name,
                "family_name": raw.family_name,
                "groups": raw.groups,
                "roles": raw.roles,
            }
            if groups:
                data_["group_ids"] = groups
            if roles:
                data_["role_ids"] = roles
            if errors:
                invalid += 1
            else:
                group_ids.update(groups)
                role_ids.update(roles)
            rows.append(
                ImportRow(
                    job=job,
                    number=raw.number,
                    data=data_,
                    status=ImportRow.Status.INVALID if errors else ImportRow.Status.PENDING,
                    error=_message(errors),
                )
            )
        _insert(rows)
    job.invalid_rows = invalid
    job.options["group_ids"] = sorted(group_ids)
    job.options["role_ids"] = sorted(role_ids)
    job.save(update_fields=["invalid_rows", "options", "updated"])
    return job


def _locked(job: ImportJob) -> ImportJob:
    return ImportJob.objects.select_for_update().select_related("organization").get(pk=job.pk)


@transaction.atomic
def confirm_bulk_invite(*, actor: Any, job: ImportJob) -> ImportJob:
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
def discard_bulk_invite(*, actor: Any, job: ImportJob) -> ImportJob:
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


def _discard(job: ImportJob, *, actor: Any, reason: str) -> None:
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
def resume_bulk_invite(*, actor: Any, job: ImportJob) -> ImportJob:
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
            _discard(job, actor=None, reason=PREVIEW_EXPIRED)
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


# ---- the job -------------------------------------------------------------------------------------


class LeaseLost(Exception):
    """Another run holds the job now (or it was stopped): this run ends quietly."""


@dataclass
class Run:
    job_id: Any
    lease: str
    organization: Organization
    actor: Any
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
        self.cache: dict[tuple[Any, str, bool, dt.datetime], tuple[str, str]] = {}
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


def _claim(job_id: Any) -> str | None:
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


def process_job(job_id: Any, *, batch_size: int = BATCH_SIZE) -> dict[str, Any]:
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
    actor = job.created_by
    organization = job.organization
    if actor is None:
        raise PermissionDenied(_("The admin who sent this file no longer exists."))
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


def _fail(job_id: Any, lease: str, message: str) -> None:
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
                    invited_by=run.actor,
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
        actor=run.actor,
        result=Event.Result.SUCCESS,
        metadata=metadata,
    )


def _supersede(run: Run, lowered: list[str], now: dt.datetime) -> list[Invitation]:
    """Expired pending invitations of these addresses in the organization become revoked (one
    pending invitation per address and organization), as actions._supersede_outdated does."""
    outdated = list(
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
                invitation = row.invitation
                if invitation is None or invitation.status != Invitation.Status.PENDING:
                    gone[row.notification_id] = _("Not sent: the invitation was deleted first.")
                    continue
                token, invitation.token_hash = new_token()
                invitation.updated = now
                invitation.organization = run.organization
                rotated.append(invitation)
                outgoing.append((row.notification_id, invitation, token))
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


# ---- results ------------------------------------------------------------------------------------

RESULT_COLUMNS = ("row", "email", "status", "error")
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_safe(value: Any) -> str:
    """A cell a spreadsheet shows as text: one starting like a formula gets a leading
    apostrophe (CSV injection)."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_START) else text


def result_status(job: ImportJob, row_status: str, email_status: str | None) -> str:
    if row_status == ImportRow.Status.INVALID:
        return "invalid"
    if row_status == ImportRow.Status.FAILED:
        return "failed"
    if row_status == ImportRow.Status.PENDING:
        return "valid" if job.status == ImportJob.Status.VALIDATED else "pending"
    if email_status == Notification.Status.FAILED:
        return "email_failed"
    if email_status == Notification.Status.QUEUED:
        return "email_queued"
    return "invited"


def result_rows(job: ImportJob) -> Iterable[list[str]]:
    """The per-row results as spreadsheet-safe cells, header first (for the CSV download)."""
    yield list(RESULT_COLUMNS)
    rows = (
        ImportRow.objects.filter(job=job)
        .order_by("number")
        .values_list(
            "number", "data", "status", "error", "notification__status", "notification__error"
        )
        .iterator(chunk_size=2000)
    )
    for number, data, status, error, email_status, email_error in rows:
        state = result_status(job, status, email_status)
        if state == "email_failed":
            error = _("The invitation exists but its email could not be sent (%(error)s).") % {
                "error": email_error
            }
        yield [spreadsheet_safe(v) for v in (number, data.get("email", ""), state, error)]
