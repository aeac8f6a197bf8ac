"""The notification templates every installation has. Upserted after every migrate: a
template the brand has edited keeps its text (get_or_create)."""

from typing import Any

from django.db import transaction

from orgdesk.notifications.models import NotificationTemplate

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


def ensure_templates(**_: Any) -> None:
    with transaction.atomic():
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
