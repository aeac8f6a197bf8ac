"""The Groups and Roles tabs of the Account details page: what they list, the actions they offer
(add to / remove from a group, assign / revoke a role) with their events, and every refusal:
no permission (403), other organizations (404), escalation, one's own roles, step-up, bad input.
"""

import uuid
from types import SimpleNamespace
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from django.contrib.messages import get_messages

from orgdesk.access.actions import grant_role
from orgdesk.access.models import OrgRole, RoleAssignment
from orgdesk.accounts.actions import create_account
from orgdesk.accounts.models import Group, GroupMembership
from orgdesk.activity.models import Event
from orgdesk.testing.actors import SYSTEM
from tests.detail_support import action_url, client_for, role, tab_url

pytestmark = pytest.mark.django_db


def messages_of(response: Any) -> list[str]:
    return [str(m.message) for m in get_messages(response.wsgi_request)]


def account_in(org: Any, email: str) -> Any:
    return create_account(
        actor=SYSTEM,
        organization=org,
        email=email,
        given_name=email.split("@")[0].title(),
        family_name="Test",
        password="correct horse battery staple",
    )


def admin_with(world: Any, email: str, *permissions: str, on: Any = None) -> Any:
    """An account of France holding a custom role with `permissions` on `on` (EMEA)."""
    account = account_in(world.france, email)
    custom, _ = OrgRole.objects.get_or_create(
        slug=email.split("@")[0], defaults={"name": email, "permissions": list(permissions)}
    )
    grant_role(actor=SYSTEM, account=account, organization=on or world.emea, role=custom)
    return account


# ---- Groups ----------------------------------------------------------------------------------


@pytest.fixture
def groups(world: Any) -> SimpleNamespace:
    make = Group.objects.create
    return SimpleNamespace(
        acme=make(organization=world.acme, name="All Acme"),  # above EMEA: not in reach
        emea=make(organization=world.emea, name="EMEA staff", description="Everyone in EMEA"),
        france=make(organization=world.france, name="France support"),
        germany=make(organization=world.germany, name="Germany ops"),  # a sibling branch
        americas=make(organization=world.americas, name="Americas sales"),
        globex=make(organization=world.globex_eu, name="Intruders"),
    )


def groups_url(world: Any, account: Any = None, org: Any = None) -> str:
    return tab_url(org or world.emea, account or world.inside, "groups")


def add_url(world: Any, account: Any = None, org: Any = None) -> str:
    return action_url("account_groups_add", org or world.emea, account or world.inside)


def remove_url(world: Any, group: Any, account: Any = None, org: Any = None) -> str:
    return action_url("account_groups_remove", org or world.emea, account or world.inside, group.pk)


def test_groups_tab_lists_visible_memberships_and_offers_joinable_groups(
    admin_client, world, groups
):
    GroupMembership.objects.create(account=world.inside, group=groups.france)
    GroupMembership.objects.create(account=world.inside, group=groups.acme)
    response = admin_client.get(groups_url(world))
    assert response.status_code == 200
    html = response.content.decode()
    assert [m.group.name for m in response.context["page"].rows] == ["France support"]
    assert "France support" in html and world.france.name in html
    # a group above the admin's reach is neither listed nor offered
    assert "All Acme" not in html
    assert "Add to group" in html
    offered = [g.name for _, gs in response.context["group_choices"] for g in gs]
    # the account's organization and those above it, up to EMEA; not joined, not a sibling
    assert offered == ["EMEA staff"]
    assert "Germany ops" not in html and "Intruders" not in html and "Americas" not in html
    assert "Remove from group" in html
    assert action_url("account_groups_remove", world.emea, world.inside, groups.france.pk) in html


def test_groups_seen_from_france_offer_only_france_groups(admin_client, world, groups):
    response = admin_client.get(groups_url(world, org=world.france))
    offered = [g.name for _, gs in response.context["group_choices"] for g in gs]
    assert offered == ["France support"]


