"""The console's Applications section (issue 13): every application with its organizations
setting and how many organizations use it, an application's page and its edit form, create,
delete (refused while it is used), the built-in Organization Portal protected, each write with
its event in the same transaction, bad input refused with nothing stored."""

import re
from datetime import timedelta
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse
from django.utils import timezone

from orgdesk.access.actor import Actor
from orgdesk.activity.events import EVENT_TYPES, NOT_ABOUT_AN_ACCOUNT
from orgdesk.activity.models import Event
from orgdesk.branding.models import BrandingPolicy
from orgdesk.organizations import applications
from orgdesk.organizations.actions import create_organization
from orgdesk.organizations.applications import (
    KEEP,
    ApplicationError,
    clean_redirect_uris,
    create_application,
    delete_application,
    update_application,
)
from orgdesk.organizations.models import PORTAL_CLIENT_ID, Application
from orgdesk.testing.actors import SYSTEM
from tests.console.conftest import signed_in

pytestmark = pytest.mark.django_db

LIST = reverse("console:applications")
CREATE = reverse("console:application_create")


def detail(app: Application | str) -> str:
    return reverse("console:application", args=[app if isinstance(app, str) else app.client_id])


def delete_url(app: Application) -> str:
    return reverse("console:application_delete", args=[app.client_id])


@pytest.fixture
def portal(world: Any) -> Application:
    return Application.objects.get(client_id=PORTAL_CLIENT_ID)


@pytest.fixture
def shop(world: Any) -> Application:
    return create_application(
        actor=SYSTEM,
        name="Acme Shop",
        client_id="acme-shop",
        kind=Application.Kind.SPA,
        redirect_uris=["https://shop.acme.test/callback"],
    )


def edit_form(app: Application, **changes: Any) -> dict[str, Any]:
    form = {
        "name": app.name,
        "kind": app.kind,
        "redirect_uris": "\n".join(app.redirect_uris),
        "branding_policy": str(app.branding_policy_id or ""),
    }
    if app.organizations_enabled:
        form["organizations_enabled"] = "on"
    form.update(changes)
    return {k: v for k, v in form.items() if v is not None}


def stored() -> tuple[Any, ...]:
    return (
        list(
            Application.objects.order_by("client_id").values_list(
                "client_id",
                "name",
                "kind",
                "redirect_uris",
                "branding_policy",
                "organizations_enabled",
            )
        ),
        Event.objects.count(),
    )


# ---- the catalogue ---------------------------------------------------------------------


def test_the_events_are_admin_actions_not_about_an_account():
    for code in ("application.created", "application.updated", "application.deleted"):
        assert EVENT_TYPES[code][0] == "admin_action"
        assert code in NOT_ABOUT_AN_ACCOUNT


def test_existing_applications_have_organizations_enabled(portal):
    assert portal.organizations_enabled and portal.builtin


# ---- the list ----------------------------------------------------------------------------


def test_the_list_shows_each_application_with_its_organizations(world, brand_client, portal, shop):
    create_organization(actor=SYSTEM, name="Shop Org", application=shop)
    response = brand_client.get(LIST)
    assert response.status_code == 200
    page = response.content.decode()
    names = re.findall(r'class="app-link"[^>]*>([^<]+)</a>', page)
    assert names == ["Organization Portal", "Acme Shop"]  # the built-in one first
    assert "Built in" in page and "<code>organization-portal</code>" in page
    assert "Single-page application" in page and "Default" in page
    portal_orgs = world.acme.application.organizations.count()
    assert portal_orgs == 7  # the world's two trees
    assert f'?application={portal.pk}">{portal_orgs}</a>' in page
    assert f'?application={shop.pk}">1</a>' in page
    assert 'aria-current="page"' in page.split('class="tabs-nav"')[1].split("</nav>")[0]


def test_the_list_counts_with_one_grouped_query(world, shop, django_assert_max_num_queries):
    for i in range(3):
        create_application(actor=SYSTEM, name=f"App {i}", client_id=f"app-{i}")
    rows_before = applications.application_rows()
    with django_assert_max_num_queries(2):
        rows = applications.application_rows()
        [row.application.branding_policy for row in rows]
    assert len(rows) == len(rows_before) == 5


def test_the_sidebar_links_to_the_section(world, brand_client):
    page = brand_client.get(reverse("console:home")).content.decode()
    assert f'href="{LIST}"' in page


