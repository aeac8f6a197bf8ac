"""The htmx request headers are the client's to send: any value gets a normal answer.

Every list of the portal (the Accounts tab with and without a query string, the Invitations
tab, the bulk invitation jobs and their rows, the account details tabs that list rows, the
organization search) is requested with fuzzed HX-Request, HX-Current-URL, HX-Target,
HX-Trigger, HX-History-Restore-Request and HX-Boosted headers: a URL urlsplit cannot read
(`http://[bad` raised ValueError in django-htmx's current_url_abs_path, a 500), bare
punctuation, percent signs, very long values, non-ASCII and control characters, a
`javascript:` URL, another host. None may give a 5xx, and the address an htmx answer pushes
is always the list's own, never something taken from the headers.
"""

from typing import Any
from urllib.parse import urlencode

import pytest
from django.test import Client
from django.urls import reverse

from orgdesk.invitations import actions as invitation_actions
from orgdesk.invitations.bulk import preview as bulk_preview
from orgdesk.testing.actors import as_admin
from orgdesk.testing.world import World
from tests.detail_support import tab_url

pytestmark = pytest.mark.django_db

# The account details tabs that list rows (portal/details/registry.py).
LISTING_TABS = [
    "activity",
    "notifications",
    "consents",
    "sessions",
    "groups",
    "roles",
    "authenticators",
    "verification",
]


def _latin1(text: str) -> str:
    """`text` as a WSGI server hands a UTF-8 header to Django: its bytes read as Latin-1."""
    return text.encode("utf-8").decode("latin-1")


VALUES = [
    "http://[bad",
    "http%3A%2F%2F%5Bbad",  # http://[bad once a URI-AutoEncoded header is unquoted
    "https://]bad[/portal/",
    "://",
    "%",
    "%zz%",
    "",
    " ",
    "true",
    "false",
    "http://testserver",
    "http://testserver/portal/?" + "a=%" * 50,
    "//evil.example/portal/",
    "http://evil.example/portal/x?q=1",
    "http://testserver:99999/portal/",
    "http://user:pass@testserver/portal/",
    "javascript:alert(1)",
    "data:text/html,<script>alert(1)</script>",
    "http://testserver/" + "a" * 8000,
    "x" * 20000,
    _latin1("http://testserver/portal/é?q=日本"),
    "http://testserver/portal/\u202eevil",
    "日本語",
    "\x00",
    "\x7f\x1b[31m",
    "a\x01b\x02c",
]

HEADERS = (
    "HX-Request",
    "HX-Current-URL",
    "HX-Target",
    "HX-Trigger",
    "HX-History-Restore-Request",
    "HX-Boosted",
)


def header_sets() -> list[dict[str, str]]:
    """For each value: an htmx request with every other header holding it; every header
    holding it, HX-Request included (a history restore when it is "true"); and the
    URI-AutoEncoded variants (django-htmx unquotes those values first)."""
    out: list[dict[str, str]] = []
    for value in VALUES:
        out.append(
            {
                "HX-Request": "true",
                "HX-Current-URL": value,
                "HX-Target": value,
                "HX-Trigger": value,
                "HX-Boosted": value,
            }
        )
        out.append(dict.fromkeys(HEADERS, value))
        out.append(
            {
                "HX-Request": "true",
                "HX-History-Restore-Request": value,
                "HX-Current-URL": value,
                "HX-Current-URL-URI-AutoEncoded": "true",
                "HX-Target": value,
                "HX-Target-URI-AutoEncoded": "true",
                "HX-Trigger": value,
                "HX-Trigger-URI-AutoEncoded": "true",
            }
        )
    return out


