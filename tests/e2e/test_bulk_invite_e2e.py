"""Bulk invite in Chromium: upload a file, read the preview, send, watch the progress bar move
without reloading (htmx polling) and download the results. Screenshots of the preview and the
summary, in light and dark themes, go to test-artifacts/.
"""

from pathlib import Path
from typing import Any

import pytest
from django.core import mail
from django.db import transaction
from playwright.sync_api import Page, expect

from orgdesk.access.actions import grant_role
from orgdesk.access.models import OrgRole
from orgdesk.accounts.actions import create_account
from orgdesk.accounts.models import Group
from orgdesk.invitations.bulk import runner as bulk_runner
from orgdesk.invitations.models import ImportJob
from orgdesk.organizations.actions import create_organization
from orgdesk.testing.actors import SYSTEM
from tests.e2e.test_invitations_e2e import ADMIN_EMAIL, ADMIN_PASSWORD, sign_in

pytestmark = pytest.mark.e2e

FILE = (
    "\ufeffemail;given_name;family_name;groups;roles\r\n"
    "ada@example.test;Ada;Lovelace;EMEA staff;\r\n"
    "grace@example.test;Grace;Hopper;;\r\n"
    "not-an-address;Bad;Row;;\r\n"
    "ADA@example.test;Ada;Again;;\r\n"
    "=cmd@example.test;Formula;;Nope;\r\n"
)


@pytest.fixture
def acme(transactional_db: Any, settings: Any) -> dict[str, Any]:
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    with transaction.atomic():
        org = create_organization(actor=SYSTEM, name="Acme")
        emea = create_organization(actor=SYSTEM, name="EMEA", parent=org)
        admin = create_account(
            actor=SYSTEM,
            organization=emea,
            password=ADMIN_PASSWORD,
            email=ADMIN_EMAIL,
            given_name="Ada",
            family_name="Admin",
        )
        grant_role(
            actor=SYSTEM, account=admin, organization=emea, role=OrgRole.objects.get(slug="admin")
        )
        Group.objects.create(organization=emea, name="EMEA staff")
    return {"emea": emea, "admin": admin}


def shoot(page: Page, artifacts_dir: Path, name: str) -> None:
    for theme in ("light", "dark"):
        page.evaluate(f"document.documentElement.dataset.theme = '{theme}'")
        page.screenshot(path=str(artifacts_dir / f"bulk-invite-{name}-{theme}.png"), full_page=True)


def test_bulk_invite_in_the_browser(
    page: Page, acme: dict[str, Any], settings: Any, tmp_path: Path, artifacts_dir: Path
) -> None:
    # Confirming queues the job; this test plays the worker (no worker process runs here).
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
    emea = acme["emea"]
    sign_in(page, f"/portal/{emea.key}/invitations")
    page.get_by_label("More ways to invite").click()
    page.get_by_role("menuitem", name="Bulk invite").click()
    expect(page.get_by_role("heading", name="Bulk invite", level=1)).to_be_visible()
    expect(page.get_by_text("No file uploaded yet")).to_be_visible()

    path = tmp_path / "people.csv"
    path.write_text(FILE, encoding="utf-8")
    page.get_by_label("CSV file").set_input_files(str(path))
    page.get_by_role("button", name="Check the file").click()

    # The preview: nothing sent, every problem row explained.
    expect(page.get_by_role("heading", name="Preview", level=2)).to_be_visible()
    expect(page.get_by_text("Nothing has been sent yet")).to_be_visible()
    expect(page.get_by_text("Enter a valid email address.")).to_be_visible()
    expect(page.get_by_text("The same address as row 2 (whatever the case).")).to_be_visible()
    expect(page.get_by_text("Unknown group: Nope.")).to_be_visible()
    shoot(page, artifacts_dir, "preview")
    assert not mail.outbox

    page.get_by_role("button", name="Send 2 invitations").click()
    # The portal's dialog, not the browser's.
    confirm = page.get_by_role("alertdialog", name="Are you sure?")
    expect(confirm).to_contain_text("Send 2 invitations now?")
    confirm.get_by_role("button", name="Send 2 invitations").click()
    expect(page.get_by_role("heading", name="Waiting for the background worker")).to_be_visible()
    expect(page.locator("#bulk-state")).to_have_attribute("hx-trigger", "every 1s")

    shoot(page, artifacts_dir, "waiting")
    job = ImportJob.objects.get()
    bulk_runner.process_job(job.pk)  # the worker's turn; the page is polling meanwhile
    # The page notices by itself, stops polling and shows the summary.
    expect(page.get_by_role("heading", name="Finished", level=2)).to_be_visible(timeout=5000)
    expect(page.locator("#bulk-state")).not_to_have_attribute("hx-trigger", "every 1s")
    expect(page.locator(".bulk-figures dd").first).to_have_text("2")
    expect(page.locator("#bulk-job-badge")).to_have_text("Finished")  # the header too
    assert sorted(m.to[0] for m in mail.outbox) == ["ada@example.test", "grace@example.test"]
    shoot(page, artifacts_dir, "finished")

    with page.expect_download() as download:
        page.get_by_role("link", name="Download results (CSV)").click()
    text = Path(download.value.path()).read_text(encoding="utf-8-sig")
    assert text.splitlines()[0] == "row,email,status,error"
    assert "2,ada@example.test,invited," in text
    assert "'=cmd@example.test" in text

    page.get_by_role("link", name="Bulk invite").click()
    expect(page.get_by_role("link", name="people.csv")).to_be_visible()
    shoot(page, artifacts_dir, "upload")
