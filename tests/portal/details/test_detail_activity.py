"""The Activity and Notifications tabs of the Account details page: real rows, the privacy rule
(nothing internal about an event reaches an organization admin), filters in the URL, keyset
pages, empty states, permissions and bounded queries."""

import datetime as dt
import re
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from orgdesk.access.actions import grant_role
from orgdesk.access.models import OrgRole
from orgdesk.accounts.actions import (
    create_account,
    disable_account,
    enable_account,
    send_password_link,
    set_password,
    update_account,
)
from orgdesk.accounts.models import Account
from orgdesk.activity.events import category_of
from orgdesk.activity.models import Event
from orgdesk.activity.recorder import record
from orgdesk.activity.visible import PublicEvent
from orgdesk.notifications.models import Channel, Notification, NotificationTemplate
from orgdesk.security.actions import clear_sessions
from orgdesk.testing.actors import SYSTEM, as_admin, fresh
from tests.detail_support import client_for, role, tab_url

pytestmark = pytest.mark.django_db

UTC = dt.UTC
HX = {"HX-Request": "true"}


def at(day: str, time: str = "12:00") -> dt.datetime:
    return dt.datetime.fromisoformat(f"{day}T{time}:00").replace(tzinfo=UTC)


def event(account: Any, event_type: str, ts: dt.datetime, result: str = "success") -> Event:
    """An event at a chosen time (record() always stamps now)."""
    return Event.objects.create(
        ts=ts,
        account=account,
        organization=account.organization,
        type=event_type,
        category=category_of(event_type),
        result=result,
    )


def rows(html: str) -> list[str]:
    body = html.split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    return [row for row in body.split("<tr>")[1:] if "empty-state" not in row]


def ids(response: Any) -> list[Any]:
    return [row.id for row in response.context["page"].rows]


def link(html: str, rel: str) -> str:
    found = re.search(rf'<a class="icon-btn" href="([^"]+)"[^>]*rel="{rel}"', html)
    return found.group(1).replace("&amp;", "&") if found else ""


def quiet_account(world: Any, email: str) -> Account:
    """An account with no history at all (as if imported)."""
    return Account.objects.create(
        organization=world.france,
        store=world.france.identity_store_id,
        email=email,
        given_name="Quiet",
        family_name="Person",
    )


# ---- Activity: rows ---------------------------------------------------------------------------


def test_activity_shows_date_event_type_and_result(admin_client, world):
    event(world.inside, "login", at("2025-03-01", "08:00"))
    event(world.inside, "login", at("2025-03-02", "09:30"), result="failure")
    event(world.inside, "account.disabled", at("2025-03-03", "10:15"))
    response = admin_client.get(tab_url(world.emea, world.inside, "activity"))
    assert response.status_code == 200
    html = response.content.decode()
    table = rows(html)
    # newest first: the world's own "account.created" (just now), then the 2025 events
    assert len(table) == 4
    assert "Account created" in table[0]
    assert 'datetime="2025-03-03T10:15:00+00:00"' in table[1]
    assert "Account disabled" in table[1] and "Administrative action" in table[1]
    assert 'class="status ok">Success' in table[1]
    assert "Login" in table[2] and "Customer flow" in table[2]
    assert 'class="status off">Failure' in table[2]
    assert 'datetime="2025-03-01T08:00:00+00:00"' in table[3]
    assert 'class="status ok">Success' in table[3]
    assert all(isinstance(row, PublicEvent) for row in response.context["page"].rows)
    assert "No activity recorded" not in html
    # filter form and refresh are there
    assert 'name="date_from"' in html and 'name="date_to"' in html and 'name="event"' in html
    assert '<optgroup label="Customer flow">' in html
    assert 'value="organization.created"' not in html  # not about an account


def test_activity_empty_state(admin_client, world):
    quiet = quiet_account(world, "quiet@acme.test")
    response = admin_client.get(tab_url(world.emea, quiet, "activity"))
    assert response.status_code == 200
    html = response.content.decode()
    assert "No activity recorded for this account." in html
    assert rows(html) == []


