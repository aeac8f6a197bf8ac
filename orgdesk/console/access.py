"""Who may open the Admin Console: brand admins, signed in with the portal's sign-in (same
session, MFA, step-up, idle and absolute timeouts: security/middleware.py). Anyone else gets
the 404 a missing page gets, so the console does not tell organization admins or customers
that it exists."""

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from django.http import Http404, HttpRequest, HttpResponseBase

from orgdesk.portal.views import portal_login_required

_View = TypeVar("_View", bound=Callable[..., HttpResponseBase])


def console_view(view: _View) -> _View:
    """A console page: sign-in first (then back here), brand admins only, 404 otherwise."""

    @wraps(view)
    def wrapper(request: HttpRequest, /, *args: Any, **kwargs: Any) -> HttpResponseBase:
        actor = getattr(request, "actor", None)
        if actor is None or not actor.is_brand:
            raise Http404("No such page.")
        return view(request, *args, **kwargs)

    return portal_login_required(wrapper)  # type: ignore[return-value]
