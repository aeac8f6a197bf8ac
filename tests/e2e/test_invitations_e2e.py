"""An invitation from end to end, in Chromium, with real SMTP: an organization admin invites an
address through the portal, the message is read from an SMTP sink (aiosmtpd on a free local
port), the invitee follows its link in another browser and registers.
"""

import re
from collections.abc import Iterator
from typing import Any

import pytest
from django.db import transaction
from playwright.sync_api import Browser, Page, expect

from orgdesk.access.actions import grant_role
from orgdesk.access.models import OrgRole, RoleAssignment
from orgdesk.accounts.actions import create_account
from orgdesk.accounts.models import Account, Group, GroupMembership
from orgdesk.invitations.models import Invitation
from orgdesk.organizations.actions import create_organization
from orgdesk.testing.actors import SYSTEM
from tests.smtp_support import Sink
from tests.smtp_support import smtp_sink as start_sink

pytestmark = pytest.mark.e2e

ADMIN_EMAIL = "ada.admin@acme.test"
ADMIN_PASSWORD = "correct horse battery staple"
INVITEE = "iris.invitee@example.test"
INVITEE_PASSWORD = "a long and fresh passphrase 7"


@pytest.fixture
def smtp_sink(settings: Any, live_server: Any) -> Iterator[Sink]:
    """An SMTP server on 127.0.0.1, and the live server sending its email there."""
    with start_sink(settings, live_server.url) as sink:  # links in email lead to this server
        yield sink


@pytest.fixture
def acme(transactional_db: Any) -> dict[str, Any]:
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
        group = Group.objects.create(organization=emea, name="EMEA staff")
    return {"emea": emea, "admin": admin, "group": group}


def sign_in(page: Page, path: str) -> None:
    page.goto(path)
    expect(page.get_by_role("heading", name="Sign in to the Organization portal")).to_be_visible()
    page.get_by_label("Email, username or phone").fill(ADMIN_EMAIL)
    page.get_by_label("Password").fill(ADMIN_PASSWORD)
    with page.expect_navigation():
        page.get_by_role("button", name="Sign in").click()
    expect(page.locator("body.app")).to_be_visible()


def test_invite_by_email_and_register(
    page: Page,
    browser: Browser,
    browser_context_args: dict[str, Any],
    acme: dict[str, Any],
    smtp_sink: Sink,
) -> None:
    emea = acme["emea"]
    invitations = f"/portal/{emea.key}/invitations"
    sign_in(page, invitations)
    expect(page.get_by_role("heading", name="Invitations", level=1)).to_be_visible()
    expect(page.get_by_text("No invitations yet")).to_be_visible()

    # The arrow next to Invite customer offers Bulk invite.
    page.get_by_label("More ways to invite").click()
    expect(page.get_by_role("menuitem", name="Bulk invite")).to_be_visible()
    page.keyboard.press("Escape")

    page.get_by_role("link", name="Invite customer").click()
    expect(page.get_by_role("heading", name="Invite customer", level=1)).to_be_visible()
    page.get_by_label("Email address").fill(INVITEE)
    page.get_by_label("Given name").fill("Iris")
    page.get_by_label("EMEA staff · EMEA").check()
    page.get_by_label("Account recovery assistant").check()
    expect(page.get_by_label("Valid for (days)")).to_have_value("7")
    page.get_by_role("button", name="Send invitation").click()

    expect(page.get_by_role("heading", name="Invitations", level=1)).to_be_visible()
    expect(page.locator(".toast")).to_contain_text(f"Invitation sent to {INVITEE}.")
    row = page.get_by_role("row").filter(has_text=INVITEE)
    expect(row).to_contain_text("Organization Portal")
    expect(row).to_contain_text("Pending")

    # The message, through SMTP.
    message = smtp_sink.wait_for(INVITEE)
    assert "EMEA" in message["Subject"]
    body = message.get_body(preferencelist=("plain",)).get_content()
    link = re.search(r"(http://\S+/invite/[A-Za-z0-9_-]+)", body)[1]
    assert link.startswith(page.url.split("/portal/")[0])

    # The invitee, in a browser of their own.
    invitee_context = browser.new_context(**browser_context_args)
    try:
        invitee = invitee_context.new_page()
        invitee.goto(link)
        expect(invitee.get_by_role("heading", name="Create your account")).to_be_visible()
        assert "/invite/register" in invitee.url  # the token left the address bar
        expect(invitee.locator(".invite-org")).to_have_text("EMEA")
        expect(invitee.get_by_label("Given name")).to_have_value("Iris")
        invitee.get_by_label("Family name").fill("Invitee")
        invitee.get_by_label("Password", exact=True).fill(INVITEE_PASSWORD)
        invitee.get_by_label("Confirm the password").fill(INVITEE_PASSWORD)
        invitee.get_by_role("button", name="Create my account").click()
        expect(invitee.get_by_role("heading", name="Your account is ready")).to_be_visible()
        expect(
            invitee.get_by_role("link", name="Sign in to the Organization portal")
        ).to_be_visible()
        # The link is used up: the same clear page as any invalid link.
        invitee.goto(link)
        expect(
            invitee.get_by_role("heading", name="This invitation link is not valid")
        ).to_be_visible()
    finally:
        invitee_context.close()

    account = Account.objects.get(email=INVITEE)
    assert account.organization_id == emea.pk and account.email_verified
    assert (account.given_name, account.family_name) == ("Iris", "Invitee")
    assert account.check_password(INVITEE_PASSWORD)
    assert GroupMembership.objects.filter(account=account, group=acme["group"]).exists()
    assert RoleAssignment.objects.filter(
        account=account, organization=emea, role__slug="account-recovery-assistant"
    ).exists()
    invitation = Invitation.objects.get(email=INVITEE)
    assert invitation.status == "accepted" and invitation.accepted_account_id == account.pk

    # The admin's list says so.
    page.reload()
    expect(page.get_by_role("row").filter(has_text=INVITEE)).to_contain_text("Accepted")
