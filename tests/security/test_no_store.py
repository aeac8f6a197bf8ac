"""`Cache-Control: no-store` on every response of the portal (`/portal/…`) and of the customer
pages (`/account/…`, `/invite/…`): pages, htmx fragments, JSON, CSV downloads, profile
pictures, redirects and error pages alike (security.middleware.NoStoreMiddleware). What a
signed-in admin or customer saw must not stay in a browser's cache or a proxy after the
session ends. Static assets keep their long cache lifetimes, and so does the invitation page's
branding stylesheet (the same for everyone: colours from its query string)."""

import io
import uuid
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from PIL import Image

from orgdesk.accounts import actions as account_actions
from orgdesk.accounts.pictures import process_upload
from orgdesk.invitations import actions as invitation_actions
from orgdesk.invitations.bulk import preview as bulk_preview
from orgdesk.security.middleware import NO_STORE_PREFIXES
from orgdesk.testing.actors import SYSTEM, as_admin
from orgdesk.testing.world import World
from tests.detail_support import TAB_SLUGS, action_url, tab_url
from tests.invitations.test_invitations import make_invitation, register

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _media(settings: Any, tmp_path: Any) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"


def no_store(response: Any) -> bool:
    directives = {d.strip().lower() for d in response.get("Cache-Control", "").split(",")}
    return "no-store" in directives


def _read(response: Any) -> None:
    if response.streaming:
        b"".join(response.streaming_content)


def _png() -> SimpleUploadedFile:
    out = io.BytesIO()
    Image.new("RGB", (40, 30), (200, 30, 30)).save(out, "PNG")
    return SimpleUploadedFile("me.png", out.getvalue(), content_type="image/png")


@pytest.fixture
def portal_urls(world: World) -> dict[str, str]:
    """GET addresses of the portal for the Admin of Acme / EMEA, by a short name."""
    emea, account = world.emea, world.inside
    account_actions.set_picture(actor=SYSTEM, account=account, picture=process_upload(_png()))
    invitation = invitation_actions.invite(
        actor=as_admin(world.admin), organization=emea, email="invitee@example.test"
    )
    job = bulk_preview.preview_bulk_invite(
        actor=as_admin(world.admin),
        organization=emea,
        filename="people.csv",
        data=b"email,given_name\nnew@example.test,New\n",
    )
    accounts = reverse("portal:accounts", args=[emea.key])
    urls = {
        "portal home (redirect)": reverse("portal:home"),
        "organization (redirect)": reverse("portal:organization", args=[emea.key]),
        "accounts": accounts,
        "accounts filtered": f"{accounts}?status=enabled&q=ins",
        "create account": reverse("portal:account_create", args=[emea.key]),
        "edit account": reverse("portal:account_edit", args=[emea.key, account.pk]),
        "account (redirect to a tab)": reverse("portal:account", args=[emea.key, account.pk]),
        "picture": action_url("account_picture", emea, account),
        "invitations": reverse("portal:invitations", args=[emea.key]),
        "invitation": reverse("portal:invitation", args=[emea.key, invitation.pk]),
        "invite": reverse("portal:invitation_create", args=[emea.key]),
        "bulk invite": reverse("portal:bulk_invite", args=[emea.key]),
        "bulk template csv": reverse("portal:bulk_template", args=[emea.key]),
        "bulk job": reverse("portal:bulk_job", args=[emea.key, job.pk]),
        "bulk job status": reverse("portal:bulk_job_status", args=[emea.key, job.pk]),
        "bulk job results csv": reverse("portal:bulk_job_results", args=[emea.key, job.pk]),
        "organization search json": f"{reverse('portal:search_organizations')}?q=fr",
        "security": reverse("portal:security"),
        "step-up": reverse("portal:step_up"),
        "missing account (404)": reverse("portal:account", args=[emea.key, uuid.uuid4()]),
        "missing organization (404)": "/portal/no-such-org/accounts",
        "unknown portal page (404)": "/portal/no-such-org/nothing/here",
        "foreign organization (404)": reverse("portal:accounts", args=[world.globex.key]),
    }
    for slug in TAB_SLUGS:
        urls[f"tab {slug}"] = tab_url(emea, account, slug)
    return urls


