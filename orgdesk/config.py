"""Parsing of ORGDESK_* environment values, with errors a person can act on.

Each `env_*` function reads one variable and returns its value, or raises ConfigError with a
one-line message of the shape `NAME='raw value': expected <what is allowed>`. A secret is
described, never shown (`ORGDESK_SECRET_KEY=<5 characters, not shown>: ...`), and the
password of a URL is replaced by `***`. A variable that is unset or empty takes its default.

orgdesk/settings.py reads every variable through these functions; a ConfigError while the
settings load goes to `fail()`, which prints the message on one line and exits with status 2
(manage.py, `django.setup()`, WSGI servers), or re-raises it inside `errors_raised()` for a
caller that reports errors itself (the `orgdesk` command). This module imports no other
orgdesk package: it runs before Django is set up.
"""

import base64
import binascii
import os
import re
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Literal, NoReturn, overload
from urllib.parse import SplitResult, parse_qs, urlsplit

import dj_database_url
import dj_email_url


class ConfigError(Exception):
    """A configuration value is missing or malformed; the message says which and why."""


class ConfigExit(SystemExit):
    """Loading the settings stopped on a ConfigError, whose message is already printed."""


_raise_errors = False


@contextmanager
def errors_raised() -> Iterator[None]:
    """Within this block, settings that fail to load raise ConfigError instead of exiting."""
    global _raise_errors
    previous, _raise_errors = _raise_errors, True
    try:
        yield
    finally:
        _raise_errors = previous


def fail(exc: ConfigError) -> NoReturn:
    """Stop loading the settings: one line on stderr, exit status 2 (see errors_raised)."""
    if _raise_errors:
        raise exc
    print(f"orgdesk: {exc}", file=sys.stderr, flush=True)
    raise ConfigExit(2) from None


# ---- messages ----------------------------------------------------------------------------------
def shown(value: str) -> str:
    """`value` with the password of a URL (user:password@, password=…) replaced by ***."""
    scheme, sep, rest = value.partition("://")
    if not sep:
        scheme, rest = "", value
    if "@" in rest:
        userinfo, _, tail = rest.rpartition("@")
        user, colon, _password = userinfo.partition(":")
        if colon:
            rest = f"{user}:***@{tail}"
    rest = re.sub(r"(?i)(pass(?:word)?=)[^&#]*", r"\1***", rest)
    return f"{scheme}{sep}{rest}"


def invalid(name: str, raw: str, expected: str, *, url: bool = False) -> ConfigError:
    """`NAME='raw': expected …`; a `url` is shown without its password."""
    return ConfigError(f"{name}={shown(raw) if url else raw!r}: expected {expected}")


def _raw(name: str) -> str | None:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return None
    return raw


# ---- plain values ------------------------------------------------------------------------------
TRUE = {"1", "true", "yes", "on"}
FALSE = {"0", "false", "no", "off"}


def env_bool(name: str, *, default: bool) -> bool:
    raw = _raw(name)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in TRUE:
        return True
    if value in FALSE:
        return False
    raise invalid(name, raw, "true or false (or 1/0, yes/no, on/off)")


def env_int(name: str, *, default: int, minimum: int, maximum: int, note: str = "") -> int:
    """A whole number from `minimum` to `maximum`; `note` says where a bound comes from."""
    raw = _raw(name)
    if raw is None:
        return default
    expected = f"a whole number from {minimum} to {maximum}" + (f" ({note})" if note else "")
    value = raw.strip()
    if not re.fullmatch(r"[+-]?[0-9]+", value) or not minimum <= int(value) <= maximum:
        raise invalid(name, raw, expected)
    return int(value)


def env_str(
    name: str,
    *,
    default: str,
    choices: Sequence[str] = (),
    pattern: str = "",
    expected: str = "",
) -> str:
    """Text, stripped. With `choices`: one of them, in any case, returned as spelled there.
    With `pattern`: text the regular expression matches whole (`expected` describes it)."""
    raw = _raw(name)
    if raw is None:
        return default
    value = raw.strip()
    if choices:
        for choice in choices:
            if value.lower() == choice.lower():
                return choice
        raise invalid(name, raw, expected or "one of " + ", ".join(choices))
    if pattern and not re.fullmatch(pattern, value):
        raise invalid(name, raw, expected)
    return value


