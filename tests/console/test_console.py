"""The Admin Console (orgdesk/console/): brand admins only (404 for everyone else, on every
console URL), its overview and ⌘K search, and the Organizations section — the tree, create,
rename, identifier uniqueness, move, delete — each write with its event in the same
transaction, and bad input refused with nothing stored."""

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from orgdesk.accounts.models import Group
from orgdesk.activity.models import Event
from orgdesk.invitations.models import Invitation
from orgdesk.organizations.models import Organization
from tests.console.conftest import signed_in
from tests.console.url_args import sample_args

pytestmark = pytest.mark.django_db


def console_patterns() -> list[tuple[str, Any]]:
    """Every console URL pattern (included ones too), as (name, pattern)."""
    from django.urls import URLResolver

    from orgdesk.console.urls import urlpatterns

    found = []

    def walk(patterns: list[Any]) -> None:
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                walk(pattern.url_patterns)
            else:
                found.append((pattern.name, pattern))

    walk(urlpatterns)
    return found


def console_urls(world: Any) -> list[str]:
    """Every console URL, with sample arguments (url_args.py) where one is needed."""
    samples = sample_args(world)
    urls = []
    for name, pattern in console_patterns():
        needs = list(pattern.pattern.converters)
        missing = [n for n in needs if n not in samples]
        assert not missing, f"console:{name} takes {missing}: add samples in url_args.py"
        urls.append(reverse(f"console:{name}", kwargs={n: samples[n] for n in needs}))
    return urls


# ---- who may open it ---------------------------------------------------------------------


@pytest.mark.parametrize("who", ["admin", "viewer", "cross", "inside"])
def test_every_console_url_is_a_404_for_anyone_but_a_brand_admin(world, who):
    client = signed_in(getattr(world, who))
    before = Organization.objects.count(), Event.objects.count()
    for url in console_urls(world):
        assert client.get(url).status_code == 404, url
        assert (
            client.post(url, {"name": "X", "form": "rename", "confirm": "EMEA"}).status_code == 404
        )
    assert (Organization.objects.count(), Event.objects.count()) == before


def test_signed_out_the_console_asks_for_the_sign_in_and_comes_back(world):
    response = Client().get(reverse("console:organizations"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("portal:login"))
    assert "next=/console/organizations/" in response["Location"]


def test_a_disabled_brand_admin_is_refused(world, brand):
    from orgdesk.accounts.models import Account

    client = signed_in(brand)
    Account.objects.filter(pk=brand.pk).update(
        status=Account.Status.DISABLED, disabled_at=brand.created
    )
    response = client.get(reverse("console:home"))
    # signed out: a disabled account's session no longer authenticates
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("portal:login"))


def test_the_url_battery_covers_every_console_url(world):
    assert len(console_urls(world)) == len(console_patterns()) >= 9


# ---- overview and search ---------------------------------------------------------------


def test_overview_counts_the_store_and_lists_the_trees(world, brand_client):
    response = brand_client.get(reverse("console:home"))
    assert response.status_code == 200
    page = response.content.decode()
    assert "Admin Console" in page
    assert reverse("console:organization", args=[world.acme.key]) in page
    assert reverse("console:organization", args=[world.globex.key]) in page
    assert "no-cache" in response["Cache-Control"] or "max-age=0" in response["Cache-Control"]


def test_palette_search_finds_by_route_and_opens_console_pages(world, brand_client):
    found = brand_client.get(reverse("console:search_organizations"), {"q": "acme/emea"}).json()
    routes = [r["route"] for r in found["results"]]
    assert routes[0] == "Acme / EMEA" and "Acme / EMEA / France" in routes
    assert found["results"][0]["url"] == reverse("console:organization", args=[world.emea.key])
    nul = brand_client.get(reverse("console:search_organizations"), {"q": "a\x00b"})
    assert nul.status_code == 200 and nul.json() == {"results": []}


# ---- the organizations list ------------------------------------------------------------


def rows(response: Any) -> list[str]:
    import re

    return re.findall(r'class="org-link"[^>]*>([^<]+)</a>', response.content.decode())


def test_list_shows_the_tree_in_order_with_counts(world, brand_client):
    response = brand_client.get(reverse("console:organizations"), {"size": "50"})
    assert response.status_code == 200
    names = rows(response)
    # tree order: each organization right after its parent
    assert names.index("Acme") < names.index("EMEA") < names.index("France")
    assert names.index("Globex") < names.index("Europe")


