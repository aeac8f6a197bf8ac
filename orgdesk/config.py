"""Parsing of ORGDESK_* environment values, with errors a person can act on."""

import os
from typing import Any

import dj_database_url
import dj_email_url


class ConfigError(Exception):
    """A configuration value is missing or malformed; the message says which and why."""


def env_bool(name: str, *, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    value = raw.strip().lower()
    if value in {"1", "true", "yes", "on"}:
        return True
    if value in {"0", "false", "no", "off"}:
        return False
    raise ConfigError(f"{name}={raw!r} is not a boolean (use true or false)")


def env_list(name: str, *, default: list[str]) -> list[str]:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    return [item.strip() for item in raw.split(",") if item.strip()]


def env_int(name: str, *, default: int, minimum: int, maximum: int) -> int:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        value = int(raw.strip())
    except ValueError:
        raise ConfigError(f"{name}={raw!r} is not a whole number") from None
    if not minimum <= value <= maximum:
        raise ConfigError(f"{name}={value} is outside {minimum}-{maximum}")
    return value


SUPPORTED_DATABASES = {
    "django.db.backends.sqlite3",
    "django.db.backends.postgresql",
}


def parse_database_url(url: str) -> dict[str, Any]:
    """Turn ORGDESK_DATABASE_URL into a Django DATABASES entry (SQLite or PostgreSQL)."""
    if "://" not in url:
        raise ConfigError(
            f"ORGDESK_DATABASE_URL={url!r} is not a URL "
            "(expected sqlite:///path/to/file or postgres://user@host:5432/name)"
        )
    try:
        config = dj_database_url.parse(url, conn_max_age=60, conn_health_checks=True)
    except Exception as exc:  # dj-database-url raises several types for bad input
        raise ConfigError(f"ORGDESK_DATABASE_URL is malformed: {exc}") from None
    engine = config.get("ENGINE", "")
    if engine not in SUPPORTED_DATABASES:
        raise ConfigError(
            f"ORGDESK_DATABASE_URL uses an unsupported database ({url.split('://')[0]}); "
            "Orgdesk runs on sqlite and postgres"
        )
    if engine.endswith("sqlite3"):
        if not config.get("NAME") or config["NAME"] == ":memory:":
            raise ConfigError("ORGDESK_DATABASE_URL for SQLite needs a file path: sqlite:///path")
        config["CONN_MAX_AGE"] = 0
        config["OPTIONS"] = {
            # WAL lets the web server and the worker read while the other writes.
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
        }
        config["TEST"] = {"NAME": os.environ.get("ORGDESK_TEST_SQLITE_NAME") or None}
    else:
        if not config.get("NAME"):
            raise ConfigError("ORGDESK_DATABASE_URL for PostgreSQL needs a database name")
        port = config.get("PORT")
        if port not in ("", None):
            try:
                int(port)
            except (TypeError, ValueError):
                raise ConfigError(f"ORGDESK_DATABASE_URL has a bad port: {port!r}") from None
    return config


def parse_email_url(url: str) -> dict[str, Any]:
    """ORGDESK_EMAIL_URL: smtp://user:pass@host:587/?tls=True, console://, file:///dir, memory://."""
    if url.startswith("memory:"):
        return {"EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend"}
    if url.startswith("file://"):
        # dj-email-url drops the leading slash of absolute paths; a directory is all we need.
        path = url[len("file://") :]
        if not path:
            raise ConfigError("ORGDESK_EMAIL_URL file:// needs a directory: file:///var/outbox")
        return {
            "EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend",
            "EMAIL_FILE_PATH": path,
        }
    try:
        parsed = dj_email_url.parse(url)
    except Exception as exc:
        raise ConfigError(f"ORGDESK_EMAIL_URL is malformed: {exc}") from None
    out = {
        key if key.startswith("EMAIL_") else f"EMAIL_{key}": value
        for key, value in parsed.items()
        if value not in (None, "")
    }
    if "EMAIL_BACKEND" not in out:
        raise ConfigError(
            f"ORGDESK_EMAIL_URL scheme {url.split(':')[0]!r} is not supported "
            "(smtp, submission, console, file, memory)"
        )
    return out