def env_list(
    name: str,
    *,
    default: list[str],
    valid: Callable[[str], bool] = bool,
    expected: str = "a comma-separated list",
) -> list[str]:
    """Comma-separated items, each `valid`; a value holding no item at all is an error."""
    raw = _raw(name)
    if raw is None:
        return default
    items = [item.strip() for item in raw.split(",") if item.strip()]
    if not items:
        raise invalid(name, raw, expected)
    for item in items:
        if not valid(item):
            raise invalid(name, raw, f"{expected}, not {item!r}")
    return items


@overload
def env_path(
    name: str,
    *,
    default: Path,
    kind: Literal["directory", "file"],
    what: str = "",
    must_exist: bool = False,
) -> Path: ...
@overload
def env_path(
    name: str,
    *,
    default: None,
    kind: Literal["directory", "file"],
    what: str = "",
    must_exist: bool = False,
) -> Path | None: ...
def env_path(
    name: str,
    *,
    default: Path | None,
    kind: Literal["directory", "file"],
    what: str = "",
    must_exist: bool = False,
) -> Path | None:
    """A path naming a directory or a file (need not exist unless `must_exist`)."""
    raw = _raw(name)
    if raw is None:
        return default
    what = what or f"the path of a {kind}"
    value = raw.strip()
    if "\x00" in value:
        raise invalid(name, raw, what)
    path = Path(value)
    if kind == "directory" and path.exists() and not path.is_dir():
        raise invalid(name, raw, f"{what}, but that path is a file")
    if kind == "file" and path.is_dir():
        raise invalid(name, raw, f"{what}, but that path is a directory")
    if must_exist and not path.exists():
        raise invalid(name, raw, f"{what}, but there is nothing at that path")
    return path


# ---- hosts, origins, URLs ----------------------------------------------------------------------
_LABEL = r"[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?"
HOST_NAME = rf"{_LABEL}(?:\.{_LABEL})*"
_IPV6 = r"\[[0-9A-Fa-f:.]+\]"


def is_allowed_host(value: str) -> bool:
    """An ALLOWED_HOSTS entry: a host name (.example.com for its subdomains too), [IPv6], *."""
    return bool(re.fullmatch(rf"\*|\.?{HOST_NAME}\.?|{_IPV6}", value))


def _port_is_valid(split: SplitResult) -> bool:
    try:
        port = split.port
    except ValueError:
        return False
    return port is None or port > 0


def is_origin(value: str) -> bool:
    """A CSRF trusted origin: scheme and host (or *.domain), an optional port, nothing more."""
    split = urlsplit(value)
    host = split.hostname or ""
    return (
        split.scheme in ("http", "https")
        and bool(re.fullmatch(rf"(?:\*\.)?{HOST_NAME}|[0-9A-Fa-f:.]+", host))
        and _port_is_valid(split)
        and "@" not in split.netloc
        and not (split.path or split.query or split.fragment or value.endswith(("?", "#")))
    )


def env_url(name: str, *, default: str, schemes: Sequence[str], example: str) -> str:
    """An http(s)-style address: a scheme among `schemes`, a host, an optional port and path;
    no user, query or fragment. Returned without a trailing slash."""
    raw = _raw(name)
    if raw is None:
        return default
    value = raw.strip()
    split = urlsplit(value)
    expected = f"an address starting {' or '.join(s + '://' for s in schemes)}, such as {example}"
    if split.scheme not in schemes or not split.hostname or not _port_is_valid(split):
        raise invalid(name, raw, expected, url=True)
    if "@" in split.netloc or split.query or split.fragment or value.endswith(("?", "#")):
        raise invalid(name, raw, f"{expected}, without user, query or fragment", url=True)
    if not re.fullmatch(rf"{HOST_NAME}|[0-9A-Fa-f:.]+", split.hostname):
        raise invalid(name, raw, expected, url=True)
    return value.rstrip("/")


def env_redis_url(name: str) -> str:
    """ORGDESK_REDIS_URL: redis://[:password@]host[:port][/db], rediss://…, unix:///path.sock;
    several, separated by commas, for a primary and its replicas. Empty: no Redis."""
    raw = _raw(name)
    if raw is None:
        return ""
    value = raw.strip()
    expected = "a redis://host:6379/0, rediss:// or unix:///path.sock URL"
    for part in re.split("[;,]", value):
        split = urlsplit(part.strip())
        if split.scheme in ("redis", "rediss"):
            ok = (
                bool(split.hostname)
                and _port_is_valid(split)
                and bool(re.fullmatch(r"/?|/[0-9]+", split.path))
            )
        else:
            ok = split.scheme == "unix" and split.path not in ("", "/")
        if not ok:
            raise invalid(name, raw, expected, url=True)
    return value


