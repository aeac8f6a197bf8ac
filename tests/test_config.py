import os
import re
import runpy
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.cache import cache

from orgdesk.config import (
    ConfigError,
    env_bool,
    errors_raised,
    parse_database_url,
    parse_email_url,
    shown,
)
from tests.process_support import process_env


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
    # a request's short statements start no parallel workers (core/listing.exact_count may)
    assert pg["OPTIONS"]["options"] == "-c max_parallel_workers_per_gather=0"
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


# ---- every ORGDESK_* value is checked, with a one-line message ------------------------------
ROOT = Path(__file__).resolve().parent.parent
PUBLIC = "https://admin.example.com"
KEY = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8="  # a Fernet key: 32 bytes, URL-safe base64
MAKE_A_KEY = "(python3 -c 'import secrets; print(secrets.token_urlsafe(48))')"
IN_PRODUCTION = f"at least 32 random characters when ORGDESK_ENV=production {MAKE_A_KEY}"
HOSTS = (
    "comma-separated host names without scheme or port "
    "(example.com, .example.com for its subdomains too, [::1], *)"
)
ORIGINS = (
    "comma-separated origins: scheme, host and optional port, no path "
    "(https://admin.example.com, https://*.example.com)"
)
DATABASE = (
    "a SQLite or PostgreSQL URL: sqlite:///path/to/file or postgres://user:password@host:5432/name"
)
EMAIL = "smtp://user:password@host:587/?tls=true, console://, file:///dir or memory://"
EMAIL_OPTIONS = "options among _default_from_email, _server_email, ssl, timeout, tls"
PORT = "a port number from 1 to 65535 after the host"
REDIS = "a redis://host:6379/0, rediss:// or unix:///path.sock URL"
PUBLIC_URL = "an address starting http:// or https://, such as https://admin.example.com"
FERNET = (
    "expected comma-separated Fernet keys, each 44 characters of URL-safe base64 "
    "(Fernet.generate_key()); key {} is not one"
)

