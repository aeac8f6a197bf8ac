"""The organizations list, as the list use-case runs it (orgdesk/lists.py): in tree order (by
route, so each organization comes right after its parent), or by name or creation."""

from orgdesk.core.listing import Ordering
from orgdesk.lists import ListSpec, Search, orderings
from orgdesk.organizations.filters import OrganizationFilter, parse_search, search
from orgdesk.organizations.models import Organization

ORGANIZATIONS = ListSpec(
    name="organizations",
    # What a row shows is the organization itself: whoever may see its accounts sees it.
    permission="accounts.view",
    rows=lambda: Organization.objects.select_related("application", "parent"),
    filterset=OrganizationFilter,
    orderings=orderings(
        Ordering("route", "route", descending=False),
        Ordering("name", "name", descending=False),
        Ordering("-created", "created"),
    ),
    search=Search(parse=parse_search, apply=search),
)
