"""The Account details page in a real browser (Chromium): every tab of a seeded account, and
the actions an organization admin takes there (issue 5).

The identity store is built with the real actions and models: Acme / EMEA / France (and
Acme / Americas, another branch), an admin, Ada Admin, holding the built-in Admin role on
Acme / EMEA, and a customer, Léa Martin, in Acme / EMEA / France with something on every tab:
customer-flow and administrative events, a password reset notification, a group membership,
a role grant, two one-time-code authenticators, two live sessions (real user agents) and an
expired one, verification policies of her organization (one with a failed attempt already)
and consent records. Every test signs Ada in through the login form, so her sign-in is fresh
and sensitive actions (disable, clear sessions, remove an authenticator, verify an identity)
run without a step-up detour. After each action the database is checked too.
"""

import datetime as dt
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from django.db import transaction
from django.utils import timezone
from playwright.sync_api import Dialog, Locator, Page, expect

from orgdesk.access.actions import grant_role
from orgdesk.access.actor import Actor
from orgdesk.access.models import OrgRole
from orgdesk.accounts.actions import add_to_group, create_account, send_password_reset
from orgdesk.accounts.models import Account, Group
from orgdesk.activity.models import Event
from orgdesk.activity.recorder import record
from orgdesk.consents.models import ConsentPolicy, ConsentRecord
from orgdesk.notifications.models import Notification
from orgdesk.organizations.actions import create_organization
from orgdesk.organizations.models import Organization
from orgdesk.security.actions import add_otp_authenticator
from orgdesk.security.models import Authenticator, CustomerSession
from orgdesk.testing.actors import SYSTEM
from orgdesk.verification.models import VerificationPolicy, VerificationResult
from orgdesk.verification.selectors import applicable_policies

pytestmark = pytest.mark.e2e

PASSWORD = "correct horse battery staple"
ADMIN_EMAIL = "ada.admin@acme.test"
CUSTOMER = "Léa Martin"
CUSTOMER_EMAIL = "lea.martin@example.test"
CUSTOMER_PHONE = "+33612345678"
CHROME_WINDOWS = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/131.0.0.0 Safari/537.36"
)
SAFARI_IPHONE = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_6 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/17.6 Mobile/15E148 Safari/604.1"
)

# The tab bar, in order: slug, label (link text and tab heading), texts the tab shows.
TABS: list[tuple[str, str, tuple[str, ...]]] = [
    ("overview", "Overview", ("Account summary", "Personal information", CUSTOMER_EMAIL)),
    ("activity", "Activity", ("Login", "Account created", "Customer flow", "Failure")),
    ("notifications", "Notifications", ("Password reset", CUSTOMER_EMAIL)),
    ("groups", "Groups", ("Loyalty club", "France")),
    ("roles", "Roles", ("Account recovery assistant", "Acme / EMEA / France")),
    ("authenticators", "Authenticators", (CUSTOMER_EMAIL, CUSTOMER_PHONE, "SMS one-time code")),
    ("sessions", "Sessions", ("Chrome 131", "Windows 10", "Mobile Safari 17", "France")),
    ("verification", "Identity verification", ("Passport check", "Identity document")),
    ("consents", "Consents", ("Terms of service", "v3", "Marketing emails", "v2")),
]
LABELS = {slug: label for slug, label, _texts in TABS}


@dataclass
class Store:
    emea: Organization
    france: Organization
    americas: Organization
    admin: Account
    customer: Account
    passport: VerificationPolicy  # EMEA's: a failed automated check already
    video: VerificationPolicy  # France's: never tried
    elsewhere: VerificationPolicy  # Americas': not for an account in France

    @property
    def list_url(self) -> str:
        return f"/portal/{self.emea.key}/accounts"

    def tab_path(self, slug: str = "") -> str:
        base = f"/portal/{self.emea.key}/accounts/{self.customer.pk}"
        return f"{base}/{slug}" if slug else base


