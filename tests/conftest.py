"""Shared fixtures. The database comes from ORGDESK_DATABASE_URL (see Makefile: every test
runs once on SQLite and once on PostgreSQL)."""

from typing import Any

import pytest
from django.conf import settings as django_settings
from django.test import Client, override_settings

from orgdesk.testing.world import World, build_world
from tests.detail_support import client_for

# Fixtures of the sign-in, MFA and session tests, shared rather than copied into each module.
from tests.portal_support import forget_throttle_counters, org  # noqa: F401


def pytest_configure(config):  # type: ignore[no-untyped-def]
    # WhiteNoise warns at start-up when STATIC_ROOT is missing (assets come from the finders).
    django_settings.STATIC_ROOT.mkdir(parents=True, exist_ok=True)


FAST_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
IMMEDIATE_TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}


@pytest.fixture(autouse=True)
def _fast_hashing_and_mail(settings):  # type: ignore[no-untyped-def]
    # Argon2 at OWASP cost is ~50 ms a hash; tests that check hashing opt back in.
    settings.PASSWORD_HASHERS = FAST_HASHERS
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    # Background tasks (emails: notifications.delivery) run at once when enqueued, i.e. when
    # the transaction commits; tests of the worker itself choose django_tasks_db again.
    settings.TASKS = IMMEDIATE_TASKS


@pytest.fixture
def database_tasks(settings):  # type: ignore[no-untyped-def]
    """Tasks queued in django-tasks' database backend for the worker, as in production."""
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}


@pytest.fixture
def argon2_hashing():  # type: ignore[no-untyped-def]
    with override_settings(PASSWORD_HASHERS=["orgdesk.accounts.hashers.OwaspArgon2PasswordHasher"]):
        yield


@pytest.fixture
def world(db: Any) -> World:
    """The one world of the suite (orgdesk/testing/world.py): Acme / EMEA / {France, Germany},
    Acme / Americas and Globex / Europe; world.admin is Admin on EMEA, world.viewer holds
    accounts.view there, world.cross manages Americas from Germany; customers inside (France),
    outside (Americas) and foreign (Globex / Europe). world.admin_with(...) and
    world.admin_without(permission) make the other admins a test needs."""
    return build_world()


@pytest.fixture
def admin_client(world: World) -> Client:
    """world.admin signed in just now (a step-up is not asked for)."""
    return client_for(world.admin)


@pytest.fixture
def stale_admin_client(world: World) -> Client:
    """world.admin signed in an hour ago: sensitive actions need a step-up first."""
    return client_for(world.admin, auth_age_seconds=3600)


@pytest.fixture
def tree(db):  # type: ignore[no-untyped-def]
    """Organizations only, no accounts: Acme / EMEA / {France, Germany}, Acme / Americas; and
    Globex / Europe (another tree). For tests of the tree itself and of what accounts they
    make in it (the world's accounts and grants would be in the way)."""
    from tests.factories import make_tree

    return make_tree()


@pytest.fixture(autouse=True)
def _reset_language() -> Any:
    """A request in another language leaves it active in the thread: later tests of the
    same worker would read French messages."""
    from django.utils import translation

    yield
    translation.activate(django_settings.LANGUAGE_CODE)
