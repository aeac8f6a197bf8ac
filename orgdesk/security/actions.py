"""Writes to sessions and authenticators, by admins on behalf of customers and by admins on
their own sign-in methods."""

from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext

from orgdesk.access.actor import Actor
from orgdesk.access.protection import require_manage, require_sign_in_change
from orgdesk.access.scoping import require
from orgdesk.accounts.identifiers import require_proven_email
from orgdesk.activity.recorder import reason_metadata, record
from orgdesk.notifications.delivery import deliver
from orgdesk.security.models import Authenticator, CustomerSession, SecurityPolicy
from orgdesk.security.stepup import require_recent_auth

# Authenticators added for a customer by an admin (issue 5: Authenticators tab).
OTP_TYPES = (Authenticator.Type.EMAIL_OTP, Authenticator.Type.SMS_OTP)


@transaction.atomic
def clear_sessions(*, actor: Actor, account: Any, reason: str = "") -> int:
    """Sign the customer out everywhere; the account and its credentials stay as they are."""
    require(actor, "sessions.clear", account.organization)
    require_manage(actor, account)
    require_recent_auth(actor)
    now = timezone.now()
    # Expired sessions are over already: only live ones are ended, and counted.
    cleared = CustomerSession.objects.filter(
        account=account, revoked_at__isnull=True, expires__gt=now
    ).update(revoked_at=now)
    meta = {"sessions": cleared, **reason_metadata(reason)}
    record("sessions.cleared", account=account, actor=actor, metadata=meta)
    return cleared


@transaction.atomic
def remove_authenticator(*, actor: Actor, authenticator: Authenticator, reason: str = "") -> None:
    account = authenticator.account
    if actor.is_account(account):
        raise PermissionDenied(gettext("Manage your own sign-in methods on your security page."))
    require(actor, "authenticators.manage", account.organization)
    require_sign_in_change(actor, account, reason)
    require_recent_auth(actor)
    meta = {
        "type": authenticator.type,
        "authenticator": str(authenticator.pk),
        **reason_metadata(reason),
    }
    authenticator.delete()
    record("authenticator.removed", account=account, actor=actor, metadata=meta)


@transaction.atomic
def update_security_policy(
    *, actor: Actor, require_admin_mfa: bool | None = None
) -> SecurityPolicy:
    """Brand-wide settings (brand admins and scripts only)."""
    if not actor.is_system and not actor.is_brand:
        raise PermissionDenied("Only brand admins change the security policy.")
    policy = SecurityPolicy.objects.select_for_update().get(pk=SecurityPolicy.current().pk)
    if require_admin_mfa is not None and policy.require_admin_mfa != require_admin_mfa:
        policy.require_admin_mfa = require_admin_mfa
        policy.save()
        record("policy.updated", actor=actor, metadata={"require_admin_mfa": require_admin_mfa})
    return policy


# ---- authenticators added on behalf of a customer ----------------------------------------------


def _require_manage(actor: Actor, account: Any, reason: str) -> None:
    if actor.is_account(account):
        raise PermissionDenied(gettext("Manage your own sign-in methods on your security page."))
    if account.organization is None:
        if not actor.is_system and not actor.is_brand:
            raise PermissionDenied(gettext("Only brand admins manage brand admins."))
    else:
        require(actor, "authenticators.manage", account.organization)
    require_sign_in_change(actor, account, reason)


def _otp_identifier(kind: str, raw: str) -> str:
    """The address or E.164 phone number codes go to, or ValidationError."""
    from django.contrib.auth.base_user import BaseUserManager
    from django.core.validators import validate_email

    from orgdesk.accounts.validation import normalize_phone

    value = (raw or "").strip()
    if kind == Authenticator.Type.EMAIL_OTP:
        if not value:
            raise ValidationError(gettext("Enter the email address the codes go to."))
        try:
            if len(value) > 254:  # RFC 5321's limit; the validator allows longer
                raise ValidationError("too long")
            validate_email(value)
        except ValidationError:
            raise ValidationError(gettext("Enter a valid email address.")) from None
        return BaseUserManager.normalize_email(value)
    if not value:
        raise ValidationError(gettext("Enter the phone number the codes go to."))
    return normalize_phone(value)


