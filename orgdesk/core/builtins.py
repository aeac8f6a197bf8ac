"""Rows every installation has: the portal client, default branding, built-in roles and
notification templates. Upserted after every migrate so code and database agree."""

from typing import Any

from django.db import transaction

NOTIFICATION_TEMPLATES = [
    # code, name, channel, subject, body, expires_after (minutes)
    (
        "password_reset",
        "Password reset",
        "email",
        "Reset your password",
        "Follow this link to choose a new password: {link}",
        60,
    ),
    (
        "set_password",
        "Set your password",
        "email",
        "Set your password",
        "Your account is ready. Choose a password here: {link}",
        60 * 24 * 3,
    ),
    (
        "email_verification",
        "Email verification",
        "email",
        "Verify your email address",
        "Confirm your address with this link: {link}",
        60 * 24,
    ),
    ("email_otp", "Email one-time code", "email", "Your sign-in code", "Your code is {code}.", 10),
    ("sms_otp", "SMS one-time code", "sms", "", "Your code is {code}.", 5),
    (
        "mfa_enrolment",
        "MFA enrolment",
        "email",
        "Finish setting up sign-in security",
        "Set up your authenticator here: {link}",
        60 * 24,
    ),
    (
        "invitation",
        "Invitation",
        "email",
        "You are invited to {organization}",
        "Join {organization}: {link}",
        60 * 24 * 7,
    ),
    (
        "identifier_changed",
        "Sign-in identifier changed",
        "email",
        "Your sign-in details were changed",
        "An administrator changed how you sign in.\n{changes}\nIf you did not ask for this, "
        "contact your administrator at once.",
        None,
    ),
    (
        "account_disabled",
        "Account disabled",
        "email",
        "Your account was disabled",
        "Your account was disabled by an administrator.",
        None,
    ),
]


def ensure_builtins(**_: Any) -> None:
    from orgdesk.access.models import OrgRole
    from orgdesk.access.permissions import BUILTIN_ROLES
    from orgdesk.branding.models import BrandingPolicy
    from orgdesk.notifications.models import NotificationTemplate
    from orgdesk.organizations.models import PORTAL_CLIENT_ID, Application

    with transaction.atomic():
        policy, _created = BrandingPolicy.objects.get_or_create(name="Default")
        Application.objects.get_or_create(
            client_id=PORTAL_CLIENT_ID,
            defaults={
                "name": "Organization Portal",
                "kind": Application.Kind.PORTAL,
                "builtin": True,
                "branding_policy": policy,
            },
        )
        for slug, (name, description, perms) in BUILTIN_ROLES.items():
            OrgRole.objects.update_or_create(
                slug=slug,
                defaults={
                    "name": name,
                    "description": description,
                    "permissions": sorted(perms),
                    "builtin": True,
                },
            )
        for code, name, channel, subject, body, expires in NOTIFICATION_TEMPLATES:
            NotificationTemplate.objects.get_or_create(
                code=code,
                defaults={
                    "name": name,
                    "channel": channel,
                    "subject": subject,
                    "body": body,
                    "expires_after": expires,
                },
            )
