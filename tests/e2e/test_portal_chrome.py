"""The portal's chrome in a real browser (Chromium), issue 12: the sidebar's menus open above
the page (the favorites' first entry was under the search button), one styled confirmation
dialog for every data-confirm form (no window.confirm), the error pages inside the shell with
a way back, skeleton rows while a list or a tab reloads, and the toast of an htmx error.

The store is the Account details tests' (tests/e2e/test_account_details.py): Ada Admin holds
Admin on Acme / EMEA; Léa Martin, in Acme / EMEA / France, is in the group "Loyalty club",
holds the role "Account recovery assistant" and has live sessions. An invitation is added.
"""

import re
import uuid
from pathlib import Path
from typing import Any

import pytest
from django.db import transaction
from django.utils import timezone
from playwright.sync_api import Dialog, Locator, Page, Route, expect

from orgdesk.access.models import RoleAssignment
from orgdesk.accounts.models import GroupMembership
from orgdesk.invitations import actions as invitation_actions
from orgdesk.invitations.models import Invitation
from orgdesk.security.models import CustomerSession
from orgdesk.testing.actors import SYSTEM
from tests.e2e.test_account_details import CUSTOMER, Store, build_store, sign_in

pytestmark = pytest.mark.e2e

INVITEE = "iris.invitee@example.test"


@pytest.fixture
def store(transactional_db: Any) -> Store:
    with transaction.atomic():
        built = build_store()
        invitation_actions.invite(actor=SYSTEM, organization=built.france, email=INVITEE)
    return built


@pytest.fixture
def native_dialogs(page: Page) -> list[str]:
    """window.confirm/alert prompts, dismissed: the portal must show none."""
    seen: list[str] = []

    def dismiss(dialog: Dialog) -> None:
        seen.append(dialog.message)
        dialog.dismiss()

    page.on("dialog", dismiss)
    return seen


def accounts_url(store: Store, org: Any | None = None) -> str:
    return f"/portal/{(org or store.emea).key}/accounts"


def confirm_dialog(page: Page) -> Locator:
    return page.get_by_role("alertdialog")


def settled(page: Page) -> None:
    expect(page.locator(".htmx-request")).to_have_count(0)


def hit_test(locator: Locator) -> bool:
    """The element itself is what a click at its centre lands on (nothing covers it)."""
    return bool(
        locator.evaluate(
            "el => { const r = el.getBoundingClientRect();"
            " const hit = document.elementFromPoint(r.x + r.width / 2, r.y + r.height / 2);"
            " return hit === el || el.contains(hit); }"
        )
    )


def focused_text(page: Page) -> str:
    return str(page.evaluate("document.activeElement.textContent.trim()"))


def check_dialog_semantics(dialog: Locator, question: str, action: str) -> None:
    expect(dialog).to_be_visible()
    expect(dialog).to_have_attribute("aria-modal", "true")
    title_id = dialog.get_attribute("aria-labelledby")
    message_id = dialog.get_attribute("aria-describedby")
    assert title_id and message_id
    expect(dialog.locator(f"#{title_id}")).to_have_text("Are you sure?")
    expect(dialog.locator(f"#{message_id}")).to_have_text(question)
    expect(dialog).to_have_accessible_name("Are you sure?")
    ok = dialog.get_by_role("button", name=action, exact=True)
    expect(ok).to_have_class(re.compile(r"\bdestructive\b"))
    # The focus is in the dialog, on the safe choice.
    expect(dialog.get_by_role("button", name="Cancel")).to_be_focused()


# ---- 1. the sidebar's menus ------------------------------------------------------------------