def test_activity_only_shows_this_accounts_events(admin_client, world):
    event(world.outside, "logout", at("2025-03-01"))
    event(world.admin, "step_up", at("2025-03-01"))
    html = admin_client.get(tab_url(world.emea, world.inside, "activity")).content.decode()
    table = "".join(rows(html))
    assert "Account created" in table
    assert "Logout" not in table and "Identity confirmed again" not in table


# ---- Activity: privacy ------------------------------------------------------------------------

SECRET_ACTOR = {"email": "secret.actor@acme.test", "given": "Zebulon", "family": "Secretactor"}
SECRETS = [
    SECRET_ACTOR["email"],
    SECRET_ACTOR["given"],
    SECRET_ACTOR["family"],
    "198.51.100.77",
    "2001:db8::7",
    "REASON-quarantine-7731",
    "REASON-unlock-8842",
    "REASON-password-9953",
    "REASON-sessions-1064",
    "REASON-link-2175",
    "REASON-grant-3286",
    "META-client-4242",
    "META-method-5353",
    "rate_limited",
    "invalid_password",
]


@pytest.fixture
def audited(world):
    """Administrative actions on world.inside by another admin, each with a reason, and
    customer flows recorded with an IP, a reason code and metadata."""
    actor = create_account(
        actor=SYSTEM,
        organization=world.acme,
        password="correct horse battery staple",
        email=SECRET_ACTOR["email"],
        given_name=SECRET_ACTOR["given"],
        family_name=SECRET_ACTOR["family"],
    )
    grant_role(actor=SYSTEM, account=actor, organization=world.acme, role=role("admin"))
    admin = fresh(actor)  # just stepped up
    inside = world.inside
    disable_account(actor=admin, account=inside, reason="REASON-quarantine-7731")
    enable_account(actor=admin, account=inside, reason="REASON-unlock-8842")
    set_password(
        actor=admin,
        account=inside,
        password="a much longer passphrase 2025!",
        reason="REASON-password-9953",
    )
    clear_sessions(actor=admin, account=inside, reason="REASON-sessions-1064")
    send_password_link(
        actor=admin, account=inside, purpose="password_reset", reason="REASON-link-2175"
    )
    grant_role(
        actor=admin,
        account=inside,
        organization=world.france,
        role=role("account-recovery-assistant"),
        reason="REASON-grant-3286",
    )
    update_account(actor=admin, account=inside, changes={"city": "Lyon"})
    record(
        "login",
        account=inside,
        actor=as_admin(actor),
        result=Event.Result.FAILURE,
        reason="rate_limited",
        ip="198.51.100.77",
        metadata={"client_id": "META-client-4242"},
    )
    record(
        "login",
        account=inside,
        actor=SYSTEM,
        result=Event.Result.FAILURE,
        reason="invalid_password",
        ip="2001:db8::7",
        metadata={"client_id": "META-client-4242"},
    )
    record(
        "mfa_challenge",
        account=inside,
        actor=as_admin(inside),
        ip="198.51.100.77",
        metadata={"method": "META-method-5353", "ip": "2001:db8::7"},
    )
    return actor


def _assert_private(response: Any) -> None:
    assert response.status_code == 200
    html = response.content.decode()
    for secret in SECRETS:
        assert secret not in html, secret


