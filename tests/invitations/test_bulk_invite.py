"""Bulk invite (issue 6, item 5): the file (formats, bad files), the preview (every row error),
confirming and the background job (invitations, emails, events, row statuses), the progress
fragment, the results download (formula escaping), permissions and other organizations, and a
job killed with SIGKILL in a child process then resumed without duplicates or lost rows.

`world` (orgdesk/testing/world.py): admin = Admin on Acme / EMEA (account in France);
viewer = accounts.view only on EMEA; cross = Organization manager on Acme / Americas.
"""

import csv
import datetime as dt
import io
import os
import re
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from django.contrib.messages import get_messages
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from orgdesk.access.models import OrgRole
from orgdesk.accounts.actions import create_account
from orgdesk.accounts.models import Group
from orgdesk.activity.models import Event
from orgdesk.invitations import actions, bulkfile
from orgdesk.invitations.bulk import actions as bulk_actions
from orgdesk.invitations.bulk import preview as bulk_preview
from orgdesk.invitations.bulk import results as bulk_results
from orgdesk.invitations.bulk import runner as bulk_runner
from orgdesk.invitations.models import ImportJob, ImportRow, Invitation
from orgdesk.invitations.tokens import hash_token
from orgdesk.notifications.models import Notification
from orgdesk.testing.actors import SYSTEM, as_admin
from tests.detail_support import client_for

pytestmark = pytest.mark.django_db

IMMEDIATE = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
LINK = re.compile(r"https?://[^/\s]+/invite/([A-Za-z0-9_-]+)")
HEADER = "email,given_name,family_name,groups,roles\n"


# ---- helpers ---------------------------------------------------------------------------------


def url(name: str, org: Any, *extra: Any) -> str:
    return reverse(f"portal:{name}", args=[org.key, *extra])


def messages_of(response: Any) -> list[str]:
    return [str(m.message) for m in get_messages(response.wsgi_request)]


def upload(
    client: Client,
    org: Any,
    content: bytes | str,
    *,
    name: str = "people.csv",
    days: int = 7,
    locale: str = "en",
) -> Any:
    data = content.encode() if isinstance(content, str) else content
    return client.post(
        url("bulk_invite", org),
        {
            "file": SimpleUploadedFile(name, data, content_type="text/csv"),
            "days": days,
            "locale": locale,
        },
    )


def uploaded_job(response: Any) -> ImportJob:
    assert response.status_code == 302, response.content.decode()[:3000]
    pk = response["Location"].rstrip("/").rsplit("/", 1)[1]
    return ImportJob.objects.get(pk=pk)


def rows_of(job: ImportJob) -> dict[int, ImportRow]:
    return {row.number: row for row in ImportRow.objects.filter(job=job)}


def page_errors(response: Any) -> str:
    return response.content.decode()


@pytest.fixture
def groups(world: Any) -> dict[str, Group]:
    return {
        "sales": Group.objects.create(organization=world.emea, name="Sales"),
        "support": Group.objects.create(organization=world.emea, name="Support"),
        "below": Group.objects.create(organization=world.france, name="France only"),
        "everyone": Group.objects.create(organization=world.acme, name="Everyone"),
        "globex": Group.objects.create(organization=world.globex, name="Globex staff"),
    }


@pytest.fixture
def protected_role(db: Any) -> OrgRole:
    return OrgRole.objects.create(
        slug="brand-auditor", name="Brand auditor", permissions=["accounts.view"], protected=True
    )


@pytest.fixture
def immediate_tasks(settings: Any) -> None:
    settings.TASKS = IMMEDIATE


def confirm(client: Client, org: Any, job: ImportJob, capture: Any) -> Any:
    """Confirm a previewed job; the enqueued task runs when the request's transaction commits
    (the ImmediateBackend runs it at once)."""
    with capture(execute=True):
        response = client.post(url("bulk_job_confirm", org, job.pk))
    job.refresh_from_db()
    return response


def run_preview(world: Any, content: str, **kw: Any) -> ImportJob:
    return bulk_preview.preview_bulk_invite(
        actor=as_admin(world.admin),
        organization=world.emea,
        filename="x.csv",
        data=content.encode(),
        **kw,
    )


# ---- the happy path ----------------------------------------------------------------------------


def test_upload_preview_confirm_run(
    admin_client: Client,
    world: Any,
    groups: dict,
    immediate_tasks: None,
    django_capture_on_commit_callbacks: Any,
) -> None:
    content = (
        HEADER
        + "ada@example.test,Ada,Lovelace,Sales,\n"
        + "bob@example.test,Bob,,Sales|Support,organization-manager\n"
        + "carol@example.test,,,,\n"
    )
    job = uploaded_job(upload(admin_client, world.emea, content))
    assert job.status == ImportJob.Status.VALIDATED
    assert (job.total_rows, job.invalid_rows) == (3, 0)
    assert not Invitation.objects.exists() and not mail.outbox  # nothing sent by the preview
    page = admin_client.get(url("bulk_job", world.emea, job.pk))
    assert page.status_code == 200
    body = page.content.decode()
    assert "Send 3 invitations" in body and "Nothing has been sent yet" in body

    response = confirm(admin_client, world.emea, job, django_capture_on_commit_callbacks)
    assert response.status_code == 302
    assert job.status == ImportJob.Status.FINISHED
    assert (job.processed_rows, job.succeeded_rows, job.failed_rows) == (3, 3, 0)
    invitations = {i.email: i for i in Invitation.objects.filter(organization=world.emea)}
    assert set(invitations) == {"ada@example.test", "bob@example.test", "carol@example.test"}
    assert set(invitations["bob@example.test"].groups.all()) == {groups["sales"], groups["support"]}
    assert [r.slug for r in invitations["bob@example.test"].roles.all()] == ["organization-manager"]
    assert invitations["ada@example.test"].given_name == "Ada"
    assert invitations["ada@example.test"].invited_by == world.admin
    assert sorted(m.to[0] for m in mail.outbox) == sorted(invitations)
    # Each email's link is the invitation's token.
    for message in mail.outbox:
        token = LINK.search(message.body)[1]
        assert invitations[message.to[0]].token_hash == hash_token(token)
    ada_mail = next(m for m in mail.outbox if m.to[0] == "ada@example.test")
    assert "Hello Ada," in ada_mail.body
    assert "Hello," in next(m for m in mail.outbox if m.to[0] == "carol@example.test").body
    rows = rows_of(job)
    assert {r.status for r in rows.values()} == {ImportRow.Status.DONE}
    assert all(r.invitation_id and r.notification_id for r in rows.values())
    assert set(Notification.objects.values_list("status", flat=True)) == {"sent"}
    # Events: started (the confirmation) and finished frame the job; each invitation is traced
    # by its row (invitations/bulk/__init__.py explains why there is no invitation.sent event
    # per row).
    types = list(Event.objects.filter(organization=world.emea).values_list("type", flat=True))
    assert types.count("invitation.bulk_started") == 1
    assert types.count("invitation.bulk_finished") == 1
    assert "invitation.sent" not in types
    assert {r.invitation.email for r in rows.values()} == set(invitations)
    started = Event.objects.get(type="invitation.bulk_started")
    assert started.actor_id == world.admin.pk and started.metadata["job"] == str(job.pk)
    finished = Event.objects.get(type="invitation.bulk_finished")
    assert finished.metadata["invited"] == 3 and finished.metadata["failed"] == 0


