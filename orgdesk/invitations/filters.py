"""The invitations FilterSet: email (case-insensitive prefix) and status.

Status is what the admin sees (Invitation.state): pending and still valid, outdated (pending
but expired), accepted, revoked. Revoked invitations are deleted ones kept for the audit
trail: they appear only when that status is asked for.
"""

import django_filters
from django.db.models import QuerySet
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from orgdesk.invitations.models import STATE_OUTDATED, STATE_PENDING, STATES, Invitation
from orgdesk.lists import ListFilterSet


class InvitationFilter(ListFilterSet):
    email = django_filters.CharFilter(method="filter_email", label=_("Email"), max_length=254)
    status = django_filters.ChoiceFilter(
        choices=STATES,
        method="filter_status",
        label=_("Status"),
        empty_label=_("Any status but revoked"),
    )

    class Meta:
        model = Invitation
        fields: list[str] = []

    def filter_queryset(self, queryset: QuerySet[Invitation]) -> QuerySet[Invitation]:
        qs = super().filter_queryset(queryset)
        if not self.form.cleaned_data.get("status"):
            qs = qs.exclude(status=Invitation.Status.REVOKED)
        return qs

    def filter_email(self, qs: QuerySet[Invitation], name: str, value: str) -> QuerySet[Invitation]:
        value = value.strip().lower()
        if not value:
            return qs
        return qs.alias(email_lower=Lower("email")).filter(email_lower__startswith=value)

    def filter_status(
        self, qs: QuerySet[Invitation], name: str, value: str
    ) -> QuerySet[Invitation]:
        now = timezone.now()
        if value == STATE_PENDING:
            return qs.filter(status=Invitation.Status.PENDING, expires__gt=now)
        if value == STATE_OUTDATED:
            return qs.filter(status=Invitation.Status.PENDING, expires__lte=now)
        if value:
            return qs.filter(status=value)
        return qs