@pytest.fixture
def store(transactional_db: Any) -> Store:
    with transaction.atomic():  # one commit: seeding stays fast on PostgreSQL
        return build_store()


def build_store() -> Store:
    org = create_organization
    acme = org(actor=SYSTEM, name="Acme")
    emea = org(actor=SYSTEM, name="EMEA", parent=acme)
    france = org(actor=SYSTEM, name="France", parent=emea)
    americas = org(actor=SYSTEM, name="Americas", parent=acme)
    admin = create_account(
        actor=SYSTEM,
        organization=france,
        password=PASSWORD,
        email=ADMIN_EMAIL,
        email_verified=True,
        given_name="Ada",
        family_name="Admin",
    )
    grant_role(
        actor=SYSTEM, account=admin, organization=emea, role=OrgRole.objects.get(slug="admin")
    )
    for given, family in (("Hugo", "Durand"), ("Zoé", "Faure")):  # the list has neighbours
        create_account(
            actor=SYSTEM,
            organization=france,
            password=PASSWORD,
            email=f"{given.lower().replace('é', 'e')}.{family.lower()}@example.test",
            given_name=given,
            family_name=family,
        )

    customer = create_account(
        actor=SYSTEM,
        organization=france,
        password=PASSWORD,
        email=CUSTOMER_EMAIL,
        email_verified=True,
        phone=CUSTOMER_PHONE,
        username="lmartin",
        given_name="Léa",
        family_name="Martin",
    )

    now = timezone.now()
    # Customer flows (recorded by the sign-in service as it does for the portal).
    shop = {"client_id": "acme-shop"}
    record(
        "registration",
        account=customer,
        actor=Actor.customer(customer),
        ip="90.84.0.1",
        metadata=shop,
    )
    record(
        "login",
        account=customer,
        actor=Actor.customer(customer),
        result=Event.Result.FAILURE,
        reason="invalid_password",
        ip="90.84.0.1",
        metadata=shop,
    )
    record("login", account=customer, actor=Actor.customer(customer), ip="90.84.0.1", metadata=shop)
    # What the sign-in service keeps on the account after that login.
    Account.objects.filter(pk=customer.pk).update(
        last_login=now - dt.timedelta(minutes=5), last_ip="90.84.0.1", login_count=1
    )

    # Consents, with their own customer-flow events.
    terms = ConsentPolicy.objects.create(name="Terms of service", version="3", required=True)
    marketing = ConsentPolicy.objects.create(name="Marketing emails", version="2")
    ConsentRecord.objects.create(account=customer, policy=terms, granted_at=now)
    ConsentRecord.objects.create(
        account=customer,
        policy=marketing,
        granted_at=now - dt.timedelta(days=20),
        revoked_at=now - dt.timedelta(days=2),
    )
    for event_type, policy in (
        ("consent_granted", terms),
        ("consent_granted", marketing),
        ("consent_revoked", marketing),
    ):
        record(
            event_type,
            account=customer,
            actor=Actor.customer(customer),
            metadata={"policy": str(policy.pk)},
        )

    # Administrative actions, through the real actions (each records its event).
    send_password_reset(actor=SYSTEM, account=customer)  # a Notification with its expiry
    club = Group.objects.create(
        organization=france, name="Loyalty club", description="Customers with a loyalty card"
    )
    add_to_group(actor=SYSTEM, account=customer, group=club)
    grant_role(
        actor=SYSTEM,
        account=customer,
        organization=france,
        role=OrgRole.objects.get(slug="account-recovery-assistant"),
    )
    add_otp_authenticator(
        actor=SYSTEM, account=customer, kind=Authenticator.Type.EMAIL_OTP, identifier=CUSTOMER_EMAIL
    )
    add_otp_authenticator(
        actor=SYSTEM, account=customer, kind=Authenticator.Type.SMS_OTP, identifier=CUSTOMER_PHONE
    )

    # Sessions as the sign-in service opens them: two live ones and an expired one.
    for n, (user_agent, ip, minutes_ago, expires_in) in enumerate(
        (
            (CHROME_WINDOWS, "90.84.0.1", 5, dt.timedelta(days=30)),
            (SAFARI_IPHONE, "90.84.0.2", 90, dt.timedelta(days=10)),
            (CHROME_WINDOWS, "90.84.0.3", 60 * 24 * 40, -dt.timedelta(days=1)),
        )
    ):
        CustomerSession.objects.create(
            account=customer,
            key_hash=f"e2e5-{customer.pk.hex}-{n}",
            user_agent=user_agent,
            ip=ip,
            last_activity=now - dt.timedelta(minutes=minutes_ago),
            expires=now + expires_in,
        )

    # Verification policies: one on EMEA (applies below it), one on France, one elsewhere.
    passport = VerificationPolicy.objects.create(
        name="Passport check", method=VerificationPolicy.Method.DOCUMENT
    )
    passport.organizations.add(emea)
    video = VerificationPolicy.objects.create(
        name="Video interview", method=VerificationPolicy.Method.VIDEO
    )
    video.organizations.add(france)
    elsewhere = VerificationPolicy.objects.create(
        name="Branch visit", method=VerificationPolicy.Method.IN_PERSON
    )
    elsewhere.organizations.add(americas)
    VerificationResult.objects.create(account=customer, policy=passport, attempts=2)

    return Store(
        emea=emea,
        france=france,
        americas=americas,
        admin=admin,
        customer=Account.objects.get(pk=customer.pk),
        passport=passport,
        video=video,
        elsewhere=elsewhere,
    )