def test_groups_tab_empty_state(admin_client, world):
    response = admin_client.get(groups_url(world))
    assert response.status_code == 200
    html = response.content.decode()
    assert "This account is not a member of any group." in html
    assert "There is no other group this account can join." in html


def test_groups_tab_without_manage_permission_is_read_only(world, groups):
    GroupMembership.objects.create(account=world.inside, group=groups.france)
    reader = admin_with(world, "reader@acme.test", "accounts.view", "groups.view")
    response = client_for(reader).get(groups_url(world))
    assert response.status_code == 200
    html = response.content.decode()
    assert "France support" in html
    assert "Add to group" not in html and "Remove from group" not in html


def test_add_to_group_records_the_membership_and_event(admin_client, world, groups):
    response = admin_client.post(add_url(world), {"group": str(groups.emea.pk)})
    assert response.status_code == 302
    assert response["Location"] == groups_url(world)
    assert GroupMembership.objects.filter(account=world.inside, group=groups.emea).exists()
    event = Event.objects.get(type="group.member_added")
    assert (event.account_id, event.actor_id) == (world.inside.pk, world.admin.pk)
    assert event.metadata["group"] == str(groups.emea.pk)
    assert event.metadata["group_name"] == "EMEA staff"
    assert messages_of(response) == ["Inside Test added to EMEA staff."]
    page = admin_client.get(groups_url(world)).content.decode()
    assert "EMEA staff" in page


def test_adding_twice_says_so_and_writes_nothing_more(admin_client, world, groups):
    admin_client.post(add_url(world), {"group": str(groups.france.pk)})
    response = admin_client.post(add_url(world), {"group": str(groups.france.pk)})
    assert response.status_code == 302
    assert messages_of(response)[-1:] == ["Inside Test is already a member of France support."]
    assert GroupMembership.objects.filter(account=world.inside).count() == 1
    assert Event.objects.filter(type="group.member_added").count() == 1


@pytest.mark.parametrize(
    "value",
    ["", "garbage", str(uuid.UUID(int=7)), "germany", "globex", "acme", "americas"],
)
def test_add_refuses_groups_not_on_the_list(admin_client, world, groups, value):
    if value in {"germany", "globex", "acme", "americas"}:
        value = str(getattr(groups, value).pk)
    response = admin_client.post(add_url(world), {"group": value})
    assert response.status_code == 302
    assert messages_of(response) == ["Choose a group from the list."]
    assert not GroupMembership.objects.exists()
    assert not Event.objects.filter(type="group.member_added").exists()


def test_add_from_france_cannot_reach_an_emea_group(admin_client, world, groups):
    response = admin_client.post(add_url(world, org=world.france), {"group": str(groups.emea.pk)})
    assert messages_of(response) == ["Choose a group from the list."]
    assert not GroupMembership.objects.exists()


def test_remove_from_group_records_the_event(admin_client, world, groups):
    GroupMembership.objects.create(account=world.inside, group=groups.france)
    response = admin_client.post(remove_url(world, groups.france))
    assert response.status_code == 302
    assert response["Location"] == groups_url(world)
    assert not GroupMembership.objects.filter(account=world.inside).exists()
    event = Event.objects.get(type="group.member_removed")
    assert (event.account_id, event.actor_id) == (world.inside.pk, world.admin.pk)
    assert event.metadata["group"] == str(groups.france.pk)
    assert messages_of(response) == ["Inside Test removed from France support."]
    # a second submission says the account is no longer a member
    response = admin_client.post(remove_url(world, groups.france))
    assert response.status_code == 302
    assert messages_of(response)[-1:] == ["Inside Test is not a member of France support."]
    assert Event.objects.filter(type="group.member_removed").count() == 1


