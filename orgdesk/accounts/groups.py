"""Which groups an account may join: those of its own organization or of an organization above
it. A group elsewhere in the tree would reach across branches. The one rule, used by the
membership action and by every screen or file that offers groups (Groups tab, invitations,
bulk invitations)."""

from django.db.models import QuerySet

from orgdesk.accounts.models import Group
from orgdesk.organizations.models import Organization, lineage_paths


def groups_open_to(organization: Organization) -> QuerySet[Group]:
    """The groups an account of `organization` may join (before what the admin may manage)."""
    return Group.objects.filter(organization__path__in=lineage_paths(organization.path))


def may_join(organization: Organization | None, group: Group) -> bool:
    """Whether an account of `organization` may join `group`."""
    return organization is not None and organization.path.startswith(group.organization.path)
