"""Account details: the Overview tab (summary with identifiers edited in place and recent
activity, personal information with the profile picture, Disable/Enable and Password reset)."""

import datetime as dt
import io
import struct
import zlib
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from django.contrib.messages import get_messages
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from PIL import Image

from orgdesk.access.actions import grant_role
from orgdesk.access.actor import Actor
from orgdesk.access.models import OrgRole
from orgdesk.accounts import actions as account_actions
from orgdesk.accounts.models import Account
from orgdesk.activity.models import Event
from orgdesk.activity.recorder import record
from orgdesk.activity.visible import PUBLIC_FIELDS
from orgdesk.notifications.models import Notification
from orgdesk.security.models import CustomerSession
from orgdesk.testing.actors import SYSTEM, as_admin
from tests.detail_support import action_url, client_for, identifiers, tab_url

pytestmark = pytest.mark.django_db

POST_ACTIONS = [
    "account_update_identifiers",
    "account_update_profile",
    "account_disable",
    "account_enable",
    "account_reset_password",
]


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def png(size: tuple[int, int] = (40, 30), color: tuple[int, int, int] = (200, 30, 30)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, color).save(out, "PNG")
    return out.getvalue()


def png_header(width: int, height: int) -> bytes:
    """A well-formed PNG that claims a `width` x `height` canvas in a few dozen bytes."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = zlib.crc32(kind + data) & 0xFFFFFFFF
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", ihdr)
        + chunk(b"IDAT", zlib.compress(b"\0" * 64))
        + chunk(b"IEND", b"")
    )


def upload(data: bytes, name: str = "me.png", content_type: str = "image/png") -> Any:
    return SimpleUploadedFile(name, data, content_type=content_type)


def messages_of(response: Any) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def kind(row: Any) -> str:
    return row["type"] if isinstance(row, dict) else row.type


def fresh(account: Account) -> Account:
    return Account.objects.get(pk=account.pk)


def events(account: Account, event_type: str) -> list[Event]:
    return list(Event.objects.filter(account=account, type=event_type).order_by("id"))


def profile(account: Account, **changes: Any) -> dict[str, Any]:
    data = {
        "version": account.updated.isoformat(),
        "given_name": account.given_name,
        "family_name": account.family_name,
        "display_name": account.display_name,
        "birthdate": account.birthdate.isoformat() if account.birthdate else "",
        "locale": account.locale,
        "street": account.street,
        "city": account.city,
        "region": account.region,
        "postal_code": account.postal_code,
        "country": account.country,
    }
    data.update(changes)
    return data


def client_with(world: Any, *permissions: str) -> Any:
    """A client for `cross` (lives in Germany) holding only `permissions` on EMEA."""
    role = OrgRole.objects.create(slug="custom", name="Custom", permissions=list(permissions))
    grant_role(actor=SYSTEM, account=world.cross, organization=world.emea, role=role)
    return client_for(world.cross)


def overview(client: Any, world: Any, account: Any = None) -> Any:
    response = client.get(tab_url(world.emea, account or world.inside, "overview"))
    assert response.status_code == 200
    return response


# ---- the summary and personal information ------------------------------------------------------


def test_summary_shows_identifiers_metadata_and_organization(admin_client, world):
    login = timezone.now() - dt.timedelta(hours=3)
    Account.objects.filter(pk=world.inside.pk).update(
        username="inside.user",
        email_verified=True,
        login_count=42,
        last_ip="203.0.113.50",
        last_login=login,
        street="1 rue de Rivoli",
        city="Paris",
        postal_code="75001",
        country="FR",
        birthdate=dt.date(1990, 5, 17),
    )
    response = overview(admin_client, world)
    html = response.content.decode()
    assert "Account summary" in html and "Personal information" in html
    assert "inside.user" in html and "inside@acme.test" in html and "+33612345678" in html
    assert "Verified" in html and "Not verified" in html  # email yes, phone no
    assert world.france.route in html
    assert "203.0.113.50" in html and ">42<" in html
    assert login.isoformat()[:19] in html  # <time datetime="…">
    # The personal information form holds the current values, the country as a list.
    form = response.context["profile_form"]
    assert form.initial["city"] == "Paris" and form.initial["country"] == "FR"
    assert '<option value="FR" selected>France</option>' in html
    assert 'value="1990-05-17"' in html
    assert 'enctype="multipart/form-data"' in html
    assert (
        response.context["identifiers_form"].initial["version"]
        == fresh(world.inside).updated.isoformat()
    )


def test_recent_activity_shows_only_public_fields(admin_client, world):
    record(
        "login",
        account=world.inside,
        actor=Actor.customer(world.inside),
        ip="198.51.100.77",
        metadata={"client_id": "secret-client-id"},
    )
    record(
        "account.updated",
        account=world.inside,
        actor=as_admin(world.admin),
        ip="192.0.2.99",
        metadata={"fields": ["hidden_marker_field"], "reason": "internal reason text"},
    )
    record(
        "mfa_challenge",
        account=world.inside,
        actor=Actor.customer(world.inside),
        result=Event.Result.FAILURE,
    )
    record(
        "login", account=world.outside, actor=Actor.customer(world.outside), ip="198.51.100.1"
    )  # someone else's
    response = overview(admin_client, world)
    recent = response.context["recent"]
    assert [kind(row) for row in recent][:3] == ["mfa_challenge", "account.updated", "login"]
    for row in recent:  # dictionaries (or records) of the public fields, nothing else
        assert set(row if isinstance(row, dict) else vars(row)) <= {*PUBLIC_FIELDS, "label"}
    html = response.content.decode()
    section = html.split('class="overview-recent"')[1].split("</ul>")[0]
    assert "Login" in section and "Account updated" in section and "Failure" in section
    assert "admin@acme.test" not in section
    for secret in (
        "198.51.100.77",
        "192.0.2.99",
        "secret-client-id",
        "hidden_marker_field",
        "internal reason text",
        "198.51.100.1",
    ):
        assert secret not in html
    assert tab_url(world.emea, world.inside, "activity") in section


def test_empty_states(admin_client, world):
    account = account_actions.create_account(
        actor=SYSTEM, organization=world.france, username="bare.account"
    )
    response = overview(admin_client, world, account)
    html = response.content.decode()
    # create_account recorded "account.created": the snapshot shows that alone.
    assert [kind(row) for row in response.context["recent"]] == ["account.created"]
    assert "Never" in html  # last login
    assert ">Not set<" in html  # no email, phone or last IP
    assert 'class="avatar overview-avatar" aria-hidden="true">B<' in html
    assert "/overview/picture" not in html
    assert "No email address to send a link to." in html


def test_recent_activity_empty_state(admin_client, world):
    account = Account.objects.create_user(
        organization=world.france, email="quiet@acme.test", given_name="Quiet"
    )
    response = overview(admin_client, world, account)
    assert response.context["recent"] == []
    assert "No activity recorded for this account yet." in response.content.decode()


def test_view_only_admin_sees_values_but_no_forms_or_actions(world):
    Account.objects.filter(pk=world.inside.pk).update(city="Lyon", country="FR")
    response = overview(client_for(world.viewer), world)
    html = response.content.decode()
    assert response.context["profile_form"] is None and response.context["identifiers_form"] is None
    assert "Lyon" in html and "France" in html
    assert "You may view this information but not change it." in html
    for hidden in (
        "Edit identifiers",
        ">Update<",
        "Disable account",
        "Password reset",
        "Recent activity",  # no activity.view
        "/overview/",
    ):
        assert hidden not in html


def test_recovery_assistant_sees_only_the_reset(world):
    client = client_with(world, "accounts.view", "accounts.reset_password")
    html = overview(client, world).content.decode()
    assert "Password reset" in html
    assert "Disable account" not in html and "Edit identifiers" not in html


def test_own_account_has_no_disable_button(admin_client, world):
    html = overview(admin_client, world, world.admin).content.decode()
    assert "Disable account" not in html and "Password reset" in html


# ---- identifiers -------------------------------------------------------------------------------


def test_edit_identifiers(admin_client, world):
    Account.objects.filter(pk=world.inside.pk).update(email_verified=True, phone_verified=True)
    account = fresh(world.inside)
    url = action_url("account_update_identifiers", world.emea, account)
    response = admin_client.post(
        url,
        identifiers(
            account, username="  new.name ", email="New@Acme.test", phone="+33 6 99 88 77 66"
        ),
    )
    assert response.status_code == 302
    assert response["Location"] == tab_url(world.emea, account, "overview")
    account = fresh(account)
    assert (account.username, account.email, account.phone) == (
        "new.name",
        "New@Acme.test",
        "+33699887766",
    )
    assert not account.email_verified and not account.phone_verified
    (event,) = events(account, "account.updated")
    assert event.actor_id == world.admin.pk
    assert event.metadata == {"fields": ["email", "phone", "username"]}
    assert any("3 changes saved" in m for m in messages_of(response))


def test_identifiers_taken_in_the_identity_store_are_refused(admin_client, world):
    account_actions.update_account(
        actor=SYSTEM, account=world.viewer, changes={"username": "Boss", "phone": "+33698765432"}
    )
    account = fresh(world.inside)
    url = action_url("account_update_identifiers", world.emea, account)
    cases = [
        ("email", "ADMIN@acme.test"),  # another account of the tree, other case
        ("username", "boss"),
        ("phone", "+33 6 98 76 54 32"),
    ]
    for field, value in cases:
        # a valid change comes along with the duplicate: it must not be written either
        extra = {"given_name": "ignored"} if field == "username" else {"username": "fine.name"}
        response = admin_client.post(url, identifiers(account, **{field: value}, **extra))
        assert response.status_code == 400, field
        html = response.content.decode()
        assert "This identifier is already used in this organization hierarchy." in html
        assert f'id="id_{field}_error"' in html
        assert 'class="overview-edit" open' in html
    # nothing written: not even the valid username that came with the duplicate
    after = fresh(world.inside)
    assert (after.username, after.email, after.phone, after.updated) == (
        account.username,
        account.email,
        account.phone,
        account.updated,
    )
    assert events(account, "account.updated") == []


def test_identifiers_of_another_tree_do_not_count(admin_client, world):
    account = fresh(world.inside)
    response = admin_client.post(
        action_url("account_update_identifiers", world.emea, account),
        identifiers(account, email="foreign@globex.test"),
    )
    assert response.status_code == 302
    assert fresh(account).email == "foreign@globex.test"


@pytest.mark.parametrize(
    ("phone", "message"),
    [
        ("12345", "international format"),
        ("+33 1234", "not valid"),
        ("call me", "international format"),
    ],
)
def test_invalid_phone_numbers(admin_client, world, phone, message):
    account = fresh(world.inside)
    response = admin_client.post(
        action_url("account_update_identifiers", world.emea, account),
        identifiers(account, phone=phone),
    )
    assert response.status_code == 400
    assert message in response.content.decode()
    assert fresh(account).phone == "+33612345678"


def test_identifier_form_errors(admin_client, world):
    account = fresh(world.inside)
    url = action_url("account_update_identifiers", world.emea, account)
    response = admin_client.post(url, identifiers(account, email="not an email"))
    assert response.status_code == 400 and 'id="id_email_error"' in response.content.decode()
    response = admin_client.post(url, identifiers(account, email="", username="", phone=""))
    assert response.status_code == 400
    assert "at least one identifier" in response.content.decode()
    response = admin_client.post(url, identifiers(account, username="bad name!"))
    assert response.status_code == 400
    assert "Usernames may contain" in response.content.decode()
    assert events(account, "account.updated") == []


def test_stale_form_writes_nothing(admin_client, world):
    account = fresh(world.inside)
    loaded = identifiers(account, username="mine")  # the page was loaded here
    account_actions.update_account(
        actor=as_admin(world.admin), account=account, changes={"given_name": "Changed"}
    )
    before = events(account, "account.updated")
    response = admin_client.post(
        action_url("account_update_identifiers", world.emea, account), loaded
    )
    assert response.status_code == 409
    html = response.content.decode()
    assert "changed by someone else after you opened it" in html
    after = fresh(account)
    assert after.username == "" and after.given_name == "Changed"
    assert events(account, "account.updated") == before
    # The form now shows the current account and version: sending it again works.
    form = response.context["identifiers_form"]
    assert form.initial["version"] == after.updated.isoformat()


def test_double_submission_is_a_no_op(admin_client, world):
    account = fresh(world.inside)
    url = action_url("account_update_identifiers", world.emea, account)
    data = identifiers(account, username="twice")
    first = admin_client.post(url, data)
    second = admin_client.post(url, data)
    assert first.status_code == second.status_code == 302
    assert "Nothing changed." in messages_of(second)
    assert len(events(account, "account.updated")) == 1


def test_unchanged_form_says_nothing_changed(admin_client, world):
    account = fresh(world.inside)
    response = admin_client.post(
        action_url("account_update_profile", world.emea, account), profile(account)
    )
    assert response.status_code == 302
    assert messages_of(response) == ["Nothing changed."]
    assert fresh(account).updated == account.updated


@pytest.mark.parametrize("version", ["", "junk", "2025-01-01T00:00:00"])  # the last: no zone
def test_bad_version_is_refused(admin_client, world, version):
    account = fresh(world.inside)
    response = admin_client.post(
        action_url("account_update_identifiers", world.emea, account),
        identifiers(account, username="x.y", version=version),
    )
    assert response.status_code == 400
    assert "This form is out of date. Reload the page." in response.content.decode()
    assert fresh(account).username == ""
    assert events(account, "account.updated") == []


# ---- personal information ----------------------------------------------------------------------


def test_update_personal_information(admin_client, world):
    account = fresh(world.inside)
    response = admin_client.post(
        action_url("account_update_profile", world.emea, account),
        profile(
            account,
            given_name="Inès",
            display_name="",
            birthdate="1988-02-29",
            locale="fr",
            street="5 avenue Anatole France",
            city="Paris",
            region="Île-de-France",
            postal_code="75007",
            country="FR",
        ),
    )
    assert response.status_code == 302
    account = fresh(account)
    assert account.given_name == "Inès" and account.display_name == "Inès Test"
    assert (account.city, account.country, account.birthdate) == (
        "Paris",
        "FR",
        dt.date(1988, 2, 29),
    )
    (event,) = events(account, "account.updated")
    assert set(event.metadata["fields"]) == {
        "given_name",
        "display_name",
        "birthdate",
        "locale",
        "street",
        "city",
        "region",
        "postal_code",
        "country",
    }


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("country", "ZZ", "Select a valid choice"),
        ("birthdate", "2999-01-01", "between 1900 and today"),
        ("birthdate", "31/31/1990", "Enter a valid date"),
        ("locale", "not a locale!", "Select a valid choice"),
        ("postal_code", "1" * 30, "at most 20 characters"),
    ],
)
def test_personal_information_errors_are_shown_in_place(admin_client, world, field, value, message):
    account = fresh(world.inside)
    response = admin_client.post(
        action_url("account_update_profile", world.emea, account),
        profile(account, city="Written?", **{field: value}),
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert message in html and f'id="id_{field}_error"' in html
    assert 'value="Written?"' in html  # the admin's input is kept
    assert fresh(account).city == ""
    assert events(account, "account.updated") == []


# ---- profile picture ---------------------------------------------------------------------------


def test_upload_picture_reencodes_and_serves_it(admin_client, world, settings):
    account = fresh(world.inside)
    response = admin_client.post(
        action_url("account_update_profile", world.emea, account),
        {**profile(account), "picture": upload(png((1200, 900)))},
    )
    assert response.status_code == 302
    account = fresh(account)
    assert account.picture.name.startswith(f"pictures/{account.pk}-")
    assert account.picture.name.endswith(".webp")
    stored = settings.MEDIA_ROOT / account.picture.name
    with Image.open(stored) as image:
        assert image.format == "WEBP" and image.size == (512, 384)
    (event,) = events(account, "account.picture_changed")
    assert event.actor_id == world.admin.pk and event.metadata["width"] == 512
    assert events(account, "account.updated") == []  # no other field changed

    html = overview(admin_client, world).content.decode()
    picture_url = action_url("account_picture", world.emea, account)
    assert f'src="{picture_url}?v=' in html
    served = admin_client.get(picture_url)
    assert served.status_code == 200 and served["Content-Type"] == "image/webp"
    assert "private" in served["Cache-Control"]
    assert b"".join(served.streaming_content) == stored.read_bytes()
    # Anyone who may view the account may see its picture; not through another organization.
    assert client_for(world.viewer).get(picture_url).status_code == 200
    other = action_url("account_picture", world.germany, account)
    assert admin_client.get(other).status_code == 404


def test_same_picture_sent_twice_is_stored_once(admin_client, world):
    account = fresh(world.inside)
    url = action_url("account_update_profile", world.emea, account)
    data = png()
    first = admin_client.post(url, {**profile(account), "picture": upload(data)})
    second = admin_client.post(url, {**profile(account), "picture": upload(data)})
    assert first.status_code == second.status_code == 302
    assert "Nothing changed." in messages_of(second)
    assert len(events(account, "account.picture_changed")) == 1


def test_replace_and_remove_picture_delete_old_files(
    admin_client, world, settings, django_capture_on_commit_callbacks
):
    account = fresh(world.inside)
    url = action_url("account_update_profile", world.emea, account)
    with django_capture_on_commit_callbacks(execute=True):
        admin_client.post(url, {**profile(account), "picture": upload(png(color=(1, 2, 3)))})
    first = fresh(account).picture.name
    with django_capture_on_commit_callbacks(execute=True):
        admin_client.post(url, {**profile(fresh(account)), "picture": upload(png(color=(9, 9, 9)))})
    second = fresh(account).picture.name
    assert second != first
    assert not (settings.MEDIA_ROOT / first).exists() and (settings.MEDIA_ROOT / second).exists()

    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(url, {**profile(fresh(account)), "remove_picture": "on"})
    assert response.status_code == 302
    assert fresh(account).picture.name == ""
    assert not (settings.MEDIA_ROOT / second).exists()
    assert len(events(account, "account.picture_removed")) == 1
    assert admin_client.get(action_url("account_picture", world.emea, account)).status_code == 404


def test_picture_metadata_is_dropped_and_orientation_applied(admin_client, world, settings):
    exif = Image.Exif()
    exif[0x010E] = "secret image description"  # ImageDescription
    exif[0x0112] = 6  # Orientation: rotate 90° clockwise to display
    out = io.BytesIO()
    Image.new("RGB", (80, 40), (10, 200, 10)).save(out, "JPEG", exif=exif.tobytes())
    account = fresh(world.inside)
    response = admin_client.post(
        action_url("account_update_profile", world.emea, account),
        {**profile(account), "picture": upload(out.getvalue(), "photo.jpg", "image/jpeg")},
    )
    assert response.status_code == 302
    stored = (settings.MEDIA_ROOT / fresh(account).picture.name).read_bytes()
    assert b"secret image description" not in stored
    with Image.open(io.BytesIO(stored)) as image:
        assert image.size == (40, 80) and not image.getexif()


def test_stale_picture_upload_writes_nothing(admin_client, world):
    account = fresh(world.inside)
    loaded = profile(account)
    account_actions.update_account(actor=SYSTEM, account=account, changes={"city": "Nice"})
    response = admin_client.post(
        action_url("account_update_profile", world.emea, account),
        {**loaded, "city": "Nice", "picture": upload(png())},
    )
    assert response.status_code == 409
    assert "changed by someone else" in response.content.decode()
    assert fresh(account).picture.name == ""
    assert events(account, "account.picture_changed") == []


def test_upload_and_remove_together_is_an_error(admin_client, world):
    account = fresh(world.inside)
    response = admin_client.post(
        action_url("account_update_profile", world.emea, account),
        {**profile(account), "picture": upload(png()), "remove_picture": "on"},
    )
    assert response.status_code == 400
    assert "not both" in response.content.decode()


@pytest.mark.parametrize(
    ("data", "name", "message"),
    [
        (b"x" * (5 * 1024 * 1024 + 1), "huge.png", "too large: at most 5 MB"),
        (png() + b"\0" * (5 * 1024 * 1024), "padded.png", "too large: at most 5 MB"),
        (b"%PDF-1.7 not an image", "cv.pdf", "not a picture we can use"),
        (b"\x89PNG\r\n\x1a\n" + b"junk" * 100, "junk.png", "not a picture we can use"),
        (png()[:60], "truncated.png", "not a picture we can use"),
        (b"", "empty.png", "The submitted file is empty."),
        (b"<svg xmlns='http://www.w3.org/2000/svg'/>", "vector.svg", "not a picture we can use"),
        (png_header(100_000, 100_000), "bomb.png", "too many pixels"),
        (png_header(7_000, 7_000), "big.png", "too many pixels"),
    ],
    ids=["oversized", "padded", "pdf", "junk-png", "truncated", "empty", "svg", "bomb", "49mp"],
)
def test_bad_uploads_are_refused(admin_client, world, settings, data, name, message):
    account = fresh(world.inside)
    response = admin_client.post(
        action_url("account_update_profile", world.emea, account),
        {**profile(account, city="Not saved"), "picture": upload(data, name)},
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert message in html and 'id="id_picture_error"' in html
    account = fresh(account)
    assert account.picture.name == "" and account.city == ""
    assert events(account, "account.picture_changed") == []
    assert not (settings.MEDIA_ROOT / "pictures").exists()


# ---- disable and enable ------------------------------------------------------------------------


def test_disable_and_enable(admin_client, world):
    account = fresh(world.inside)
    assert CustomerSession.objects.filter(account=account, revoked_at__isnull=True).exists()
    response = admin_client.post(
        action_url("account_disable", world.emea, account), {"reason": "Reported stolen phone"}
    )
    assert response.status_code == 302
    assert response["Location"] == tab_url(world.emea, account, "overview")
    account = fresh(account)
    assert account.status == "disabled" and account.disabled_at is not None
    assert not CustomerSession.objects.filter(account=account, revoked_at__isnull=True).exists()
    (event,) = events(account, "account.disabled")
    assert event.actor_id == world.admin.pk and event.metadata == {
        "reason": "Reported stolen phone"
    }

    html = overview(admin_client, world).content.decode()
    assert "Enable account" in html and "Disable account" not in html
    assert "Enable the account before sending a link." in html

    # the same disable again: no second event, no error
    again = admin_client.post(action_url("account_disable", world.emea, account), {"reason": ""})
    assert again.status_code == 302 and len(events(account, "account.disabled")) == 1

    response = admin_client.post(action_url("account_enable", world.emea, account))
    assert response.status_code == 302
    assert fresh(account).status == "enabled"
    (event,) = events(account, "account.enabled")
    assert event.metadata == {}


def test_disable_needs_a_recent_sign_in(stale_admin_client, world):
    account = fresh(world.inside)
    response = stale_admin_client.post(action_url("account_disable", world.emea, account))
    assert response.status_code == 302
    location = urlsplit(response["Location"])
    assert location.path == "/portal/step-up"
    assert parse_qs(location.query)["next"] == [tab_url(world.emea, account, "overview")]
    assert fresh(account).status == "enabled"
    assert events(account, "account.disabled") == []


def test_cannot_disable_oneself(admin_client, world):
    response = admin_client.post(action_url("account_disable", world.emea, world.admin))
    assert response.status_code == 302
    assert any("your own account" in m for m in messages_of(response))
    assert fresh(world.admin).status == "enabled"


# ---- password reset ----------------------------------------------------------------------------


def test_password_reset_emails_a_link_and_records_it(
    admin_client, world, django_capture_on_commit_callbacks
):
    account = fresh(world.inside)
    before = timezone.now()
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(
            action_url("account_reset_password", world.emea, account),
            {"last_link": "", "reason": "Customer called the help desk"},
        )
    assert response.status_code == 302
    assert "A password reset link was sent to inside@acme.test." in messages_of(response)
    (notification,) = Notification.objects.filter(account=account)
    assert notification.template.code == "password_reset"
    assert notification.target == "inside@acme.test" and notification.channel == "email"
    assert notification.status == Notification.Status.SENT
    expected = before + dt.timedelta(minutes=notification.template.expires_after)
    assert abs((notification.expires_at - expected).total_seconds()) < 60
    (message,) = mail.outbox
    assert message.to == ["inside@acme.test"]
    assert "/account/password/" in message.body and "purpose=password_reset" in message.body
    (event,) = events(account, "account.password_reset_sent")
    assert event.actor_id == world.admin.pk
    assert event.metadata["notification"] == notification.pk
    assert event.metadata["reason"] == "Customer called the help desk"

    # the page now knows this link: the next form carries its id
    html = overview(admin_client, world).content.decode()
    assert f'name="last_link" value="{notification.pk}"' in html


def test_password_reset_sent_twice_sends_one_link(
    admin_client, world, django_capture_on_commit_callbacks
):
    account = fresh(world.inside)
    url = action_url("account_reset_password", world.emea, account)
    with django_capture_on_commit_callbacks(execute=True):
        admin_client.post(url, {"last_link": ""})
        second = admin_client.post(url, {"last_link": ""})
    assert second.status_code == 302
    assert any("no other link was sent" in m for m in messages_of(second))
    assert Notification.objects.filter(account=account).count() == 1
    assert len(mail.outbox) == 1
    assert len(events(account, "account.password_reset_sent")) == 1
    # a form built after the first link sends a new one
    latest = Notification.objects.get(account=account).pk
    with django_capture_on_commit_callbacks(execute=True):
        admin_client.post(url, {"last_link": str(latest)})
    assert Notification.objects.filter(account=account).count() == 2


@pytest.mark.parametrize("case", ["disabled", "no_email", "bad_form"])
def test_password_reset_refusals(admin_client, world, case):
    if case == "disabled":
        account_actions.disable_account(actor=SYSTEM, account=world.inside)
        account, expected = world.inside, "This account is disabled"
        data = {"last_link": ""}
    elif case == "no_email":
        account = account_actions.create_account(
            actor=SYSTEM, organization=world.france, username="no.email"
        )
        expected, data = "no email address", {"last_link": ""}
    else:
        account, expected, data = world.inside, "out of date", {"last_link": "junk"}
    response = admin_client.post(action_url("account_reset_password", world.emea, account), data)
    assert response.status_code == 302
    assert any(expected in m for m in messages_of(response))
    assert not Notification.objects.filter(account=account).exists()
    assert events(account, "account.password_reset_sent") == []


# ---- permissions and organizations -------------------------------------------------------------


@pytest.mark.parametrize("name", POST_ACTIONS)
def test_actions_without_permission_are_403(world, name):
    client = client_for(world.viewer)
    account = fresh(world.inside)
    data = {**identifiers(account, username="nope"), **profile(account), "last_link": ""}
    response = client.post(action_url(name, world.emea, account), data)
    assert response.status_code == 403
    assert fresh(account).username == "" and fresh(account).status == "enabled"
    assert not Event.objects.filter(account=account, actor=world.viewer).exists()
    assert not Notification.objects.filter(account=account).exists()


def test_each_action_needs_its_own_permission(world):
    client = client_with(world, "accounts.view", "accounts.reset_password")
    account = fresh(world.inside)
    assert client.post(action_url("account_disable", world.emea, account)).status_code == 403
    assert (
        client.post(
            action_url("account_update_identifiers", world.emea, account),
            identifiers(account, username="nope"),
        ).status_code
        == 403
    )
    ok = client.post(action_url("account_reset_password", world.emea, account), {"last_link": ""})
    assert ok.status_code == 302


@pytest.mark.parametrize("name", [*POST_ACTIONS, "account_picture"])
@pytest.mark.parametrize("where", ["outside", "foreign"])
def test_other_organization_is_404_for_every_action(admin_client, world, name, where):
    customer = world.customer_in(where)
    data = {**identifiers(customer, username="nope"), **profile(customer), "last_link": ""}
    send = admin_client.get if name == "account_picture" else admin_client.post
    assert send(action_url(name, world.emea, customer), data).status_code == 404
    assert send(action_url(name, customer.organization, customer), data).status_code == 404
    customer = fresh(customer)
    assert customer.username == "" and customer.status == "enabled"
    assert not Event.objects.filter(account=customer, actor=world.admin).exists()


@pytest.mark.parametrize("name", POST_ACTIONS)
def test_actions_are_post_only(admin_client, world, name):
    assert admin_client.get(action_url(name, world.emea, world.inside)).status_code == 405


def test_signed_out_is_sent_to_login(client, world):
    response = client.post(action_url("account_disable", world.emea, world.inside))
    assert response.status_code == 302 and "/portal/login" in response["Location"]
    assert fresh(world.inside).status == "enabled"
