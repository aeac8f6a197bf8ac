"""Single-use secret links: one way to make, store and look up their tokens.

Invitations, enrolment links and customer sessions all hand out a random token and keep only
its SHA-256 hash, so a copy of the database cannot be replayed; a new token replaces the
hash, which makes the old link useless at once. (Password and email-verification links are
stateless instead: Django's token generator, accounts/passwords.py.)
"""

import hashlib
import secrets
import string

from django.conf import settings

TOKEN_BYTES = 32  # 43 URL-safe characters
MAX_TOKEN_LENGTH = 100
_TOKEN_ALPHABET = frozenset(string.ascii_letters + string.digits + "-_")


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def new_token() -> tuple[str, str]:
    """A fresh token and the hash to store."""
    token = secrets.token_urlsafe(TOKEN_BYTES)
    return token, hash_token(token)


def well_formed(token: str | None, max_length: int = MAX_TOKEN_LENGTH) -> bool:
    """Whether `token` could be one of ours: checked before any lookup, so a malformed or
    oversized value costs nothing and is answered like an unknown one."""
    if not token:
        return False
    return len(token) <= max_length and set(token) <= _TOKEN_ALPHABET


def public_link(path: str) -> str:
    """The absolute address of `path` on this site, as emails carry it."""
    return f"{settings.ORGDESK_PUBLIC_URL}{path}"
