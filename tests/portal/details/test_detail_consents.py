"""The Consents tab of the Account details page: each consent with its version, when it was
granted and (only if it was) revoked; empty state, permission and keyset pages."""

import datetime as dt
import re
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from orgdesk.access.actions import grant_role
from orgdesk.access.models import OrgRole
from orgdesk.consents.models import ConsentPolicy, ConsentRecord
from orgdesk.testing.actors import SYSTEM
from tests.detail_support import client_for, tab_url

pytestmark = pytest.mark.django_db

HX = {"HX-Request": "true"}


def at(day: str, time: str = "12:00") -> dt.datetime:
    return dt.datetime.fromisoformat(f"{day}T{time}:00").replace(tzinfo=dt.UTC)


def consent(account: Any, name: str, version: str, granted: dt.datetime, revoked=None) -> Any:
    policy, _ = ConsentPolicy.objects.get_or_create(name=name, version=version)
    return ConsentRecord.objects.create(
        account=account, policy=policy, granted_at=granted, revoked_at=revoked
    )


def rows(html: str) -> list[str]:
    body = html.split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    return [row for row in body.split("<tr>")[1:] if "empty-state" not in row]


def cells(row: str) -> list[str]:
    return [cell.split("</td>", 1)[0].strip() for cell in row.split("<td>")[1:]]


def link(html: str, rel: str) -> str:
    found = re.search(rf'<a class="icon-btn" href="([^"]+)"[^>]*rel="{rel}"', html)
    return found.group(1).replace("&amp;", "&") if found else ""


def test_consents_show_name_version_granted_and_revoked(admin_client, world):
    kept = consent(world.inside, "Marketing emails", "2.1", at("2025-04-01", "09:15"))
    dropped = consent(
        world.inside,
        "Partner sharing",
        "1",
        at("2025-03-01", "10:00"),
        revoked=at("2025-03-20", "16:45"),
    )
    consent(world.outside, "Outside only", "9", at("2025-04-02"))  # another account's
    response = admin_client.get(tab_url(world.emea, world.inside, "consents"))
    assert response.status_code == 200
    html = response.content.decode()
    table = rows(html)
    assert len(table) == 2
    name, granted, revoked = cells(table[0])  # newest grant first
    assert name.startswith("Marketing emails") and '<span class="badge">v2.1</span>' in name
    assert 'datetime="2025-04-01T09:15:00+00:00"' in granted
    assert revoked == ""  # never revoked: blank
    name, granted, revoked = cells(table[1])
    assert name.startswith("Partner sharing") and "v1</span>" in name
    assert 'datetime="2025-03-01T10:00:00+00:00"' in granted
    assert 'datetime="2025-03-20T16:45:00+00:00"' in revoked
    assert "Outside only" not in html
    assert "No consent records" not in html
    assert [r.pk for r in response.context["page"].rows] == [kept.pk, dropped.pk]


def test_consents_empty_state(admin_client, world):
    consent(world.outside, "Marketing emails", "1", at("2025-01-01"))
    html = admin_client.get(tab_url(world.emea, world.inside, "consents")).content.decode()
    assert "No consent records for this account." in html
    assert rows(html) == []


def test_consents_partial(admin_client, world):
    consent(world.inside, "Terms of service", "3", at("2025-01-01"))
    response = admin_client.get(tab_url(world.emea, world.inside, "consents"), headers=HX)
    body = response.content.decode()
    assert body.lstrip().startswith('<div id="account-body"') and "Terms of service" in body


def test_consents_tab_needs_consents_view(world):
    consent(world.inside, "Terms of service", "3", at("2025-01-01"))
    # The world's viewer holds accounts.view only.
    response = client_for(world.viewer).get(tab_url(world.emea, world.inside, "consents"))
    assert response.status_code == 302
    assert response["Location"] == tab_url(world.emea, world.inside, "overview")
    # With activity.view but not consents.view, the tab is hidden from the others too.
    activity_only = OrgRole.objects.create(
        slug="activity-viewer", name="A", permissions=["accounts.view", "activity.view"]
    )
    grant_role(actor=SYSTEM, account=world.cross, organization=world.emea, role=activity_only)
    client = client_for(world.cross)
    page = client.get(tab_url(world.emea, world.inside, "activity"))
    assert page.status_code == 200
    assert "consents" not in [t.slug for t in page.context["tabs"]]
    assert tab_url(world.emea, world.inside, "consents") not in page.content.decode()
    redirected = client.get(tab_url(world.emea, world.inside, "consents"))
    assert redirected.status_code == 302
    assert "Terms of service" not in redirected.content.decode()


@pytest.mark.parametrize("where", ["outside", "foreign"])
def test_consents_of_other_organizations_are_404(admin_client, world, where):
    customer = world.customer_in(where)
    consent(customer, "Terms of service", "3", at("2025-01-01"))
    assert admin_client.get(tab_url(world.emea, customer, "consents")).status_code == 404
    assert admin_client.get(tab_url(customer.organization, customer, "consents")).status_code == 404


def test_consents_pages_forward_and_back_without_duplicates(admin_client, world):
    same = at("2025-01-01")
    for n in range(10):  # ties on the grant time: the id decides
        consent(world.inside, f"Policy {n:02}", "1", same)
    for n in range(20):
        consent(world.inside, f"Later {n:02}", "1", same + dt.timedelta(days=n + 1))
    url = tab_url(world.emea, world.inside, "consents")
    pages: list[list[Any]] = []
    next_url = url
    while next_url:
        response = admin_client.get(next_url)
        assert response.status_code == 200
        pages.append([r.pk for r in response.context["page"].rows])
        next_url = link(response.content.decode(), "next")
        assert len(pages) < 5
    assert [len(p) for p in pages] == [25, 5]
    flat = [pk for page in pages for pk in page]
    assert len(set(flat)) == 30
    expected = ConsentRecord.objects.filter(account=world.inside).order_by("-granted_at", "-id")
    assert flat == list(expected.values_list("pk", flat=True))
    first = admin_client.get(url)
    second = admin_client.get(link(first.content.decode(), "next"), headers=HX)
    back = admin_client.get(link(second.content.decode(), "prev"))
    assert [r.pk for r in back.context["page"].rows] == pages[0]
    assert link(back.content.decode(), "prev") == ""


def test_consents_queries_do_not_grow_with_rows(admin_client, world):
    url = tab_url(world.emea, world.inside, "consents")
    consent(world.inside, "Terms of service", "3", at("2025-01-01"))
    admin_client.get(url)

    def count() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert admin_client.get(url).status_code == 200
        return len(captured)

    few = count()
    for n in range(30):
        consent(world.inside, f"Policy {n:02}", "1", at("2025-02-01") + dt.timedelta(hours=n))
    assert count() == few
