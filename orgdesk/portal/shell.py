"""What every portal page around a tab needs: the current organization, the selector, the
admin's preferences, and permission flags for the current organization."""

from typing import Any

from django.http import Http404

from orgdesk.access.scoping import authority
from orgdesk.branding.resolve import resolve
from orgdesk.organizations.models import Organization
from orgdesk.organizations.selectors import organization_by_key, organizations_by_id
from orgdesk.portal.models import AdminPreference
from orgdesk.security.middleware import AdminRequest
from orgdesk.ui.lists import PAGE_SIZES

MAX_FAVORITES = 20


def preferences(account: Any) -> AdminPreference:
    cached = getattr(account, "_orgdesk_preference", None)
    if cached is None:
        cached, _ = AdminPreference.objects.get_or_create(account=account)
        account._orgdesk_preference = cached
    return cached


def current_organization(request: AdminRequest, key: str) -> Organization:
    """The organization in the URL, or 404 when missing or out of the admin's reach."""
    organization = organization_by_key(key)
    if organization is None or not authority(request.actor).permissions_in(organization):
        raise Http404("No such organization.")
    return organization


def landing_organization(request: AdminRequest) -> Organization | None:
    """Where the portal opens: the admin's first favorite still in reach, else their first
    organization (None: they hold no grant)."""
    auth = authority(request.actor)
    favorite_ids = [str(f) for f in preferences(request.user).favorites]
    by_id = organizations_by_id(favorite_ids)
    for favorite in favorite_ids:
        organization = by_id.get(favorite)
        if organization is not None and auth.permissions_in(organization):
            return organization
    entries = auth.organizations()
    return entries[0][0] if entries else None


def shell_context(request: AdminRequest, organization: Organization, tab: str) -> dict[str, Any]:
    auth = authority(request.actor)
    pref = preferences(request.user)
    held = auth.permissions_in(organization)
    grant_orgs = [org for org, _perms in auth.organizations()]
    favorite_ids = [str(f) for f in pref.favorites]
    by_id = organizations_by_id(favorite_ids)
    favorites = [by_id[f] for f in favorite_ids if f in by_id and auth.permissions_in(by_id[f])]
    return {
        "organization": organization,
        "tab": tab,
        "perms": held,
        "grant_orgs": grant_orgs,
        "favorites": favorites,
        "is_favorite": str(organization.id) in favorite_ids,
        "pref": pref,
        "page_sizes": PAGE_SIZES,
        "is_brand": auth.is_brand,
        # the organization's resolved branding (policy, then the nearest override)
        "branding": resolve(organization).surface("portal"),
    }
