"""Invitation tokens: random, single use, stored only as a SHA-256 hash (core/tokens.py).

The token itself lives only in the email (and, while the invitee registers, in their session);
the database holds its hash, so a copy of the database cannot be used to accept invitations.
A new token (resend) replaces the hash, which makes the old link useless at once.
"""

from django.urls import reverse
from django.utils import timezone

from orgdesk.core.tokens import MAX_TOKEN_LENGTH, hash_token, new_token, public_link, well_formed
from orgdesk.invitations.models import Invitation

__all__ = ["MAX_TOKEN_LENGTH", "hash_token", "invitation_link", "new_token", "usable_invitation"]


def invitation_link(token: str) -> str:
    """The absolute address the invitee follows."""
    return public_link(reverse("invite:accept", args=[token]))


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
