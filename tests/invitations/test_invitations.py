"""Invitations (issue 6): the Invitations tab (list, filters, pages, remembered view,
permissions, other organizations), inviting (email, notification, event, refusals), the token
lifecycle (expiry, single use, resend, delete, unknown tokens) and acceptance (account, groups,
roles, event, one account for two submissions).

`world` (orgdesk/testing/world.py): admin = Admin on Acme / EMEA (account in France),
viewer = accounts.view only on EMEA, cross = Organization manager on Acme / Americas.
"""

import datetime as dt
import re
import threading
from types import SimpleNamespace
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from django.contrib.messages import get_messages
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from orgdesk.access.actions import EscalationRefused, grant_role
from orgdesk.access.models import OrgRole, RoleAssignment
from orgdesk.accounts.actions import create_account
from orgdesk.accounts.models import Account, Group, GroupMembership
from orgdesk.activity.events import EVENT_TYPES
from orgdesk.activity.models import Event
from orgdesk.branding.models import OrganizationBranding
from orgdesk.invitations import actions
from orgdesk.invitations.models import Invitation
from orgdesk.invitations.tokens import hash_token
from orgdesk.notifications.models import Notification
from orgdesk.organizations.models import PORTAL_CLIENT_ID
from orgdesk.portal.models import AdminPreference
from orgdesk.security.stepup import StepUpRequired
from orgdesk.testing.actors import SYSTEM, as_admin, fresh
from tests.detail_support import client_for, role

pytestmark = pytest.mark.django_db

PASSWORD = "a fresh and long passphrase 42"
LINK = re.compile(r"https?://[^/\s]+(/invite/([A-Za-z0-9_-]+))")


# ---- helpers ---------------------------------------------------------------------------------


def messages_of(response: Any) -> list[str]:
    return [str(m.message) for m in get_messages(response.wsgi_request)]


def list_url(org: Any, **query: Any) -> str:
    url = reverse("portal:invitations", args=[org.key])
    if query:
        from urllib.parse import urlencode

        url = f"{url}?{urlencode(query)}"
    return url


def url(name: str, org: Any, *extra: Any) -> str:
    return reverse(f"portal:{name}", args=[org.key, *extra])


def admin_with(world: Any, email: str, *permissions: str, on: Any = None) -> Any:
    """An account of France holding a custom role with `permissions` on `on` (EMEA)."""
    account = create_account(
        actor=SYSTEM,
        organization=world.france,
        email=email,
        given_name="Custom",
        family_name="Admin",
        password="correct horse battery staple",
    )
    custom, _ = OrgRole.objects.get_or_create(
        slug=email.split("@")[0], defaults={"name": email, "permissions": list(permissions)}
    )
    grant_role(actor=SYSTEM, account=account, organization=on or world.emea, role=custom)
    return account


def make_invitation(
    org: Any, email: str, *, actor: Any = SYSTEM, sent_ago: dt.timedelta | None = None, **kw: Any
) -> tuple[Invitation, str]:
    """An invitation made by the real action; `sent_ago` moves it into the past."""
    options = actions.invitation_options(actor=as_admin(actor), organization=org, **kw)
    invitation, token = actions.issue_invitation(
        actor=as_admin(actor), organization=org, email=email, options=options
    )
    if sent_ago:
        Invitation.objects.filter(pk=invitation.pk).update(
            last_sent=invitation.last_sent - sent_ago,
            expires=invitation.expires - sent_ago,
            created=invitation.created - sent_ago,
        )
        invitation.refresh_from_db()
    return invitation, token


def token_from(message: Any) -> tuple[str, str]:
    """(path, token) of the invitation link in an email."""
    found = LINK.search(message.body)
    assert found, message.body
    return found[1], found[2]


def emails(response: Any) -> list[str]:
    return re.findall(r'class="invitation-email" href="[^"]+">([^<]+)<', response.content.decode())


def register(client: Client, path: str, **data: str) -> Any:
    """Follow the link, then post the registration form."""
    first = client.get(path)
    assert first.status_code == 302, first.status_code
    form = {
        "given_name": "Iris",
        "family_name": "Invitee",
        "password1": PASSWORD,
        "password2": PASSWORD,
        **data,
    }
    return client.post(first["Location"], form)


@pytest.fixture
def inviter(world: Any) -> Client:
    return client_for(world.admin)


@pytest.fixture
def listing(world: Any) -> SimpleNamespace:
    """EMEA's invitations in each state, plus invitations the admin must never see here."""
    day = dt.timedelta(days=1)
    pending, _ = make_invitation(world.emea, "pending@example.test")
    outdated, _ = make_invitation(world.emea, "outdated@example.test", sent_ago=8 * day)
    accepted, token = make_invitation(world.emea, "accepted@example.test")
    actions.accept_invitation(token=token, password=PASSWORD, given_name="A", family_name="B")
    accepted.refresh_from_db()
    revoked, _ = make_invitation(world.emea, "revoked@example.test")
    actions.revoke_invitation(actor=SYSTEM, invitation=revoked)
    return SimpleNamespace(
        pending=pending,
        outdated=outdated,
        accepted=accepted,
        revoked=revoked,
        france=make_invitation(world.france, "france@example.test")[0],  # below EMEA
        americas=make_invitation(world.americas, "americas@example.test")[0],  # same tree
        globex=make_invitation(world.globex_eu, "globex@example.test")[0],  # another tree
    )


