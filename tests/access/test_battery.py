"""Every action and portal view on tenant data, against another organization (404) and
without the permission (403). Cases live in orgdesk/testing/battery.py."""

import pytest
from django.core.exceptions import PermissionDenied
from django.http import Http404

from orgdesk.access.permissions import BUILTIN_ROLES
from orgdesk.testing.actors import fresh
from orgdesk.testing.auth import portal_login
from orgdesk.testing.battery import ACTION_CASES, VIEW_CASES

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("case", ACTION_CASES, ids=lambda c: c.name)
@pytest.mark.parametrize("where", ["outside", "foreign"])
def test_action_on_another_organization_is_404(world, case, where):
    with pytest.raises(Http404):
        case.run(world, fresh(world.admin), world.customer_in(where))


@pytest.mark.parametrize("case", ACTION_CASES, ids=lambda c: c.name)
def test_action_without_permission_is_403(world, case):
    with pytest.raises(PermissionDenied) as caught:
        case.run(world, fresh(world.viewer), world.inside)
    assert case.permission in str(caught.value)


@pytest.mark.parametrize("case", ACTION_CASES, ids=lambda c: c.name)
def test_action_with_permission_succeeds(world, case):
    # The negative cases above mean something only if the same call works when allowed.
    case.run(world, fresh(world.admin), world.inside)


@pytest.mark.parametrize("case", ACTION_CASES, ids=lambda c: c.name)
def test_cross_organization_grant_reaches_its_subtree_only(world, case):
    # cross lives in Acme / EMEA / Germany and manages Acme / Americas (Organization manager).
    with pytest.raises(Http404):
        case.run(world, fresh(world.cross), world.inside)
    if case.permission in BUILTIN_ROLES["organization-manager"][2]:
        case.run(world, fresh(world.cross), world.outside)
    else:
        with pytest.raises(PermissionDenied):
            case.run(world, fresh(world.cross), world.outside)


@pytest.mark.parametrize("case", VIEW_CASES, ids=lambda c: c.name)
def test_view_on_another_organization_is_404(client, world, case):
    portal_login(client, world.admin)
    call = getattr(client, case.method)
    for where in ("outside", "foreign"):
        assert call(case.url(world, world.customer_in(where)), case.data).status_code == 404, where
    assert call(case.url(world, world.inside), case.data).status_code in (200, 302)


FORBIDDEN_CASES = [
    pytest.param(
        case,
        marks=[pytest.mark.xfail(strict=True, raises=AssertionError, reason=case.forbidden_bug)]
        if case.forbidden_bug
        else [],
        id=case.name,
    )
    for case in VIEW_CASES
    if case.permission
]


@pytest.mark.parametrize("case", FORBIDDEN_CASES)
def test_view_without_permission_is_403(client, world, case):
    # world.viewer holds accounts.view only, on Acme / EMEA: it sees world.inside.
    portal_login(client, world.viewer)
    call = getattr(client, case.method)
    assert call(case.url(world, world.inside), case.data).status_code == 403
    # and the admin, who holds the permission, is let through
    portal_login(client, world.admin)
    assert call(case.url(world, world.inside), case.data).status_code in (200, 302)
