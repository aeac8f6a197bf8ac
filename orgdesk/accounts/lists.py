"""The accounts list, as the list use-case runs it (orgdesk/lists.py)."""

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from orgdesk.accounts.filters import AccountFilter, SearchText, parse_search, search, search_keys
from orgdesk.accounts.models import Account
from orgdesk.core.listing import Ordering
from orgdesk.lists import ListSpec, Search, orderings
from orgdesk.organizations.models import Organization


def _notes(wanted: SearchText) -> list[str]:
    if wanted.too_short:
        return [_("Text anywhere in a name needs at least 3 characters; searched as a beginning.")]
    return []


def _tree(organization: Organization) -> bool:
    # Across descendants only where identifiers are unique in the tree: otherwise two
    # accounts in different organizations could not be told apart by what the list shows.
    return organization.root_hierarchy_unique()


# What a row shows and what its menu and cursor need (portal/account_rows.py, the sort
# columns, access/protection.py): reading every column, the custom-attributes JSON and the
# address among them, was most of the row query's time and transfer.
ROW_COLUMNS = (
    "id",
    "display_name",
    "given_name",
    "family_name",
    "sort_name",
    "email",
    "email_verified",
    "username",
    "phone",
    "phone_verified",
    "status",
    "last_login",
    "created",
    "is_staff",
    "organization__id",
    "organization__name",
    "organization__route",
)

ACCOUNTS = ListSpec(
    name="accounts",
    permission="accounts.view",
    rows=lambda: Account.objects.select_related("organization").only(*ROW_COLUMNS),
    filterset=AccountFilter,
    orderings=orderings(
        # the default: most recent sign-in first, never-used accounts last
        Ordering("-last_login", "last_login", nullable=True),
        Ordering("name", "sort_name", descending=False),
        # grouped by organization, by name within each
        Ordering(
            "organization",
            "organization__name",
            descending=False,
            then=("organization_id", "sort_name"),
            partition="organization",
        ),
        Ordering("status", "status", descending=False, then=("sort_name",)),
        Ordering("-created", "created"),
    ),
    tree=_tree,
    search=Search(parse=parse_search, apply=search, keys=search_keys, notes=_notes),
    prefetch=("identities",),
    one_off=frozenset({"account_id"}),
    unknown_order=gettext_lazy("Unknown sort order; sorted by last login."),
)