def env_rp_id(name: str, *, public_url: str) -> str:
    """The WebAuthn relying-party id: the host of the public URL or a domain it is under."""
    host = (urlsplit(public_url).hostname or "").lower()
    raw = _raw(name)
    if raw is None:
        return host
    value = raw.strip().lower()
    if not re.fullmatch(HOST_NAME, value) or not (host == value or host.endswith(f".{value}")):
        raise invalid(
            name,
            raw,
            f"the host of ORGDESK_PUBLIC_URL ({host}) or a domain it is under, without scheme "
            "or port",
        )
    return value


def env_email_address(name: str, *, default: str) -> str:
    """An email address, optionally with a display name: `Orgdesk <no-reply@example.com>`."""
    from email.utils import parseaddr

    from django.core.exceptions import ValidationError
    from django.core.validators import validate_email

    raw = _raw(name)
    if raw is None:
        return default
    value = raw.strip()
    _display, address = parseaddr(value)
    try:
        if re.search(r"[\r\n]", value):
            raise ValidationError("line break")
        validate_email(address)
    except ValidationError:
        raise invalid(
            name, raw, "an email address, optionally with a name: Orgdesk <no-reply@example.com>"
        ) from None
    return value


# ---- secrets -----------------------------------------------------------------------------------
SECRET_KEY_MIN_LENGTH = 32
DEVELOPMENT_SECRET_KEY = "orgdesk-development-key-not-for-production"  # noqa: S105
_MAKE_A_KEY = "python3 -c 'import secrets; print(secrets.token_urlsafe(48))'"


def env_secret_key(name: str, *, production: bool) -> str:
    """Required in production (at least 32 characters, not the development key); in
    development a fixed key keeps demo sessions valid across restarts. Never shown."""
    raw = os.environ.get(name, "")
    if not production:
        return raw if raw.strip() else DEVELOPMENT_SECRET_KEY
    expected = (
        f"at least {SECRET_KEY_MIN_LENGTH} random characters when ORGDESK_ENV=production "
        f"({_MAKE_A_KEY})"
    )
    if raw.strip() == "":
        raise ConfigError(f"{name} is {'empty' if raw else 'not set'}: expected {expected}")
    if raw == DEVELOPMENT_SECRET_KEY:
        raise ConfigError(f"{name} is the development key: expected {expected}")
    if len(raw) < SECRET_KEY_MIN_LENGTH:
        raise ConfigError(f"{name}=<{len(raw)} characters, not shown>: expected {expected}")
    return raw


def _is_fernet_key(key: str) -> bool:
    try:
        return len(base64.urlsafe_b64decode(key.encode("ascii"))) == 32 and len(key) == 44
    except (binascii.Error, UnicodeEncodeError, ValueError):
        return False


def env_fernet_keys(name: str) -> str:
    """Comma-separated Fernet keys, the first encrypting, all decrypting. Never shown."""
    raw = _raw(name)
    if raw is None:
        return ""
    keys = [key.strip() for key in raw.split(",") if key.strip()]
    for number, key in enumerate(keys, start=1):
        if not _is_fernet_key(key):
            count = f"{len(keys)} keys" if len(keys) > 1 else "1 key"
            raise ConfigError(
                f"{name}=<{count}, not shown>: expected comma-separated Fernet keys, each 44 "
                f"characters of URL-safe base64 (Fernet.generate_key()); key {number} is not one"
            )
    return ",".join(keys)


# ---- database and email ------------------------------------------------------------------------
SUPPORTED_DATABASES = {
    "django.db.backends.sqlite3",
    "django.db.backends.postgresql",
}
_DATABASE_EXPECTED = (
    "a SQLite or PostgreSQL URL: sqlite:///path/to/file or postgres://user:password@host:5432/name"
)


