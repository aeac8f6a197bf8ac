"""Applications, the way Auth0 models them: an application is its own client (`client_id`),
and its "organizations" setting says whether organizations sign in through it. The built-in
Organization Portal is one of them.

Every write is brand-only, keyword-only with the actor first, and records its event in the
same transaction; what it refuses is an ApplicationError naming the field at fault. The reads
the console needs are at the end."""

import enum
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Literal
from urllib.parse import urlsplit

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import IntegrityError, transaction
from django.db.models import Count, ProtectedError
from django.db.models.functions import Lower
from django.utils.text import Truncator
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from orgdesk.access.actor import Actor
from orgdesk.access.scoping import require_brand
from orgdesk.activity.recorder import record
from orgdesk.branding.models import BrandingPolicy
from orgdesk.organizations.models import Application, Organization

NAME_MAX_LENGTH = 200
CLIENT_ID_MAX_LENGTH = 100
MAX_REDIRECT_URIS = 20
REDIRECT_URI_MAX_LENGTH = 2000
# Hosts a redirect URI may reach over plain http: a developer's own machine.
LOCAL_HOSTS = frozenset({"localhost", "127.0.0.1"})
# Lowercase letters, digits, hyphens and underscores, starting and ending with a letter or a
# digit: a client ID is written into URLs and configuration files as it is.
_CLIENT_ID = re.compile(r"[a-z0-9](?:[a-z0-9_-]*[a-z0-9])?")
# Paths of the console's Applications section that a client ID would shadow.
RESERVED_CLIENT_IDS = frozenset({"new"})

_url = URLValidator(schemes=["http", "https"])


class ApplicationError(ValueError):
    """An application change that cannot be made; the message says why, `field` names the
    value at fault (None: the change as a whole)."""

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


class _Keep(enum.Enum):
    KEEP = "keep"


# update_application(): a value left as it is.
KEEP: Literal[_Keep.KEEP] = _Keep.KEEP


# ---- validation ----------------------------------------------------------------------------


def clean_name(name: str) -> str:
    name = (name or "").strip()
    if not name:
        raise ApplicationError(_("An application needs a name."), field="name")
    if len(name) > NAME_MAX_LENGTH:
        raise ApplicationError(
            _("An application name is at most %(max)s characters.") % {"max": NAME_MAX_LENGTH},
            field="name",
        )
    if any(ord(ch) < 32 or ord(ch) == 127 for ch in name):
        raise ApplicationError(
            _("An application name cannot contain control characters."), field="name"
        )
    return name


def clean_client_id(client_id: str) -> str:
    client_id = (client_id or "").strip().lower()
    if not client_id:
        raise ApplicationError(_("An application needs a client ID."), field="client_id")
    if len(client_id) > CLIENT_ID_MAX_LENGTH:
        raise ApplicationError(
            _("A client ID is at most %(max)s characters.") % {"max": CLIENT_ID_MAX_LENGTH},
            field="client_id",
        )
    if not _CLIENT_ID.fullmatch(client_id):
        raise ApplicationError(
            _(
                "A client ID holds lowercase letters, digits, hyphens and underscores, and "
                "starts and ends with a letter or a digit."
            ),
            field="client_id",
        )
    if client_id in RESERVED_CLIENT_IDS:
        raise ApplicationError(
            _("%(client_id)s is reserved: choose another client ID.") % {"client_id": client_id},
            field="client_id",
        )
    return client_id


def clean_kind(kind: str, *, builtin: bool = False) -> str:
    """A kind of Application.Kind; the Organization portal kind is the built-in one's alone."""
    if kind not in Application.Kind.values:
        raise ApplicationError(_("Choose a kind of application."), field="kind")
    if kind == Application.Kind.PORTAL and not builtin:
        raise ApplicationError(
            _("Only the built-in Organization Portal is of the Organization portal kind."),
            field="kind",
        )
    return kind


def _shown(uri: str) -> str:
    return Truncator(uri).chars(80)


