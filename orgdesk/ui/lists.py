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
from dataclasses import dataclass
from typing import Any, Protocol
from urllib.parse import urlencode

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext as _

from orgdesk.access.scoping import require
from orgdesk.core.listing import COUNT_LIMIT
from orgdesk.lists import ListResult, ListSpec, count_list, run_list
from orgdesk.organizations.models import Organization
from orgdesk.security.middleware import AdminRequest

PAGE_SIZES = (10, 25, 50, 100)


@dataclass(frozen=True)
class SortHeader:
    """A sortable column's header: where clicking it goes, and its aria-sort state."""

    url: str
    state: str  # "ascending", "descending" or "none"


def sort_headers(spec: ListSpec, result: ListResult, here: str) -> dict[str, SortHeader]:
    """One header per sortable column, by column name (the order key without "-"). Clicking
    the column sorted now turns it round; another column starts in its first direction (the
    one its spec names first), and the default order is the bare address."""
    current = spec.orderings[result.order]
    headers: dict[str, SortHeader] = {}
    for key in spec.orderings:
        column = key.lstrip("-")
        if column in headers:
            continue
        pair = [k for k in spec.orderings if k.lstrip("-") == column]
        target = pair[0]
        state = "none"
        if result.order in pair:
            state = "descending" if current.descending else "ascending"
            target = next((k for k in pair if k != result.order), result.order)
        # Always named, the default too: a bare address means "my remembered view".
        view = {**result.applied, "order": target}
        headers[column] = SortHeader(f"{here}?{urlencode(sorted(view.items()))}", state)
    return headers


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
    if request.GET.get("count") == "exact":
        counted = count_list(spec, request.actor, request.GET, within=within)
        return render(request, "ui/_exact_count.html", {"counted": counted, "limit": COUNT_LIMIT})
    key = view_key(spec, within)
    back_to_saved = saved_view_redirect(request, pref, key, here)
    if back_to_saved is not None:
        return back_to_saved

    problems: list[str] = []
    size = page_size(request.GET, pref, problems)
    result = run_list(spec, request.actor, request.GET, within=within, size=size, problems=problems)
    narrowed = bool(result.filterset.active or result.q)
    if _restored(request, key) and (result.problems or (narrowed and not result.page.rows)):
        # The remembered view no longer applies (a group deleted, every match gone): rather
        # than open on an empty or corrected list, forget it and show the whole list.
        forget_view(pref, key)
        messages.info(
            request, _("The filters you last used here no longer apply, so they were cleared.")
        )
        return redirect(here)
    if rows is not None:
        rows(result)
    # A view with problems is shown (minus what was wrong) but not remembered; nor is a
    # one-off jump to a single row (the account just created, a pasted account ID).
    if not result.problems and not (spec.one_off & result.applied.keys()):
        remember_view(pref, key, result.applied)

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
        "default_order": spec.default_order,
        "sorts": sort_headers(spec, result, here),
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


REMEMBERED_VIEWS = 50  # per admin: the most recently used are kept
RESTORED = "orgdesk.ui.restored_view"


def view_key(spec: ListSpec, within: Organization | None) -> str:
    """Where a view is remembered: per list and organization (a filter chosen in one
    organization means nothing in another)."""
    return f"{spec.name}@{within.pk}" if within is not None else spec.name


def saved_view_redirect(
    request: HttpRequest, pref: Preferences, key: str, here: str
) -> HttpResponse | None:
    """`?clear` forgets the remembered view; a bare list URL goes to the remembered one
    (marked in the session, so the list can tell a view it restored from one asked for)."""
    if "clear" in request.GET:
        forget_view(pref, key)
        return redirect(here)
    saved = pref.filters.get(key)
    if not request.GET and saved:
        request.session[RESTORED] = f"{key}?{saved}"
        return redirect(f"{here}?{saved}")
    return None


def _restored(request: HttpRequest, key: str) -> bool:
    """Whether this request is the remembered view `saved_view_redirect` just sent to."""
    marker = request.session.get(RESTORED)
    if marker is None or not marker.startswith(f"{key}?"):
        return False
    del request.session[RESTORED]
    wanted = QueryDict(marker.partition("?")[2])
    return sorted(wanted.lists()) == sorted(request.GET.lists())


def forget_view(pref: Preferences, key: str) -> None:
    if pref.filters.pop(key, None) is not None:
        pref.save(update_fields=["filters", "updated"])


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
    if encoded == (pref.filters.get(key) or ""):
        return
    pref.filters.pop(key, None)
    if encoded:
        pref.filters[key] = encoded  # last in the dict: the most recently used
        for stale in list(pref.filters)[:-REMEMBERED_VIEWS]:
            del pref.filters[stale]
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
