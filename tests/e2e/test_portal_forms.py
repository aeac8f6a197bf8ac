"""Forms in the admin's language, in a real browser (issue 12 items 5 and 6): Chromium runs
with an en-US locale, the admin reads the portal in French. Dates are shown and typed
dd/mm/yyyy (a native date input would show mm/dd/yyyy), the filtered list is right, and the
same URL read in English is the same view; the preferred language is a choice named in
French; the picture's file input is a button showing the chosen file, reachable with the
keyboard; the Sessions tab says what is known and nothing of the server's setup.
"""

import datetime as dt
import io
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from django.db import transaction
from django.utils import timezone
from PIL import Image
from playwright.sync_api import Page, expect

from orgdesk.access.actions import grant_role
from orgdesk.access.models import OrgRole
from orgdesk.accounts.actions import create_account
from orgdesk.accounts.models import Account
from orgdesk.organizations.actions import create_organization
from orgdesk.security.models import CustomerSession
from orgdesk.testing.actors import SYSTEM

pytestmark = pytest.mark.e2e

PASSWORD = "correct horse battery staple"
ADMIN_EMAIL = "ada.admin@acme.test"
# (given, family, created: days ago)
CUSTOMERS = [("Léa", "Martin", 400), ("Hugo", "Bernard", 40), ("Emma", "Dupont", 2)]


@pytest.fixture
def store(transactional_db: Any) -> dict[str, Any]:
    with transaction.atomic():
        acme = create_organization(actor=SYSTEM, name="Acme")
        france = create_organization(actor=SYSTEM, name="France", parent=acme)
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
            actor=SYSTEM, account=admin, organization=france, role=OrgRole.objects.get(slug="admin")
        )
        Account.objects.filter(pk=admin.pk).update(created=timezone.now() - dt.timedelta(days=900))
        customers = {}
        for given, family, days in CUSTOMERS:
            account = create_account(
                actor=SYSTEM,
                organization=france,
                email=f"{given.lower().replace('é', 'e')}@example.test",
                given_name=given,
                family_name=family,
            )
            Account.objects.filter(pk=account.pk).update(
                created=timezone.now() - dt.timedelta(days=days)
            )
            customers[given] = account
        CustomerSession.objects.create(
            account=customers["Léa"],
            key_hash="lea-session",
            user_agent=(
                "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like "
                "Gecko) Chrome/131.0.0.0 Safari/537.36"
            ),
            ip="81.250.0.1",
            expires=timezone.now() + dt.timedelta(days=14),
        )
    return {"france": france, "customers": customers}


def sign_in_in_french(page: Page, live_server: Any, path: str) -> None:
    page.goto(path)
    page.get_by_label("Email, username or phone").fill(ADMIN_EMAIL)
    page.get_by_label("Password").fill(PASSWORD)
    with page.expect_navigation():
        page.get_by_role("button", name="Sign in").click()
    expect(page.locator("body.app")).to_be_visible()
    set_language(page, live_server, "fr")
    page.goto(path)
    expect(page.locator("html")).to_have_attribute("lang", "fr")


def set_language(page: Page, live_server: Any, code: str) -> None:
    page.context.add_cookies([{"name": "django_language", "value": code, "url": live_server.url}])


def names(page: Page) -> set[str]:
    return set(page.locator("#results .account-name").all_inner_texts())


