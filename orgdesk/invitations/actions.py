"""Invitations: send, resend, revoke, accept. Each records its Event in the same transaction;
emails leave after commit (invitations.emails).

The pieces a bulk job reuses, in order:
- `invitation_options(actor=…, organization=…, groups=…, roles=…, days=…, locale=…)` once per
  job: permission, no-escalation for roles, step-up when roles are included, expiry, language;
- `check_invitee(organization, email)` to validate one row without writing (a preview);
- `issue_invitation(actor=…, organization=…, email=…, options=…)` per row, inside the row's
  transaction: checks the row again, creates the invitation, records `invitation.sent` and
  queues its email (`emails.queue_invitation_email`) for after commit.
`invite()` is those three for one address, as the portal form uses it.
"""

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib.auth.base_user import BaseUserManager
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.db.models.functions import Lower
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from orgdesk.access.actions import EscalationRefused, grant_role
from orgdesk.access.actor import Actor, Channel
from orgdesk.access.models import OrgRole
from orgdesk.access.protection import may_grant
from orgdesk.access.scoping import require, restrict
from orgdesk.accounts.groups import groups_open_to
from orgdesk.accounts.models import Account, Group
from orgdesk.accounts.validation import hidden_character_errors
from orgdesk.activity.recorder import reason_metadata, record
from orgdesk.invitations.emails import invitation_language, queue_invitation_email
from orgdesk.invitations.models import Invitation
from orgdesk.invitations.tokens import hash_token, new_token, well_formed
from orgdesk.notifications.models import Notification, NotificationTemplate
from orgdesk.organizations.models import Application, Organization
from orgdesk.security import actions as security_actions
from orgdesk.security.stepup import require_recent_auth
from orgdesk.security.throttle import counters

# Resending: at most once a minute per invitation (from its Last sent time), and at most
# RESEND_PER_HOUR times an hour per invitation (a counter every server process shares, like
# sign-in throttling: Redis, or a database table without it).
RESEND_COOLDOWN_SECONDS = 60
RESEND_PER_HOUR = 5
RESEND_WINDOW_SECONDS = 3600
# A double submission of the registration form lands after the first one accepted the
# invitation: within this time it is told the account is ready instead of "invalid link".
RECENT_ACCEPTANCE = dt.timedelta(minutes=10)

# Accepting an invitation creates the account and gives it the invitation's groups and roles
# with the authority the (already checked) invitation carries, not the new customer's own.
ACCEPTANCE = Actor.system(channel=Channel.CUSTOMER, label="invitation acceptance")


class InvalidInvitation(ValueError):
    """Unknown, expired, revoked or already used (deliberately not saying which)."""


class ResendLimited(ValidationError):
    """Resent too recently or too often; `retry_after` is in seconds."""

    def __init__(self, message: str, retry_after: int) -> None:
        super().__init__(message, code="throttled")
        self.retry_after = retry_after


# ---- what an admin may put in an invitation ---------------------------------------------------


def max_days() -> int:
    return settings.ORGDESK_INVITATION_MAX_DAYS


def default_days() -> int:
    return min(settings.ORGDESK_INVITATION_DEFAULT_DAYS, max_days())


def allowed_groups(actor: Actor, organization: Organization) -> QuerySet[Group]:
    """Groups an invitee can be put in: of the organization or one above it (what
    accounts.actions.add_to_group accepts), where the actor manages group memberships."""
    groups = groups_open_to(organization).select_related("organization")
    if not actor.is_system:
        groups = restrict(actor, "groups.manage", groups)
    return groups.order_by("-organization__depth", "name")


def grantable_roles(actor: Actor, organization: Organization) -> list[OrgRole]:
    """Roles the actor may hand out on the organization (access.protection.may_grant)."""
    return [r for r in OrgRole.objects.order_by("name") if may_grant(actor, organization, r)]


@dataclass(frozen=True)
class InvitationOptions:
    """What every invitation of one request or bulk job carries, checked once."""

    organization: Organization
    actor_id: Any
    application: Application
    groups: tuple[Group, ...]
    roles: tuple[OrgRole, ...]
    days: int
    locale: str
    look: Any = None  # the emails' branding (branding.emails.EmailLook), resolved once