def test_activity_never_shows_actor_ip_reason_or_metadata(admin_client, world, audited):
    page_url = tab_url(world.emea, world.inside, "activity")
    page = admin_client.get(page_url)
    html = page.content.decode()
    # the events are there…
    for label in (
        "Account disabled",
        "Account enabled",
        "Password set by an admin",
        "Sessions cleared",
        "Password reset link sent",
        "Role granted",
        "Account updated",
        "MFA challenge",
    ):
        assert label in html, label
    # …but nothing internal, in the page, the partial, filtered and paginated variants
    _assert_private(page)
    _assert_private(admin_client.get(page_url, headers=HX))
    today = timezone.now().date().isoformat()
    for query in (
        {"event": "login"},
        {"event": "account.disabled"},
        {"date_from": today, "date_to": today},
        {"date_from": today, "event": "mfa_challenge"},
        {"date_from": "not-a-date"},
        {"event": "made.up"},
    ):
        _assert_private(admin_client.get(tab_url(world.emea, world.inside, "activity", **query)))
        _assert_private(
            admin_client.get(tab_url(world.emea, world.inside, "activity", **query), headers=HX)
        )
    for _ in range(30):
        record("token_request", account=world.inside, actor=as_admin(audited), ip="198.51.100.77")
    first = admin_client.get(page_url)
    _assert_private(first)
    second = admin_client.get(link(first.content.decode(), "next"))
    _assert_private(second)
    assert len(second.context["page"].rows) > 0
    _assert_private(admin_client.get(link(first.content.decode(), "next"), headers=HX))
    back = admin_client.get(link(second.content.decode(), "prev"), headers=HX)
    _assert_private(back)


def test_activity_reads_only_public_columns(admin_client, world, audited):
    with CaptureQueriesContext(connection) as queries:
        response = admin_client.get(tab_url(world.emea, world.inside, "activity"))
    assert response.status_code == 200
    event_sql = [q["sql"] for q in queries.captured_queries if "activity_event" in q["sql"]]
    assert event_sql
    for sql in event_sql:
        select = sql.split(" FROM ", 1)[0]
        for column in ('"actor_id"', '"ip"', '"metadata"', '"reason"'):
            assert column not in select, (column, sql)
    row = response.context["page"].rows[0]
    assert not hasattr(row, "actor") and not hasattr(row, "metadata") and not hasattr(row, "ip")


# ---- Activity: filters ------------------------------------------------------------------------


@pytest.fixture
def dated(world):
    return {
        "login_10": event(world.inside, "login", at("2025-01-10", "09:00")),
        "logout_15_early": event(world.inside, "logout", at("2025-01-15", "00:00")),
        "login_15_late": event(world.inside, "login", at("2025-01-15", "23:59")),
        "disabled_16": event(world.inside, "account.disabled", at("2025-01-16", "00:00")),
        "login_20": event(world.inside, "login", at("2025-01-20", "18:00"), result="failure"),
    }


def _get(client: Any, world: Any, **query: str) -> Any:
    response = client.get(tab_url(world.emea, world.inside, "activity", **query))
    assert response.status_code == 200
    return response


def test_filter_by_date_range_includes_whole_days(admin_client, world, dated):
    response = _get(admin_client, world, date_from="2025-01-12", date_to="2025-01-15")
    assert ids(response) == [dated["login_15_late"].pk, dated["logout_15_early"].pk]
    assert response.context["filtered"] is True
    # open-ended ranges
    response = _get(admin_client, world, date_from="2025-01-16")
    assert dated["login_15_late"].pk not in ids(response)
    assert {dated["disabled_16"].pk, dated["login_20"].pk} <= set(ids(response))
    response = _get(admin_client, world, date_to="2025-01-10")
    assert ids(response) == [dated["login_10"].pk]


def test_filter_by_event_label(admin_client, world, dated):
    response = _get(admin_client, world, event="login")
    assert ids(response) == [dated["login_20"].pk, dated["login_15_late"].pk, dated["login_10"].pk]
    html = response.content.decode()
    assert '<option value="login" selected>' in html


def test_filter_by_date_range_and_label(admin_client, world, dated):
    response = _get(
        admin_client, world, date_from="2025-01-11", date_to="2025-01-19", event="login"
    )
    assert ids(response) == [dated["login_15_late"].pk]
    # the refresh button keeps the filters
    html = response.content.decode()
    assert "date_from=2025-01-11&amp;date_to=2025-01-19&amp;event=login" in html