# ---- the tab ---------------------------------------------------------------------------------


def test_list_shows_the_organizations_invitations_with_status(
    inviter: Client, world: Any, listing: SimpleNamespace
) -> None:
    response = inviter.get(list_url(world.emea))
    assert response.status_code == 200
    body = response.content.decode()
    assert set(emails(response)) == {
        "pending@example.test",
        "outdated@example.test",
        "accepted@example.test",
    }  # revoked hidden by default; other organizations' never
    assert "Organization Portal" in body  # the client column
    assert "Pending" in body and "valid until" in body
    assert "Outdated" in body and "Accepted" in body
    for foreign in ("france@", "americas@", "globex@"):
        assert foreign not in body
    # Row actions for a manager, a split button with Bulk invite.
    assert url("invitation_resend", world.emea, listing.pending.pk) in body
    assert url("invitation_delete", world.emea, listing.pending.pk) in body
    assert url("invitation_resend", world.emea, listing.accepted.pk) not in body
    assert reverse("portal:bulk_invite", args=[world.emea.key]) in body
    assert url("invitation_create", world.emea) in body
    # The organization below sees its own.
    below = inviter.get(list_url(world.france))
    assert emails(below) == ["france@example.test"]


def test_empty_state(inviter: Client, world: Any) -> None:
    response = inviter.get(list_url(world.germany))
    assert response.status_code == 200
    assert "No invitations yet" in response.content.decode()


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        ("pending", {"pending@example.test"}),
        ("outdated", {"outdated@example.test"}),
        ("accepted", {"accepted@example.test"}),
        ("revoked", {"revoked@example.test"}),
    ],
)
def test_filter_by_status(
    inviter: Client, world: Any, listing: SimpleNamespace, status: str, expected: set[str]
) -> None:
    response = inviter.get(list_url(world.emea, status=status))
    assert response.status_code == 200
    assert set(emails(response)) == expected


def test_filter_by_email_prefix_any_case(
    inviter: Client, world: Any, listing: SimpleNamespace
) -> None:
    assert emails(inviter.get(list_url(world.emea, email="PEND"))) == ["pending@example.test"]
    assert emails(inviter.get(list_url(world.emea, email="out", status="outdated"))) == [
        "outdated@example.test"
    ]
    none = inviter.get(list_url(world.emea, email="nobody"))
    assert emails(none) == []
    assert "No invitation matches these filters" in none.content.decode()


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ({"status": "bogus"}, "These filters were not valid and were ignored: Status."),
        ({"email": "x" * 300}, "These filters were not valid and were ignored: Email."),
        ({"size": "7"}, "Items per page must be 10, 25, 50 or 100."),
        ({"size": "lots"}, "Items per page must be 10, 25, 50 or 100."),
        ({"cursor": "not-a-cursor"}, "That page link is no longer valid; showing the first page."),
        ({"status": "pending\x00"}, "These filters were not valid and were ignored: Status."),
    ],
)
def test_bad_filter_input_shows_a_message_and_the_unfiltered_list(
    inviter: Client, world: Any, listing: SimpleNamespace, query: dict[str, str], message: str
) -> None:
    response = inviter.get(list_url(world.emea, **query))
    assert response.status_code == 200
    assert message in response.content.decode()
    assert set(emails(response)) == {
        "pending@example.test",
        "outdated@example.test",
        "accepted@example.test",
    }
    # Not remembered.
    pref = AdminPreference.objects.get(account=world.admin)
    assert not any(key.startswith("invitations") for key in pref.filters)


def test_pagination_and_items_per_page(inviter: Client, world: Any) -> None:
    for i in range(12):
        make_invitation(world.germany, f"page{i:02}@example.test", sent_ago=dt.timedelta(hours=i))
    first = inviter.get(list_url(world.germany, size=10))
    assert emails(first) == [f"page{i:02}@example.test" for i in range(10)]  # newest first
    body = first.content.decode()
    assert "1\N{EN DASH}10 of 12" in body
    next_url = re.search(r'href="([^"]+)"[^>]*rel="next"', body)[1].replace("&amp;", "&")
    second = inviter.get(next_url)
    assert emails(second) == ["page10@example.test", "page11@example.test"]
    assert "11\N{EN DASH}12 of 12" in second.content.decode()
    # The page size is the admin's from now on.
    assert AdminPreference.objects.get(account=world.admin).page_size == 10


