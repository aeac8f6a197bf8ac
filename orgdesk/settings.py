"""One settings module, configured from ORGDESK_* environment variables.

Embedded defaults run the demo on SQLite under ./var; production mode (ORGDESK_DEBUG unset or
false, ORGDESK_ENV=production) refuses to start without ORGDESK_SECRET_KEY.
"""

import os
from pathlib import Path

from orgdesk.config import (
    ConfigError,
    env_bool,
    env_int,
    env_list,
    parse_database_url,
    parse_email_url,
)

BASE_DIR = Path(__file__).resolve().parent
VAR_DIR = Path(os.environ.get("ORGDESK_VAR_DIR", Path.cwd() / "var")).resolve()

DEBUG = env_bool("ORGDESK_DEBUG", default=False)
PRODUCTION = os.environ.get("ORGDESK_ENV", "development").lower() == "production"

SECRET_KEY = os.environ.get("ORGDESK_SECRET_KEY", "")
if not SECRET_KEY:
    if PRODUCTION:
        raise ConfigError("ORGDESK_SECRET_KEY must be set when ORGDESK_ENV=production")
    # Development only: a fixed key keeps demo sessions valid across restarts.
    SECRET_KEY = "orgdesk-development-key-not-for-production"  # noqa: S105
elif PRODUCTION and len(SECRET_KEY) < 32:
    raise ConfigError("ORGDESK_SECRET_KEY must be at least 32 characters in production")

ALLOWED_HOSTS = env_list("ORGDESK_ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env_list("ORGDESK_CSRF_TRUSTED_ORIGINS", default=[])

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
    "orgdesk.portal",
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

DATABASES = {
    "default": parse_database_url(
        os.environ.get("ORGDESK_DATABASE_URL", f"sqlite:///{VAR_DIR / 'orgdesk.sqlite3'}")
    )
}
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

REDIS_URL = os.environ.get("ORGDESK_REDIS_URL", "")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": os.environ.get("ORGDESK_CACHE_PREFIX", "orgdesk"),
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
            "KEY_PREFIX": os.environ.get("ORGDESK_CACHE_PREFIX", "orgdesk"),
            "OPTIONS": {"MAX_ENTRIES": 10000},
        }
    }

TASKS = {
    "default": {
        "BACKEND": os.environ.get("ORGDESK_TASKS_BACKEND", "django_tasks_db.DatabaseBackend"),
    }
}

EMAIL_CONFIG = parse_email_url(os.environ.get("ORGDESK_EMAIL_URL", f"file://{VAR_DIR / 'outbox'}"))
vars().update(EMAIL_CONFIG)
DEFAULT_FROM_EMAIL = os.environ.get("ORGDESK_FROM_EMAIL", "Orgdesk <no-reply@orgdesk.localhost>")

LANGUAGE_CODE = "en"
LANGUAGES = [("en", "English"), ("fr", "Français"), ("de", "Deutsch"), ("es", "Español")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
MEDIA_URL = "media/"
MEDIA_ROOT = Path(os.environ.get("ORGDESK_MEDIA_ROOT", VAR_DIR / "media"))
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
    SECURE_HSTS_SECONDS = int(os.environ.get("ORGDESK_HSTS_SECONDS", "31536000"))
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# Key material for secrets stored encrypted at rest (authenticator seeds). Defaults to a key
# derived from SECRET_KEY; set ORGDESK_ENCRYPTION_KEY to rotate independently.
ENCRYPTION_KEY = os.environ.get("ORGDESK_ENCRYPTION_KEY", "")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("ORGDESK_LOG_LEVEL", "WARNING")},
}

# Admin sessions (portal): idle timeout, absolute lifetime, step-up window for sensitive
# actions. Django's session expiry is the idle timeout (renewed on every request); the absolute
# lifetime is enforced by orgdesk.security.middleware.
ORGDESK_SESSION_IDLE_MINUTES = int(os.environ.get("ORGDESK_SESSION_IDLE_MINUTES", "30"))
ORGDESK_SESSION_MAX_HOURS = int(os.environ.get("ORGDESK_SESSION_MAX_HOURS", "12"))
ORGDESK_STEP_UP_MINUTES = int(os.environ.get("ORGDESK_STEP_UP_MINUTES", "10"))
SESSION_COOKIE_AGE = ORGDESK_SESSION_IDLE_MINUTES * 60
# Renewed by AdminSessionMiddleware at most once a minute, not on every request: a write per
# page view was a tenth of a list page's time.
SESSION_SAVE_EVERY_REQUEST = False
SESSION_COOKIE_NAME = "orgdesk_session"
LOGIN_URL = "portal:login"

# Failed sign-in throttling (per identifier+IP, per identifier, per IP), in a 15-minute window.
ORGDESK_THROTTLE = {
    "window_seconds": int(os.environ.get("ORGDESK_THROTTLE_WINDOW", "900")),
    "per_pair": 5,
    "per_identifier": 20,
    "per_ip": 50,
}

# Invitations: how long an emailed invitation link stays valid, in days. An admin picks the
# expiry of each invitation, up to the maximum; the form starts at the default.
ORGDESK_INVITATION_MAX_DAYS = env_int(
    "ORGDESK_INVITATION_MAX_DAYS", default=30, minimum=1, maximum=365
)
# (A maximum below 7 lowers the built-in default with it; an explicit default above the
# maximum is a configuration error.)
ORGDESK_INVITATION_DEFAULT_DAYS = min(
    env_int(
        "ORGDESK_INVITATION_DEFAULT_DAYS",
        default=7,
        minimum=1,
        maximum=ORGDESK_INVITATION_MAX_DAYS,
    ),
    ORGDESK_INVITATION_MAX_DAYS,
)

# Passkeys (WebAuthn): the relying party is this site.
ORGDESK_PUBLIC_URL = os.environ.get("ORGDESK_PUBLIC_URL", "http://localhost:8000").rstrip("/")
WEBAUTHN_RP_ID = (
    os.environ.get("ORGDESK_WEBAUTHN_RP_ID", "")
    or (ORGDESK_PUBLIC_URL.split("://", 1)[-1].split("/", 1)[0].split(":", 1)[0])
)
WEBAUTHN_RP_NAME = os.environ.get("ORGDESK_WEBAUTHN_RP_NAME", "Orgdesk")

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