def invitation_options(
    *,
    actor: Actor,
    organization: Organization,
    groups: Iterable[Group] = (),
    roles: Iterable[OrgRole] = (),
    days: int | None = None,
    locale: str = "",
) -> InvitationOptions:
    """Check what the actor wants to put in invitations to `organization`.

    Raises PermissionDenied (no invitations.manage; a role or group beyond the actor's reach:
    EscalationRefused for roles), StepUpRequired (roles need a recent sign-in, like granting
    them), ValidationError (expiry out of range, unknown language).
    """
    require(actor, "invitations.manage", organization)
    days = default_days() if days is None else days
    if not 1 <= int(days) <= max_days():
        raise ValidationError(
            {
                "days": [
                    ngettext(
                        "An invitation stays valid for 1 to %(max)d day.",
                        "An invitation stays valid for 1 to %(max)d days.",
                        max_days(),
                    )
                    % {"max": max_days()}
                ]
            }
        )
    codes = {code for code, _name in settings.LANGUAGES}
    if locale and locale not in codes:
        raise ValidationError({"locale": [_("Choose one of the languages offered.")]})
    locale = locale or invitation_language(translation.get_language() or "")

    groups = tuple(groups)
    if groups:
        allowed = set(allowed_groups(actor, organization).values_list("pk", flat=True))
        if any(group.pk not in allowed for group in groups):
            raise PermissionDenied(
                _(
                    "You can only add invitees to groups of this organization or the ones "
                    "above it, where you manage group memberships."
                )
            )
    roles = tuple(roles)
    if roles:
        grantable = {role.pk for role in grantable_roles(actor, organization)}
        if any(role.pk not in grantable for role in roles):
            raise EscalationRefused(
                _("You can only assign roles whose permissions you hold on this organization.")
            )
        require_recent_auth(actor)
    from orgdesk.branding.emails import email_look

    return InvitationOptions(
        organization=organization,
        actor_id=actor.account_id,
        application=organization.application,
        groups=groups,
        roles=roles,
        days=int(days),
        locale=locale,
        look=email_look(organization),
    )


# ---- one invitee ------------------------------------------------------------------------------


def normalize_invitee_email(raw: str) -> str:
    email = (raw or "").strip()
    if not email:
        raise ValidationError(_("Enter the email address to invite."), code="required")
    if len(email) > 254:
        raise ValidationError(_("An email address has at most 254 characters."), code="invalid")
    try:
        validate_email(email)
    except ValidationError:
        raise ValidationError(_("Enter a valid email address."), code="invalid") from None
    return BaseUserManager.normalize_email(email)


def _same_store_invitations(organization: Organization) -> QuerySet[Invitation]:
    """Invitations whose acceptance would create an account in the organization's identity
    store: the whole tree when identifiers are unique across it, else the organization."""
    if organization.root_hierarchy_unique():
        return Invitation.objects.filter(organization__root_id=organization.root_id)
    return Invitation.objects.filter(organization=organization)


def check_invitee(organization: Organization, email: str) -> str:
    """Validate one address for an invitation to `organization` without writing anything:
    the normalized address, or ValidationError with code "invalid", "account_exists" (an
    account of the identity store has it, whatever the case) or "already_invited" (a valid
    pending invitation of the identity store has it)."""
    email = normalize_invitee_email(email)
    lowered = email.lower()
    store = organization.identity_store_id
    if (
        Account.objects.filter(store=store)
        .alias(email_lower=Lower("email"))
        .filter(email_lower=lowered)
        .exists()
    ):
        raise ValidationError(
            _("An account with this email address already exists in this organization."),
            code="account_exists",
        )
    if (
        _same_store_invitations(organization)
        .alias(email_lower=Lower("email"))
        .filter(email_lower=lowered, status=Invitation.Status.PENDING, expires__gt=timezone.now())
        .exists()
    ):
        raise ValidationError(
            _("This address already has a pending invitation. Resend it instead."),
            code="already_invited",
        )
    return email


