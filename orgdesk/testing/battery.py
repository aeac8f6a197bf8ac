"""The permission battery: every action and every portal view on tenant data, configured once,
tried against another organization's objects (expect 404) and without the permission (expect
403). New views and actions join by adding a case here.

Actions run with a fresh step-up so the permission rule, not the step-up rule, is what answers.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from orgdesk.access.actions import grant_role, revoke_role
from orgdesk.access.actor import Actor
from orgdesk.access.models import OrgRole, RoleAssignment
from orgdesk.accounts import actions as account_actions
from orgdesk.accounts.models import Account
from orgdesk.organizations.models import Organization
from orgdesk.security import actions as security_actions
from orgdesk.security.models import Authenticator
from orgdesk.testing.world import World


@dataclass(frozen=True)
class ActionCase:
    name: str
    permission: str
    # (world, actor, customer) -> performs the action on something belonging to `customer`
    run: Callable[[World, Actor, Account], object]


@dataclass(frozen=True)
class ViewCase:
    name: str
    # (world, customer) -> URL of a page about something belonging to `customer`
    url: Callable[[World, Account], str]
    method: str = "get"
    data: dict[str, Any] = field(default_factory=dict)
    # None when every admin who can see the object may open the page.
    permission: str | None = None
    # Why the page does not answer 403 without `permission` yet (a known product bug): the
    # battery then expects that check to fail, and says so when the bug is fixed.
    forbidden_bug: str = ""


def _home(customer: Account) -> Organization:
    """A customer's organization (only brand admins have none)."""
    assert customer.organization is not None, "a customer belongs to an organization"
    return customer.organization


def _grant(world: World, actor: Actor, customer: Account) -> tuple[RoleAssignment, bool]:
    return grant_role(
        actor=actor,
        account=customer,
        organization=_home(customer),
        role=OrgRole.objects.get(slug="account-recovery-assistant"),
    )


def _revoke(world: World, actor: Actor, customer: Account) -> None:
    assignment, _ = RoleAssignment.objects.get_or_create(
        account=customer,
        organization=customer.organization,
        role=OrgRole.objects.get(slug="account-recovery-assistant"),
    )
    return revoke_role(actor=actor, assignment=assignment)


def _remove_authenticator(world: World, actor: Actor, customer: Account) -> None:
    authenticator = Authenticator.objects.filter(account=customer).first()
    assert authenticator is not None, "build_world() gives every customer an authenticator"
    security_actions.remove_authenticator(actor=actor, authenticator=authenticator)


ACTION_CASES = [
    ActionCase(
        "create account",
        "accounts.create",
        lambda w, a, c: account_actions.create_account(
            actor=a, organization=c.organization, email=f"new-{c.pk.hex[:6]}@example.com"
        ),
    ),
    ActionCase(
        "disable account",
        "accounts.disable",
        lambda w, a, c: account_actions.disable_account(actor=a, account=c),
    ),
    ActionCase(
        "enable account",
        "accounts.disable",
        lambda w, a, c: account_actions.enable_account(actor=a, account=c),
    ),
    ActionCase(
        "set password",
        "accounts.set_password",
        lambda w, a, c: account_actions.set_password(
            actor=a, account=c, password="a long enough new passphrase"
        ),
    ),
    ActionCase(
        "clear sessions",
        "sessions.clear",
        lambda w, a, c: security_actions.clear_sessions(actor=a, account=c),
    ),
    ActionCase(
        "remove authenticator",
        "authenticators.manage",
        _remove_authenticator,
    ),
    ActionCase("grant role", "roles.assign", _grant),
    ActionCase("revoke role", "roles.assign", _revoke),
]

# The row actions ask access_account() for the action's permission, which answers 404 (not
# visible) instead of 403 (visible, not allowed) to an admin who may view the account.


def _row(action: str) -> Callable[[World, Account], str]:
    # The admin's own organization in the URL, the customer's id: the object check answers.
    return lambda w, c: f"/portal/{w.emea.key}/accounts/{c.pk}/{action}"


VIEW_CASES = [
    ViewCase("organization page", lambda w, c: f"/portal/{_home(c).key}/"),
    ViewCase("accounts list", lambda w, c: f"/portal/{_home(c).key}/accounts"),
    ViewCase(
        "create account",
        lambda w, c: f"/portal/{_home(c).key}/accounts/new",
        permission="accounts.create",
    ),
    ViewCase(
        "create account (posted)",
        lambda w, c: f"/portal/{_home(c).key}/accounts/new",
        method="post",
        data={
            "given_name": "Battery",
            "family_name": "Case",
            "email": "battery-case@example.com",
            "password_choice": "set",
            "password": "a long enough new passphrase",
        },
        permission="accounts.create",
    ),
    ViewCase(
        "edit account",
        _row("edit"),
        permission="accounts.edit",
    ),
    ViewCase(
        "edit account at its own organization",
        lambda w, c: f"/portal/{_home(c).key}/accounts/{c.pk}/edit",
        permission="accounts.edit",
    ),
    ViewCase(
        "change password",
        _row("password"),
        permission="accounts.set_password",
    ),
    ViewCase(
        "clear sessions",
        _row("clear-sessions"),
        method="post",
        permission="sessions.clear",
    ),
]
