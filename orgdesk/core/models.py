"""Shared model machinery: the base model every identity-store table uses."""

import uuid

from django.db import models
from django.utils import timezone


class BaseModel(models.Model):
    """UUID primary key plus created/updated timestamps.

    `created` takes a default rather than auto_now_add so bulk loaders (the generator, imports)
    can carry real creation times.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    created = models.DateTimeField(default=timezone.now, editable=False)
    updated = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True


class SuspendedIndex(models.Model):
    """A secondary index the generator dropped for a bulk load and must build again.

    Kept in the database itself, in the same transaction as the drop, so a run killed half-way
    leaves a record that the next `orgdesk generate` rebuilds from before it starts.
    """

    name = models.CharField(max_length=200, primary_key=True)
    table = models.CharField(max_length=200)
    definition = models.TextField()
    suspended_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return self.name
