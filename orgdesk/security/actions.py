"""Writes to sessions and authenticators: by admins on behalf of customers, by accounts on
their own sign-in methods, and the customer sessions an account signs in and out of."""

import datetime as dt
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext

from orgdesk.access.actor import Actor, Kind
from orgdesk.access.protection import require_manage, require_sign_in_change
from orgdesk.access.scoping import require, require_brand
from orgdesk.accounts.identifiers import require_proven_email
from orgdesk.accounts.models import Account
from orgdesk.activity.recorder import reason_metadata, record
from orgdesk.core.tokens import new_token
from orgdesk.notifications.delivery import queue_email
from orgdesk.notifications.models import Notification
from orgdesk.organizations.models import Application
from orgdesk.security import enrolment, mfa
from orgdesk.security.devices import describe_device
from orgdesk.security.geo import country_of
from orgdesk.security.models import (
    DEFAULT_LABELS,
    Authenticator,
    CustomerSession,
    EnrolmentLink,
    SecurityPolicy,
    recovery_codes_identifier,
)
from orgdesk.security.stepup import require_recent_auth

CUSTOMER_SESSION_LIFETIME = dt.timedelta(days=30)
USER_AGENT_LENGTH = 1000

# Authenticators added for a customer by an admin (issue 5: Authenticators tab).
OTP_TYPES = (Authenticator.Type.EMAIL_OTP, Authenticator.Type.SMS_OTP)


def _own(actor: Actor, account: Account | None) -> Account:
    """Self-service writes: only the account itself (signed in, or holding its link). Returns
    the account."""
    if actor.kind not in (Kind.SELF,) or account is None or not actor.is_account(account):
        raise PermissionDenied(gettext("Only the account itself may do that."))
    return account


# ---- an account's own sign-in methods (the portal's security page, enrolment links, the
# passkey registered while accepting an invitation)


@transaction.atomic
def enrol_totp(*, actor: Actor, secret: str, code: str, label: str = "") -> Authenticator:
    """Add an authenticator app once its first code matches (mfa.MfaError otherwise)."""
    account = _own(actor, actor.account)
    step = mfa.totp_enrolment_step(secret, code)
    authenticator = Authenticator.objects.create(
        account=account,
        type=Authenticator.Type.TOTP,
        label=(label or DEFAULT_LABELS[Authenticator.Type.TOTP]).strip()[:200],
        secret=secret,
        credential={"last_counter": step},
        last_used=timezone.now(),
    )
    record("mfa_enrolment", actor=actor, account=account, metadata={"type": "totp"})
    return authenticator


@transaction.atomic
def generate_recovery_codes(*, actor: Actor) -> list[str]:
    """New codes replace any old ones; shown once, stored hashed."""
    account = _own(actor, actor.account)
    codes, stored = mfa.new_recovery_codes()
    Authenticator.objects.filter(account=account, type=Authenticator.Type.RECOVERY_CODES).delete()
    Authenticator.objects.create(
        account=account,
        type=Authenticator.Type.RECOVERY_CODES,
        label=DEFAULT_LABELS[Authenticator.Type.RECOVERY_CODES],
        identifier=recovery_codes_identifier(len(codes)),
        secret=stored,
    )
    record("mfa_enrolment", actor=actor, account=account, metadata={"type": "recovery_codes"})
    return codes


@transaction.atomic
def enrol_passkey(
    *, actor: Actor, response: str | dict[str, Any], challenge: str, label: str = ""
) -> Authenticator:
    """Add a passkey from the browser's registration response (mfa.MfaError if refused)."""
    account = _own(actor, actor.account)
    credential = mfa.passkey_credential(response, challenge)
    authenticator = Authenticator.objects.create(
        account=account,
        type=Authenticator.Type.PASSKEY,
        label=(label or DEFAULT_LABELS[Authenticator.Type.PASSKEY]).strip()[:200],
        identifier=credential["credential_id"][:16],
        credential=credential,
        last_used=timezone.now(),
    )
    record("mfa_enrolment", actor=actor, account=account, metadata={"type": "passkey"})
    return authenticator