def test_every_portal_get_is_no_store(admin_client: Client, portal_urls: dict[str, str]) -> None:
    for name, url in portal_urls.items():
        response = admin_client.get(url)
        assert response.status_code < 500, name
        assert no_store(response), (name, response.status_code, response.get("Cache-Control"))
        _read(response)


def test_htmx_fragments_are_no_store(admin_client: Client, portal_urls: dict[str, str]) -> None:
    htmx = {"HX-Request": "true", "HX-Current-URL": "http://testserver/portal/"}
    for name in ("accounts", "accounts filtered", "invitations", "tab activity", "tab roles"):
        response = admin_client.get(portal_urls[name], headers=htmx)
        assert response.status_code == 200, name
        assert "<html" not in response.content.decode(), name  # the fragment, not the page
        assert no_store(response), name


def test_profile_picture_replaces_its_week_long_lifetime(
    admin_client: Client, portal_urls: dict[str, str]
) -> None:
    """The picture is personal data: no max-age left for any cache to use."""
    response = admin_client.get(portal_urls["picture"])
    assert response.status_code == 200 and response["Content-Type"] == "image/webp"
    assert no_store(response)
    assert "max-age" not in response["Cache-Control"]
    _read(response)


def test_portal_posts_and_their_redirects_are_no_store(admin_client: Client, world: World) -> None:
    theme = admin_client.post(reverse("portal:set_theme"), {"theme": "dark"})
    assert theme.status_code == 302 and no_store(theme)
    pin = admin_client.post(reverse("portal:toggle_pin", args=[world.emea.key]))
    assert pin.status_code == 302 and no_store(pin)
    bad = admin_client.post(reverse("portal:account_create", args=[world.emea.key]), {})
    assert bad.status_code == 400 and no_store(bad)
    refused = admin_client.get(reverse("portal:set_theme"))  # POST only: 405
    assert refused.status_code == 405 and no_store(refused)


def test_signed_out_portal_pages_are_no_store(world: World) -> None:
    client = Client()
    login = client.get(reverse("portal:login"))
    assert login.status_code == 200 and no_store(login)
    failed = client.post(
        reverse("portal:login"), {"identifier": "nobody@example.test", "password": "x"}
    )
    assert failed.status_code < 500 and no_store(failed)
    to_login = client.get(reverse("portal:accounts", args=[world.emea.key]))
    assert to_login.status_code == 302 and no_store(to_login)


def test_customer_pages_are_no_store(world: World) -> None:
    client = Client()
    _invitation, token = make_invitation(world.emea, "joiner@example.test")
    link = client.get(f"/invite/{token}")  # moves the token into the session
    assert link.status_code == 302 and no_store(link)
    form = client.get(link["Location"])
    assert form.status_code == 200 and no_store(form)
    done = register(Client(), f"/invite/{token}")
    assert done.status_code == 302 and no_store(done)

    # Signed in as the new customer: the account page and signing out.
    customer = Client()
    _invitation, other = make_invitation(world.emea, "second@example.test")
    assert register(customer, f"/invite/{other}").status_code == 302
    for url in ("/invite/done", "/account/"):
        page = customer.get(url)
        assert page.status_code == 200 and no_store(page), url
    out = customer.post("/account/sign-out")
    assert out.status_code < 500 and no_store(out)

    anonymous = Client()
    for url in (
        "/account/",
        "/account/password/done",
        "/account/password/Zm9v/not-a-token",
        "/account/enrol/not-a-token",
        "/invite/" + "x" * 43,
        "/invite/register",
        "/invite/done",
        "/account/no-such-page",
    ):
        response = anonymous.get(url)
        assert response.status_code < 500, url
        assert no_store(response), (url, response.get("Cache-Control"))
    options = anonymous.post("/invite/passkey/options")
    assert options.status_code == 404 and no_store(options)


def test_assets_keep_their_cache_lifetime(client: Client) -> None:
    theme = client.get("/invite/theme.css?primary=4f46e5")
    assert theme.status_code == 200
    assert theme["Cache-Control"] == "public, max-age=86400"
    static = client.get("/static/core/home.css")
    assert static.status_code == 200
    assert not no_store(static)
    assert "max-age" in static["Cache-Control"]
    _read(static)


def test_pages_outside_the_signed_in_areas_are_left_alone(client: Client) -> None:
    assert not no_store(client.get("/healthz"))
    assert all(p.startswith("/") and p.endswith("/") for p in NO_STORE_PREFIXES)
