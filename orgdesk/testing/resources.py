"""The resource battery: each resource an admin manages (accounts, invitations), described once
by what it is (how to seed rows, a filter and what it matches, a search, a create and an
update with how to tell they happened, which permission each operation needs), and generic
checks run against it: the list shows the organization's own rows, a filter narrows, the
search finds, the detail opens, create and update work, 403 without the permission, 404 for
another organization's object.

A description says nothing about URLs, forms or JSON. That is a `Surface`'s business: how a
client signed in as an account lists, opens, creates and updates a resource, and what
status a success answers. `PortalSurface` drives the portal's pages with Django's test Client
(tests/portal/test_resources.py). An API test module reuses RESOURCES and the `check_*`
functions as they are, with its own surface (say an `ApiSurface` whose `client_for` hands out
a token and whose `list` reads ids out of JSON) and its own success statuses (201 for create).

The world is orgdesk/testing/world.py's: rows are seeded in the admin's organization,
Acme / EMEA, and one each in Acme / Americas ("outside": the same tree, out of the admin's
reach) and Globex / Europe ("foreign": another tree). world.admin (Admin on EMEA) does
everything; world.admin_without(permission) is refused.
"""

import datetime as dt
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

from django.db.models import Model
from django.test import Client
from django.urls import reverse

from orgdesk.accounts import actions as account_actions
from orgdesk.accounts.models import Account
from orgdesk.invitations import actions as invitation_actions
from orgdesk.invitations.models import Invitation
from orgdesk.organizations.models import Organization
from orgdesk.testing.actors import SYSTEM
from orgdesk.testing.auth import portal_login
from orgdesk.testing.world import World

Op = Literal["list", "detail", "create", "update"]
OPS: tuple[Op, ...] = ("list", "detail", "create", "update")
OTHERS = ("outside", "foreign")  # another organization of the same tree; another tree


# ---- what a resource is --------------------------------------------------------------------


@dataclass(frozen=True)
class Rows:
    """What a resource's `seed` made: the admin's organization's rows by label, and one row
    in each of the other organizations (`OTHERS`), matching the filters and the search too
    so that scoping, not luck, keeps them out."""

    own: Mapping[str, Model]
    outside: Model
    foreign: Model

    def other(self, where: str) -> Model:
        return {"outside": self.outside, "foreign": self.foreign}[where]


@dataclass(frozen=True)
class Query:
    """A filter or a search: the parameters, and the labels of the own rows it must list
    (and nothing else of the organization: pick values the world's own rows do not match)."""

    params: Mapping[str, str]
    matches: frozenset[str]


@dataclass(frozen=True)
class Create:
    fields: Mapping[str, str]
    # Whether the row `fields` describe exists in the organization.
    made: Callable[[Organization], bool]


@dataclass(frozen=True)
class Update:
    row: str  # label of the own row changed
    fields: Mapping[str, str]
    # (the row before, the row after) -> whether the update happened
    applied: Callable[[Any, Any], bool]


@dataclass(frozen=True)
class Resource:
    name: str
    seed: Callable[[World], Rows]
    permissions: Mapping[Op, str]
    filters: tuple[Query, ...]
    search: Query | None
    create: Create
    update: Update
    # What an admin without an operation's permission is answered where it is not 403: an
    # object one may not view is not found (404), whether or not it exists.
    denied: Mapping[Op, int] = field(default_factory=dict)

    def refused_with(self, op: Op) -> int:
        return self.denied.get(op, 403)


def home(world: World) -> Organization:
    """Where the battery's own rows live and its admin lists them."""
    return world.emea


# ---- accounts --------------------------------------------------------------------------------


def _account(org: Organization, email: str, given: str, family: str) -> Account:
    return account_actions.create_account(
        actor=SYSTEM,
        organization=org,
        email=email,
        given_name=given,
        family_name=family,
        password="correct horse battery staple",
    )


