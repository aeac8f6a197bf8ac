"""A bulk invitation file names roles by slug or by name: a built-in role's English name, or its
name in any product language (as admins read it on the screens); a renamed or custom role by the
name it carries."""

from typing import Any

import pytest
from django.utils import translation

from orgdesk.access.models import OrgRole
from orgdesk.invitations.bulk import preview as bulk_preview
from orgdesk.invitations.models import ImportJob, ImportRow
from orgdesk.testing.actors import as_admin

pytestmark = pytest.mark.django_db


def preview(world: Any, *roles: str) -> dict[int, ImportRow]:
    lines = ["email,roles"] + [f"r{n}@example.test,{name}" for n, name in enumerate(roles)]
    job: ImportJob = bulk_preview.preview_bulk_invite(
        actor=as_admin(world.admin),
        organization=world.emea,
        filename="x.csv",
        data=("\n".join(lines) + "\n").encode(),
    )
    return {row.number: row for row in ImportRow.objects.filter(job=job)}


def role_ids(row: ImportRow) -> list[str]:
    assert row.status == ImportRow.Status.PENDING, row.error
    return row.data["role_ids"]


def test_builtin_roles_by_english_or_translated_name(world: Any) -> None:
    manager = str(OrgRole.objects.get(slug="organization-manager").pk)
    names = [
        "organization-manager",
        "Organization manager",
        "gestionnaire d'organisation",  # French, in any case
        "Organisationsverwalter",
        "Gestor de organización",
    ]
    rows = preview(world, *names)
    assert [role_ids(rows[n + 2]) for n in range(len(names))] == [[manager]] * len(names)


def test_unknown_and_refused_roles_are_named_in_the_admins_language(world: Any) -> None:
    OrgRole.objects.create(
        slug="top", name="Top secret", permissions=["accounts.view"], protected=True
    )
    with translation.override("fr"):
        rows = preview(world, "Sorcier", "top")
    assert rows[2].error == "Rôle inconnu\xa0: Sorcier."
    assert "Top secret" in rows[3].error


def test_a_renamed_builtin_role_answers_to_its_new_name(world: Any) -> None:
    OrgRole.objects.filter(slug="organization-manager").update(name="Managers")
    rows = preview(world, "Managers", "Gestionnaire d'organisation")
    manager = str(OrgRole.objects.get(slug="organization-manager").pk)
    assert role_ids(rows[2]) == [manager]
    # Its old built-in name is no longer its name.
    assert rows[3].status == ImportRow.Status.INVALID