def test_a_french_admin_filters_by_a_date_written_dd_mm_yyyy(
    page: Page, live_server: Any, store: dict[str, Any]
) -> None:
    accounts = f"/portal/{store['france'].key}/accounts"
    sign_in_in_french(page, live_server, f"{accounts}?clear=1")
    expect(page.locator("#results .account-name").first).to_be_visible()
    page.locator("details.filter-panel summary").click()
    created_from = page.locator("#id_created_from")
    expect(created_from).to_have_attribute("type", "text")
    expect(created_from).to_have_attribute("placeholder", "jj/mm/aaaa")
    since = timezone.localdate() - dt.timedelta(days=100)
    typed = since.strftime("%d/%m/%Y")
    created_from.fill(typed)
    # The browser checks the form before it is sent: a date, not any text.
    assert created_from.evaluate("el => el.checkValidity()")
    assert not page.evaluate(
        "() => { const i = document.createElement('input'); i.pattern = "
        "document.getElementById('id_created_from').pattern; i.value = 'demain'; "
        "return i.checkValidity(); }"
    )
    with page.expect_response(lambda r: "created_from" in r.url):
        page.locator(".filter-actions button[type=submit]").click()
    expect(page.locator("#results .account-name")).to_have_count(2)
    assert names(page) == {"Hugo Bernard", "Emma Dupont"}
    assert parse_qs(urlsplit(page.url).query)["created_from"] == [typed]
    expect(created_from).to_have_value(typed)

    # The same view (the URL, remembered) in English: the same accounts, the date shown ISO.
    set_language(page, live_server, "en")
    page.reload()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.locator("#results .account-name")).to_have_count(2)
    assert names(page) == {"Hugo Bernard", "Emma Dupont"}
    expect(page.locator("#id_created_from")).to_have_value(since.isoformat())
    expect(page.locator("#id_created_from")).to_have_attribute("placeholder", "yyyy-mm-dd")


def _png(path: Path) -> Path:
    buffer = io.BytesIO()
    Image.new("RGB", (64, 64), (200, 80, 40)).save(buffer, format="PNG")
    path.write_bytes(buffer.getvalue())
    return path


def test_personal_information_in_french_language_choice_date_and_picture(
    page: Page, live_server: Any, store: dict[str, Any], tmp_path: Path
) -> None:
    lea = store["customers"]["Léa"]
    overview = f"/portal/{store['france'].key}/accounts/{lea.pk}/overview"
    sign_in_in_french(page, live_server, overview)

    language = page.locator("select#id_locale")
    expect(language.locator("option").first).to_have_text("Non défini")
    expect(language.locator("option[value=de]")).to_have_text("Allemand (Deutsch)")
    language.select_option("de")
    birthdate = page.locator("#id_birthdate")
    expect(birthdate).to_have_attribute("placeholder", "jj/mm/aaaa")
    birthdate.fill("29/02/1988")

    # The picture: a button and the chosen file's name, the native input out of sight but
    # reachable with the keyboard (Tab from the country), the button showing the focus.
    button = page.locator("label.file-picker-button")
    expect(button).to_be_visible()
    file_name = page.locator("#id_picture_name")
    expect(file_name).to_have_text("Aucun fichier choisi")
    page.locator("#id_country").focus()
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "id_picture"
    assert button.evaluate("el => getComputedStyle(el).outlineStyle") == "solid"
    page.locator("#id_picture").set_input_files(str(_png(tmp_path / "portrait-lea.png")))
    expect(file_name).to_have_text("portrait-lea.png")
    page.screenshot(path=str(tmp_path / "overview-fr.png"), full_page=True)

    with page.expect_navigation():
        page.locator("form[action$='overview/profile'] button[type=submit]").click()
    lea.refresh_from_db()
    assert lea.locale == "de"
    assert lea.birthdate == dt.date(1988, 2, 29)
    assert lea.picture.name
    expect(page.locator("#id_birthdate")).to_have_value("29/02/1988")
    expect(page.locator("select#id_locale")).to_have_value("de")
    expect(page.locator("img.overview-avatar")).to_be_visible()


def test_the_sessions_tab_shows_what_is_known_and_nothing_of_the_server(
    page: Page, live_server: Any, store: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("ORGDESK_GEOIP_CITY_DB", raising=False)
    lea = store["customers"]["Léa"]
    sessions = f"/portal/{store['france'].key}/accounts/{lea.pk}/sessions"
    sign_in_in_french(page, live_server, sessions)
    row = page.locator("table.table tbody tr").first
    expect(row).to_contain_text("Chrome 131")
    expect(row).to_contain_text("Windows 10")
    expect(row).to_contain_text("81.250.0.1")
    expect(row).to_contain_text("France")
    body = page.locator("body").inner_text()
    for setup in ("ORGDESK_GEOIP_CITY_DB", "GeoLite2", "MaxMind"):
        assert setup not in body