# ---- helpers ---------------------------------------------------------------------------------


@pytest.fixture
def native_dialogs(page: Page) -> list[str]:
    """Messages of window.confirm/alert prompts (a data-confirm form), accepted as they come.
    The actions of this page use <dialog> elements instead: tests expect none of these."""
    seen: list[str] = []

    def accept(dialog: Dialog) -> None:
        seen.append(dialog.message)
        dialog.accept()

    page.on("dialog", accept)
    return seen


def sign_in(page: Page, path: str) -> None:
    """Open `path` signed out (the login form comes first), sign in as Ada, land on `path`."""
    page.goto(path)
    expect(page.get_by_role("heading", name="Sign in to the Organization portal")).to_be_visible()
    page.get_by_label("Email, username or phone").fill(ADMIN_EMAIL)
    page.get_by_label("Password").fill(PASSWORD)
    with page.expect_navigation():
        page.get_by_role("button", name="Sign in").click()
    expect(page.locator("body.app")).to_be_visible()


def open_details(page: Page, store: Store, slug: str = "") -> None:
    """Sign in on the details page (a tab, or the Overview) of the customer."""
    sign_in(page, store.tab_path(slug))
    expect(page.get_by_role("heading", name=CUSTOMER, level=1)).to_be_visible()
    expect(tab_title(page)).to_have_text(LABELS[slug or "overview"])


def go_to_tab(page: Page, store: Store, slug: str) -> None:
    """Open a tab through the tab bar (an htmx swap of the tab region, not a page load)."""
    mark_document(page)
    tab_link(page, LABELS[slug]).click()
    settled(page)
    check_tab(page, store, slug)
    assert same_document(page), f"opening {slug} reloaded the whole page"


def path_of(page: Page) -> str:
    return urlsplit(page.url).path


def url_of(path: str) -> re.Pattern[str]:
    return re.compile(re.escape(path) + r"(\?.*)?$")


def tab_bar(page: Page) -> Locator:
    return page.get_by_role("navigation", name="Account sections")


def tab_link(page: Page, label: str) -> Locator:
    return tab_bar(page).get_by_role("link", name=label, exact=True)


def tab_title(page: Page) -> Locator:
    return page.locator(".tab-panel #tab-title")


def panel(page: Page) -> Locator:
    return page.locator(".tab-panel")


def table_rows(page: Page) -> Locator:
    """The data rows of the tab's table (not the empty-state row)."""
    return panel(page).locator("table tbody tr:not(:has(.empty-state))")