# ---- an application's page ---------------------------------------------------------------


def test_the_page_shows_details_redirect_uris_and_organizations(world, brand_client, portal):
    create_application(
        actor=SYSTEM,
        name="Mobile",
        client_id="mobile",
        kind=Application.Kind.NATIVE,
        redirect_uris=["https://m.acme.test/cb", "http://localhost:8000/cb"],
    )
    page = brand_client.get(detail("mobile")).content.decode()
    assert "Native application" in page
    assert "<code>https://m.acme.test/cb</code>" in page
    assert "<code>http://localhost:8000/cb</code>" in page
    assert "None" in page  # no organization uses it
    page = brand_client.get(detail(portal)).content.decode()
    assert f"{reverse('console:organizations')}?application={portal.pk}" in page
    assert "7 organizations" in page
    assert "Built in" in page
    assert reverse("console:application_delete", args=[portal.client_id]) not in page


def test_an_unknown_application_is_a_404(world, brand_client):
    assert brand_client.get(detail("nope")).status_code == 404
    assert brand_client.post(detail("nope"), {"name": "X"}).status_code == 404
    assert brand_client.get(reverse("console:application_delete", args=["nope"])).status_code == 404


def test_the_organizations_link_filters_the_organizations_list(world, brand_client, shop):
    create_organization(actor=SYSTEM, name="Shop Org", application=shop)
    page = brand_client.get(
        reverse("console:organizations"), {"application": str(shop.pk)}
    ).content.decode()
    found = re.findall(r'class="org-link"[^>]*>([^<]+)</a>', page)
    assert found == ["Shop Org"]


# ---- create ------------------------------------------------------------------------------


def test_create_an_application(world, brand, brand_client):
    response = brand_client.post(
        CREATE,
        {
            "name": "  Partner API ",
            "client_id": "Partner-API",
            "kind": "service",
            "redirect_uris": "https://partner.test/cb\n\nhttps://partner.test/cb\nhttp://127.0.0.1:5000/x\n",
        },
    )
    assert response.status_code == 302
    app = Application.objects.get(client_id="partner-api")
    assert response["Location"] == detail(app)
    assert app.name == "Partner API" and app.kind == "service" and not app.builtin
    assert app.redirect_uris == ["https://partner.test/cb", "http://127.0.0.1:5000/x"]
    assert app.organizations_enabled and app.branding_policy is None
    event = Event.objects.get(type="application.created")
    assert event.actor == brand and event.organization is None and event.account is None
    assert event.metadata["client_id"] == "partner-api" and event.metadata["kind"] == "service"


