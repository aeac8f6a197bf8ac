"""The default branding policy and the built-in Organization Portal client that uses it,
created after every migrate when missing."""

from typing import Any

from django.db import transaction

from orgdesk.branding.models import BrandingPolicy
from orgdesk.organizations.models import PORTAL_CLIENT_ID, Application


def ensure_portal_client(**_: Any) -> None:
    with transaction.atomic():
        policy, _created = BrandingPolicy.objects.get_or_create(name="Default")
        Application.objects.get_or_create(
            client_id=PORTAL_CLIENT_ID,
            defaults={
                "name": "Organization Portal",
                "kind": Application.Kind.PORTAL,
                "builtin": True,
                "branding_policy": policy,
            },
        )
