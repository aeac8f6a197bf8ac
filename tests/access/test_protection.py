"""No admin manages a more powerful account (access/protection.py, issue 17).

A battery: every action that changes how an account signs in (identifiers, password set and
reset, authenticators added and removed, enrolment links, sessions, status), and every other
write to an account, tried by an Organization manager, an Account recovery assistant and an
Admin against an Admin of their own organization, an Admin of a child organization, an account
at home under the actor's grant holding Admin on a sibling branch (the cross-branch case), a
peer with the same role, and a plain customer. What may not be done raises and writes nothing.
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError

from orgdesk.access.actions import grant_role, revoke_role
from orgdesk.access.models import OrgRole, RoleAssignment
from orgdesk.access.protection import EscalationRefused, standing
from orgdesk.accounts import actions as account_actions
from orgdesk.accounts.models import Account, Group
from orgdesk.activity.models import Event
from orgdesk.organizations.actions import create_organization
from orgdesk.security import actions as security_actions
from orgdesk.security.models import Authenticator, CustomerSession
from orgdesk.security.stepup import StepUpRequired
from orgdesk.testing.actors import SYSTEM, as_admin, fresh
from orgdesk.verification.models import VerificationPolicy

pytestmark = pytest.mark.django_db

PASSWORD = "correct horse battery staple"
NEW_PASSWORD = "a brand new passphrase 42"


def role(slug: str) -> OrgRole:
    return OrgRole.objects.get(slug=slug)


def _account(org: Any, email: str, *roles: tuple[Any, str]) -> Account:
    account = account_actions.create_account(
        actor=SYSTEM,
        organization=org,
        password=PASSWORD,
        email=email,
        email_verified=True,
        given_name=email.split("@")[0].replace(".", " ").title(),
        family_name="Test",
    )
    for where, slug in roles:
        grant_role(actor=SYSTEM, account=account, organization=where, role=role(slug))
    Authenticator.objects.create(
        account=account, type=Authenticator.Type.EMAIL_OTP, label=email, identifier=email
    )
    return account


@dataclass
class Store:
    acme: Any
    latam: Any
    brazil: Any
    dach: Any
    manager: Account  # Organization manager on LatAm
    assistant: Account  # Account recovery assistant on LatAm
    admin: Account  # Admin on LatAm
    targets: dict[str, Account]


@pytest.fixture
def store() -> Store:
    acme = create_organization(actor=SYSTEM, name="Acme")
    latam = create_organization(actor=SYSTEM, name="Latin America", parent=acme)
    brazil = create_organization(actor=SYSTEM, name="Brazil", parent=latam)
    dach = create_organization(actor=SYSTEM, name="DACH", parent=acme)
    targets = {
        # an Admin of the actor's own organization
        "own-admin": _account(latam, "own.admin@acme.test", (latam, "admin")),
        # an admin of a child organization, holding more than a manager or an assistant
        "child-admin": _account(brazil, "child.admin@acme.test", (brazil, "admin")),
        # at home under the actor's grant, holding Admin on a sibling branch
        "cross-branch": _account(latam, "cross.branch@acme.test", (dach, "admin")),
        "peer-manager": _account(latam, "peer.manager@acme.test", (latam, "organization-manager")),
        "peer-assistant": _account(
            latam, "peer.assistant@acme.test", (latam, "account-recovery-assistant")
        ),
        "customer": _account(brazil, "customer@acme.test"),
    }
    return Store(
        acme=acme,
        latam=latam,
        brazil=brazil,
        dach=dach,
        manager=_account(latam, "manager@acme.test", (latam, "organization-manager")),
        assistant=_account(latam, "assistant@acme.test", (latam, "account-recovery-assistant")),
        admin=_account(latam, "admin@acme.test", (latam, "admin")),
        targets=targets,
    )


REASON = "ticket 4711"


def _otp(actor: Any, target: Any) -> Any:
    return security_actions.add_otp_authenticator(
        actor=as_admin(actor),
        account=target,
        kind="email_otp",
        identifier="evil@attacker.test",
        reason=REASON,
    )


def _remove_authn(actor: Any, target: Any) -> Any:
    authenticator = Authenticator.objects.filter(account=target).first()
    return security_actions.remove_authenticator(
        actor=as_admin(actor), authenticator=authenticator, reason=REASON
    )


def _group(actor: Any, target: Any) -> Any:
    group, _ = Group.objects.get_or_create(organization=target.organization, name="Staff")
    return account_actions.add_to_group(actor=as_admin(actor), account=target, group=group)


def _verify(actor: Any, target: Any) -> Any:
    from orgdesk.verification.actions import verify_manually

    policy, _ = VerificationPolicy.objects.get_or_create(
        name="ID check", defaults={"method": VerificationPolicy.Method.choices[0][0]}
    )
    policy.organizations.add(target.organization.root_id)
    return verify_manually(actor=as_admin(actor), account=target, policy=policy, reason=REASON)


# name, permission needed on the organization, changes sign-in?, run(actor, target)
ACTIONS: list[tuple[str, str, bool, Callable[[Any, Any], Any]]] = [
    (
        "change email",
        "accounts.edit",
        True,
        lambda a, t: account_actions.update_account(
            actor=as_admin(a), account=t, changes={"email": "evil@attacker.test"}, reason=REASON
        ),
    ),
    (
        "change phone",
        "accounts.edit",
        True,
        lambda a, t: account_actions.update_account(
            actor=as_admin(a), account=t, changes={"phone": "+33699999999"}, reason=REASON
        ),
    ),
    (
        "change username",
        "accounts.edit",
        True,
        lambda a, t: account_actions.update_account(
            actor=as_admin(a), account=t, changes={"username": "taken-over"}, reason=REASON
        ),
    ),
    (
        "password reset",
        "accounts.reset_password",
        True,
        lambda a, t: account_actions.send_password_reset(
            actor=as_admin(a), account=t, reason=REASON
        ),
    ),
    (
        "set password",
        "accounts.set_password",
        True,
        lambda a, t: account_actions.set_password(
            actor=as_admin(a), account=t, password=NEW_PASSWORD, reason=REASON
        ),
    ),
    ("add email code authenticator", "authenticators.manage", True, _otp),
    ("delete authenticator", "authenticators.manage", True, _remove_authn),
    (
        "enrolment link",
        "authenticators.manage",
        True,
        lambda a, t: security_actions.send_enrolment_link(
            actor=as_admin(a), account=t, method="totp", reason=REASON
        ),
    ),
    (
        "clear sessions",
        "sessions.clear",
        False,
        lambda a, t: security_actions.clear_sessions(actor=as_admin(a), account=t, reason=REASON),
    ),
    (
        "disable",
        "accounts.disable",
        False,
        lambda a, t: account_actions.disable_account(actor=as_admin(a), account=t, reason=REASON),
    ),
    (
        "edit profile",
        "accounts.edit",
        False,
        lambda a, t: account_actions.update_account(
            actor=as_admin(a), account=t, changes={"city": "Recife"}
        ),
    ),
    ("add to group", "groups.manage", False, _group),
    ("verify identity", "identity.verify", False, _verify),
]

ACTORS = {
    "manager": "organization-manager",
    "assistant": "account-recovery-assistant",
    "admin": "admin",
}


def expected(actor_key: str, target_key: str, permission: str, sign_in: bool) -> bool:
    """The rule, written out per case (not computed by the code under test)."""
    held = role(ACTORS[actor_key]).permission_set
    if permission not in held:
        return False  # the plain permission check refuses first
    if target_key == "customer":
        return True
    if actor_key == "admin":
        # An Admin of Latin America holds everything there and below, nothing on DACH.
        return target_key != "cross-branch"
    if target_key in ("own-admin", "child-admin", "cross-branch"):
        return False  # rule 1: the target holds more than the actor
    # A peer with the same role: rule 1 allows; an administrator's sign-in methods need the
    # role-granting permission, which neither a manager nor an assistant holds.
    if actor_key == "assistant" and target_key == "peer-manager":
        return False  # a manager holds permissions an assistant lacks
    # The same role, or (a manager against an assistant) less than the actor's.
    return not sign_in


def _snapshot(account: Account) -> tuple[Any, ...]:
    account = Account.objects.get(pk=account.pk)
    return (
        account.email,
        account.phone,
        account.username,
        account.password,
        account.status,
        account.city,
        Authenticator.objects.filter(account=account).count(),
        CustomerSession.objects.filter(account=account, revoked_at__isnull=True).count(),
        account.memberships.count(),
    )


CASES = [
    pytest.param(actor, target, name, permission, sign_in, run, id=f"{actor}-{target}-{name}")
    for actor in ACTORS
    for target in (
        "own-admin",
        "child-admin",
        "cross-branch",
        "peer-manager",
        "peer-assistant",
        "customer",
    )
    for name, permission, sign_in, run in ACTIONS
]


@pytest.mark.parametrize(("actor_key", "target_key", "name", "permission", "sign_in", "run"), CASES)
def test_battery(store, actor_key, target_key, name, permission, sign_in, run):
    actor = fresh(Account.objects.get(pk=getattr(store, actor_key).pk))
    target = Account.objects.select_related("organization").get(pk=store.targets[target_key].pk)
    CustomerSession.objects.create(
        account=target,
        key_hash=f"k-{target.pk.hex}",
        device="Firefox",
        ip="203.0.113.7",
        expires=target.created.replace(year=target.created.year + 1),
    )
    before = _snapshot(target)
    events = Event.objects.filter(account=target).count()
    allowed = expected(actor_key, target_key, permission, sign_in)
    if allowed:
        run(actor, target)
        assert Event.objects.filter(account=target).count() > events
    else:
        with pytest.raises(PermissionDenied):
            run(actor, target)
        assert _snapshot(target) == before, "a refused action wrote something"
        assert Event.objects.filter(account=target).count() == events
        assert not [m for m in mail.outbox if "evil@attacker.test" in m.to]


def test_the_screens_ask_the_same_predicate(store):
    """The details page offers what the actions allow: one predicate for both."""
    manager = store.manager
    own_admin = store.targets["own-admin"]
    found = standing(as_admin(manager), own_admin)
    assert found.read_only and "read-only" in found.message
    assert found.allowed(role("organization-manager").permission_set) <= {
        p for p in role("organization-manager").permission_set if p.endswith(".view")
    }
    peer = standing(as_admin(manager), store.targets["peer-manager"])
    assert not peer.read_only and peer.sign_in_locked and peer.needs_reason
    assert "accounts.reset_password" not in peer.allowed(
        role("organization-manager").permission_set
    )
    assert "accounts.disable" in peer.allowed(role("organization-manager").permission_set)
    assert standing(as_admin(manager), store.targets["customer"]).allowed(frozenset({"a"})) == {"a"}
    # the cross-branch target: its grant on DACH counts, though the actor cannot see DACH
    assert standing(as_admin(store.admin), store.targets["cross-branch"]).read_only
    assert not standing(as_admin(store.admin), store.targets["own-admin"]).read_only


def test_an_administrators_sign_in_change_needs_a_reason_and_a_recent_sign_in(store):
    admin = Account.objects.get(pk=store.admin.pk)
    peer = store.targets["own-admin"]
    with pytest.raises(ValidationError, match="give a reason"):
        account_actions.send_password_reset(actor=fresh(admin), account=peer, reason="  ")
    with pytest.raises(StepUpRequired):
        account_actions.send_password_reset(actor=as_admin(admin), account=peer, reason=REASON)
    with pytest.raises(StepUpRequired):
        account_actions.update_account(
            actor=as_admin(admin), account=peer, changes={"email": "new@acme.test"}, reason=REASON
        )
    # a customer's reset needs neither (the link goes to the customer's own address)
    account_actions.send_password_reset(actor=as_admin(admin), account=store.targets["customer"])
    account_actions.send_password_reset(actor=fresh(admin), account=peer, reason=REASON)
    event = Event.objects.filter(account=peer, type="account.password_reset_sent").get()
    assert event.metadata["reason"] == REASON


def test_a_disabled_admin_still_counts_as_an_admin(store):
    """Enabling a disabled Admin gives its grants back: a manager cannot enable it either."""
    target = store.targets["own-admin"]
    account_actions.disable_account(actor=fresh(store.admin), account=target, reason="leave")
    with pytest.raises(EscalationRefused):
        account_actions.enable_account(actor=fresh(store.manager), account=target)
    assert Account.objects.get(pk=target.pk).status == "disabled"


def test_brand_admin_manages_everyone_with_a_reason(store):
    brand = account_actions.create_account(
        actor=SYSTEM, organization=None, password=PASSWORD, is_staff=True, email="brand@acme.test"
    )
    brand = Account.objects.get(pk=brand.pk)
    target = store.targets["cross-branch"]
    with pytest.raises(ValidationError):
        account_actions.set_password(actor=fresh(brand), account=target, password=NEW_PASSWORD)
    account_actions.set_password(
        actor=fresh(brand), account=target, password=NEW_PASSWORD, reason="x"
    )
    # and a brand admin's account is read-only to every organization admin
    assert standing(as_admin(store.admin), brand).read_only


def test_granting_roles_to_a_more_powerful_account_is_refused(store):
    """Read-only means read-only: an Admin of Latin America cannot change the cross-branch
    account's roles either (it would manage an account holding Admin on DACH)."""
    with pytest.raises(EscalationRefused):
        grant_role(
            actor=fresh(store.admin),
            account=store.targets["cross-branch"],
            organization=store.latam,
            role=role("account-recovery-assistant"),
        )