def test_the_first_favorite_is_clickable(page: Page, store: Store, artifacts_dir: Path) -> None:
    sign_in(page, accounts_url(store))
    page.get_by_role("button", name="Pin to favorites").click()
    expect(page.get_by_role("button", name="Unpin from favorites")).to_be_visible()
    page.goto(accounts_url(store, store.france))
    page.get_by_role("button", name="Pin to favorites").click()
    expect(page.get_by_role("button", name="Unpin from favorites")).to_be_visible()

    page.locator("details.fav-menu > summary").click()
    entries = page.locator("details.fav-menu .menu-panel").get_by_role("menuitem")
    expect(entries).to_have_text(["Acme / EMEA", "Acme / EMEA / France"])
    first = entries.first
    expect(first).to_be_focused()  # the menu takes the focus
    assert hit_test(first), "something covers the first favorite"
    assert hit_test(entries.nth(1))
    page.mouse.move(0, 0)
    page.screenshot(path=str(artifacts_dir / "chrome-favorites-menu.png"))
    first.click(timeout=2000)  # fails when another element would receive the click
    expect(page).to_have_url(re.compile(re.escape(accounts_url(store)) + r"(\?|$)"))
    expect(page.locator(".org-name")).to_have_text("EMEA")


def test_every_sidebar_menu_opens_above_the_page(page: Page, store: Store) -> None:
    sign_in(page, accounts_url(store))
    page.get_by_role("button", name="Pin to favorites").click()
    expect(page.get_by_role("button", name="Unpin from favorites")).to_be_visible()

    page.get_by_label("Switch organization").click()
    selector = page.locator(".org-selector details[open] .menu-panel")
    for item in selector.get_by_role("menuitem").all():
        assert hit_test(item), item.inner_text()
    page.keyboard.press("Escape")

    page.locator("details.profile > summary").click()
    profile = page.locator("details.profile .menu-panel")
    items = profile.locator("[role^=menuitem]").all()
    assert items
    for item in items:
        assert hit_test(item), item.inner_text()
    page.keyboard.press("Escape")


def test_the_profile_shows_the_whole_address_on_hover_and_focus(page: Page, store: Store) -> None:
    sign_in(page, accounts_url(store))
    text = page.locator(".profile-text")
    expect(text).to_have_attribute("title", re.compile(r"Ada Admin · ada\.admin@acme\.test"))
    address = text.locator(".muted")

    def white_space() -> str:
        return str(address.evaluate("el => getComputedStyle(el).whiteSpace"))

    assert white_space() == "nowrap"  # cut short while at rest
    page.locator(".lang-form select").focus()
    page.keyboard.press("Tab")  # keyboard focus: :focus-visible
    expect(page.locator("details.profile > summary")).to_be_focused()
    assert white_space() == "normal"
    page.locator("main").click(position={"x": 5, "y": 5})
    page.mouse.move(0, 0)
    assert white_space() == "nowrap"
    page.locator("details.profile > summary").hover()
    assert white_space() == "normal"


# ---- 2. one confirmation dialog ----------------------------------------------------------------


def test_clear_sessions_asks_in_the_styled_dialog(
    page: Page, store: Store, native_dialogs: list[str], artifacts_dir: Path
) -> None:
    live = CustomerSession.objects.filter(
        account=store.customer, revoked_at__isnull=True, expires__gt=timezone.now()
    )
    before = live.count()
    assert before >= 2
    sign_in(page, accounts_url(store, store.france))
    menu = page.get_by_role("row").filter(has_text=CUSTOMER).locator("details.row-menu")
    dialog = confirm_dialog(page)

    # Cancel: nothing happens, the focus goes back to the menu item.
    menu.locator("summary").click()
    trigger = menu.get_by_role("menuitem", name="Clear account sessions")
    trigger.click()
    check_dialog_semantics(
        dialog,
        f"Sign {CUSTOMER} out of every session? The account and its credentials stay as they are.",
        "Clear sessions",
    )
    page.mouse.move(0, 0)
    page.screenshot(path=str(artifacts_dir / "chrome-confirm-clear-sessions.png"))
    dialog.get_by_role("button", name="Cancel").click()
    expect(dialog).to_be_hidden()
    expect(trigger).to_be_focused()
    assert live.count() == before

    # Escape cancels too.
    trigger.click()
    expect(dialog).to_be_visible()
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()
    expect(trigger).to_be_focused()
    assert live.count() == before

    # Confirm, by keyboard: Tab to the confirm button, Enter.
    trigger.click()
    expect(dialog.get_by_role("button", name="Cancel")).to_be_focused()
    page.keyboard.press("Tab")
    expect(dialog.get_by_role("button", name="Clear sessions")).to_be_focused()
    with page.expect_navigation():
        page.keyboard.press("Enter")
    expect(page.locator(".toast").filter(has_text=f"of {CUSTOMER} ended")).to_be_visible()
    assert live.count() == 0
    assert native_dialogs == []