def _supersede_outdated(actor: Actor, organization: Organization, email: str) -> list[Invitation]:
    """Expired pending invitations of the same address leave the pending state (one pending
    invitation per address and organization), as revoked, so a new one can be sent."""
    outdated: list[Invitation] = list(
        Invitation.objects.select_for_update()
        .alias(email_lower=Lower("email"))
        .filter(
            organization=organization,
            email_lower=email.lower(),
            status=Invitation.Status.PENDING,
            expires__lte=timezone.now(),
        )
    )
    for old in outdated:
        old.status = Invitation.Status.REVOKED
        old.token_hash = new_token()[1]
        old.save(update_fields=["status", "token_hash", "updated"])
    return outdated


@transaction.atomic
def issue_invitation(
    *,
    actor: Actor,
    organization: Organization,
    email: str,
    given_name: str = "",
    family_name: str = "",
    options: InvitationOptions,
    template: NotificationTemplate | None = None,
) -> tuple[Invitation, str]:
    """Create one invitation with options checked by invitation_options(), record
    `invitation.sent` and queue the email for after commit. Returns the invitation and its
    token (which is nowhere else: only its hash is stored). Raises ValidationError for the
    row (see check_invitee; also for names longer than 150 characters or holding invisible
    characters, by field)."""
    if options.organization.pk != organization.pk or options.actor_id != actor.account_id:
        raise ValueError("options were checked for another organization or actor")
    require(actor, "invitations.manage", organization)  # cached grants: no query
    email = check_invitee(organization, email)
    given_name, family_name = (given_name or "").strip(), (family_name or "").strip()
    if len(given_name) > 150 or len(family_name) > 150:
        raise ValidationError(_("A name has at most 150 characters."), code="invalid")
    # The names fill in the registration form and the email: no text-direction tricks.
    hidden = hidden_character_errors({"given_name": given_name, "family_name": family_name})
    if hidden:
        raise ValidationError(hidden)
    superseded = _supersede_outdated(actor, organization, email)

    token, token_hash = new_token()
    now = timezone.now()
    try:
        with transaction.atomic():
            invitation = Invitation.objects.create(
                organization=organization,
                email=email,
                given_name=given_name,
                family_name=family_name,
                application=options.application,
                token_hash=token_hash,
                status=Invitation.Status.PENDING,
                last_sent=now,
                expires=now + dt.timedelta(days=options.days),
                invited_by=actor.admin_account,
                locale=options.locale,
            )
    except IntegrityError:  # a concurrent request invited the same address first
        raise ValidationError(
            _("This address already has a pending invitation. Resend it instead."),
            code="already_invited",
        ) from None
    if options.groups:
        invitation.groups.set(options.groups)
    if options.roles:
        invitation.roles.set(options.roles)
    for old in superseded:
        record(
            "invitation.revoked",
            organization=organization,
            actor=actor,
            metadata={"invitation": str(old.pk), "superseded_by": str(invitation.pk)},
        )
    notification = queue_invitation_email(invitation, token, template=template, look=options.look)
    record(
        "invitation.sent",
        organization=organization,
        actor=actor,
        metadata={
            "invitation": str(invitation.pk),
            "email": email,
            "expires": invitation.expires.isoformat(),
            "groups": [str(g.pk) for g in options.groups],
            "roles": [r.slug for r in options.roles],
            "notification": notification.pk,
        },
    )
    return invitation, token


@transaction.atomic
def invite(
    *,
    actor: Actor,
    organization: Organization,
    email: str,
    given_name: str = "",
    family_name: str = "",
    groups: Iterable[Group] = (),
    roles: Iterable[OrgRole] = (),
    days: int | None = None,
    locale: str = "",
) -> Invitation:
    """Invite one address to register in `organization` (the portal's Invite customer)."""
    options = invitation_options(
        actor=actor, organization=organization, groups=groups, roles=roles, days=days, locale=locale
    )
    invitation, _token = issue_invitation(
        actor=actor,
        organization=organization,
        email=email,
        given_name=given_name,
        family_name=family_name,
        options=options,
    )
    return invitation


# ---- resend and revoke -------------------------------------------------------------------------


def _resend_key(invitation: Invitation) -> str:
    return f"invitation-resend:{invitation.pk}"


