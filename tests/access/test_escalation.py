"""Delegation cannot escalate (DESIGN §4)."""

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.utils import timezone

from orgdesk.access.actions import EscalationRefused, GrantError, grant_role, revoke_role
from orgdesk.access.actor import Actor
from orgdesk.access.models import OrgRole, RoleAssignment
from orgdesk.accounts.actions import disable_account, enable_account, set_password
from orgdesk.activity.models import Event
from orgdesk.security.actions import clear_sessions, remove_authenticator
from orgdesk.security.models import Authenticator, CustomerSession
from orgdesk.security.stepup import StepUpRequired
from orgdesk.testing.actors import SYSTEM, as_admin, fresh
from orgdesk.testing.world import role

pytestmark = pytest.mark.django_db


@pytest.fixture
def manager(world):
    """An Organization manager on EMEA who also holds roles.assign through a custom role."""
    from orgdesk.accounts.actions import create_account

    account = create_account(
        actor=SYSTEM,
        organization=world.france,
        email="mgr@acme.test",
        password="correct horse battery staple",
    )
    assigner, _ = OrgRole.objects.get_or_create(
        slug="assigner",
        defaults={"name": "Assigner", "permissions": ["roles.assign", "accounts.view"]},
    )
    grant_role(
        actor=SYSTEM, account=account, organization=world.emea, role=role("organization-manager")
    )
    grant_role(actor=SYSTEM, account=account, organization=world.emea, role=assigner)
    return fresh(account)


def test_cannot_grant_a_role_above_ones_own(world, manager):
    with pytest.raises(EscalationRefused, match="permissions you hold"):
        grant_role(
            actor=as_admin(manager),
            account=world.inside,
            organization=world.france,
            role=role("admin"),
        )
    assert not RoleAssignment.objects.filter(account=world.inside).exists()
    # a role within one's own permissions is fine
    grant_role(
        actor=as_admin(manager),
        account=world.inside,
        organization=world.france,
        role=role("account-recovery-assistant"),
    )


def test_cannot_revoke_a_role_above_ones_own(world, manager):
    assignment = RoleAssignment.objects.get(account=world.admin, role__slug="admin")
    with pytest.raises(EscalationRefused):
        revoke_role(actor=as_admin(manager), assignment=assignment)
    assert RoleAssignment.objects.filter(pk=assignment.pk).exists()


def test_cannot_change_own_roles(world):
    admin = fresh(world.admin)
    with pytest.raises(EscalationRefused, match="your own roles"):
        grant_role(
            actor=admin,
            account=world.admin,
            organization=world.germany,
            role=role("organization-manager"),
        )
    assignment = RoleAssignment.objects.get(account=world.admin)
    with pytest.raises(EscalationRefused, match="your own roles"):
        revoke_role(actor=admin, assignment=assignment)


def test_cannot_grant_above_the_organizations_where_one_holds_rights(world):
    admin = fresh(world.admin)  # Admin on Acme / EMEA only: Acme itself is out of sight
    with pytest.raises(Http404):
        grant_role(
            actor=as_admin(admin),
            account=world.inside,
            organization=world.acme,
            role=role("account-recovery-assistant"),
        )


def test_protected_roles_are_for_brand_admins_only(world):
    protected = OrgRole.objects.create(
        name="Super", slug="super", permissions=["accounts.view"], protected=True
    )
    with pytest.raises(EscalationRefused, match="protected"):
        grant_role(
            actor=fresh(world.admin),
            account=world.inside,
            organization=world.france,
            role=protected,
        )
    from tests.factories import make_account

    brand = fresh(make_account(None, email="brand@brand.test", is_staff=True))
    grant_role(
        actor=as_admin(brand), account=world.inside, organization=world.france, role=protected
    )
    assignment = RoleAssignment.objects.get(role=protected)
    with pytest.raises(EscalationRefused, match="protected"):
        revoke_role(actor=fresh(world.admin), assignment=assignment)


def test_grants_stay_inside_one_identity_store(world):
    with pytest.raises(GrantError, match="same identity store"):
        grant_role(
            actor=SYSTEM, account=world.foreign, organization=world.france, role=role("admin")
        )


def test_cannot_disable_or_set_password_of_oneself(world):
    admin = fresh(world.admin)
    with pytest.raises(PermissionDenied, match="your own account"):
        disable_account(actor=admin, account=world.admin)
    with pytest.raises(PermissionDenied, match="your own account"):
        set_password(actor=admin, account=world.admin, password="another long passphrase")
    world.admin.refresh_from_db()
    assert world.admin.is_active


SENSITIVE = {
    "disable": lambda w, a: disable_account(actor=as_admin(a), account=w.inside),
    "set password": lambda w, a: set_password(
        actor=as_admin(a), account=w.inside, password="a long enough new passphrase"
    ),
    "remove authenticator": lambda w, a: remove_authenticator(
        actor=as_admin(a), authenticator=Authenticator.objects.get(account=w.inside)
    ),
    "grant role": lambda w, a: grant_role(
        actor=as_admin(a),
        account=w.inside,
        organization=w.france,
        role=role("account-recovery-assistant"),
    ),
    "clear sessions": lambda w, a: clear_sessions(actor=as_admin(a), account=w.inside),
}


@pytest.mark.parametrize("name", SENSITIVE)
def test_sensitive_actions_need_a_recent_sign_in(world, name):
    def admin(minutes_ago: float | None) -> Actor:
        at = None if minutes_ago is None else timezone.now() - dt.timedelta(minutes=minutes_ago)
        return Actor.admin(world.admin, authenticated_at=at)

    events_before = Event.objects.count()
    with pytest.raises(StepUpRequired):
        SENSITIVE[name](world, admin(11))
    with pytest.raises(StepUpRequired):
        SENSITIVE[name](world, admin(None))
    assert Event.objects.count() == events_before
    SENSITIVE[name](world, admin(9))


def test_sensitive_actions_record_reason_in_their_event(world):
    admin = fresh(world.admin)
    disable_account(actor=admin, account=world.inside, reason="fraud report #42")
    event = Event.objects.get(type="account.disabled")
    assert (event.actor_id, event.account_id) == (world.admin.id, world.inside.id)
    assert event.metadata == {"reason": "fraud report #42"}
    assert event.category == "admin_action"
    # disabling signs the customer out everywhere
    assert not CustomerSession.objects.filter(account=world.inside, revoked_at__isnull=True)
    enable_account(actor=as_admin(admin), account=world.inside)
    assert Event.objects.filter(type="account.enabled", account=world.inside).exists()


def test_clear_sessions_keeps_account_and_credentials(world):
    admin = fresh(world.admin)
    cleared = clear_sessions(actor=as_admin(admin), account=world.inside)
    assert cleared == 1
    world.inside.refresh_from_db()
    assert world.inside.is_active
    assert Authenticator.objects.filter(account=world.inside).exists()
    assert Event.objects.get(type="sessions.cleared").metadata["sessions"] == 1
