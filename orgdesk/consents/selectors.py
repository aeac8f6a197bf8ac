"""Reads of consent records that screens need."""

from django.db.models import QuerySet

from orgdesk.access.actor import Actor
from orgdesk.access.scoping import restrict
from orgdesk.accounts.models import Account
from orgdesk.consents.models import ConsentRecord


def consents_shown(actor: Actor, account: Account) -> QuerySet[ConsentRecord]:
    """The account's consent records (granted and revoked) the actor may see, with their
    policy."""
    return restrict(actor, "consents.view", ConsentRecord.objects.select_related("policy")).filter(
        account=account
    )