# ---- the preview: one error kind per row -------------------------------------------------------


def test_preview_reports_every_error_row_by_row(
    admin_client: Client, world: Any, groups: dict, protected_role: OrgRole
) -> None:
    create_account(
        actor=SYSTEM, organization=world.emea, email="Taken@Example.test", given_name="T"
    )
    actions.invite(
        actor=as_admin(world.admin), organization=world.emea, email="invited@example.test"
    )
    lines = [
        "email,given_name,family_name,groups,roles",
        "good@example.test,Good,Row,Sales|Support,",  # 2 valid
        "not-an-address,,,,",  # 3 bad email
        ",No,Address,,",  # 4 missing email
        "Dup@Example.test,,,,",  # 5 valid (first of a pair)
        "dup@example.TEST,,,,",  # 6 duplicate, whatever the case
        "taken@example.test,,,,",  # 7 an account has it (another case)
        "INVITED@example.test,,,,",  # 8 a pending invitation has it
        "g1@example.test,,,Nope,",  # 9 unknown group
        "g2@example.test,,,France only,",  # 10 a group below: not offered
        "g3@example.test,,,Globex staff,",  # 11 another tree's group
        "g4@example.test,,,Everyone,",  # 12 a group above, outside the admin's groups.manage
        "r1@example.test,,,,wizard",  # 13 unknown role
        "r2@example.test,,,,brand-auditor",  # 14 protected: not the admin's to give
        f"long@example.test,{'x' * 151},,,",  # 15 name too long
        "extra@example.test,,,,,surprise",  # 16 more cells than the header
        "ok@example.test,,,sales,Organization Manager",  # 17 valid: names in any case
        "",  # 18 blank: skipped
        "last@example.test,,,,",  # 19 valid
    ]
    job = uploaded_job(upload(admin_client, world.emea, "\n".join(lines) + "\n"))
    rows = rows_of(job)
    assert 18 not in rows
    assert (job.total_rows, job.invalid_rows) == (17, 13)
    valid = {n for n, r in rows.items() if r.status == ImportRow.Status.PENDING}
    assert valid == {2, 5, 17, 19}
    expected = {
        3: "Enter a valid email address.",
        4: "Enter the email address to invite.",
        6: "The same address as row 5 (whatever the case).",
        7: "An account with this email address already exists in this organization.",
        8: "This address already has a pending invitation. Resend it instead.",
        9: "Unknown group: Nope.",
        10: "Unknown group: France only.",
        11: "Unknown group: Globex staff.",
        12: "You cannot add invitees to the group Everyone.",
        13: "Unknown role: wizard.",
        14: "You cannot give the role Brand auditor",
        15: "A name has at most 150 characters.",
        16: "This row has 6 cells but the header line names 5",
    }
    for number, message in expected.items():
        assert rows[number].status == ImportRow.Status.INVALID, number
        assert message in rows[number].error, (number, rows[number].error)
    assert rows[2].data["group_ids"] == [str(groups["sales"].pk), str(groups["support"].pk)]
    assert rows[17].data["role_ids"] == [str(OrgRole.objects.get(slug="organization-manager").pk)]
    # Nothing sent, nothing invited by the preview.
    assert Invitation.objects.count() == 1 and not Event.objects.filter(
        type__startswith="invitation.bulk"
    )
    # The page lists the problem rows with their messages; "all" lists every row.
    body = admin_client.get(url("bulk_job", world.emea, job.pk)).content.decode()
    assert "Unknown role: wizard." in body and "not-an-address" in body
    assert "good@example.test" not in body
    assert "Send 4 invitations" in body
    everything = admin_client.get(
        url("bulk_job", world.emea, job.pk) + "?show=all"
    ).content.decode()
    assert "good@example.test" in everything


def test_preview_pages_the_rows(admin_client: Client, world: Any) -> None:
    content = HEADER + "".join(f"bad{n}\n" for n in range(60))
    job = uploaded_job(upload(admin_client, world.emea, content))
    first = admin_client.get(url("bulk_job", world.emea, job.pk)).content.decode()
    assert "bad0" in first and "bad49" in first and "bad50" not in first
    next_url = re.search(r'href="([^"]+after=51[^"]*)"', first)[1].replace("&amp;", "&")
    second = admin_client.get(next_url).content.decode()
    assert "bad50" in second and "bad59" in second and "bad49<" not in second
    # A bad cursor is the first page, not an error.
    assert (
        admin_client.get(url("bulk_job", world.emea, job.pk) + "?after=x&show=zz").status_code
        == 200
    )


@pytest.mark.parametrize(
    "content",
    [
        "\ufeffemail;given_name;family_name\r\nsemi@example.test;Zoé;Straße\r\n",  # BOM, ;, CRLF
        "email;given_name;family_name\nsemi@example.test;Zoé;Straße\n",  # ; without BOM
        "\ufeffemail,given_name,family_name\nsemi@example.test,Zoé,Straße\n",  # BOM, comma
        "E-mail\tFirst name\tLast name\nsemi@example.test\tZoé\tStraße\n",  # tabs, aliases
        'Email,Given Name,Family Name,Notes\n"semi@example.test","Zoé","Straße","a, b"\n',
    ],
    ids=["bom-semicolon-crlf", "semicolon", "bom-comma", "tab-aliases", "quoted-extra-column"],
)
def test_file_variants(admin_client: Client, world: Any, content: str) -> None:
    job = uploaded_job(upload(admin_client, world.emea, content.encode("utf-8")))
    (row,) = rows_of(job).values()
    assert row.status == ImportRow.Status.PENDING, row.error
    assert row.number == 2
    assert row.data["email"] == "semi@example.test"
    assert row.data["given_name"] == "Zoé"
    assert row.data["family_name"] == "Straße"