def _seed_accounts(world: World) -> Rows:
    disabled = _account(world.emea, "yusuf.battery@acme.test", "Yusuf", "Quarry")
    account_actions.disable_account(actor=SYSTEM, account=disabled)
    outside = _account(world.americas, "zelda.outside@acme.test", "Zelda", "Quill")
    foreign = _account(world.globex_eu, "zelda.foreign@globex.test", "Zelda", "Quill")
    for other in (outside, foreign):
        account_actions.disable_account(actor=SYSTEM, account=other)
    return Rows(
        own={
            "zelda": _account(world.emea, "zelda.battery@acme.test", "Zelda", "Quill"),
            "yusuf": Account.objects.get(pk=disabled.pk),
        },
        outside=Account.objects.get(pk=outside.pk),
        foreign=Account.objects.get(pk=foreign.pk),
    )


ACCOUNTS = Resource(
    name="accounts",
    seed=_seed_accounts,
    permissions={
        "list": "accounts.view",
        "detail": "accounts.view",
        "create": "accounts.create",
        "update": "accounts.edit",
    },
    denied={"detail": 404},
    filters=(
        Query({"status": "disabled"}, frozenset({"yusuf"})),
        Query({"family_name": "quil"}, frozenset({"zelda"})),
    ),
    search=Query({"q": "zel"}, frozenset({"zelda"})),
    create=Create(
        {"given_name": "Nora", "family_name": "Battery", "email": "nora.battery@acme.test"},
        made=lambda org: Account.objects.filter(
            organization=org, email="nora.battery@acme.test", given_name="Nora"
        ).exists(),
    ),
    update=Update(
        "zelda",
        {"given_name": "Zora"},
        applied=lambda before, after: (
            after.given_name == "Zora" and after.email == before.email == "zelda.battery@acme.test"
        ),
    ),
)


# ---- invitations -----------------------------------------------------------------------------


def _invitation(org: Organization, email: str, *, sent_days_ago: int = 1) -> Invitation:
    """Issued by the real action, then moved into the past: a day ago is past the resend
    cooldown; longer than its validity ago, it is outdated."""
    options = invitation_actions.invitation_options(actor=SYSTEM, organization=org)
    invitation, _token = invitation_actions.issue_invitation(
        actor=SYSTEM, organization=org, email=email, options=options
    )
    ago = dt.timedelta(days=sent_days_ago)
    Invitation.objects.filter(pk=invitation.pk).update(
        last_sent=invitation.last_sent - ago,
        expires=invitation.expires - ago,
        created=invitation.created - ago,
    )
    return Invitation.objects.get(pk=invitation.pk)


def _seed_invitations(world: World) -> Rows:
    expired = invitation_actions.default_days() + 1
    return Rows(
        own={
            "zelda": _invitation(world.emea, "zelda.invitee@example.test"),
            "yusuf": _invitation(world.emea, "yusuf.invitee@example.test"),
            "olga": _invitation(world.emea, "olga.invitee@example.test", sent_days_ago=expired),
        },
        outside=_invitation(world.americas, "zelda.outside@example.test", sent_days_ago=expired),
        foreign=_invitation(world.globex_eu, "zelda.foreign@example.test", sent_days_ago=expired),
    )


INVITATIONS = Resource(
    name="invitations",
    seed=_seed_invitations,
    permissions={
        "list": "invitations.view",
        "detail": "invitations.view",
        "create": "invitations.manage",
        "update": "invitations.manage",
    },
    filters=(
        Query({"email": "zel"}, frozenset({"zelda"})),
        Query({"status": "outdated"}, frozenset({"olga"})),
    ),
    search=None,  # the Invitations tab has filters only
    create=Create(
        {"email": "nora.invitee@example.test", "given_name": "Nora", "family_name": "Battery"},
        made=lambda org: Invitation.objects.filter(
            organization=org, email="nora.invitee@example.test", status=Invitation.Status.PENDING
        ).exists(),
    ),
    # An invitation's update is resending it: a new link, sent now, valid from now.
    update=Update(
        "olga",
        {},
        applied=lambda before, after: (
            after.token_hash != before.token_hash
            and after.last_sent > before.last_sent
            and after.state == "pending"
        ),
    ),
)

RESOURCES = [ACCOUNTS, INVITATIONS]


# ---- how a client reaches a resource ---------------------------------------------------------


@dataclass(frozen=True)
class Listing:
    status: int
    ids: frozenset[str]  # primary keys of the rows shown


