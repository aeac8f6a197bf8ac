"""The landing page at `/`: what this server runs and a way into each part, in the visitor's
language. The Admin Console is offered to a signed-in brand admin only (it answers 404 to anyone
else); the store's counts are tests/test_home_counts.py's."""

import html
import re
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from orgdesk.testing.auth import portal_login
from orgdesk.testing.world import World
from tests.factories import make_account

pytestmark = pytest.mark.django_db

STALE = "not available in this release"
# What the page says, per language: (a part's heading, the portal's sign-in link, the customer's
# part heading).
WORDS = {
    "en": ("Organization portal", "Sign in to the Organization portal", "Your account"),
    "fr": ("Portail d'organisation", "Se connecter au portail d'organisation", "Votre compte"),
    "de": ("Organisationsportal", "Beim Organisationsportal anmelden", "Ihr Konto"),
    "es": ("Portal de organización", "Iniciar sesión en el portal de organización", "Su cuenta"),
}


def page(response: Any) -> str:
    assert response.status_code == 200
    return html.unescape(response.content.decode())


def hrefs(text: str) -> set[str]:
    return set(re.findall(r'href="([^"]+)"', text))


def brand_client() -> Client:
    client = Client()
    portal_login(client, make_account(None, email="brand@example.test", is_staff=True))
    return client


@pytest.mark.parametrize("lang", sorted(WORDS))
def test_anonymous_visitors_see_the_portal_and_their_account_page(world: World, lang: str) -> None:
    response = Client().get("/", HTTP_ACCEPT_LANGUAGE=lang)
    text = page(response)
    assert response["Content-Language"] == lang
    portal, sign_in, account = WORDS[lang]
    assert f"<h3>{portal}</h3>" in text and f"<h3>{account}</h3>" in text
    assert re.search(rf'href="/portal/login">{re.escape(sign_in)}</a>', text)
    assert {"/portal/login", "/account/"} <= hrefs(text)
    assert "/console/" not in text
    assert STALE not in text
    # Styled by the project's own sheets: nothing inline, nothing from elsewhere.
    assert "/static/portal/portal.css" in text and "/static/core/home.css" in text
    assert "<style" not in text and "<script" not in text and "//cdn" not in text


def test_an_organization_admin_is_sent_to_the_portal_not_the_console(world: World) -> None:
    client = Client()
    portal_login(client, world.admin)
    response = client.get("/")
    text = page(response)
    assert "/portal/" in hrefs(text)
    assert "/portal/login" not in hrefs(text)
    assert not any(link.startswith("/console") for link in hrefs(text))
    assert "Admin Console" not in text
    assert world.admin.email in text
    # A page naming who is signed in is kept by no cache.
    assert "no-store" in response["Cache-Control"]


def test_a_brand_admin_is_offered_the_console_and_the_portal(world: World) -> None:
    text = page(brand_client().get("/"))
    assert {"/console/", "/portal/", "/account/"} <= hrefs(text)
    assert "Open the Admin Console" in text and "Open the Organization portal" in text


def test_a_brand_admin_reads_it_in_french(world: World) -> None:
    text = page(brand_client().get("/", HTTP_ACCEPT_LANGUAGE="fr"))
    assert "Ouvrir la console d'administration" in text
    assert "<dt>Arborescences d'organisations</dt>" in text
    assert "Open the Admin Console" not in text


def test_a_disabled_brand_admin_is_not_offered_the_console(world: World) -> None:
    brand = make_account(None, email="brand@example.test", is_staff=True)
    client = Client()
    portal_login(client, brand)
    type(brand).objects.filter(pk=brand.pk).update(status="disabled", disabled_at=timezone.now())
    assert "/console/" not in page(client.get("/"))
