"""What every console page needs around its content: the section, the admin's preferences
(theme, page size, remembered list views: the portal's, one record per admin)."""

from typing import Any

from orgdesk.portal.shell import preferences
from orgdesk.security.middleware import AdminRequest
from orgdesk.ui.lists import PAGE_SIZES

# The console's sections, in the sidebar's order: (section, URL name, label). Only sections
# that are built are listed: nothing in the sidebar leads nowhere.
SECTIONS = ("home", "organizations", "activity")


def console_context(request: AdminRequest, section: str) -> dict[str, Any]:
    return {
        "section": section,
        "pref": preferences(request.user),
        "page_sizes": PAGE_SIZES,
    }