@pytest.mark.parametrize("where", ["acme", "globex", "unknown"])
def test_remove_a_group_out_of_reach_is_404(admin_client, world, groups, where):
    group = getattr(groups, where, None) or SimpleNamespace(pk=uuid.uuid4())
    if where == "acme":
        GroupMembership.objects.create(account=world.inside, group=groups.acme)
    response = admin_client.post(remove_url(world, group))
    assert response.status_code == 404
    assert GroupMembership.objects.filter(account=world.inside).count() == (where == "acme")
    assert not Event.objects.filter(type="group.member_removed").exists()


def test_remove_with_a_garbage_group_id_is_404(admin_client, world):
    url = action_url("account_groups_add", world.emea, world.inside).replace("add", "nope/remove")
    assert admin_client.post(url).status_code == 404


def test_group_actions_need_groups_manage(world, groups):
    GroupMembership.objects.create(account=world.inside, group=groups.france)
    client = client_for(world.viewer)
    assert client.post(add_url(world), {"group": str(groups.emea.pk)}).status_code == 403
    assert client.post(remove_url(world, groups.france)).status_code == 403
    assert GroupMembership.objects.filter(account=world.inside).count() == 1
    assert not Event.objects.filter(type__startswith="group.").exists()
    # and the tab itself is not offered to the viewer
    response = client.get(groups_url(world))
    assert response.status_code == 302
    assert response["Location"] == tab_url(world.emea, world.inside, "overview")


@pytest.mark.parametrize("where", ["outside", "foreign"])
def test_group_actions_on_other_organizations_are_404(admin_client, world, groups, where):
    customer = world.customer_in(where)
    group = groups.americas if where == "outside" else groups.globex
    GroupMembership.objects.create(account=customer, group=group)
    for org in (world.emea, customer.organization):
        assert (
            admin_client.post(add_url(world, customer, org), {"group": str(group.pk)}).status_code
            == 404
        )
        assert admin_client.post(remove_url(world, group, customer, org)).status_code == 404
    assert GroupMembership.objects.filter(account=customer).count() == 1
    assert not Event.objects.filter(type__startswith="group.").exists()


def test_group_actions_only_accept_post(admin_client, world, groups):
    assert admin_client.get(add_url(world)).status_code == 405
    assert admin_client.get(remove_url(world, groups.france)).status_code == 405


# ---- Roles -----------------------------------------------------------------------------------


def roles_url(world: Any, account: Any = None, org: Any = None) -> str:
    return tab_url(org or world.emea, account or world.inside, "roles")


def assign_url(world: Any, account: Any = None, org: Any = None) -> str:
    return action_url("account_roles_assign", org or world.emea, account or world.inside)


def revoke_url(world: Any, assignment: Any, account: Any = None, org: Any = None) -> str:
    pk = getattr(assignment, "pk", assignment)
    return action_url("account_roles_revoke", org or world.emea, account or world.inside, pk)


def assign_form(organization: Any, the_role: Any, reason: str = "") -> dict[str, str]:
    return {"organization": str(organization.pk), "role": str(the_role.pk), "reason": reason}


def test_roles_tab_lists_visible_grants_and_offers_assignable_ones(admin_client, world):
    grant_role(actor=SYSTEM, account=world.inside, organization=world.france, role=role("viewer"))
    OrgRole.objects.create(
        slug="vault", name="Vault keeper", permissions=["accounts.view"], protected=True
    )
    response = admin_client.get(roles_url(world))
    assert response.status_code == 200
    html = response.content.decode()
    rows = response.context["page"].rows
    assert [(r.organization, r.role.name) for r in rows] == [(world.france, "Viewer")]
    assert world.france.route in html and "Viewer" in html
    assert "Revoke role" in html
    orgs = [o.route for o in response.context["assign_organizations"]]
    assert orgs == ["Acme / EMEA", "Acme / EMEA / France", "Acme / EMEA / Germany"]
    offered = [r.name for r in response.context["assign_roles"]]
    assert offered == ["Account recovery assistant", "Admin", "Organization manager", "Viewer"]
    assert "Vault keeper" not in html and "Americas" not in html and "Globex" not in html

    # A grant on Americas, outside the admin's reach, is not shown; but it makes the account
    # hold permissions the admin lacks there, so the account is read-only to them.
    grant_role(
        actor=SYSTEM,
        account=world.inside,
        organization=world.americas,
        role=role("account-recovery-assistant"),
    )
    response = admin_client.get(roles_url(world))
    html = response.content.decode()
    assert [(r.organization, r.role.name) for r in response.context["page"].rows] == [
        (world.france, "Viewer")
    ]
    assert "Account recovery assistant" not in html.split("<tbody>")[1]
    assert "read-only to you" in html and "Americas" not in html
    assert "Revoke role" not in html and "assign_roles" not in response.context