def test_filters_matching_nothing_say_so(admin_client, world, dated):
    response = _get(admin_client, world, date_from="2024-01-01", date_to="2024-01-31")
    html = response.content.decode()
    assert rows(html) == []
    assert "No events match these filters." in html
    assert "No activity recorded for this account." not in html
    assert "Clear filters" in html


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ({"date_from": "not-a-date"}, "Enter a valid date, such as 2026-12-03 (yyyy-mm-dd)."),
        ({"date_to": "2025-02-30"}, "Enter a valid date, such as 2026-12-03 (yyyy-mm-dd)."),
        ({"date_from": "2025-01-20", "date_to": "2025-01-10"}, "The end date is before"),
        ({"event": "made.up"}, "Unknown event type."),
        ({"event": "organization.created"}, "Unknown event type."),
        ({"date_to": "9999-12-31"}, "less than or equal to"),
        ({"date_from": "0001-01-01"}, "greater than or equal to"),
        ({"date_from": "2025-01-01\x00"}, "Enter a valid date, such as 2026-12-03 (yyyy-mm-dd)."),
        ({"event": "login\x00"}, "Unknown event type."),
        ({"date_from": "2025-01-01" * 500}, "Enter a valid date, such as 2026-12-03 (yyyy-mm-dd)."),
    ],
)
def test_bad_filters_show_a_message_and_every_event(admin_client, world, dated, query, message):
    response = _get(admin_client, world, **query)
    html = response.content.decode()
    assert "These filters are not valid, so all events are shown." in html
    assert message in html
    assert 'role="alert"' in html
    assert len(ids(response)) == 6  # the five dated events and "account.created"
    assert response.context["filtered"] is False


def test_bad_filters_are_translated(admin_client, world):
    admin_client.cookies["django_language"] = "fr"
    response = _get(admin_client, world, event="made.up", date_from="nope")
    html = response.content.decode()
    # The date's format in the admin's language (core.formfields)
    assert "Saisissez une date valide, par exemple 03/12/2026 (jj/mm/aaaa)." in html


def test_empty_filter_fields_are_no_filter(admin_client, world, dated):
    response = _get(admin_client, world, date_from="", date_to="", event="")
    assert len(ids(response)) == 6
    assert response.context["filtered"] is False
    assert "These filters are not valid" not in response.content.decode()


# ---- Activity: pages --------------------------------------------------------------------------


def _walk(client: Any, url: str, headers: dict[str, str] | None = None) -> list[list[Any]]:
    """Every page from `url` following the next links."""
    pages = []
    while url:
        response = client.get(url, headers=headers or {})
        assert response.status_code == 200
        pages.append(ids(response))
        url = link(response.content.decode(), "next")
        assert len(pages) < 10
    return pages


def test_activity_pages_forward_and_back_without_duplicates(admin_client, world):
    same_time = at("2025-02-01")
    made = [event(world.inside, "login", same_time) for _ in range(12)]  # ties on ts
    made += [
        event(world.inside, "logout", at("2025-02-02") + dt.timedelta(minutes=n)) for n in range(20)
    ]
    expected = Event.objects.filter(account=world.inside).count()
    assert expected == 33
    url = tab_url(world.emea, world.inside, "activity")
    pages = _walk(admin_client, url)
    assert [len(p) for p in pages] == [25, 8]
    flat = [pk for page in pages for pk in page]
    assert len(flat) == len(set(flat)) == expected
    assert {m.pk for m in made} <= set(flat)
    # newest first, ties broken by id
    ordered = list(
        Event.objects.filter(account=world.inside)
        .order_by("-ts", "-id")
        .values_list("pk", flat=True)
    )
    assert flat == ordered
    # back from the second page is the first page again
    first = admin_client.get(url)
    second = admin_client.get(link(first.content.decode(), "next"), headers=HX)
    assert second.content.decode().lstrip().startswith('<div id="account-body"')
    back = admin_client.get(link(second.content.decode(), "prev"))
    assert ids(back) == pages[0]
    assert link(back.content.decode(), "prev") == ""