def test_remove_from_group_and_revoke_role_ask_in_the_styled_dialog(
    page: Page, store: Store, native_dialogs: list[str]
) -> None:
    memberships = GroupMembership.objects.filter(account=store.customer)
    grants = RoleAssignment.objects.filter(account=store.customer)
    assert memberships.count() == 1 and grants.count() == 1
    dialog = confirm_dialog(page)

    sign_in(page, store.tab_path("groups"))
    menu = page.locator(".tab-panel details.row-menu").first
    menu.locator("summary").click()
    menu.get_by_role("menuitem", name="Remove from group").click()
    check_dialog_semantics(
        dialog, f"Remove {CUSTOMER} from the group Loyalty club?", "Remove from group"
    )
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()
    assert memberships.count() == 1
    menu.get_by_role("menuitem", name="Remove from group").click()
    with page.expect_navigation():
        dialog.get_by_role("button", name="Remove from group").click()
    assert memberships.count() == 0

    page.goto(store.tab_path("roles"))
    menu = page.locator(".tab-panel details.row-menu").first
    menu.locator("summary").click()
    menu.get_by_role("menuitem", name="Revoke role").click()
    expect(dialog).to_be_visible()
    expect(dialog.locator("p")).to_contain_text("Revoke the role Account recovery assistant")
    expect(dialog.get_by_role("button", name="Cancel")).to_be_focused()
    dialog.get_by_role("button", name="Cancel").click()
    expect(dialog).to_be_hidden()
    assert grants.count() == 1
    menu.get_by_role("menuitem", name="Revoke role").click()
    with page.expect_navigation():
        dialog.get_by_role("button", name="Revoke role").click()
    assert grants.count() == 0
    assert native_dialogs == []


def test_delete_invitation_asks_in_the_styled_dialog(
    page: Page, store: Store, native_dialogs: list[str]
) -> None:
    invitation = Invitation.objects.get(email=INVITEE)
    dialog = confirm_dialog(page)
    question = f"Delete the invitation to {INVITEE}? Its link stops working at once."

    # From the list: cancel, then from the invitation's own page: confirm.
    sign_in(page, f"/portal/{store.france.key}/invitations")
    menu = page.get_by_role("row").filter(has_text=INVITEE).locator("details.row-menu")
    menu.locator("summary").click()
    menu.get_by_role("menuitem", name="Delete invitation").click()
    check_dialog_semantics(dialog, question, "Delete invitation")
    dialog.get_by_role("button", name="Cancel").click()
    expect(dialog).to_be_hidden()
    invitation.refresh_from_db()
    assert invitation.status == Invitation.Status.PENDING

    page.goto(f"/portal/{store.france.key}/invitations/{invitation.pk}")
    page.locator("form[data-confirm] [type=submit]").click()
    check_dialog_semantics(dialog, question, "Delete invitation")
    with page.expect_navigation():
        dialog.get_by_role("button", name="Delete invitation").click()
    invitation.refresh_from_db()
    assert invitation.status != Invitation.Status.PENDING
    assert native_dialogs == []