# (environment, the exact message). {tmp} is a fresh directory holding a file named `afile`.
# Every value holding "hunter2" is a secret the message must not show.
BAD_VALUES = [
    (
        {"ORGDESK_VAR_DIR": "{tmp}/afile"},
        "ORGDESK_VAR_DIR='{tmp}/afile': expected the path of a directory, but that path is a file",
    ),
    (
        {"ORGDESK_DEBUG": "maybe"},
        "ORGDESK_DEBUG='maybe': expected true or false (or 1/0, yes/no, on/off)",
    ),
    ({"ORGDESK_ENV": "staging"}, "ORGDESK_ENV='staging': expected one of development, production"),
    (
        {"ORGDESK_ENV": "production"},
        f"ORGDESK_SECRET_KEY is not set: expected {IN_PRODUCTION}",
    ),
    (
        {"ORGDESK_ENV": "production", "ORGDESK_SECRET_KEY": "hunter2"},
        f"ORGDESK_SECRET_KEY=<7 characters, not shown>: expected {IN_PRODUCTION}",
    ),
    (
        {
            "ORGDESK_ENV": "production",
            "ORGDESK_SECRET_KEY": "orgdesk-development-key-not-for-production",
        },
        f"ORGDESK_SECRET_KEY is the development key: expected {IN_PRODUCTION}",
    ),
    (
        {"ORGDESK_ALLOWED_HOSTS": "example.com,https://admin.example.com"},
        "ORGDESK_ALLOWED_HOSTS='example.com,https://admin.example.com': "
        f"expected {HOSTS}, not 'https://admin.example.com'",
    ),
    (
        {"ORGDESK_ALLOWED_HOSTS": "example.com:8000"},
        f"ORGDESK_ALLOWED_HOSTS='example.com:8000': expected {HOSTS}, not 'example.com:8000'",
    ),
    ({"ORGDESK_ALLOWED_HOSTS": " , "}, f"ORGDESK_ALLOWED_HOSTS=' , ': expected {HOSTS}"),
    (
        {"ORGDESK_CSRF_TRUSTED_ORIGINS": "admin.example.com"},
        f"ORGDESK_CSRF_TRUSTED_ORIGINS='admin.example.com': expected {ORIGINS}, "
        "not 'admin.example.com'",
    ),
    (
        {"ORGDESK_CSRF_TRUSTED_ORIGINS": "https://admin.example.com/"},
        f"ORGDESK_CSRF_TRUSTED_ORIGINS='https://admin.example.com/': expected {ORIGINS}, "
        "not 'https://admin.example.com/'",
    ),
    (
        {"ORGDESK_DATABASE_URL": "nonsense"},
        f"ORGDESK_DATABASE_URL='nonsense': expected {DATABASE}",
    ),
    (
        {"ORGDESK_DATABASE_URL": "me:hunter2@db.internal/orgdesk"},
        f"ORGDESK_DATABASE_URL='me:***@db.internal/orgdesk': expected {DATABASE}",
    ),
    (
        {"ORGDESK_DATABASE_URL": "mysql://me:hunter2@db/orgdesk"},
        f"ORGDESK_DATABASE_URL='mysql://me:***@db/orgdesk': expected {DATABASE}",
    ),
    (
        {"ORGDESK_DATABASE_URL": "postgres://me:hunter2@db:notaport/orgdesk"},
        f"ORGDESK_DATABASE_URL='postgres://me:***@db:notaport/orgdesk': expected {PORT}",
    ),
    (
        {"ORGDESK_DATABASE_URL": "postgres://me:hunter2@db:5432"},
        "ORGDESK_DATABASE_URL='postgres://me:***@db:5432': "
        "expected a database name for PostgreSQL: postgres://user@host:5432/name",
    ),
    (
        {"ORGDESK_DATABASE_URL": "sqlite://"},
        "ORGDESK_DATABASE_URL='sqlite://': expected a file path for SQLite: sqlite:///path/to/file",
    ),
    (
        {"ORGDESK_TEST_SQLITE_NAME": "{tmp}"},
        "ORGDESK_TEST_SQLITE_NAME='{tmp}': expected the path of the SQLite file for the test "
        "database, but that path is a directory",
    ),
    (
        {"ORGDESK_REDIS_URL": "localhost:6379"},
        f"ORGDESK_REDIS_URL='localhost:6379': expected {REDIS}",
    ),
    (
        {"ORGDESK_REDIS_URL": "redis://:hunter2@cache:6379/zero"},
        f"ORGDESK_REDIS_URL='redis://:***@cache:6379/zero': expected {REDIS}",
    ),
    (
        {"ORGDESK_CACHE_PREFIX": "my prefix"},
        "ORGDESK_CACHE_PREFIX='my prefix': expected at most 64 characters, without spaces",
    ),
    (
        {"ORGDESK_TASKS_BACKEND": "database"},
        "ORGDESK_TASKS_BACKEND='database': expected the dotted path of a django-tasks backend "
        "class (django_tasks_db.DatabaseBackend, "
        "django_tasks.backends.immediate.ImmediateBackend)",
    ),
    (
        {"ORGDESK_EMAIL_URL": "pigeon://loft"},
        f"ORGDESK_EMAIL_URL='pigeon://loft': expected {EMAIL}",
    ),
    (
        {"ORGDESK_EMAIL_URL": "mail.example.com:587"},
        f"ORGDESK_EMAIL_URL='mail.example.com:587': expected {EMAIL}",
    ),
    (
        {"ORGDESK_EMAIL_URL": "smtp://me:hunter2@mail:notaport"},
        f"ORGDESK_EMAIL_URL='smtp://me:***@mail:notaport': expected {PORT}",
    ),
    (
        {"ORGDESK_EMAIL_URL": "smtp://me:hunter2@mail:587/?tls=maybe"},
        "ORGDESK_EMAIL_URL='smtp://me:***@mail:587/?tls=maybe': expected tls=true or tls=false",
    ),
    (
        {"ORGDESK_EMAIL_URL": "smtp://mail:587/?starttls=1"},
        f"ORGDESK_EMAIL_URL='smtp://mail:587/?starttls=1': expected {EMAIL_OPTIONS}, "
        "not 'starttls'",
    ),
    (
        {"ORGDESK_EMAIL_URL": "smtp://mail/?tls=true&ssl=true"},
        "ORGDESK_EMAIL_URL='smtp://mail/?tls=true&ssl=true': expected tls=true or ssl=true, "
        "not both",
    ),
    (
        {"ORGDESK_EMAIL_URL": "smtp://mail/?timeout=soon"},
        "ORGDESK_EMAIL_URL='smtp://mail/?timeout=soon': expected timeout= a whole number of "
        "seconds",
    ),
    (
        {"ORGDESK_EMAIL_URL": "file://"},
        "ORGDESK_EMAIL_URL='file://': expected a directory: file:///var/outbox",
    ),
    (
        {"ORGDESK_FROM_EMAIL": "no-reply"},
        "ORGDESK_FROM_EMAIL='no-reply': expected an email address, optionally with a name: "
        "Orgdesk <no-reply@example.com>",
    ),
    (
        {"ORGDESK_MEDIA_ROOT": "{tmp}/afile"},
        "ORGDESK_MEDIA_ROOT='{tmp}/afile': expected the path of a directory, but that path is "
        "a file",
    ),
    (
        {"ORGDESK_HSTS_SECONDS": "1y"},
        "ORGDESK_HSTS_SECONDS='1y': expected a whole number from 0 to 63072000",
    ),
    (
        {"ORGDESK_ENCRYPTION_KEY": "hunter2"},
        "ORGDESK_ENCRYPTION_KEY=<1 key, not shown>: " + FERNET.format(1),
    ),
    (
        {"ORGDESK_ENCRYPTION_KEY": f"{KEY}, hunter2"},
        "ORGDESK_ENCRYPTION_KEY=<2 keys, not shown>: " + FERNET.format(2),
    ),
    (
        {"ORGDESK_LOG_LEVEL": "verbose"},
        "ORGDESK_LOG_LEVEL='verbose': expected one of DEBUG, INFO, WARNING, ERROR, CRITICAL",
    ),
    (
        {"ORGDESK_GEOIP_CITY_DB": "{tmp}/GeoLite2-City.mmdb"},
        "ORGDESK_GEOIP_CITY_DB='{tmp}/GeoLite2-City.mmdb': expected the path of a MaxMind City "
        "database (.mmdb), but there is nothing at that path",
    ),
    (
        {"ORGDESK_GEOIP_CITY_DB": "{tmp}"},
        "ORGDESK_GEOIP_CITY_DB='{tmp}': expected the path of a MaxMind City database (.mmdb), "
        "but that path is a directory",
    ),
    (
        {"ORGDESK_SESSION_IDLE_MINUTES": "abc"},
        "ORGDESK_SESSION_IDLE_MINUTES='abc': expected a whole number from 5 to 1440",
    ),
    (
        {"ORGDESK_SESSION_IDLE_MINUTES": "2"},
        "ORGDESK_SESSION_IDLE_MINUTES='2': expected a whole number from 5 to 1440",
    ),
    (
        {"ORGDESK_SESSION_IDLE_MINUTES": "1_000"},
        "ORGDESK_SESSION_IDLE_MINUTES='1_000': expected a whole number from 5 to 1440",
    ),
    (
        {"ORGDESK_SESSION_MAX_HOURS": "0"},
        "ORGDESK_SESSION_MAX_HOURS='0': expected a whole number from 1 to 168",
    ),
    (
        {"ORGDESK_STEP_UP_MINUTES": "ten"},
        "ORGDESK_STEP_UP_MINUTES='ten': expected a whole number from 1 to 1440",
    ),
    (
        {"ORGDESK_THROTTLE_WINDOW": "15m"},
        "ORGDESK_THROTTLE_WINDOW='15m': expected a whole number from 60 to 86400",
    ),
    (
        {"ORGDESK_INVITATION_MAX_DAYS": "400"},
        "ORGDESK_INVITATION_MAX_DAYS='400': expected a whole number from 1 to 365",
    ),
    (
        {"ORGDESK_INVITATION_DEFAULT_DAYS": "40"},
        "ORGDESK_INVITATION_DEFAULT_DAYS='40': expected a whole number from 1 to 30 "
        "(at most ORGDESK_INVITATION_MAX_DAYS)",
    ),
    (
        {"ORGDESK_PUBLIC_URL": "admin.example.com"},
        f"ORGDESK_PUBLIC_URL='admin.example.com': expected {PUBLIC_URL}",
    ),
    (
        {"ORGDESK_PUBLIC_URL": "https://me:hunter2@admin.example.com"},
        f"ORGDESK_PUBLIC_URL='https://me:***@admin.example.com': expected {PUBLIC_URL}, "
        "without user, query or fragment",
    ),
    (
        {"ORGDESK_PUBLIC_URL": PUBLIC, "ORGDESK_WEBAUTHN_RP_ID": "example.org"},
        "ORGDESK_WEBAUTHN_RP_ID='example.org': expected the host of ORGDESK_PUBLIC_URL "
        "(admin.example.com) or a domain it is under, without scheme or port",
    ),
    (
        {"ORGDESK_WEBAUTHN_RP_NAME": "x" * 65},
        f"ORGDESK_WEBAUTHN_RP_NAME='{'x' * 65}': expected a name to show in passkey prompts, "
        "at most 64 characters",
    ),
]