def status_badge(page: Page) -> Locator:
    return page.locator(".account-header .status")


def toast(page: Page, text: str | re.Pattern[str]) -> Locator:
    return page.locator(".toast").filter(has_text=text)


def settled(page: Page) -> None:
    expect(page.locator(".htmx-request")).to_have_count(0)
    expect(panel(page)).to_have_attribute("aria-busy", "false")


def mark_document(page: Page) -> None:
    """Tag the current document; a full page load loses the tag, an htmx swap keeps it."""
    page.evaluate("window.__sameDocument = true")


def same_document(page: Page) -> bool:
    return bool(page.evaluate("window.__sameDocument === true"))


def check_tab(page: Page, store: Store, slug: str) -> None:
    """The tab `slug` is shown: its address, its heading, the current link, its content."""
    label = LABELS[slug]
    if slug == "overview":  # the account's own address is its Overview too
        expect(page).to_have_url(re.compile(re.escape(store.tab_path()) + r"(/overview)?(\?.*)?$"))
    else:
        expect(page).to_have_url(url_of(store.tab_path(slug)))
    expect(tab_title(page)).to_have_text(label)
    expect(tab_link(page, label)).to_have_attribute("aria-current", "page")
    expect(tab_bar(page).locator("[aria-current=page]")).to_have_count(1)
    texts = dict((s, t) for s, _label, t in TABS)[slug]
    scope = panel(page).locator(".overview-grid" if slug == "overview" else "table")
    for text in texts:
        expect(scope.get_by_text(text, exact=False).first).to_be_visible()


def focused(page: Page) -> str:
    return str(
        page.evaluate(
            "() => { const e = document.activeElement;"
            " return e.getAttribute('aria-label') || e.textContent.trim().slice(0, 40)"
            " || e.tagName }"
        )
    )


def tab_until(page: Page, selector: str, limit: int = 80) -> list[str]:
    """Press Tab until the focused element matches `selector`; the stops on the way."""
    stops: list[str] = []
    for _ in range(limit):
        page.keyboard.press("Tab")
        stops.append(focused(page))
        if page.evaluate("s => document.activeElement.matches(s)", selector):
            return stops
    raise AssertionError(f"Tab never reached {selector}; stops: {stops}")


def events(store: Store, event_type: str) -> list[Event]:
    return list(Event.objects.filter(account=store.customer, type=event_type).order_by("id"))


# ---- 1. every tab, from the accounts list, and back ------------------------------------------


