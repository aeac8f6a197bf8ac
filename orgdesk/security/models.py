"""Authenticators and customer sessions."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from orgdesk.core.fields import EncryptedTextField
from orgdesk.core.models import BaseModel


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
        return self.label


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
