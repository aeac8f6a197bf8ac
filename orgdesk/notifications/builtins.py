"""The notification templates every installation has. Upserted after every migrate: a
template the brand has edited keeps its text (get_or_create)."""

from typing import Any

from django.db import transaction
from django.utils.translation import gettext_noop

NOTIFICATION_TEMPLATES = [
    # code, name, channel, subject, body, expires_after (minutes). The name is stored in
    # English and shown translated (NotificationTemplate.display_name), hence gettext_noop.
    (
        "password_reset",
        gettext_noop("Password reset"),
        "email",
        "Reset your password",
        "Follow this link to choose a new password: {link}",
        60,
    ),
    (
        "set_password",
        gettext_noop("Set your password"),
        "email",
        "Set your password",
        "Your account is ready. Choose a password here: {link}",
        60 * 24 * 3,
    ),
    (
        "email_verification",
        gettext_noop("Email verification"),
        "email",
        "Verify your email address",
        "Confirm your address with this link: {link}",
        60 * 24,
    ),
    (
        "email_otp",
        gettext_noop("Email one-time code"),
        "email",
        "Your sign-in code",
        "Your code is {code}.",
        10,
    ),
    ("sms_otp", gettext_noop("SMS one-time code"), "sms", "", "Your code is {code}.", 5),
    (
        "mfa_enrolment",
        gettext_noop("MFA enrolment"),
        "email",
        "Finish setting up sign-in security",
        "Set up your authenticator here: {link}",
        60 * 24,
    ),
    (
        "invitation",
        gettext_noop("Invitation"),
        "email",
        "You are invited to {organization}",
        "Join {organization}: {link}",
        60 * 24 * 7,
    ),
    (
        "identifier_changed",
        gettext_noop("Sign-in identifier changed"),
        "email",
        "Your sign-in details were changed",
        "An administrator changed how you sign in.\n{changes}\nIf you did not ask for this, "
        "contact your administrator at once.",
        None,
    ),
    (
        "account_disabled",
        gettext_noop("Account disabled"),
        "email",
        "Your account was disabled",
        "Your account was disabled by an administrator.",
        None,
    ),
]


# code: the English name the template is seeded with.
BUILTIN_NAMES: dict[str, str] = {code: name for code, name, *_rest in NOTIFICATION_TEMPLATES}


def ensure_templates(**_: Any) -> None:
    # Imported here: the model imports BUILTIN_NAMES from this module.
    from orgdesk.notifications.models import NotificationTemplate

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
