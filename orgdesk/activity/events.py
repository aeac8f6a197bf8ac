"""Catalogue of event types: code → category and label shown to organization admins.

A label names what happened, as the customer or the admin would say it: a link sent is
"… link sent", not what the customer may do with it later. Events are facts kept as they
were recorded (append-only): a type is never reused for another fact, and a type no longer
recorded stays here so that older events keep their label."""

from django.utils.translation import gettext_lazy as _

CUSTOMER_FLOW = "customer_flow"
ADMIN_ACTION = "admin_action"

EVENT_TYPES = {
    # customer flows
    "login": (CUSTOMER_FLOW, _("Login")),
    "logout": (CUSTOMER_FLOW, _("Logout")),
    "token_request": (CUSTOMER_FLOW, _("Token request")),
    "registration": (CUSTOMER_FLOW, _("Registration")),
    # A password chosen through a reset link (accounts.actions.complete_password_link).
    "password_reset": (CUSTOMER_FLOW, _("Password reset")),
    # A new account's first password, chosen through the set-password link sent at creation.
    "password_created": (CUSTOMER_FLOW, _("Password created")),
    # A password changed otherwise (and, before the two above, one chosen through a link).
    "password_change": (CUSTOMER_FLOW, _("Password change")),
    "mfa_enrolment": (CUSTOMER_FLOW, _("MFA enrolment")),
    "mfa_challenge": (CUSTOMER_FLOW, _("MFA challenge")),
    "email_verification": (CUSTOMER_FLOW, _("Email verification")),
    "consent_granted": (CUSTOMER_FLOW, _("Consent granted")),
    "consent_revoked": (CUSTOMER_FLOW, _("Consent revoked")),
    "invitation_accepted": (CUSTOMER_FLOW, _("Invitation accepted")),
    "step_up": (CUSTOMER_FLOW, _("Identity confirmed again")),
    # administrative actions
    "account.created": (ADMIN_ACTION, _("Account created")),
    "account.updated": (ADMIN_ACTION, _("Account updated")),
    "account.disabled": (ADMIN_ACTION, _("Account disabled")),
    "account.enabled": (ADMIN_ACTION, _("Account enabled")),
    "account.password_set": (ADMIN_ACTION, _("Password set by an admin")),
    "account.password_reset_sent": (ADMIN_ACTION, _("Password reset link sent")),
    "account.set_password_link_sent": (ADMIN_ACTION, _("Set-password link sent")),
    "account.identifier_change_notice_sent": (
        ADMIN_ACTION,
        _("Identifier change notice sent"),
    ),
    "account.email_verification_sent": (ADMIN_ACTION, _("Email verification link sent")),
    "account.picture_changed": (ADMIN_ACTION, _("Profile picture changed")),
    "account.picture_removed": (ADMIN_ACTION, _("Profile picture removed")),
    "sessions.cleared": (ADMIN_ACTION, _("Sessions cleared")),
    "authenticator.added": (ADMIN_ACTION, _("Authenticator added")),
    "authenticator.removed": (ADMIN_ACTION, _("Authenticator removed")),
    "authenticator.enrolment_sent": (ADMIN_ACTION, _("Authenticator enrolment link sent")),
    "identity.verified": (ADMIN_ACTION, _("Identity verified manually")),
    "group.member_added": (ADMIN_ACTION, _("Added to group")),
    "group.member_removed": (ADMIN_ACTION, _("Removed from group")),
    "role.granted": (ADMIN_ACTION, _("Role granted")),
    "role.revoked": (ADMIN_ACTION, _("Role revoked")),
    "role.created": (ADMIN_ACTION, _("Role created")),
    "role.updated": (ADMIN_ACTION, _("Role updated")),
    "role.deleted": (ADMIN_ACTION, _("Role deleted")),
    "policy.updated": (ADMIN_ACTION, _("Security policy updated")),
    "invitation.sent": (ADMIN_ACTION, _("Invitation sent")),
    "invitation.resent": (ADMIN_ACTION, _("Invitation resent")),
    "invitation.revoked": (ADMIN_ACTION, _("Invitation revoked")),
    "invitation.bulk_started": (ADMIN_ACTION, _("Bulk invitation started")),
    "invitation.bulk_finished": (ADMIN_ACTION, _("Bulk invitation finished")),
    "invitation.bulk_discarded": (ADMIN_ACTION, _("Bulk invitation discarded")),
    "organization.created": (ADMIN_ACTION, _("Organization created")),
    "organization.renamed": (ADMIN_ACTION, _("Organization renamed")),
    "organization.moved": (ADMIN_ACTION, _("Organization moved")),
    "organization.uniqueness_changed": (ADMIN_ACTION, _("Identifier uniqueness changed")),
    "organization.deleted": (ADMIN_ACTION, _("Organization deleted")),
    "branding.policy_created": (ADMIN_ACTION, _("Branding policy created")),
    "branding.policy_updated": (ADMIN_ACTION, _("Branding policy updated")),
    "branding.override_set": (ADMIN_ACTION, _("Organization branding changed")),
    "branding.override_cleared": (ADMIN_ACTION, _("Organization branding cleared")),
    "admin.created": (ADMIN_ACTION, _("Administrator created")),
    "application.created": (ADMIN_ACTION, _("Application created")),
    "application.updated": (ADMIN_ACTION, _("Application updated")),
    "application.deleted": (ADMIN_ACTION, _("Application deleted")),
}