@pytest.fixture
def lists(world: World) -> dict[str, str]:
    """Every list URL of the portal, by a short name, for the Admin of Acme / EMEA."""
    emea, account = world.emea, world.inside
    invitation_actions.invite(
        actor=as_admin(world.admin), organization=emea, email="invitee@example.test"
    )
    job = bulk_preview.preview_bulk_invite(
        actor=as_admin(world.admin),
        organization=emea,
        filename="people.csv",
        data=b"email,given_name\nnew@example.test,New\nnot-an-address,Bad\n",
    )
    accounts = reverse("portal:accounts", args=[emea.key])
    invitations = reverse("portal:invitations", args=[emea.key])
    bulk_job = reverse("portal:bulk_job", args=[emea.key, job.pk])
    urls = {
        "accounts": accounts,
        "accounts?filters": f"{accounts}?{urlencode({'status': 'enabled', 'q': 'ins'})}",
        "accounts?role": f"{accounts}?{urlencode({'role': 'not-a-role', 'size': '10'})}",
        "accounts?cursor": f"{accounts}?{urlencode({'cursor': 'bogus', 'order': 'created'})}",
        "accounts?scope": f"{accounts}?{urlencode({'scope': 'org', 'q': '*nsid*'})}",
        "invitations": invitations,
        "invitations?filters": f"{invitations}?{urlencode({'status': 'pending', 'size': '10'})}",
        "bulk jobs": reverse("portal:bulk_invite", args=[emea.key]),
        "bulk job rows": bulk_job,
        "bulk job rows?all": f"{bulk_job}?{urlencode({'show': 'all', 'after': '1'})}",
        "bulk job status": reverse("portal:bulk_job_status", args=[emea.key, job.pk]),
        "bulk job results": reverse("portal:bulk_job_results", args=[emea.key, job.pk]),
        "organization search": f"{reverse('portal:search_organizations')}?q=fr",
        "organization search (empty)": reverse("portal:search_organizations"),
    }
    for slug in LISTING_TABS:
        urls[f"tab {slug}"] = tab_url(emea, account, slug)
        urls[f"tab {slug}?cursor"] = tab_url(emea, account, slug, cursor="bogus")
    return urls


LIST_NAMES = [
    "accounts",
    "accounts?filters",
    "accounts?role",
    "accounts?cursor",
    "accounts?scope",
    "invitations",
    "invitations?filters",
    "bulk jobs",
    "bulk job rows",
    "bulk job rows?all",
    "bulk job status",
    "bulk job results",
    "organization search",
    "organization search (empty)",
    *(f"tab {slug}" for slug in LISTING_TABS),
    *(f"tab {slug}?cursor" for slug in LISTING_TABS),
]


def test_every_list_url_is_covered(lists: dict[str, str]) -> None:
    assert sorted(lists) == sorted(LIST_NAMES)


@pytest.mark.parametrize("name", LIST_NAMES)
def test_fuzzed_htmx_headers_get_a_normal_answer(
    admin_client: Client, lists: dict[str, str], name: str
) -> None:
    url = lists[name]
    assert admin_client.get(url).status_code in (200, 302)  # the list works at all
    for headers in header_sets():
        response = admin_client.get(url, headers=headers)
        assert response.status_code < 500, (name, headers)
        for pushed in (response.get("HX-Push-Url"), response.get("HX-Replace-Url")):
            if pushed is not None:
                assert pushed.startswith(url.split("?", 1)[0]), (name, headers, pushed)
        _read(response)


def _read(response: Any) -> None:
    """Read the whole body (a streamed CSV fails while it is read, not before)."""
    if response.streaming:
        b"".join(response.streaming_content)


def canonical_of(lists: dict[str, str]) -> str:
    """The address the filtered Accounts list pushes: its filters, sorted."""
    return f"{lists['accounts']}?{urlencode(sorted({'q': 'ins', 'status': 'enabled'}.items()))}"


def test_malformed_current_url_on_a_filtered_list_gets_the_fragment(
    admin_client: Client, lists: dict[str, str]
) -> None:
    """The original report: `http://[bad` with a query string gave a 500. The fragment is
    served and the canonical address pushed, as for any other page the request came from."""
    response = admin_client.get(
        lists["accounts?filters"], headers={"HX-Request": "true", "HX-Current-URL": "http://[bad"}
    )
    assert response.status_code == 200
    assert 'id="results"' in response.content.decode()
    assert "<html" not in response.content.decode()
    assert response["HX-Push-Url"] == canonical_of(lists)


def test_current_url_of_the_canonical_page_is_replaced_not_pushed(
    admin_client: Client, lists: dict[str, str]
) -> None:
    """A well-formed HX-Current-URL is still used: the same address is replaced in the
    history rather than pushed again."""
    canonical = canonical_of(lists)
    response = admin_client.get(
        lists["accounts?filters"],
        headers={"HX-Request": "true", "HX-Current-URL": f"http://testserver{canonical}"},
    )
    assert response.status_code == 200
    assert response["HX-Replace-Url"] == canonical
    assert "HX-Push-Url" not in response
