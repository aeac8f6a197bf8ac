"""Accepting an invitation with a passkey, in Chromium with a virtual authenticator (CDP):
the passkey choice appears (the browser has WebAuthn), registering creates the account with
that passkey and no password, and the invitee lands signed in; signing out ends it.
"""

from typing import Any

import pytest
from django.db import transaction
from playwright.sync_api import Page, expect

from orgdesk.accounts.models import Account
from orgdesk.invitations import actions
from orgdesk.invitations.models import Invitation
from orgdesk.organizations.actions import create_organization
from orgdesk.security.models import Authenticator, CustomerSession
from orgdesk.testing.actors import SYSTEM

pytestmark = pytest.mark.e2e

INVITEE = "pia.passkey@example.test"


def test_accept_an_invitation_with_a_passkey(
    page: Page, live_server: Any, settings: Any, transactional_db: Any
) -> None:
    settings.ORGDESK_PUBLIC_URL = live_server.url  # the WebAuthn origin
    with transaction.atomic():
        emea = create_organization(
            actor=SYSTEM, name="EMEA", parent=create_organization(actor=SYSTEM, name="Acme")
        )
        options = actions.invitation_options(actor=SYSTEM, organization=emea)
        _invitation, token = actions.issue_invitation(
            actor=SYSTEM, organization=emea, email=INVITEE, options=options
        )
    cdp = page.context.new_cdp_session(page)
    cdp.send("WebAuthn.enable")
    cdp.send(
        "WebAuthn.addVirtualAuthenticator",
        {
            "options": {
                "protocol": "ctap2",
                "transport": "internal",
                "hasResidentKey": True,
                "hasUserVerification": True,
                "isUserVerified": True,
                "automaticPresenceSimulation": True,
            }
        },
    )
    page.goto(f"/invite/{token}")
    expect(page.get_by_role("heading", name="Create your account")).to_be_visible()
    page.get_by_label("Given name").fill("Pia")
    page.get_by_label("Family name").fill("Passkey")
    page.get_by_role("button", name="Use a passkey instead of a password").click()
    expect(page.get_by_role("heading", name="Your account is ready")).to_be_visible()
    expect(page.get_by_text("with your email address and your passkey")).to_be_visible()

    account = Account.objects.get(email=INVITEE)
    assert not account.has_usable_password()
    assert Authenticator.objects.filter(account=account, type="passkey").count() == 1
    assert Invitation.objects.get(email=INVITEE).status == "accepted"

    page.get_by_role("link", name="Go to your account").click()
    expect(
        page.get_by_text("You are signed in as Pia Passkey (pia.passkey@example.test)")
    ).to_be_visible()
    cookie = next(c for c in page.context.cookies() if c["name"] == "orgdesk_customer")
    assert cookie["httpOnly"] and cookie["sameSite"] == "Lax"
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("heading", name="You are not signed in")).to_be_visible()
    assert CustomerSession.objects.get(account=account).revoked_at is not None