def test_walk_every_tab_from_the_list_and_back(
    page: Page, store: Store, native_dialogs: list[str]
) -> None:
    sign_in(page, store.list_url)
    expect(page.get_by_role("heading", name="Accounts", level=1)).to_be_visible()
    page.locator("#results").get_by_role("link", name=CUSTOMER, exact=True).click()

    # The name leads to the details page, on the Overview.
    expect(page).to_have_url(url_of(store.tab_path()))
    expect(page.get_by_role("heading", name=CUSTOMER, level=1)).to_be_visible()
    expect(page.locator(".account-header")).to_contain_text(str(store.customer.pk))
    expect(page.locator(".account-header")).to_contain_text("Acme / EMEA / France")
    expect(status_badge(page)).to_have_text("Enabled")
    expect(tab_bar(page).get_by_role("link")).to_have_text([label for _s, label, _t in TABS])
    expect(tab_title(page)).to_have_text("Overview")
    expect(tab_link(page, "Overview")).to_have_attribute("aria-current", "page")
    facts = panel(page).locator(".overview-meta")
    expect(facts.locator("dt:has-text('Logins') + dd")).to_have_text("1")
    expect(facts.locator("dt:has-text('Last IP address') + dd")).to_have_text("90.84.0.1")
    expect(facts.locator("dt:has-text('Last login') + dd time")).to_have_count(1)
    recent = panel(page).locator(".overview-events li")
    expect(recent).to_have_count(5)  # the latest five events
    expect(recent.first).to_contain_text("Authenticator added")

    # Click through the tab bar: one region is swapped, the address follows.
    visited = ["overview"]
    mark_document(page)
    for slug, label, _texts in TABS[1:]:
        tab_link(page, label).click()
        settled(page)
        check_tab(page, store, slug)
        visited.append(slug)
    assert same_document(page), "switching tabs reloaded the whole page"

    # Every table shows what was seeded (the activity: every event of the account).
    tab_link(page, "Activity").click()
    settled(page)
    visited.append("activity")
    expect(table_rows(page)).to_have_count(Event.objects.filter(account=store.customer).count())
    for slug, count in (
        ("notifications", 1),
        ("groups", 1),
        ("roles", 1),
        ("authenticators", 2),
        ("sessions", 2),  # the expired session is not shown
        ("verification", 1),
        ("consents", 2),
    ):
        tab_link(page, LABELS[slug]).click()
        settled(page)
        check_tab(page, store, slug)
        visited.append(slug)
        expect(table_rows(page)).to_have_count(count)
    expect(table_rows(page).filter(has_text="Marketing emails").locator("time")).to_have_count(2)

    # Back returns to the previous tab, each time (htmx keeps only the last ten pages; the
    # older ones come from the server again), down to the list.
    assert len(visited) == 17
    for slug in reversed(visited[:-1]):
        page.go_back()
        check_tab(page, store, slug)
    page.go_back()
    expect(page).to_have_url(url_of(store.list_url))
    expect(page.locator("#results").get_by_role("link", name=CUSTOMER)).to_be_visible()

    # And Forward again onto the Overview.
    page.go_forward()
    expect(page).to_have_url(url_of(store.tab_path()))
    expect(tab_title(page)).to_have_text("Overview")
    assert native_dialogs == []


# ---- 2. Overview: disable, then enable ------------------------------------------------------


def test_disable_then_enable_the_account(
    page: Page, store: Store, native_dialogs: list[str]
) -> None:
    open_details(page, store)
    customer = store.customer
    expect(status_badge(page)).to_have_text("Enabled")

    # Cancel first: nothing happens.
    page.get_by_role("button", name="Disable account").click()
    dialog = page.get_by_role("dialog", name="Disable this account?")
    expect(dialog).to_be_visible()
    expect(dialog).to_contain_text(f"{CUSTOMER} will be signed out of every session")
    dialog.get_by_role("button", name="Cancel").click()
    expect(dialog).to_be_hidden()
    expect(page.get_by_role("button", name="Disable account")).to_be_focused()
    assert Account.objects.get(pk=customer.pk).status == Account.Status.ENABLED

    page.get_by_role("button", name="Disable account").click()
    expect(dialog).to_be_visible()
    dialog.get_by_label("Reason (optional)").fill("Reported a stolen phone")
    with page.expect_navigation():
        dialog.get_by_role("button", name="Disable account").click()
    expect(page).to_have_url(url_of(store.tab_path("overview")))
    expect(status_badge(page)).to_have_text("Disabled")
    expect(toast(page, f"{CUSTOMER} is disabled and signed out everywhere.")).to_be_visible()
    expect(page.get_by_role("button", name="Enable account")).to_be_visible()
    expect(page.get_by_role("button", name="Disable account")).to_have_count(0)

    account = Account.objects.get(pk=customer.pk)
    assert account.status == Account.Status.DISABLED
    assert account.disabled_at is not None
    (disabled,) = events(store, "account.disabled")
    assert disabled.actor_id == store.admin.pk
    assert disabled.result == Event.Result.SUCCESS
    assert disabled.metadata == {"reason": "Reported a stolen phone"}
    live = CustomerSession.objects.filter(account=customer, revoked_at__isnull=True)
    assert not live.filter(expires__gt=timezone.now()).exists(), "signed out everywhere"

    # The new event is the first of the Recent activity.
    expect(panel(page).locator(".overview-events li").first).to_contain_text("Account disabled")

    page.get_by_role("button", name="Enable account").click()
    dialog = page.get_by_role("dialog", name="Enable this account?")
    expect(dialog).to_be_visible()
    dialog.get_by_label("Reason (optional)").fill("Phone found")
    with page.expect_navigation():
        dialog.get_by_role("button", name="Enable account").click()
    expect(status_badge(page)).to_have_text("Enabled")
    expect(toast(page, f"{CUSTOMER} is enabled again.")).to_be_visible()
    expect(page.get_by_role("button", name="Disable account")).to_be_visible()

    account = Account.objects.get(pk=customer.pk)
    assert account.status == Account.Status.ENABLED
    assert account.disabled_at is None
    (enabled,) = events(store, "account.enabled")
    assert enabled.actor_id == store.admin.pk
    assert enabled.metadata == {"reason": "Phone found"}
    assert native_dialogs == []


