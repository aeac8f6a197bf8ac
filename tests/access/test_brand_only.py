"""Brand-wide actions (access.scoping.require_brand): defining roles, the security policy, and
brand admins' own accounts are for brand admins and the system only — an organization's Admin,
however fresh their sign-in, is refused and nothing is written."""

from typing import Any

import pytest
from django.core.exceptions import PermissionDenied

from orgdesk.access.actions import create_role
from orgdesk.access.models import OrgRole
from orgdesk.accounts.actions import create_account, send_password_link
from orgdesk.accounts.models import Account
from orgdesk.activity.models import Event
from orgdesk.security.actions import send_enrolment_link, update_security_policy
from orgdesk.security.models import SecurityPolicy
from orgdesk.testing.actors import SYSTEM, fresh
from tests.factories import make_account

pytestmark = pytest.mark.django_db


def test_an_organization_admin_is_refused_every_brand_action(world: Any) -> None:
    admin = fresh(world.admin)
    brand = make_account(None, email="ops@brand.test", is_staff=True)
    events = Event.objects.count()
    with pytest.raises(PermissionDenied, match="define organization roles"):
        create_role(actor=admin, name="Auditor", permissions=["accounts.view"])
    with pytest.raises(PermissionDenied, match="security policy"):
        update_security_policy(actor=admin, require_admin_mfa=True)
    with pytest.raises(PermissionDenied, match="create brand admins"):
        create_account(actor=admin, organization=None, email="new@brand.test", is_staff=True)
    with pytest.raises(PermissionDenied, match="manage brand admins"):
        send_password_link(actor=admin, account=brand, purpose="password_reset")
    with pytest.raises(PermissionDenied, match="manage brand admins"):
        send_enrolment_link(actor=admin, account=brand, method="totp", reason="lost phone")
    assert not OrgRole.objects.filter(name="Auditor").exists()
    assert not SecurityPolicy.current().require_admin_mfa
    assert not Account.objects.filter(email="new@brand.test").exists()
    assert Event.objects.count() == events


@pytest.mark.parametrize("who", ["brand", "system"])
def test_brand_admins_and_the_system_may(world: Any, who: str) -> None:
    brand = make_account(None, email="ops@brand.test", is_staff=True)
    actor = SYSTEM if who == "system" else fresh(brand)
    role = create_role(actor=actor, name="Auditor", permissions=["accounts.view"])
    assert role.permission_set == {"accounts.view"}
    update_security_policy(actor=actor, require_admin_mfa=True)
    assert SecurityPolicy.current().require_admin_mfa
    created = create_account(actor=actor, organization=None, email="new@brand.test", is_staff=True)
    assert created.is_staff and created.organization is None
