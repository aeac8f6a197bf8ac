"""Bulk invite: upload a CSV file, preview every row's outcome, confirm, watch the background job
and download the per-row results (the invitations.bulk package does the work).

Every page needs invitations.manage on the organization in the URL (403 otherwise); a job of
another organization is a 404, whether or not it exists.
"""

import csv
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils.timesince import timesince
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_GET, require_POST

from orgdesk.access.scoping import require
from orgdesk.access.selectors import roles_among
from orgdesk.accounts.selectors import groups_by_name
from orgdesk.invitations import bulkfile
from orgdesk.invitations.bulk import actions as bulk_actions
from orgdesk.invitations.bulk import preview as bulk_preview
from orgdesk.invitations.bulk import results as bulk_results
from orgdesk.invitations.models import ImportJob
from orgdesk.invitations.selectors import BULK_PERMISSION, bulk_job_of, bulk_jobs, job_rows
from orgdesk.organizations.models import Organization
from orgdesk.portal.forms import BulkInviteForm
from orgdesk.portal.shell import current_organization, shell_context
from orgdesk.portal.views import portal_login_required
from orgdesk.security.middleware import AdminRequest
from orgdesk.security.stepup import StepUpRequired, has_recent_auth

PERMISSION = BULK_PERMISSION
RECENT_JOBS = 20
ROWS_PER_PAGE = 50
# Multipart framing around the file: a request above MAX_BYTES plus this is refused unread.
REQUEST_OVERHEAD = 64 * 1024
SHOW_CHOICES = ("problems", "all")


def _job_or_404(request: AdminRequest, organization: Organization, pk: Any) -> ImportJob:
    require(request.actor, PERMISSION, organization)
    job = bulk_job_of(request.actor, organization, pk)
    job.organization = organization
    return job


def _job_url(organization: Organization, job: ImportJob, name: str = "bulk_job") -> str:
    return reverse(f"portal:{name}", args=[organization.key, job.pk])


def _too_large_message() -> str:
    return _("The file is larger than %(size)d MB. Split it into smaller files.") % {
        "size": bulkfile.MAX_BYTES // (1024 * 1024)
    }


def _upload_page(
    request: AdminRequest,
    organization: Organization,
    form: BulkInviteForm,
    status: int = 200,
    problem: str = "",
) -> HttpResponse:
    return render(
        request,
        "portal/invitations/bulk.html",
        {
            **shell_context(request, organization, "invitations"),
            "form": form,
            "problem": problem,
            "jobs": list(bulk_jobs(request.actor, organization).order_by("-created")[:RECENT_JOBS]),
            "recent_jobs": RECENT_JOBS,
            "max_rows": bulkfile.MAX_ROWS,
            "max_mb": bulkfile.MAX_BYTES // (1024 * 1024),
            "columns": bulkfile.COLUMNS,
            "separator": bulkfile.LIST_SEPARATOR,
        },
        status=status,
    )


@portal_login_required
@csrf_exempt  # checked by _upload, once the request size is known to be acceptable
def bulk_invite(request: AdminRequest, org: str) -> HttpResponse:
    """The upload page. A POST whose declared size exceeds the limit is refused before its
    body is read (CSRF middleware would otherwise parse it all first)."""
    organization = current_organization(request, org)
    require(request.actor, PERMISSION, organization)
    if request.method == "POST":
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        if length > bulkfile.MAX_BYTES + REQUEST_OVERHEAD:
            return _upload_page(
                request, organization, BulkInviteForm(), status=413, problem=_too_large_message()
            )
    return _upload(request, organization)


@csrf_protect
def _upload(request: AdminRequest, organization: Organization) -> HttpResponse:
    if request.method != "POST":
        return _upload_page(request, organization, BulkInviteForm())
    form = BulkInviteForm(request.POST, request.FILES)
    if not form.is_valid():
        return _upload_page(request, organization, form, status=400)
    upload = form.cleaned_data["file"]
    if upload.size > bulkfile.MAX_BYTES:
        form.add_error("file", _too_large_message())
        return _upload_page(request, organization, form, status=413)
    try:
        job = bulk_preview.preview_bulk_invite(
            actor=request.actor,
            organization=organization,
            filename=upload.name,
            data=upload.read(),
            days=form.cleaned_data["days"],
            locale=form.cleaned_data["locale"],
        )
    except ValidationError as exc:
        if hasattr(exc, "error_dict"):
            for field, errors in exc.message_dict.items():
                form.add_error(field if field in form.fields else None, errors)
        else:
            form.add_error("file", exc.messages)
        return _upload_page(request, organization, form, status=400)
    return redirect(_job_url(organization, job))


