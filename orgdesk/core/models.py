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
