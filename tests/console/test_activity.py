"""The console's Activity section: the brand-wide audit log with what organization admins
never see (who acted, from where, the reason and the metadata), its filters, one event."""

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from orgdesk.access.actor import Actor, Channel
from orgdesk.accounts.actions import disable_account
from orgdesk.activity.models import Event
from orgdesk.activity.recorder import record
from orgdesk.testing.actors import SYSTEM
from tests.console.conftest import signed_in

pytestmark = pytest.mark.django_db

URL = reverse("console:activity")


@pytest.fixture
def disabled(world: Any) -> Event:
    actor = Actor.admin(
        world.admin, channel=Channel.PORTAL, ip="198.51.100.7", authenticated_at=timezone.now()
    )
    disable_account(actor=actor, account=world.inside, reason="stolen phone")
    return Event.objects.get(type="account.disabled")


def test_the_log_shows_who_acted_and_from_where(world, brand_client, disabled):
    page = brand_client.get(URL).content.decode()
    assert "Account disabled" in page
    assert world.admin.get_full_name() in page and "198.51.100.7" in page
    assert world.france.route in page


def test_one_event_with_its_metadata_escaped(world, brand_client, disabled):
    record(
        "policy.updated",
        actor=SYSTEM,
        metadata={"note": "<script>alert(1)</script>", "n": 3},
    )
    event = Event.objects.get(type="policy.updated")
    page = brand_client.get(reverse("console:activity_event", args=[event.pk])).content.decode()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page and "<script>alert" not in page
    detail = brand_client.get(reverse("console:activity_event", args=[disabled.pk]))
    text = detail.content.decode()
    assert "198.51.100.7" in text and "stolen phone" in text
    assert reverse("portal:account", args=[world.france.key, world.inside.pk]) in text


@pytest.mark.parametrize("pk", ["999999999", "abc", "-1"])
def test_an_unknown_event_is_a_404(world, brand_client, pk):
    assert brand_client.get(reverse("console:activity_event", args=[pk])).status_code == 404


def test_filters(world, brand_client, disabled):
    def types(params: dict[str, str]) -> set[str]:
        import re

        page = brand_client.get(URL, {"size": "100", **params}).content.decode()
        return set(re.findall(r'class="event-link"[^>]*>([^<]+)</a>', page))

    assert types({"type": "account.disabled"}) == {"Account disabled"}
    assert "Account disabled" in types({"category": "admin_action"})
    assert "Account disabled" not in types({"category": "customer_flow"})
    assert "Account disabled" in types({"within": "Acme / EMEA"})  # and below
    assert "Account disabled" not in types({"within": "Acme / Americas"})
    assert types({"admin_email": world.admin.email.upper(), "type": "account.disabled"}) == {
        "Account disabled"
    }
    assert types({"admin_email": "nobody@example.com"}) == set()
    assert "Account disabled" not in types({"date_to": "2000-01-01"})


def test_bad_filters_are_reported_and_left_out(world, brand_client, disabled):
    response = brand_client.get(
        URL, {"within": "Acme / Nowhere", "date_from": "31/31/2026", "type": "nope"}
    )
    assert response.status_code == 200
    assert "not valid and were ignored" in response.content.decode()


def test_the_log_is_the_brands(world, disabled):
    from django.core.exceptions import PermissionDenied

    from orgdesk.activity.audit import audit_event

    for who in (world.admin, world.viewer):
        client: Client = signed_in(who)
        assert client.get(URL).status_code == 404
        with pytest.raises(PermissionDenied):
            audit_event(Actor.admin(who), disabled.pk)
