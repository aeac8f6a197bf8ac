"""The console's Activity section: the brand-wide audit log (activity/audit.py) through the
shared list page, and one event with everything recorded about it."""

import json

from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.urls import reverse

from orgdesk.activity.audit import AUDIT, audit_event
from orgdesk.activity.events import label_of
from orgdesk.console.access import console_view
from orgdesk.console.shell import console_context
from orgdesk.lists import ListResult
from orgdesk.portal.shell import preferences
from orgdesk.security.middleware import AdminRequest
from orgdesk.ui.lists import list_page


@console_view
def activity_list(request: AdminRequest) -> HttpResponse:
    def labels(result: ListResult) -> None:
        for event in result.page.rows:
            event.label = label_of(event.type)

    return list_page(
        request,
        AUDIT,
        within=None,
        here=reverse("console:activity"),
        pref=preferences(request.user),
        surroundings=console_context(request, "activity"),
        templates="console/activity",
        rows=labels,
    )


@console_view
def activity_detail(request: AdminRequest, pk: str) -> HttpResponse:
    event = audit_event(request.actor, pk)
    if event is None:
        raise Http404("No such event.")
    return render(
        request,
        "console/activity/detail.html",
        {
            **console_context(request, "activity"),
            "event": event,
            "label": label_of(event.type),
            # shown as text in a <pre>: escaped by the template like any other value
            "metadata": json.dumps(event.metadata, indent=2, ensure_ascii=False, sort_keys=True),
        },
    )
