"""The generation run: organizations first, then accounts with everything that hangs off
them, written in batches so memory stays flat whatever the size."""

import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, connection

from orgdesk.access.models import RoleAssignment
from orgdesk.accounts.models import Account, ExternalIdentity, Group, GroupMembership
from orgdesk.activity.models import Event
from orgdesk.consents.models import ConsentRecord
from orgdesk.generator import indexes, pools, trees
from orgdesk.generator.builders.access import ROLE_ASSIGNMENT_COLUMNS, GrantBuilder
from orgdesk.generator.builders.accounts import (
    ACCOUNT_COLUMNS,
    EXTERNAL_IDENTITY_COLUMNS,
    GROUP_MEMBERSHIP_COLUMNS,
    AccountBuilder,
    identity_rows,
    membership_rows,
)
from orgdesk.generator.builders.activity import EVENT_COLUMNS, EventBuilder
from orgdesk.generator.builders.consents import CONSENT_RECORD_COLUMNS, consent_rows
from orgdesk.generator.builders.invitations import INVITATION_COLUMNS, InvitationBuilder
from orgdesk.generator.builders.notifications import NOTIFICATION_COLUMNS, NotificationBuilder
from orgdesk.generator.builders.organizations import (
    GROUP_COLUMNS,
    ORGANIZATION_COLUMNS,
    group_rows,
    organization_row,
)
from orgdesk.generator.builders.security import (
    AUTHENTICATOR_COLUMNS,
    CUSTOMER_SESSION_COLUMNS,
    SessionBuilder,
    authenticator_rows,
)
from orgdesk.generator.builders.verification import VERIFICATION_RESULT_COLUMNS, verification_rows
from orgdesk.generator.draws import Draws
from orgdesk.generator.plan import GenerateError, Plan
from orgdesk.generator.reference import Reference, load_reference
from orgdesk.generator.trees import Org
from orgdesk.generator.writer import Writer
from orgdesk.invitations.models import Invitation
from orgdesk.notifications.models import Notification
from orgdesk.organizations.models import Organization
from orgdesk.security.models import Authenticator, CustomerSession
from orgdesk.verification.models import VerificationResult


@dataclass
class Report:
    seconds: float
    rows: dict[str, int]
    organizations: int
    accounts: int
    trees: list[str]

    def as_dict(self) -> dict[str, Any]:
        return {
            "seconds": round(self.seconds, 2),
            "organizations": self.organizations,
            "accounts": self.accounts,
            "trees": self.trees,
            "rows": self.rows,
        }


