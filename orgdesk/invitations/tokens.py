"""Invitation tokens: random, single use, stored only as a SHA-256 hash.

The token itself lives only in the email (and, while the invitee registers, in their session);
the database holds its hash, so a copy of the database cannot be used to accept invitations.
A new token (resend) replaces the hash, which makes the old link useless at once.
"""

import hashlib
import secrets
import string

from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from orgdesk.invitations.models import Invitation

TOKEN_BYTES = 32  # 43 URL-safe characters
MAX_TOKEN_LENGTH = 100
_TOKEN_ALPHABET = frozenset(string.ascii_letters + string.digits + "-_")


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def new_token() -> tuple[str, str]:
    """A fresh token and the hash to store."""
    token = secrets.token_urlsafe(TOKEN_BYTES)
    return token, hash_token(token)


def well_formed(token: str) -> bool:
    return 0 < len(token) <= MAX_TOKEN_LENGTH and set(token) <= _TOKEN_ALPHABET


def invitation_link(token: str) -> str:
    """The absolute address the invitee follows."""
    return f"{settings.ORGDESK_PUBLIC_URL}{reverse('invite:accept', args=[token])}"


def usable_invitation(token: str) -> Invitation | None:
    """The pending, unexpired invitation a token belongs to; None for every other case
    (malformed, unknown, superseded, expired, revoked, accepted), deliberately alike."""
    if not well_formed(token):
        return None
    return (
        Invitation.objects.select_related("organization", "application")
        .filter(
            token_hash=hash_token(token),
            status=Invitation.Status.PENDING,
            expires__gt=timezone.now(),
        )
        .first()
    )
