"""The reference rows generated data points at: applications, roles, notification templates,
consent and verification policies. Created when missing, never generated at random."""

import uuid
from dataclasses import dataclass, field

from orgdesk.access.builtins import ensure_roles
from orgdesk.access.models import OrgRole
from orgdesk.branding.builtins import ensure_portal_client
from orgdesk.consents.models import ConsentPolicy
from orgdesk.notifications.builtins import ensure_templates
from orgdesk.notifications.models import NotificationTemplate
from orgdesk.organizations.models import PORTAL_CLIENT_ID, Application
from orgdesk.verification.models import VerificationPolicy

CONSENT_POLICIES = [
    ("Terms of Service", "1.0", True),
    ("Terms of Service", "2.0", True),
    ("Privacy Policy", "3.1", True),
    ("Marketing emails", "1.0", False),
    ("Product research", "1.2", False),
]
VERIFICATION_POLICIES = [
    ("Government ID check", "document"),
    ("Bank account match", "database"),
    ("Video identification", "video"),
    ("In-store verification", "in_person"),
]
EXTRA_APPLICATIONS = [
    ("Customer web app", "customer-web", "web"),
    ("Mobile app", "customer-mobile", "native"),
]


@dataclass
class Reference:
    portal_id: uuid.UUID
    apps: list[uuid.UUID]  # the portal first
    roles: dict[str, uuid.UUID]  # built-in roles by slug
    templates: dict[str, NotificationTemplate]  # by code
    consent_policies: list[uuid.UUID]  # in CONSENT_POLICIES order
    verification_policies: list[VerificationPolicy]  # in VERIFICATION_POLICIES order
    # The policies that apply in each tree (by root id), chosen when the trees are written.
    tree_policies: dict[uuid.UUID, list[VerificationPolicy]] = field(default_factory=dict)


def load_reference() -> Reference:
    ensure_portal_client()
    ensure_roles()
    ensure_templates()
    portal = Application.objects.get(client_id=PORTAL_CLIENT_ID)
    apps = [portal.id]
    for name, client_id, kind in EXTRA_APPLICATIONS:
        app, _ = Application.objects.get_or_create(
            client_id=client_id, defaults={"name": name, "kind": kind}
        )
        apps.append(app.id)
    consent_policies = []
    for name, version, required in CONSENT_POLICIES:
        policy, _ = ConsentPolicy.objects.get_or_create(
            name=name, version=version, defaults={"required": required}
        )
        consent_policies.append(policy.id)
    verification_policies = []
    for name, method in VERIFICATION_POLICIES:
        vpolicy, _ = VerificationPolicy.objects.get_or_create(
            name=name, defaults={"method": method}
        )
        verification_policies.append(vpolicy)
    return Reference(
        portal_id=portal.id,
        apps=apps,
        roles={r.slug: r.id for r in OrgRole.objects.filter(builtin=True)},
        templates={t.code: t for t in NotificationTemplate.objects.all()},
        consent_policies=consent_policies,
        verification_policies=verification_policies,
    )