class Generator:
    def __init__(
        self, plan: Plan, progress: Callable[[str], None] | None = None, *, threaded: bool = True
    ) -> None:
        self.plan = plan
        self.draws = Draws(plan.seed, plan.anchor)
        self.progress = progress or (lambda _msg: None)
        self.writer = Writer(threaded=threaded)
        # Accounts granted a role so far, in grant order: the actors of admin events.
        self.admins: list[uuid.UUID] = []
        self.ref: Reference

    def prepare_reference_data(self) -> None:
        self.ref = load_reference()

    def build_trees(self) -> list[Org]:
        taken = set(Organization.objects.filter(parent__isnull=True).values_list("slug", flat=True))
        return trees.build_trees(self.plan, self.draws, taken)

    def write_orgs(self, orgs: list[Org]) -> None:
        draws, w = self.draws, self.writer
        organizations = w.table(Organization, ORGANIZATION_COLUMNS)
        groups = w.table(Group, GROUP_COLUMNS)
        start = draws.anchor_ts - 4 * 365 * 86400
        for org in orgs:
            created = draws.ts_between(start, start + 86400 * 300)
            organizations.add(organization_row(org, created, self.ref.portal_id))
            groups.extend(group_rows(draws, org, created))
        w.flush()
        w.close()
        # Policies a tree's admins may apply: every root gets two of them.
        for root in (o for o in orgs if o.parent is None):
            policies = draws.rng.sample(self.ref.verification_policies, 2)
            self.ref.tree_policies[root.id] = policies
            for policy in policies:
                policy.organizations.add(root.id)  # type: ignore[arg-type]  # a pk is accepted; the stubs say int
        w.tables.clear()

    def write_accounts(self, orgs: list[Org]) -> dict[str, int]:
        plan, draws, ref, w = self.plan, self.draws, self.ref, self.writer
        # Tables in the order they are flushed: parents first.
        account_t = w.table(Account, ACCOUNT_COLUMNS)
        identity_t = w.table(ExternalIdentity, EXTERNAL_IDENTITY_COLUMNS)
        membership_t = w.table(GroupMembership, GROUP_MEMBERSHIP_COLUMNS)
        grant_t = w.table(RoleAssignment, ROLE_ASSIGNMENT_COLUMNS)
        authenticator_t = w.table(Authenticator, AUTHENTICATOR_COLUMNS)
        session_t = w.table(CustomerSession, CUSTOMER_SESSION_COLUMNS)
        event_t = w.table(Event, EVENT_COLUMNS)
        notification_t = w.table(Notification, NOTIFICATION_COLUMNS)
        verification_t = w.table(VerificationResult, VERIFICATION_RESULT_COLUMNS)
        consent_t = w.table(ConsentRecord, CONSENT_RECORD_COLUMNS)

        ips = pools.public_ip_pool(draws.rng, 4000)  # drawn before the accounts' org weights
        accounts = AccountBuilder(draws, plan, orgs, ips)
        grants = GrantBuilder(draws, ref.roles, orgs, self.admins)
        sessions = SessionBuilder(draws, ips, ref.apps)
        events = EventBuilder(draws, ips, self.admins, plan.events_per_account)
        notifications = NotificationBuilder(draws, ref.templates)

        started = time.monotonic()
        for n in range(plan.accounts):
            # The order of these calls is the order of the draws: changing it changes the
            # data every seed gives.
            # The events come after the rows they tell of (they read what the builders
            # before them noted on the customer), the account's row last (its `updated`).
            customer, row = accounts.draw(n)
            identity_t.extend(identity_rows(draws, customer))
            membership_t.extend(membership_rows(draws, customer))
            grant_t.extend(grants.rows(customer))
            authenticator_t.extend(authenticator_rows(draws, customer))
            session_t.extend(sessions.rows(customer))
            verification_t.extend(verification_rows(draws, ref.tree_policies, customer))
            consent_t.extend(consent_rows(draws, ref.consent_policies, customer))
            event_t.extend(events.rows(customer))
            event_t.extend(events.disabling_rows(customer))
            notification_t.extend(notifications.rows(customer))
            account_t.add(accounts.complete(customer, row))
            if (n + 1) % plan.batch_size == 0:
                w.flush()
                done = n + 1
                rate = done / max(time.monotonic() - started, 1e-6)
                self.progress(f"accounts {done:,}/{plan.accounts:,} ({rate:,.0f}/s)")
        w.flush()
        w.close()
        rows = {t.name: t.written for t in w.tables}
        w.tables.clear()
        return rows

    def write_invitations(self, orgs: list[Org]) -> int:
        w = self.writer
        table = w.table(Invitation, INVITATION_COLUMNS)
        invitations = InvitationBuilder(self.draws, self.plan.seed, self.ref.portal_id, self.admins)
        for i in range(max(len(orgs), self.plan.accounts // 50)):
            table.add(invitations.row(i, orgs[i % len(orgs)]))
            if len(table.rows) >= self.plan.batch_size:
                w.flush()
        w.flush()
        w.close()
        written = table.written
        w.tables.clear()
        return written


def generate(
    plan: Plan, progress: Callable[[str], None] | None = None, *, threaded: bool = True
) -> Report:
    """Write the plan's data. `threaded=False` writes on the caller's connection (tests)."""
    plan.check()
    say = progress or (lambda _msg: None)
    started = time.monotonic()
    gen = Generator(plan, progress, threaded=threaded)
    gen.prepare_reference_data()
    orgs = gen.build_trees()
    # Keys come from the seed alone (not the RNG stream), so they identify a seed's data.
    if Organization.objects.filter(key__in=[o.key for o in orgs[:3]]).exists():
        raise GenerateError(
            f"data from seed {plan.seed} is already in this database; use another --seed"
        )
    if connection.vendor == "postgresql":
        indexes.restore(say)  # left over from an interrupted run
    suspended = indexes.suspend() if indexes.worth_suspending(plan.accounts) else []
    if suspended:
        say(f"{len(suspended)} secondary indexes dropped for the load; rebuilt at the end")
    try:
        gen.write_orgs(orgs)
        say(f"organizations {len(orgs):,} in {plan.trees} tree(s)")
        rows = gen.write_accounts(orgs)
        rows["invitations_invitation"] = gen.write_invitations(orgs)
    except IntegrityError as exc:
        raise GenerateError(f"the database refused generated rows: {exc}".splitlines()[0]) from None
    finally:
        gen.writer.abort()  # no-op after a clean run; after a failure, frees the tables
        if suspended:
            indexes.restore(say)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    rows["organizations_organization"] = len(orgs)
    return Report(
        seconds=time.monotonic() - started,
        rows=rows,
        organizations=len(orgs),
        accounts=plan.accounts,
        trees=[o.route for o in orgs if o.parent is None],
    )
