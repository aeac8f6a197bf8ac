"""Who is acting: one type for every caller of a read or a write.

An `Actor` says who acts (an admin account, an API client, a SCIM token, a customer, or the
system), through which channel, when it last authenticated, and where its role grants come
from. `restrict()`, `require()`, the protection rules, step-up and the event recorder all take
one, so a new caller (the API, SCIM, the customer side) is a new way to build an Actor, not a
new set of checks.

- An **admin** is a signed-in account. Its grants are the account's role assignments, read
  once per Actor; a brand admin (a staff account) is unlimited.
- An **API client** or a **SCIM token** carries grants of its own, given when the Actor is
  built (from the client's role grants, never more than its creator's).
- **Self-service** is a person acting on their own account: a customer on the customer side
  (`Actor.customer`), or an admin on the portal's own sign-in and security pages
  (`Actor.self_service`). It holds no organization grants.
- **Anonymous** is someone not signed in (a failed sign-in, an invitation link): no grants.
- The **system** (scripts, the demo seeder, background jobs) is trusted: it may see and do
  everything and is never asked to step up. It is always said explicitly with
  `Actor.system()`; no function reads `None` as "the system".
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import TYPE_CHECKING

from django.utils import timezone

if TYPE_CHECKING:
    from orgdesk.access.scoping import Authority
    from orgdesk.accounts.models import Account


class Kind(StrEnum):
    ADMIN = "admin"
    API_CLIENT = "api_client"
    SCIM_TOKEN = "scim_token"  # noqa: S105 (a kind of actor, not a secret)
    SELF = "self"
    ANONYMOUS = "anonymous"
    SYSTEM = "system"


class Channel(StrEnum):
    PORTAL = "portal"
    CONSOLE = "console"
    API = "api"
    SCIM = "scim"
    CUSTOMER = "customer"
    CLI = "cli"
    JOB = "job"


@dataclass(frozen=True)
class Grant:
    """One role held over one organization's subtree."""

    organization_id: uuid.UUID
    path: str
    root_id: uuid.UUID | None  # the organization's tree root (a nullable column)
    role_id: uuid.UUID
    role_slug: str
    permissions: frozenset[str]


@dataclass(eq=False)
class Actor:
    kind: Kind
    channel: Channel
    account: Account | None = None
    # The API client's or SCIM token's own id, for the audit trail.
    principal: str = ""
    label: str = ""
    authenticated_at: dt.datetime | None = None
    ip: str | None = None
    # Given for clients and tokens; None means "read the account's role assignments".
    grants: tuple[Grant, ...] | None = None
    # Filled by access.scoping.authority() on first use, for the rest of this Actor's life.
    authority_cache: Authority | None = field(default=None, init=False, repr=False)

    # --- the ways to build one -------------------------------------------------------------

    @classmethod
    def admin(
        cls,
        account: Account,
        *,
        channel: Channel = Channel.PORTAL,
        authenticated_at: dt.datetime | None = None,
        ip: str | None = None,
    ) -> Actor:
        return cls(Kind.ADMIN, channel, account=account, authenticated_at=authenticated_at, ip=ip)

    @classmethod
    def system(cls, *, channel: Channel = Channel.JOB, label: str = "system") -> Actor:
        return cls(Kind.SYSTEM, channel, label=label)

    @classmethod
    def client(
        cls,
        kind: Kind,
        *,
        principal: str,
        grants: tuple[Grant, ...],
        label: str = "",
        channel: Channel = Channel.API,
        authenticated_at: dt.datetime | None = None,
        ip: str | None = None,
    ) -> Actor:
        if kind not in (Kind.API_CLIENT, Kind.SCIM_TOKEN):
            raise ValueError(f"a client actor is an API client or a SCIM token, not {kind}")
        return cls(
            kind,
            channel,
            principal=principal,
            label=label,
            grants=tuple(grants),
            authenticated_at=authenticated_at,
            ip=ip,
        )

    @classmethod
    def customer(
        cls,
        account: Account,
        *,
        authenticated_at: dt.datetime | None = None,
        ip: str | None = None,
    ) -> Actor:
        return cls.self_service(
            account, channel=Channel.CUSTOMER, authenticated_at=authenticated_at, ip=ip
        )

    @classmethod
    def self_service(
        cls,
        account: Account,
        *,
        channel: Channel,
        authenticated_at: dt.datetime | None = None,
        ip: str | None = None,
    ) -> Actor:
        return cls(
            Kind.SELF,
            channel,
            account=account,
            authenticated_at=authenticated_at,
            ip=ip,
            grants=(),
        )

    @classmethod
    def anonymous(cls, *, channel: Channel, ip: str | None = None) -> Actor:
        return cls(Kind.ANONYMOUS, channel, ip=ip, grants=())

    def as_self(self) -> Actor:
        """The same account acting on its own behalf (its own sign-in methods, its own
        sessions), with no grants: what an admin does on their security page."""
        return replace(self, kind=Kind.SELF, grants=())

    def authenticated_now(self) -> Actor:
        """The same actor, as if it had just confirmed its identity (step-up)."""
        return replace(self, authenticated_at=timezone.now())

    # --- questions --------------------------------------------------------------------------

    @property
    def is_system(self) -> bool:
        return self.kind is Kind.SYSTEM

    @property
    def is_brand(self) -> bool:
        """A brand admin: an active staff account signed in as an admin."""
        account = self.account
        return bool(
            self.kind is Kind.ADMIN
            and account is not None
            and account.is_active
            and account.is_staff
        )

    @property
    def admin_account(self) -> Account | None:
        """The admin account acting, for "granted by", "verified by" and the audit trail."""
        return self.account if self.kind is Kind.ADMIN else None

    @property
    def account_id(self) -> uuid.UUID | None:
        return self.account.pk if self.account is not None else None

    def is_account(self, account: Account) -> bool:
        """Whether this actor is `account` acting (an admin on themselves, a customer)."""
        return self.account is not None and self.account.pk == account.pk

    def __repr__(self) -> str:
        who = self.account.pk if self.account is not None else self.principal or self.label
        return f"<Actor {self.kind} {who} via {self.channel}>"