@portal_login_required
@require_GET
def bulk_template(request: AdminRequest, org: str) -> HttpResponse:
    """An empty file with the header line, to fill in a spreadsheet."""
    organization = current_organization(request, org)
    require(request.actor, PERMISSION, organization)
    response = HttpResponse(
        "\ufeff" + ",".join(bulkfile.COLUMNS) + "\r\n", content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = 'attachment; filename="bulk-invite-template.csv"'
    return response


# ---- one job -----------------------------------------------------------------------------------


def _duration(job: ImportJob) -> str:
    if not (job.started_at and job.finished_at):
        return ""
    seconds = max(int((job.finished_at - job.started_at).total_seconds()), 1)
    if seconds < 60:
        return ngettext("%(count)d second", "%(count)d seconds", seconds) % {"count": seconds}
    return timesince(job.started_at, job.finished_at)


def _state_context(
    request: AdminRequest, organization: Organization, job: ImportJob
) -> dict[str, Any]:
    valid = job.total_rows - job.invalid_rows
    running = job.status == ImportJob.Status.RUNNING
    options = job.options or {}
    context: dict[str, Any] = {
        "job": job,
        "valid_rows": valid,
        "running": running,
        "waiting": running and job.started_at is None,
        "stalled": bulk_actions.is_stalled(job),
        "can_resume": bulk_actions.can_resume(job),
        "percent": int(100 * job.processed_rows / valid) if valid > 0 else 100,
        "emails_failed": options.get("emails_failed", 0),
        "duration": _duration(job),
        "status_url": _job_url(organization, job, "bulk_job_status"),
        "results_url": _job_url(organization, job, "bulk_job_results"),
        "confirm_url": _job_url(organization, job, "bulk_job_confirm"),
        "discard_url": _job_url(organization, job, "bulk_job_discard"),
        "resume_url": _job_url(organization, job, "bulk_job_resume"),
    }
    if job.status == ImportJob.Status.VALIDATED:
        roles = list(roles_among(options.get("role_ids", [])))
        here = _job_url(organization, job)
        context.update(
            {
                "days": options.get("days"),
                "language": dict(settings.LANGUAGES).get(options.get("locale", ""), ""),
                "groups": groups_by_name(options.get("group_ids", [])),
                "roles": roles,
                "ignored_columns": options.get("ignored_columns", []),
                "needs_step_up": bool(roles) and not has_recent_auth(request.actor),
                "step_up_url": f"{reverse('portal:step_up')}?{urlencode({'next': here})}",
            }
        )
    return context


def _rows_page(request: HttpRequest, job: ImportJob, here: str) -> dict[str, Any]:
    show = request.GET.get("show", "problems")
    if show not in SHOW_CHOICES:
        show = "problems"
    try:
        after = max(int(request.GET.get("after", "0")), 0)
    except ValueError:
        after = 0
    page = job_rows(job, problems_only=show == "problems", after=after, limit=ROWS_PER_PAGE + 1)
    more = len(page) > ROWS_PER_PAGE
    page = page[:ROWS_PER_PAGE]
    for row in page:
        email_status = row.notification.status if row.notification else None
        # Read by the template beside the row's fields; ImportRow declares no such attribute
        # (typing the page as rows carrying it would take a cast of the query's result).
        row.result = bulk_results.result_status(  # type: ignore[attr-defined]
            job, row.status, email_status
        )
    return {
        "rows": page,
        "show": show,
        "after": after,
        "next_url": f"{here}?{urlencode({'show': show, 'after': page[-1].number})}" if more else "",
        "first_url": f"{here}?{urlencode({'show': show})}" if after else "",
        "show_urls": {choice: f"{here}?{urlencode({'show': choice})}" for choice in SHOW_CHOICES},
    }


@portal_login_required
@require_GET
def bulk_job(request: AdminRequest, org: str, pk: Any) -> HttpResponse:
    organization = current_organization(request, org)
    job = _job_or_404(request, organization, pk)
    here = _job_url(organization, job)
    return render(
        request,
        "portal/invitations/bulk_job.html",
        {
            **shell_context(request, organization, "invitations"),
            **_state_context(request, organization, job),
            **_rows_page(request, job, here),
            "here": here,
        },
    )


@portal_login_required
@require_GET
def bulk_job_status(request: AdminRequest, org: str, pk: Any) -> HttpResponse:
    """The job's state alone, polled by the page every second while the job runs."""
    organization = current_organization(request, org)
    job = _job_or_404(request, organization, pk)
    return render(
        request,
        "portal/invitations/_bulk_state.html",
        {"organization": organization, **_state_context(request, organization, job)},
    )


@portal_login_required
@require_POST
def bulk_job_confirm(request: AdminRequest, org: str, pk: Any) -> HttpResponse:
    organization = current_organization(request, org)
    job = _job_or_404(request, organization, pk)
    here = _job_url(organization, job)
    try:
        job = bulk_actions.confirm_bulk_invite(actor=request.actor, job=job)
    except StepUpRequired:
        messages.info(request, _("Giving roles to invitees needs a recent sign-in."))
        return redirect(f"{reverse('portal:step_up')}?{urlencode({'next': here})}")
    except (ValidationError, PermissionDenied) as exc:
        text = " ".join(exc.messages) if isinstance(exc, ValidationError) else str(exc)
        messages.error(request, text)
    else:
        valid = job.total_rows - job.invalid_rows
        messages.success(
            request,
            ngettext(
                "Sending %(count)d invitation in the background.",
                "Sending %(count)d invitations in the background.",
                valid,
            )
            % {"count": valid},
        )
    return redirect(here)


@portal_login_required
@require_POST
def bulk_job_discard(request: AdminRequest, org: str, pk: Any) -> HttpResponse:
    organization = current_organization(request, org)
    job = _job_or_404(request, organization, pk)
    try:
        bulk_actions.discard_bulk_invite(actor=request.actor, job=job)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect(_job_url(organization, job))
    messages.success(request, _("Preview discarded: nothing was sent."))
    return redirect("portal:bulk_invite", org=organization.key)


@portal_login_required
@require_POST
def bulk_job_resume(request: AdminRequest, org: str, pk: Any) -> HttpResponse:
    organization = current_organization(request, org)
    job = _job_or_404(request, organization, pk)
    try:
        bulk_actions.resume_bulk_invite(actor=request.actor, job=job)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("The job resumes where it stopped."))
    return redirect(_job_url(organization, job))


