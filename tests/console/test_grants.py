"""An organization's Roles and grants tab in the console: who holds which role here and
above, grant to an account of the same store, revoke; the portal's rules hold."""

from typing import Any

import pytest
from django.urls import reverse

from orgdesk.access.models import OrgRole, RoleAssignment
from orgdesk.activity.models import Event
from tests.console.conftest import signed_in

pytestmark = pytest.mark.django_db


def test_the_tab_lists_grants_here_and_above(world, brand_client):
    page = brand_client.get(reverse("console:organization_grants", args=[world.france.key]))
    html = page.content.decode()
    assert page.status_code == 200
    assert "Granted above, covering it" in html and world.admin.email in html


def test_grant_and_revoke(world, brand, brand_client):
    url = reverse("console:organization_grants", args=[world.germany.key])
    response = brand_client.post(
        url,
        {"identifier": world.inside.email.upper(), "role": OrgRole.objects.get(slug="admin").pk},
    )
    assert response.status_code == 302
    grant = RoleAssignment.objects.get(account=world.inside, organization=world.germany)
    assert Event.objects.get(type="role.granted", account=world.inside).actor == brand
    revoke = reverse("console:organization_revoke", args=[world.germany.key, grant.pk])
    assert brand_client.post(revoke).status_code == 302
    assert not RoleAssignment.objects.filter(pk=grant.pk).exists()
    assert Event.objects.filter(type="role.revoked", account=world.inside).exists()


@pytest.mark.parametrize(
    "identifier", ["nobody@example.com", "", "x" * 300, "foreign.test@globex.test"]
)
def test_grant_refuses_unknown_or_foreign_accounts(world, brand_client, identifier):
    url = reverse("console:organization_grants", args=[world.emea.key])
    if identifier.startswith("foreign"):
        identifier = world.foreign.email  # another tree: another identity store
    before = RoleAssignment.objects.count()
    response = brand_client.post(
        url, {"identifier": identifier, "role": OrgRole.objects.get(slug="admin").pk}
    )
    assert response.status_code == 400
    assert RoleAssignment.objects.count() == before


def test_a_grant_of_another_organization_is_a_404(world, brand_client):
    grant = RoleAssignment.objects.filter(organization=world.emea).first()
    url = reverse("console:organization_revoke", args=[world.americas.key, grant.pk])
    assert brand_client.post(url).status_code == 404
    assert RoleAssignment.objects.filter(pk=grant.pk).exists()


def test_revoke_asks_for_a_recent_sign_in(world, brand):
    grant = RoleAssignment.objects.filter(organization=world.emea).first()
    client: Any = signed_in(brand, auth_age_seconds=3600)
    url = reverse("console:organization_revoke", args=[world.emea.key, grant.pk])
    response = client.post(url)
    assert response["Location"].startswith(reverse("portal:step_up"))
    assert RoleAssignment.objects.filter(pk=grant.pk).exists()