class Surface(Protocol):
    """One way in to the resources: the portal's pages, the API's endpoints."""

    # The status each operation answers when it succeeds.
    ok: Mapping[Op, int]

    def client_for(self, account: Account) -> Any: ...

    def list(
        self, client: Any, resource: Resource, org: Organization, params: Mapping[str, str]
    ) -> Listing: ...

    def detail(self, client: Any, resource: Resource, org: Organization, row: Model) -> int: ...

    def create(
        self, client: Any, resource: Resource, org: Organization, fields: Mapping[str, str]
    ) -> int: ...

    def update(
        self,
        client: Any,
        resource: Resource,
        org: Organization,
        row: Model,
        fields: Mapping[str, str],
    ) -> int: ...


@dataclass(frozen=True)
class PortalPages:
    """A resource in the portal: its URL names and how its forms are filled in."""

    list: str  # portal:<list>, args (organization key)
    detail: str  # args (organization key, pk)
    create: str  # args (organization key)
    update: str  # args (organization key, pk); POSTed
    create_form: Callable[[Mapping[str, str]], dict[str, str]]
    # (the row as it is now, the fields changed) -> the form posted
    update_form: Callable[[Any, Mapping[str, str]], dict[str, str]]


EDITABLE = ("username", "email", "phone", "given_name", "family_name", "display_name")

PORTAL_PAGES = {
    "accounts": PortalPages(
        list="accounts",
        detail="account",
        create="account_create",
        update="account_edit",
        create_form=lambda fields: {
            "username": "",
            "phone": "",
            "password_choice": "set",
            "password": "a long enough new passphrase",
            **fields,
        },
        # The edit form is the whole of the account's editable fields, as read.
        update_form=lambda row, fields: {
            **{name: getattr(row, name) for name in EDITABLE},
            **fields,
        },
    ),
    "invitations": PortalPages(
        list="invitations",
        detail="invitation",
        create="invitation_create",
        update="invitation_resend",
        create_form=lambda fields: {
            "days": str(invitation_actions.default_days()),
            "locale": "en",
            **fields,
        },
        update_form=lambda row, fields: dict(fields),
    ),
}


class PortalSurface:
    """The portal's pages through Django's test Client, signed in with a fresh sign-in (no
    step-up asked). Forms answer with a redirect when they succeed."""

    ok: Mapping[Op, int] = {"list": 200, "detail": 200, "create": 302, "update": 302}

    def client_for(self, account: Account) -> Client:
        client = Client()
        portal_login(client, account)
        return client

    def list(
        self, client: Client, resource: Resource, org: Organization, params: Mapping[str, str]
    ) -> Listing:
        base = reverse(f"portal:{PORTAL_PAGES[resource.name].list}", args=[org.key])
        # Never a bare URL (it would go to the admin's remembered filters); one page of 100.
        response = client.get(base, {**params, "size": "100"})
        if response.status_code != 200:
            return Listing(response.status_code, frozenset())
        html = response.content.decode()
        start = html.index('<section id="results"')
        results = html[start : html.index("</section>", start)]
        rows = re.findall(rf'href="{re.escape(base)}/([0-9a-f-]{{36}})"', results)
        return Listing(200, frozenset(rows))

    def detail(self, client: Client, resource: Resource, org: Organization, row: Model) -> int:
        url = reverse(f"portal:{PORTAL_PAGES[resource.name].detail}", args=[org.key, row.pk])
        return client.get(url).status_code

    def create(
        self, client: Client, resource: Resource, org: Organization, fields: Mapping[str, str]
    ) -> int:
        pages = PORTAL_PAGES[resource.name]
        url = reverse(f"portal:{pages.create}", args=[org.key])
        return client.post(url, pages.create_form(fields)).status_code

    def update(
        self,
        client: Client,
        resource: Resource,
        org: Organization,
        row: Model,
        fields: Mapping[str, str],
    ) -> int:
        pages = PORTAL_PAGES[resource.name]
        url = reverse(f"portal:{pages.update}", args=[org.key, row.pk])
        return client.post(url, pages.update_form(row, fields)).status_code


# ---- the checks --------------------------------------------------------------------------------


def ids(*rows: Model) -> frozenset[str]:
    return frozenset(str(row.pk) for row in rows)


def _labelled(rows: Rows, labels: frozenset[str]) -> frozenset[str]:
    return ids(*(rows.own[label] for label in labels))