def test_the_dialog_holds_an_htmx_form_until_confirmed(page: Page, store: Store) -> None:
    """A data-confirm form that htmx sends (hx-post) waits for the dialog as a plain one."""
    sign_in(page, accounts_url(store))
    sent: list[str] = []
    page.route(
        "**/confirm-probe",
        lambda route: (sent.append(route.request.method), route.fulfill(status=200, body="ok")),
    )
    page.evaluate(
        """() => {
          const form = document.createElement("form");
          form.id = "probe";
          form.setAttribute("hx-post", "/confirm-probe");
          form.setAttribute("hx-swap", "none");
          form.dataset.confirm = "Send the probe?";
          form.dataset.confirmAction = "Send it";
          form.innerHTML = '<button type="submit">Probe</button>';
          document.querySelector("main").appendChild(form);
          htmx.process(form);
        }"""
    )
    page.get_by_role("button", name="Probe").click()
    dialog = confirm_dialog(page)
    expect(dialog).to_contain_text("Send the probe?")
    dialog.get_by_role("button", name="Cancel").click()
    page.wait_for_timeout(200)
    assert sent == []
    page.get_by_role("button", name="Probe").click()
    dialog.get_by_role("button", name="Send it").click()
    expect(dialog).to_be_hidden()
    page.wait_for_function("() => !document.querySelector('.htmx-request')")
    page.wait_for_timeout(200)
    assert sent == ["POST"]


def test_no_window_confirm_is_left_in_the_portal_scripts() -> None:
    static = Path(__file__).resolve().parents[2] / "orgdesk/portal/static/portal"
    for script in static.glob("*.js"):
        assert "window.confirm" not in script.read_text(), script.name


# ---- 3. error pages ------------------------------------------------------------------------------


def test_a_404_shows_in_the_shell_with_a_way_back(
    page: Page, store: Store, artifacts_dir: Path
) -> None:
    sign_in(page, accounts_url(store))
    missing = f"/portal/{store.france.key}/accounts/{uuid.uuid4()}"
    page.goto(missing)
    expect(page.get_by_role("heading", name="Page not found", level=1)).to_be_visible()
    expect(page.get_by_role("navigation", name="Sections")).to_be_visible()  # the shell
    expect(page.locator(".org-name")).to_have_text("France")
    page.mouse.move(0, 0)
    page.screenshot(path=str(artifacts_dir / "chrome-404-in-shell.png"))

    # "Go back": the page before.
    page.get_by_role("link", name="Go back").click()
    expect(page).to_have_url(re.compile(re.escape(accounts_url(store)) + r"(\?|$)"))
    expect(page.get_by_role("heading", name="Accounts", level=1)).to_be_visible()

    # The portal's home from there.
    page.goto(missing)
    page.get_by_role("link", name="Go to the portal home").click()
    expect(page.get_by_role("heading", name="Accounts", level=1)).to_be_visible()

    # The shell works on the error page: its organization menu too.
    page.goto(missing)
    page.get_by_label("Switch organization").click()
    page.locator(".org-selector details[open] .menu-panel").get_by_role(
        "menuitem", name="Acme / EMEA"
    ).click()
    expect(page).to_have_url(re.compile(re.escape(accounts_url(store)) + r"(\?|$)"))


def test_an_htmx_error_shows_its_message_in_a_toast(page: Page, store: Store) -> None:
    sign_in(page, accounts_url(store))
    # The admin loses their grant: the next search is refused (404 outside every grant).
    RoleAssignment.objects.filter(account=store.admin).delete()
    page.get_by_label("Search accounts").fill("mar")
    toast = page.locator(".toast.toast-error")
    expect(toast).to_contain_text("This page does not exist")
    expect(page.get_by_role("heading", name="Accounts", level=1)).to_be_visible()  # not replaced
    expect(page.locator("#results")).to_have_attribute("aria-busy", "false")


# ---- 4. skeleton rows --------------------------------------------------------------------------


def held(page: Page, pattern: re.Pattern[str]) -> list[Route]:
    """Hold the htmx requests matching `pattern` until the test lets them go."""
    routes: list[Route] = []

    def hold(route: Route) -> None:
        if route.request.headers.get("hx-request"):
            routes.append(route)
        else:
            route.continue_()

    page.route(pattern, hold)
    return routes


