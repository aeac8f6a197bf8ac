"""The resource battery through the portal's pages: for accounts and invitations, the list
shows the organization's own rows, a filter narrows, the search finds, the detail opens,
create and update work, 403 without the permission, 404 for another organization's object.

The resources and the checks live in orgdesk/testing/resources.py; this module only says
which surface they run on (the portal's). An API test module runs the same checks with its
own surface: the same eight tests, `SURFACE = ApiSurface()`.
"""

import pytest

from orgdesk.testing.resources import (
    OPS,
    OTHERS,
    RESOURCES,
    PortalSurface,
    check_create,
    check_detail,
    check_filter_narrows,
    check_list_shows_own_rows,
    check_other_organization,
    check_refused_without_permission,
    check_search_finds,
    check_update,
)

pytestmark = pytest.mark.django_db

SURFACE = PortalSurface()

each_resource = pytest.mark.parametrize("resource", RESOURCES, ids=lambda r: r.name)
searchable = pytest.mark.parametrize(
    "resource", [r for r in RESOURCES if r.search is not None], ids=lambda r: r.name
)
each_op = pytest.mark.parametrize("op", OPS)


@each_resource
def test_list_shows_own_rows(world, resource):
    check_list_shows_own_rows(SURFACE, world, resource)


@each_resource
def test_a_filter_narrows(world, resource):
    check_filter_narrows(SURFACE, world, resource)


@searchable
def test_search_finds(world, resource):
    check_search_finds(SURFACE, world, resource)


@each_resource
def test_detail_opens(world, resource):
    check_detail(SURFACE, world, resource)


@each_resource
def test_create_works(world, resource):
    check_create(SURFACE, world, resource)


@each_resource
def test_update_works(world, resource):
    check_update(SURFACE, world, resource)


@each_resource
@each_op
def test_refused_without_the_permission(world, resource, op):
    check_refused_without_permission(SURFACE, world, resource, op)


@each_resource
@each_op
@pytest.mark.parametrize("where", OTHERS)
def test_another_organizations_object_is_404(world, resource, op, where):
    check_other_organization(SURFACE, world, resource, op, where)
