"""Tabbed detail pages: a page is a `TabSet` of `Tab`s, each declared by its own module (its
slug, label, the permission it needs, its template, a function building its context, and the
urlpatterns of its actions). The portal's Account details page is one (portal/details/); a
console page of an organization or a role is declared the same way."""

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from types import ModuleType
from typing import Any, Generic, TypeVar

from django.http import Http404, HttpRequest, HttpResponse
from django.utils.functional import Promise

# The request a page's tabs are built from (the portal's: security.middleware.AdminRequest)
# and the page's subject, what the tabs are about (portal.details.Detail for an account).
RequestT = TypeVar("RequestT", bound=HttpRequest)
SubjectT = TypeVar("SubjectT")


@dataclass(frozen=True)
class Tab(Generic[RequestT, SubjectT]):
    slug: str
    label: Promise | str
    permission: str
    template: str
    # Builds the tab's context from the request and the page's subject; may answer a
    # response instead.
    context: Callable[[RequestT, SubjectT], dict[str, Any] | HttpResponse]


class TabSet(Generic[RequestT, SubjectT]):
    """The tabs of one page, in their order, from the modules declaring them (each with a
    `TAB` and `urlpatterns`)."""

    def __init__(self, modules: Sequence[ModuleType]) -> None:
        self.modules = list(modules)
        self.tabs: list[Tab[RequestT, SubjectT]] = [module.TAB for module in self.modules]
        self.urlpatterns: list[Any] = [p for module in self.modules for p in module.urlpatterns]

    def get(self, slug: str) -> Tab[RequestT, SubjectT]:
        for tab in self.tabs:
            if tab.slug == slug:
                return tab
        raise Http404("No such tab.")

    def visible(self, held: Iterable[str]) -> list[Tab[RequestT, SubjectT]]:
        """The tabs someone holding the permissions `held` may open, in order."""
        held = set(held)
        return [tab for tab in self.tabs if tab.permission in held]
