"""Catalogue of event types: code → category and label shown to organization admins."""

from django.utils.translation import gettext_lazy as _

CUSTOMER_FLOW = "customer_flow"
ADMIN_ACTION = "admin_action"

EVENT_TYPES = {
    # customer flows
    "login": (CUSTOMER_FLOW, _("Login")),
    "logout": (CUSTOMER_FLOW, _("Logout")),
    "token_request": (CUSTOMER_FLOW, _("Token request")),
    "registration": (CUSTOMER_FLOW, _("Registration")),
    "password_reset": (CUSTOMER_FLOW, _("Password reset")),
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
    "account.password_reset_sent": (ADMIN_ACTION, _("Password reset sent")),
    "sessions.cleared": (ADMIN_ACTION, _("Sessions cleared")),
    "authenticator.added": (ADMIN_ACTION, _("Authenticator added")),
    "authenticator.removed": (ADMIN_ACTION, _("Authenticator removed")),
    "identity.verified": (ADMIN_ACTION, _("Identity verified manually")),
    "group.member_added": (ADMIN_ACTION, _("Added to group")),
    "group.member_removed": (ADMIN_ACTION, _("Removed from group")),
    "role.granted": (ADMIN_ACTION, _("Role granted")),
    "role.revoked": (ADMIN_ACTION, _("Role revoked")),
    "role.created": (ADMIN_ACTION, _("Role created")),
    "policy.updated": (ADMIN_ACTION, _("Security policy updated")),
    "invitation.sent": (ADMIN_ACTION, _("Invitation sent")),
    "organization.created": (ADMIN_ACTION, _("Organization created")),
    "organization.renamed": (ADMIN_ACTION, _("Organization renamed")),
    "organization.moved": (ADMIN_ACTION, _("Organization moved")),
    "organization.uniqueness_changed": (ADMIN_ACTION, _("Identifier uniqueness changed")),
    "admin.created": (ADMIN_ACTION, _("Administrator created")),
}


def category_of(event_type: str) -> str:
    try:
        return EVENT_TYPES[event_type][0]
    except KeyError:
        raise ValueError(f"unknown event type {event_type!r}: add it to EVENT_TYPES") from None


def label_of(event_type: str) -> str:
    entry = EVENT_TYPES.get(event_type)
    return str(entry[1]) if entry else event_type