def test_list_search_by_name_or_route_and_the_roots_filter(world, brand_client):
    url = reverse("console:organizations")
    assert rows(brand_client.get(url, {"q": "franc"})) == ["France"]
    by_route = rows(brand_client.get(url, {"q": "acme / emea", "order": "name"}))
    assert by_route == ["Acme / EMEA", "Acme / EMEA / France", "Acme / EMEA / Germany"]
    assert set(rows(brand_client.get(url, {"roots": "true"}))) == {"Acme", "Globex"}


def test_list_bad_parameters_are_reported_not_failed(world, brand_client):
    response = brand_client.get(
        reverse("console:organizations"),
        {"order": "nonsense", "application": "not-a-uuid", "cursor": "garbage", "size": "7"},
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert "Unknown sort order" in page and "not valid and were ignored" in page


# ---- create ------------------------------------------------------------------------------


def test_create_under_a_parent_named_by_route(world, brand, brand_client):
    response = brand_client.post(
        reverse("console:organization_create"), {"name": "Spain", "parent": "acme / emea"}
    )
    spain = Organization.objects.get(name="Spain")
    assert response.status_code == 302
    assert response["Location"] == reverse("console:organization", args=[spain.key])
    assert spain.parent == world.emea and spain.route == "Acme / EMEA / Spain"
    assert spain.application == world.emea.application
    event = Event.objects.get(type="organization.created", organization=spain)
    assert event.actor == brand


def test_create_a_new_tree(world, brand_client):
    brand_client.post(
        reverse("console:organization_create"),
        {"name": "Initech", "parent": "", "hierarchy_unique_identifiers": ""},
    )
    initech = Organization.objects.get(name="Initech")
    assert initech.is_root and not initech.hierarchy_unique_identifiers


def test_the_parent_given_by_the_add_sub_organization_link_is_prefilled(world, brand_client):
    response = brand_client.get(reverse("console:organization_create"), {"parent": world.emea.key})
    assert 'value="Acme / EMEA"' in response.content.decode()


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"name": "", "parent": ""}, "This field is required"),
        ({"name": "A / B", "parent": ""}, "cannot contain"),
        ({"name": "X" * 201, "parent": ""}, "at most 200 characters"),
        ({"name": "Spain", "parent": "Acme / Nowhere"}, "No organization has the key or route"),
        ({"name": "EMEA", "parent": "Acme"}, "already exists at this level"),
        ({"name": "Spain", "parent": "Acme", "application": "not-a-uuid"}, "is not a valid UUID"),
    ],
)
def test_create_refuses_bad_input_and_stores_nothing(world, brand_client, data, message):
    before = Organization.objects.count(), Event.objects.count()
    response = brand_client.post(reverse("console:organization_create"), data)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert (Organization.objects.count(), Event.objects.count()) == before


