"""The error pages (orgdesk/errors.py): 400, 403, 404, 429, 500 and a refused CSRF check.

Styled and translated; a signed-in admin sees them inside the portal shell with a way back
(the portal's home, "Go back"), anyone else a plain page leading to sign-in; an htmx request
gets a small fragment (portal.js toasts its message); the 500 page reads no database.

pytest-django runs with DEBUG=False, as production does: Django's test client then shows these
pages. The 500 tests route one address to a view that fails (this module is their URLconf).
"""

import re
import uuid
from typing import Any

import pytest
from django.conf import settings as django_settings
from django.http import HttpRequest, HttpResponse
from django.test import Client, RequestFactory
from django.urls import include, path, reverse
from django.utils import translation
from django.utils.functional import SimpleLazyObject

from orgdesk import errors
from orgdesk.testing.world import World
from tests.detail_support import client_for, tab_url
from tests.portal_support import (
    PASSWORD,
    make_admin,
    portal_client,
    sign_in,
    unique_ip,
)

pytestmark = pytest.mark.django_db

HOME = "/portal/"


def _fails(request: HttpRequest) -> HttpResponse:
    raise RuntimeError("a bug")


# This module as a URLconf: the product's addresses, one that fails, and the product's handlers.
urlpatterns = [
    path("boom", _fails),
    path("portal/boom", _fails),
    path("", include("orgdesk.urls")),
]
handler400 = "orgdesk.errors.bad_request"
handler403 = "orgdesk.errors.permission_denied"
handler404 = "orgdesk.errors.page_not_found"
handler500 = "orgdesk.errors.server_error"


def page(response: Any) -> str:
    return response.content.decode()


def in_shell(response: Any) -> bool:
    text = page(response)
    return '<body class="app' in text and 'class="sidebar"' in text


def org_shown(response: Any) -> str:
    match = re.search(r'<span class="org-name"[^>]*>([^<]*)</span>', page(response))
    return match.group(1) if match else ""


def go_back(response: Any) -> str:
    match = re.search(r'<a class="btn" href="([^"]*)" data-go-back>', page(response))
    assert match, "no Go back link"
    return match.group(1)


def assert_error_page(response: Any, status: int, title: str) -> None:
    assert response.status_code == status
    text = page(response)
    assert f'<h1 id="error-title">{title}</h1>' in text
    assert "portal/portal.css" in text  # styled, not Django's bare page
    go_back(response)


# ---- 404 -------------------------------------------------------------------------------------


def test_an_organization_outside_the_grants_is_a_404_in_the_shell(world: World) -> None:
    client = client_for(world.admin)
    response = client.get(f"/portal/{world.globex_eu.key}/accounts")

    assert_error_page(response, 404, "Page not found")
    assert in_shell(response)
    # The sidebar is of an organization the admin reaches (EMEA, their only grant), never
    # of the one refused.
    assert org_shown(response) == "EMEA"
    assert world.globex_eu.name not in org_shown(response)
    assert f'href="{HOME}">Go to the portal home</a>' in page(response)
    assert response["Cache-Control"] == "no-store"


def test_a_missing_account_is_a_404_in_the_shell_of_its_organization(world: World) -> None:
    client = client_for(world.admin)
    response = client.get(f"/portal/{world.france.key}/accounts/{uuid.uuid4()}")

    assert_error_page(response, 404, "Page not found")
    assert in_shell(response)
    assert org_shown(response) == "France"  # the organization in the address
    # The shell's own links work from there: the sections of that organization.
    assert f'href="/portal/{world.france.key}/accounts"' in page(response)


def test_an_account_of_another_tree_is_a_404(world: World) -> None:
    client = client_for(world.admin)
    response = client.get(tab_url(world.emea, world.foreign))
    assert_error_page(response, 404, "Page not found")
    assert world.foreign.email not in page(response)


def test_an_unknown_address_under_an_organization_keeps_its_shell(world: World) -> None:
    client = client_for(world.admin)
    response = client.get(f"/portal/{world.germany.key}/no-such-page/here")
    assert_error_page(response, 404, "Page not found")
    assert org_shown(response) == "Germany"


def test_go_back_is_the_page_one_came_from_when_it_is_this_site(world: World) -> None:
    client = client_for(world.admin)
    came_from = f"http://testserver/portal/{world.emea.key}/accounts?q=ma"
    response = client.get(f"/portal/{uuid.uuid4().hex}/accounts", HTTP_REFERER=came_from)
    assert go_back(response) == came_from.replace("&", "&amp;")

    elsewhere = client.get("/portal/nope/accounts", HTTP_REFERER="https://evil.example/")
    assert go_back(elsewhere) == HOME


def test_a_404_signed_out_is_a_plain_page_leading_to_sign_in(client: Client) -> None:
    response = client.get("/portal/no/such/page")

    assert_error_page(response, 404, "Page not found")
    assert not in_shell(response)
    assert 'href="/portal/login">Sign in to the Organization portal</a>' in page(response)


