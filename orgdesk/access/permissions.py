"""The permission catalogue and the built-in organization roles.

A permission is a code; an organization role is a named set of codes. Roles are granted on an
organization and cover its descendants.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

CATALOGUE: dict[str, StrOrPromise] = {
    "accounts.view": _("View accounts and their details"),
    "accounts.create": _("Create accounts"),
    "accounts.edit": _("Edit account identifiers and personal information"),
    "accounts.disable": _("Disable and enable accounts"),
    "accounts.reset_password": _("Send password reset links"),
    "accounts.set_password": _("Set an account's password"),
    "sessions.view": _("View sessions"),
    "sessions.clear": _("Clear sessions"),
    "authenticators.view": _("View authenticators"),
    "authenticators.manage": _("Add and remove authenticators"),
    "identity.verify": _("Verify identities manually"),
    "activity.view": _("View account activity"),
    "notifications.view": _("View notifications sent to customers"),
    "groups.view": _("View group memberships"),
    "groups.manage": _("Manage group memberships"),
    "roles.view": _("View role assignments"),
    "roles.assign": _("Assign and revoke organization roles"),
    "consents.view": _("View consent records"),
    "invitations.view": _("View invitations"),
    "invitations.manage": _("Send, resend and delete invitations"),
}

ALL = frozenset(CATALOGUE)

VIEW_ONLY = frozenset(
    {
        "accounts.view",
        "sessions.view",
        "authenticators.view",
        "activity.view",
        "notifications.view",
        "groups.view",
        "roles.view",
        "consents.view",
        "invitations.view",
    }
)

# slug: (name, description, permissions). The name and description are stored as these English
# strings and shown translated (OrgRole.display_name): marked for makemessages, not translated
# here.
BUILTIN_ROLES: dict[str, tuple[str, str, frozenset[str]]] = {
    "admin": (
        gettext_noop("Admin"),
        gettext_noop("Everything in the organization portal, including granting roles."),
        ALL,
    ),
    "organization-manager": (
        gettext_noop("Organization manager"),
        gettext_noop(
            "Manages accounts, groups and invitations; cannot grant roles or set passwords."
        ),
        ALL - {"roles.assign", "accounts.set_password"},
    ),
    "account-recovery-assistant": (
        gettext_noop("Account recovery assistant"),
        gettext_noop(
            "Helps customers regain access: password resets, authenticators, sessions, "
            "identity verification. Cannot create, edit or disable accounts."
        ),
        VIEW_ONLY
        | {
            "accounts.reset_password",
            "sessions.clear",
            "authenticators.manage",
            "identity.verify",
        },
    ),
}


def validate_codes(codes: list[str] | set[str] | frozenset[str]) -> list[str]:
    unknown = sorted(set(codes) - ALL)
    if unknown:
        raise ValueError(f"unknown permission codes: {', '.join(unknown)}")
    return sorted(set(codes))
