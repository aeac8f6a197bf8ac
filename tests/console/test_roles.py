"""The console's Roles section (orgdesk/console/roles.py): the roles with their permission and
grant counts, the permission catalogue, a role's page, and a brand-defined role's create,
edit and delete (access.actions create_role, update_role, delete_role) — each write with its
event in the same transaction, built-in roles read-only, bad input refused with nothing
stored, organization admins answered 404."""

import html
import re
from typing import Any

import pytest
from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.urls import reverse
from django.utils import translation

from orgdesk.access import actions
from orgdesk.access.models import OrgRole, RoleAssignment
from orgdesk.access.permissions import CATALOGUE
from orgdesk.activity.events import EVENT_TYPES, NOT_ABOUT_AN_ACCOUNT, label_of
from orgdesk.activity.models import Event
from orgdesk.testing.actors import SYSTEM, fresh
from tests.console.conftest import signed_in

pytestmark = pytest.mark.django_db

LIST = reverse("console:roles")
CREATE = reverse("console:role_create")


def page_of(slug: str) -> str:
    return reverse("console:role", args=[slug])


def delete_page(slug: str) -> str:
    return reverse("console:role_delete", args=[slug])


def role_names(response: Any) -> list[str]:
    found = re.findall(r'class="role-link"[^>]*>([^<]+)</a>', response.content.decode())
    return [html.unescape(name) for name in found]


def stored() -> tuple[Any, ...]:
    """What a refused write must leave as it was: every role as stored, and the events."""
    roles = tuple(
        OrgRole.objects.order_by("slug").values_list(
            "slug", "name", "description", "permissions", "protected"
        )
    )
    return roles, Event.objects.count()


@pytest.fixture
def auditor() -> OrgRole:
    """A brand-defined role no grant holds."""
    return actions.create_role(
        actor=SYSTEM,
        name="Auditor",
        description="Reads the activity log",
        permissions=["accounts.view", "activity.view"],
    )


def form_data(**overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "name": "Help desk",
        "description": "First line support",
        "permissions": ["accounts.view", "sessions.clear"],
    }
    data.update(overrides)
    return {key: value for key, value in data.items() if value is not None}


# ---- the list and the catalogue -----------------------------------------------------------


def test_the_list_shows_every_role_with_its_counts_and_badges(world, brand_client, auditor):
    response = brand_client.get(LIST)
    assert response.status_code == 200
    page = response.content.decode()
    names = role_names(response)
    assert {"Admin", "Organization manager", "Account recovery assistant", "Viewer"} <= set(names)
    assert "Auditor" in names
    assert names == sorted(names, key=str.casefold)
    grants = RoleAssignment.objects.filter(role__slug="viewer").count()
    assert grants >= 1
    viewer_row = re.search(r'href="/console/roles/viewer".*?</tr>', page, re.S)
    assert viewer_row is not None
    cells = re.findall(r'<td class="num">([^<]+)</td>', viewer_row.group(0))
    assert cells == ["1", str(grants)]
    auditor_row = re.search(r'href="/console/roles/auditor".*?</tr>', page, re.S)
    assert auditor_row is not None
    assert re.findall(r'<td class="num">([^<]+)</td>', auditor_row.group(0)) == ["2", "0"]
    admin_row = re.search(r'href="/console/roles/admin".*?</tr>', page, re.S)
    assert admin_row is not None and "Built-in" in admin_row.group(0)
    assert str(len(CATALOGUE)) in admin_row.group(0)
    # the catalogue as a reference
    for code, description in CATALOGUE.items():
        assert f"<code>{code}</code>" in page
        assert str(description) in page.replace("&#x27;", "'")
    assert reverse("console:role_create") in page


def test_the_list_counts_the_grants_in_one_grouped_query(
    world, brand_client, django_assert_max_num_queries
):
    for n in range(5):
        actions.create_role(actor=SYSTEM, name=f"Role {n}", permissions=["accounts.view"])
    brand_client.get(LIST)  # warm the session and preferences
    with django_assert_max_num_queries(12) as counted:
        brand_client.get(LIST)
    grants = [q["sql"] for q in counted.captured_queries if "access_roleassignment" in q["sql"]]
    assert len(grants) == 1 and "GROUP BY" in grants[0].upper()


