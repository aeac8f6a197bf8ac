"""The accounts FilterSet: one definition of what can be filtered, for the portal and the API.

Every filter is a whitelisted field with a typed form field, so a malformed value is a form
error, never a query. Text filters are case-insensitive prefix matches written as
`lower(col) LIKE 'abc%'`, which the prefix indexes serve on PostgreSQL.
"""

import datetime as dt
from dataclasses import dataclass
from typing import Any

import django_filters
from django import forms
from django.db import connection
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from orgdesk.access.models import OrgRole, RoleAssignment
from orgdesk.access.scoping import authority, restrict
from orgdesk.access.selectors import roles_by_name
from orgdesk.accounts.models import Account, Group, GroupMembership
from orgdesk.accounts.validation import normalize_phone
from orgdesk.core.formfields import LocalDateField
from orgdesk.core.listing import keys_of
from orgdesk.lists import ListFilterSet

MAX_TEXT = 100


def _prefix(qs: QuerySet[Account], column: str, value: str) -> QuerySet[Account]:
    alias = f"{column}_lower"
    return qs.alias(**{alias: Lower(column)}).filter(**{f"{alias}__startswith": value.lower()})


MIN_SUBSTRING = 3
PREFIX_COLUMNS = ("email", "username", "given_name", "family_name")
SUBSTRING_COLUMNS = ("display_name", "email", "username")


@dataclass(frozen=True)
class SearchText:
    """What the search box asked for.

    As in Keycloak's user search, text is matched as a prefix of the identifiers and names
    (which the per-organization indexes answer within a subtree), `*text*` anywhere in the
    display name, email or username (global trigram indexes), and `+digits` as a phone
    prefix. `too_short` tells that `*ab*` was searched as the prefix `ab`: fewer than three
    characters cannot be looked up anywhere in a name.
    """

    kind: str  # "prefix", "substring" or "phone"
    text: str
    too_short: bool = False


def parse_search(raw: str) -> SearchText | None:
    text = raw.strip().lower()
    if text.startswith("+") and text[1:].replace(" ", "").isdigit():
        return SearchText("phone", text.replace(" ", ""))
    anywhere = text.startswith("*")
    text = text.strip("*").strip()
    if not text:
        return None
    if anywhere and len(text) < MIN_SUBSTRING:
        return SearchText("prefix", text, too_short=True)
    return SearchText("substring" if anywhere else "prefix", text)


def _lowered(qs: QuerySet[Account], columns: tuple[str, ...]) -> QuerySet[Account]:
    return qs.alias(**{f"{column}_lower": Lower(column) for column in columns})


def search(qs: QuerySet[Account], wanted: SearchText | None) -> QuerySet[Account]:
    """The accounts of `qs` that match the search."""
    if wanted is None:
        return qs
    if wanted.kind == "phone":
        return qs.filter(phone__startswith=wanted.text)
    if wanted.kind == "substring":
        condition = Q()
        for column in SUBSTRING_COLUMNS:
            condition |= Q(**{f"{column}_lower__contains": wanted.text})
        return _lowered(qs, SUBSTRING_COLUMNS).filter(condition)
    condition = Q()
    for column in PREFIX_COLUMNS:
        condition |= Q(**{f"{column}_lower__startswith": wanted.text})
    return _lowered(qs, PREFIX_COLUMNS).filter(condition)


def search_keys(organizations: QuerySet[Any], wanted: SearchText) -> QuerySet[Account] | None:
    """The keys of the accounts of `organizations` that match a prefix or phone search, as a
    UNION ALL with one part per column (see listing.paginate's `keys`: it counts them, then
    reads a small result by key or walks the sort order of a large one); None where the
    database would not answer it from indexes alone.

    On PostgreSQL each part is answered by an (organization, lower(column)) index that also
    holds the column and the key (migration 0011): an index-only probe per organization of
    the subtree, with no table row read, and a LIMIT ends it early. One OR over the columns
    cannot use those indexes, and the global prefix indexes find every match in the store,
    each read from the table to test its organization.
    """
    if connection.vendor != "postgresql" or wanted.kind == "substring":
        return None
    in_scope = Account.objects.filter(organization__in=organizations.values("id"))
    if wanted.kind == "phone":
        matches = [in_scope.filter(phone__startswith=wanted.text)]
    else:
        matches = [
            _lowered(in_scope, (column,)).filter(**{f"{column}_lower__startswith": wanted.text})
            for column in PREFIX_COLUMNS
        ]
    parts = [keys_of(part) for part in matches]
    return parts[0].union(*parts[1:], all=True) if len(parts) > 1 else parts[0]