def parse_database_url(url: str) -> dj_database_url.DBConfig:
    """Turn ORGDESK_DATABASE_URL into a Django DATABASES entry (SQLite or PostgreSQL)."""
    name = "ORGDESK_DATABASE_URL"
    if "://" not in url:
        raise invalid(name, url, _DATABASE_EXPECTED, url=True)
    if not _port_is_valid(urlsplit(url)):
        raise invalid(name, url, "a port number from 1 to 65535 after the host", url=True)
    try:
        config = dj_database_url.parse(url, conn_max_age=60, conn_health_checks=True)
    except Exception:  # dj-database-url raises several types for bad input
        config = {}
    engine = config.get("ENGINE", "")
    if engine not in SUPPORTED_DATABASES:
        raise invalid(name, url, _DATABASE_EXPECTED, url=True)
    if engine.endswith("sqlite3"):
        if not config.get("NAME") or config["NAME"] == ":memory:":
            raise invalid(name, url, "a file path for SQLite: sqlite:///path/to/file", url=True)
        config["CONN_MAX_AGE"] = 0
        config["OPTIONS"] = {
            # WAL lets the web server and the worker read while the other writes.
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
        }
        test_name = env_path(
            "ORGDESK_TEST_SQLITE_NAME",
            default=None,
            kind="file",
            what="the path of the SQLite file for the test database",
        )
        config["TEST"] = {"NAME": str(test_name) if test_name else None}
    elif not config.get("NAME"):
        raise invalid(
            name, url, "a database name for PostgreSQL: postgres://user@host:5432/name", url=True
        )
    else:
        # A request's statements read a page, a few hundred index entries: starting parallel
        # workers cost more than they saved (a search's keys, 6 ms alone, took 14 with two
        # workers). The one long statement, an exact count, asks for them itself
        # (core/listing.py exact_count).
        config.setdefault("OPTIONS", {})["options"] = "-c max_parallel_workers_per_gather=0"
    return config


_EMAIL_EXAMPLE = "smtp://user:password@host:587/?tls=true, console://, file:///dir or memory://"
_EMAIL_OPTIONS = {"tls", "ssl", "timeout", "_server_email", "_default_from_email"}


def parse_email_url(url: str) -> dict[str, Any]:
    """ORGDESK_EMAIL_URL: smtp://user:pass@host:587/?tls=True, console://, file:///dir, memory://."""
    name = "ORGDESK_EMAIL_URL"
    if url.startswith("memory:"):
        return {"EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend"}
    if url.startswith("file://"):
        # dj-email-url drops the leading slash of absolute paths; a directory is all we need.
        path = url[len("file://") :]
        if not path:
            raise invalid(name, url, "a directory: file:///var/outbox", url=True)
        return {
            "EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend",
            "EMAIL_FILE_PATH": path,
        }
    split = urlsplit(url)
    if split.scheme not in dj_email_url.SCHEMES:
        raise invalid(name, url, _EMAIL_EXAMPLE, url=True)
    if not _port_is_valid(split):
        raise invalid(name, url, "a port number from 1 to 65535 after the host", url=True)
    options = {k: v[-1] for k, v in parse_qs(split.query, keep_blank_values=True).items()}
    for key, value in options.items():
        if key not in _EMAIL_OPTIONS:
            expected = f"options among {', '.join(sorted(_EMAIL_OPTIONS))}, not {key!r}"
            raise invalid(name, url, expected, url=True)
        if key in ("tls", "ssl") and value.lower() not in TRUE | FALSE:
            raise invalid(name, url, f"{key}=true or {key}=false", url=True)
        if key == "timeout" and not value.isdigit():
            raise invalid(name, url, "timeout= a whole number of seconds", url=True)
    tls, ssl = (options.get(k, "").lower() in TRUE for k in ("tls", "ssl"))
    if tls and ssl:
        raise invalid(name, url, "tls=true or ssl=true, not both", url=True)
    parsed = dj_email_url.parse(url)
    # dj-email-url reads only some spellings of true, and ignores tls= whenever ssl= is there.
    if "tls" in options:
        parsed["EMAIL_USE_TLS"] = tls
    if "ssl" in options:
        parsed["EMAIL_USE_SSL"] = ssl
        parsed["EMAIL_USE_TLS"] = tls and not ssl
    return {
        key if key.startswith("EMAIL_") else f"EMAIL_{key}": value
        for key, value in parsed.items()
        if value not in (None, "")
    }