def test_the_sidebar_leads_to_the_roles(world, brand_client):
    page = brand_client.get(reverse("console:home")).content.decode()
    assert f'href="{LIST}"' in page
    roles_page = brand_client.get(LIST).content.decode()
    assert re.search(rf'href="{LIST}" aria-current="page"', roles_page)


@pytest.fixture
def in_french(brand_client: Any) -> Any:
    """The brand admin's client in French. The request's LocaleMiddleware leaves French
    active in this thread after the response: put back what was active before."""
    brand_client.cookies[settings.LANGUAGE_COOKIE_NAME] = "fr"
    with translation.override(translation.get_language()):
        yield brand_client


def test_built_in_roles_show_their_name_in_the_admins_language(world, in_french):
    brand_client = in_french
    admin = OrgRole.objects.get(slug="organization-manager")
    with translation.override("fr"):
        french = admin.display_name
    assert french in role_names(brand_client.get(LIST))
    page = html.unescape(brand_client.get(page_of("organization-manager")).content.decode())
    assert f"<h1>{french} " in page


def test_a_protected_role_is_badged(world, brand_client):
    actions.create_role(
        actor=SYSTEM, name="Break glass", permissions=["accounts.view"], protected=True
    )
    row = re.search(
        r'href="/console/roles/break-glass".*?</tr>', brand_client.get(LIST).content.decode(), re.S
    )
    assert row is not None and "Protected" in row.group(0)


# ---- a role's page ------------------------------------------------------------------------


def test_a_built_in_role_is_read_only(world, brand_client):
    response = brand_client.get(page_of("account-recovery-assistant"))
    assert response.status_code == 200
    page = response.content.decode()
    assert "Read-only" in page and "cannot be renamed, changed or deleted" in page
    assert 'name="name"' not in page and delete_page("account-recovery-assistant") not in page
    assert str(CATALOGUE["accounts.reset_password"]) in page
    assert str(CATALOGUE["accounts.create"]) not in page


def test_editing_a_built_in_role_is_refused_and_nothing_changes(world, brand_client):
    before = stored()
    response = brand_client.post(
        page_of("admin"), form_data(name="Superuser", permissions=["accounts.view"])
    )
    assert response.status_code == 400
    assert "Built-in roles cannot be changed" in response.content.decode()
    assert stored() == before


def test_a_brand_defined_role_shows_its_permissions_grants_and_form(world, brand_client):
    response = brand_client.get(page_of("viewer"))
    assert response.status_code == 200
    page = response.content.decode()
    assert str(CATALOGUE["accounts.view"]) in page
    assert 'name="name" value="Viewer"' in page.replace("  ", " ")
    assert re.search(r'value="accounts.view"[^>]*checked', page)
    assert delete_page("viewer") in page
    assert "1 grant holds this role" in page


@pytest.mark.parametrize("slug", ["nope", "new-role", "NEW"])
def test_an_unknown_role_is_a_404(world, brand_client, slug):
    assert brand_client.get(page_of(slug)).status_code == 404
    assert brand_client.get(delete_page(slug)).status_code == 404


def test_role_pages_are_a_404_for_organization_admins(world, auditor):
    for who in (world.admin, world.viewer):
        client = signed_in(who)
        before = stored()
        for url in (LIST, CREATE, page_of("auditor"), delete_page("auditor"), page_of("admin")):
            assert client.get(url).status_code == 404, url
            assert client.post(url, form_data()).status_code == 404, url
        assert stored() == before


# ---- create -------------------------------------------------------------------------------


def test_create_a_role(world, brand, brand_client):
    response = brand_client.post(CREATE, form_data(protected="on"))
    role = OrgRole.objects.get(name="Help desk")
    assert response.status_code == 302 and response["Location"] == page_of("help-desk")
    assert (role.slug, role.permissions, role.protected, role.builtin) == (
        "help-desk",
        ["accounts.view", "sessions.clear"],
        True,
        False,
    )
    assert role.description == "First line support"
    event = Event.objects.get(type="role.created")
    assert event.actor == brand and event.metadata["role"] == "help-desk"
    assert event.metadata["permissions"] == ["accounts.view", "sessions.clear"]
    page = brand_client.get(response["Location"]).content.decode()
    assert "The role Help desk was created." in page