def _case_id(case: tuple[dict[str, str], str]) -> str:
    env = case[0]
    return ",".join(f"{k.removeprefix('ORGDESK_')}={v[:24]}" for k, v in env.items())


def load_settings(monkeypatch, tmp_path, **env: str) -> dict:  # type: ignore[no-untyped-def]
    """Run orgdesk/settings.py afresh (Django's settings untouched) in this environment alone."""
    for key in list(os.environ):
        if key.startswith("ORGDESK_"):
            monkeypatch.delenv(key)
    monkeypatch.setenv("ORGDESK_VAR_DIR", str(tmp_path / "var"))
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    with errors_raised():
        return runpy.run_path(str(ROOT / "orgdesk" / "settings.py"), run_name="settings_under_test")


def _placed(text: str, tmp_path: Path) -> str:
    (tmp_path / "afile").touch()
    return text.replace("{tmp}", str(tmp_path))


@pytest.mark.parametrize(("env", "message"), BAD_VALUES, ids=[_case_id(c) for c in BAD_VALUES])
def test_a_bad_value_is_one_line_naming_it(monkeypatch, tmp_path, env, message):
    env = {key: _placed(value, tmp_path) for key, value in env.items()}
    with pytest.raises(ConfigError) as caught:
        load_settings(monkeypatch, tmp_path, **env)
    assert str(caught.value) == _placed(message, tmp_path)
    assert "\n" not in str(caught.value)
    assert "hunter2" not in str(caught.value)


