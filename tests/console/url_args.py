"""Sample values for the console's URL arguments, by converter name: the 404 battery
(test_console.py) opens every console URL with them. A new section whose URLs take another
argument adds its name here."""

from typing import Any

from orgdesk.access.models import RoleAssignment
from orgdesk.activity.models import Event
from orgdesk.branding.models import BrandingPolicy


def sample_args(world: Any) -> dict[str, Any]:
    event = Event.objects.filter(organization=world.emea).first() or Event.objects.first()
    assert event is not None, "the world records events"
    return {
        "org": world.emea.key,
        "grant": RoleAssignment.objects.filter(organization=world.emea).first().pk,
        "policy": BrandingPolicy.objects.get(name="Default").pk,
        "pk": event.pk,
        "role": "viewer",  # a brand-defined role of the world
        "app": "organization-portal",  # the built-in Organization Portal's client ID
    }
