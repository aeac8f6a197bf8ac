"""Writes to identity verification results. Each records its Event in the same transaction."""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from orgdesk.access.actor import Actor
from orgdesk.access.protection import require_manage
from orgdesk.access.scoping import require
from orgdesk.accounts.models import Account
from orgdesk.activity.recorder import reason_metadata, record
from orgdesk.security.stepup import require_recent_auth
from orgdesk.verification.models import VerificationPolicy, VerificationResult
from orgdesk.verification.selectors import applicable_policies


@transaction.atomic
def verify_manually(
    *, actor: Actor, account: Account, policy: VerificationPolicy, reason: str = ""
) -> VerificationResult:
    """An admin vouches for the customer's identity under `policy`, one of the policies of
    the account's organization (or of an ancestor). Raising an account's assurance is as
    sensitive as granting a role: it needs the permission, a recent sign-in, and not oneself.
    A revoked result is verified again; an already valid one is left alone (ValidationError).
    """
    assert account.organization is not None, "a customer account belongs to an organization"
    require(actor, "identity.verify", account.organization)
    if actor.is_account(account):
        raise PermissionDenied(_("You cannot verify your own identity."))
    require_manage(actor, account)
    if not applicable_policies(account.organization).filter(pk=policy.pk).exists():
        raise ValidationError(
            _("This verification policy does not apply to the account's organization.")
        )
    require_recent_auth(actor)
    now = timezone.now()
    result = (
        VerificationResult.objects.select_for_update()
        .filter(account=account, policy=policy)
        .first()
    )
    previously_revoked = False
    if result is None:
        result = VerificationResult(account=account, policy=policy)
    elif result.verified and not result.revoked:
        raise ValidationError(
            _("This account is already verified under %(policy)s.") % {"policy": policy.name}
        )
    else:
        previously_revoked = result.revoked
    result.attempts += 1
    result.verified = True
    result.verified_at = now
    result.manual = True
    result.verified_by = actor.admin_account
    result.revoked = False
    result.revoked_at = None
    try:
        with transaction.atomic():
            result.save()
    except IntegrityError:
        # Another admin created the result at the same moment: theirs stands.
        raise ValidationError(
            _("This account is already verified under %(policy)s.") % {"policy": policy.name}
        ) from None
    metadata = {
        "policy": str(policy.pk),
        "policy_name": policy.name,
        "method": policy.method,
        **({"previously_revoked": True} if previously_revoked else {}),
        **reason_metadata(reason),
    }
    record("identity.verified", account=account, actor=actor, metadata=metadata)
    return result