def test_roles_tab_empty_state(admin_client, world):
    html = admin_client.get(roles_url(world)).content.decode()
    assert "This account holds no organization role you can see." in html
    assert "Assign role" in html


def test_assign_role_records_the_grant_and_event(admin_client, world):
    response = admin_client.post(
        assign_url(world),
        assign_form(world.france, role("account-recovery-assistant"), "Helpdesk shift"),
    )
    assert response.status_code == 302
    assert response["Location"] == roles_url(world)
    grant = RoleAssignment.objects.get(account=world.inside)
    assert (grant.organization, grant.role.slug, grant.granted_by) == (
        world.france,
        "account-recovery-assistant",
        world.admin,
    )
    event = Event.objects.get(type="role.granted", account=world.inside)
    assert event.actor_id == world.admin.pk
    assert event.metadata == {
        "role": "account-recovery-assistant",
        "organization": str(world.france.pk),
        "reason": "Helpdesk shift",
    }
    assert messages_of(response) == [
        "Role Account recovery assistant granted to Inside Test on Acme / EMEA / France."
    ]


def test_assigning_twice_says_so(admin_client, world):
    form = assign_form(world.france, role("viewer"))
    admin_client.post(assign_url(world), form)
    response = admin_client.post(assign_url(world), form)
    assert response.status_code == 302
    assert messages_of(response)[-1:] == [
        "Inside Test already holds the role Viewer on Acme / EMEA / France."
    ]
    assert RoleAssignment.objects.filter(account=world.inside).count() == 1
    assert Event.objects.filter(type="role.granted", account=world.inside).count() == 1


@pytest.fixture
def delegator(world: Any) -> Any:
    """Organization manager on EMEA plus roles.assign: may grant, but not more than it holds."""
    account = account_in(world.france, "delegator@acme.test")
    assigner, _ = OrgRole.objects.get_or_create(
        slug="assigner", defaults={"name": "Assigner", "permissions": ["roles.assign"]}
    )
    grant_role(
        actor=SYSTEM, account=account, organization=world.emea, role=role("organization-manager")
    )
    grant_role(actor=SYSTEM, account=account, organization=world.emea, role=assigner)
    return account


def test_a_delegator_is_not_offered_and_cannot_grant_admin(world, delegator):
    client = client_for(delegator)
    response = client.get(roles_url(world))
    offered = [r.name for r in response.context["assign_roles"]]
    assert "Admin" not in offered and "Organization manager" in offered
    response = client.post(assign_url(world), assign_form(world.france, role("admin")))
    assert response.status_code == 302
    assert messages_of(response) == [
        "You can only assign roles whose permissions you hold on this organization."
    ]
    assert not RoleAssignment.objects.filter(account=world.inside).exists()
    assert not Event.objects.filter(type="role.granted", account=world.inside).exists()
    # nor revoke the Admin role of someone else
    admin_grant = RoleAssignment.objects.get(account=world.admin)
    response = client.post(revoke_url(world, admin_grant, world.admin))
    assert messages_of(response)[-1:] == [
        "You can only assign roles whose permissions you hold on this organization."
    ]
    assert RoleAssignment.objects.filter(pk=admin_grant.pk).exists()