@pytest.mark.parametrize(
    ("value", "shown_as"),
    [
        ("postgres://me:hunter2@db/x", "postgres://me:***@db/x"),
        ("postgres://me:p@ss:hunter2@db/x", "postgres://me:***@db/x"),
        ("redis://:hunter2@cache/0", "redis://:***@cache/0"),
        (
            "postgres://me@db/x?password=hunter2&sslmode=require",
            "postgres://me@db/x?password=***&sslmode=require",
        ),
        ("me:hunter2@db/x", "me:***@db/x"),
        ("postgres://db/x", "postgres://db/x"),
    ],
)
def test_urls_are_shown_without_their_password(value, shown_as):
    assert shown(value) == shown_as


def test_good_values(monkeypatch, tmp_path):
    geoip = tmp_path / "GeoLite2-City.mmdb"
    geoip.touch()
    s = load_settings(
        monkeypatch,
        tmp_path,
        ORGDESK_ENV="Production",
        ORGDESK_SECRET_KEY="k" * 40,
        ORGDESK_DEBUG="Yes",
        ORGDESK_ALLOWED_HOSTS="admin.example.com, .example.org,[::1],*",
        ORGDESK_CSRF_TRUSTED_ORIGINS="https://admin.example.com,https://*.example.org:8443",
        ORGDESK_REDIS_URL="redis://:pw@cache:6379/2,rediss://replica/2",
        ORGDESK_EMAIL_URL="submission://me:pw@mail.example.com/?ssl=false&tls=True",
        ORGDESK_FROM_EMAIL="Brand <no-reply@brand.example>",
        ORGDESK_ENCRYPTION_KEY=f" {KEY} ,{KEY}",
        ORGDESK_LOG_LEVEL="info",
        ORGDESK_GEOIP_CITY_DB=str(geoip),
        ORGDESK_SESSION_IDLE_MINUTES=" 45 ",
        ORGDESK_HSTS_SECONDS="0",
        ORGDESK_INVITATION_MAX_DAYS="5",
        ORGDESK_PUBLIC_URL="https://admin.example.com:8443/",
        ORGDESK_WEBAUTHN_RP_ID="Example.com",
        ORGDESK_WEBAUTHN_RP_NAME="Brand admin",
    )
    assert (s["PRODUCTION"], s["DEBUG"], s["SECURE_HSTS_SECONDS"]) == (True, True, 0)
    assert s["ALLOWED_HOSTS"] == ["admin.example.com", ".example.org", "[::1]", "*"]
    assert s["CACHES"]["default"]["LOCATION"] == "redis://:pw@cache:6379/2,rediss://replica/2"
    assert (s["EMAIL_USE_TLS"], s["EMAIL_USE_SSL"], s["EMAIL_PORT"]) == (True, False, 587)
    assert s["ENCRYPTION_KEY"] == f"{KEY},{KEY}"
    assert s["LOGGING"]["root"]["level"] == "INFO"
    assert s["SESSION_COOKIE_AGE"] == 45 * 60
    assert (s["ORGDESK_INVITATION_MAX_DAYS"], s["ORGDESK_INVITATION_DEFAULT_DAYS"]) == (5, 5)
    assert s["ORGDESK_PUBLIC_URL"] == "https://admin.example.com:8443"
    assert (s["WEBAUTHN_RP_ID"], s["WEBAUTHN_RP_NAME"]) == ("example.com", "Brand admin")
    assert "DATABASE_URL" not in s  # it may hold a password