def test_a_role_never_takes_a_url_word_or_another_roles_slug(world, brand_client):
    brand_client.post(CREATE, form_data(name="New"))
    brand_client.post(CREATE, form_data(name="Help-desk!"))
    brand_client.post(CREATE, form_data(name="Help desk?"))
    assert OrgRole.objects.get(name="New").slug == "new-2"
    assert OrgRole.objects.get(name="Help-desk!").slug == "help-desk"
    assert OrgRole.objects.get(name="Help desk?").slug == "help-desk-2"
    assert brand_client.get(page_of("new-2")).status_code == 200
    assert brand_client.get(CREATE).status_code == 200


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (form_data(name=""), "This field is required"),
        (form_data(name="   "), "This field is required"),
        (form_data(name="X" * 151), "at most 150 characters"),
        (form_data(description="X" * 501), "at most 500 characters"),
        (form_data(name="VIEWER"), "already exists"),
        (form_data(name="admin"), "already exists"),
        (form_data(name="organization MANAGER"), "already exists"),
        (form_data(name="Organization-Manager"), "already exists"),  # another role's slug
        (form_data(permissions=None), "Choose at least one permission"),
        (form_data(permissions=["accounts.fly"]), "not one of the available choices"),
        (form_data(permissions=["accounts.view", "x\x00y"]), "not one of the available choices"),
        (form_data(name="Help\u202edesk"), "invisible characters"),
        (form_data(name="Help\x00desk"), "Null characters are not allowed"),
        (form_data(protected="maybe"), None),  # a checkbox: any value is "on"
    ],
)
def test_create_refuses_bad_input_and_stores_nothing(world, brand_client, data, message):
    before = stored()
    response = brand_client.post(CREATE, data)
    if message is None:
        assert response.status_code == 302
        return
    assert response.status_code == 400
    assert message in response.content.decode().replace("&quot;", '"')
    assert stored() == before


def test_an_empty_post_says_what_is_missing(world, brand_client):
    response = brand_client.post(CREATE, {})
    assert response.status_code == 400
    page = response.content.decode()
    assert "This field is required" in page and "Choose at least one permission" in page


def test_a_name_is_taken_by_a_built_in_role_in_any_language(world, brand_client):
    name = "Organization manager"
    with translation.override("fr"):
        french = translation.gettext(name)
    if french == name:
        pytest.skip("no French translation of the built-in role's name yet")
    before = stored()
    response = brand_client.post(CREATE, form_data(name=french.upper()))
    assert response.status_code == 400 and "already exists" in response.content.decode()
    assert stored() == before


# ---- update -------------------------------------------------------------------------------


def test_update_a_role(world, brand, brand_client, auditor):
    response = brand_client.post(
        page_of("auditor"),
        form_data(
            name="Security auditor",
            description="",
            permissions=["activity.view", "sessions.view"],
            protected="on",
        ),
    )
    assert response.status_code == 302 and response["Location"] == page_of("auditor")
    auditor.refresh_from_db()
    assert (auditor.name, auditor.slug, auditor.description, auditor.protected) == (
        "Security auditor",
        "auditor",
        "",
        True,
    )
    assert auditor.permissions == ["activity.view", "sessions.view"]
    event = Event.objects.get(type="role.updated")
    assert event.actor == brand and event.account is None and event.organization is None
    assert event.metadata == {
        "role": "auditor",
        "fields": ["description", "name", "permissions", "protected"],
        "name": {"from": "Auditor", "to": "Security auditor"},
        "description": {"from": "Reads the activity log", "to": ""},
        "permissions": {"added": ["sessions.view"], "removed": ["accounts.view"]},
        "protected": {"from": False, "to": True},
    }


def test_a_role_with_grants_changes_for_every_holder(world, brand_client):
    from orgdesk.access.actor import Actor
    from orgdesk.access.scoping import authority

    assert "sessions.view" not in authority(Actor.admin(world.viewer)).permissions_in(world.emea)
    response = brand_client.post(
        page_of("viewer"), form_data(name="Viewer", permissions=["accounts.view", "sessions.view"])
    )
    assert response.status_code == 302
    assert "sessions.view" in authority(Actor.admin(world.viewer)).permissions_in(world.emea)