# ---- 3. Identity verification: manually verify ----------------------------------------------


def test_manually_verify_identity(page: Page, store: Store, native_dialogs: list[str]) -> None:
    # From a tab without dialogs, through the tab bar: the swapped-in tab brings its own.
    open_details(page, store, "consents")
    go_to_tab(page, store, "verification")
    row = table_rows(page).filter(has_text="Passport check")
    expect(row).to_have_count(1)
    expect(row.locator("td").nth(1)).to_have_text("2")  # two failed attempts
    expect(row.locator("td").nth(2)).to_have_text("No")

    opener = page.get_by_role("button", name="Manually verify")
    opener.click()
    dialog = page.get_by_role("dialog", name="Manually verify identity")
    expect(dialog).to_be_visible()
    page.keyboard.press("Escape")  # closes it, focus back on the button
    expect(dialog).to_be_hidden()
    expect(opener).to_be_focused()
    opener.click()
    expect(dialog).to_be_visible()
    policy = dialog.get_by_label("Verification policy")
    # The policies of France and of the organizations above it; not another branch's.
    expect(policy.locator("option")).to_have_text(
        ["Choose a policy", "Passport check · Identity document", "Video interview · Video call"]
    )
    policy.select_option(label="Passport check · Identity document")
    dialog.get_by_label("Reason (optional)").fill("Checked the passport at the desk")
    confirm = dialog.get_by_label(
        "I have verified this customer's identity according to this policy."
    )
    confirm.check()
    with page.expect_navigation():
        dialog.get_by_role("button", name="Verify").click()

    expect(page).to_have_url(url_of(store.tab_path("verification")))
    expect(toast(page, "Identity verified under Passport check.")).to_be_visible()
    row = table_rows(page).filter(has_text="Passport check")
    expect(row.locator("td").nth(1)).to_have_text("3")
    expect(row.locator("td").nth(2)).to_contain_text("Yes")
    expect(row.locator("td").nth(2)).to_contain_text("Manually")
    expect(row.locator("td").nth(2).locator("time")).to_have_count(1)
    expect(row.locator("td").nth(3)).to_have_text("No")

    result = VerificationResult.objects.get(account=store.customer, policy=store.passport)
    assert result.verified and result.manual and not result.revoked
    assert result.attempts == 3
    assert result.verified_by_id == store.admin.pk
    assert result.verified_at is not None
    (verified,) = events(store, "identity.verified")
    assert verified.actor_id == store.admin.pk
    assert verified.metadata["policy"] == str(store.passport.pk)
    assert verified.metadata["reason"] == "Checked the passport at the desk"
    assert not VerificationResult.objects.filter(policy=store.video).exists()
    assert native_dialogs == []


# ---- 4. Sessions: clear sessions ------------------------------------------------------------


