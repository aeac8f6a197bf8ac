"""Shared fixtures. The database comes from ORGDESK_DATABASE_URL (see Makefile: every test
runs once on SQLite and once on PostgreSQL)."""

import pytest
from django.conf import settings as django_settings
from django.test import override_settings

# Fixtures of the Account details page tests (a module's own `world` takes precedence).
from tests.detail_support import admin_client, stale_admin_client, world  # noqa: F401

# Fixtures of the sign-in, MFA and session tests, shared rather than copied into each module.
from tests.portal_support import forget_throttle_counters, org  # noqa: F401


def pytest_configure(config):  # type: ignore[no-untyped-def]
    # WhiteNoise warns at start-up when STATIC_ROOT is missing (assets come from the finders).
    django_settings.STATIC_ROOT.mkdir(parents=True, exist_ok=True)


FAST_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _fast_hashing_and_mail(settings):  # type: ignore[no-untyped-def]
    # Argon2 at OWASP cost is ~50 ms a hash; tests that check hashing opt back in.
    settings.PASSWORD_HASHERS = FAST_HASHERS
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"


@pytest.fixture
def argon2_hashing():  # type: ignore[no-untyped-def]
    with override_settings(PASSWORD_HASHERS=["orgdesk.accounts.hashers.OwaspArgon2PasswordHasher"]):
        yield


@pytest.fixture
def tree(db):  # type: ignore[no-untyped-def]
    """Acme / EMEA / France, Acme / EMEA / Germany, Acme / Americas; and Globex (another tree)."""
    from tests.factories import make_tree

    return make_tree()