def test_protected_roles_are_refused_to_organization_admins(admin_client, world):
    vault = OrgRole.objects.create(
        slug="vault", name="Vault keeper", permissions=["accounts.view"], protected=True
    )
    response = admin_client.post(assign_url(world), assign_form(world.france, vault))
    assert messages_of(response) == ["This role is protected: only brand admins assign it."]
    assert not RoleAssignment.objects.filter(account=world.inside).exists()


def test_an_organization_manager_cannot_assign_roles_at_all(world):
    # world.cross is Organization manager on Americas: no roles.assign.
    client = client_for(world.cross)
    response = client.get(roles_url(world, world.outside, world.americas))
    assert response.status_code == 200
    assert "Assign role" not in response.content.decode()
    response = client.post(
        assign_url(world, world.outside, world.americas), assign_form(world.americas, role("admin"))
    )
    assert response.status_code == 403
    assert not RoleAssignment.objects.filter(account=world.outside).exists()


def test_an_admin_cannot_change_their_own_roles(admin_client, world):
    own = RoleAssignment.objects.get(account=world.admin)
    response = admin_client.get(roles_url(world, world.admin))
    assert response.status_code == 200
    html = response.content.decode()
    assert "You cannot change your own roles" in html
    assert "Assign role" not in html and "Revoke role" not in html
    response = admin_client.post(
        assign_url(world, world.admin), assign_form(world.germany, role("viewer"))
    )
    assert messages_of(response) == ["You cannot change your own roles."]
    response = admin_client.post(revoke_url(world, own, world.admin))
    assert messages_of(response)[-1:] == ["You cannot change your own roles."]
    assert list(RoleAssignment.objects.filter(account=world.admin)) == [own]
    assert not Event.objects.filter(
        type__in=["role.granted", "role.revoked"], actor=world.admin
    ).exists()


def test_role_changes_need_a_recent_sign_in(stale_admin_client, world):
    grant = grant_role(
        actor=SYSTEM, account=world.inside, organization=world.france, role=role("viewer")
    )[0]
    for url, data in (
        (assign_url(world), assign_form(world.germany, role("viewer"))),
        (revoke_url(world, grant), {}),
    ):
        response = stale_admin_client.post(url, data)
        assert response.status_code == 302
        target = urlsplit(response["Location"])
        assert target.path == "/portal/step-up"
        assert parse_qs(target.query)["next"] == [roles_url(world)]
    assert list(RoleAssignment.objects.filter(account=world.inside)) == [grant]
    assert not Event.objects.filter(
        type__in=["role.granted", "role.revoked"], actor=world.admin
    ).exists()


def test_revoke_role_records_the_event(admin_client, world):
    grant = grant_role(
        actor=SYSTEM, account=world.inside, organization=world.france, role=role("viewer")
    )[0]
    response = admin_client.post(revoke_url(world, grant), {"reason": "Left the team"})
    assert response.status_code == 302
    assert response["Location"] == roles_url(world)
    assert not RoleAssignment.objects.filter(pk=grant.pk).exists()
    event = Event.objects.get(type="role.revoked")
    assert (event.account_id, event.actor_id) == (world.inside.pk, world.admin.pk)
    assert event.metadata == {
        "role": "viewer",
        "organization": str(world.france.pk),
        "reason": "Left the team",
    }
    assert messages_of(response) == [
        "Role Viewer revoked from Inside Test on Acme / EMEA / France."
    ]
    # a second submission finds nothing to revoke
    assert admin_client.post(revoke_url(world, grant)).status_code == 404


