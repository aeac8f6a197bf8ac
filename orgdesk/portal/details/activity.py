"""Activity tab: the account's high-level events (date, event type, result), newest first,
filtered by a date range and an event label kept in the URL.

Events come from orgdesk.activity.visible: only the public columns are read, and the page's
rows are projected to PublicEvent before the template sees them, so the actor, the IP address,
the reason code and the metadata cannot reach an organization admin.
"""

import datetime as dt
from typing import TYPE_CHECKING, Any

from django import forms
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from orgdesk.activity.events import account_event_choices
from orgdesk.activity.models import Event
from orgdesk.activity.visible import account_events, public
from orgdesk.core.formfields import LocalDateField
from orgdesk.core.listing import Ordering
from orgdesk.portal.details import Detail, Tab
from orgdesk.security.middleware import AdminRequest

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

ORDERING = Ordering("ts", "ts")
# Far enough apart for any real log, near enough that a day's bounds stay valid datetimes in
# every time zone (year 1 or 9999 would overflow when converted).
FIRST_DAY = dt.date(1900, 1, 1)
LAST_DAY = dt.date(9998, 12, 31)
FILTER_FIELDS = ("date_from", "date_to", "event")


def _day_field(label: "StrOrPromise") -> forms.DateField:
    # Written in the admin's language's format, ISO accepted too (core.formfields).
    return LocalDateField(
        label=label,
        required=False,
        validators=[MinValueValidator(FIRST_DAY), MaxValueValidator(LAST_DAY)],
    )


class ActivityFilterForm(forms.Form):
    """The Activity tab's filters, from the query string: whole days in the admin's time zone
    (both ends included) and one event label."""

    date_from = _day_field(gettext_lazy("From"))
    date_to = _day_field(gettext_lazy("To"))
    event = forms.ChoiceField(
        label=gettext_lazy("Event"),
        required=False,
        error_messages={"invalid_choice": gettext_lazy("Unknown event type.")},
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        event = self.fields["event"]
        assert isinstance(event, forms.ChoiceField)
        event.choices = [("", _("Any event")), *account_event_choices()]

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        start, end = data.get("date_from"), data.get("date_to")
        if start and end and start > end:
            self.add_error("date_to", _("The end date is before the start date."))
        return data

    @property
    def active(self) -> bool:
        return self.is_bound and any(self.data.get(name) for name in FILTER_FIELDS)

    def apply(self, events: QuerySet[Event]) -> QuerySet[Event]:
        """The events matching the (valid) filters."""
        data = self.cleaned_data
        tz = timezone.get_current_timezone()
        if data.get("date_from"):
            events = events.filter(ts__gte=dt.datetime.combine(data["date_from"], dt.time.min, tz))
        if data.get("date_to"):
            next_day = data["date_to"] + dt.timedelta(days=1)
            events = events.filter(ts__lt=dt.datetime.combine(next_day, dt.time.min, tz))
        if data.get("event"):
            events = events.filter(type=data["event"])
        return events


def context(request: AdminRequest, detail: Detail) -> dict[str, Any]:
    events = account_events(request.actor, detail.account)
    form = ActivityFilterForm(request.GET)
    filtered = False
    problems: list[str] = []
    if form.is_valid():
        events = form.apply(events)
        filtered = form.active
    else:
        # Shown unfiltered, with the form's errors beside the fields.
        problems.append(_("These filters are not valid, so all events are shown."))
    built = detail.page(events, ORDERING, tab="activity")
    built["page"].rows = public(built["page"].rows)
    query = {name: request.GET.get(name, "") for name in FILTER_FIELDS}
    return {
        **built,
        "problems": problems + built["problems"],
        "filter_form": form,
        "filtered": filtered,
        "form_url": detail.tab_url("activity"),
        # Refresh keeps the filters and goes back to the newest events.
        "refresh_url": detail.tab_url("activity", **query),
    }


TAB = Tab(
    slug="activity",
    label=gettext_lazy("Activity"),
    permission="activity.view",
    template="portal/account/tabs/activity.html",
    context=context,
)

urlpatterns: list[Any] = []
