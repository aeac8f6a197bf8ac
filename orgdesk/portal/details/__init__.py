"""The Account details page: one URL per tab, `/portal/<org>/accounts/<id>/<tab>` (DESIGN §7).

Each tab is a module of this package declaring a `TAB` (slug, label, the permission it needs,
its template and a function building its context) and the `urlpatterns` of its actions. The
page renders the account header, the tabs the admin may see and the selected tab; an htmx
request for a tab gets only the tab body, so switching tabs and refreshing swap one region
while the address bar keeps a deep link.
"""

from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property
from typing import Any
from urllib.parse import urlencode

from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.cache import patch_vary_headers

from orgdesk.access.protection import Standing
from orgdesk.access.protection import standing as standing_of
from orgdesk.access.scoping import access_account, authority
from orgdesk.accounts.models import Account
from orgdesk.core.listing import BadCursor, Ordering, Page, paginate
from orgdesk.organizations.models import Organization
from orgdesk.portal.shell import current_organization, shell_context
from orgdesk.portal.views import portal_login_required
from orgdesk.security.middleware import AdminRequest
from orgdesk.ui.tabs import Tab

TAB_PAGE_SIZE = 25


@dataclass
class Detail:
    """What every tab and tab action works with: the organization in view, the account (in
    the admin's reach and under that organization) and the permissions held on it.

    `standing` and `perms` are read when first asked for: a tab needs them to decide what it
    shows, a tab action does not (the action checks the standing itself), and reading the
    account's grants twice was a statement of every action's request."""

    request: AdminRequest
    organization: Organization
    account: Account

    @cached_property
    def standing(self) -> Standing:
        """Read-only or locked sign-in, and why (access/protection.py)."""
        return standing_of(self.request.actor, self.account)

    @cached_property
    def perms(self) -> frozenset[str]:
        """Held on the account's organization and usable on this account."""
        return self.standing.allowed(authority(self.request.actor).permissions_in(self.home))

    def can(self, permission: str) -> bool:
        return permission in self.perms

    @property
    def home(self) -> Organization:
        """The account's own organization (detail_for() found it under the one in view)."""
        home = self.account.organization
        assert home is not None, "detail_for() admits only accounts of an organization"
        return home

    def tab_url(self, slug: str, **query: str) -> str:
        url = reverse("portal:account_tab", args=[self.organization.key, self.account.pk, slug])
        query = {k: v for k, v in query.items() if v}
        return f"{url}?{urlencode(query)}" if query else url

    def page(
        self, qs: Any, ordering: Ordering, *, tab: str, size: int = TAB_PAGE_SIZE
    ) -> dict[str, Any]:
        """A keyset page of `qs` for a tab table, with its previous/next links and any problem
        with the cursor in the URL (a stale or tampered link shows the first page)."""
        cursor = self.request.GET.get("cursor") or None
        problems: list[str] = []
        try:
            page = paginate(qs, ordering, size=size, cursor=cursor)
        except BadCursor:
            from django.utils.translation import gettext as _

            problems.append(_("That page link is no longer valid; showing the first page."))
            page = paginate(qs, ordering, size=size)
        keep = {k: v for k, v in self.request.GET.dict().items() if k != "cursor"}
        return {
            "page": page,
            "problems": problems,
            "next_url": self.tab_url(tab, **keep, cursor=page.next_cursor)
            if page.next_cursor
            else "",
            "prev_url": self.tab_url(tab, **keep, cursor=page.prev_cursor)
            if page.prev_cursor
            else "",
        }


def act(
    detail: Detail,
    tab: str,
    action: Callable[[], Any],
    success: str | Callable[[Any], str],
) -> HttpResponse:
    """Run a tab action and come back to the tab (post/redirect/get) with the outcome as a
    toast. A stale step-up sends the admin to confirm their identity first and back to the
    tab; a refusal (no escalation, protected role) or a validation error is shown, nothing
    is written (actions are atomic)."""
    from django.contrib import messages
    from django.core.exceptions import PermissionDenied, ValidationError
    from django.utils.translation import gettext as _

    from orgdesk.access.actions import GrantError
    from orgdesk.security.stepup import StepUpRequired

    request = detail.request
    back = detail.tab_url(tab)
    try:
        result = action()
    except StepUpRequired:
        messages.info(request, _("Confirm your identity, then repeat the action."))
        return redirect(f"{reverse('portal:step_up')}?{urlencode({'next': back})}")
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
    except GrantError as exc:  # a grant that makes no sense whoever asks
        messages.error(request, str(exc))
    except PermissionDenied as exc:
        messages.error(request, str(exc) or _("You may not do that."))
    else:
        messages.success(request, success(result) if callable(success) else success)
    return redirect(back)


def detail_for(request: AdminRequest, org: str, pk: Any, permission: str) -> Detail:
    """The account `pk` seen from organization `org`, or 404: missing, out of the admin's
    reach, or outside that organization's subtree all look the same."""
    organization = current_organization(request, org)
    account = access_account(request.actor, pk, permission)
    if account.organization is None or not account.organization.path.startswith(organization.path):
        raise Http404("No such account.")
    return Detail(request, organization, account)


def tabs() -> list[Tab[AdminRequest, Detail]]:
    from orgdesk.portal.details import registry

    return registry.PAGE.tabs


def tab_by_slug(slug: str) -> Tab[AdminRequest, Detail]:
    from orgdesk.portal.details import registry

    return registry.PAGE.get(slug)


@portal_login_required
def account_detail(request: AdminRequest, org: str, pk: Any, tab: str = "overview") -> HttpResponse:
    selected = tab_by_slug(tab)
    detail = detail_for(request, org, pk, "accounts.view")
    from orgdesk.portal.details import registry

    visible = registry.PAGE.visible(detail.perms)
    if selected not in visible:
        # A tab the admin may not open is not shown; its address leads to the first one.
        return redirect(detail.tab_url(visible[0].slug))
    built = selected.context(request, detail)
    if isinstance(built, HttpResponse):
        return built
    context = {
        **shell_context(request, detail.organization, "accounts"),
        **built,
        "detail": detail,
        "account": detail.account,
        "perms": detail.perms,
        "tabs": visible,
        "current_tab": selected,
        "tab_url": detail.tab_url(selected.slug),
        "list_url": reverse("portal:accounts", args=[detail.organization.key]),
    }
    if request.htmx and not request.htmx.history_restore_request:
        response = render(request, "portal/account/_body.html", context)
    else:
        response = render(request, "portal/account/detail.html", context)
    patch_vary_headers(response, ["HX-Request"])
    return response


__all__ = ["Detail", "Page", "Tab", "account_detail", "detail_for", "tabs"]
