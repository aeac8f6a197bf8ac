"""Password links: an admin (or the system) emails a customer a one-time link to set or reset
their password; the customer follows it and chooses one.

A link is `<ORGDESK_PUBLIC_URL>/account/password/<uidb64>/<token>?purpose=<purpose>`. The token
is an HMAC (Django's PasswordResetTokenGenerator, salted per purpose) over the account's
password hash, last login, email and status and the id of the newest link notification of that
purpose, so it stops working when the password changes (it works once), when a newer link of
the same purpose is sent, when the account is disabled, and when the purpose's notification
template lifetime (`expires_after`) has passed. Nothing secret is stored: the token lives only
in the email.
"""

import logging
from typing import Any, Literal

from django.conf import settings
from django.contrib.auth.tokens import PasswordResetTokenGenerator
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils.crypto import constant_time_compare
from django.utils.encoding import force_bytes
from django.utils.http import base36_to_int, urlsafe_base64_decode, urlsafe_base64_encode

from orgdesk.accounts.models import Account
from orgdesk.notifications.models import Notification, NotificationTemplate

logger = logging.getLogger(__name__)

Purpose = Literal["set_password", "password_reset"]
# Purpose (= notification template code) → permission needed to send the link.
PURPOSES: dict[str, str] = {
    "set_password": "accounts.create",
    "password_reset": "accounts.reset_password",
}


class PasswordLinkError(ValueError):
    """A link cannot be sent or used; the message is fit to show in a form."""


class InvalidPasswordLink(PasswordLinkError):
    """The link is wrong, expired, used or superseded (deliberately not saying which)."""


def check_purpose(purpose: str) -> None:
    if purpose not in PURPOSES:
        raise ValueError(f"unknown password link purpose {purpose!r}")


def latest_link_id(account: Account, purpose: str) -> int | None:
    """Id of the newest link notification of `purpose` sent to the account."""
    return (
        Notification.objects.filter(account=account, template__code=purpose)
        .order_by("-id")
        .values_list("id", flat=True)
        .first()
    )


class PasswordLinkTokenGenerator(PasswordResetTokenGenerator):
    """Django's reset token, salted per purpose, living as long as the purpose's template says.

    Django's generator checks age against settings.PASSWORD_RESET_TIMEOUT; this one checks it
    against the template's `expires_after` (read when the token is checked, so shortening a
    template's lifetime also shortens links already sent).
    """

    def __init__(self, purpose: str) -> None:
        # Any notification template with a link: the password purposes, and the email
        # verification link of accounts/identifiers.py.
        if purpose not in (*PURPOSES, "email_verification"):
            raise ValueError(f"unknown link purpose {purpose!r}")
        super().__init__()
        self.purpose = purpose
        self.key_salt = f"orgdesk.accounts.passwords.{purpose}"

    def lifetime(self) -> int:
        """Seconds a link stays valid."""
        minutes = (
            NotificationTemplate.objects.filter(code=self.purpose)
            .values_list("expires_after", flat=True)
            .first()
        )
        return minutes * 60 if minutes else settings.PASSWORD_RESET_TIMEOUT

    def check_token(self, user: Any, token: str | None) -> bool:
        if not (user and token) or len(token) > 64:
            return False
        try:
            ts_b36, _hash = token.split("-")
            ts = base36_to_int(ts_b36)
        except ValueError:
            return False
        for secret in [self.secret, *self.secret_fallbacks]:
            if constant_time_compare(self._make_token_with_timestamp(user, ts, secret), token):
                break
        else:
            return False
        age = self._num_seconds(self._now()) - ts
        return 0 <= age <= self.lifetime()

    def _make_hash_value(self, user: Any, timestamp: int) -> str:
        base = super()._make_hash_value(user, timestamp)
        return f"{base}|{user.status}|{self.purpose}|{latest_link_id(user, self.purpose)}"


TOKEN_GENERATORS = {purpose: PasswordLinkTokenGenerator(purpose) for purpose in PURPOSES}


def encode_uid(account: Account) -> str:
    return urlsafe_base64_encode(force_bytes(account.pk))


def link_for(account: Account, purpose: str) -> str:
    """A fresh link for the newest notification of `purpose` (call after recording it)."""
    token = TOKEN_GENERATORS[purpose].make_token(account)
    path = reverse("customer:password_link", kwargs={"uidb64": encode_uid(account), "token": token})
    return f"{settings.ORGDESK_PUBLIC_URL}{path}?purpose={purpose}"


def account_for_link(uidb64: str, purpose: str, token: str) -> Account | None:
    """The account a valid link belongs to, else None (whatever the reason)."""
    if purpose not in PURPOSES:
        return None
    try:
        pk = urlsafe_base64_decode(uidb64).decode()
        account = Account.objects.get(pk=pk)
    except (TypeError, ValueError, OverflowError, ValidationError, Account.DoesNotExist):
        return None
    if not account.is_active or not TOKEN_GENERATORS[purpose].check_token(account, token):
        return None
    return account
