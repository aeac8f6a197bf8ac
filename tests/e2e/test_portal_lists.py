"""The Accounts list as an admin uses it daily, in Chromium: remembered filters across two
organizations and a new sign-in, sortable columns, and exact totals on demand (issue 12)."""

import re
from pathlib import Path
from typing import Any

import pytest
from django.db import transaction
from playwright.sync_api import Page, expect

from orgdesk.accounts.models import Account
from tests.e2e.test_portal import (
    DASH,
    Store,
    build_store,
    mark_document,
    path_of,
    query,
    same_document,
    settled,
    sign_in,
)

pytestmark = pytest.mark.e2e


@pytest.fixture
def store(transactional_db: Any) -> Store:
    """The Acme and Globex trees of test_portal.py."""
    with transaction.atomic():
        return build_store()


def shown_names(page: Page) -> list[str]:
    return page.locator("#results .account-name").all_inner_texts()


def sign_out(page: Page) -> None:
    page.locator("summary.profile-summary").click()
    with page.expect_navigation():
        page.get_by_role("menuitem", name="Sign out").click()


def test_filters_are_remembered_per_organization_and_never_a_one_off_jump(
    page: Page, store: Store
) -> None:
    emea, americas = store.accounts_url("emea"), store.accounts_url("americas")
    sign_in(page, emea)
    page.locator(".filter-panel > summary").click()
    page.get_by_label("Status").select_option("disabled")
    page.get_by_role("button", name="Apply filters").click()
    expect(page).to_have_url(re.compile(r"status=disabled"))
    settled(page)

    # Another organization of the admin's: its own list, not EMEA's filter.
    page.goto(americas)
    assert path_of(page) == americas and query(page) == {}
    expect(page.locator("#results .account-name").first).to_be_visible()
    expect(page.locator(".filter-panel")).not_to_have_attribute("open", "")

    # Create an account in Americas: the list opens on it, a one-off jump …
    page.get_by_role("link", name="Create account").click()
    page.get_by_label("Given name").fill("Nadia")
    page.get_by_label("Family name").fill("Newcomer")
    page.get_by_role("textbox", name="Email").fill("nadia.newcomer@example.test")
    page.get_by_role("button", name="Create account").click()
    expect(page.locator(".toasts")).to_contain_text("Account Nadia Newcomer created.")
    assert "account_id" in query(page)
    assert shown_names(page) == ["Nadia Newcomer"]

    # … that is not remembered: a new sign-in opens each organization on its own view.
    sign_out(page)
    sign_in(page, americas)
    assert path_of(page) == americas and query(page) == {}
    expect(page.get_by_text("No account matches these filters")).to_have_count(0)
    assert "Nadia Newcomer" in shown_names(page)
    page.goto(emea)
    assert query(page) == {"scope": ["tree"], "status": ["disabled"]}
    expect(page.get_by_label("Status")).to_have_value("disabled")


def test_a_remembered_filter_that_no_longer_applies_is_dropped_with_a_notice(
    page: Page, store: Store
) -> None:
    france = store.accounts_url("france")
    sign_in(page, france)
    page.get_by_label("Search accounts").fill("Lefebvre")
    expect(page).to_have_url(re.compile(r"q=Lefebvre"))
    settled(page)
    expect(page.locator("#results .account-name")).to_have_text(["Inès Lefebvre"])
    # meanwhile the only match changes name
    Account.objects.filter(pk=store.customers["Inès Lefebvre"].pk).update(family_name="Leroy")

    page.goto(store.invitations_url("france"))
    page.goto(france)
    assert path_of(page) == france and query(page) == {}
    expect(page.locator(".toast")).to_contain_text(
        "The filters you last used here no longer apply, so they were cleared."
    )
    expect(page.get_by_label("Search accounts")).to_have_value("")
    expect(page.get_by_text("No account matches these filters")).to_have_count(0)


def test_columns_sort_both_ways_across_pages_and_the_sort_is_kept(
    page: Page, store: Store, artifacts_dir: Path
) -> None:
    emea = store.accounts_url("emea")
    sign_in(page, emea)
    header = page.locator("th", has=page.get_by_role("link", name="Account", exact=True))
    expect(header).to_have_attribute("aria-sort", "none")
    mark_document(page)
    header.get_by_role("link").click()
    expect(page).to_have_url(re.compile(r"order=name"))
    expect(header).to_have_attribute("aria-sort", "ascending")
    assert same_document(page), "sorting reloaded the whole page"
    first_page = shown_names(page)
    assert first_page == sorted(first_page, key=str.lower)
    assert first_page[:2] == ["Ada Admin", "Alice Mercier"]

    # the next page goes on in the same order
    page.get_by_role("link", name="Next page").click()
    expect(page.locator(".range-text")).to_contain_text(f"26{DASH}33")
    second_page = shown_names(page)
    assert first_page[-1].lower() <= second_page[0].lower()
    assert second_page == sorted(second_page, key=str.lower)

    # again: descending, from the first page
    header.get_by_role("link").click()
    expect(header).to_have_attribute("aria-sort", "descending")
    expect(page).to_have_url(re.compile(r"order=-name"))
    descending = shown_names(page)
    assert descending == sorted(descending, key=str.lower, reverse=True)
    assert descending[0] == "Zoé Faure"

    # a filter applied from the form keeps the sort
    page.locator(".filter-panel > summary").click()
    page.get_by_label("Status").select_option("disabled")
    page.get_by_role("button", name="Apply filters").click()
    expect(page).to_have_url(re.compile(r"status=disabled"))
    settled(page)
    assert query(page)["order"] == ["-name"]
    disabled = shown_names(page)
    assert disabled == sorted(disabled, key=str.lower, reverse=True)

    # by organization, then status: grouped, with the sort in the URL and remembered
    page.get_by_role("link", name="Organization", exact=True).click()
    expect(page).to_have_url(re.compile(r"order=organization"))
    organizations = page.locator("#results td.org-cell").all_inner_texts()
    assert organizations == sorted(organizations)
    page.get_by_role("link", name="Status", exact=True).click()
    expect(page).to_have_url(re.compile(r"order=status"))
    page.goto(store.invitations_url("emea"))
    page.goto(emea)
    assert query(page)["order"] == ["status"]
    page.screenshot(path=str(artifacts_dir / "accounts-sorted-by-status.png"), full_page=True)

    # keyboard: the headers are links reached with Tab and followed with Enter
    page.get_by_role("link", name="Last login", exact=True).focus()
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"order=-last_login"))


def test_count_exactly_replaces_the_bounded_total(page: Page, store: Store, monkeypatch) -> None:
    # a bound below the 33 accounts of EMEA, so the list says "of 20+"
    monkeypatch.setattr("orgdesk.core.listing.COUNT_LIMIT", 20)
    sign_in(page, store.accounts_url("emea"))
    expect(page.locator(".range-text")).to_contain_text(f"1{DASH}25 of 20+")
    page.get_by_role("button", name="Count exactly").click()
    expect(page.locator("#list-total")).to_have_text("of 33")
    expect(page.get_by_role("button", name="Count exactly")).to_have_count(0)
