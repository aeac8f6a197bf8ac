import os

import pytest
from django.core.cache import cache

from orgdesk.config import ConfigError, env_bool, parse_database_url, parse_email_url


@pytest.mark.parametrize(
    "url",
    ["nonsense", "postgres://u@h:notaport/db", "mysql://u@h/db", "sqlite://", "postgres://u@h"],
)
def test_malformed_database_urls(url):
    with pytest.raises(ConfigError, match="ORGDESK_DATABASE_URL"):
        parse_database_url(url)


def test_database_urls():
    pg = parse_database_url("postgres://me:pw@db.internal:6543/orgdesk")
    assert (pg["ENGINE"], pg["HOST"], pg["PORT"], pg["NAME"]) == (
        "django.db.backends.postgresql",
        "db.internal",
        6543,
        "orgdesk",
    )
    lite = parse_database_url("sqlite:////tmp/x.sqlite3")
    assert lite["NAME"] == "/tmp/x.sqlite3"
    assert "journal_mode=WAL" in lite["OPTIONS"]["init_command"]


def test_email_urls():
    assert parse_email_url("smtp://u:p@mail.test:587/?tls=True")["EMAIL_USE_TLS"] is True
    assert parse_email_url("file:///var/outbox")["EMAIL_FILE_PATH"] == "/var/outbox"
    assert parse_email_url("memory://")["EMAIL_BACKEND"].endswith("locmem.EmailBackend")
    for bad in ("gopher://x", "smtp://host:notaport", "file://"):
        with pytest.raises(ConfigError, match="ORGDESK_EMAIL_URL"):
            parse_email_url(bad)


def test_env_bool(monkeypatch):
    monkeypatch.setenv("ORGDESK_X", "yes")
    assert env_bool("ORGDESK_X", default=False) is True
    monkeypatch.setenv("ORGDESK_X", "maybe")
    with pytest.raises(ConfigError, match="ORGDESK_X"):
        env_bool("ORGDESK_X", default=False)


def test_redis_cache_roundtrip(settings):
    if not os.environ.get("ORGDESK_REDIS_URL"):
        pytest.skip("ORGDESK_REDIS_URL not set (make test sets it)")
    assert settings.CACHES["default"]["BACKEND"].endswith("RedisCache")
    key = f"roundtrip-{os.getpid()}"
    cache.set(key, {"ok": 1}, 30)
    assert cache.get(key) == {"ok": 1}
    cache.delete(key)
    assert cache.get(key) is None
