"""A small identity store for permission tests: two trees, admins with different roles."""

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from orgdesk.access.actions import grant_role
from orgdesk.access.actor import Actor
from orgdesk.access.models import OrgRole
from orgdesk.access.permissions import ALL
from orgdesk.accounts.actions import create_account
from orgdesk.accounts.models import Account
from orgdesk.organizations.actions import create_organization
from orgdesk.organizations.models import Organization
from orgdesk.security.models import Authenticator, CustomerSession

# Builds the world, as the seeder and scripts do.
SYSTEM = Actor.system(label="test world")


@dataclass
class World:
    acme: Organization
    emea: Organization
    france: Organization
    germany: Organization
    americas: Organization
    globex: Organization
    globex_eu: Organization
    admin: Account  # Admin on Acme / EMEA, account lives in France
    viewer: Account  # a role with accounts.view only, on Acme / EMEA
    cross: Account  # Organization manager on Acme / Americas, account lives in Germany
    inside: Account  # customer in Acme / EMEA / France
    outside: Account  # customer in Acme / Americas (same tree, not under EMEA)
    foreign: Account  # customer in Globex / Europe (another tree)

    def customer_in(self, where: str) -> Account:
        return {"inside": self.inside, "outside": self.outside, "foreign": self.foreign}[where]

    def admin_with(
        self, email: str, permissions: Iterable[str], *, on: Organization | None = None
    ) -> Account:
        """A new account of France holding a custom role with exactly `permissions` on `on`
        (Acme / EMEA unless told): the admin a test needs and the world does not hold."""
        account = _account(self.france, email)
        custom, _ = OrgRole.objects.get_or_create(
            slug=email.split("@")[0], defaults={"name": email, "permissions": sorted(permissions)}
        )
        grant_role(actor=SYSTEM, account=account, organization=on or self.emea, role=custom)
        return account

    def admin_without(self, permission: str) -> Account:
        """A new admin holding every permission of the catalogue on Acme / EMEA but
        `permission`: what it is refused is refused for want of that permission alone."""
        slug = "all-but-" + permission.replace(".", "-").replace("_", "-")
        return self.admin_with(f"{slug}@acme.test", ALL - {permission})


def _account(org: Organization, email: str, **extra: Any) -> Account:
    return create_account(
        actor=SYSTEM,
        organization=org,
        password="correct horse battery staple",
        email=email,
        given_name=email.split("@")[0].title(),
        family_name="Test",
        **extra,
    )


def role(slug: str) -> OrgRole:
    return OrgRole.objects.get(slug=slug)


def build_world() -> World:
    org = create_organization
    acme = org(actor=SYSTEM, name="Acme")
    emea = org(actor=SYSTEM, name="EMEA", parent=acme)
    france = org(actor=SYSTEM, name="France", parent=emea)
    germany = org(actor=SYSTEM, name="Germany", parent=emea)
    americas = org(actor=SYSTEM, name="Americas", parent=acme)
    globex = org(actor=SYSTEM, name="Globex")
    globex_eu = org(actor=SYSTEM, name="Europe", parent=globex)

    admin = _account(france, "admin@acme.test")
    viewer = _account(france, "viewer@acme.test")
    cross = _account(germany, "cross@acme.test")
    view_only, _ = OrgRole.objects.get_or_create(
        slug="viewer", defaults={"name": "Viewer", "permissions": ["accounts.view"]}
    )
    grant_role(actor=SYSTEM, account=admin, organization=emea, role=role("admin"))
    grant_role(actor=SYSTEM, account=viewer, organization=emea, role=view_only)
    grant_role(
        actor=SYSTEM, account=cross, organization=americas, role=role("organization-manager")
    )

    world = World(
        acme=acme,
        emea=emea,
        france=france,
        germany=germany,
        americas=americas,
        globex=globex,
        globex_eu=globex_eu,
        admin=admin,
        viewer=viewer,
        cross=cross,
        inside=_account(france, "inside@acme.test", phone="+33612345678"),
        outside=_account(americas, "outside@acme.test"),
        foreign=_account(globex_eu, "foreign@globex.test"),
    )
    for customer in (world.inside, world.outside, world.foreign):
        Authenticator.objects.create(
            account=customer, type=Authenticator.Type.EMAIL_OTP, label=customer.email
        )
        CustomerSession.objects.create(
            account=customer,
            key_hash=f"k-{customer.pk.hex}",
            device="Firefox 133 on Linux",
            ip="203.0.113.7",
            expires=customer.created.replace(year=customer.created.year + 1),
        )
    return world
