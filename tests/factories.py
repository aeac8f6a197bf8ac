"""Small builders for tests; real actions underneath so invariants hold."""

from types import SimpleNamespace
from typing import Any

from orgdesk.accounts.actions import create_account
from orgdesk.accounts.models import Account
from orgdesk.organizations.actions import create_organization
from orgdesk.organizations.models import Organization
from orgdesk.testing.actors import SYSTEM


def make_org(name: str, parent: Organization | None = None, **kwargs: Any) -> Organization:
    return create_organization(actor=SYSTEM, name=name, parent=parent, **kwargs)


def make_account(organization: Organization | None, **fields: Any) -> Account:
    fields.setdefault("given_name", "Test")
    fields.setdefault("family_name", "Person")
    password = fields.pop("password", "correct horse battery staple")
    return create_account(actor=SYSTEM, organization=organization, password=password, **fields)


def make_tree() -> SimpleNamespace:
    acme = make_org("Acme")
    emea = make_org("EMEA", acme)
    france = make_org("France", emea)
    germany = make_org("Germany", emea)
    americas = make_org("Americas", acme)
    globex = make_org("Globex")
    globex_eu = make_org("Europe", globex)
    return SimpleNamespace(
        acme=acme,
        emea=emea,
        france=france,
        germany=germany,
        americas=americas,
        globex=globex,
        globex_eu=globex_eu,
    )