def test_a_404_on_a_customer_page_never_shows_the_admin_shell(world: World) -> None:
    client = client_for(world.admin)
    response = client.get("/account/no-such-page")
    assert_error_page(response, 404, "Page not found")
    assert not in_shell(response)
    assert 'href="/">Go to the home page</a>' in page(response)


def test_an_admin_with_no_organization_gets_the_plain_page(world: World) -> None:
    from tests.factories import make_account

    nobody = make_account(world.france, email="no-grants@acme.test")
    client = client_for(nobody)
    response = client.get("/portal/no/such/page")
    assert_error_page(response, 404, "Page not found")
    assert not in_shell(response)


def test_the_404_page_is_translated(world: World) -> None:
    client = client_for(world.admin)
    response = client.get(f"/portal/{world.globex_eu.key}/accounts", HTTP_ACCEPT_LANGUAGE="fr")

    assert_error_page(response, 404, "Page introuvable")
    assert '<html lang="fr"' in page(response)
    assert "Revenir en arrière" in page(response)
    assert "Page not found" not in page(response)


@pytest.mark.parametrize(
    ("lang", "title"),
    [("fr", "Accès refusé"), ("de", "Zugriff verweigert"), ("es", "Acceso denegado")],
)
def test_the_403_page_is_translated(world: World, lang: str, title: str) -> None:
    viewer = client_for(world.viewer)
    response = viewer.get(
        reverse("portal:account_create", args=[world.emea.key]), HTTP_ACCEPT_LANGUAGE=lang
    )
    assert_error_page(response, 403, title)


# ---- 403 -------------------------------------------------------------------------------------


def test_a_forbidden_action_is_a_403_in_the_shell(world: World) -> None:
    viewer = client_for(world.viewer)  # accounts.view only, on EMEA
    response = viewer.get(reverse("portal:account_create", args=[world.emea.key]))

    assert_error_page(response, 403, "Access denied")
    assert in_shell(response)
    assert org_shown(response) == "EMEA"
    assert 'href="/portal/">Go to the portal home</a>' in page(response)


def test_a_forbidden_post_is_a_403_too(world: World) -> None:
    viewer = client_for(world.viewer)
    url = reverse("portal:account_clear_sessions", args=[world.emea.key, world.inside.pk])
    assert_error_page(viewer.post(url), 403, "Access denied")


def test_the_403_page_renders_under_debug_too(world: World, settings: Any) -> None:
    settings.DEBUG = True
    viewer = client_for(world.viewer)
    response = viewer.get(reverse("portal:account_create", args=[world.emea.key]))
    assert_error_page(response, 403, "Access denied")


# ---- htmx ------------------------------------------------------------------------------------


def test_htmx_gets_a_fragment_with_the_message(world: World) -> None:
    client = client_for(world.admin)
    response = client.get(f"/portal/{world.globex_eu.key}/accounts", HTTP_HX_REQUEST="true")
    assert response.status_code == 404
    text = page(response)
    assert "<html" not in text and 'class="sidebar"' not in text
    assert text.strip().startswith("<div")
    assert 'data-error-message="This page does not exist' in text

    viewer = client_for(world.viewer)
    refused = viewer.get(
        reverse("portal:account_create", args=[world.emea.key]),
        HTTP_HX_REQUEST="true",
        HTTP_ACCEPT_LANGUAGE="fr",
    )
    assert refused.status_code == 403
    assert "<html" not in page(refused)
    assert "Accès refusé" in page(refused)


# ---- 400 -------------------------------------------------------------------------------------


def test_a_bad_host_is_a_styled_400_not_a_500() -> None:
    response = Client(HTTP_HOST="evil.example").get("/portal/login")
    assert_error_page(response, 400, "Bad request")


# ---- CSRF ------------------------------------------------------------------------------------


def test_a_refused_csrf_token_is_the_styled_403_in_the_shell(world: World, settings: Any) -> None:
    settings.DEBUG = False
    client = Client(enforce_csrf_checks=True)
    from orgdesk.testing.auth import portal_login

    portal_login(client, world.admin)
    response = client.post(reverse("portal:set_theme"), {"theme": "dark"})

    assert_error_page(response, 403, "This form has expired")
    assert in_shell(response)
    assert "Reload the page and try again." in page(response)
    # The page's own forms carry a fresh token: the next try goes through.
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page(response))
    assert token
    again = client.post(
        reverse("portal:set_theme"), {"theme": "dark", "csrfmiddlewaretoken": token.group(1)}
    )
    assert again.status_code in (204, 302)


def test_a_refused_csrf_token_signed_out_is_a_plain_translated_page(settings: Any) -> None:
    settings.DEBUG = False
    client = Client(enforce_csrf_checks=True)
    response = client.post(
        "/portal/login", {"identifier": "x", "password": "y"}, HTTP_ACCEPT_LANGUAGE="de"
    )
    assert response.status_code == 403
    assert not in_shell(response)
    assert '<html lang="de"' in page(response)
    assert "Zurück" in page(response)
    assert "This form has expired" not in page(response)


