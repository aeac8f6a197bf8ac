"""The landing page at `/` tells anyone that the store runs and where to sign in; how many
trees, organizations and accounts it holds is shown to a signed-in brand admin only."""

import re
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from orgdesk import views as core_views
from orgdesk.testing.auth import portal_login
from orgdesk.testing.world import World
from tests.factories import make_account

pytestmark = pytest.mark.django_db

LABELS = ("Organization trees", "Organizations", "Accounts")


def counts_shown(response: Any) -> bool:
    html = response.content.decode()
    return "<dl>" in html or any(f"<dt>{label}</dt>" in html for label in LABELS)


def test_anonymous_visitors_see_no_counts(world: World, monkeypatch: Any) -> None:
    # The counts are not even computed for them.
    monkeypatch.setattr(core_views, "store_summary", lambda: pytest.fail("counted"))
    for accept in ("en", "fr", "de", "es"):
        response = Client().get("/", HTTP_ACCEPT_LANGUAGE=accept)
        assert response.status_code == 200
        assert not counts_shown(response)
        html = response.content.decode()
        assert not re.search(r"<dd>\s*\d", html)
        assert 'href="/portal/login"' in html


def test_organization_admins_see_no_counts(world: World) -> None:
    client = Client()
    portal_login(client, world.admin)
    response = client.get("/")
    assert response.status_code == 200
    assert not counts_shown(response)


def test_a_signed_in_brand_admin_sees_the_counts_uncached(world: World) -> None:
    brand = make_account(None, email="brand@example.test", is_staff=True)
    client = Client()
    portal_login(client, brand)
    response = client.get("/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "<dt>Organization trees</dt><dd>2</dd>" in html  # Acme and Globex
    assert "<dt>Organizations</dt><dd>7</dd>" in html
    assert re.search(r"<dt>Accounts</dt><dd>\d+</dd>", html)
    assert "no-store" in response["Cache-Control"]


def test_a_disabled_brand_admin_sees_no_counts(world: World) -> None:
    brand = make_account(None, email="brand@example.test", is_staff=True)
    client = Client()
    portal_login(client, brand)
    type(brand).objects.filter(pk=brand.pk).update(status="disabled", disabled_at=timezone.now())
    response = client.get("/")
    assert response.status_code == 200
    assert not counts_shown(response)