def test_empty_means_the_default(monkeypatch, tmp_path):
    names = [name for name in readme_tables()[0] if name != "ORGDESK_VAR_DIR"]
    s = load_settings(monkeypatch, tmp_path, **dict.fromkeys(names, ""))
    assert s["DATABASES"]["default"]["NAME"] == str(tmp_path / "var" / "orgdesk.sqlite3")
    assert (s["PRODUCTION"], s["SESSION_COOKIE_AGE"], s["WEBAUTHN_RP_ID"]) == (
        False,
        30 * 60,
        "localhost",
    )


# ---- one line and exit status 2 wherever the settings load (child processes) ---------------
IDLE = "ORGDESK_SESSION_IDLE_MINUTES='abc': expected a whole number from 5 to 1440"
ENTRY_POINTS = {
    "orgdesk serve": ([sys.executable, "-m", "orgdesk.cli", "serve"], f"orgdesk serve: {IDLE}"),
    "django.setup()": (
        [sys.executable, "-c", "import django; django.setup()"],
        f"orgdesk: {IDLE}",
    ),
    "manage.py check": ([sys.executable, str(ROOT / "manage.py"), "check"], f"orgdesk: {IDLE}"),
    "orgdesk.wsgi": ([sys.executable, "-c", "import orgdesk.wsgi"], f"orgdesk: {IDLE}"),
}