def clean_redirect_uri(raw: str) -> str:
    """An absolute https URL, or http to localhost or 127.0.0.1; no fragment, no user name
    or password."""
    uri = raw.strip()
    if len(uri) > REDIRECT_URI_MAX_LENGTH:
        raise ApplicationError(
            _("A redirect URI is at most %(max)s characters.") % {"max": REDIRECT_URI_MAX_LENGTH},
            field="redirect_uris",
        )
    not_absolute = ApplicationError(
        _(
            "%(uri)s is not an absolute https URL (http is allowed for localhost and "
            "127.0.0.1 only)."
        )
        % {"uri": _shown(uri)},
        field="redirect_uris",
    )
    if any(ch.isspace() or ord(ch) < 32 or ord(ch) == 127 for ch in uri):
        raise not_absolute
    try:
        parts = urlsplit(uri)
        host = parts.hostname
        parts.port  # noqa: B018 (raises ValueError on a port out of range)
    except ValueError:
        raise not_absolute from None
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https") or not host:
        raise not_absolute
    if "#" in uri:
        raise ApplicationError(
            _("%(uri)s has a fragment (#…): a redirect URI cannot have one.")
            % {"uri": _shown(uri)},
            field="redirect_uris",
        )
    if "@" in parts.netloc:
        raise ApplicationError(
            _("%(uri)s holds a user name or password: a redirect URI cannot.")
            % {"uri": _shown(uri)},
            field="redirect_uris",
        )
    if scheme == "http" and host not in LOCAL_HOSTS:
        raise ApplicationError(
            _("%(uri)s uses http: only https is allowed, except for localhost and 127.0.0.1.")
            % {"uri": _shown(uri)},
            field="redirect_uris",
        )
    try:
        _url(uri)
    except ValidationError:
        raise not_absolute from None
    return uri


def clean_redirect_uris(uris: Iterable[str]) -> list[str]:
    """The redirect URIs, each checked, blank ones and repeats dropped, at most
    MAX_REDIRECT_URIS."""
    unique = list(dict.fromkeys(uri.strip() for uri in uris if uri and uri.strip()))
    if len(unique) > MAX_REDIRECT_URIS:
        raise ApplicationError(
            _("An application has at most %(max)s redirect URIs.") % {"max": MAX_REDIRECT_URIS},
            field="redirect_uris",
        )
    return [clean_redirect_uri(uri) for uri in unique]


def _existing_policy(policy: BrandingPolicy | None) -> BrandingPolicy | None:
    if policy is not None and not BrandingPolicy.objects.filter(pk=policy.pk).exists():
        raise ApplicationError(_("That branding policy no longer exists."), field="branding_policy")
    return policy


def _locked(application: Application) -> Application:
    app = Application.objects.select_for_update().filter(pk=application.pk).first()
    if app is None:
        raise ApplicationError(_("This application no longer exists."))
    return app


def _policy_name(policy: BrandingPolicy | None) -> str | None:
    return policy.name if policy is not None else None


# ---- writes --------------------------------------------------------------------------------


@transaction.atomic
def create_application(
    *,
    actor: Actor,
    name: str,
    client_id: str,
    kind: str = Application.Kind.WEB,
    redirect_uris: Iterable[str] = (),
    branding_policy: BrandingPolicy | None = None,
    organizations_enabled: bool = True,
) -> Application:
    require_brand(actor, _("Only brand admins manage applications."))
    name = clean_name(name)
    client_id = clean_client_id(client_id)
    kind = clean_kind(kind)
    uris = clean_redirect_uris(redirect_uris)
    branding_policy = _existing_policy(branding_policy)
    taken = ApplicationError(
        _("The client ID %(client_id)s is already used by another application.")
        % {"client_id": client_id},
        field="client_id",
    )
    if Application.objects.filter(client_id=client_id).exists():
        raise taken
    application = Application(
        name=name,
        client_id=client_id,
        kind=kind,
        builtin=False,
        redirect_uris=uris,
        branding_policy=branding_policy,
        organizations_enabled=organizations_enabled,
    )
    try:
        with transaction.atomic():
            application.save()
    except IntegrityError:  # created at the same moment by someone else
        raise taken from None
    record(
        "application.created",
        actor=actor,
        metadata={
            "client_id": client_id,
            "name": name,
            "kind": kind,
            "redirect_uris": uris,
            "branding_policy": _policy_name(branding_policy),
            "organizations_enabled": organizations_enabled,
        },
    )
    return application


