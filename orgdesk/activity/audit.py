"""The brand's audit log (the Admin Console's Activity section): every event of the store,
with what organization admins never see — who acted, from which address, the reason code and
the metadata. Brand admins only: organization admins read events through activity.visible,
which answers the public fields alone."""

from typing import Any

import django_filters
from django import forms
from django.db.models import QuerySet
from django.db.models.functions import Lower
from django.utils.translation import gettext_lazy as _

from orgdesk.access.actor import Actor
from orgdesk.access.scoping import require_brand, restrict
from orgdesk.accounts.filters import DayRange
from orgdesk.activity.events import event_choices
from orgdesk.activity.models import Event
from orgdesk.core.listing import Ordering
from orgdesk.lists import ListFilterSet, ListSpec, orderings
from orgdesk.organizations.models import Organization


class OrganizationRefField(forms.CharField):
    """An organization named by its route (Acme / EMEA) or key."""

    def clean(self, value: Any) -> Organization | None:
        from orgdesk.organizations.actions import TreeError, resolve_organization

        text = super().clean(value)
        if not text:
            return None
        try:
            return resolve_organization(text)
        except TreeError as exc:
            raise forms.ValidationError(str(exc)) from None


class OrganizationRefFilter(django_filters.Filter):
    field_class = OrganizationRefField

    def filter(self, qs: QuerySet[Event], value: Organization | None) -> QuerySet[Event]:
        if value is None:
            return qs
        # the organization and those below it
        return qs.filter(organization__in=value.subtree().values("id"))


class AuditFilter(ListFilterSet):
    category = django_filters.ChoiceFilter(
        choices=Event.Category.choices, label=_("Category"), empty_label=_("Any category")
    )
    type = django_filters.ChoiceFilter(
        choices=event_choices, label=_("Event"), empty_label=_("Any event")
    )
    result = django_filters.ChoiceFilter(
        choices=Event.Result.choices, label=_("Result"), empty_label=_("Any result")
    )
    # (not "organization" nor "actor": a ListFilterSet holds the list's own under those names)
    within = OrganizationRefFilter(
        label=_("Organization (and below)"), max_length=2000, required=False
    )
    admin_email = django_filters.CharFilter(
        method="filter_admin_email", label=_("Admin's email"), max_length=254
    )
    date_from = DayRange(field_name="ts", label=_("From"))
    date_to = DayRange(field_name="ts", end=True, label=_("To"))

    class Meta:
        model = Event
        fields: list[str] = []

    def filter_admin_email(self, qs: QuerySet[Event], name: str, value: str) -> QuerySet[Event]:
        value = value.strip().lower()
        if not value:
            return qs
        return qs.alias(actor_email=Lower("actor__email")).filter(actor_email=value)


AUDIT = ListSpec(
    name="audit",
    permission="activity.view",
    rows=lambda: Event.objects.select_related("actor", "account", "organization"),
    filterset=AuditFilter,
    orderings=orderings(Ordering("-ts", "ts")),
)


def audit_event(actor: Actor, pk: Any) -> Event | None:
    """One event with everything about it, for a brand admin (PermissionDenied otherwise)."""
    require_brand(actor, "The audit log is the brand's.")
    try:
        key = int(pk)
    except (TypeError, ValueError):
        return None
    qs = restrict(actor, "activity.view", Event).select_related("actor", "account", "organization")
    return qs.filter(pk=key).first()
