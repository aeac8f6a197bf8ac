"""The Admin Console as a brand admin clicks it, in Chromium: sign in through the form, the
overview, the organizations tree and its search, create an organization, its General page
with the Branding section, the branding policy editor's live preview, the audit log; and two
differently branded organizations seen in the portal (screenshots in test-artifacts/)."""

import re
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from django.db import transaction
from playwright.sync_api import Page, expect

from orgdesk.access.actions import grant_role
from orgdesk.access.models import OrgRole
from orgdesk.accounts.actions import create_account
from orgdesk.organizations.actions import create_organization
from orgdesk.organizations.models import Organization
from orgdesk.testing.actors import SYSTEM

pytestmark = pytest.mark.e2e

PASSWORD = "Console-Walk-2026-long"
BRAND = "brenda.brand@brand.test"
ADMIN = "olga.admin@example.test"


@pytest.fixture
def store(transactional_db: Any) -> dict[str, Any]:
    with transaction.atomic():
        acme = create_organization(actor=SYSTEM, name="Acme")
        emea = create_organization(actor=SYSTEM, name="EMEA", parent=acme)
        nordics = create_organization(actor=SYSTEM, name="Nordics", parent=acme)
        create_account(
            actor=SYSTEM, organization=None, email=BRAND, password=PASSWORD, is_staff=True
        )
        admin = create_account(
            actor=SYSTEM, organization=emea, email=ADMIN, password=PASSWORD, given_name="Olga"
        )
        for org in (emea, nordics):
            grant_role(
                actor=SYSTEM,
                account=admin,
                organization=org,
                role=OrgRole.objects.get(slug="admin"),
            )
    return {"acme": acme, "emea": emea, "nordics": nordics}


def sign_in(page: Page, email: str, path: str) -> None:
    page.goto(path)
    page.get_by_label("Email, username or phone").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    with page.expect_navigation():
        page.get_by_role("button", name="Sign in").click()
    expect(page.locator("body.app")).to_be_visible()


def test_walk_every_console_section(page: Page, store: dict[str, Any], artifacts_dir: Path) -> None:
    sign_in(page, BRAND, "/console/")
    expect(page.get_by_role("heading", name="Overview")).to_be_visible()
    nav = page.get_by_role("navigation", name="Sections")

    # Organizations: the tree, a search, a new organization under a parent
    nav.get_by_role("link", name="Organizations").click()
    expect(page.locator(".org-link").first).to_have_text("Acme")
    page.get_by_label("Search organizations").fill("nord")
    expect(page.locator(".org-link")).to_have_count(1)
    page.get_by_role("link", name="Create organization").click()
    page.get_by_label("Name", exact=True).fill("Baltics")
    page.get_by_label("Parent organization").fill("Acme / Nordics")
    page.get_by_role("button", name="Create organization").click()
    expect(page.get_by_role("heading", name="Baltics")).to_be_visible()
    expect(page.locator(".toast")).to_contain_text("Acme / Nordics / Baltics was created.")
    assert Organization.objects.filter(route="Acme / Nordics / Baltics").exists()
    page.screenshot(path=str(artifacts_dir / "console-organization-general.png"), full_page=True)

    # ⌘K finds an organization and opens its console page
    page.keyboard.press("Control+k")
    page.get_by_role("combobox", name="Organization name or route").fill("emea")
    expect(page.locator("#palette-results li").first).to_contain_text("EMEA")
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="EMEA")).to_be_visible()

    # Policies > Branding: the live preview follows the colour as it is typed
    nav.get_by_role("link", name=re.compile("Branding")).click()
    page.get_by_role("link", name="Default").click()
    page.get_by_label("Primary colour").fill("#0e7490")
    preview = page.locator(".brand-preview-button")
    expect(preview).to_have_css("background-color", "rgb(14, 116, 144)")
    page.screenshot(path=str(artifacts_dir / "console-branding-editor.png"), full_page=True)
    page.get_by_role("button", name="Save policy").click()
    expect(page.locator(".toast")).to_contain_text("The branding policy was saved.")

    # Activity: the audit log shows what was just done, with who did it
    nav.get_by_role("link", name="Activity").click()
    expect(page.locator(".event-link").first).to_have_text("Branding policy updated")
    expect(page.locator("table.audit")).to_contain_text("Organization created")
    page.locator(".event-link").first.click()
    expect(page.locator("pre.metadata")).to_contain_text("primary_color")

    # every section in the sidebar opens, on a console page that marks it as the current one
    names = [link.inner_text().strip() for link in nav.get_by_role("link").all()]
    assert len(names) >= 7, names
    for name in names:
        with page.expect_navigation():
            nav.get_by_role("link", name=name, exact=True).click()
        expect(page.locator("main h1").first).to_be_visible()
        assert urlsplit(page.url).path.startswith("/console/"), name
        expect(nav.get_by_role("link", name=name, exact=True)).to_have_attribute(
            "aria-current", "page"
        )


def test_two_branded_organizations_in_the_portal(
    page: Page, store: dict[str, Any], artifacts_dir: Path, browser: Any, live_server: Any
) -> None:
    sign_in(page, BRAND, f"/console/organizations/{store['emea'].key}/")
    section = page.locator("#branding")
    section.get_by_label("Background colour").fill("#fff7ed")
    section.get_by_label("Header style").select_option("dark")
    section.get_by_role("button", name="Save branding").click()
    expect(page.locator(".toast")).to_contain_text("The organization's branding was saved.")
    page.goto(f"/console/organizations/{store['nordics'].key}/")
    section = page.locator("#branding")
    section.get_by_label("Background colour").fill("#ecfeff")
    section.get_by_label("Header style").select_option("brand")
    section.get_by_role("button", name="Save branding").click()
    expect(page.locator(".toast")).to_contain_text("The organization's branding was saved.")

    admin = browser.new_context(base_url=live_server.url, viewport={"width": 1280, "height": 860})
    portal = admin.new_page()
    sign_in(portal, ADMIN, f"/portal/{store['emea'].key}/accounts")
    band = portal.locator(".brand-band")
    expect(band).to_have_css("background-color", "rgb(24, 24, 27)")  # dark header
    expect(portal.locator("main.main")).to_have_css("background-color", "rgb(255, 247, 237)")
    portal.screenshot(path=str(artifacts_dir / "branding-emea-dark.png"))
    portal.goto(f"/portal/{store['nordics'].key}/accounts")
    expect(portal.locator(".brand-band")).to_have_css("background-color", "rgb(79, 70, 229)")
    expect(portal.locator("main.main")).to_have_css("background-color", "rgb(236, 254, 255)")
    portal.screenshot(path=str(artifacts_dir / "branding-nordics-brand.png"))
    admin.close()

    # and nobody but a brand admin finds the console
    other = browser.new_context(base_url=live_server.url)
    olga = other.new_page()
    sign_in(olga, ADMIN, f"/portal/{store['emea'].key}/accounts")
    response = olga.goto("/console/organizations/")
    assert response is not None and response.status == 404
    other.close()