def test_clear_sessions_keeps_the_account_enabled(
    page: Page, store: Store, native_dialogs: list[str]
) -> None:
    open_details(page, store, "activity")
    go_to_tab(page, store, "sessions")
    expect(table_rows(page)).to_have_count(2)
    expect(table_rows(page).first).to_contain_text("Chrome 131")  # the latest activity first

    page.get_by_role("button", name="Clear sessions").click()
    dialog = page.get_by_role("dialog", name="Clear sessions?")
    expect(dialog).to_be_visible()
    expect(dialog).to_contain_text("The account stays enabled")
    dialog.get_by_label("Reason (optional)").fill("Customer asked")
    with page.expect_navigation():
        dialog.get_by_role("button", name="Clear sessions").click()

    expect(page).to_have_url(url_of(store.tab_path("sessions")))
    expect(toast(page, "2 sessions ended: the customer is signed out everywhere.")).to_be_visible()
    expect(panel(page).get_by_role("heading", name="No active sessions.")).to_be_visible()
    expect(table_rows(page)).to_have_count(0)
    expect(page.get_by_role("button", name="Clear sessions")).to_have_count(0)
    expect(status_badge(page)).to_have_text("Enabled")

    customer = store.customer
    assert Account.objects.get(pk=customer.pk).status == Account.Status.ENABLED
    assert (
        not CustomerSession.objects.filter(account=customer, revoked_at__isnull=True)
        .exclude(expires__lte=timezone.now())
        .exists()
    )
    revoked = CustomerSession.objects.filter(account=customer, revoked_at__isnull=False)
    assert revoked.count() == 2  # the expired one was over already: left as it was
    (cleared,) = events(store, "sessions.cleared")
    assert cleared.actor_id == store.admin.pk
    assert cleared.metadata == {"sessions": 2, "reason": "Customer asked"}
    assert Authenticator.objects.filter(account=customer).count() == 2, "credentials kept"
    assert native_dialogs == []


# ---- 5. Authenticators: delete one through its ⋮ menu ---------------------------------------


def test_delete_an_authenticator_from_its_menu(
    page: Page, store: Store, native_dialogs: list[str]
) -> None:
    open_details(page, store, "notifications")
    go_to_tab(page, store, "authenticators")
    customer = store.customer
    sms = Authenticator.objects.get(account=customer, type=Authenticator.Type.SMS_OTP)
    expect(table_rows(page)).to_have_count(2)

    menu = (
        panel(page)
        .locator("details.row-menu")
        .filter(has=page.get_by_label(f"Actions for {CUSTOMER_PHONE}"))
    )
    menu.locator("summary").click()
    expect(menu).to_have_attribute("open", "")
    item = menu.get_by_role("menuitem", name="Delete authenticator")
    expect(item).to_be_focused()  # the menu's first item takes the focus
    item.click()
    dialog = page.get_by_role("dialog", name="Delete authenticator?")
    expect(dialog).to_be_visible()
    expect(dialog).to_contain_text(f"{CUSTOMER_PHONE} (SMS one-time code) will be removed")
    # The customer holds a role (Account recovery assistant): the reason is required.
    dialog.get_by_label("Reason (required)").fill("Number no longer in use")
    with page.expect_navigation():
        dialog.get_by_role("button", name="Delete authenticator").click()

    expect(page).to_have_url(url_of(store.tab_path("authenticators")))
    expect(toast(page, f"Authenticator {CUSTOMER_PHONE} deleted.")).to_be_visible()
    expect(table_rows(page)).to_have_count(1)
    expect(table_rows(page).filter(has_text=CUSTOMER_PHONE)).to_have_count(0)
    expect(table_rows(page).filter(has_text=CUSTOMER_EMAIL)).to_have_count(1)

    assert not Authenticator.objects.filter(pk=sms.pk).exists()
    assert Authenticator.objects.filter(account=customer).count() == 1
    (removed,) = events(store, "authenticator.removed")
    assert removed.actor_id == store.admin.pk
    assert removed.metadata == {
        "type": Authenticator.Type.SMS_OTP,
        "authenticator": str(sms.pk),
        "reason": "Number no longer in use",
    }
    assert native_dialogs == []


# ---- 6. keyboard ----------------------------------------------------------------------------