def test_the_create_page_offers_no_portal_kind(world, brand_client):
    page = brand_client.get(CREATE).content.decode()
    assert 'value="web"' in page and 'value="portal"' not in page


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"name": ""}, "name", "This field is required"),
        ({"name": "   "}, "name", "This field is required"),
        ({"name": "X" * 201}, "name", "at most 200 characters"),
        ({"name": "Tab\there"}, "name", "control characters"),
        ({"name": "Nul\x00"}, "name", "Null characters are not allowed"),
        ({"client_id": ""}, "client_id", "This field is required"),
        ({"client_id": "organization-portal"}, "client_id", "already used"),
        ({"client_id": "ACME-SHOP"}, "client_id", "already used"),
        ({"client_id": "new"}, "client_id", "reserved"),
        ({"client_id": "has space"}, "client_id", "lowercase letters"),
        ({"client_id": "-leading"}, "client_id", "lowercase letters"),
        ({"client_id": "café"}, "client_id", "lowercase letters"),
        ({"client_id": "a/b"}, "client_id", "lowercase letters"),
        ({"client_id": "x" * 101}, "client_id", "at most 100 characters"),
        ({"kind": "nonsense"}, "kind", "Select a valid choice"),
        ({"kind": "portal"}, "kind", "Select a valid choice"),
        ({"kind": ""}, "kind", "This field is required"),
        ({"redirect_uris": "javascript:alert(1)"}, "redirect_uris", "not an absolute https URL"),
        ({"redirect_uris": "/callback"}, "redirect_uris", "not an absolute https URL"),
        ({"redirect_uris": "shop.test/cb"}, "redirect_uris", "not an absolute https URL"),
        ({"redirect_uris": "https://"}, "redirect_uris", "not an absolute https URL"),
        ({"redirect_uris": "https://*.shop.test/cb"}, "redirect_uris", "not an absolute"),
        ({"redirect_uris": "https://shop.test:99999/"}, "redirect_uris", "not an absolute"),
        ({"redirect_uris": "https://[::1/cb"}, "redirect_uris", "not an absolute"),
        ({"redirect_uris": "ftp://shop.test/cb"}, "redirect_uris", "not an absolute https URL"),
        ({"redirect_uris": "https://shop.test/cb#x"}, "redirect_uris", "has a fragment"),
        ({"redirect_uris": "https://shop.test/cb#"}, "redirect_uris", "has a fragment"),
        ({"redirect_uris": "http://shop.test/cb"}, "redirect_uris", "uses http"),
        ({"redirect_uris": "http://localhost.evil.test/"}, "redirect_uris", "uses http"),
        ({"redirect_uris": "https://u:p@shop.test/cb"}, "redirect_uris", "user name or password"),
        (
            {"redirect_uris": "\n".join(f"https://shop.test/{i}" for i in range(21))},
            "redirect_uris",
            "at most 20 redirect URIs",
        ),
        ({"redirect_uris": "https://shop.test/" + "a" * 2000}, "redirect_uris", "at most 2000"),
        ({"redirect_uris": "x" * 50000}, "redirect_uris", "at most"),
    ],
)
def test_create_refuses_bad_input_and_stores_nothing(
    world, brand_client, shop, data, field, message
):
    before = stored()
    form = {"name": "New App", "client_id": "new-app", "kind": "web", "redirect_uris": ""}
    form.update(data)
    response = brand_client.post(CREATE, form)
    assert response.status_code == 400
    errors = response.context["form"].errors
    assert field in errors and message in " ".join(errors[field]), errors
    assert stored() == before


def test_odd_input_is_refused_never_a_server_error(world, brand_client, shop):
    before = stored()
    for form in (
        {},
        {"name": ["a", "b"], "client_id": ["x", "y"]},
        {"redirect_uris": "\x00"},
        {"name": "A", "client_id": "b", "kind": "web", "redirect_uris": "https://\u2028x.test/"},
    ):
        assert brand_client.post(CREATE, form).status_code == 400
    assert stored() == before


