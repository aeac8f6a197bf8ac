"""Benchmark bulk invite end to end: 100,000 rows uploaded through the real view (multipart
parse, file checks, the row-by-row preview and its ImportRow inserts), confirmed through the
real view (options check, bulk_started, the task enqueued in django-tasks' database backend),
then the job run as the worker runs it (invitations.bulk.runner.process_job): invitations,
groups and roles, notifications, events, row results, every email rendered and handed to the
email backend.

    python bench/bulk_invite.py --database-url sqlite:///$PWD/var/bench-bulk.sqlite3
    python bench/bulk_invite.py --database-url postgres://postgres@127.0.0.1:5432/orgdesk_bench_bulk

The database (a PostgreSQL database or an SQLite file) is dropped, created and migrated first;
an organization, its admin, two groups and 500 existing accounts are set up; none of that is
timed. The measured part runs in a child process whose peak RSS (getrusage) is reported.
Email goes to a backend that builds each message (MIME, as an SMTP backend would) and drops
it: delivery is queued, not awaited. The rows: about 10% name a group, 5% a role, 1% are
errors found by the preview (bad address, duplicate, existing account).

Prints one JSON object and writes it to bench/results/bulk-invite-<database>.json.
Targets: at most 60 s and 300 MB.
"""

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
EXISTING = 500
ADMIN_EMAIL = "bench.admin@bench.example"


def recreate(url: str) -> None:
    parsed = urlparse(url)
    if parsed.scheme.startswith("sqlite"):
        path = Path(parsed.path)
        path.parent.mkdir(parents=True, exist_ok=True)
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        return
    name = parsed.path.lstrip("/")
    admin = parsed._replace(path="/postgres").geturl()
    for sql in (f'DROP DATABASE IF EXISTS "{name}"', f'CREATE DATABASE "{name}"'):
        subprocess.run(["psql", admin, "-q", "-c", sql], check=True)


def make_file(rows: int) -> bytes:
    """A semicolon-separated file with a BOM, as a spreadsheet exports it."""
    given = ["Ada", "Bob", "Chloé", "Dário", "Émile", "Frida", "Günter", "Hana", "Inès", "Jon"]
    family = ["Lovelace", "Martin", "Müller", "Núñez", "O'Brien", "Petit", "Quist", "Røed"]
    lines = ["email;given_name;family_name;groups;roles"]
    for n in range(rows):
        if n % 100 == 17:
            email = f"not-an-address-{n}"
        elif n % 100 == 33:
            email = f"PERSON{n - 1:06d}@Invitees.Example"  # a duplicate of the row before
        elif n % 200 == 51:
            email = f"existing{n % EXISTING:04d}@bench.example"  # already an account
        else:
            email = f"person{n:06d}@invitees.example"
        groups = "Sales" if n % 10 == 1 else ("Sales|Support" if n % 20 == 2 else "")
        roles = "account-recovery-assistant" if n % 20 == 3 else ""
        lines.append(f"{email};{given[n % 10]};{family[n % 8]};{groups};{roles}")
    return ("\ufeff" + "\r\n".join(lines) + "\r\n").encode()


# ---- the child: setup, then the measured part ---------------------------------------------------


class DiscardBackend:
    """Builds every message like an SMTP backend (message().as_bytes()) and drops it."""

    def __init__(self, *args: Any, fail_silently: bool = False, **kwargs: Any) -> None:
        self.sent = 0

    def open(self) -> bool:
        return True

    def close(self) -> None:
        pass

    def send_messages(self, messages: list[Any]) -> int:
        for message in messages:
            message.message().as_bytes()
        self.sent += len(messages)
        return len(messages)


BACKENDS = {
    "dummy": ("django.core.mail.backends.dummy.EmailBackend", "Django's dummy backend"),
    "mime": ("__main__.DiscardBackend", "builds each MIME message, then drops it"),
}


