"""One settings module, configured from ORGDESK_* environment variables.

Embedded defaults run the demo on SQLite under ./var; production mode (ORGDESK_DEBUG unset or
false, ORGDESK_ENV=production) refuses to start without ORGDESK_SECRET_KEY.

Every ORGDESK_* variable is read in the block below, through a parser of orgdesk.config: a bad
value stops the settings with one line, `orgdesk: <VARIABLE>='value': expected ...`, and exit
status 2 (the `orgdesk` command prints it as `orgdesk <command>: ...`). The README's
Configuration section lists them all.
"""

from pathlib import Path
from typing import Any

from orgdesk.config import (
    ConfigError,
    env_bool,
    env_email_address,
    env_fernet_keys,
    env_int,
    env_list,
    env_path,
    env_redis_url,
    env_rp_id,
    env_secret_key,
    env_str,
    env_url,
    fail,
    is_allowed_host,
    is_origin,
    parse_database_url,
    parse_email_url,
)

BASE_DIR = Path(__file__).resolve().parent

try:
    VAR_DIR = env_path("ORGDESK_VAR_DIR", default=Path.cwd() / "var", kind="directory").resolve()
    DEBUG = env_bool("ORGDESK_DEBUG", default=False)
    PRODUCTION = (
        env_str("ORGDESK_ENV", default="development", choices=("development", "production"))
        == "production"
    )
    SECRET_KEY = env_secret_key("ORGDESK_SECRET_KEY", production=PRODUCTION)
    ALLOWED_HOSTS = env_list(
        "ORGDESK_ALLOWED_HOSTS",
        default=["localhost", "127.0.0.1", "[::1]"],
        valid=is_allowed_host,
        expected="comma-separated host names without scheme or port "
        "(example.com, .example.com for its subdomains too, [::1], *)",
    )
    CSRF_TRUSTED_ORIGINS = env_list(
        "ORGDESK_CSRF_TRUSTED_ORIGINS",
        default=[],
        valid=is_origin,
        expected="comma-separated origins: scheme, host and optional port, no path "
        "(https://admin.example.com, https://*.example.com)",
    )
    DATABASE_URL = env_str(
        "ORGDESK_DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'orgdesk.sqlite3'}"
    )
    DATABASES = {"default": parse_database_url(DATABASE_URL)}
    del DATABASE_URL  # it may hold a password; DATABASES has the parts
    REDIS_URL = env_redis_url("ORGDESK_REDIS_URL")
    CACHE_PREFIX = env_str(
        "ORGDESK_CACHE_PREFIX",
        default="orgdesk",
        pattern=r"[^\s\x00-\x1f\x7f]{1,64}",
        expected="at most 64 characters, without spaces",
    )
    TASKS_BACKEND = env_str(
        "ORGDESK_TASKS_BACKEND",
        default="django_tasks_db.DatabaseBackend",
        pattern=r"[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)+",
        expected="the dotted path of a django-tasks backend class "
        "(django_tasks_db.DatabaseBackend, django_tasks.backends.immediate.ImmediateBackend)",
    )
    EMAIL_CONFIG = parse_email_url(
        env_str("ORGDESK_EMAIL_URL", default=f"file://{VAR_DIR / 'outbox'}")
    )
    DEFAULT_FROM_EMAIL = env_email_address(
        "ORGDESK_FROM_EMAIL", default="Orgdesk <no-reply@orgdesk.localhost>"
    )
    MEDIA_ROOT = env_path("ORGDESK_MEDIA_ROOT", default=VAR_DIR / "media", kind="directory")
    HSTS_SECONDS = env_int("ORGDESK_HSTS_SECONDS", default=31536000, minimum=0, maximum=63072000)
    # Key material for secrets stored encrypted at rest (authenticator seeds). Defaults to a
    # key derived from SECRET_KEY; set ORGDESK_ENCRYPTION_KEY to rotate independently.
    ENCRYPTION_KEY = env_fernet_keys("ORGDESK_ENCRYPTION_KEY")
    LOG_LEVEL = env_str(
        "ORGDESK_LOG_LEVEL",
        default="WARNING",
        choices=("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"),
    )
    # Checked here; orgdesk.security.geo opens it when it first locates an address.
    env_path(
        "ORGDESK_GEOIP_CITY_DB",
        default=None,
        kind="file",
        what="the path of a MaxMind City database (.mmdb)",
        must_exist=True,
    )
    # Admin sessions (portal): idle timeout, absolute lifetime, step-up window for sensitive
    # actions. Django's session expiry is the idle timeout (renewed on every request); the
    # absolute lifetime is enforced by orgdesk.security.middleware.
    ORGDESK_SESSION_IDLE_MINUTES = env_int(
        "ORGDESK_SESSION_IDLE_MINUTES", default=30, minimum=5, maximum=1440
    )
    ORGDESK_SESSION_MAX_HOURS = env_int(
        "ORGDESK_SESSION_MAX_HOURS", default=12, minimum=1, maximum=168
    )
    ORGDESK_STEP_UP_MINUTES = env_int(
        "ORGDESK_STEP_UP_MINUTES", default=10, minimum=1, maximum=1440
    )
    THROTTLE_WINDOW_SECONDS = env_int(
        "ORGDESK_THROTTLE_WINDOW", default=900, minimum=60, maximum=86400
    )
    # Invitations: how long an emailed invitation link stays valid, in days. An admin picks
    # the expiry of each invitation, up to the maximum; the form starts at the default. (A
    # maximum below 7 lowers the built-in default with it; an explicit default above the
    # maximum is a configuration error.)
    ORGDESK_INVITATION_MAX_DAYS = env_int(
        "ORGDESK_INVITATION_MAX_DAYS", default=30, minimum=1, maximum=365
    )
    ORGDESK_INVITATION_DEFAULT_DAYS = min(
        env_int(
            "ORGDESK_INVITATION_DEFAULT_DAYS",
            default=7,
            minimum=1,
            maximum=ORGDESK_INVITATION_MAX_DAYS,
            note="at most ORGDESK_INVITATION_MAX_DAYS",
        ),
        ORGDESK_INVITATION_MAX_DAYS,
    )
    # Passkeys (WebAuthn): the relying party is this site.
    ORGDESK_PUBLIC_URL = env_url(
        "ORGDESK_PUBLIC_URL",
        default="http://localhost:8000",
        schemes=("http", "https"),
        example="https://admin.example.com",
    )
    WEBAUTHN_RP_ID = env_rp_id("ORGDESK_WEBAUTHN_RP_ID", public_url=ORGDESK_PUBLIC_URL)
    WEBAUTHN_RP_NAME = env_str(
        "ORGDESK_WEBAUTHN_RP_NAME",
        default="Orgdesk",
        pattern=r"[^\x00-\x1f\x7f]{1,64}",
        expected="a name to show in passkey prompts, at most 64 characters",
    )
