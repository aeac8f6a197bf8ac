"""What every list screen does around the list use-case (orgdesk/lists.py), in the portal
and the console alike: items per page remembered per admin, the last-used filters remembered
per admin and view (a bare list URL redirects to them, `?clear` forgets them), and one URL
serving the whole page or, to htmx, the results fragment with the canonical address pushed
into the history. `list_page` is all of it; a screen hands in where the list is (`within`:
an organization, or None for everything the actor may see), its URL, the admin's
preferences and the surrounding context (the portal's shell, the console's own).

A screen's list is then a handful of lines:

    def organizations_list(request):
        return list_page(request, ORGANIZATIONS, within=None, here=request.path,
                         pref=preferences(request.user), surroundings=console_context(request),
                         templates="console/organizations")
"""

from collections.abc import Callable
from typing import Any, Protocol
from urllib.parse import urlencode

from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext as _

from orgdesk.access.scoping import require
from orgdesk.lists import ListResult, ListSpec, run_list
from orgdesk.organizations.models import Organization
from orgdesk.security.middleware import AdminRequest

PAGE_SIZES = (10, 25, 50, 100)


class Preferences(Protocol):
    """Where an admin's list settings are kept (portal.models.AdminPreference)."""

    page_size: int
    filters: dict[str, str]

    def save(self, *, update_fields: list[str]) -> None: ...


def list_page(
    request: AdminRequest,
    spec: ListSpec,
    *,
    within: Organization | None,
    here: str,
    pref: Preferences,
    surroundings: dict[str, Any],
    templates: str,
    rows: Callable[[ListResult], None] | None = None,
    extra: Callable[[ListResult, str], dict[str, Any]] | None = None,
) -> HttpResponse:
    """The list `spec` at `here`: `templates` is the folder holding its list.html (the page)
    and _results.html (the fragment); `rows` prepares the page's rows for the template,
    `extra` adds to the context (given the result and `here`)."""
    if within is not None:
        require(request.actor, spec.permission, within)
    back_to_saved = saved_view_redirect(request, pref, spec.name, here)
    if back_to_saved is not None:
        return back_to_saved

    problems: list[str] = []
    size = page_size(request.GET, pref, problems)
    result = run_list(spec, request.actor, request.GET, within=within, size=size, problems=problems)
    if rows is not None:
        rows(result)
    # A view with problems is shown (minus what was wrong) but not remembered; nor is the
    # one-off view of an account just created.
    if not result.problems and "just_created" not in request.GET:
        remember_view(pref, spec.name, result.applied)

    def page_url(cursor: str) -> str:
        return result.url(here, cursor=cursor)

    page = result.page
    context = {
        **surroundings,
        "result": result,
        "page": page,
        "filterset": result.filterset,
        "q": result.q,
        "scope": result.scope,
        "tree_scope": result.tree_scope,
        "order": result.order,
        "size": size,
        "page_sizes": PAGE_SIZES,
        "problems": result.problems,
        "active_filters": result.filterset.active,
        "view_query": result.query,
        "base_url": here,
        # Row links are this prefix plus the row's id: reversing URLs on each of 100 rows was
        # a visible part of the page time (the tests check that the links resolve).
        "row_base": f"{here}/",
        "next_url": page_url(page.next_cursor) if page.next_cursor else "",
        "prev_url": page_url(page.prev_cursor) if page.prev_cursor else "",
    }
    if extra is not None:
        context.update(extra(result, here))
    return list_response(
        request,
        context,
        page_template=f"{templates}/list.html",
        fragment_template=f"{templates}/_results.html",
        here=here,
        view_query=result.query,
        page_url=page_url,
        has_rows=bool(page.rows),
    )


def saved_view_redirect(
    request: HttpRequest, pref: Preferences, key: str, here: str
) -> HttpResponse | None:
    """`?clear` forgets the remembered view; a bare list URL goes to the remembered one."""
    if "clear" in request.GET:
        pref.filters.pop(key, None)
        pref.save(update_fields=["filters", "updated"])
        return redirect(here)
    saved = pref.filters.get(key)
    if not request.GET and saved:
        return redirect(f"{here}?{saved}")
    return None


def page_size(params: QueryDict, pref: Preferences, problems: list[str]) -> int:
    """Items per page from `size` (remembered when it changes), else the admin's own."""
    size = pref.page_size
    if "size" in params:
        try:
            size = int(params.get("size", ""))
        except ValueError:
            size = 0
        if size not in PAGE_SIZES:
            problems.append(_("Items per page must be 10, 25, 50 or 100."))
            size = pref.page_size
        elif size != pref.page_size:
            pref.page_size = size
            pref.save(update_fields=["page_size", "updated"])
    return size


def remember_view(pref: Preferences, key: str, applied: dict[str, str]) -> None:
    """Keep `applied` (the filters the page shows) as the admin's last view of `key`."""
    encoded = urlencode(sorted(applied.items()))
    if encoded != (pref.filters.get(key) or ""):
        if encoded:
            pref.filters[key] = encoded
        else:
            pref.filters.pop(key, None)
        pref.save(update_fields=["filters", "updated"])


def list_response(
    request: AdminRequest,
    context: dict[str, Any],
    *,
    page_template: str,
    fragment_template: str,
    here: str,
    view_query: str,
    page_url: Callable[[str], str],
    has_rows: bool,
) -> HttpResponse:
    """The whole page, or to htmx the results fragment with the canonical URL pushed."""
    # A history restore that missed htmx's cache needs the whole page, not the fragment.
    if request.htmx and not request.htmx.history_restore_request:
        response = render(request, fragment_template, context)
        # The address bar shows the canonical view, not every empty form field.
        cursor = request.GET.get("cursor") if has_rows and request.GET.get("cursor") else None
        canonical = page_url(cursor) if cursor else (f"{here}?{view_query}" if view_query else here)
        current = _current_path(request)
        response["HX-Replace-Url" if current == canonical else "HX-Push-Url"] = canonical
    else:
        response = render(request, page_template, context)
    # Fragment and page share a URL: caches (and the back button) must tell them apart.
    patch_vary_headers(response, ["HX-Request"])
    return response


def _current_path(request: AdminRequest) -> str:
    """The path (and query) of the page htmx sent the request from, or "" when unknown.

    HX-Current-URL is whatever the client sent: a value urlsplit cannot read (`http://[bad`
    raises ValueError) or one of another site means only that the address is not this one."""
    try:
        return request.htmx.current_url_abs_path or ""
    except ValueError:
        return ""
