"""Branding: a policy per application, an organization's override (predefined options only)
that covers the organizations below it and wins over the policy, clearing it falls back;
the portal and the sign-in pages render the resolved branding; custom CSS and scripts are
files of their own under the CSP; every injection attempt is refused with nothing stored."""

import io
import re
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from PIL import Image

from orgdesk.activity.models import Event
from orgdesk.branding import actions
from orgdesk.branding.models import BrandingPolicy, OrganizationBranding
from orgdesk.branding.resolve import resolve
from orgdesk.testing.actors import SYSTEM
from tests.detail_support import client_for

pytestmark = pytest.mark.django_db


def png(size: tuple[int, int] = (40, 20), colour: str = "red") -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, colour).save(out, "PNG")
    return out.getvalue()


def animated_gif() -> bytes:
    frames = [Image.new("RGB", (10, 10), colour) for colour in ("red", "green", "blue")]
    out = io.BytesIO()
    frames[0].save(out, "GIF", save_all=True, append_images=frames[1:], loop=0)
    return out.getvalue()


def upload(data: bytes, name: str = "logo.png", kind: str = "image/png") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type=kind)


@pytest.fixture
def policy(world: Any) -> BrandingPolicy:
    return BrandingPolicy.objects.get(name="Default")


def override_url(org: Any) -> str:
    return reverse("console:organization_branding", args=[org.key])


# ---- inheritance and precedence ----------------------------------------------------------


def test_an_override_covers_below_and_wins_over_the_policy(world, policy):
    policy.primary_color, policy.header_style = "#0f766e", "brand"
    policy.save()
    assert resolve(world.france).primary == "0f766e" and resolve(world.france).header == "brand"
    actions.set_override(
        actor=SYSTEM, organization=world.acme, background_color="#fafafa", header_style="dark"
    )
    france = resolve(world.france)
    assert (france.header, france.background, france.primary) == ("dark", "fafafa", "0f766e")
    actions.set_override(
        actor=SYSTEM, organization=world.france, background_color="", header_style="light"
    )
    assert resolve(world.france).header == "light" and resolve(world.france).background == ""
    assert resolve(world.germany).header == "dark"  # still Acme's
    actions.clear_override(actor=SYSTEM, organization=world.france)
    assert resolve(world.france).header == "dark"  # back to Acme's
    actions.clear_override(actor=SYSTEM, organization=world.acme)
    assert resolve(world.france).header == "brand"  # back to the policy
    assert resolve(world.globex_eu).header == "brand"
    types = list(Event.objects.filter(type__startswith="branding.").values_list("type", flat=True))
    assert types.count("branding.override_set") == 2
    assert types.count("branding.override_cleared") == 2


def test_the_portal_renders_the_resolved_branding(world, brand_client):
    brand_client.post(
        override_url(world.emea),
        {"background_color": "#FFF7ED", "header_style": "dark", "logo": upload(png())},
    )
    override = OrganizationBranding.objects.get(organization=world.emea)
    assert override.logo.name.endswith(".webp")  # re-encoded, never stored as sent
    page = client_for(world.admin).get(reverse("portal:accounts", args=[world.france.key]))
    html = page.content.decode()
    theme = re.search(r'<link rel="stylesheet" href="(/branding/theme\.css[^"]*)"', html)[1]
    assert "background=fff7ed" in theme and "header=dark" in theme
    assert "brand-header-dark" in html and override.logo.url in html
    sheet = Client().get(theme.replace("&amp;", "&")).content.decode()
    assert "--brand-page: #fff7ed" in sheet and "--brand-band: #18181b" in sheet


