"""The preview of a bulk invitation: the uploaded file checked row by row and kept as a
VALIDATED ImportJob with one ImportRow per row; nothing is sent (see the package docstring)."""

from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import translation
from django.utils.translation import gettext as _

from orgdesk.access.actor import Actor
from orgdesk.access.models import OrgRole
from orgdesk.accounts.groups import groups_open_to
from orgdesk.accounts.models import Group
from orgdesk.accounts.validation import hidden_character_errors
from orgdesk.core.builtin_text import in_every_language
from orgdesk.invitations import bulkfile
from orgdesk.invitations.actions import (
    allowed_groups,
    grantable_roles,
    invitation_options,
    normalize_invitee_email,
)
from orgdesk.invitations.bulk.common import (
    KIND,
    _account_exists_message,
    _already_invited_message,
    _chunks,
    _insert,
    _taken_addresses,
)
from orgdesk.invitations.models import ImportJob, ImportRow
from orgdesk.organizations.models import Organization

PREVIEW_CHUNK = 2000  # rows checked against the database per query in the preview


# ---- what a row may name ------------------------------------------------------------------------


class Catalogue:
    """The groups and roles rows may name, resolved once per file for the actor: groups of the
    organization or above it by name (the nearest organization's first) or id, roles by slug or
    name; each checked against what the actor may hand out (actions.allowed_groups and
    actions.grantable_roles)."""

    def __init__(self, actor: Actor, organization: Organization) -> None:
        groups = groups_open_to(organization).order_by("-organization__depth", "name")
        self.groups: dict[str, Group] = {}
        for group in groups:
            self.groups.setdefault(group.name.casefold(), group)
            self.groups[str(group.pk)] = group
        self.allowed_groups = set(allowed_groups(actor, organization).values_list("pk", flat=True))
        self.roles: dict[str, OrgRole] = {}
        roles = list(OrgRole.objects.all())
        for role in roles:
            self.roles.setdefault(role.slug.casefold(), role)
            self.roles.setdefault(role.name.casefold(), role)
        # Then a built-in role's name in each product language, as admins read it on the
        # screens; a name some other role carries wins (set first).
        for role in roles:
            if role.builtin_default_name:
                for name in in_every_language(role.builtin_default_name):
                    self.roles.setdefault(name.casefold(), role)
        self.grantable_roles = {role.pk for role in grantable_roles(actor, organization)}

    def resolve_groups(self, cell: str) -> tuple[list[str], list[str]]:
        return _resolve(
            cell,
            lambda name: self.groups.get(name) or self.groups.get(name.casefold()),
            self.allowed_groups,
            _("Unknown group: %(names)s."),
            _("You cannot add invitees to the group %(names)s."),
        )

    def resolve_roles(self, cell: str) -> tuple[list[str], list[str]]:
        return _resolve(
            cell,
            lambda name: self.roles.get(name.casefold()),
            self.grantable_roles,
            _("Unknown role: %(names)s."),
            _(
                "You cannot give the role %(names)s: only roles whose permissions you hold "
                "on this organization."
            ),
        )


def _resolve(
    cell: str,
    find: Callable[[str], Any],
    allowed: set[Any],
    unknown_message: str,
    refused_message: str,
) -> tuple[list[str], list[str]]:
    """The ids a cell of names resolves to (each once, in order), and the errors: names that
    match nothing, and matches the actor may not hand out."""
    ids: list[str] = []
    unknown: list[str] = []
    refused: list[str] = []
    for name in bulkfile.split_list(cell):
        found = find(name)
        if found is None:
            unknown.append(name)
        elif found.pk not in allowed:
            refused.append(str(found))
        elif str(found.pk) not in ids:
            ids.append(str(found.pk))
    errors = []
    if unknown:
        errors.append(unknown_message % {"names": ", ".join(unknown)})
    if refused:
        errors.append(refused_message % {"names": ", ".join(refused)})
    return ids, errors


def _message(errors: list[str]) -> str:
    text = " ".join(errors)
    return text if len(text) <= 500 else text[:499] + "…"


@transaction.atomic
def preview_bulk_invite(
    *,
    actor: Actor,
    organization: Organization,
    filename: str,
    data: bytes,
    days: int | None = None,
    locale: str = "",
) -> ImportJob:
    """Check an uploaded file row by row and keep the result as a VALIDATED job: nothing is
    sent. Raises PermissionDenied, ValidationError (bulkfile.BadFile for the file; days or
    language out of range)."""
    options = invitation_options(actor=actor, organization=organization, days=days, locale=locale)
    parsed = bulkfile.parse(data)
    catalogue = Catalogue(actor, organization)
    job = ImportJob.objects.create(
        organization=organization,
        kind=KIND,
        created_by=actor.admin_account,
        filename=(filename or "")[:255],
        status=ImportJob.Status.VALIDATED,
        total_rows=len(parsed.rows),
        options={
            "days": options.days,
            "locale": options.locale,
            "language": translation.get_language() or settings.LANGUAGE_CODE,
            "delimiter": parsed.delimiter,
            "columns": parsed.columns,
            "ignored_columns": parsed.ignored,
        },
    )
    first_row: dict[str, int] = {}  # lowercased address → the row that has it first
    group_ids: set[str] = set()
    role_ids: set[str] = set()
    invalid = 0
    for chunk in _chunks(parsed.rows, PREVIEW_CHUNK):
        checked = []
        for raw in chunk:
            errors = [raw.problem] if raw.problem else []
            email = raw.email
            try:
                email = normalize_invitee_email(raw.email)
            except ValidationError as exc:
                errors.append(exc.messages[0])
                key = None
            else:
                key = email.lower()
                if key in first_row:
                    errors.append(
                        _("The same address as row %(row)d (whatever the case).")
                        % {"row": first_row[key]}
                    )
                    key = None
                else:
                    first_row[key] = raw.number
            if len(raw.given_name) > 150 or len(raw.family_name) > 150:
                errors.append(_("A name has at most 150 characters."))
            if hidden_character_errors(
                {"given_name": raw.given_name, "family_name": raw.family_name}
            ):
                errors.append(_("A name holds invisible characters, such as text-direction marks."))
            groups, group_errors = catalogue.resolve_groups(raw.groups)
            roles, role_errors = catalogue.resolve_roles(raw.roles)
            errors += group_errors + role_errors
            checked.append((raw, email, key, groups, roles, errors))
        accounts, invited = _taken_addresses(organization, [c[2] for c in checked if c[2]])
        rows = []
        for raw, email, key, groups, roles, errors in checked:
            if key in accounts:
                errors.append(_account_exists_message())
            elif key in invited:
                errors.append(_already_invited_message())
            data_: dict[str, str | list[str]] = {
                "email": email,
                "given_name": raw.given_name,
                "family_name": raw.family_name,
                "groups": raw.groups,
                "roles": raw.roles,
            }
            if groups:
                data_["group_ids"] = groups
            if roles:
                data_["role_ids"] = roles
            if errors:
                invalid += 1
            else:
                group_ids.update(groups)
                role_ids.update(roles)
            rows.append(
                ImportRow(
                    job=job,
                    number=raw.number,
                    data=data_,
                    status=ImportRow.Status.INVALID if errors else ImportRow.Status.PENDING,
                    error=_message(errors),
                )
            )
        _insert(rows)
    job.invalid_rows = invalid
    job.options["group_ids"] = sorted(group_ids)
    job.options["role_ids"] = sorted(role_ids)
    job.save(update_fields=["invalid_rows", "options", "updated"])
    return job