def _run(tmp_path: Path, command: list[str], **env: str) -> subprocess.CompletedProcess:
    environment = process_env(tmp_path, DJANGO_SETTINGS_MODULE="orgdesk.settings", **env)
    environment["PYTHONPATH"] = str(ROOT)
    return subprocess.run(
        command,
        env=environment,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.mark.slow
@pytest.mark.parametrize("entry", ENTRY_POINTS)
def test_a_bad_value_stops_every_entry_point_with_one_line(tmp_path, entry):
    command, line = ENTRY_POINTS[entry]
    result = _run(tmp_path, command, ORGDESK_SESSION_IDLE_MINUTES="abc")
    assert (result.returncode, result.stderr, result.stdout) == (2, line + "\n", "")


SECRET_CASES = [case for case in BAD_VALUES if "hunter2" in "".join(case[0].values())]


@pytest.mark.slow
@pytest.mark.parametrize(("env", "message"), SECRET_CASES, ids=[_case_id(c) for c in SECRET_CASES])
def test_secrets_stay_hidden_outside_the_cli(tmp_path, env, message):
    result = _run(tmp_path, [sys.executable, "-c", "import django; django.setup()"], **env)
    assert (result.returncode, result.stderr) == (2, f"orgdesk: {message}\n")


@pytest.mark.slow
def test_gunicorn_stops_instead_of_restarting_workers(tmp_path):
    """A worker exiting 2 is started again, forever; orgdesk.wsgi exits 4 under gunicorn, its
    "App failed to load", and gunicorn stops."""
    gunicorn = Path(sys.executable).with_name("gunicorn")
    command = [str(gunicorn), "--bind", "127.0.0.1:0", "--workers", "1", "orgdesk.wsgi:application"]
    result = _run(tmp_path, command, ORGDESK_SESSION_IDLE_MINUTES="abc")
    assert result.returncode == 4, result.stderr
    assert result.stderr.count(f"orgdesk: {IDLE}\n") == 1, result.stderr
    assert "Traceback" not in result.stderr


# ---- the README's Configuration section names every ORGDESK_* variable ---------------------
NAME = re.compile(r"ORGDESK_[A-Z0-9_]+")
# Names of Django settings built from variables, not variables themselves.
SETTINGS_ONLY = {"ORGDESK_THROTTLE"}  # from ORGDESK_THROTTLE_WINDOW
TEST_ONLY_HEADING = "### Variables only the tests read"


def readme_tables() -> tuple[list[str], list[str]]:
    """The variables of the Configuration section's table, and of its test-only table."""
    text = (ROOT / "README.md").read_text()
    sections = re.findall(r"^## Configuration\n(.*?)(?=^## )", text, flags=re.M | re.S)
    assert len(sections) == 1, "README.md needs one '## Configuration' section"
    main, _, rest = sections[0].partition(TEST_ONLY_HEADING)
    assert rest, f"the Configuration section needs a {TEST_ONLY_HEADING!r} subsection"
    test_only = rest.split("\n###", 1)[0]

    def names(part: str) -> list[str]:
        rows = [line for line in part.splitlines() if line.startswith("| `ORGDESK_")]
        return [NAME.search(row.split("|")[1]).group() for row in rows]  # type: ignore[union-attr]

    return names(main), names(test_only)


def referenced(*patterns: str) -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for pattern in patterns:
        for path in sorted(ROOT.glob(pattern)):
            if path.is_file() and "__pycache__" not in path.parts:
                for name in NAME.findall(path.read_text(errors="replace")):
                    found.setdefault(name, set()).add(str(path.relative_to(ROOT)))
    return found


PRODUCT_AND_TOOLING = ("orgdesk/**/*.py", "Makefile", "scripts/*", ".ci/*")


def test_the_readme_documents_every_variable():
    main, test_only = readme_tables()
    assert len(main) == len(set(main)) and not set(main) & set(test_only), (main, test_only)
    found = referenced(*PRODUCT_AND_TOOLING)
    missing = {
        name: sorted(where)
        for name, where in found.items()
        if name not in set(main) | set(test_only) | SETTINGS_ONLY
    }
    assert not missing, f"README.md's Configuration table lacks {missing}"


def test_the_readme_lists_no_stale_variable():
    main, test_only = readme_tables()
    found = referenced(*PRODUCT_AND_TOOLING, "tests/**/*.py")
    stale = [name for name in main + test_only if name not in found]
    assert not stale, f"README.md documents variables nothing reads: {stale}"


def test_every_documented_variable_has_a_bad_value_case():
    checked = {name for env, _ in BAD_VALUES for name in env}
    main, _ = readme_tables()
    assert [name for name in main if name not in checked] == []
