"""Authenticators and customer sessions."""

import re

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop, ngettext

from orgdesk.core.builtin_text import builtin_text
from orgdesk.core.fields import EncryptedTextField
from orgdesk.core.models import BaseModel

# What the stored identifier of a recovery codes row says (how many codes are left): written
# in one form (recovery_codes_identifier), read back to be shown in the admin's language.
RECOVERY_CODES_IDENTIFIER = re.compile(r"(\d+) codes")


def recovery_codes_identifier(count: int) -> str:
    """The identifier stored for a set of `count` recovery codes."""
    return f"{count} codes"


class Authenticator(BaseModel):
    # Path to the owning organization, for restrict() (access/scoping.py).
    TENANT_FIELD = "account__organization"

    class Type(models.TextChoices):
        TOTP = "totp", _("Authenticator app (TOTP)")
        PASSKEY = "passkey", _("Passkey")
        SECURITY_KEY = "security_key", _("Security key")
        EMAIL_OTP = "email_otp", _("Email one-time code")
        SMS_OTP = "sms_otp", _("SMS one-time code")
        RECOVERY_CODES = "recovery_codes", _("Recovery codes")

    account = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="authenticators",
        db_index=False,
    )
    type = models.CharField(_("type"), max_length=20, choices=Type.choices)
    label = models.CharField(_("authenticator"), max_length=200)
    # Where a code goes (email, phone) or a credential id; shown to admins.
    identifier = models.CharField(max_length=255, blank=True)
    # TOTP seed or hashed recovery codes: encrypted at rest.
    secret = EncryptedTextField(blank=True)
    # WebAuthn public credential data (public key, sign count, transports): not secret.
    credential = models.JSONField(default=dict, blank=True)
    confirmed = models.BooleanField(default=True)
    last_used = models.DateTimeField(_("last used"), null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["account", "-created"], name="authenticator_account")]

    def __str__(self) -> str:
        return self.display_label

    @property
    def display_label(self) -> str:
        """The label in the current language while it is the default one its type is given
        when the owner names none; a label someone typed as typed."""
        return builtin_text(self.label, DEFAULT_LABELS.get(self.type))

    @property
    def display_identifier(self) -> str:
        """The identifier as shown: how many recovery codes are left in the current language,
        anything else (an address, a phone number, a credential id) as stored."""
        if self.type == self.Type.RECOVERY_CODES:
            match = RECOVERY_CODES_IDENTIFIER.fullmatch(self.identifier)
            if match:
                count = int(match.group(1))
                return ngettext("%(count)d code", "%(count)d codes", count) % {"count": count}
        return self.identifier


# The label an authenticator is given when its owner types none: stored in English, shown
# translated (Authenticator.display_label).
DEFAULT_LABELS: dict[str, str] = {
    Authenticator.Type.TOTP: gettext_noop("Authenticator app"),
    Authenticator.Type.PASSKEY: gettext_noop("Passkey"),
    Authenticator.Type.RECOVERY_CODES: gettext_noop("Recovery codes"),
}


class CustomerSession(BaseModel):
    # Path to the owning organization, for restrict() (access/scoping.py).
    TENANT_FIELD = "account__organization"

    account = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="customer_sessions",
        db_index=False,
    )
    application = models.ForeignKey(
        "organizations.Application", on_delete=models.SET_NULL, null=True, blank=True
    )
    key_hash = models.CharField(max_length=64, unique=True)
    user_agent = models.TextField(blank=True)
    device = models.CharField(_("device"), max_length=200, blank=True)
    ip = models.GenericIPAddressField(null=True, blank=True)
    city = models.CharField(max_length=150, blank=True)
    country = models.CharField(max_length=2, blank=True)
    last_activity = models.DateTimeField(_("last activity"), default=timezone.now)
    expires = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["account", "-last_activity"], name="session_account_activity"),
        ]

    def __str__(self) -> str:
        return f"{self.device} {self.ip}"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None and self.expires > timezone.now()


class SecurityPolicy(models.Model):
    """Brand-wide security settings (one row)."""

    require_admin_mfa = models.BooleanField(
        _("require a second factor for every administrator"), default=False
    )
    updated = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name_plural = "security policy"

    def __str__(self) -> str:
        return "Security policy"

    @classmethod
    def current(cls) -> "SecurityPolicy":
        policy, _created = cls.objects.get_or_create(pk=1)
        return policy


class EnrolmentLink(BaseModel):
    """A link emailed to a customer to set up an authenticator app or a passkey themselves
    (security/enrolment.py). Only a hash of its token is stored; it works once, until it
    expires, and only while it is the account's newest link."""

    # Path to the owning organization, for restrict() (access/scoping.py).
    TENANT_FIELD = "account__organization"

    class Method(models.TextChoices):
        TOTP = "totp", _("Authenticator app (TOTP)")
        PASSKEY = "passkey", _("Passkey")

    account = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="enrolment_links",
        db_index=False,
    )
    method = models.CharField(max_length=10, choices=Method.choices)
    token_hash = models.CharField(max_length=64, unique=True)
    notification = models.ForeignKey(
        "notifications.Notification", on_delete=models.SET_NULL, null=True, blank=True
    )
    sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["account", "-created"], name="enrolment_link_account")]

    def __str__(self) -> str:
        return f"{self.method} link for {self.account_id}"


class ThrottleCounter(models.Model):
    """A rate-limit counter (sign-in failures, invitation resends) when no Redis is configured:
    one row per key, counted by a single atomic upsert (security/throttle.py), so every server
    process sees and adds to the same number. The window starts at the first hit."""

    key = models.CharField(max_length=250, primary_key=True)
    count = models.PositiveIntegerField(default=0)
    expires_at = models.FloatField(db_index=True)  # Unix time: compared in SQL, any backend

    def __str__(self) -> str:
        return f"{self.key}: {self.count}"