def test_the_sign_in_page_uses_the_portal_applications_policy(world, policy):
    actions.update_policy(
        actor=SYSTEM,
        policy=policy,
        name=policy.name,
        primary_color="#be123c",
        font="serif",
        header_style="brand",
        custom={
            "signin": {"css": ".login h1 { letter-spacing: 1px; }", "script": "console.log(1)"}
        },
    )
    response = Client().get(reverse("portal:login"))
    html = response.content.decode()
    assert "primary=be123c" in html and "font=serif" in html
    css = re.search(r'href="(/branding/[0-9a-f-]+/signin\.css\?v=\d+)"', html)[1]
    script = re.search(
        r'<script src="(/branding/[0-9a-f-]+/signin\.js\?v=\d+)" integrity="(sha384-[^"]+)"', html
    )
    assert script, html
    served = Client().get(css)
    assert (
        served["Content-Type"].startswith("text/css")
        and "letter-spacing" in served.content.decode()
    )
    js = Client().get(script[1])
    assert js["Content-Type"].startswith("text/javascript") and js.content == b"console.log(1)"
    import base64
    import hashlib

    assert script[2] == "sha384-" + base64.b64encode(hashlib.sha384(js.content).digest()).decode()
    # nothing inline: the CSP allows scripts and styles from the app's own files only
    assert "unsafe-inline" not in response["Content-Security-Policy"]
    assert "console.log" not in html and "letter-spacing" not in html


def test_assets_of_a_surface_without_them_are_404(world, policy):
    for name in ("custom_css", "custom_js"):
        assert (
            Client().get(reverse(f"branding:{name}", args=[policy.pk, "portal"])).status_code == 404
        )
        assert (
            Client().get(reverse(f"branding:{name}", args=[policy.pk, "nope"])).status_code == 404
        )


# ---- bad input, every field ------------------------------------------------------------------


@pytest.mark.parametrize(
    "data",
    [
        {"background_color": "red;}</style><script>alert(1)</script>", "header_style": "dark"},
        {"background_color": "#12345", "header_style": "dark"},
        {"background_color": "#1234567", "header_style": "dark"},
        {"background_color": "url(javascript:alert(1))", "header_style": "dark"},
        {"background_color": "#ffffff", "header_style": "evil;}"},
        {"background_color": "#ffffff"},
    ],
)
def test_override_refuses_anything_but_the_options(world, brand_client, data):
    response = brand_client.post(override_url(world.emea), data)
    assert response.status_code == 400
    assert not OrganizationBranding.objects.exists()
    assert not Event.objects.filter(type="branding.override_set").exists()
    assert "<script>alert(1)</script>" not in response.content.decode()


@pytest.mark.parametrize(
    ("data", "name", "message"),
    [
        (
            b"<svg xmlns='http://www.w3.org/2000/svg'><script>alert(1)</script></svg>",
            "x.svg",
            "not a picture",
        ),
        (b"%PDF-1.4 not an image", "x.png", "not a picture"),
        (animated_gif(), "x.gif", "Animated"),
        (png((3000, 3000), "blue") * 1, "big.png", ""),
        (b"\x89PNG" + b"0" * (600 * 1024), "huge.png", "too large"),
    ],
)
def test_logo_uploads_are_checked(world, brand_client, data, name, message):
    response = brand_client.post(
        override_url(world.emea),
        {"background_color": "", "header_style": "light", "logo": upload(data, name)},
    )
    if name == "big.png":
        # a large but honest image is accepted, scaled down and re-encoded
        assert response.status_code == 302
        logo = OrganizationBranding.objects.get().logo
        with Image.open(logo.open("rb")) as stored:
            assert max(stored.size) <= 512 and stored.format == "WEBP"
        return
    assert response.status_code == 400 and message in response.content.decode()
    assert not OrganizationBranding.objects.exists()


@pytest.mark.parametrize(
    "changes",
    [
        {"primary_color": "#fff;}body{display:none"},
        {"primary_color": "red"},
        {"font": "comic"},
        {"header_style": "<b>"},
        {"name": ""},
        {"name": "x" * 201},
        {"portal_css": "a{}" * 20_000},
        {"portal_script": "x\x00y"},
    ],
)
def test_policy_editor_refuses_bad_values_and_stores_nothing(world, brand_client, policy, changes):
    url = reverse("console:branding_policy", args=[policy.pk])
    data = {
        "name": "Default",
        "primary_color": "#4f46e5",
        "font": "system",
        "header_style": "brand",
    }
    before = BrandingPolicy.objects.values().get(pk=policy.pk)
    response = brand_client.post(url, {**data, **changes})
    assert response.status_code == 400
    assert BrandingPolicy.objects.values().get(pk=policy.pk) == before
    assert not Event.objects.filter(type="branding.policy_updated").exists()