# ---- bad files: a clear message, nothing stored ------------------------------------------------


PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00"


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (PNG + bytes(range(256)) * 4, "This is not a CSV file: it holds binary data"),
        (__import__("random").Random(7).randbytes(50_000), "This is not a CSV file"),
        (b"PK\x03\x04\x14\x00\x06\x00" + b"x" * 200, "spreadsheet workbook or an archive"),
        ("email,given_name\nzoe@example.test,Zoé\n".encode("latin-1"), "The file must be UTF-8"),
        ("email,given_name\nzoe@example.test,Zoé\n".encode("utf-16"), "this one is UTF-16"),
        (b"", "The file is empty"),
        (b"\r\n\n  \n", "The file is empty"),
        (b"email,given_name\n", "a header line but no rows"),
        (b"ada@example.test,Ada\nbob@example.test,Bob\n", "The first line must name the columns"),
        (b"name,phone\nAda,123\n", 'The header line has no "email" column'),
        (b"email,EMAIL\na@example.test,b@example.test\n", 'The column "email" appears twice'),
        (b"email\n" + b"j" * (10 * 1024 * 1024 - 1024), "could not be read as CSV"),
    ],
    ids=[
        "png",
        "random-bytes",
        "xlsx",
        "latin-1",
        "utf-16",
        "empty",
        "blank-lines",
        "header-only",
        "no-header",
        "no-email-column",
        "email-twice",
        "10mb-junk-line",
    ],
)
def test_bad_files_are_refused_with_a_clear_message(
    admin_client: Client, world: Any, content: bytes, message: str
) -> None:
    response = upload(admin_client, world.emea, content)
    assert response.status_code == 400
    body = response.content.decode()
    assert message in body.replace("&quot;", '"'), body[:4000]
    assert not ImportJob.objects.exists() and not ImportRow.objects.exists()


def test_latin_1_message_names_the_line(admin_client: Client, world: Any) -> None:
    content = "email,given_name\nok@example.test,Ok\nzoe@example.test,Zoé\n".encode("latin-1")
    body = upload(admin_client, world.emea, content).content.decode()
    assert "The file must be UTF-8: line 3 holds a character in another encoding." in body
    assert "CSV UTF-8" in body


def test_too_many_rows(admin_client: Client, world: Any) -> None:
    content = "email\n" + "".join(f"p{n}@example.test\n" for n in range(bulkfile.MAX_ROWS + 1))
    response = upload(admin_client, world.emea, content)
    assert response.status_code == 400
    assert "The file has more than 100000 rows" in response.content.decode()
    assert not ImportJob.objects.exists()
    # Exactly the limit is accepted (parsing only: the rows are not checked here).
    parsed = bulkfile.parse(("email\n" + "a@example.test\n" * bulkfile.MAX_ROWS).encode())
    assert len(parsed.rows) == bulkfile.MAX_ROWS