def test_a_write_and_its_event_are_one_transaction(world, brand_client, monkeypatch):
    from orgdesk.organizations import actions

    def failing(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("the event could not be written")

    monkeypatch.setattr(actions, "record", failing)
    brand_client.raise_request_exception = False
    response = brand_client.post(
        reverse("console:organization_create"), {"name": "Spain", "parent": "Acme / EMEA"}
    )
    assert response.status_code == 500
    assert not Organization.objects.filter(name="Spain").exists()


# ---- general: rename, uniqueness ----------------------------------------------------------


def test_rename_rewrites_the_routes_below(world, brand, brand_client):
    url = reverse("console:organization", args=[world.emea.key])
    response = brand_client.post(url, {"form": "rename", "name": "Europe & Africa"})
    assert response.status_code == 302
    world.france.refresh_from_db()
    assert world.france.route == "Acme / Europe & Africa / France"
    assert Event.objects.get(type="organization.renamed").actor == brand
    page = brand_client.get(url).content.decode()
    assert "Europe &amp; Africa" in page and "<script" not in page.split("</head>")[1]


def test_rename_refuses_a_bad_name(world, brand_client):
    url = reverse("console:organization", args=[world.emea.key])
    response = brand_client.post(url, {"form": "rename", "name": "EMEA / bis"})
    assert response.status_code == 400 and "cannot contain" in response.content.decode()
    world.emea.refresh_from_db()
    assert world.emea.name == "EMEA"


def test_uniqueness_is_set_on_a_root_only(world, brand_client):
    url = reverse("console:organization", args=[world.globex.key])
    assert "Identifier uniqueness" in brand_client.get(url).content.decode()
    brand_client.post(url, {"form": "uniqueness"})  # unchecked: off
    world.globex.refresh_from_db()
    assert not world.globex.hierarchy_unique_identifiers
    below = reverse("console:organization", args=[world.emea.key])
    assert 'value="uniqueness"' not in brand_client.get(below).content.decode()
    response = brand_client.post(below, {"form": "uniqueness", "enabled": "on"})
    assert response.status_code == 400 and "root of a tree" in response.content.decode()


def test_an_unknown_form_or_organization(world, brand_client):
    url = reverse("console:organization", args=[world.emea.key])
    assert brand_client.post(url, {"form": "nonsense"}).status_code == 302
    assert brand_client.get(reverse("console:organization", args=["nope"])).status_code == 404


# ---- move --------------------------------------------------------------------------------


def test_move_a_subtree(world, brand, brand_client):
    url = reverse("console:organization_move", args=[world.france.key])
    response = brand_client.post(url, {"new_parent": "Acme / Americas"})
    assert response.status_code == 302
    world.france.refresh_from_db()
    assert world.france.route == "Acme / Americas / France"
    assert Event.objects.get(type="organization.moved").actor == brand


def test_move_under_its_own_descendant_is_refused_and_nothing_moves(world, brand_client):
    before = list(Organization.objects.order_by("path").values_list("path", "route"))
    url = reverse("console:organization_move", args=[world.emea.key])
    response = brand_client.post(url, {"new_parent": "Acme / EMEA / France"})
    assert response.status_code == 400
    assert "cannot move under itself" in response.content.decode()
    assert list(Organization.objects.order_by("path").values_list("path", "route")) == before
    assert not Event.objects.filter(type="organization.moved").exists()


def test_move_asks_for_a_recent_sign_in(world, brand):
    client = signed_in(brand, auth_age_seconds=3600)
    url = reverse("console:organization_move", args=[world.france.key])
    response = client.post(url, {"new_parent": "Acme / Americas"})
    assert response.status_code == 302 and response["Location"].startswith(
        reverse("portal:step_up")
    )
    world.france.refresh_from_db()
    assert world.france.parent == world.emea


# ---- delete ------------------------------------------------------------------------------


def test_an_organization_with_accounts_cannot_be_deleted(world, brand_client):
    url = reverse("console:organization_delete", args=[world.emea.key])
    page = brand_client.get(url).content.decode()
    assert "cannot be deleted" in page and 'name="confirm"' not in page
    response = brand_client.post(url, {"confirm": "EMEA"})
    assert response.status_code == 400 and "cannot be deleted" in response.content.decode()
    assert Organization.objects.filter(pk=world.emea.pk).exists()


def test_delete_an_empty_subtree_with_what_belongs_to_it(world, brand, brand_client):
    from orgdesk.access.actions import grant_role
    from orgdesk.access.models import OrgRole, RoleAssignment
    from orgdesk.organizations.actions import create_organization
    from orgdesk.testing.actors import SYSTEM

    spain = create_organization(actor=SYSTEM, name="Spain", parent=world.emea)
    madrid = create_organization(actor=SYSTEM, name="Madrid", parent=spain)
    Group.objects.create(organization=madrid, name="Staff")
    grant_role(
        actor=SYSTEM,
        account=world.admin,
        organization=spain,
        role=OrgRole.objects.get(slug="admin"),
    )
    url = reverse("console:organization_delete", args=[spain.key])
    page = brand_client.get(url).content.decode()
    assert "1 organization below it" in page and "1 group" in page and "1 role grant" in page

    wrong = brand_client.post(url, {"confirm": "spain"})
    assert wrong.status_code == 400 and "not the organization" in wrong.content.decode()
    assert Organization.objects.filter(pk=spain.pk).exists()

    response = brand_client.post(url, {"confirm": "Spain"})
    assert response.status_code == 302
    assert response["Location"] == reverse("console:organization", args=[world.emea.key])
    assert not Organization.objects.filter(pk__in=[spain.pk, madrid.pk]).exists()
    assert not Group.objects.filter(name="Staff").exists()
    assert not RoleAssignment.objects.filter(organization=spain.pk).exists()
    assert world.admin.__class__.objects.filter(pk=world.admin.pk).exists()
    event = Event.objects.get(type="organization.deleted")
    assert event.actor == brand and event.organization_id == world.emea.pk
    assert event.metadata["route"] == "Acme / EMEA / Spain"
    assert event.metadata["organizations_below"] == 1
    # the events about the deleted organizations are kept
    assert Event.objects.filter(type="organization.created", organization_id=madrid.pk).exists()
    assert not Invitation.objects.filter(organization_id=spain.pk).exists()


def test_tree_actions_refuse_organization_admins_outside_the_console(world):
    from django.core.exceptions import PermissionDenied

    from orgdesk.access.actor import Actor
    from orgdesk.organizations import actions

    actor = Actor.admin(world.admin)
    for call in (
        lambda: actions.create_organization(actor=actor, name="X", parent=world.emea),
        lambda: actions.rename_organization(actor=actor, organization=world.emea, name="X"),
        lambda: actions.move_organization(
            actor=actor, organization=world.france, new_parent=world.americas
        ),
        lambda: actions.delete_organization(actor=actor, organization=world.france),
        lambda: actions.set_hierarchy_uniqueness(actor=actor, root=world.acme, enabled=False),
    ):
        with pytest.raises(PermissionDenied):
            call()


# ---- the portal's session rules hold in the console -------------------------------------


def test_a_brand_admin_without_a_required_second_factor_must_enrol_first(world, brand_client):
    from orgdesk.security.models import SecurityPolicy

    policy = SecurityPolicy.current()
    policy.require_admin_mfa = True
    policy.save()
    for url in (reverse("console:home"), reverse("console:organizations")):
        response = brand_client.get(url)
        assert response.status_code == 302 and response["Location"] == reverse("portal:security")


def test_the_absolute_session_lifetime_ends_a_console_session(world, brand, settings):
    client = signed_in(brand, auth_age_seconds=(settings.ORGDESK_SESSION_MAX_HOURS + 1) * 3600)
    response = client.get(reverse("console:organizations"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("portal:login"))


# ---- an organization's Accounts and Invitations tabs: the portal's lists ----------------


def test_the_accounts_tab_is_the_portals_list_opening_portal_pages(world, brand_client):
    url = reverse("console:organization_accounts", args=[world.emea.key])
    page = brand_client.get(url, {"q": "inside"}).content.decode()
    assert 'id="list-form"' in page and "Inside" in page
    detail = reverse("portal:account", args=[world.emea.key, world.inside.pk])
    assert f'href="{detail}"' in page
    fragment = brand_client.get(url, {"q": "inside"}, headers={"HX-Request": "true"})
    assert fragment.content.decode().lstrip().startswith(("<span", "<section"))
    invitations = brand_client.get(
        reverse("console:organization_invitations", args=[world.emea.key])
    )
    assert invitations.status_code == 200 and 'id="results"' in invitations.content.decode()


def test_organizations_are_not_created_for_an_application_with_organizations_off(
    world, brand_client
):
    from orgdesk.organizations.models import Application

    app = Application.objects.create(name="Kiosk", client_id="kiosk", organizations_enabled=False)
    response = brand_client.post(
        reverse("console:organization_create"), {"name": "Shop", "application": str(app.pk)}
    )
    assert response.status_code == 400
    assert not Organization.objects.filter(name="Shop").exists()


# ---- Policies > Security -------------------------------------------------------------------


def test_security_policy_turns_admin_mfa_on_with_its_event(world, brand, brand_client):
    from orgdesk.security.models import SecurityPolicy

    url = reverse("console:security_policy")
    page = brand_client.get(url).content.decode()
    assert "Session idle timeout" in page and 'name="require_admin_mfa"' in page
    response = brand_client.post(url, {"require_admin_mfa": "on"})
    assert response.status_code == 302
    assert SecurityPolicy.current().require_admin_mfa
    assert Event.objects.get(type="policy.updated").actor == brand


def test_security_policy_asks_for_a_recent_sign_in(world, brand):
    client = signed_in(brand, auth_age_seconds=3600)
    response = client.post(reverse("console:security_policy"), {"require_admin_mfa": "on"})
    assert response["Location"].startswith(reverse("portal:step_up"))