class DayFilter(django_filters.DateFilter):
    """One day, written in the admin's language's format or ISO (core.formfields)."""

    field_class = LocalDateField


class DayRange(django_filters.Filter):
    """`<name>_from` and `<name>_to` as whole days (inclusive), in the admin's time zone;
    written in the admin's language's format or ISO (core.formfields)."""

    field_class = LocalDateField

    def __init__(self, *args: Any, end: bool = False, **kwargs: Any) -> None:
        self.end = end
        super().__init__(*args, **kwargs)

    def filter(self, qs: QuerySet[Account], value: dt.date | None) -> QuerySet[Account]:
        if not value:
            return qs
        tz = timezone.get_current_timezone()
        # The first and last days of the calendar are no bound at all (the day after, or the
        # conversion to UTC, would overflow).
        if (self.end and value >= dt.date.max - dt.timedelta(days=1)) or (
            not self.end and value <= dt.date.min + dt.timedelta(days=1)
        ):
            return qs
        start = dt.datetime.combine(value, dt.time.min, tzinfo=tz)
        if self.end:
            return qs.filter(**{f"{self.field_name}__lt": start + dt.timedelta(days=1)})
        return qs.filter(**{f"{self.field_name}__gte": start})


def _status_condition(status: str) -> Q:
    """The status column alone. A database constraint ties disabled_at to it (disabled
    exactly when disabled_at is set), and asking for both made PostgreSQL multiply two
    selectivities that are one and the same: it expected a twentieth of the disabled
    accounts and chose bitmap scans of every disabled account in the store (50 ms) over the
    per-organization indexes (2 ms). The partial indexes of disabled accounts are keyed on
    the status (models.py), and the disabled-date ones on disabled_at, which a date range
    implies."""
    return Q(status=status)


