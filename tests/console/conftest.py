"""A brand admin and a signed-in client for the console's tests."""

from typing import Any

import pytest
from django.test import Client

from orgdesk.testing.auth import portal_login
from tests.factories import make_account


@pytest.fixture
def brand(world: Any) -> Any:
    return make_account(None, email="brenda@brand.test", is_staff=True)


@pytest.fixture
def brand_client(brand: Any) -> Client:
    client = Client()
    portal_login(client, brand)
    return client


def signed_in(account: Any, **kwargs: Any) -> Client:
    client = Client()
    portal_login(client, account, **kwargs)
    return client