def test_revoking_another_accounts_or_an_unknown_assignment_is_404(admin_client, world):
    viewer_grant = RoleAssignment.objects.get(account=world.viewer)  # in reach, other account
    foreign_grant = grant_role(
        actor=SYSTEM, account=world.foreign, organization=world.globex, role=role("viewer")
    )[0]
    americas_grant = grant_role(
        actor=SYSTEM, account=world.inside, organization=world.americas, role=role("viewer")
    )[0]  # the right account, but on an organization out of reach
    for target in (viewer_grant, foreign_grant, americas_grant, 987654321, 10**20):
        assert admin_client.post(revoke_url(world, target)).status_code == 404
    assert (
        RoleAssignment.objects.filter(
            pk__in=[viewer_grant.pk, foreign_grant.pk, americas_grant.pk]
        ).count()
        == 3
    )
    assert not Event.objects.filter(type="role.revoked").exists()


@pytest.mark.parametrize("where", ["outside", "foreign"])
def test_role_actions_on_other_organizations_are_404(admin_client, world, where):
    customer = world.customer_in(where)
    grant = grant_role(
        actor=SYSTEM, account=customer, organization=customer.organization, role=role("viewer")
    )[0]
    for org in (world.emea, customer.organization):
        response = admin_client.post(
            assign_url(world, customer, org), assign_form(customer.organization, role("viewer"))
        )
        assert response.status_code == 404
        assert admin_client.post(revoke_url(world, grant, customer, org)).status_code == 404
    assert list(RoleAssignment.objects.filter(account=customer)) == [grant]


def test_role_actions_need_roles_assign(world):
    grant = grant_role(
        actor=SYSTEM, account=world.inside, organization=world.france, role=role("viewer")
    )[0]
    viewer = client_for(world.viewer)
    assert (
        viewer.post(assign_url(world), assign_form(world.france, role("viewer"))).status_code == 403
    )
    auditor = client_for(admin_with(world, "auditor@acme.test", "accounts.view", "roles.view"))
    page = auditor.get(roles_url(world))
    assert page.status_code == 200
    html = page.content.decode()
    assert "Viewer" in html and "Revoke role" not in html and "Assign role" not in html
    assert auditor.post(revoke_url(world, grant)).status_code == 403
    assert (
        auditor.post(assign_url(world), assign_form(world.france, role("viewer"))).status_code
        == 403
    )
    assert list(RoleAssignment.objects.filter(account=world.inside)) == [grant]


@pytest.mark.parametrize(
    "field,value,message",
    [
        ("organization", "", "Choose an organization from the list."),
        ("organization", "garbage", "Choose an organization from the list."),
        ("organization", str(uuid.UUID(int=3)), "Choose an organization from the list."),
        ("organization", "americas", "Choose an organization from the list."),
        ("organization", "acme", "Choose an organization from the list."),
        ("organization", "globex", "Choose an organization from the list."),
        ("role", "", "Choose a role from the list."),
        ("role", "garbage", "Choose a role from the list."),
        ("role", str(uuid.UUID(int=3)), "Choose a role from the list."),
    ],
)
def test_assign_refuses_bad_input(admin_client, world, field, value, message):
    form = assign_form(world.france, role("viewer"))
    form[field] = str(getattr(world, value).pk) if hasattr(world, value) else value
    response = admin_client.post(assign_url(world), form)
    assert response.status_code == 302
    assert messages_of(response) == [message]
    assert not RoleAssignment.objects.filter(account=world.inside).exists()


def test_a_grant_error_is_shown_not_a_500(admin_client, world, monkeypatch):
    from orgdesk.access.actions import GrantError
    from orgdesk.portal.details import roles

    def refuse(**kwargs: Any) -> Any:
        raise GrantError("Not in this identity store.")

    monkeypatch.setattr(roles, "grant_role", refuse)
    response = admin_client.post(assign_url(world), assign_form(world.france, role("viewer")))
    assert response.status_code == 302
    assert messages_of(response) == ["Not in this identity store."]


def test_role_actions_only_accept_post(admin_client, world):
    assert admin_client.get(assign_url(world)).status_code == 405
    assert admin_client.get(revoke_url(world, 1)).status_code == 405