@transaction.atomic
def add_otp_authenticator(
    *, actor: Actor, account: Any, kind: str, identifier: str, reason: str = ""
) -> Authenticator:
    """Register an email or SMS one-time-code authenticator for the customer: codes go to
    `identifier` (an email address, or a phone number in international format). Adding a way
    to receive a customer's codes is as sensitive as removing one: it needs a recent sign-in."""
    if kind not in OTP_TYPES:
        raise ValueError(f"not a one-time-code authenticator type: {kind!r}")
    _require_manage(actor, account, reason)
    require_recent_auth(actor)
    identifier = _otp_identifier(kind, identifier)
    # Lock the account: two identical requests cannot both pass the duplicate check.
    type(account).objects.select_for_update().filter(pk=account.pk).first()
    # Rows made before identifiers were stored carry the address in their label only.
    same = Q(identifier__iexact=identifier) | Q(identifier="", label__iexact=identifier)
    if Authenticator.objects.filter(same, account=account, type=kind).exists():
        message = (
            gettext("This account already has an email one-time code authenticator for %(to)s.")
            if kind == Authenticator.Type.EMAIL_OTP
            else gettext("This account already has an SMS one-time code authenticator for %(to)s.")
        )
        raise ValidationError(message % {"to": identifier}, code="duplicate")
    authenticator = Authenticator.objects.create(
        account=account, type=kind, label=identifier[:200], identifier=identifier
    )
    record(
        "authenticator.added",
        account=account,
        actor=actor,
        metadata={"type": kind, "authenticator": str(authenticator.pk), **reason_metadata(reason)},
    )
    return authenticator


@transaction.atomic
def send_enrolment_link(*, actor: Actor, account: Any, method: str, reason: str = "") -> Any:
    """Email the customer a one-time link to set up an authenticator app ("totp") or a passkey
    ("passkey") themselves (security/enrolment.py). Recorded as a Notification with its expiry;
    a newer link supersedes older ones. Raises ValidationError (no email, disabled account).
    No recent sign-in is needed for a customer's account: the link goes to the customer's own
    address, and never to one an admin has just set (accounts/identifiers.py); an
    administrator's account needs one, and a reason (access/protection.py)."""
    from orgdesk.notifications.models import Channel, Notification, NotificationTemplate
    from orgdesk.security import enrolment

    if method not in enrolment.METHODS:
        raise ValidationError(gettext("Choose an authenticator app or a passkey."))
    _require_manage(actor, account, reason)
    if account.organization is not None and require_manage(actor, account).needs_reason:
        require_recent_auth(actor)
    account = type(account).objects.select_for_update().get(pk=account.pk)
    if not account.email:
        raise ValidationError(gettext("This account has no email address to send the link to."))
    if not account.is_active:
        raise ValidationError(gettext("This account is disabled. Enable it before sending a link."))
    require_proven_email(account)
    template = NotificationTemplate.objects.get(code=enrolment.TEMPLATE)
    now = timezone.now()
    notification = Notification.objects.create(
        account=account,
        organization=account.organization,
        template=template,
        channel=Channel.EMAIL,
        target=account.email,
        sent_at=now,
        expires_at=now + enrolment.lifetime(),
        status=Notification.Status.QUEUED,
    )
    _link, address = enrolment.new_link(
        account=account, method=method, notification=notification, sent_by=actor.admin_account
    )
    record(
        "authenticator.enrolment_sent",
        account=account,
        actor=actor,
        metadata={"method": method, "notification": notification.pk, **reason_metadata(reason)},
    )
    # str.replace, not format(): a template body with other braces must not break sending.
    body = template.body.replace("{link}", address)
    transaction.on_commit(
        lambda: deliver(notification.pk, template.subject, body, notification.target)
    )
    return notification
