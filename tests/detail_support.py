"""Helpers for the Account details page tests (tests/portal/details/): `tab_url` and
`action_url` build addresses, `client_for` signs a client in, `identifiers` fills the Overview
identifiers form. The `world`, `admin_client` and `stale_admin_client` fixtures they use are
tests/conftest.py's.
"""

from typing import Any

from django.test import Client
from django.urls import reverse

from orgdesk.testing.auth import portal_login
from orgdesk.testing.world import role as builtin_role

TAB_SLUGS = [
    "overview",
    "activity",
    "notifications",
    "groups",
    "roles",
    "authenticators",
    "sessions",
    "verification",
    "consents",
]


def tab_url(organization: Any, account: Any, slug: str = "overview", **query: str) -> str:
    url = reverse("portal:account_tab", args=[organization.key, account.pk, slug])
    if query:
        from urllib.parse import urlencode

        url = f"{url}?{urlencode(query)}"
    return url


def action_url(name: str, organization: Any, account: Any, *extra: Any) -> str:
    return reverse(f"portal:{name}", args=[organization.key, account.pk, *extra])


def identifiers(account: Any, **changes: str) -> dict[str, str]:
    """The Overview identifiers form of `account` as read, with `changes`."""
    data = {
        "version": account.updated.isoformat(),
        "username": account.username,
        "email": account.email,
        "phone": account.phone,
    }
    data.update(changes)
    return data


def client_for(account: Any, *, auth_age_seconds: float = 0) -> Client:
    client = Client()
    portal_login(client, account, auth_age_seconds=auth_age_seconds)
    return client


def role(slug: str) -> Any:
    return builtin_role(slug)
