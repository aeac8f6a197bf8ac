"""Enrolment links: an admin emails a customer a one-time link to set up an authenticator app
(TOTP) or a passkey themselves; the customer follows it, no sign-in needed.

A link is `<ORGDESK_PUBLIC_URL>/account/enrol/<token>`, the token 256 random bits of which only
a SHA-256 hash is stored (EnrolmentLink). A link works once (`used_at` is set, under a row
lock, in the transaction that adds the authenticator), until its expiry (the `mfa_enrolment`
notification template's lifetime, the same moment as the Notification row shows), only while
it is the account's newest link (sending another supersedes it) and while the account is
enabled. Every failure looks the same to the person holding the link.
The admin's side (sending) is security.actions.send_enrolment_link.
"""

import datetime as dt
import logging
from typing import Any

from django.conf import settings
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from orgdesk.accounts.models import Account
from orgdesk.core.tokens import hash_token, new_token, public_link, well_formed
from orgdesk.notifications.models import Notification, NotificationTemplate
from orgdesk.security import mfa
from orgdesk.security.models import EnrolmentLink

logger = logging.getLogger(__name__)

TEMPLATE = "mfa_enrolment"
METHODS = tuple(EnrolmentLink.Method.values)
MAX_TOKEN_LENGTH = 64


class InvalidEnrolmentLink(ValueError):
    """The link is wrong, expired, used or superseded (deliberately not saying which)."""


def _now() -> dt.datetime:
    return timezone.now()


def lifetime() -> dt.timedelta:
    """How long a new link stays valid: the `mfa_enrolment` template's lifetime."""
    minutes = (
        NotificationTemplate.objects.filter(code=TEMPLATE)
        .values_list("expires_after", flat=True)
        .first()
    )
    if minutes:
        return dt.timedelta(minutes=minutes)
    return dt.timedelta(seconds=settings.PASSWORD_RESET_TIMEOUT)


def new_link(
    *, account: Any, method: str, notification: Notification | None, sent_by: Account | None
) -> tuple[EnrolmentLink, str]:
    """Store a link (call inside the sending transaction); returns it and its address."""
    token, token_hash = new_token()
    expires_at = (
        notification.expires_at
        if notification is not None and notification.expires_at
        else _now() + lifetime()
    )
    link = EnrolmentLink.objects.create(
        account=account,
        method=method,
        token_hash=token_hash,
        notification=notification,
        sent_by=sent_by,
        expires_at=expires_at,
    )
    path = reverse("customer:enrol_link", kwargs={"token": token})
    return link, public_link(path)


def usable(link: EnrolmentLink) -> bool:
    """Unused, unexpired, the account's newest link, and the account enabled."""
    if link.used_at is not None or link.expires_at <= _now():
        return False
    if not link.account.is_active:
        return False
    newest = (
        EnrolmentLink.objects.filter(account_id=link.account_id)
        .order_by("-created", "-id")
        .values_list("id", flat=True)
        .first()
    )
    return newest == link.pk


def link_for_token(token: str) -> EnrolmentLink | None:
    """The usable link a token belongs to, else None (whatever the reason)."""
    if not well_formed(token, MAX_TOKEN_LENGTH):
        return None
    link = (
        EnrolmentLink.objects.select_related("account__organization")
        .filter(token_hash=hash_token(token))
        .first()
    )
    return link if link is not None and usable(link) else None


def claim(token: str, method: str) -> EnrolmentLink:
    """The link, locked and checked again under the lock, so that two submissions of one link
    cannot both enrol."""
    found = link_for_token(token)
    if found is None or found.method != method:
        raise InvalidEnrolmentLink(_("This link is no longer valid."))
    link = (
        EnrolmentLink.objects.select_for_update()
        .select_related("account")
        .filter(pk=found.pk)
        .first()
    )
    if link is None or not usable(link):
        raise InvalidEnrolmentLink(_("This link is no longer valid."))
    return link


def spend(link: EnrolmentLink) -> None:
    link.used_at = _now()
    link.save(update_fields=["used_at", "updated"])


def passkey_options(*, token: str) -> tuple[str, str]:
    """(registration options JSON, challenge) for the link's account."""
    link = link_for_token(token)
    if link is None or link.method != EnrolmentLink.Method.PASSKEY:
        raise InvalidEnrolmentLink(_("This link is no longer valid."))
    return mfa.passkey_registration_options(link.account)
