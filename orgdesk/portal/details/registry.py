"""The tabs of the Account details page, in the order the spec lists them."""

from orgdesk.portal.details import (
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

MODULES = [
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
TABS = [module.TAB for module in MODULES]

# Each tab module's actions, mounted under /portal/<org>/accounts/<id>/.
urlpatterns = [pattern for module in MODULES for pattern in module.urlpatterns]