def test_policy_editor_saves_and_the_portal_follows(world, brand_client, policy):
    url = reverse("console:branding_policy", args=[policy.pk])
    response = brand_client.post(
        url,
        {
            "name": "House style",
            "primary_color": "#0E7490",
            "font": "rounded",
            "header_style": "light",
            "portal_css": ".sidebar { border-right-width: 2px; }",
            "emails_css": "p { margin: 0 }",
            "logo": upload(png()),
        },
    )
    assert response.status_code == 302
    policy.refresh_from_db()
    assert (policy.name, policy.primary_color, policy.font) == ("House style", "#0e7490", "rounded")
    assert policy.custom == {
        "portal": {"css": ".sidebar { border-right-width: 2px; }"},
        "emails": {"css": "p { margin: 0 }"},
    }
    event = Event.objects.get(type="branding.policy_updated")
    assert set(event.metadata["changed"]) >= {"name", "primary_color", "font", "custom", "logo"}
    html = (
        client_for(world.admin)
        .get(reverse("portal:accounts", args=[world.emea.key]))
        .content.decode()
    )
    assert "primary=0e7490" in html and "/portal.css?v=" in html
    editor = brand_client.get(url).content.decode()
    assert 'id="brand-preview"' in editor and "branding-preview.js" in editor


def test_a_branding_write_and_its_event_are_one_transaction(world, monkeypatch):
    def failing(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("no event")

    monkeypatch.setattr(actions, "record", failing)
    with pytest.raises(RuntimeError):
        actions.set_override(
            actor=SYSTEM, organization=world.emea, background_color="#ffffff", header_style="dark"
        )
    assert not OrganizationBranding.objects.exists()


def test_create_a_policy_and_refuse_a_duplicate(world, brand_client):
    url = reverse("console:branding_policies")
    response = brand_client.post(url, {"name": "Second look"})
    created = BrandingPolicy.objects.get(name="Second look")
    assert response["Location"] == reverse("console:branding_policy", args=[created.pk])
    again = brand_client.post(url, {"name": "second LOOK"})
    assert again.status_code == 400 and "already exists" in again.content.decode()


def test_organization_admins_cannot_change_branding(world):
    from django.core.exceptions import PermissionDenied

    from orgdesk.access.actor import Actor

    with pytest.raises(PermissionDenied):
        actions.set_override(
            actor=Actor.admin(world.admin),
            organization=world.emea,
            background_color="",
            header_style="dark",
        )
    client = client_for(world.admin)
    response = client.post(override_url(world.emea), {"header_style": "dark"})
    assert response.status_code == 404


# ---- emails ------------------------------------------------------------------------------------


def test_emails_wear_the_organizations_branding(
    world, policy, settings, django_capture_on_commit_callbacks
):
    from django.core import mail

    from orgdesk.accounts.actions import send_password_reset
    from orgdesk.testing.actors import fresh

    settings.ORGDESK_PUBLIC_URL = "https://id.example.com"
    actions.update_policy(
        actor=SYSTEM,
        policy=policy,
        name=policy.name,
        primary_color="#0e7490",
        font="system",
        header_style="brand",
        custom={"emails": {"css": "p { color: #333 } </style><script>alert(1)</script>"}},
    )
    actions.set_override(
        actor=SYSTEM,
        organization=world.emea,
        background_color="#fff7ed",
        header_style="dark",
        logo=upload(png()),
    )
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        send_password_reset(actor=fresh(world.admin), account=world.inside)
    (message,) = mail.outbox
    html = dict((kind, body) for body, kind in message.alternatives)["text/html"]
    assert "background:#18181b" in html and "background:#fff7ed" in html  # Acme / EMEA's
    logo = OrganizationBranding.objects.get(organization=world.emea).logo.url
    assert f'src="https://id.example.com{logo}"' in html
    assert "<\\/style><script>" in html and "</style><script>" not in html
    assert "reset" in message.body.lower() and "<" not in message.body  # the text part as it was


def test_a_bulk_sender_resolves_the_look_once(world, django_assert_max_num_queries):
    from orgdesk.branding.emails import email_html, email_look

    look = email_look(world.france)
    with django_assert_max_num_queries(0):
        html = email_html(look, "Subject", "Hello <b>there</b>\n\nSecond")
    assert "Hello &lt;b&gt;there&lt;/b&gt;" in html and "Second" in html
