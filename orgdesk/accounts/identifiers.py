"""Identifier changes that cannot hijack an account.

When an admin changes an account's email or phone:
- a notice goes to the old email address (a phone change is noticed at the account's email:
  Orgdesk has no SMS gateway yet), so the owner learns of it at once;
- the new identifier is unverified and marked as set by an admin (`email_set_by_admin_at`,
  `phone_set_by_admin_at`) until the customer proves it; for an email, a verification link
  goes to the new address;
- no password-reset or enrolment link is sent to an email an admin has just set and the
  customer has not verified (`require_proven_email`).
Each notice and verification is recorded in the account's activity.
"""

from collections.abc import Sequence

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _

from orgdesk.access.actor import Actor
from orgdesk.accounts.models import Account
from orgdesk.accounts.passwords import PasswordLinkTokenGenerator, encode_uid, latest_link_id
from orgdesk.activity.recorder import record
from orgdesk.notifications.delivery import queue_email
from orgdesk.notifications.models import Notification

NOTICE_TEMPLATE = "identifier_changed"
VERIFICATION_TEMPLATE = "email_verification"
SIGN_IN_IDENTIFIERS = ("username", "email", "phone")


class VerificationTokenGenerator(PasswordLinkTokenGenerator):
    """The password link's token for the email verification template. Django's hash covers the
    email, so a link stops working when the address changes again; it also covers the verified
    flag, so a link works once."""

    def _make_hash_value(self, user: Account, timestamp: int) -> str:
        return f"{super()._make_hash_value(user, timestamp)}|{user.email_verified}"


VERIFICATION_TOKENS = VerificationTokenGenerator(VERIFICATION_TEMPLATE)


def verification_link(account: Account) -> str:
    token = VERIFICATION_TOKENS.make_token(account)
    path = reverse("customer:verify_email", kwargs={"uidb64": encode_uid(account), "token": token})
    return f"{settings.ORGDESK_PUBLIC_URL}{path}"


def mark_admin_set(account: Account, changed: set[str]) -> None:
    """Before saving an admin's change: the new email or phone is unverified and admin-set."""
    now = timezone.now()
    if "email" in changed:
        account.email_verified = False
        account.email_set_by_admin_at = now if account.email else None
    if "phone" in changed:
        account.phone_verified = False
        account.phone_set_by_admin_at = now if account.phone else None


def after_admin_change(*, actor: Actor, account: Account, old: dict[str, str]) -> None:
    """After saving an admin's change of identifiers (`old`: their values before): the notice
    to the old address and the verification link to the new one, each recorded."""
    changed = {name for name, value in old.items() if value != getattr(account, name)}
    # An email change is told to the old address; a phone change (or a phone added) to the
    # email address on file, old or new.
    noticed = [n for n in ("email", "phone") if n in changed and (n == "phone" or old.get(n))]
    notice_to = old.get("email") or account.email if noticed else ""
    if noticed and notice_to:
        with translation.override(_customer_language(account.locale)):
            lines = _change_lines(account, old, noticed)
        notification = queue_email(
            account=account,
            template_code=NOTICE_TEMPLATE,
            target=notice_to,
            values={"changes": "\n".join(lines)},
        )
        record(
            "account.identifier_change_notice_sent",
            account=account,
            actor=actor,
            metadata={"identifiers": noticed, "notification": notification.pk},
        )
    if "email" in changed and account.email:
        send_verification(actor=actor, account=account)


def _customer_language(locale: str) -> str:
    try:
        return translation.get_supported_language_variant(locale or settings.LANGUAGE_CODE)
    except LookupError:
        return settings.LANGUAGE_CODE


def _change_lines(account: Account, old: dict[str, str], names: Sequence[str]) -> list[str]:
    lines = []
    for name in names:
        label = _("email address") if name == "email" else _("phone number")
        lines.append(
            _("Your %(identifier)s was changed from %(old)s to %(new)s.")
            % {
                "identifier": label,
                "old": old[name] or _("(none)"),
                "new": getattr(account, name) or _("(removed)"),
            }
        )
    return lines


def send_verification(*, actor: Actor, account: Account) -> Notification:
    """Email the account's address a link that proves the customer owns it."""
    notification = queue_email(
        account=account,
        template_code=VERIFICATION_TEMPLATE,
        target=account.email,
        # The token covers the newest verification notification: made once it is recorded.
        values={"link": lambda _notification: verification_link(account)},
    )
    record(
        "account.email_verification_sent",
        account=account,
        actor=actor,
        metadata={"notification": notification.pk},
    )
    return notification


def require_proven_email(account: Account) -> None:
    """ValidationError when the account's email was set by an admin and not verified since:
    no link that lets someone sign in goes to it."""
    if account.email_set_by_admin_at is not None and not account.email_verified:
        raise ValidationError(
            _(
                "The email address was changed by an administrator on %(date)s and the "
                "customer has not confirmed it yet: no sign-in link goes to it until they "
                "follow the verification link sent to it."
            )
            % {"date": formats.date_format(account.email_set_by_admin_at, "DATE_FORMAT")},
            code="unproven_email",
        )


def account_for_verification(uidb64: str, token: str) -> Account | None:
    from django.utils.http import urlsafe_base64_decode

    try:
        pk = urlsafe_base64_decode(uidb64).decode()
        account = Account.objects.select_related("organization").get(pk=pk)
    except (TypeError, ValueError, OverflowError, ValidationError, Account.DoesNotExist):
        return None
    if not account.is_active or not account.email:
        return None
    if not VERIFICATION_TOKENS.check_token(account, token):
        return None
    return account


@transaction.atomic
def complete_verification(*, uidb64: str, token: str, ip: str | None = None) -> Account | None:
    """The customer follows the verification link: the address is theirs. None: invalid link."""
    found = account_for_verification(uidb64, token)
    if found is None:
        return None
    account = Account.objects.select_for_update().get(pk=found.pk)
    if not VERIFICATION_TOKENS.check_token(account, token):
        return None
    account.email_verified = True
    account.email_set_by_admin_at = None
    account.save(update_fields=["email_verified", "email_set_by_admin_at", "updated"])
    record(
        "email_verification",
        account=account,
        actor=Actor.customer(account, ip=ip),
        ip=ip,
        metadata={"notification": latest_link_id(account, VERIFICATION_TEMPLATE)},
    )
    return account
