"""What more than one lifecycle of a bulk invitation uses: the job's kind, how long a job may
go without a heartbeat, the address checks of a preview and of a batch (what
`actions.check_invitee` refuses, for many addresses in one query) and the bulk insert both
use for their rows."""

import datetime as dt
from collections.abc import Iterator, Sequence
from typing import Any, TypeVar, cast

from django.db import connection, models
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext as _

from orgdesk.accounts.models import Account
from orgdesk.invitations.actions import _same_store_invitations
from orgdesk.invitations.models import Invitation
from orgdesk.organizations.models import Organization

T = TypeVar("T")

KIND = "bulk_invite"
STALL = dt.timedelta(seconds=60)  # no heartbeat for this long: the job can be resumed


def _account_exists_message() -> str:
    return _("An account with this email address already exists in this organization.")


def _already_invited_message() -> str:
    return _("This address already has a pending invitation. Resend it instead.")


def _taken_addresses(organization: Organization, lowered: list[str]) -> tuple[set[str], set[str]]:
    """Of these lowercased addresses: those with an account in the organization's identity
    store, and those with a valid pending invitation there (what check_invitee refuses)."""
    if not lowered:
        return set(), set()
    accounts = set(
        Account.objects.filter(store=organization.identity_store_id)
        .annotate(email_lower=Lower("email"))
        .filter(email_lower__in=lowered)
        .values_list("email_lower", flat=True)
    )
    invited = set(
        _same_store_invitations(organization)
        .annotate(email_lower=Lower("email"))
        .filter(
            email_lower__in=lowered,
            status=Invitation.Status.PENDING,
            expires__gt=timezone.now(),
        )
        .values_list("email_lower", flat=True)
    )
    return accounts, invited


def _insert(objs: Sequence[models.Model]) -> None:
    """bulk_create for rows whose key is known or not needed back (the preview's rows, the
    invitations), without Django's per-statement SQL compilation, which costs more than the
    database's work at 100,000 rows: PostgreSQL takes them through COPY, SQLite through
    executemany. Values come from the model's own fields (defaults and conversions included);
    errors are Django's (IntegrityError for a constraint)."""
    if not objs:
        return
    model = type(objs[0])
    fields = [
        f
        for f in model._meta.concrete_fields
        if not (f.primary_key and isinstance(f, models.AutoField | models.BigAutoField))
    ]
    q = connection.ops.quote_name
    table = q(model._meta.db_table)
    # A concrete field is one with a column (Django's own definition of `concrete`).
    columns = ", ".join(q(cast(str, f.column)) for f in fields)

    def values(obj: models.Model) -> list[Any]:
        return [f.get_db_prep_save(f.pre_save(obj, True), connection) for f in fields]

    if connection.vendor == "postgresql":
        with (
            connection.wrap_database_errors,
            connection.cursor() as cursor,
            cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy,
        ):
            for obj in objs:
                copy.write_row(values(obj))
        return
    placeholders = ", ".join(["%s"] * len(fields))
    with connection.cursor() as cursor:
        cursor.executemany(
            f"INSERT INTO {table} ({columns}) VALUES ({placeholders})", [values(o) for o in objs]
        )


def _chunks(items: list[T], size: int) -> Iterator[list[T]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]