except ConfigError as exc:
    fail(exc)

INSTALLED_APPS = [
    "django.contrib.contenttypes",
    "django.contrib.auth",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_htmx",
    "heroicons",
    "django_countries",  # translated country names for address forms
    "django_tasks",
    "django_tasks_db",
    "orgdesk.core",
    "orgdesk.organizations",
    "orgdesk.accounts",
    "orgdesk.access",
    "orgdesk.security",
    "orgdesk.activity",
    "orgdesk.notifications",
    "orgdesk.verification",
    "orgdesk.consents",
    "orgdesk.invitations",
    "orgdesk.branding",
    "orgdesk.ui",
    "orgdesk.portal",
    "orgdesk.console",
    "orgdesk.customer",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # After WhiteNoise (which answers static files itself), before the rest: it sees every
    # response of the portal and customer pages, including those another middleware answers.
    "orgdesk.security.middleware.NoStoreMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "orgdesk.security.middleware.AdminSessionMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "orgdesk.urls"
WSGI_APPLICATION = "orgdesk.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.Account"
AUTHENTICATION_BACKENDS = ["orgdesk.accounts.backends.IdentifierBackend"]
# Account identifiers are unique per identity-store tree, not globally; sign-in resolves
# them through IdentifierBackend, so Django's "USERNAME_FIELD must be unique" warning is moot.
SILENCED_SYSTEM_CHECKS = ["auth.W004"]

PASSWORD_HASHERS = [
    "orgdesk.accounts.hashers.OwaspArgon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 10},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

if REDIS_URL:
    CACHES: dict[str, dict[str, Any]] = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": CACHE_PREFIX,
        }
    }
else:
    # Without Redis (the demo, development) a table every server process shares: a per-process
    # cache would give each gunicorn worker its own rate limits. `orgdesk migrate` creates it
    # (security migration 0004); production refuses a per-process cache (security.E001).
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.db.DatabaseCache",
            "LOCATION": "orgdesk_cache",
            "KEY_PREFIX": CACHE_PREFIX,
            "OPTIONS": {"MAX_ENTRIES": 10000},
        }
    }

TASKS = {
    "default": {
        "BACKEND": TASKS_BACKEND,
    }
}

globals().update(EMAIL_CONFIG)

LANGUAGE_CODE = "en"
LANGUAGES = [("en", "English"), ("fr", "Français"), ("de", "Deutsch"), ("es", "Español")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
MEDIA_URL = "media/"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedStaticFilesStorage"
    },
}
WHITENOISE_USE_FINDERS = True

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_SECURE = PRODUCTION
CSRF_COOKIE_SECURE = PRODUCTION
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
if PRODUCTION:
    SECURE_HSTS_SECONDS = HSTS_SECONDS
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
}

# Admin sessions: the idle timeout (ORGDESK_SESSION_IDLE_MINUTES) is Django's session expiry.
SESSION_COOKIE_AGE = ORGDESK_SESSION_IDLE_MINUTES * 60
# Renewed by AdminSessionMiddleware at most once a minute, not on every request: a write per
# page view was a tenth of a list page's time.
SESSION_SAVE_EVERY_REQUEST = False
SESSION_COOKIE_NAME = "orgdesk_session"
LOGIN_URL = "portal:login"
# A form refused for its CSRF token: the styled, translated 403 page (orgdesk/errors.py).
CSRF_FAILURE_VIEW = "orgdesk.errors.csrf_failure"

# Failed sign-in throttling (per identifier+IP, per identifier, per IP), in a 15-minute window.
ORGDESK_THROTTLE = {
    "window_seconds": THROTTLE_WINDOW_SECONDS,
    "per_pair": 5,
    "per_identifier": 20,
    "per_ip": 50,
}

# Content Security Policy: every script and style is a file served by the app; no inline
# script, no eval, no third-party origin.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
        "base-uri": ["'self'"],
        "object-src": ["'none'"],
    }
}
