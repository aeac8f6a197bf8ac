"""System checks of the security app: production refuses a per-process cache.

Rate limits (sign-in throttling, invitation resends) and anything else kept in the cache must
be shared by every server process; a local-memory cache gives each gunicorn worker its own
counts (the limits multiply by the number of workers) and a dummy cache keeps none at all.
`orgdesk serve` runs the checks before it starts, so such a production configuration does
not start.
"""

from collections.abc import Sequence
from typing import Any

from django.apps import AppConfig
from django.conf import settings
from django.core.checks import Error, register

PER_PROCESS_CACHES = {
    "django.core.cache.backends.locmem.LocMemCache": "a local-memory cache (one per process)",
    "django.core.cache.backends.dummy.DummyCache": "a dummy cache (keeps nothing)",
}


@register("security", "caches")
def shared_cache_in_production(
    app_configs: Sequence[AppConfig] | None = None, **kwargs: Any
) -> list[Error]:
    if not getattr(settings, "PRODUCTION", False):
        return []
    backend = settings.CACHES.get("default", {}).get("BACKEND", "")
    if backend not in PER_PROCESS_CACHES:
        return []
    return [
        Error(
            f"The default cache is {PER_PROCESS_CACHES[backend]}: sign-in throttling and other "
            "rate limits would not be shared by the server processes.",
            hint="Set ORGDESK_REDIS_URL, or leave it empty for the database cache.",
            obj=backend,
            id="security.E001",
        )
    ]