def test_saving_without_a_change_records_nothing(world, brand_client, auditor):
    before = stored()
    response = brand_client.post(
        page_of("auditor"),
        form_data(
            name="Auditor",
            description="Reads the activity log",
            permissions=["activity.view", "accounts.view"],
        ),
    )
    assert response.status_code == 302
    assert stored() == before


def test_a_role_may_take_its_own_name_in_another_case(world, brand_client, auditor):
    response = brand_client.post(
        page_of("auditor"), form_data(name="AUDITOR", permissions=["accounts.view"])
    )
    assert response.status_code == 302
    auditor.refresh_from_db()
    assert auditor.name == "AUDITOR"


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (form_data(name=""), "This field is required"),
        (form_data(name="X" * 151), "at most 150 characters"),
        (form_data(name="viewer"), "already exists"),
        (form_data(name="Account Recovery Assistant"), "already exists"),
        (form_data(permissions=None), "Choose at least one permission"),
        (form_data(permissions=["roles.fly"]), "not one of the available choices"),
        (form_data(description="\u200b"), "invisible characters"),
    ],
)
def test_update_refuses_bad_input_and_changes_nothing(world, brand_client, auditor, data, message):
    before = stored()
    response = brand_client.post(page_of("auditor"), data)
    assert response.status_code == 400
    assert message in response.content.decode().replace("&quot;", '"')
    assert stored() == before