def child(rows: int, email: str) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "orgdesk.settings")
    os.environ.setdefault("ORGDESK_ALLOWED_HOSTS", "testserver,localhost")
    import django

    django.setup()
    from django.conf import settings
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.db import connection
    from django.test import Client

    from orgdesk.access.actions import grant_role
    from orgdesk.access.actor import Actor, Channel
    from orgdesk.access.models import OrgRole
    from orgdesk.accounts.actions import create_account
    from orgdesk.accounts.models import Group
    from orgdesk.invitations.bulk import runner as bulk_runner
    from orgdesk.invitations.models import ImportJob, ImportRow, Invitation
    from orgdesk.notifications.models import Notification
    from orgdesk.organizations.actions import create_organization
    from orgdesk.testing.auth import portal_login

    settings.EMAIL_BACKEND = BACKENDS[email][0]
    setup = Actor.system(channel=Channel.CLI, label="benchmark setup")
    root = create_organization(actor=setup, name="Bench Corp")
    org = create_organization(actor=setup, name="Bench Region", parent=root)
    admin = create_account(
        actor=setup, organization=root, email=ADMIN_EMAIL, given_name="Bench", family_name="Admin"
    )
    grant_role(actor=setup, account=admin, organization=org, role=OrgRole.objects.get(slug="admin"))
    Group.objects.create(organization=org, name="Sales")
    Group.objects.create(organization=org, name="Support")
    for n in range(EXISTING):
        create_account(actor=setup, organization=org, email=f"existing{n:04d}@bench.example")
    data = make_file(rows)
    client = Client()
    portal_login(client, admin)
    base = f"/portal/{org.key}/invitations/bulk"

    timings: dict[str, float] = {}
    started = time.perf_counter()
    response = client.post(
        base,
        {
            "file": SimpleUploadedFile("invitees.csv", data, content_type="text/csv"),
            "days": 7,
            "locale": "en",
        },
    )
    timings["upload_and_preview"] = time.perf_counter() - started
    if response.status_code != 302:
        sys.exit(f"upload failed: {response.status_code} {response.content[:2000]!r}")
    job_id = response["Location"].rsplit("/", 1)[1]
    job = ImportJob.objects.get(pk=job_id)

    mark = time.perf_counter()
    response = client.post(f"{base}/{job_id}/confirm")
    timings["confirm"] = time.perf_counter() - mark
    if response.status_code != 302:
        sys.exit(f"confirm failed: {response.status_code}")

    mark = time.perf_counter()
    outcome = bulk_runner.process_job(job_id)
    timings["job"] = time.perf_counter() - mark

    mark = time.perf_counter()
    response = client.get(f"{base}/{job_id}/results.csv")
    size = sum(len(chunk) for chunk in response.streaming_content)
    timings["results_csv"] = time.perf_counter() - mark
    total = time.perf_counter() - started

    job.refresh_from_db()
    peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    report = {
        "benchmark": "bulk_invite",
        "database": connection.vendor,
        "rows": rows,
        "file_bytes": len(data),
        "wall_seconds": round(total, 2),
        "peak_rss_mb": round(peak_kib / 1024, 1),
        "phases_seconds": {k: round(v, 2) for k, v in timings.items()},
        "job": {
            "status": job.status,
            "invalid": job.invalid_rows,
            "processed": job.processed_rows,
            "invited": job.succeeded_rows,
            "failed": job.failed_rows,
            "emails_failed": job.options.get("emails_failed"),
        },
        "rows_done": ImportRow.objects.filter(job=job, status=ImportRow.Status.DONE).count(),
        "invitations": Invitation.objects.filter(organization=org).count(),
        "emails_sent": Notification.objects.filter(
            organization=org, status=Notification.Status.SENT
        ).count(),
        "results_csv_bytes": size,
        "outcome": outcome,
        "batch_size": bulk_runner.BATCH_SIZE,
        "email_backend": f"{email}: {BACKENDS[email][1]}",
        "targets": {"wall_seconds": 60, "peak_rss_mb": 300},
    }
    print(json.dumps(report))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument(
        "--email",
        choices=sorted(BACKENDS),
        default="dummy",
        help="dummy: emails handed to Django's dummy backend; mime: each built as for SMTP",
    )
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.rows, args.email)
        return
    env = {
        **os.environ,
        "ORGDESK_DATABASE_URL": args.database_url,
        "ORGDESK_VAR_DIR": str(ROOT / "var"),
        "PYTHONPATH": str(ROOT),
    }
    recreate(args.database_url)
    subprocess.run([sys.executable, "-m", "orgdesk.cli", "migrate", "-v", "0"], env=env, check=True)
    proc = subprocess.run(
        [
            sys.executable,
            __file__,
            "--child",
            "--database-url",
            args.database_url,
            "--rows",
            str(args.rows),
            "--email",
            args.email,
        ],
        env=env,
        capture_output=True,
        text=True,
    )
    if proc.returncode != 0:
        sys.stderr.write(proc.stdout + proc.stderr)
        sys.exit(proc.returncode)
    report = json.loads(proc.stdout.strip().splitlines()[-1])
    report["command"] = (
        f"python bench/bulk_invite.py --database-url {args.database_url} --rows {args.rows}"
        f" --email {args.email}"
    )
    text = json.dumps(report, indent=2)
    print(text)
    RESULTS.mkdir(parents=True, exist_ok=True)
    name = "postgresql" if report["database"] == "postgresql" else "sqlite"
    suffix = "" if args.email == "dummy" else f"-{args.email}"
    (RESULTS / f"bulk-invite-{name}{suffix}.json").write_text(text + "\n")


if __name__ == "__main__":
    main()