def test_too_large_files(admin_client: Client, world: Any) -> None:
    # Just over the limit: the request is read, the file refused.
    over = b"email\n" + b"a@example.test\n" * ((bulkfile.MAX_BYTES // 15) + 1)
    assert bulkfile.MAX_BYTES < len(over) < bulkfile.MAX_BYTES + 64 * 1024
    response = upload(admin_client, world.emea, over)
    assert response.status_code == 413
    assert "The file is larger than 10 MB" in response.content.decode()
    # Far over: refused from the declared size, before the body is parsed.
    big = b"x" * (bulkfile.MAX_BYTES + 200 * 1024)
    response = upload(admin_client, world.emea, big)
    assert response.status_code == 413
    assert "The file is larger than 10 MB" in response.content.decode()
    assert not ImportJob.objects.exists()


def test_upload_checks_csrf(world: Any) -> None:
    # The upload view reads the body itself (after checking its size), then checks CSRF.
    from orgdesk.testing.auth import portal_login

    client = Client(enforce_csrf_checks=True)
    portal_login(client, world.admin)
    response = upload(client, world.emea, HEADER + "a@example.test,,,,\n")
    assert response.status_code == 403
    assert not ImportJob.objects.exists()


def test_upload_form_errors(admin_client: Client, world: Any) -> None:
    response = admin_client.post(url("bulk_invite", world.emea), {"days": 7, "locale": "en"})
    assert response.status_code == 400
    assert "Choose a CSV file to upload." in response.content.decode()
    response = upload(admin_client, world.emea, HEADER + "a@example.test,,,,\n", days=999)
    assert response.status_code == 400
    assert not ImportJob.objects.exists()


def test_upload_page_and_template(admin_client: Client, world: Any) -> None:
    page = admin_client.get(url("bulk_invite", world.emea))
    assert page.status_code == 200
    body = page.content.decode()
    assert "File format" in body and "No file uploaded yet" in body
    assert 'enctype="multipart/form-data"' in body
    template = admin_client.get(url("bulk_template", world.emea))
    assert template.status_code == 200
    assert template.content.decode("utf-8-sig") == "email,given_name,family_name,groups,roles\r\n"
    # A file checked appears in the recent list.
    uploaded_job(upload(admin_client, world.emea, HEADER + "a@example.test,,,,\n", name="Q3.csv"))
    assert "Q3.csv" in admin_client.get(url("bulk_invite", world.emea)).content.decode()


# ---- the job -------------------------------------------------------------------------------------


class BouncingBackend:
    """An email backend refusing addresses that contain "bounce" (others go to the outbox)."""

    def __init__(self, *args: Any, fail_silently: bool = False, **kwargs: Any) -> None:
        from django.core.mail.backends.locmem import EmailBackend

        self.inner = EmailBackend(fail_silently=fail_silently)

    def open(self) -> None:
        pass

    def close(self) -> None:
        pass

    def send_messages(self, messages: list[Any]) -> int:
        for message in messages:
            if any("bounce" in to for to in message.to):
                raise OSError("550 mailbox unavailable")
        return self.inner.send_messages(messages)


def test_rows_are_checked_again_when_the_job_runs(
    admin_client: Client,
    world: Any,
    groups: dict,
    immediate_tasks: None,
    settings: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    settings.EMAIL_BACKEND = "tests.invitations.test_bulk_invite.BouncingBackend"
    old, _token = actions.issue_invitation(
        actor=SYSTEM,
        organization=world.emea,
        email="old@example.test",
        options=actions.invitation_options(actor=SYSTEM, organization=world.emea),
    )
    content = (
        HEADER
        + "late@example.test,,,,\n"  # an account appears after the preview
        + "race@example.test,,,,\n"  # invited by hand after the preview
        + "old@example.test,Old,,,\n"  # an outdated invitation: superseded
        + "bounce@example.test,,,,\n"  # the email cannot be delivered
        + "fine@example.test,,,Sales,\n"
    )
    Invitation.objects.filter(pk=old.pk).update(expires=timezone.now() - dt.timedelta(days=1))
    job = uploaded_job(upload(admin_client, world.emea, content))
    create_account(actor=SYSTEM, organization=world.france, email="late@example.test")
    actions.invite(actor=SYSTEM, organization=world.emea, email="race@example.test")
    groups["sales"].delete()  # the group is gone by the time the job runs

    confirm(admin_client, world.emea, job, django_capture_on_commit_callbacks)
    assert job.status == ImportJob.Status.FINISHED
    assert (job.processed_rows, job.succeeded_rows, job.failed_rows) == (5, 2, 3)
    rows = rows_of(job)
    assert rows[2].status == rows[3].status == rows[6].status == ImportRow.Status.FAILED
    assert "already exists" in rows[2].error
    assert "pending invitation" in rows[3].error
    assert "A group of this row is gone" in rows[6].error
    assert rows[4].status == rows[5].status == ImportRow.Status.DONE
    old.refresh_from_db()
    assert old.status == Invitation.Status.REVOKED
    new = rows[4].invitation
    assert new.status == Invitation.Status.PENDING and new.given_name == "Old"
    revoked = Event.objects.get(type="invitation.revoked", metadata__invitation=str(old.pk))
    assert revoked.metadata["superseded_by"] == str(new.pk)
    # The undeliverable email: the invitation exists, its notification failed.
    assert rows[5].notification.status == Notification.Status.FAILED
    assert "550 mailbox unavailable" in rows[5].notification.error
    assert [m.to for m in mail.outbox] == [["old@example.test"]]
    assert job.options["emails_failed"] == 1
    finished = Event.objects.get(type="invitation.bulk_finished")
    assert finished.metadata == {
        "job": str(job.pk),
        "invited": 2,
        "failed": 3,
        "invalid": 0,
        "emails_failed": 1,
    }
    body = admin_client.get(url("bulk_job", world.emea, job.pk)).content.decode()
    assert "Emails not sent" in body and "550 mailbox unavailable" not in body  # not a problem row
    results = download(admin_client, world.emea, job)
    assert results[4][2:] == ["email_failed", results[4][3]]
    assert "550 mailbox unavailable" in results[4][3]


def test_job_runs_once_and_leaves_a_held_job_alone(world: Any) -> None:
    job = run_preview(world, HEADER + "a@example.test,,,,\nb@example.test,,,,\n")
    bulk_actions.confirm_bulk_invite(actor=as_admin(world.admin), job=job)
    # Held by a live run: another run does nothing.
    ImportJob.objects.filter(pk=job.pk).update(worker="someone", heartbeat=timezone.now())
    assert bulk_runner.process_job(job.pk) == {"job": str(job.pk), "ran": False}
    assert not Invitation.objects.exists()
    # Its holder died a while ago: the next run takes over.
    ImportJob.objects.filter(pk=job.pk).update(heartbeat=timezone.now() - dt.timedelta(minutes=5))
    outcome = bulk_runner.process_job(job.pk, batch_size=1)
    assert outcome["ran"] and outcome["succeeded"] == 2
    # Finished: running it again changes nothing.
    assert bulk_runner.process_job(job.pk)["ran"] is False
    assert Invitation.objects.count() == 2 and len(mail.outbox) == 2
    assert Notification.objects.count() == 2
    assert Event.objects.filter(type="invitation.bulk_finished").count() == 1


def test_a_race_with_another_invitation_fails_the_row_not_the_job(
    world: Any, monkeypatch: Any
) -> None:
    job = run_preview(world, HEADER + "race@example.test,,,,\nother@example.test,,,,\n")
    bulk_actions.confirm_bulk_invite(actor=as_admin(world.admin), job=job)
    actions.invite(actor=SYSTEM, organization=world.emea, email="RACE@example.test")
    # The batch's check misses it once (it landed in between): the insert hits the database's
    # one-pending-invitation constraint, the batch rolls back and its retry sees it.
    real, calls = bulk_runner._taken_addresses, []

    def blind_once(organization: Any, lowered: list[str]) -> tuple[set[str], set[str]]:
        calls.append(lowered)
        return (set(), set()) if len(calls) == 1 else real(organization, lowered)

    monkeypatch.setattr(bulk_runner, "_taken_addresses", blind_once)
    outcome = bulk_runner.process_job(job.pk)
    assert outcome["succeeded"] == 1 and outcome["failed"] == 1 and len(calls) == 2
    rows = rows_of(job)
    assert rows[2].status == ImportRow.Status.FAILED and "pending invitation" in rows[2].error
    assert rows[3].status == ImportRow.Status.DONE
    assert Invitation.objects.filter(email__iexact="race@example.test").count() == 1
    assert [m.to for m in mail.outbox] == [["other@example.test"]]


def test_job_fails_cleanly_when_the_admin_lost_the_permission(world: Any) -> None:
    from orgdesk.access.models import RoleAssignment

    job = run_preview(world, HEADER + "a@example.test,,,,\n")
    bulk_actions.confirm_bulk_invite(actor=as_admin(world.admin), job=job)
    RoleAssignment.objects.filter(account=world.admin).delete()
    admin = type(world.admin).objects.get(pk=world.admin.pk)  # no cached grants
    job.created_by = admin
    outcome = bulk_runner.process_job(job.pk)
    job.refresh_from_db()
    assert outcome["status"] == ImportJob.Status.FAILED
    assert job.status == ImportJob.Status.FAILED
    assert "may no longer invite customers here" in job.error
    assert not Invitation.objects.exists() and not mail.outbox
    assert bulk_actions.can_resume(job)


# ---- confirm, step-up, discard, resume ---------------------------------------------------------


def test_roles_need_a_recent_sign_in(
    stale_admin_client: Client,
    world: Any,
    immediate_tasks: None,
    django_capture_on_commit_callbacks: Any,
) -> None:
    job = uploaded_job(
        upload(stale_admin_client, world.emea, HEADER + "r@example.test,,,,organization-manager\n")
    )
    page = stale_admin_client.get(url("bulk_job", world.emea, job.pk)).content.decode()
    assert "sending needs a recent sign-in" in page
    response = confirm(stale_admin_client, world.emea, job, django_capture_on_commit_callbacks)
    assert response.status_code == 302 and "/step-up" in response["Location"]
    assert job.status == ImportJob.Status.VALIDATED
    assert not Event.objects.filter(type="invitation.bulk_started").exists()
    # Without roles no step-up is needed.
    plain = uploaded_job(upload(stale_admin_client, world.emea, HEADER + "p@example.test,,,,\n"))
    confirm(stale_admin_client, world.emea, plain, django_capture_on_commit_callbacks)
    assert plain.status == ImportJob.Status.FINISHED


def test_confirm_twice_and_nothing_to_send(
    admin_client: Client, world: Any, immediate_tasks: None, django_capture_on_commit_callbacks: Any
) -> None:
    job = uploaded_job(upload(admin_client, world.emea, HEADER + "once@example.test,,,,\n"))
    confirm(admin_client, world.emea, job, django_capture_on_commit_callbacks)
    again = confirm(admin_client, world.emea, job, django_capture_on_commit_callbacks)
    assert "already sent or discarded" in " ".join(messages_of(again))
    assert Invitation.objects.count() == 1 and len(mail.outbox) == 1
    bad = uploaded_job(upload(admin_client, world.emea, HEADER + "nope,,,,\n"))
    page = admin_client.get(url("bulk_job", world.emea, bad.pk)).content.decode()
    assert "No row to invite" in page
    response = confirm(admin_client, world.emea, bad, django_capture_on_commit_callbacks)
    assert "No row of this file can be invited" in " ".join(messages_of(response))
    assert bad.status == ImportJob.Status.VALIDATED


def test_confirm_enqueues_the_task_for_the_worker(
    admin_client: Client, world: Any, django_capture_on_commit_callbacks: Any, database_tasks: None
) -> None:
    from django_tasks_db.models import DBTaskResult

    job = uploaded_job(upload(admin_client, world.emea, HEADER + "queued@example.test,,,,\n"))
    confirm(admin_client, world.emea, job, django_capture_on_commit_callbacks)
    task = DBTaskResult.objects.get()
    assert task.task_path == "orgdesk.invitations.bulk.runner.run_bulk_invite"
    assert task.args_kwargs["args"] == [str(job.pk)]
    assert job.status == ImportJob.Status.RUNNING and not Invitation.objects.exists()
    started = Event.objects.get(type="invitation.bulk_started")
    assert started.actor_id == world.admin.pk
    assert started.metadata == {
        "job": str(job.pk),
        "filename": "people.csv",
        "rows": 1,
        "valid": 1,
        "invalid": 0,
    }
    page = admin_client.get(url("bulk_job", world.emea, job.pk)).content.decode()
    assert "Waiting for the background worker" in page
    # What the worker does with it.
    bulk_runner.run_bulk_invite.call(str(job.pk))
    job.refresh_from_db()
    assert job.status == ImportJob.Status.FINISHED and len(mail.outbox) == 1


def test_discard(admin_client: Client, world: Any) -> None:
    job = uploaded_job(upload(admin_client, world.emea, HEADER + "d@example.test,,,,\n"))
    response = admin_client.post(url("bulk_job_discard", world.emea, job.pk))
    assert response.status_code == 302 and response["Location"] == url("bulk_invite", world.emea)
    job.refresh_from_db()
    assert job.status == ImportJob.Status.CANCELLED and not ImportRow.objects.filter(job=job)
    discarded = Event.objects.get(type="invitation.bulk_discarded")
    assert (discarded.actor_id, discarded.organization_id, discarded.reason) == (
        world.admin.pk,
        world.emea.pk,
        "",
    )
    assert discarded.metadata == {"job": str(job.pk), "filename": "people.csv", "rows": 1}
    assert (
        "discarded before anything was sent"
        in admin_client.get(url("bulk_job", world.emea, job.pk)).content.decode()
    )
    again = admin_client.post(url("bulk_job_discard", world.emea, job.pk), follow=True)
    assert "Only a preview that was not sent can be discarded." in again.content.decode()


def test_the_worker_queues_stalled_jobs_again(
    world: Any, django_capture_on_commit_callbacks: Any, database_tasks: None
) -> None:
    from django_tasks_db.models import DBTaskResult

    never_started = run_preview(world, HEADER + "w1@example.test,,,,\n")
    killed = run_preview(world, HEADER + "w2@example.test,,,,\n")
    alive = run_preview(world, HEADER + "w3@example.test,,,,\n")
    with django_capture_on_commit_callbacks(execute=False):  # no task queued
        for job in (never_started, killed, alive):
            bulk_actions.confirm_bulk_invite(actor=as_admin(world.admin), job=job)
    old = timezone.now() - dt.timedelta(minutes=3)
    ImportJob.objects.filter(pk=never_started.pk).update(updated=old)
    ImportJob.objects.filter(pk=killed.pk).update(worker="dead", heartbeat=old, updated=old)
    ImportJob.objects.filter(pk=alive.pk).update(worker="busy", heartbeat=timezone.now())
    stalled = sorted([str(never_started.pk), str(killed.pk)])
    assert sorted(bulk_actions.requeue_stalled_jobs()) == stalled
    queued = DBTaskResult.objects.values_list("args_kwargs", flat=True)
    assert sorted(a["args"][0] for a in queued) == stalled
    for job in (never_started, killed):
        bulk_runner.run_bulk_invite.call(str(job.pk))
        job.refresh_from_db()
        assert job.status == ImportJob.Status.FINISHED
    # Finished jobs, and a live run, stay as they are.
    assert bulk_actions.requeue_stalled_jobs() == []


def test_previews_not_sent_within_a_day_are_discarded(
    admin_client: Client, world: Any, django_capture_on_commit_callbacks: Any
) -> None:
    old = run_preview(world, HEADER + "old@example.test,,,,\nbad,,,,\n")
    recent = run_preview(world, HEADER + "recent@example.test,,,,\n")
    sent = run_preview(world, HEADER + "sent@example.test,,,,\n")
    with django_capture_on_commit_callbacks(execute=False):
        bulk_actions.confirm_bulk_invite(actor=as_admin(world.admin), job=sent)
    day_ago = timezone.now() - bulk_actions.PREVIEW_KEEP - dt.timedelta(minutes=1)
    ImportJob.objects.filter(pk__in=[old.pk, sent.pk]).update(updated=day_ago)
    assert bulk_actions.expire_previews() == [str(old.pk)]
    old.refresh_from_db()
    assert old.status == ImportJob.Status.CANCELLED and old.error == bulk_actions.PREVIEW_EXPIRED
    assert not ImportRow.objects.filter(job=old).exists()  # the file's addresses are gone
    expired = Event.objects.get(type="invitation.bulk_discarded")
    assert (expired.actor_id, expired.organization_id, expired.reason) == (
        None,
        world.emea.pk,
        bulk_actions.PREVIEW_EXPIRED,
    )
    assert expired.metadata["job"] == str(old.pk) and expired.metadata["rows"] == 2
    assert ImportRow.objects.filter(job=recent).count() == 1
    assert ImportJob.objects.get(pk=sent.pk).status == ImportJob.Status.RUNNING
    page = admin_client.get(url("bulk_job", world.emea, old.pk)).content.decode()
    assert "This preview was not sent within a day, so it was discarded" in page
    again = admin_client.post(url("bulk_job_confirm", world.emea, old.pk), follow=True)
    assert not Invitation.objects.filter(email="old@example.test").exists()
    assert again.status_code == 200
    assert bulk_actions.expire_previews() == []


def test_resume_a_stalled_job(
    admin_client: Client, world: Any, immediate_tasks: None, django_capture_on_commit_callbacks: Any
) -> None:
    job = run_preview(world, HEADER + "s1@example.test,,,,\ns2@example.test,,,,\n")
    with django_capture_on_commit_callbacks(execute=False):
        bulk_actions.confirm_bulk_invite(
            actor=as_admin(world.admin), job=job
        )  # the worker never picks it up
    response = admin_client.post(url("bulk_job_resume", world.emea, job.pk), follow=True)
    assert "only a failed or stalled job can be resumed" in response.content.decode()
    ImportJob.objects.filter(pk=job.pk).update(updated=timezone.now() - dt.timedelta(minutes=3))
    page = admin_client.get(url("bulk_job", world.emea, job.pk)).content.decode()
    assert "No background worker has started this job" in page
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(url("bulk_job_resume", world.emea, job.pk))
    assert response.status_code == 302
    job.refresh_from_db()
    assert job.status == ImportJob.Status.FINISHED and job.succeeded_rows == 2
    assert len(mail.outbox) == 2


# ---- progress fragment and results -------------------------------------------------------------


def test_progress_fragment_polls_while_running(admin_client: Client, world: Any) -> None:
    job = run_preview(
        world, HEADER + "".join(f"p{n}@example.test,,,,\n" for n in range(4)) + "bad,,,,\n"
    )
    bulk_actions.confirm_bulk_invite(actor=as_admin(world.admin), job=job)
    ImportJob.objects.filter(pk=job.pk).update(
        processed_rows=3,
        succeeded_rows=2,
        failed_rows=1,
        started_at=timezone.now(),
        heartbeat=timezone.now(),
    )
    response = admin_client.get(url("bulk_job_status", world.emea, job.pk), HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    body = response.content.decode()
    assert body.lstrip().startswith("<section") and "<html" not in body
    assert 'hx-trigger="every 1s"' in body
    assert 'hx-get="' + url("bulk_job_status", world.emea, job.pk) + '"' in body
    assert "3 of 4 rows processed (75%)" in body
    assert "2 invited" in body and "1 failed" in body
    assert '<progress class="bulk-progress" max="4" value="3"' in body
    # Finished: the summary, and no more polling.
    bulk_runner.process_job(job.pk)
    body = admin_client.get(url("bulk_job_status", world.emea, job.pk)).content.decode()
    assert "hx-trigger" not in body and "Finished" in body
    # The page's header badge follows (out of band) when htmx asks.
    htmx = admin_client.get(url("bulk_job_status", world.emea, job.pk), HTTP_HX_REQUEST="true")
    assert 'id="bulk-job-badge" hx-swap-oob="true"' in htmx.content.decode()
    assert "Download results (CSV)" in body


def download(client: Client, org: Any, job: ImportJob) -> list[list[str]]:
    response = client.get(url("bulk_job_results", org, job.pk))
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith('attachment; filename="bulk-invite-')
    text = b"".join(response.streaming_content).decode("utf-8")
    assert text.startswith("\ufeff")
    return list(csv.reader(io.StringIO(text[1:], newline="")))


def test_results_download_escapes_formulas(admin_client: Client, world: Any) -> None:
    content = (
        HEADER
        + '=HYPERLINK("http://evil.test"),,,,\n'
        + "+1-555,,,,\n"
        + "-2+3,,,,\n"
        + "@SUM(A1),,,,\n"
        + '"\tcmd@example.test",,,,\n'
        + "fine@example.test,,,=Evil,\n"
        + "safe@example.test,,,,\n"
    )
    job = run_preview(world, content)
    lines = download(admin_client, world.emea, job)
    assert lines[0] == ["row", "email", "status", "error"]
    by_row = {line[0]: line for line in lines[1:]}
    assert by_row["2"][1] == '\'=HYPERLINK("http://evil.test")'
    assert by_row["3"][1] == "'+1-555"
    assert by_row["4"][1] == "'-2+3"
    assert by_row["5"][1] == "'@SUM(A1)"
    assert by_row["6"][1] == "cmd@example.test"  # stripped of its tab: a valid address after all
    assert by_row["7"][2:] == ["invalid", "Unknown group: =Evil."]
    assert by_row["8"][1:] == ["safe@example.test", "valid", ""]
    for line in lines:
        for cell in line:
            assert not cell.startswith(bulk_results.FORMULA_START), line
    # A cell starting with a tab or a carriage return (kept inside quotes in an error message).
    safe = bulk_results.spreadsheet_safe
    assert safe("\tx") == "'\tx" and safe("\rx") == "'\rx"
    assert safe("-") == "'-" and safe("a=b") == "a=b"
    # After the run: invited rows, invalid rows kept as they were.
    bulk_actions.confirm_bulk_invite(actor=as_admin(world.admin), job=job)
    bulk_runner.process_job(job.pk)
    by_row = {line[0]: line for line in download(admin_client, world.emea, job)[1:]}
    assert by_row["8"][2] == "invited" and by_row["6"][2] == "invited"
    assert by_row["2"][2] == "invalid"


# ---- permissions and other organizations ---------------------------------------------------------


def test_without_invitations_manage_everything_is_403(world: Any) -> None:
    job = run_preview(world, HEADER + "x@example.test,,,,\n")
    viewer = client_for(world.viewer)
    org = world.emea
    assert viewer.get(url("bulk_invite", org)).status_code == 403
    assert upload(viewer, org, HEADER + "v@example.test,,,,\n").status_code == 403
    assert viewer.get(url("bulk_template", org)).status_code == 403
    for name in ("bulk_job", "bulk_job_status", "bulk_job_results"):
        assert viewer.get(url(name, org, job.pk)).status_code == 403, name
    for name in ("bulk_job_confirm", "bulk_job_discard", "bulk_job_resume"):
        assert viewer.post(url(name, org, job.pk)).status_code == 403, name
    job.refresh_from_db()
    assert job.status == ImportJob.Status.VALIDATED
    assert ImportJob.objects.count() == 1


def test_other_organizations_jobs_are_404(admin_client: Client, world: Any) -> None:
    # A job of France (below the admin's EMEA) asked for under EMEA; one of Americas.
    below = bulk_preview.preview_bulk_invite(
        actor=as_admin(world.admin),
        organization=world.france,
        filename="f.csv",
        data=(HEADER + "f@example.test,,,,\n").encode(),
    )
    americas = bulk_preview.preview_bulk_invite(
        actor=SYSTEM,
        organization=world.americas,
        filename="a.csv",
        data=(HEADER + "a@example.test,,,,\n").encode(),
    )
    for job in (below, americas):
        for name in ("bulk_job", "bulk_job_status", "bulk_job_results"):
            assert admin_client.get(url(name, world.emea, job.pk)).status_code == 404, name
        for name in ("bulk_job_confirm", "bulk_job_discard", "bulk_job_resume"):
            assert admin_client.post(url(name, world.emea, job.pk)).status_code == 404, name
    # The Americas organization itself is out of the admin's reach.
    assert admin_client.get(url("bulk_job", world.americas, americas.pk)).status_code == 404
    assert admin_client.get(url("bulk_invite", world.americas)).status_code == 404
    # Its own manager sees it there, and EMEA's job is 404 to them.
    cross = client_for(world.cross)
    assert cross.get(url("bulk_job", world.americas, americas.pk)).status_code == 200
    emea_job = run_preview(world, HEADER + "e@example.test,,,,\n")
    assert cross.get(url("bulk_job", world.americas, emea_job.pk)).status_code == 404
    # Jobs of France do not appear in EMEA's recent list.
    assert "f.csv" not in admin_client.get(url("bulk_invite", world.emea)).content.decode()
    for job in (below, americas):
        job.refresh_from_db()
        assert job.status == ImportJob.Status.VALIDATED


# ---- kill -9 and resume --------------------------------------------------------------------------

# A child process runs the job like the worker does (bulk_runner.process_job) and SIGKILLs itself at
# a chosen point: inside a batch's transaction, between a batch's commit and its emails, or
# between sending a chunk of emails and marking them sent.
CHILD = r"""
import os, signal, sys
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "orgdesk.settings")
import django
django.setup()
from orgdesk.invitations.bulk import runner as bulk_runner

job_id, where, crash_at, batch_size = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
bulk_runner.EMAIL_CHUNK = 4
calls = {"n": 0}

def crashing(original, before):
    def wrapper(*args, **kwargs):
        calls["n"] += 1
        if before and calls["n"] == crash_at:
            os.kill(os.getpid(), signal.SIGKILL)
        result = original(*args, **kwargs)
        if not before and calls["n"] == crash_at:
            os.kill(os.getpid(), signal.SIGKILL)
        return result
    return wrapper

if where == "in_batch":  # after the batch's writes, before its commit
    bulk_runner._issue_batch = crashing(bulk_runner._issue_batch, before=False)
elif where == "after_commit":  # the batch committed, its emails not sent
    bulk_runner._send = crashing(bulk_runner._send, before=True)
elif where == "mid_send":  # a chunk of emails sent, not yet marked sent
    bulk_runner._mark = crashing(bulk_runner._mark, before=True)
print(bulk_runner.process_job(job_id, batch_size=batch_size), flush=True)
"""


class SharedDatabase:
    """The test database, reachable by a child process. On PostgreSQL it is the test database
    itself; SQLite's in-memory test database is copied to a file that both sides then use."""

    def __init__(self, tmp_path: Path) -> None:
        self.tmp_path = tmp_path
        self.memory: Any = None
        self.original_name = connection.settings_dict["NAME"]

    def __enter__(self) -> str:
        settings_dict = connection.settings_dict
        if connection.vendor == "postgresql":
            from urllib.parse import quote

            user = settings_dict.get("USER") or "postgres"
            password = settings_dict.get("PASSWORD") or ""
            auth = quote(user) + (":" + quote(password) if password else "")
            host = settings_dict.get("HOST") or "127.0.0.1"
            port = settings_dict.get("PORT") or 5432
            return f"postgres://{auth}@{host}:{port}/{settings_dict['NAME']}"
        if not connection.is_in_memory_db():
            return f"sqlite:///{settings_dict['NAME']}"
        path = self.tmp_path / "shared.sqlite3"
        connection.ensure_connection()
        target = sqlite3.connect(path)
        connection.connection.backup(target)
        target.close()
        self.memory = connection.connection
        connection.connection = None
        settings_dict["NAME"] = str(path)
        return f"sqlite:///{path}"

    def __exit__(self, *exc: Any) -> None:
        if self.memory is not None:
            connection.close()
            connection.settings_dict["NAME"] = self.original_name
            connection.connection = self.memory


def run_child(database_url: str, tmp_path: Path, *args: str) -> subprocess.CompletedProcess:
    """CHILD with these arguments; `worker` instead runs the real task worker until the queue
    is empty (`orgdesk worker --batch`)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("ORGDESK_")}
    env.pop("DJANGO_SETTINGS_MODULE", None)
    env.update(
        ORGDESK_DATABASE_URL=database_url,
        ORGDESK_VAR_DIR=str(tmp_path / "var"),
        ORGDESK_EMAIL_URL=f"file://{tmp_path / 'outbox'}",
    )
    if args == ("worker",):
        command = ["-m", "orgdesk.cli", "worker", "--batch"]
    else:
        command = ["-c", CHILD, *args]
    return subprocess.run(
        [sys.executable, *command],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def outbox_messages(tmp_path: Path, before: set[Path] | None = None) -> list[tuple[str, str]]:
    """(recipient, token) of every email the children wrote (the file email backend), those of
    the files in `before` (an earlier child's) first."""
    found = []
    paths = sorted((tmp_path / "outbox").glob("*.log"))
    if before is not None:
        paths = [p for p in paths if p in before] + [p for p in paths if p not in before]
    for path in paths:
        for message in path.read_text().split("-" * 79):
            to = re.search(r"^To: (.+)$", message, re.M)
            if to:
                found.append((to[1].strip(), LINK.search(message)[1]))
    return found


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(
    ("where", "crash_at", "done_after_crash", "emailed_after_crash", "resumed_by"),
    [
        ("in_batch", 2, 10, 10, "admin"),  # batch 2 rolls back: 10 rows done, 10 emails sent
        ("after_commit", 2, 20, 10, "worker"),  # batch 2 committed, its 10 emails not sent
        ("mid_send", 3, 10, 10, "worker"),  # batch 1's third chunk (2 emails) sent, not marked
    ],
)
def test_killed_job_resumes_without_duplicates_or_lost_rows(
    tmp_path: Path,
    settings: Any,
    where: str,
    crash_at: int,
    done_after_crash: int,
    emailed_after_crash: int,
    resumed_by: str,
) -> None:
    """Killed at three points, then resumed by the admin's Resume or by the next worker
    start on its own (it queues stalled jobs again)."""
    from orgdesk.testing.world import build_world

    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
    world = build_world()
    sales = Group.objects.create(organization=world.emea, name="Sales")
    addresses = [f"k{n:02d}@example.test" for n in range(25)]
    content = HEADER + "".join(f"{a},K{n},,Sales,\n" for n, a in enumerate(addresses))
    job = run_preview(world, content)
    bulk_actions.confirm_bulk_invite(actor=as_admin(world.admin), job=job)

    with SharedDatabase(tmp_path) as database_url:
        killed = run_child(database_url, tmp_path, str(job.pk), where, str(crash_at), "10")
        assert killed.returncode == -signal.SIGKILL, killed.stderr
        job.refresh_from_db()
        assert job.status == ImportJob.Status.RUNNING
        done = ImportRow.objects.filter(job=job, status=ImportRow.Status.DONE).count()
        assert done == done_after_crash
        assert job.processed_rows == job.succeeded_rows == done  # counters move with the rows
        assert Invitation.objects.count() == done  # no invitation without its done row
        assert len(outbox_messages(tmp_path)) == emailed_after_crash
        first_files = set((tmp_path / "outbox").glob("*.log"))

        # Still looks alive: not resumable yet. A minute later it is.
        with pytest.raises(Exception, match="only a failed or stalled job can be resumed"):
            bulk_actions.resume_bulk_invite(actor=as_admin(world.admin), job=job)
        ImportJob.objects.filter(pk=job.pk).update(
            heartbeat=timezone.now() - dt.timedelta(minutes=2)
        )
        # Resuming queues the task for the worker (django-tasks' database backend this time);
        # without it, the worker finds the stalled job when it starts.
        settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
        if resumed_by == "admin":
            bulk_actions.resume_bulk_invite(actor=as_admin(world.admin), job=job)
        resumed = run_child(database_url, tmp_path, "worker")
        assert resumed.returncode == 0, resumed.stderr
        assert "Traceback" not in resumed.stderr, resumed.stderr

        job.refresh_from_db()
        assert job.status == ImportJob.Status.FINISHED
        assert (job.processed_rows, job.succeeded_rows, job.failed_rows) == (25, 25, 0)
        rows = list(ImportRow.objects.filter(job=job).select_related("invitation", "notification"))
        assert {r.status for r in rows} == {ImportRow.Status.DONE}
        invitations = Invitation.objects.filter(organization=world.emea)
        assert sorted(invitations.values_list("email", flat=True)) == addresses  # once each
        assert all(list(i.groups.all()) == [sales] for i in invitations)
        assert {r.notification.status for r in rows} == {Notification.Status.SENT}
        assert Notification.objects.count() == 25
        assert len({r.invitation_id for r in rows}) == 25
        assert Event.objects.filter(type="invitation.bulk_finished").count() == 1

        messages = outbox_messages(tmp_path, before=first_files)
        per_address: dict[str, list[str]] = {}
        for to, token in messages:
            per_address.setdefault(to, []).append(token)
        assert sorted(per_address) == addresses  # nobody missed
        by_email = {i.email: i for i in invitations}
        for to, tokens in per_address.items():
            assert by_email[to].token_hash == hash_token(tokens[-1])  # the last link works
        twice = sorted(to for to, tokens in per_address.items() if len(tokens) > 1)
        if where == "mid_send":
            # The one unavoidable repeat: the chunk sent but not yet marked when killed
            # (at most bulk_runner.EMAIL_CHUNK emails); the earlier link is dead.
            assert twice == addresses[8:10]
            for to in twice:
                assert by_email[to].token_hash != hash_token(per_address[to][0])
        else:
            assert twice == []
