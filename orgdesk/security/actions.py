"""Writes to sessions and authenticators, by admins on behalf of customers and by admins on
their own sign-in methods."""

from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone

from orgdesk.activity.recorder import reason_metadata, record
from orgdesk.core.scoping import require
from orgdesk.security.models import Authenticator, CustomerSession, SecurityPolicy
from orgdesk.security.stepup import require_recent_auth


@transaction.atomic
def clear_sessions(*, actor: Any, account: Any, reason: str = "") -> int:
    """Sign the customer out everywhere; the account and its credentials stay as they are."""
    require(actor, "sessions.clear", account.organization)
    require_recent_auth(actor)
    cleared = CustomerSession.objects.filter(account=account, revoked_at__isnull=True).update(
        revoked_at=timezone.now()
    )
    meta = {"sessions": cleared, **reason_metadata(reason)}
    record("sessions.cleared", account=account, actor=actor, metadata=meta)
    return cleared


@transaction.atomic
def remove_authenticator(*, actor: Any, authenticator: Authenticator, reason: str = "") -> None:
    account = authenticator.account
    if actor is not None and actor.pk == account.pk:
        raise PermissionDenied("Manage your own sign-in methods on your security page.")
    require(actor, "authenticators.manage", account.organization)
    require_recent_auth(actor)
    meta = {
        "type": authenticator.type,
        "authenticator": str(authenticator.pk),
        **reason_metadata(reason),
    }
    authenticator.delete()
    record("authenticator.removed", account=account, actor=actor, metadata=meta)


@transaction.atomic
def update_security_policy(*, actor: Any, require_admin_mfa: bool | None = None) -> SecurityPolicy:
    """Brand-wide settings (brand admins and scripts only)."""
    if actor is not None and not actor.is_staff:
        raise PermissionDenied("Only brand admins change the security policy.")
    policy = SecurityPolicy.objects.select_for_update().get(pk=SecurityPolicy.current().pk)
    if require_admin_mfa is not None and policy.require_admin_mfa != require_admin_mfa:
        policy.require_admin_mfa = require_admin_mfa
        policy.save()
        record("policy.updated", actor=actor, metadata={"require_admin_mfa": require_admin_mfa})
    return policy