# ---- the last-admin guard --------------------------------------------------------------


def test_the_last_admin_of_an_organization_cannot_be_disabled(store):
    brazil_admin = store.targets["child-admin"]  # the only Admin granted on Brazil
    # The LatAm admins can still grant roles on Brazil (their grant covers it): allowed.
    account_actions.disable_account(
        actor=fresh(store.admin), account=brazil_admin, reason="left the company"
    )
    # DACH's only role granter is the cross-branch account; a brand admin disabling it would
    # leave DACH with nobody who can grant roles.
    brand = account_actions.create_account(
        actor=SYSTEM, organization=None, password=PASSWORD, is_staff=True, email="brand@acme.test"
    )
    brand = fresh(Account.objects.get(pk=brand.pk))
    last = store.targets["cross-branch"]
    with pytest.raises(PermissionDenied, match="last person who can grant roles in Acme / DACH"):
        account_actions.disable_account(actor=as_admin(brand), account=last, reason="x")
    assert Account.objects.get(pk=last.pk).status == "enabled"
    # with a second Admin on Acme (above DACH) it goes through
    second = _account(store.acme, "second@acme.test", (store.acme, "admin"))
    assert second
    account_actions.disable_account(actor=as_admin(brand), account=last, reason="x")


def test_the_last_role_granting_grant_cannot_be_revoked(store):
    brand = account_actions.create_account(
        actor=SYSTEM, organization=None, password=PASSWORD, is_staff=True, email="brand@acme.test"
    )
    brand = fresh(Account.objects.get(pk=brand.pk))
    last = RoleAssignment.objects.get(
        account=store.targets["cross-branch"], organization=store.dach
    )
    with pytest.raises(PermissionDenied, match="last person"):
        revoke_role(actor=as_admin(brand), assignment=last, reason="x")
    assert RoleAssignment.objects.filter(pk=last.pk).exists()
    # a disabled admin's grant gives nobody the right: revoking it leaves nothing worse
    own = RoleAssignment.objects.get(account=store.targets["own-admin"])
    revoke_role(actor=as_admin(brand), assignment=own, reason="x")  # the other LatAm Admin remains


def test_an_account_keeping_the_right_elsewhere_may_lose_one_grant(store):
    brand = account_actions.create_account(
        actor=SYSTEM, organization=None, password=PASSWORD, is_staff=True, email="brand@acme.test"
    )
    brand = fresh(Account.objects.get(pk=brand.pk))
    cross = store.targets["cross-branch"]
    grant_role(actor=SYSTEM, account=cross, organization=store.acme, role=role("admin"))
    last = RoleAssignment.objects.get(account=cross, organization=store.dach)
    revoke_role(
        actor=as_admin(brand), assignment=last, reason="x"
    )  # its Acme grant still covers DACH