def test_filters_are_in_the_url_and_remembered(
    inviter: Client, world: Any, listing: SimpleNamespace
) -> None:
    inviter.get(list_url(world.emea, status="pending", email="pe"))
    bare = inviter.get(list_url(world.emea))
    assert bare.status_code == 302
    assert parse_qs(urlsplit(bare["Location"]).query) == {"email": ["pe"], "status": ["pending"]}
    assert emails(inviter.get(bare["Location"])) == ["pending@example.test"]
    # The Accounts tab keeps its own memory.
    assert "accounts" not in AdminPreference.objects.get(account=world.admin).filters
    cleared = inviter.get(list_url(world.emea, clear=1))
    assert cleared.status_code == 302 and cleared["Location"] == list_url(world.emea)
    assert inviter.get(list_url(world.emea)).status_code == 200


def test_htmx_gets_the_results_fragment_with_the_canonical_url(
    inviter: Client, world: Any, listing: SimpleNamespace
) -> None:
    response = inviter.get(
        list_url(world.emea, status="pending", email=""),
        HTTP_HX_REQUEST="true",
        HTTP_HX_CURRENT_URL=f"http://testserver{list_url(world.emea)}",
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert "<html" not in body and 'id="results"' in body
    assert response["HX-Push-Url"] == list_url(world.emea, status="pending")
    assert "HX-Request" in response["Vary"]
    assert inviter.get(list_url(world.emea, status="pending"))["Vary"].count("HX-Request") == 1


def test_tab_needs_invitations_view(world: Any, listing: SimpleNamespace) -> None:
    viewer = client_for(world.viewer)
    assert viewer.get(list_url(world.emea)).status_code == 403
    assert viewer.get(url("invitation", world.emea, listing.pending.pk)).status_code == 403
    for name in ("invitation_resend", "invitation_delete"):
        assert viewer.post(url(name, world.emea, listing.pending.pk)).status_code == 403
    assert viewer.get(url("invitation_create", world.emea)).status_code == 403
    # The sidebar does not offer it.
    accounts = viewer.get(reverse("portal:accounts", args=[world.emea.key]))
    assert list_url(world.emea) not in accounts.content.decode()
    # Outside any grant: 404, as for every organization out of reach.
    assert client_for(world.viewer).get(list_url(world.globex)).status_code == 404


def test_view_only_admin_sees_no_buttons_and_gets_403_for_actions(
    world: Any, listing: SimpleNamespace
) -> None:
    reader = client_for(admin_with(world, "reader@acme.test", "invitations.view"))
    response = reader.get(list_url(world.emea))
    assert response.status_code == 200
    body = response.content.decode()
    assert set(emails(response)) >= {"pending@example.test"}
    assert url("invitation_create", world.emea) not in body
    assert "/resend" not in body and "/delete" not in body
    assert reader.get(url("invitation", world.emea, listing.pending.pk)).status_code == 200
    assert reader.get(url("invitation_create", world.emea)).status_code == 403
    assert reader.get(url("bulk_invite", world.emea)).status_code == 403
    post = {"email": "new@example.test", "days": "7", "locale": "en"}
    assert reader.post(url("invitation_create", world.emea), post).status_code == 403
    for name in ("invitation_resend", "invitation_delete"):
        assert reader.post(url(name, world.emea, listing.pending.pk)).status_code == 403
    listing.pending.refresh_from_db()
    assert listing.pending.status == "pending"
    assert not Invitation.objects.filter(email="new@example.test").exists()


def test_other_organizations_invitations_are_404_everywhere(
    inviter: Client, world: Any, listing: SimpleNamespace
) -> None:
    for other in (listing.americas, listing.globex, listing.france):
        assert inviter.get(url("invitation", world.emea, other.pk)).status_code == 404
        for name in ("invitation_resend", "invitation_delete"):
            assert inviter.post(url(name, world.emea, other.pk)).status_code == 404
        other.refresh_from_db()
        assert other.status == "pending"
    # Under their own organization's URL: out of the admin's reach, 404 too.
    for other, org in ((listing.americas, world.americas), (listing.globex, world.globex_eu)):
        assert inviter.get(url("invitation", org, other.pk)).status_code == 404
        assert inviter.post(url("invitation_delete", org, other.pk)).status_code == 404
    assert inviter.get(list_url(world.americas)).status_code == 404
    # Not a UUID: no such page.
    assert inviter.get(f"{list_url(world.emea)}/not-a-uuid").status_code == 404


def test_detail_page(inviter: Client, world: Any, listing: SimpleNamespace) -> None:
    response = inviter.get(url("invitation", world.emea, listing.accepted.pk))
    assert response.status_code == 200
    body = response.content.decode()
    assert "accepted@example.test" in body and "Accepted" in body
    account_url = reverse(
        "portal:account", args=[world.emea.key, listing.accepted.accepted_account_id]
    )
    assert account_url in body
    assert "Resend invitation" not in body
    pending = inviter.get(url("invitation", world.emea, listing.pending.pk)).content.decode()
    assert "Resend invitation" in pending and "Delete invitation" in pending


def test_bulk_invite_page(inviter: Client, world: Any) -> None:
    # The upload page (bulk invite itself is tested in tests/invitations/test_bulk_invite.py).
    response = inviter.get(reverse("portal:bulk_invite", args=[world.emea.key]))
    assert response.status_code == 200
    assert 'enctype="multipart/form-data"' in response.content.decode()


# ---- inviting --------------------------------------------------------------------------------


def test_invite_sends_email_records_notification_and_event(
    inviter: Client, world: Any, django_capture_on_commit_callbacks: Any
) -> None:
    group = Group.objects.create(organization=world.emea, name="EMEA staff")
    with django_capture_on_commit_callbacks(execute=True):
        response = inviter.post(
            url("invitation_create", world.emea),
            {
                "email": "Iris.Invitee@Example.TEST",
                "given_name": "Iris",
                "family_name": "Invitee",
                "groups": [str(group.pk)],
                "roles": [str(role("account-recovery-assistant").pk)],
                "days": "10",
                "locale": "fr",
            },
        )
    assert response.status_code == 302
    assert response["Location"] == list_url(world.emea)
    assert "Invitation sent to Iris.Invitee@example.test." in messages_of(response)
    invitation = Invitation.objects.get(organization=world.emea)
    assert invitation.email == "Iris.Invitee@example.test"  # domain normalized
    assert invitation.status == "pending" and invitation.invited_by == world.admin
    assert invitation.application.client_id == PORTAL_CLIENT_ID
    assert invitation.locale == "fr"
    assert list(invitation.groups.all()) == [group]
    assert list(invitation.roles.all()) == [role("account-recovery-assistant")]
    assert abs(invitation.expires - invitation.last_sent - dt.timedelta(days=10)) < dt.timedelta(
        seconds=1
    )

    [message] = mail.outbox
    assert message.to == ["Iris.Invitee@example.test"]
    assert "EMEA" in message.subject and "EMEA" in message.body
    path, token = token_from(message)
    assert path == f"/invite/{token}" and len(token) >= 43
    assert invitation.token_hash == hash_token(token)
    assert token not in str(Invitation.objects.filter(pk=invitation.pk).values().first())

    notification = Notification.objects.get(template__code="invitation")
    assert notification.target == invitation.email and notification.account is None
    assert notification.organization == world.emea
    assert notification.expires_at == invitation.expires
    assert notification.status == "sent"

    event = Event.objects.get(type="invitation.sent")
    assert event.actor == world.admin and event.organization == world.emea
    assert event.account is None
    assert event.metadata["invitation"] == str(invitation.pk)
    assert event.metadata["roles"] == ["account-recovery-assistant"]
    assert event.metadata["notification"] == notification.pk

    # The link works, and the page speaks the invitation's language (French here).
    page = Client().get(path, follow=True)
    assert page.status_code == 200
    assert "Créez votre compte" in page.content.decode()


def test_invite_form_renders_choices(inviter: Client, world: Any) -> None:
    Group.objects.create(organization=world.france, name="France support")
    Group.objects.create(organization=world.germany, name="Germany ops")
    response = inviter.get(url("invitation_create", world.france))
    assert response.status_code == 200
    body = response.content.decode()
    assert "France support" in body and "Germany ops" not in body
    assert 'value="7"' in body  # the default expiry
    assert "From 1 to 30 days." in body
    assert "Admin" in body  # the admin holds everything: every role is offered


def test_email_uses_the_invitees_language(world: Any, django_capture_on_commit_callbacks: Any):
    with django_capture_on_commit_callbacks(execute=True):
        make_invitation(world.emea, "de@example.test", locale="de")
    [message] = mail.outbox
    # German dates (the catalogue's texts arrive with the translation pass).
    assert re.search(r"\d{1,2}\. \w+ \d{4}", message.body), message.body


@pytest.mark.parametrize(
    ("email", "message"),
    [
        ("inside@acme.test", "An account with this email address already exists"),
        ("INSIDE@ACME.TEST", "An account with this email address already exists"),
        ("outside@acme.test", "An account with this email address already exists"),  # same store
        ("taken@example.test", "already has a pending invitation"),
        ("TAKEN@example.test", "already has a pending invitation"),
        ("not an address", "Enter a valid email address."),
    ],
)
def test_duplicates_are_refused(inviter: Client, world: Any, email: str, message: str) -> None:
    make_invitation(world.emea, "taken@example.test")
    response = inviter.post(
        url("invitation_create", world.emea), {"email": email, "days": "7", "locale": "en"}
    )
    assert response.status_code == 400
    assert message in response.content.decode()
    assert Invitation.objects.count() == 1
    assert len(mail.outbox) == 0


def test_pending_invitation_elsewhere_in_the_store_is_refused(world: Any) -> None:
    make_invitation(world.americas, "both@example.test")
    with pytest.raises(ValidationError) as caught:
        actions.check_invitee(world.emea, "both@example.test")
    assert caught.value.code == "already_invited"
    actions.check_invitee(world.globex_eu, "both@example.test")  # another identity store


def test_outdated_invitation_is_replaced(world: Any) -> None:
    old, _ = make_invitation(world.emea, "again@example.test", sent_ago=dt.timedelta(days=9))
    new, _ = make_invitation(world.emea, "again@example.test", actor=as_admin(world.admin))
    old.refresh_from_db()
    assert old.status == "revoked" and new.status == "pending"
    event = Event.objects.get(type="invitation.revoked")
    assert event.metadata == {"invitation": str(old.pk), "superseded_by": str(new.pk)}


def test_expiry_limits(inviter: Client, world: Any, settings: Any) -> None:
    for days in ("0", "31", "-1", "many"):
        response = inviter.post(
            url("invitation_create", world.emea),
            {"email": f"d{days}@example.test", "days": days, "locale": "en"},
        )
        assert response.status_code == 400, days
    assert not Invitation.objects.exists()
    settings.ORGDESK_INVITATION_MAX_DAYS = 3
    settings.ORGDESK_INVITATION_DEFAULT_DAYS = 2
    form = inviter.get(url("invitation_create", world.emea)).content.decode()
    assert 'value="2"' in form and "From 1 to 3 days." in form
    with pytest.raises(ValidationError):
        actions.invite(
            actor=as_admin(world.admin), organization=world.emea, email="x@example.test", days=4
        )
    bad_locale = inviter.post(
        url("invitation_create", world.emea),
        {"email": "l@example.test", "days": "2", "locale": "xx"},
    )
    assert bad_locale.status_code == 400


def test_escalation_refused_for_a_role_the_admin_does_not_hold(world: Any) -> None:
    limited = admin_with(
        world,
        "limited@acme.test",
        "accounts.view",
        "invitations.view",
        "invitations.manage",
        "roles.assign",
    )
    client = client_for(limited)
    form = client.get(url("invitation_create", world.emea)).content.decode()
    assert f'value="{role("admin").pk}"' not in form
    response = client.post(
        url("invitation_create", world.emea),
        {"email": "esc@example.test", "days": "7", "locale": "en", "roles": [role("admin").pk]},
    )
    assert response.status_code == 400
    assert not Invitation.objects.exists()
    with pytest.raises(EscalationRefused):
        actions.invite(
            actor=as_admin(limited),
            organization=world.emea,
            email="esc@example.test",
            roles=[role("admin")],
        )
    # Without roles.assign, no role at all.
    manager = world.cross  # Organization manager on Americas: no roles.assign
    with pytest.raises(EscalationRefused):
        actions.invite(
            actor=as_admin(manager),
            organization=world.americas,
            email="esc@example.test",
            roles=[role("account-recovery-assistant")],
        )
    # Nor groups beyond reach.
    germany = Group.objects.create(organization=world.germany, name="Germany ops")
    with pytest.raises(PermissionDenied):
        actions.invite(
            actor=as_admin(world.admin),
            organization=world.france,
            email="g@example.test",
            groups=[germany],
        )
    assert not Invitation.objects.exists()


def test_roles_need_a_recent_sign_in(world: Any, stale_admin_client: Client) -> None:
    form = stale_admin_client.get(url("invitation_create", world.emea)).content.decode()
    assert "Confirm your identity" in form and reverse("portal:step_up") in form
    assert 'name="roles"' not in form
    with pytest.raises(StepUpRequired):
        actions.invite(
            actor=as_admin(world.admin),
            organization=world.emea,
            email="r@example.test",
            roles=[role("account-recovery-assistant")],
        )
    # A stale sign-in can still invite without roles.
    response = stale_admin_client.post(
        url("invitation_create", world.emea),
        {"email": "r@example.test", "days": "7", "locale": "en"},
    )
    assert response.status_code == 302
    assert Invitation.objects.get().roles.count() == 0


def test_invite_without_manage_is_refused_by_the_action(world: Any) -> None:
    with pytest.raises(PermissionDenied):
        actions.invite(
            actor=as_admin(world.viewer), organization=world.emea, email="v@example.test"
        )


# ---- token lifecycle -------------------------------------------------------------------------


def invalid_page(client: Client, path: str) -> str:
    response = client.get(path)
    assert response.status_code == 404
    assert response["Referrer-Policy"] == "no-referrer"
    body = response.content.decode()
    assert "This invitation link is not valid" in body
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", body)


def test_unknown_expired_revoked_and_used_tokens_get_the_same_page(world: Any) -> None:
    _expired, expired_token = make_invitation(
        world.emea, "expired@example.test", sent_ago=dt.timedelta(days=8)
    )
    revoked, revoked_token = make_invitation(world.emea, "revoked@example.test")
    actions.revoke_invitation(actor=as_admin(world.admin), invitation=revoked)
    _used, used_token = make_invitation(world.emea, "used@example.test")
    actions.accept_invitation(token=used_token, password=PASSWORD, given_name="U", family_name="S")
    pages = {
        invalid_page(Client(), f"/invite/{token}")
        for token in (
            "x" * 43,
            "short",
            "not!a*token",
            "y" * 500,
            expired_token,
            revoked_token,
            used_token,
        )
    }
    assert len(pages) == 1
    [page] = pages
    for email in ("expired@", "revoked@", "used@"):
        assert email not in page
    # Without a stashed token, the form address is the same page.
    assert invalid_page(Client(), "/invite/register") == page
    # A POST to the emailed address is not how the form works.
    assert Client().post(f"/invite/{expired_token}").status_code == 404


def test_token_expires(world: Any) -> None:
    invitation, token = make_invitation(world.emea, "soon@example.test")
    client = Client()
    assert client.get(f"/invite/{token}").status_code == 302
    Invitation.objects.filter(pk=invitation.pk).update(expires=timezone.now())
    assert client.get("/invite/register").status_code == 404
    with pytest.raises(actions.InvalidInvitation):
        actions.accept_invitation(token=token, password=PASSWORD)
    assert not Account.objects.filter(email="soon@example.test").exists()


def test_token_lives_only_in_the_session_after_the_first_request(world: Any) -> None:
    _invitation, token = make_invitation(world.emea, "stash@example.test")
    client = Client()
    response = client.get(f"/invite/{token}")
    assert response["Location"] == "/invite/register"
    assert response["Referrer-Policy"] == "no-referrer"
    page = client.get("/invite/register")
    assert page.status_code == 200 and token not in page.content.decode()
    assert "stash@example.test" in page.content.decode()
    assert "no-cache" in page["Cache-Control"] or "max-age=0" in page["Cache-Control"]


def test_resend_replaces_the_token_and_is_rate_limited(
    inviter: Client, world: Any, django_capture_on_commit_callbacks: Any
) -> None:
    invitation, old_token = make_invitation(
        world.emea, "again@example.test", days=5, sent_ago=dt.timedelta(minutes=2)
    )
    before = invitation.last_sent
    with django_capture_on_commit_callbacks(execute=True):
        response = inviter.post(url("invitation_resend", world.emea, invitation.pk))
    assert response.status_code == 302 and response["Location"] == list_url(world.emea)
    assert "Invitation sent again to again@example.test." in messages_of(response)
    invitation.refresh_from_db()
    assert invitation.last_sent > before
    assert abs(invitation.expires - invitation.last_sent - dt.timedelta(days=5)) < dt.timedelta(
        seconds=1
    )
    [message] = mail.outbox
    path, new_token = token_from(message)
    assert new_token != old_token
    invalid_page(Client(), f"/invite/{old_token}")
    assert Client().get(path).status_code == 302
    event = Event.objects.get(type="invitation.resent")
    assert event.actor == world.admin and event.metadata["invitation"] == str(invitation.pk)
    assert Notification.objects.filter(template__code="invitation").count() == 2

    # Again at once: refused with a clear message, nothing sent.
    again = inviter.post(url("invitation_resend", world.emea, invitation.pk))
    assert again.status_code == 302
    assert any(
        "This invitation was just sent. You can resend it in" in m for m in messages_of(again)
    )
    assert len(mail.outbox) == 1
    # Every minute, up to the hourly limit.
    for _ in range(actions.RESEND_PER_HOUR - 1):
        Invitation.objects.filter(pk=invitation.pk).update(
            last_sent=timezone.now() - dt.timedelta(minutes=2)
        )
        with django_capture_on_commit_callbacks(execute=True):
            actions.resend_invitation(actor=as_admin(world.admin), invitation=invitation)
    Invitation.objects.filter(pk=invitation.pk).update(
        last_sent=timezone.now() - dt.timedelta(minutes=2)
    )
    with pytest.raises(actions.ResendLimited) as caught:
        actions.resend_invitation(actor=as_admin(world.admin), invitation=invitation)
    assert "times in the last hour" in caught.value.messages[0]


def test_resend_renews_an_outdated_invitation(world: Any) -> None:
    invitation, _ = make_invitation(world.emea, "late@example.test", sent_ago=dt.timedelta(days=8))
    assert invitation.state == "outdated"
    invitation = actions.resend_invitation(actor=as_admin(world.admin), invitation=invitation)
    assert invitation.state == "pending"
    assert invitation.expires > timezone.now() + dt.timedelta(days=6)


def test_resend_refused_when_not_pending_or_the_address_is_taken(world: Any) -> None:
    invitation, _token = make_invitation(
        world.emea, "gone@example.test", sent_ago=dt.timedelta(minutes=5)
    )
    create_account(
        actor=SYSTEM, organization=world.germany, email="gone@example.test", given_name="G"
    )
    with pytest.raises(ValidationError) as caught:
        actions.resend_invitation(actor=as_admin(world.admin), invitation=invitation)
    assert caught.value.code == "account_exists"
    actions.revoke_invitation(actor=as_admin(world.admin), invitation=invitation)
    with pytest.raises(ValidationError) as caught:
        actions.resend_invitation(actor=as_admin(world.admin), invitation=invitation)
    assert caught.value.code == "not_pending"


def test_delete_revokes_at_once_and_keeps_the_row(
    inviter: Client, world: Any, listing: SimpleNamespace
) -> None:
    invitation, token = make_invitation(world.emea, "bye@example.test")
    client = Client()
    assert client.get(f"/invite/{token}").status_code == 302  # the invitee has the form open
    response = inviter.post(
        url("invitation_delete", world.emea, invitation.pk), {"from": "detail", "reason": "typo"}
    )
    assert response.status_code == 302
    assert response["Location"] == url("invitation", world.emea, invitation.pk)
    invitation.refresh_from_db()
    assert invitation.status == "revoked"
    assert invitation.token_hash != hash_token(token)
    event = Event.objects.get(type="invitation.revoked", metadata__invitation=str(invitation.pk))
    assert event.actor == world.admin and event.metadata["reason"] == "typo"
    # Invalid at once, even for the form already open.
    invalid_page(Client(), f"/invite/{token}")
    post = client.post("/invite/register", {"password1": PASSWORD, "password2": PASSWORD})
    assert post.status_code == 404
    assert not Account.objects.filter(email="bye@example.test").exists()
    # Hidden from the default list, shown under Revoked.
    assert "bye@example.test" not in emails(inviter.get(list_url(world.emea)))
    assert "bye@example.test" in emails(inviter.get(list_url(world.emea, status="revoked")))
    # A second delete says why not.
    again = inviter.post(url("invitation_delete", world.emea, invitation.pk))
    assert "Only a pending invitation can be deleted" in messages_of(again)[0]
    accepted = inviter.post(url("invitation_delete", world.emea, listing.accepted.pk))
    assert "Only a pending invitation can be deleted" in messages_of(accepted)[0]


# ---- acceptance ------------------------------------------------------------------------------


def test_acceptance_creates_the_account_with_groups_and_roles(
    world: Any, django_capture_on_commit_callbacks: Any
) -> None:
    emea_group = Group.objects.create(organization=world.emea, name="EMEA staff")
    # signed in just now (roles need a recent sign-in)
    with django_capture_on_commit_callbacks(execute=True):
        invitation = actions.invite(
            actor=fresh(world.admin),
            organization=world.emea,
            email="new.person@example.test",
            given_name="New",
            groups=[emea_group],
            roles=[role("account-recovery-assistant")],
        )
    path, _token = token_from(mail.outbox[0])
    client = Client()
    form = client.get(client.get(path)["Location"]).content.decode()
    assert 'value="New"' in form  # the given name, prefilled
    assert "EMEA" in form
    response = register(client, path, given_name="Nina", family_name="Person")
    assert response.status_code == 302 and response["Location"] == "/invite/done"
    done = client.get("/invite/done").content.decode()
    assert "Your account is ready" in done
    assert reverse("portal:login") in done  # she holds a role: the portal is hers too

    account = Account.objects.get(email="new.person@example.test")
    assert account.organization == world.emea and account.email_verified
    assert account.given_name == "Nina" and account.family_name == "Person"
    assert account.check_password(PASSWORD)
    assert GroupMembership.objects.filter(account=account, group=emea_group).exists()
    assert RoleAssignment.objects.filter(
        account=account, organization=world.emea, role=role("account-recovery-assistant")
    ).exists()
    invitation.refresh_from_db()
    assert invitation.status == "accepted" and invitation.accepted_account == account
    assert invitation.accepted_at is not None
    event = Event.objects.get(type="invitation_accepted")
    assert event.account == account and event.actor == account
    assert event.category == "customer_flow"
    assert event.metadata["invitation"] == str(invitation.pk)
    assert event.metadata["roles"] == ["account-recovery-assistant"]
    assert Event.objects.filter(type="account.created", account=account).exists()
    assert Notification.objects.get(template__code="invitation").account == account
    # The link is used up.
    invalid_page(Client(), path)


def test_registration_form_errors(world: Any) -> None:
    _invitation, token = make_invitation(world.emea, "errs@example.test")
    client = Client()
    path = f"/invite/{token}"
    mismatch = register(client, path, password2="something else entirely")
    assert mismatch.status_code == 400
    assert "The two passwords do not match." in mismatch.content.decode()
    weak = client.post(
        "/invite/register",
        {"given_name": "E", "family_name": "R", "password1": "12345", "password2": "12345"},
    )
    assert weak.status_code == 400
    assert "too short" in weak.content.decode()
    nameless = client.post("/invite/register", {"password1": PASSWORD, "password2": PASSWORD})
    assert nameless.status_code == 400
    assert not Account.objects.filter(email="errs@example.test").exists()
    ok = client.post(
        "/invite/register",
        {"given_name": "E", "family_name": "R", "password1": PASSWORD, "password2": PASSWORD},
    )
    assert ok.status_code == 302


def test_double_submission_creates_one_account(world: Any) -> None:
    _invitation, token = make_invitation(world.emea, "twice@example.test")
    client = Client()
    first = register(client, f"/invite/{token}")
    assert first.status_code == 302
    # The same form posted again (the session had the token when the page was served).
    session = client.session
    session["orgdesk_invitation"] = token
    session.save()
    second = client.post(
        "/invite/register",
        {"given_name": "I", "family_name": "I", "password1": PASSWORD, "password2": PASSWORD},
    )
    assert second.status_code == 302 and second["Location"] == "/invite/done"
    with pytest.raises(actions.InvalidInvitation):
        actions.accept_invitation(token=token, password=PASSWORD, given_name="I", family_name="I")
    assert Account.objects.filter(email="twice@example.test").count() == 1
    assert Event.objects.filter(type="invitation_accepted").count() == 1


def test_address_taken_before_acceptance(world: Any) -> None:
    invitation, token = make_invitation(world.emea, "race@example.test")
    create_account(
        actor=SYSTEM, organization=world.france, email="RACE@example.test", given_name="R"
    )
    client = Client()
    response = register(client, f"/invite/{token}")
    assert response.status_code == 400
    assert "An account with this email address exists already" in response.content.decode()
    invitation.refresh_from_db()
    assert invitation.status == "pending"


@pytest.mark.django_db(transaction=True)
def test_concurrent_acceptance_creates_one_account() -> None:
    if connection.vendor != "postgresql":
        pytest.skip("row locks: SQLite serializes writers by itself (BEGIN IMMEDIATE)")
    from orgdesk.testing.world import build_world

    world = build_world()
    _invitation, token = make_invitation(world.emea, "both.tabs@example.test")
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def accept() -> None:
        from django.db import connection as thread_connection

        try:
            barrier.wait()
            actions.accept_invitation(
                token=token, password=PASSWORD, given_name="B", family_name="T"
            )
            outcomes.append("ok")
        except actions.InvalidInvitation:
            outcomes.append("invalid")
        finally:
            thread_connection.close()

    threads = [threading.Thread(target=accept) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == ["invalid", "ok"]
    assert Account.objects.filter(email="both.tabs@example.test").count() == 1


# ---- branding, events ------------------------------------------------------------------------


def test_registration_page_is_branded(world: Any) -> None:
    OrganizationBranding.objects.create(organization=world.acme, header_style="dark")
    _invitation, token = make_invitation(world.france, "brand@example.test")
    client = Client()
    page = client.get(client.get(f"/invite/{token}")["Location"]).content.decode()
    css = re.search(r'<link rel="stylesheet" href="(/branding/theme\.css[^"]*)"', page)[1]
    assert "header=dark" in css and "primary=4f46e5" in css
    assert "France" in page
    sheet = Client().get(css.replace("&amp;", "&"))
    assert sheet.status_code == 200 and sheet["Content-Type"].startswith("text/css")
    assert "--brand: #4f46e5" in sheet.content.decode()
    assert "--brand-band: #18181b" in sheet.content.decode()


def test_theme_stylesheet_accepts_only_colours() -> None:
    body = Client().get("/invite/theme.css?primary=ff0;}body{x:y&header=evil").content.decode()
    assert "body" not in body and "--brand: #4f46e5" in body
    light = Client().get("/invite/theme.css?primary=fde047").content.decode()
    assert "--brand-text: #18181b" in light  # dark text on a light brand colour


def test_event_types_are_catalogued() -> None:
    for code in (
        "invitation.sent",
        "invitation.resent",
        "invitation.revoked",
        "invitation.bulk_started",
        "invitation.bulk_finished",
        "invitation_accepted",
    ):
        assert code in EVENT_TYPES


def test_a_brand_that_customised_the_invitation_template_gets_its_own_text(
    inviter: Client, world: Any, django_capture_on_commit_callbacks: Any
) -> None:
    from orgdesk.notifications.models import NotificationTemplate

    NotificationTemplate.objects.filter(code="invitation").update(
        subject="Welcome aboard {organization}",
        body="Hi {given_name}, join {organization} at {link} before {expires}. {not a key}",
    )
    with django_capture_on_commit_callbacks(execute=True):
        response = inviter.post(
            url("invitation_create", world.emea),
            {
                "email": "brand.text@example.test",
                "given_name": "Bea",
                "family_name": "Brand",
                "days": "7",
                "locale": "en",
            },
        )
    assert response.status_code == 302
    message = mail.outbox[-1]
    assert message.subject == f"Welcome aboard {world.emea.name}"
    assert message.body.startswith(f"Hi Bea, join {world.emea.name} at http")
    assert "/invite/" in message.body and "(UTC). {not a key}" in message.body


def test_the_default_invitation_template_is_rendered_in_the_invitees_language(
    inviter: Client, world: Any, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        inviter.post(
            url("invitation_create", world.emea),
            {
                "email": "lang@example.test",
                "given_name": "Lea",
                "family_name": "Lang",
                "days": "7",
                "locale": "de",
            },
        )
    assert mail.outbox[-1].body.startswith("Hallo Lea")


def test_options_checked_for_one_admin_cannot_be_used_by_another(world: Any) -> None:
    """issue_invitation refuses options checked for another actor or organization: what one
    admin may give (groups, roles) is not what another may."""
    options = actions.invitation_options(actor=as_admin(world.admin), organization=world.emea)
    other = admin_with(world, "other.inviter@acme.test", "invitations.manage", "invitations.view")
    with pytest.raises(ValueError, match="another organization or actor"):
        actions.issue_invitation(
            actor=as_admin(other), organization=world.emea, email="x@example.test", options=options
        )
    with pytest.raises(ValueError, match="another organization or actor"):
        actions.issue_invitation(
            actor=as_admin(world.admin),
            organization=world.france,
            email="x@example.test",
            options=options,
        )
    assert not Invitation.objects.filter(email="x@example.test").exists()