def _count_resend(key: str) -> None:
    # One atomic increment; the window starts at the first resend.
    counters().hit([key], RESEND_WINDOW_SECONDS)


def _check_resend_rate(invitation: Invitation, now: dt.datetime) -> None:
    since = (now - invitation.last_sent).total_seconds()
    if since < RESEND_COOLDOWN_SECONDS:
        wait = max(1, int(RESEND_COOLDOWN_SECONDS - since))
        raise ResendLimited(
            ngettext(
                "This invitation was just sent. You can resend it in %(seconds)d second.",
                "This invitation was just sent. You can resend it in %(seconds)d seconds.",
                wait,
            )
            % {"seconds": wait},
            wait,
        )
    key = _resend_key(invitation)
    if counters().get([key]).get(key, 0) >= RESEND_PER_HOUR:
        raise ResendLimited(
            ngettext(
                "This invitation was resent %(count)d time in the last hour. Try again later.",
                "This invitation was resent %(count)d times in the last hour. Try again later.",
                RESEND_PER_HOUR,
            )
            % {"count": RESEND_PER_HOUR},
            RESEND_WINDOW_SECONDS,
        )


@transaction.atomic
def resend_invitation(*, actor: Actor, invitation: Invitation) -> Invitation:
    """Send a pending invitation (valid or outdated) again with a new token: the old link stops
    working at once, Last sent is now and the expiry is renewed for the same number of days.
    Raises ResendLimited, ValidationError (not pending; the address has an account now)."""
    require(actor, "invitations.manage", invitation.organization)
    invitation = (
        Invitation.objects.select_for_update(of=("self",))
        .select_related("organization", "application")
        .get(pk=invitation.pk)
    )
    if invitation.status != Invitation.Status.PENDING:
        raise ValidationError(
            _("Only a pending invitation can be resent; this one was %(status)s.")
            % {"status": invitation.get_status_display().lower()},
            code="not_pending",
        )
    organization = invitation.organization
    if (
        Account.objects.filter(store=organization.identity_store_id)
        .alias(email_lower=Lower("email"))
        .filter(email_lower=invitation.email.lower())
        .exists()
    ):
        raise ValidationError(
            _("An account with this email address already exists in this organization."),
            code="account_exists",
        )
    now = timezone.now()
    _check_resend_rate(invitation, now)
    # The same validity as before (within today's limits), counted from now.
    days = round((invitation.expires - invitation.last_sent) / dt.timedelta(days=1))
    days = min(max(days, 1), max_days())
    token, invitation.token_hash = new_token()
    invitation.last_sent = now
    invitation.expires = now + dt.timedelta(days=days)
    invitation.save(update_fields=["token_hash", "last_sent", "expires", "updated"])
    notification = queue_invitation_email(invitation, token)
    record(
        "invitation.resent",
        organization=organization,
        actor=actor,
        metadata={
            "invitation": str(invitation.pk),
            "email": invitation.email,
            "expires": invitation.expires.isoformat(),
            "notification": notification.pk,
        },
    )
    key = _resend_key(invitation)
    transaction.on_commit(lambda: _count_resend(key))
    return invitation


@transaction.atomic
def revoke_invitation(*, actor: Actor, invitation: Invitation, reason: str = "") -> Invitation:
    """Delete a pending invitation: its link stops working at once. The row stays, revoked,
    for the audit trail. Raises ValidationError when it is accepted or revoked already."""
    require(actor, "invitations.manage", invitation.organization)
    invitation = Invitation.objects.select_for_update().get(pk=invitation.pk)
    if invitation.status != Invitation.Status.PENDING:
        raise ValidationError(
            _("Only a pending invitation can be deleted; this one was %(status)s.")
            % {"status": invitation.get_status_display().lower()},
            code="not_pending",
        )
    invitation.status = Invitation.Status.REVOKED
    invitation.token_hash = new_token()[1]  # the emailed token matches nothing any more
    invitation.save(update_fields=["status", "token_hash", "updated"])
    record(
        "invitation.revoked",
        organization=invitation.organization,
        actor=actor,
        metadata={
            "invitation": str(invitation.pk),
            "email": invitation.email,
            **reason_metadata(reason),
        },
    )
    return invitation