def test_a_write_and_its_event_are_one_transaction(world, brand_client, shop, monkeypatch):
    def failing(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("the event could not be written")

    monkeypatch.setattr(applications, "record", failing)
    brand_client.raise_request_exception = False
    before = stored()
    create = brand_client.post(CREATE, {"name": "X", "client_id": "x", "kind": "web"})
    assert create.status_code == 500
    update = brand_client.post(detail(shop), edit_form(shop, name="Renamed"))
    assert update.status_code == 500
    remove = brand_client.post(delete_url(shop), {"confirm": shop.client_id})
    assert remove.status_code == 500
    assert stored() == before


# ---- update ------------------------------------------------------------------------------


def test_update_an_application(world, brand, brand_client, shop):
    policy = BrandingPolicy.objects.create(name="Shop colours")
    response = brand_client.post(
        detail(shop),
        edit_form(
            shop,
            name="Acme Store",
            kind="web",
            redirect_uris="https://store.acme.test/cb\nhttp://localhost/cb",
            branding_policy=str(policy.pk),
            organizations_enabled=None,
        ),
    )
    assert response.status_code == 302 and response["Location"] == detail(shop)
    shop.refresh_from_db()
    assert shop.name == "Acme Store" and shop.kind == "web" and shop.client_id == "acme-shop"
    assert shop.redirect_uris == ["https://store.acme.test/cb", "http://localhost/cb"]
    assert shop.branding_policy == policy and not shop.organizations_enabled
    event = Event.objects.get(type="application.updated")
    assert event.actor == brand
    assert event.metadata["client_id"] == "acme-shop"
    assert event.metadata["changes"]["name"] == {"from": "Acme Shop", "to": "Acme Store"}
    assert event.metadata["changes"]["branding_policy"] == {"from": None, "to": "Shop colours"}
    assert event.metadata["changes"]["organizations_enabled"] == {"from": True, "to": False}
    # turned back on
    brand_client.post(detail(shop), edit_form(shop, organizations_enabled="on"))
    shop.refresh_from_db()
    assert shop.organizations_enabled


def test_saving_without_a_change_records_nothing(world, brand_client, shop):
    response = brand_client.post(detail(shop), edit_form(shop))
    assert response.status_code == 302
    assert not Event.objects.filter(type="application.updated").exists()


def test_organizations_stay_on_while_an_organization_uses_the_application(
    world, brand_client, shop
):
    create_organization(actor=SYSTEM, name="Shop Org", application=shop)
    create_organization(actor=SYSTEM, name="Shop Org 2", application=shop)
    before = stored()
    response = brand_client.post(
        detail(shop), edit_form(shop, name="Renamed", organizations_enabled=None)
    )
    assert response.status_code == 400
    errors = response.context["form"].errors["organizations_enabled"]
    assert errors == ["Organizations cannot be turned off: 2 organizations use this application."]
    assert stored() == before


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"name": ""}, "name", "This field is required"),
        ({"name": "X" * 201}, "name", "at most 200 characters"),
        ({"kind": "nonsense"}, "kind", "Select a valid choice"),
        ({"kind": "portal"}, "kind", "Select a valid choice"),
        ({"redirect_uris": "javascript:alert(1)"}, "redirect_uris", "not an absolute"),
        ({"redirect_uris": "https://ok.test/\nhttp://x.test/"}, "redirect_uris", "uses http"),
        ({"redirect_uris": "https://ok.test/#frag"}, "redirect_uris", "has a fragment"),
        ({"branding_policy": "not-a-uuid"}, "branding_policy", "is not a valid UUID"),
        (
            {"branding_policy": "00000000-0000-0000-0000-000000000000"},
            "branding_policy",
            "Select a valid choice",
        ),
    ],
)
def test_update_refuses_bad_input_and_stores_nothing(
    world, brand_client, shop, changes, field, message
):
    before = stored()
    response = brand_client.post(detail(shop), edit_form(shop, **changes))
    assert response.status_code == 400
    errors = response.context["form"].errors
    assert field in errors and message in " ".join(errors[field]), errors
    assert stored() == before
    # the page still shows what is stored
    assert "<code>https://shop.acme.test/callback</code>" in response.content.decode()


def test_the_client_id_does_not_change(world, brand_client, shop):
    brand_client.post(detail(shop), edit_form(shop, client_id="other"))
    assert Application.objects.filter(client_id="acme-shop").exists()
    assert not Application.objects.filter(client_id="other").exists()


# ---- the built-in Organization Portal ------------------------------------------------------


def test_the_portal_keeps_its_client_id_kind_and_organizations(world, brand_client, portal):
    response = brand_client.post(
        detail(portal),
        {
            "name": "Partner Portal",
            "kind": "web",
            "client_id": "hijacked",
            "builtin": "",
            "redirect_uris": "https://portal.acme.test/cb",
            "branding_policy": str(portal.branding_policy_id),
        },  # organizations_enabled left out: off
    )
    assert response.status_code == 302
    portal.refresh_from_db()
    assert portal.name == "Partner Portal"  # the name may change
    assert portal.redirect_uris == ["https://portal.acme.test/cb"]
    assert portal.client_id == PORTAL_CLIENT_ID and portal.kind == "portal" and portal.builtin
    assert portal.organizations_enabled
    page = brand_client.get(detail(portal)).content.decode()
    assert re.search(r'<select name="kind"[^>]* disabled', page)


def test_the_portal_cannot_be_deleted(world, brand_client, portal):
    url = delete_url(portal)
    page = brand_client.get(url).content.decode()
    assert "cannot be deleted" in page and 'name="confirm"' not in page
    response = brand_client.post(url, {"confirm": PORTAL_CLIENT_ID})
    assert response.status_code == 400 and "cannot be deleted" in response.content.decode()
    assert Application.objects.filter(pk=portal.pk).exists()
    assert not Event.objects.filter(type="application.deleted").exists()


def test_the_actions_protect_the_portal(world, portal):
    with pytest.raises(ApplicationError, match="kind"):
        update_application(actor=SYSTEM, application=portal, kind="web")
    with pytest.raises(ApplicationError, match="built-in"):
        update_application(actor=SYSTEM, application=portal, organizations_enabled=False)
    with pytest.raises(ApplicationError, match="cannot be deleted"):
        delete_application(actor=SYSTEM, application=portal)
    portal.refresh_from_db()
    assert portal.kind == "portal" and portal.organizations_enabled