def test_activity_pages_keep_the_filter(admin_client, world):
    for n in range(30):
        event(world.inside, "login", at("2025-02-01") + dt.timedelta(minutes=n))
    for n in range(5):
        event(world.inside, "logout", at("2025-02-01") + dt.timedelta(minutes=n, seconds=30))
    url = tab_url(world.emea, world.inside, "activity", event="login")
    pages = _walk(admin_client, url)
    assert [len(p) for p in pages] == [25, 5]
    first = admin_client.get(url).content.decode()
    assert "event=login" in link(first, "next")


def test_tampered_page_link_shows_first_page(admin_client, world):
    response = _get(admin_client, world, cursor="junk")
    assert "no longer valid" in response.content.decode()
    assert len(ids(response)) == 1


# ---- Activity and Notifications: permission ---------------------------------------------------


def test_tabs_hidden_without_their_permission(world):
    # The world's viewer holds accounts.view only: both addresses lead to the first tab.
    client = client_for(world.viewer)
    for slug in ("activity", "notifications"):
        response = client.get(tab_url(world.emea, world.inside, slug))
        assert response.status_code == 302
        assert response["Location"] == tab_url(world.emea, world.inside, "overview")
    # An admin who may see consents but not activity or notifications sees neither tab.
    consents_only = OrgRole.objects.create(
        slug="consents-viewer", name="C", permissions=["accounts.view", "consents.view"]
    )
    grant_role(actor=SYSTEM, account=world.cross, organization=world.emea, role=consents_only)
    page = client_for(world.cross).get(tab_url(world.emea, world.inside, "consents"))
    assert page.status_code == 200
    shown = [t.slug for t in page.context["tabs"]]
    assert "consents" in shown
    assert "activity" not in shown and "notifications" not in shown
    html = page.content.decode()
    assert tab_url(world.emea, world.inside, "activity") not in html
    assert tab_url(world.emea, world.inside, "notifications") not in html


def test_each_tab_needs_its_own_permission(world):
    activity_only = OrgRole.objects.create(
        slug="activity-only", name="Activity", permissions=["accounts.view", "activity.view"]
    )
    grant_role(actor=SYSTEM, account=world.cross, organization=world.emea, role=activity_only)
    client = client_for(world.cross)
    activity = client.get(tab_url(world.emea, world.inside, "activity"))
    assert activity.status_code == 200
    shown = [t.slug for t in activity.context["tabs"]]
    assert "activity" in shown and "notifications" not in shown
    assert client.get(tab_url(world.emea, world.inside, "notifications")).status_code == 302


@pytest.mark.parametrize("slug", ["activity", "notifications"])
@pytest.mark.parametrize("where", ["outside", "foreign"])
def test_other_organization_is_404(admin_client, world, slug, where):
    customer = world.customer_in(where)
    event(customer, "login", at("2025-01-01"))
    for query in ({}, {"event": "login"}, {"cursor": "junk"}):
        assert admin_client.get(tab_url(world.emea, customer, slug, **query)).status_code == 404
        assert (
            admin_client.get(tab_url(customer.organization, customer, slug, **query)).status_code
            == 404
        )


# ---- Notifications ----------------------------------------------------------------------------


def notify(account: Any, code: str, sent_at: dt.datetime, **extra: Any) -> Notification:
    template = NotificationTemplate.objects.get(code=code)
    target = account.phone if template.channel == Channel.SMS else account.email
    expires = (
        sent_at + dt.timedelta(minutes=template.expires_after) if template.expires_after else None
    )
    fields = {
        "account": account,
        "organization": account.organization,
        "template": template,
        "channel": template.channel,
        "target": target,
        "sent_at": sent_at,
        "expires_at": expires,
        "status": Notification.Status.SENT,
        **extra,
    }
    return Notification.objects.create(**fields)