def category_of(event_type: str) -> str:
    try:
        return EVENT_TYPES[event_type][0]
    except KeyError:
        raise ValueError(f"unknown event type {event_type!r}: add it to EVENT_TYPES") from None


def label_of(event_type: str) -> str:
    entry = EVENT_TYPES.get(event_type)
    return str(entry[1]) if entry else event_type


# Facts about an organization or the catalogue, never recorded for one account: an account's
# Activity tab does not offer them as filters.
NOT_ABOUT_AN_ACCOUNT = frozenset(
    {
        "role.created",
        "role.updated",
        "role.deleted",
        "policy.updated",
        "organization.created",
        "organization.renamed",
        "organization.moved",
        "organization.uniqueness_changed",
        "organization.deleted",
        "branding.policy_created",
        "branding.policy_updated",
        "branding.override_set",
        "branding.override_cleared",
        "application.created",
        "application.updated",
        "application.deleted",
        # Invitations are facts about an organization until accepted; the acceptance is the
        # new account's "invitation_accepted" (customer flow).
        "invitation.sent",
        "invitation.resent",
        "invitation.revoked",
        "invitation.bulk_started",
        "invitation.bulk_finished",
        "invitation.bulk_discarded",
    }
)
CATEGORY_LABELS = {
    CUSTOMER_FLOW: _("Customer flow"),
    ADMIN_ACTION: _("Administrative action"),
}


def account_event_choices() -> list[tuple[str, list[tuple[str, str]]]]:
    """The event labels an account's activity can be filtered by, grouped by category and
    sorted by label in the active language (for a form's grouped choices)."""
    groups: dict[str, list[tuple[str, str]]] = {category: [] for category in CATEGORY_LABELS}
    for code, (category, label) in EVENT_TYPES.items():
        if code not in NOT_ABOUT_AN_ACCOUNT:
            groups.setdefault(category, []).append((code, str(label)))
    return [
        (
            str(CATEGORY_LABELS.get(category, category)),
            sorted(entries, key=lambda entry: entry[1].casefold()),
        )
        for category, entries in groups.items()
        if entries
    ]


def event_choices() -> list[tuple[str, list[tuple[str, str]]]]:
    """Every event label, grouped by category and sorted in the active language (the
    brand's audit log filters by any of them)."""
    groups: dict[str, list[tuple[str, str]]] = {category: [] for category in CATEGORY_LABELS}
    for code, (category, label) in EVENT_TYPES.items():
        groups.setdefault(category, []).append((code, str(label)))
    return [
        (
            str(CATEGORY_LABELS.get(category, category)),
            sorted(entries, key=lambda entry: entry[1].casefold()),
        )
        for category, entries in groups.items()
        if entries
    ]