# ---- 429 -------------------------------------------------------------------------------------


def test_the_429_page_says_when_to_try_again_with_retry_after(world: World) -> None:
    request = RequestFactory().get("/portal/login/verify")
    with translation.override("en"):
        response = errors.too_many_requests(request, 900)

    assert_error_page(response, 429, "Too many requests")
    assert response["Retry-After"] == "900"
    assert "You can try again in 15 minutes." in page(response)
    assert 'href="/portal/login">Sign in to the Organization portal</a>' in page(response)


@pytest.mark.usefixtures("forget_throttle_counters")
def test_a_throttled_sign_in_answers_429_with_retry_after(world: World, settings: Any) -> None:
    settings.ORGDESK_THROTTLE = {
        "window_seconds": 900,
        "per_pair": 2,
        "per_identifier": 10,
        "per_ip": 100,
    }
    admin = make_admin(world.emea)
    client = portal_client(unique_ip(), HTTP_ACCEPT_LANGUAGE="en")
    for _ in range(2):
        assert sign_in(client, admin.email, "not the password").status_code == 401

    response = sign_in(client, admin.email, PASSWORD)

    assert response.status_code == 429
    assert response["Retry-After"] == "900"
    assert "Too many failed attempts" in page(response)  # the form stays, with its error


@pytest.mark.usefixtures("forget_throttle_counters")
def test_a_throttled_step_up_is_the_429_page_in_the_shell(world: World, settings: Any) -> None:
    settings.ORGDESK_THROTTLE = {
        "window_seconds": 600,
        "per_pair": 2,
        "per_identifier": 10,
        "per_ip": 100,
    }
    client = client_for(world.admin)
    client.defaults["REMOTE_ADDR"] = unique_ip()
    step_up = reverse("portal:step_up")
    for _ in range(2):
        assert client.post(step_up, {"password": "not the password"}).status_code == 401

    response = client.post(step_up, {"password": PASSWORD}, HTTP_ACCEPT_LANGUAGE="fr")

    assert response.status_code == 429
    assert response["Retry-After"] == "600"
    assert in_shell(response)
    assert "10 minutes" in page(response)
    assert '<html lang="fr"' in page(response)


# ---- 500 -------------------------------------------------------------------------------------


@pytest.fixture
def failing_urls(settings: Any) -> None:
    settings.ROOT_URLCONF = __name__
    settings.DEBUG = False


@pytest.mark.usefixtures("failing_urls")
def test_a_server_error_is_the_styled_500_page(world: World) -> None:
    client = client_for(world.admin)
    client.raise_request_exception = False
    response = client.get("/portal/boom", HTTP_ACCEPT_LANGUAGE="es")

    assert_error_page(response, 500, "Algo ha ido mal")
    assert not in_shell(response)  # the 500 page reads nothing but its own context
    assert 'href="/portal/"' in page(response)


@pytest.mark.usefixtures("failing_urls")
def test_a_server_error_of_htmx_is_a_fragment() -> None:
    client = Client(raise_request_exception=False)
    response = client.get("/boom", HTTP_HX_REQUEST="true")
    assert response.status_code == 500
    assert "<html" not in page(response)
    assert "data-error-message=" in page(response)


def test_the_500_page_reads_no_database_and_no_session(django_assert_num_queries: Any) -> None:
    def explode() -> Any:
        raise AssertionError("the 500 page looked at the user")

    request = RequestFactory().get("/portal/x/accounts", HTTP_REFERER="http://testserver/portal/")
    request.user = SimpleLazyObject(explode)  # type: ignore[assignment]
    request.session = SimpleLazyObject(explode)  # type: ignore[assignment]
    with django_assert_num_queries(0), translation.override("en"):
        response = errors.server_error(request)
    assert_error_page(response, 500, "Something went wrong")
    assert go_back(response) == "http://testserver/portal/"


def test_an_error_page_never_raises_even_when_its_templates_fail(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def broken(*args: Any, **kwargs: Any) -> str:
        raise RuntimeError("template engine down")

    monkeypatch.setattr(errors.loader, "render_to_string", broken)
    with translation.override("en"):
        response = errors.page_not_found(RequestFactory().get("/x"), None)
    assert response.status_code == 404
    assert "<h1>Page not found</h1>" in page(response)


def test_every_handler_is_wired() -> None:
    from orgdesk import urls

    assert urls.handler400 == "orgdesk.errors.bad_request"
    assert urls.handler403 == "orgdesk.errors.permission_denied"
    assert urls.handler404 == "orgdesk.errors.page_not_found"
    assert urls.handler500 == "orgdesk.errors.server_error"
    assert django_settings.CSRF_FAILURE_VIEW == "orgdesk.errors.csrf_failure"
