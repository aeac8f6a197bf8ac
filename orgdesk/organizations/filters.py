"""The organizations FilterSet (the console's Organizations list): by application, and the
roots of the trees alone. The search box (name or route) is the list's search."""

from typing import Any

import django_filters
from django.db.models import Q, QuerySet
from django.db.models.functions import Lower
from django.utils.translation import gettext_lazy as _

from orgdesk.lists import ListFilterSet
from orgdesk.organizations.models import ROUTE_SEPARATOR, Application, Organization


class OrganizationFilter(ListFilterSet):
    application = django_filters.ModelChoiceFilter(
        queryset=Application.objects.order_by("name"),
        label=_("Application"),
        empty_label=_("Any application"),
    )
    roots = django_filters.ChoiceFilter(
        method="filter_roots",
        label=_("Level"),
        choices=[("true", _("Roots of the trees only"))],
        empty_label=_("Every level"),
    )

    class Meta:
        model = Organization
        fields: list[str] = []

    def filter_roots(
        self, qs: QuerySet[Organization], name: str, value: str
    ) -> QuerySet[Organization]:
        return qs.filter(parent__isnull=True) if value == "true" else qs


def parse_search(raw: str) -> str | None:
    """Text found in a name or a route, case-insensitively; "acme/emea" and "acme / emea"
    both mean the route "Acme / EMEA"."""
    parts = [part.strip() for part in raw.lower().split("/") if part.strip()]
    return ROUTE_SEPARATOR.join(parts) or None


def search(qs: QuerySet[Organization], wanted: Any) -> QuerySet[Organization]:
    if wanted is None:
        return qs
    return qs.alias(name_lower=Lower("name"), route_lower=Lower("route")).filter(
        Q(name_lower__contains=wanted) | Q(route_lower__contains=wanted)
    )