def bar_opacity(cell: Locator) -> str:
    return str(cell.evaluate("el => getComputedStyle(el, '::after').opacity"))


def test_skeleton_rows_while_the_list_reloads(
    page: Page, store: Store, artifacts_dir: Path
) -> None:
    sign_in(page, accounts_url(store))
    rows = page.locator("#results tbody tr:has(.account-name)")
    count = rows.count()
    assert count >= 3
    routes = held(page, re.compile(r".*/accounts(\?.*)?$"))

    page.get_by_role("link", name="Refresh data").click()
    results = page.locator("#results")
    expect(results).to_have_attribute("aria-busy", "true")
    page.wait_for_timeout(300)  # the bars come after 150 ms
    cell = rows.first.locator("td").first
    assert bar_opacity(cell) == "1"
    assert cell.locator(".account-name").evaluate("el => getComputedStyle(el).visibility") == (
        "hidden"
    )
    expect(rows).to_have_count(count)  # the rows keep their shape
    page.screenshot(path=str(artifacts_dir / "chrome-skeleton-rows.png"))

    assert routes
    for route in routes:
        route.continue_()
    expect(results).to_have_attribute("aria-busy", "false")
    settled(page)
    first_cell = page.locator("#results tbody tr td").first
    assert first_cell.evaluate("el => getComputedStyle(el, '::after').content") == "none"
    expect(rows.first.locator(".account-name")).to_be_visible()


def test_skeleton_rows_respect_reduced_motion(page: Page, store: Store) -> None:
    page.emulate_media(reduced_motion="reduce")
    sign_in(page, accounts_url(store))
    routes = held(page, re.compile(r".*/accounts(\?.*)?$"))
    page.get_by_role("link", name="Refresh data").click()
    expect(page.locator("#results")).to_have_attribute("aria-busy", "true")
    page.wait_for_timeout(300)
    cell = page.locator("#results tbody tr td").first
    # The bars appear, but do not shimmer.
    assert cell.evaluate("el => getComputedStyle(el, '::after').animationName") == "skeleton-show"
    assert bar_opacity(cell) == "1"
    for route in routes:
        route.continue_()
    expect(page.locator("#results")).to_have_attribute("aria-busy", "false")


def test_skeleton_rows_while_a_tab_reloads(page: Page, store: Store) -> None:
    sign_in(page, store.tab_path("activity"))
    panel = page.locator(".tab-panel")
    expect(panel.locator("tbody tr").first).to_be_visible()
    routes = held(page, re.compile(r".*/activity(\?.*)?$"))
    page.locator(".tab-bar").get_by_role("link", name="Refresh").click()
    expect(panel).to_have_attribute("aria-busy", "true")
    page.wait_for_timeout(300)
    assert bar_opacity(panel.locator("tbody tr td").first) == "1"
    for route in routes:
        route.continue_()
    expect(page.locator(".tab-panel")).to_have_attribute("aria-busy", "false")
    settled(page)


def test_a_small_update_inside_the_list_does_not_blank_it(page: Page, store: Store) -> None:
    """Only a request that replaces the list (or holds it) makes it busy."""
    sign_in(page, accounts_url(store))
    page.evaluate(
        """() => {
          const probe = document.createElement("span");
          probe.id = "probe";
          probe.setAttribute("hx-get", location.pathname + "?probe=1");
          probe.setAttribute("hx-trigger", "click");
          probe.setAttribute("hx-target", "#probe");
          probe.setAttribute("hx-select", "#probe");
          probe.textContent = "probe";
          document.querySelector("#results .results-bar").appendChild(probe);
          htmx.process(probe);
        }"""
    )
    routes = held(page, re.compile(r".*probe=1.*"))
    page.locator("#probe").click()
    page.wait_for_timeout(300)
    assert routes
    expect(page.locator("#results")).to_have_attribute("aria-busy", "false")
    for route in routes:
        route.continue_()
