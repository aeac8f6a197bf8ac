"""Shared fixtures for the Account details page tests (tests/test_detail_*.py).

`world` is orgdesk.testing.world's two trees; `admin_client` is signed in as the Admin of
Acme / EMEA with a fresh sign-in (step-up satisfied). `tab_url` builds a tab's address.
"""

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from orgdesk.testing.auth import portal_login
from orgdesk.testing.world import World, build_world
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


@pytest.fixture
def world(db: Any) -> World:
    return build_world()


@pytest.fixture
def admin_client(world: World) -> Client:
    return client_for(world.admin)


@pytest.fixture
def stale_admin_client(world: World) -> Client:
    """Signed in an hour ago: sensitive actions need a step-up first."""
    return client_for(world.admin, auth_age_seconds=3600)


def role(slug: str) -> Any:
    return builtin_role(slug)