class _Echo:
    def write(self, value: str) -> str:
        return value


@portal_login_required
@require_GET
def bulk_job_results(request: AdminRequest, org: str, pk: Any) -> StreamingHttpResponse:
    """Per-row results as CSV (row, email, status, error), safe to open in a spreadsheet."""
    organization = current_organization(request, org)
    job = _job_or_404(request, organization, pk)
    writer = csv.writer(_Echo())

    def lines() -> Iterator[str]:
        yield "\ufeff"  # spreadsheets read the file as UTF-8
        for cells in bulk_results.result_rows(job):
            yield writer.writerow(cells)

    response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
    day = job.created.strftime("%Y-%m-%d")
    response["Content-Disposition"] = (
        f'attachment; filename="bulk-invite-{day}-{str(job.pk)[:8]}-results.csv"'
    )
    return response


# Mounted under /portal/<org>/invitations/bulk/ (portal/urls.py).
urlpatterns = [
    path("template.csv", bulk_template, name="bulk_template"),
    path("<uuid:pk>", bulk_job, name="bulk_job"),
    path("<uuid:pk>/status", bulk_job_status, name="bulk_job_status"),
    path("<uuid:pk>/confirm", bulk_job_confirm, name="bulk_job_confirm"),
    path("<uuid:pk>/discard", bulk_job_discard, name="bulk_job_discard"),
    path("<uuid:pk>/resume", bulk_job_resume, name="bulk_job_resume"),
    path("<uuid:pk>/results.csv", bulk_job_results, name="bulk_job_results"),
]
