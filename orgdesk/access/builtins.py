"""The built-in organization roles every installation has, upserted after every migrate so
code and database agree (access/permissions.py is their definition)."""

from typing import Any

from django.db import transaction

from orgdesk.access.models import OrgRole
from orgdesk.access.permissions import BUILTIN_ROLES


def ensure_roles(**_: Any) -> None:
    with transaction.atomic():
        for slug, (name, description, perms) in BUILTIN_ROLES.items():
            OrgRole.objects.update_or_create(
                slug=slug,
                defaults={
                    "name": name,
                    "description": description,
                    "permissions": sorted(perms),
                    "builtin": True,
                },
            )