def test_tab_bar_is_reachable_by_tab_and_activates_with_enter(page: Page, store: Store) -> None:
    open_details(page, store)
    page.evaluate("document.activeElement.blur()")

    # Tab reaches the tab bar (its current link first), then each tab in order.
    tab_until(page, ".detail-tabs a[aria-current=page]")
    expect(tab_link(page, "Overview")).to_be_focused()
    for _slug, label, _texts in TABS[1:]:
        page.keyboard.press("Tab")
        expect(tab_link(page, label)).to_be_focused()

    # Back to Activity (Shift+Tab) and Enter opens it.
    for _ in range(len(TABS) - 2):
        page.keyboard.press("Shift+Tab")
    expect(tab_link(page, "Activity")).to_be_focused()
    page.keyboard.press("Enter")
    settled(page)
    check_tab(page, store, "activity")

    # The tab bar is still in reach after the swap: Sessions with Enter too.
    tab_until(page, ".detail-tabs a[href$='/sessions']")
    page.keyboard.press("Enter")
    settled(page)
    check_tab(page, store, "sessions")


SHORT = 750  # fast failure where a known bug means the good state never comes


def test_focus_stays_on_the_activated_tab(page: Page, store: Store) -> None:
    open_details(page, store)
    page.evaluate("document.activeElement.blur()")
    tab_until(page, ".detail-tabs a[aria-current=page]")
    page.keyboard.press("Tab")
    expect(tab_link(page, "Activity")).to_be_focused()
    page.keyboard.press("Enter")
    settled(page)
    check_tab(page, store, "activity")
    expect(tab_link(page, "Activity")).to_be_focused(timeout=SHORT)


# ---- 7. screenshots -------------------------------------------------------------------------


def _theme(page: Page, choice: str, theme: str) -> None:
    page.locator("details.profile > summary").click()
    with page.expect_navigation():
        page.get_by_role("menuitemradio", name=choice).click()
    expect(page.locator("html")).to_have_attribute("data-theme", theme)


def test_screenshots_of_the_details_page(page: Page, store: Store, artifacts_dir: Path) -> None:
    open_details(page, store)
    written = []
    for choice, theme in (("Light", "light"), ("Dark", "dark")):
        for slug in ("overview", "sessions"):
            if path_of(page) != store.tab_path(slug):
                tab_link(page, LABELS[slug]).click()
                settled(page)
            check_tab(page, store, slug)
            if slug == "overview":
                _theme(page, choice, theme)
                check_tab(page, store, slug)
            page.mouse.move(0, 0)  # no hover highlight in the picture
            target = artifacts_dir / f"account-{slug}-{theme}.png"
            page.screenshot(path=str(target), full_page=True)
            written.append(target)
    for target in written:
        assert target.stat().st_size > 10_000
    # Light and dark pictures differ.
    light, dark = (artifacts_dir / f"account-overview-{t}.png" for t in ("light", "dark"))
    assert light.read_bytes() != dark.read_bytes()


# No browser: the seed itself, so that a change in a seeding action shows up here rather than
# as a puzzling count in the browser tests above.
def test_the_seeded_store(store: Store) -> None:
    customer = store.customer
    (reset,) = Notification.objects.filter(account=customer, template__code="password_reset")
    assert reset.expires_at is not None and reset.target == CUSTOMER_EMAIL
    assert list(applicable_policies(store.france)) == [store.passport, store.video]
    assert store.elsewhere not in applicable_policies(store.france)
    assert customer.memberships.count() == 1
    assert customer.role_assignments.count() == 1
    assert Authenticator.objects.filter(account=customer).count() == 2
    live = CustomerSession.objects.filter(
        account=customer, revoked_at__isnull=True, expires__gt=timezone.now()
    )
    assert live.count() == 2
    assert {e.category for e in Event.objects.filter(account=customer)} == {
        Event.Category.CUSTOMER_FLOW,
        Event.Category.ADMIN_ACTION,
    }
