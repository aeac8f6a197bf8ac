"""The per-row results of a bulk invitation job: each row's outcome, and the rows as
spreadsheet-safe cells for the CSV download."""

from collections.abc import Iterable

from django.utils.translation import gettext as _

from orgdesk.invitations.models import ImportJob, ImportRow
from orgdesk.notifications.models import Notification

RESULT_COLUMNS = ("row", "email", "status", "error")
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_safe(value: object) -> str:
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
