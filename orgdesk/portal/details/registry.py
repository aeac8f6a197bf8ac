"""The tabs of the Account details page, in the order the spec lists them."""

from orgdesk.portal.details import (
    Detail,
    activity,
    authenticators,
    consents,
    groups,
    notifications,
    overview,
    roles,
    sessions,
    verification,
)
from orgdesk.security.middleware import AdminRequest
from orgdesk.ui.tabs import TabSet

PAGE: TabSet[AdminRequest, Detail] = TabSet(
    [
        overview,
        activity,
        notifications,
        groups,
        roles,
        authenticators,
        sessions,
        verification,
        consents,
    ]
)
TABS = PAGE.tabs

# Each tab module's actions, mounted under /portal/<org>/accounts/<id>/.
urlpatterns = PAGE.urlpatterns