def test_update_asks_for_a_recent_sign_in(world, brand, auditor):
    client = signed_in(brand, auth_age_seconds=3600)
    assert client.get(page_of("auditor")).status_code == 200  # reading needs none
    before = stored()
    response = client.post(page_of("auditor"), form_data(name="Renamed"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("portal:step_up"))
    assert "next=%2Fconsole%2Froles%2Fauditor" in response["Location"]
    assert stored() == before


# ---- delete -------------------------------------------------------------------------------


def test_delete_a_role_no_grant_holds(world, brand, brand_client, auditor):
    page = brand_client.get(delete_page("auditor")).content.decode()
    assert "No grant holds this role" in page and 'class="btn destructive"' in page
    response = brand_client.post(delete_page("auditor"))
    assert response.status_code == 302 and response["Location"] == LIST
    assert not OrgRole.objects.filter(slug="auditor").exists()
    event = Event.objects.get(type="role.deleted")
    assert event.actor == brand
    assert event.metadata["role"] == "auditor" and event.metadata["name"] == "Auditor"
    assert event.metadata["permissions"] == ["accounts.view", "activity.view"]
    # the role's creation stays in the log
    assert Event.objects.filter(type="role.created", metadata__role="auditor").exists()
    assert "The role Auditor was deleted." in brand_client.get(LIST).content.decode()


def test_a_role_with_grants_cannot_be_deleted(world, brand_client):
    page = brand_client.get(delete_page("viewer")).content.decode()
    assert "cannot be deleted: 1 grant holds it" in page
    assert "<form" not in page.split('id="delete-title"')[1].split("</section>")[0]
    before = stored()
    response = brand_client.post(delete_page("viewer"))
    assert response.status_code == 400
    assert "cannot be deleted: 1 grant holds it. Revoke it first." in response.content.decode()
    assert stored() == before


def test_a_role_a_pending_invitation_gives_cannot_be_deleted(world, brand_client, auditor):
    from orgdesk.invitations.actions import invite

    invite(actor=SYSTEM, organization=world.emea, email="new@example.test", roles=[auditor])
    before = stored()
    response = brand_client.post(delete_page("auditor"))
    assert response.status_code == 400
    assert "1 pending invitation gives it" in response.content.decode()
    assert stored() == before


def test_a_built_in_role_cannot_be_deleted(world, brand_client):
    page = brand_client.get(delete_page("organization-manager")).content.decode()
    assert "cannot be deleted" in page
    before = stored()
    response = brand_client.post(delete_page("organization-manager"))
    assert response.status_code == 400
    assert "Built-in roles cannot be deleted" in response.content.decode()
    assert stored() == before


def test_delete_asks_for_a_recent_sign_in(world, brand, auditor):
    client = signed_in(brand, auth_age_seconds=3600)
    response = client.post(delete_page("auditor"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("portal:step_up"))
    assert OrgRole.objects.filter(slug="auditor").exists()


# ---- each write and its event are one transaction -----------------------------------------


@pytest.fixture
def failing_record(monkeypatch: Any, brand_client: Any) -> None:
    def failing(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("the event could not be written")

    monkeypatch.setattr(actions, "record", failing)
    brand_client.raise_request_exception = False


@pytest.mark.parametrize("write", ["create", "update", "delete"])
def test_a_write_and_its_event_are_one_transaction(
    world, brand_client, auditor, failing_record, write
):
    before = stored()
    url, data = {
        "create": (CREATE, form_data()),
        "update": (page_of("auditor"), form_data(name="Renamed")),
        "delete": (delete_page("auditor"), {}),
    }[write]
    response = brand_client.post(url, data)
    assert response.status_code == 500
    assert stored() == before


# ---- the actions, whoever calls them ------------------------------------------------------


def test_the_role_actions_refuse_organization_admins(world, auditor):
    admin = fresh(world.admin)
    before = stored()
    for call in (
        lambda: actions.create_role(actor=admin, name="Mine", permissions=["accounts.view"]),
        lambda: actions.update_role(
            actor=admin, role=auditor, name="Mine", permissions=["accounts.view"]
        ),
        lambda: actions.delete_role(actor=admin, role=auditor),
    ):
        with pytest.raises(PermissionDenied, match="define organization roles"):
            call()
    assert stored() == before


def test_the_actions_check_what_the_form_does_not(world, auditor):
    actions.create_role(actor=SYSTEM, name="école", permissions=["accounts.view"])
    before = stored()
    admin_role = OrgRole.objects.get(slug="admin")
    for call, message in (
        (
            lambda: actions.update_role(
                actor=SYSTEM, role=admin_role, name="Admin", permissions=["accounts.view"]
            ),
            "Built-in roles cannot be changed",
        ),
        (lambda: actions.delete_role(actor=SYSTEM, role=admin_role), "cannot be deleted"),
        (
            lambda: actions.update_role(
                actor=SYSTEM, role=auditor, name="Auditor", permissions=["nope"]
            ),
            "unknown permission: nope",
        ),
        (
            lambda: actions.update_role(actor=SYSTEM, role=auditor, name="Auditor", permissions=[]),
            "at least one permission",
        ),
        (
            lambda: actions.create_role(actor=SYSTEM, name="X" * 151, permissions=["a"]),
            "at most 150 characters",
        ),
        (
            lambda: actions.create_role(
                actor=SYSTEM, name="Y", permissions=["accounts.view"], description="d" * 501
            ),
            "at most 500 characters",
        ),
        (
            # beyond ASCII: SQLite's case-insensitive match would not see it
            lambda: actions.create_role(actor=SYSTEM, name="ÉCOLE", permissions=["accounts.view"]),
            "already exists",
        ),
    ):
        with pytest.raises(actions.GrantError, match=message):
            call()
    assert stored() == before


def test_the_refusals_are_translated(world, auditor):
    with translation.override("fr"), pytest.raises(actions.GrantError) as refused:
        actions.create_role(actor=SYSTEM, name="", permissions=["accounts.view"])
    with translation.override("fr"):
        expected = translation.gettext("A role needs a name of at most %(max)d characters.")
    assert str(refused.value) == expected % {"max": 150}


def test_the_role_events_are_catalogued_and_about_no_account(world):
    for event_type, label in (("role.updated", "Role updated"), ("role.deleted", "Role deleted")):
        assert EVENT_TYPES[event_type][0] == "admin_action"
        assert label_of(event_type) == label
        assert event_type in NOT_ABOUT_AN_ACCOUNT


def test_a_role_name_is_escaped(world, brand_client):
    brand_client.post(CREATE, form_data(name="<b>Bold</b> & co"))
    role = OrgRole.objects.get(name="<b>Bold</b> & co")
    for url in (LIST, page_of(role.slug), delete_page(role.slug)):
        page = brand_client.get(url).content.decode()
        assert "&lt;b&gt;Bold&lt;/b&gt; &amp; co" in page and "<b>Bold</b>" not in page
