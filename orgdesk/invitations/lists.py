"""The invitations list, as the list use-case runs it (orgdesk/lists.py): an organization's
own invitations (not those of the organizations below it), newest sent first."""

from orgdesk.core.listing import Ordering
from orgdesk.invitations.filters import InvitationFilter
from orgdesk.invitations.models import Invitation
from orgdesk.lists import ListSpec

INVITATIONS = ListSpec(
    name="invitations",
    permission="invitations.view",
    rows=lambda: Invitation.objects.select_related("application"),
    filterset=InvitationFilter,
    orderings={"last_sent": Ordering("last_sent", "last_sent")},
)