def test_notifications_show_date_template_target_channel_and_expiry(admin_client, world):
    link_sent = send_password_link(
        actor=fresh(world.admin), account=world.inside, purpose="password_reset"
    )
    old_code = notify(world.inside, "sms_otp", at("2025-01-05", "10:00"))
    no_expiry = notify(world.inside, "account_disabled", at("2025-01-06", "11:00"))
    failed = notify(
        world.inside,
        "email_otp",
        at("2025-01-07", "12:00"),
        status=Notification.Status.FAILED,
        error="SMTP 550 relay-secret.internal refused",
    )
    response = admin_client.get(tab_url(world.emea, world.inside, "notifications"))
    assert response.status_code == 200
    html = response.content.decode()
    table = rows(html)
    assert len(table) == 4
    newest, failed_row, no_expiry_row, sms_row = table
    # the reset link the admin just sent: email, expires in an hour, not expired yet
    assert "Password reset" in newest and world.inside.email in newest and "Email" in newest
    assert f'datetime="{link_sent.expires_at.isoformat()}"' in newest
    assert "Expired" not in newest
    # an SMS code sent long ago: phone target, SMS badge, expired
    assert "SMS one-time code" in sms_row and world.inside.phone in sms_row and "SMS" in sms_row
    assert 'datetime="2025-01-05T10:05:00+00:00"' in sms_row and "Expired" in sms_row
    # nothing to expire: the column is blank
    assert "Account disabled" in no_expiry_row
    last_cell = no_expiry_row.rsplit("<td>", 1)[1]
    assert last_cell.split("</td>")[0].strip() == ""
    # a failed delivery is marked, its error text stays internal
    assert "Delivery failed" in failed_row and "relay-secret" not in html
    assert "No notifications sent" not in html
    assert [n.pk for n in response.context["page"].rows] == [
        link_sent.pk,
        failed.pk,
        no_expiry.pk,
        old_code.pk,
    ]


def test_notifications_empty_state(admin_client, world):
    notify(world.outside, "password_reset", at("2025-01-01"))  # someone else's
    html = admin_client.get(tab_url(world.emea, world.inside, "notifications")).content.decode()
    assert "No notifications sent to this account." in html
    assert rows(html) == []


def test_notifications_pages_without_duplicates(admin_client, world):
    same = at("2025-01-01")
    for _ in range(10):
        notify(world.inside, "email_otp", same)
    for n in range(20):
        notify(world.inside, "sms_otp", same + dt.timedelta(hours=n + 1))
    url = tab_url(world.emea, world.inside, "notifications")
    pages = _walk(admin_client, url)
    assert [len(p) for p in pages] == [25, 5]
    flat = [pk for page in pages for pk in page]
    assert len(set(flat)) == 30
    expected = Notification.objects.filter(account=world.inside).order_by("-sent_at", "-id")
    assert flat == list(expected.values_list("pk", flat=True))
    first = admin_client.get(url)
    second = admin_client.get(link(first.content.decode(), "next"), headers=HX)
    back = admin_client.get(link(second.content.decode(), "prev"))
    assert ids(back) == pages[0]


# ---- bounded queries --------------------------------------------------------------------------


def _queries(client: Any, url: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


def test_activity_queries_do_not_grow_with_rows(admin_client, world, django_assert_max_num_queries):
    url = tab_url(world.emea, world.inside, "activity")
    admin_client.get(url)  # warm the session
    few = _queries(admin_client, url)
    for n in range(40):
        event(world.inside, "login", at("2025-01-01") + dt.timedelta(minutes=n))
    assert _queries(admin_client, url) == few
    assert (
        _queries(admin_client, tab_url(world.emea, world.inside, "activity", event="login")) == few
    )
    with django_assert_max_num_queries(15):
        admin_client.get(url, headers=HX)


def test_notifications_queries_do_not_grow_with_rows(
    admin_client, world, django_assert_max_num_queries
):
    url = tab_url(world.emea, world.inside, "notifications")
    notify(world.inside, "password_reset", at("2025-01-01"))
    admin_client.get(url)
    few = _queries(admin_client, url)
    for n in range(40):
        notify(
            world.inside,
            "sms_otp" if n % 2 else "email_otp",
            at("2025-01-02") + dt.timedelta(minutes=n),
        )
    assert _queries(admin_client, url) == few
    with django_assert_max_num_queries(15):
        admin_client.get(url, headers=HX)
