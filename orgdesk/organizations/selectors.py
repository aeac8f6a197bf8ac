"""Reads of organizations that screens need (whether the actor may see one is theirs to ask:
access.scoping)."""

from collections.abc import Iterable
from typing import Any

from orgdesk.organizations.models import Organization


def organization_by_key(key: str) -> Organization | None:
    """The organization with URL key `key`, else None."""
    return Organization.objects.filter(key=key).first()


def organization_by_id(pk: Any) -> Organization | None:
    return Organization.objects.filter(pk=pk).first()


def organizations_by_id(ids: Iterable[Any]) -> dict[str, Organization]:
    """The organizations `ids` that still exist, by their id as a string (one query)."""
    return {str(o.id): o for o in Organization.objects.filter(id__in=list(ids))}