@transaction.atomic
def update_application(
    *,
    actor: Actor,
    application: Application,
    name: str | Literal[_Keep.KEEP] = KEEP,
    kind: str | Literal[_Keep.KEEP] = KEEP,
    redirect_uris: Iterable[str] | Literal[_Keep.KEEP] = KEEP,
    branding_policy: BrandingPolicy | Literal[_Keep.KEEP] | None = KEEP,
    organizations_enabled: bool | Literal[_Keep.KEEP] = KEEP,
) -> Application:
    """Change what is given (KEEP: left as it is). The client ID never changes; the built-in
    Organization Portal keeps its kind and its organizations. Organizations are not turned off
    while an organization uses the application."""
    require_brand(actor, _("Only brand admins manage applications."))
    app = _locked(application)
    changes: dict[str, dict[str, Any]] = {}

    def change(field: str, old: Any, new: Any) -> None:
        if old != new:
            changes[field] = {"from": old, "to": new}

    if name is not KEEP:
        name = clean_name(name)
        change("name", app.name, name)
        app.name = name
    if kind is not KEEP:
        if app.builtin and kind != app.kind:
            raise ApplicationError(
                _("The kind of the built-in Organization Portal cannot change."), field="kind"
            )
        kind = clean_kind(kind, builtin=app.builtin)
        change("kind", app.kind, kind)
        app.kind = kind
    if redirect_uris is not KEEP:
        uris = clean_redirect_uris(redirect_uris)
        change("redirect_uris", list(app.redirect_uris or []), uris)
        app.redirect_uris = uris
    if branding_policy is not KEEP:
        branding_policy = _existing_policy(branding_policy)
        change("branding_policy", _policy_name(app.branding_policy), _policy_name(branding_policy))
        app.branding_policy = branding_policy
    if organizations_enabled is not KEEP:
        if app.organizations_enabled and not organizations_enabled:
            if app.builtin:
                raise ApplicationError(
                    _(
                        "Organizations cannot be turned off for the built-in Organization "
                        "Portal: it is where organizations sign in."
                    ),
                    field="organizations_enabled",
                )
            # The row lock above holds back an organization being given this application
            # (on PostgreSQL the new row's key lock waits for it) until this commits.
            in_use = app.organizations.count()
            if in_use:
                raise ApplicationError(
                    ngettext(
                        "Organizations cannot be turned off: %(count)s organization uses "
                        "this application.",
                        "Organizations cannot be turned off: %(count)s organizations use "
                        "this application.",
                        in_use,
                    )
                    % {"count": in_use},
                    field="organizations_enabled",
                )
        change("organizations_enabled", app.organizations_enabled, organizations_enabled)
        app.organizations_enabled = organizations_enabled
    if not changes:
        return app
    app.save(update_fields=[*changes, "updated"])
    record(
        "application.updated",
        actor=actor,
        metadata={"client_id": app.client_id, "changes": changes},
    )
    return app


@transaction.atomic
def delete_application(*, actor: Actor, application: Application) -> None:
    """Delete an application no organization and no invitation uses; never the built-in
    Organization Portal. Customer sessions opened through it are kept, without it."""
    from orgdesk.invitations.models import Invitation

    require_brand(actor, _("Only brand admins manage applications."))
    app = _locked(application)
    if app.builtin:
        raise ApplicationError(_("The built-in Organization Portal cannot be deleted."))
    in_use = app.organizations.count()
    if in_use:
        raise ApplicationError(
            ngettext(
                "This application cannot be deleted: %(count)s organization uses it.",
                "This application cannot be deleted: %(count)s organizations use it.",
                in_use,
            )
            % {"count": in_use}
        )
    invitations = Invitation.objects.filter(application=app).count()
    if invitations:
        raise ApplicationError(
            ngettext(
                "This application cannot be deleted: %(count)s invitation was sent for it.",
                "This application cannot be deleted: %(count)s invitations were sent for it.",
                invitations,
            )
            % {"count": invitations}
        )
    metadata = {"client_id": app.client_id, "name": app.name, "kind": app.kind}
    try:
        with transaction.atomic():
            app.delete()
    except ProtectedError:  # something else came to use it
        raise ApplicationError(
            _("This application cannot be deleted: something still refers to it.")
        ) from None
    record("application.deleted", actor=actor, metadata=metadata)


# ---- reads ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class ApplicationRow:
    application: Application
    organization_count: int


def application_rows() -> list[ApplicationRow]:
    """Every application, the built-in one first, then by name; with how many organizations
    use each (one grouped count)."""
    applications = Application.objects.select_related("branding_policy").order_by(
        "-builtin", Lower("name"), "client_id"
    )
    counts = dict(
        Organization.objects.values_list("application")
        .annotate(n=Count("pk"))
        .values_list("application", "n")
    )
    return [ApplicationRow(app, counts.get(app.pk, 0)) for app in applications]


def application_by_client_id(client_id: str) -> Application | None:
    return Application.objects.select_related("branding_policy").filter(client_id=client_id).first()


def organization_count(application: Application) -> int:
    return Organization.objects.filter(application=application).count()


def invitation_count(application: Application) -> int:
    from orgdesk.invitations.models import Invitation

    return Invitation.objects.filter(application=application).count()
