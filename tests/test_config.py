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


# ---- production refuses a per-process cache (security.E001) ----------------------------------
PER_PROCESS = [
    "django.core.cache.backends.locmem.LocMemCache",
    "django.core.cache.backends.dummy.DummyCache",
]
SHARED = [
    "django.core.cache.backends.db.DatabaseCache",
    "django.core.cache.backends.redis.RedisCache",
]


def _cache_errors():  # type: ignore[no-untyped-def]
    from django.core import checks

    return [m for m in checks.run_checks(tags=["caches"]) if m.id == "security.E001"]


@pytest.mark.parametrize("backend", PER_PROCESS)
def test_production_refuses_a_per_process_cache(settings, backend):
    settings.PRODUCTION = True
    settings.CACHES = {"default": {"BACKEND": backend}}
    errors = _cache_errors()
    assert [e.level for e in errors] == [40]  # checks.ERROR
    assert "ORGDESK_REDIS_URL" in errors[0].hint
    settings.PRODUCTION = False  # development may (the check is about production)
    assert _cache_errors() == []


@pytest.mark.parametrize("backend", SHARED)
def test_production_accepts_a_shared_cache(settings, backend):
    settings.PRODUCTION = True
    settings.CACHES = {"default": {"BACKEND": backend, "LOCATION": "orgdesk_cache"}}
    assert _cache_errors() == []


def test_default_cache_without_redis_is_the_database(tmp_path):
    import json
    import subprocess
    import sys

    env = {k: v for k, v in os.environ.items() if not k.startswith("ORGDESK_")}
    env.update(ORGDESK_REDIS_URL="", ORGDESK_VAR_DIR=str(tmp_path))
    script = "import json, orgdesk.settings as s; print(json.dumps(s.CACHES['default']))"
    result = subprocess.run(
        [sys.executable, "-c", script],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    default = json.loads(result.stdout)
    assert default["BACKEND"] == "django.core.cache.backends.db.DatabaseCache"
    assert default["LOCATION"] == "orgdesk_cache"  # made by security migration 0004


def test_serve_does_not_start_on_a_per_process_cache_in_production(settings, monkeypatch):
    from orgdesk import cli, server

    def must_not_start(**kwargs):  # type: ignore[no-untyped-def]
        raise AssertionError("the server started")

    monkeypatch.setattr(server, "serve", must_not_start)
    monkeypatch.setattr(cli, "_check_database", lambda: None)
    settings.PRODUCTION = True
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    args = cli.build_parser().parse_args(["serve", "--port", "8999"])
    with pytest.raises(cli.CliError, match=r"^security\.E001: The default cache is a local-memory"):
        cli.cmd_serve(args)