class AccountFilter(ListFilterSet):
    status = django_filters.ChoiceFilter(
        choices=Account.Status.choices,
        method="filter_status",
        label=_("Status"),
        empty_label=_("Any status"),
    )
    identifier = django_filters.CharFilter(
        method="filter_identifier", label=_("Login identifier"), max_length=254
    )
    account_id = django_filters.UUIDFilter(field_name="id", label=_("Account ID"))
    username = django_filters.CharFilter(
        method="filter_prefix", label=_("Username"), max_length=MAX_TEXT
    )
    group = django_filters.ModelChoiceFilter(
        queryset=Group.objects.none(),
        method="filter_group",
        label=_("Group"),
        empty_label=_("Any group"),
    )
    role = django_filters.ModelChoiceFilter(
        queryset=OrgRole.objects.all(),  # in the admin's order, set per request below
        method="filter_role",
        label=_("Role"),
        empty_label=_("Any role"),
    )
    email = django_filters.CharFilter(method="filter_prefix", label=_("Email"), max_length=254)
    given_name = django_filters.CharFilter(
        method="filter_prefix", label=_("Given name"), max_length=MAX_TEXT
    )
    family_name = django_filters.CharFilter(
        method="filter_prefix", label=_("Family name"), max_length=MAX_TEXT
    )
    birthdate = DayFilter(label=_("Birthdate"))
    last_login_from = DayRange(field_name="last_login", label=_("Last login from"))
    last_login_to = DayRange(field_name="last_login", end=True, label=_("Last login to"))
    created_from = DayRange(field_name="created", label=_("Created from"))
    created_to = DayRange(field_name="created", end=True, label=_("Created to"))
    updated_from = DayRange(field_name="updated", label=_("Updated from"))
    updated_to = DayRange(field_name="updated", end=True, label=_("Updated to"))
    disabled_from = DayRange(field_name="disabled_at", label=_("Disabled from"))
    disabled_to = DayRange(field_name="disabled_at", end=True, label=_("Disabled to"))

    class Meta:
        model = Account
        fields: list[str] = []

    def filter_queryset(self, queryset: QuerySet[Account]) -> QuerySet[Account]:
        qs = super().filter_queryset(queryset)
        data = self.form.cleaned_data
        if (data.get("disabled_from") or data.get("disabled_to")) and not data.get("status"):
            # A disabled date also says "disabled": the page can then walk the last-login or
            # creation order of disabled accounts alone (their partial indexes), where the
            # order of all accounts would cross half a million before the first one.
            qs = qs.filter(status=Account.Status.DISABLED)
        return qs

    def filter_status(self, qs: QuerySet[Account], name: str, value: str) -> QuerySet[Account]:
        return qs.filter(_status_condition(value)) if value else qs

    def filter_prefix(self, qs: QuerySet[Account], name: str, value: str) -> QuerySet[Account]:
        return _prefix(qs, name, value) if value.strip() else qs

    def filter_identifier(self, qs: QuerySet[Account], name: str, value: str) -> QuerySet[Account]:
        value = value.strip()
        if not value:
            return qs
        condition = Q(email_lower=value.lower()) | Q(username_lower=value.lower())
        try:
            phone = normalize_phone(value) if value.startswith("+") else ""
        except forms.ValidationError:
            phone = ""
        if phone:
            condition |= Q(phone=phone)
        return qs.alias(email_lower=Lower("email"), username_lower=Lower("username")).filter(
            condition
        )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        # The group and role filters look only at what the actor may see; without an actor
        # they match nothing (fail closed). A group named must be one the actor may see, in
        # the organization listed or below it.
        super().__init__(*args, **kwargs)
        group = self.filters["group"]
        assert isinstance(group, django_filters.ModelChoiceFilter)
        group.queryset = (
            restrict(self.actor, "groups.view", Group, within=self.organization)
            if self.actor is not None
            else Group.objects.all()  # accepted, and then matching nothing
        )
        role = self.filters["role"]
        assert isinstance(role, django_filters.ModelChoiceFilter)
        # Ordered by the names shown, which depend on the admin's language.
        role.queryset = roles_by_name()

    def filter_group(self, qs: QuerySet[Account], name: str, value: Group) -> QuerySet[Account]:
        # The group itself is one the admin may see (the choices come restricted from the
        # view). The memberships counted are those the Groups tab shows: groups.view on the
        # member's organization (GroupMembership's tenant).
        if self.actor is None:
            return qs.none()
        auth = authority(self.actor)
        memberships = GroupMembership.objects.filter(account=OuterRef("pk"), group=value)
        if not auth.is_brand:
            seen = auth.paths_for("groups.view")
            if not seen:
                return qs.none()
            listed = auth.paths_for("accounts.view")
            if not all(any(path.startswith(s) for s in seen) for path in listed):
                # Some accounts the admin may list are outside their groups.view: test each
                # member's organization. Skipped otherwise (the queryset holds accounts.view
                # accounts only, all of them then inside groups.view), as this reads each
                # member's account row once more: twice the time for a group of thousands
                # at 1M accounts.
                memberships = restrict(self.actor, "groups.view", memberships)
        return qs.filter(Exists(memberships))

    def filter_role(self, qs: QuerySet[Account], name: str, value: OrgRole) -> QuerySet[Account]:
        # Only the grants the Roles tab shows: those on organizations where the admin holds
        # roles.view. A grant elsewhere in the tree (the account may hold roles on a sibling
        # branch, a cross-organization grant) must not make the account match, or the filter
        # would tell what the admin cannot see. EXISTS, not a join: an account holding the
        # role twice must not appear twice.
        if self.actor is None:
            return qs.none()
        grants = restrict(self.actor, "roles.view", RoleAssignment).filter(role=value)
        return qs.filter(Exists(grants.filter(account=OuterRef("pk"))))