def _reloaded(row: Model) -> Any:
    return type(row)._default_manager.get(pk=row.pk)


def _state(row: Model) -> dict[str, Any]:
    fresh = _reloaded(row)
    return {f.attname: getattr(fresh, f.attname) for f in fresh._meta.concrete_fields}


def check_list_shows_own_rows(surface: Surface, world: World, resource: Resource) -> None:
    rows = resource.seed(world)
    listing = surface.list(surface.client_for(world.admin), resource, home(world), {})
    assert listing.status == surface.ok["list"]
    assert ids(*rows.own.values()) <= listing.ids
    assert not ids(rows.outside, rows.foreign) & listing.ids


def check_filter_narrows(surface: Surface, world: World, resource: Resource) -> None:
    rows = resource.seed(world)
    client = surface.client_for(world.admin)
    everything = surface.list(client, resource, home(world), {}).ids
    for query in resource.filters:
        listing = surface.list(client, resource, home(world), query.params)
        assert listing.status == surface.ok["list"], query.params
        assert listing.ids == _labelled(rows, query.matches), query.params
        assert listing.ids < everything, query.params


def check_search_finds(surface: Surface, world: World, resource: Resource) -> None:
    assert resource.search is not None
    rows = resource.seed(world)
    client = surface.client_for(world.admin)
    listing = surface.list(client, resource, home(world), resource.search.params)
    assert listing.status == surface.ok["list"]
    assert listing.ids == _labelled(rows, resource.search.matches)
    nothing = {key: "nobody-matches-this" for key in resource.search.params}
    assert surface.list(client, resource, home(world), nothing).ids == frozenset()


def check_detail(surface: Surface, world: World, resource: Resource) -> None:
    rows = resource.seed(world)
    client = surface.client_for(world.admin)
    for label, row in rows.own.items():
        assert surface.detail(client, resource, home(world), row) == surface.ok["detail"], label


def check_create(surface: Surface, world: World, resource: Resource) -> None:
    resource.seed(world)
    org = home(world)
    assert not resource.create.made(org)
    status = surface.create(surface.client_for(world.admin), resource, org, resource.create.fields)
    assert status == surface.ok["create"]
    assert resource.create.made(org)


def check_update(surface: Surface, world: World, resource: Resource) -> None:
    rows = resource.seed(world)
    row = rows.own[resource.update.row]
    before = _reloaded(row)
    client = surface.client_for(world.admin)
    status = surface.update(client, resource, home(world), before, resource.update.fields)
    assert status == surface.ok["update"]
    assert resource.update.applied(before, _reloaded(row))


def _attempt(
    surface: Surface, client: Any, resource: Resource, op: Op, org: Organization, row: Model
) -> int:
    if op == "list":
        return surface.list(client, resource, org, {}).status
    if op == "detail":
        return surface.detail(client, resource, org, row)
    if op == "create":
        return surface.create(client, resource, org, resource.create.fields)
    return surface.update(client, resource, org, _reloaded(row), resource.update.fields)


def check_refused_without_permission(
    surface: Surface, world: World, resource: Resource, op: Op
) -> None:
    """An admin holding everything on the organization but the operation's permission is
    refused (403, or what the resource declares), and nothing changes."""
    rows = resource.seed(world)
    row = rows.own[resource.update.row]
    before = _state(row)
    client = surface.client_for(world.admin_without(resource.permissions[op]))
    status = _attempt(surface, client, resource, op, home(world), row)
    assert status == resource.refused_with(op)
    assert _state(row) == before
    assert not resource.create.made(home(world))


def check_other_organization(
    surface: Surface, world: World, resource: Resource, op: Op, where: str
) -> None:
    """Another organization's object, or list, is not found (404) for an admin with every
    permission on their own: through their organization's address and through its own."""
    rows = resource.seed(world)
    row = rows.other(where)
    other = _reloaded(row).organization
    before = _state(row)
    client = surface.client_for(world.admin)
    for org in (home(world), other):
        if op in ("list", "create") and org == home(world):
            continue  # the admin's own list and create are no other organization's
        status = _attempt(surface, client, resource, op, org, row)
        assert status == 404, org.route
    assert _state(row) == before
    assert not resource.create.made(other)