# ---- acceptance (customer side) ------------------------------------------------------------------


def recently_accepted(token: str) -> bool:
    """Whether the token's invitation was accepted moments ago (a double submission)."""
    if not well_formed(token):
        return False
    return Invitation.objects.filter(
        token_hash=hash_token(token),
        status=Invitation.Status.ACCEPTED,
        accepted_at__gte=timezone.now() - RECENT_ACCEPTANCE,
    ).exists()


@transaction.atomic
def accept_invitation(
    *,
    token: str,
    password: str | None,
    given_name: str = "",
    family_name: str = "",
    ip: str | None = None,
    passkey: dict[str, Any] | None = None,
) -> Account:
    """The invitee registers: an account of the invitation's organization with a verified
    email (following the emailed link proved the mailbox), the invited groups and roles. The
    invitation row is locked first, so two submissions create one account. Raises
    InvalidInvitation, ValidationError (password validators, names, the address taken).

    With `passkey` ({"response", "challenge", "account_id"}: a browser's registration
    response to options made for `account_id`) instead of a password, the account gets that
    passkey and no usable password; a refused passkey raises mfa.MfaError and nothing is
    created."""
    if (password is None) == (passkey is None):
        raise ValueError("accept_invitation needs a password or a passkey")
    if not well_formed(token):
        raise InvalidInvitation
    invitation = (
        Invitation.objects.select_for_update(of=("self",))
        .select_related("organization", "application")
        .filter(token_hash=hash_token(token))
        .first()
    )
    if (
        invitation is None
        or invitation.status != Invitation.Status.PENDING
        or invitation.expires <= timezone.now()
    ):
        raise InvalidInvitation
    organization = invitation.organization
    fields: dict[str, Any] = {
        "email": invitation.email,
        "email_verified": True,
        "given_name": (given_name or "").strip(),
        "family_name": (family_name or "").strip(),
        "locale": invitation.locale,
    }
    if password is not None:
        validate_password(password, user=Account(organization=organization, **fields))
    from orgdesk.accounts.actions import add_to_group, create_account

    try:
        account = create_account(
            actor=ACCEPTANCE,
            organization=organization,
            password=password,
            account_id=passkey["account_id"] if passkey else None,
            **fields,
        )
    except ValidationError as exc:
        if "email" in getattr(exc, "error_dict", {}):
            raise ValidationError(
                _(
                    "An account with this email address exists already. Sign in with it, or "
                    "ask for a password reset."
                ),
                code="account_exists",
            ) from None
        raise
    if passkey is not None:
        account.set_unusable_password()
        account.save(update_fields=["password"])
        security_actions.enrol_passkey(
            actor=Actor.customer(account),
            response=passkey["response"],
            challenge=passkey["challenge"],
        )
    joined, skipped = [], []
    for group in invitation.groups.select_related("organization"):
        try:
            add_to_group(actor=ACCEPTANCE, account=account, group=group)
        except ValidationError:  # the group moved out of reach since the invitation was sent
            skipped.append(str(group.pk))
        else:
            joined.append(str(group.pk))
    granted = []
    for role in invitation.roles.all():
        grant_role(actor=ACCEPTANCE, account=account, organization=organization, role=role)
        granted.append(role.slug)
    now = timezone.now()
    invitation.status = Invitation.Status.ACCEPTED
    invitation.accepted_account = account
    invitation.accepted_at = now
    invitation.save(update_fields=["status", "accepted_account", "accepted_at", "updated"])
    # The invitation emails belong to the new account's notification history from now on.
    Notification.objects.filter(
        account__isnull=True,
        organization=organization,
        template__code="invitation",
        target__iexact=invitation.email,
    ).update(account=account)
    metadata: dict[str, Any] = {
        "invitation": str(invitation.pk),
        "client_id": invitation.application.client_id,
        "groups": joined,
        "roles": granted,
    }
    if passkey is not None:
        metadata["sign_in_method"] = "passkey"
    if skipped:
        metadata["groups_skipped"] = skipped
    record(
        "invitation_accepted",
        account=account,
        actor=Actor.customer(account, ip=ip),
        ip=ip,
        metadata=metadata,
    )
    return account
