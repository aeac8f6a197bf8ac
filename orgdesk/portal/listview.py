"""The portal's list tabs: the shared list page (ui/lists.py) inside the portal's shell."""

from collections.abc import Callable
from typing import Any

from django.http import HttpResponse
from django.urls import reverse

from orgdesk.lists import ListResult, ListSpec
from orgdesk.organizations.models import Organization
from orgdesk.portal.shell import preferences, shell_context
from orgdesk.security.middleware import AdminRequest
from orgdesk.ui.lists import list_page as shared_list_page


def list_page(
    request: AdminRequest,
    spec: ListSpec,
    organization: Organization,
    *,
    templates: str,
    rows: Callable[[ListResult], None] | None = None,
    extra: Callable[[ListResult, str], dict[str, Any]] | None = None,
) -> HttpResponse:
    """The tab `spec.name` of `organization` (its URL is named `portal:<spec.name>`)."""
    return shared_list_page(
        request,
        spec,
        within=organization,
        here=reverse(f"portal:{spec.name}", args=[organization.key]),
        pref=preferences(request.user),
        surroundings=shell_context(request, organization, spec.name),
        templates=templates,
        rows=rows,
        extra=extra,
    )