# ---- delete ------------------------------------------------------------------------------


def test_delete_an_unused_application(world, brand, brand_client, shop):
    url = delete_url(shop)
    page = brand_client.get(url).content.decode()
    assert 'name="confirm"' in page
    wrong = brand_client.post(url, {"confirm": "Acme Shop"})
    assert wrong.status_code == 400 and "not the application" in wrong.content.decode()
    assert Application.objects.filter(pk=shop.pk).exists()
    response = brand_client.post(url, {"confirm": "acme-shop"})
    assert response.status_code == 302 and response["Location"] == LIST
    assert not Application.objects.filter(pk=shop.pk).exists()
    event = Event.objects.get(type="application.deleted")
    assert event.actor == brand
    assert event.metadata == {"client_id": "acme-shop", "name": "Acme Shop", "kind": "spa"}


def test_an_application_in_use_cannot_be_deleted(world, brand_client, shop):
    create_organization(actor=SYSTEM, name="Shop Org", application=shop)
    url = delete_url(shop)
    page = brand_client.get(url).content.decode()
    assert "1 organization uses it" in page and 'name="confirm"' not in page
    assert f"?application={shop.pk}" in page
    response = brand_client.post(url, {"confirm": "acme-shop"})
    assert response.status_code == 400 and "1 organization uses it" in response.content.decode()
    assert Application.objects.filter(pk=shop.pk).exists()
    assert not Event.objects.filter(type="application.deleted").exists()


def test_an_application_invitations_were_sent_for_cannot_be_deleted(world, shop):
    from orgdesk.invitations.models import Invitation

    Invitation.objects.create(
        organization=world.emea,
        email="new@acme.test",
        application=shop,
        token_hash="0" * 64,
        expires=timezone.now() + timedelta(days=7),
    )
    with pytest.raises(ApplicationError, match="1 invitation was sent"):
        delete_application(actor=SYSTEM, application=shop)
    assert Application.objects.filter(pk=shop.pk).exists()


def test_delete_asks_for_a_recent_sign_in(world, brand, shop):
    client = signed_in(brand, auth_age_seconds=3600)
    response = client.post(delete_url(shop), {"confirm": "acme-shop"})
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("portal:step_up"))
    assert Application.objects.filter(pk=shop.pk).exists()


# ---- the actions ---------------------------------------------------------------------------


def test_the_actions_refuse_organization_admins(world, shop):
    actor = Actor.admin(world.admin)
    before = stored()
    for call in (
        lambda: create_application(actor=actor, name="X", client_id="x"),
        lambda: update_application(actor=actor, application=shop, name="X"),
        lambda: delete_application(actor=actor, application=shop),
    ):
        with pytest.raises(PermissionDenied):
            call()
    assert stored() == before


def test_update_keeps_what_it_is_not_given(world, shop):
    app = update_application(actor=SYSTEM, application=shop, name="Only the name", kind=KEEP)
    assert (app.name, app.kind, app.redirect_uris) == (
        "Only the name",
        "spa",
        ["https://shop.acme.test/callback"],
    )


def test_the_actions_refuse_an_unknown_kind_and_a_deleted_policy(world, shop):
    with pytest.raises(ApplicationError, match="kind") as refused:
        create_application(actor=SYSTEM, name="X", client_id="x", kind="nonsense")
    assert refused.value.field == "kind"
    with pytest.raises(ApplicationError, match="Organization portal kind"):
        create_application(actor=SYSTEM, name="X", client_id="x", kind="portal")
    gone = BrandingPolicy.objects.create(name="Gone")
    BrandingPolicy.objects.filter(pk=gone.pk).delete()
    with pytest.raises(ApplicationError, match="no longer exists"):
        update_application(actor=SYSTEM, application=shop, branding_policy=gone)


def test_redirect_uris_allowed():
    assert clean_redirect_uris(
        [
            "https://shop.test/cb?x=1",
            "https://shop.test:8443/a/b",
            "http://localhost:3000/cb",
            "http://127.0.0.1/cb",
            "HTTPS://Shop.test/cb",
            "",
            "  ",
        ]
    ) == [
        "https://shop.test/cb?x=1",
        "https://shop.test:8443/a/b",
        "http://localhost:3000/cb",
        "http://127.0.0.1/cb",
        "HTTPS://Shop.test/cb",
    ]
