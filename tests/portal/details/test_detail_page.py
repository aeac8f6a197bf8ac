"""The Account details page as a whole: every tab renders, deep links, htmx partials, tabs
hidden without their permission, and 404 for accounts of other organizations. Each tab's own
content and actions are tested in tests/portal/details/test_detail_<tab>.py."""

import pytest
from django.urls import reverse

from orgdesk.access.models import OrgRole
from orgdesk.testing.actors import SYSTEM
from tests.detail_support import TAB_SLUGS, client_for, tab_url

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("slug", TAB_SLUGS)
def test_every_tab_renders_as_page_and_as_partial(admin_client, world, slug):
    url = tab_url(world.emea, world.inside, slug)
    page = admin_client.get(url)
    assert page.status_code == 200
    html = page.content.decode()
    assert 'class="sidebar"' in html and 'id="account-body"' in html
    assert f'href="{url}"' in html and 'aria-current="page"' in html
    partial = admin_client.get(url, headers={"HX-Request": "true"})
    assert partial.status_code == 200
    body = partial.content.decode()
    assert body.lstrip().startswith('<div id="account-body"') and 'class="sidebar"' not in body
    assert "HX-Request" in partial["Vary"]


def test_account_url_opens_overview(admin_client, world):
    response = admin_client.get(reverse("portal:account", args=[world.emea.key, world.inside.pk]))
    assert response.status_code == 200
    assert response.context["current_tab"].slug == "overview"


def test_list_rows_link_to_details(admin_client, world):
    html = admin_client.get(reverse("portal:accounts", args=[world.emea.key])).content.decode()
    assert f'href="/portal/{world.emea.key}/accounts/{world.inside.pk}"' in html


@pytest.mark.parametrize("slug", TAB_SLUGS)
@pytest.mark.parametrize("where", ["outside", "foreign"])
def test_other_organization_is_404(admin_client, world, slug, where):
    customer = world.customer_in(where)
    assert admin_client.get(tab_url(world.emea, customer, slug)).status_code == 404
    # nor through an organization the admin does not hold
    assert admin_client.get(tab_url(customer.organization, customer, slug)).status_code == 404


def test_account_outside_the_organization_in_view_is_404(admin_client, world):
    # France's admin holds EMEA; an EMEA account seen "from" Germany is not under Germany.
    assert admin_client.get(tab_url(world.germany, world.inside)).status_code == 404


def test_unknown_tab_is_404(admin_client, world):
    url = reverse("portal:account_tab", args=[world.emea.key, world.inside.pk, "nope"])
    assert admin_client.get(url).status_code == 404


def test_tabs_without_permission_are_hidden_and_redirect(world):
    # The world's viewer holds accounts.view only.
    client = client_for(world.viewer)
    page = client.get(tab_url(world.emea, world.inside, "overview"))
    assert page.status_code == 200
    shown = [t.slug for t in page.context["tabs"]]
    assert "activity" not in shown and "sessions" not in shown and "overview" in shown
    response = client.get(tab_url(world.emea, world.inside, "sessions"))
    assert response.status_code == 302
    assert response["Location"] == tab_url(world.emea, world.inside, "overview")


def test_without_accounts_view_the_page_is_403_or_404(world):
    role = OrgRole.objects.create(slug="consents-only", name="C", permissions=["consents.view"])
    from orgdesk.access.actions import grant_role

    grant_role(actor=SYSTEM, account=world.cross, organization=world.emea, role=role)
    client = client_for(world.cross)
    assert client.get(tab_url(world.emea, world.inside, "consents")).status_code == 404


def test_bad_cursor_shows_first_page_with_message(admin_client, world):
    response = admin_client.get(tab_url(world.emea, world.inside, "consents", cursor="junk"))
    assert response.status_code == 200
    assert "no longer valid" in response.content.decode()


@pytest.mark.parametrize("slug", TAB_SLUGS)
def test_every_tab_page_loads_the_dialog_script(admin_client, world, slug):
    """A tab opened by htmx from another one may hold a dialog: its script is on every page
    from the start, not only after the swap."""
    html = admin_client.get(tab_url(world.emea, world.inside, slug)).content.decode()
    assert 'src="/static/portal/dialogs.js' in html
    assert "Tabs that open dialogs" not in html