@transaction.atomic
def remove_own_authenticator(*, actor: Actor, authenticator_id: Any) -> None:
    """An account removes one of its own sign-in methods (step-up checked by the view)."""
    account = _own(actor, actor.account)
    row = Authenticator.objects.filter(account=account, pk=authenticator_id).first()
    if row is None:
        raise mfa.MfaError("No such sign-in method.")
    kind = row.type
    row.delete()
    record("authenticator.removed", actor=actor, account=account, metadata={"type": kind})


@transaction.atomic
def complete_totp_enrolment(*, token: str, secret: str, code: str) -> Authenticator:
    """The customer confirms the first code of their authenticator app through an enrolment
    link. Raises enrolment.InvalidEnrolmentLink, or mfa.MfaError for a wrong code (the link
    stays usable)."""
    link = enrolment.claim(token, EnrolmentLink.Method.TOTP)
    authenticator = enrol_totp(actor=Actor.customer(link.account), secret=secret, code=code)
    enrolment.spend(link)
    return authenticator


@transaction.atomic
def complete_passkey_enrolment(*, token: str, response: str, challenge: str) -> Authenticator:
    """The customer's browser registered a passkey through an enrolment link. Raises
    enrolment.InvalidEnrolmentLink, or mfa.MfaError for a refused credential."""
    link = enrolment.claim(token, EnrolmentLink.Method.PASSKEY)
    authenticator = enrol_passkey(
        actor=Actor.customer(link.account), response=response, challenge=challenge
    )
    enrolment.spend(link)
    return authenticator


# ---- customer sessions on this site


@transaction.atomic
def start_customer_session(
    *, actor: Actor, application: Application | None, user_agent: str, method: str
) -> tuple[CustomerSession, str]:
    """Sign the acting account in on this site: a session row holding its token's hash, and
    the login event. Returns the session and the token for the cookie."""
    account = _own(actor, actor.account)
    token, token_hash = new_token()
    now = timezone.now()
    user_agent = user_agent[:USER_AGENT_LENGTH]
    session = CustomerSession.objects.create(
        account=account,
        application=application,
        key_hash=token_hash,
        user_agent=user_agent,
        device=describe_device(user_agent)[:200],
        ip=actor.ip or None,
        country=country_of(actor.ip or ""),
        last_activity=now,
        expires=now + CUSTOMER_SESSION_LIFETIME,
    )
    record(
        "login",
        actor=actor,
        account=account,
        ip=actor.ip,
        metadata={
            "client_id": application.client_id if application is not None else "",
            "method": method,
            "session": str(session.pk),
        },
    )
    return session, token


def note_session_activity(*, session: CustomerSession, now: dt.datetime) -> None:
    """Stamp a live session as used now (the Sessions tab's "last activity"). Bookkeeping
    of a session its own cookie presented, at most once a minute: no actor, no event."""
    CustomerSession.objects.filter(pk=session.pk).update(last_activity=now)
    session.last_activity = now


@transaction.atomic
def end_customer_session(*, actor: Actor, session: CustomerSession) -> bool:
    """Sign out of one session (its own account only). False when it had already ended."""
    _own(actor, session.account)
    ended = CustomerSession.objects.filter(pk=session.pk, revoked_at__isnull=True).update(
        revoked_at=timezone.now()
    )
    if ended:
        record(
            "logout",
            actor=actor,
            account=session.account,
            ip=actor.ip,
            metadata={"session": str(session.pk)},
        )
    return bool(ended)


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
    assert account.organization is not None, "a customer account belongs to an organization"
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
    require_brand(actor, "Only brand admins change the security policy.")
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
        require_brand(actor, gettext("Only brand admins manage brand admins."))
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

    def link(notification: Notification) -> str:
        return enrolment.new_link(
            account=account, method=method, notification=notification, sent_by=actor.admin_account
        )[1]

    now = timezone.now()
    notification = queue_email(
        account=account,
        template_code=enrolment.TEMPLATE,
        target=account.email,
        sent_at=now,
        expires_at=now + enrolment.lifetime(),
        values={"link": link},
    )
    record(
        "authenticator.enrolment_sent",
        account=account,
        actor=actor,
        metadata={"method": method, "notification": notification.pk, **reason_metadata(reason)},
    )
    return notification
