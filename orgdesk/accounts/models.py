"""Customer accounts (the Django user model), linked identities and groups."""

from typing import Any, ClassVar

from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q
from django.db.models.expressions import Combinable
from django.db.models.functions import Coalesce, Concat, Lower, NullIf, Trim
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from orgdesk.accounts.validation import clean_account_text, clean_identifiers
from orgdesk.core.models import BaseModel

NOT_BLANK = {"email": ~Q(email=""), "username": ~Q(username=""), "phone": ~Q(phone="")}
# E.164 phones have no case: a plain column keeps `phone = …` lookups on the index.
IDENTIFIER_EXPR: dict[str, Combinable] = {
    "email": Lower("email"),
    "username": Lower("username"),
    "phone": F("phone"),
}


class AccountManager(BaseUserManager["Account"]):
    def create_user(
        self, *, email: str = "", password: str | None = None, **fields: Any
    ) -> "Account":
        account = self.model(email=self.normalize_email(email) if email else "", **fields)
        organization = fields.get("organization")
        account.store = organization.identity_store_id if organization else None
        account.set_password(password)
        account.full_clean(exclude=["password", "store"], validate_unique=False)
        account.save(using=self._db)
        return account

    def create_superuser(
        self, *, email: str, password: str | None = None, **fields: Any
    ) -> "Account":
        fields.setdefault("is_staff", True)
        fields.setdefault("is_superuser", True)
        return self.create_user(email=email, password=password, **fields)

    def get_by_natural_key(self, username: str | None) -> "Account":
        # Brand admins (no organization) sign in to the console by email.
        return self.get(email__lower=username, organization__isnull=True)


class Account(AbstractBaseUser, BaseModel):
    """A customer account; organization admins and brand admins are accounts too.

    `store` is the identifier-uniqueness scope: the tree's root when that tree enables
    hierarchy-wide uniqueness, else the home organization; NULL for brand admins. Database
    constraints make username, email and phone unique case-insensitively within it.
    """

    # Path to the owning organization, for restrict() (access/scoping.py).
    TENANT_FIELD = "organization"

    class Status(models.TextChoices):
        ENABLED = "enabled", _("Enabled")
        DISABLED = "disabled", _("Disabled")

    organization = models.ForeignKey(
        "organizations.Organization",
        verbose_name=_("organization"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="accounts",
        db_index=False,  # the (organization, …) composite indexes serve it
    )
    store = models.UUIDField(null=True, blank=True, editable=False)

    username = models.CharField(_("username"), max_length=150, blank=True)
    email = models.EmailField(_("email"), max_length=254, blank=True)
    email_verified = models.BooleanField(_("email verified"), default=False)
    phone = models.CharField(_("phone"), max_length=20, blank=True)
    phone_verified = models.BooleanField(_("phone verified"), default=False)
    # When an admin set the email or phone, until the customer proves it: no password reset or
    # enrolment link goes to an address an admin has just set (accounts/identifiers.py).
    email_set_by_admin_at = models.DateTimeField(null=True, blank=True, editable=False)
    phone_set_by_admin_at = models.DateTimeField(null=True, blank=True, editable=False)

    given_name = models.CharField(_("given name"), max_length=150, blank=True)
    family_name = models.CharField(_("family name"), max_length=150, blank=True)
    display_name = models.CharField(_("display name"), max_length=300, blank=True)
    birthdate = models.DateField(_("birthdate"), null=True, blank=True)
    picture = models.ImageField(_("profile picture"), upload_to="pictures/", blank=True)
    street = models.CharField(_("street"), max_length=300, blank=True)
    city = models.CharField(_("city"), max_length=150, blank=True)
    region = models.CharField(_("region"), max_length=150, blank=True)
    postal_code = models.CharField(_("postal code"), max_length=20, blank=True)
    country = models.CharField(_("country"), max_length=2, blank=True)
    locale = models.CharField(_("locale"), max_length=16, blank=True)

    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.ENABLED
    )
    disabled_at = models.DateTimeField(_("disabled"), null=True, blank=True)
    login_count = models.PositiveIntegerField(_("logins"), default=0)
    last_ip = models.GenericIPAddressField(_("last IP address"), null=True, blank=True)
    attributes = models.JSONField(_("custom attributes"), default=dict, blank=True)

    is_staff = models.BooleanField(_("brand admin"), default=False)
    is_superuser = models.BooleanField(_("superuser"), default=False)
    # What the Account column shows (get_full_name, else primary_identifier), lowered: the
    # database keeps it up to date however a row is written (forms, bulk jobs, the
    # generator's COPY), so the list can sort and page by it from an index.
    sort_name = models.GeneratedField(
        expression=Lower(
            Coalesce(
                NullIf(F("display_name"), models.Value("")),
                NullIf(
                    Trim(Concat(F("given_name"), models.Value(" "), F("family_name"))),
                    models.Value(""),
                ),
                NullIf(F("email"), models.Value("")),
                NullIf(F("username"), models.Value("")),
                F("phone"),
                output_field=models.CharField(max_length=300),
            )
        ),
        output_field=models.CharField(max_length=300),
        db_persist=True,
        editable=False,
    )

    objects = AccountManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: ClassVar[list[str]] = []

    class Meta:
        constraints = [
            *[
                models.UniqueConstraint(
                    IDENTIFIER_EXPR[field],
                    "store",
                    condition=cond & Q(store__isnull=False),
                    name=f"account_{field}_unique_in_store",
                )
                for field, cond in NOT_BLANK.items()
            ],
            *[
                models.UniqueConstraint(
                    IDENTIFIER_EXPR[field],
                    condition=cond & Q(store__isnull=True),
                    name=f"account_{field}_unique_brand",
                )
                for field, cond in NOT_BLANK.items()
            ],
            models.CheckConstraint(
                condition=Q(status="enabled", disabled_at__isnull=True)
                | Q(status="disabled", disabled_at__isnull=False),
                name="account_disabled_at_matches_status",
            ),
            models.CheckConstraint(
                condition=Q(status__in=["enabled", "disabled"]), name="account_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(organization__isnull=False) | Q(store__isnull=True),
                name="account_store_needs_organization",
            ),
        ]
        indexes = [
            # The list orders (core/listing.py): sort column DESC (NULLs last), then id DESC.
            # SQLite puts NULLs last in DESC by itself; PostgreSQL gets NULLS LAST versions
            # of the last_login indexes in migration 0005.
            models.Index(fields=["-last_login", "-id"], name="account_last_login"),
            models.Index(fields=["-created", "-id"], name="account_created"),
            models.Index(
                fields=["organization", "-last_login", "-id"], name="account_org_last_login"
            ),
            models.Index(fields=["organization", "status", "-id"], name="account_org_status"),
            models.Index(fields=["organization", "-created", "-id"], name="account_org_created"),
            # Equality on lower(email), lower(username) and phone is served by the unique
            # constraints; PostgreSQL adds prefix and trigram indexes (migration 0003).
            models.Index(fields=["birthdate"], name="account_birthdate"),
            models.Index(fields=["-updated", "-id"], name="account_updated"),
            models.Index(
                fields=["-disabled_at", "-id"],
                condition=Q(disabled_at__isnull=False),
                name="account_disabled_at",
            ),
            # Disabled accounts stopped signing in when they were disabled, so among all
            # accounts they sit at the far end of the last-login order: walking the global
            # order index to find them crossed half a million rows (1.3 s). Their own order
            # indexes are small (one account in fourteen in the benchmark data).
            # Keyed on the status, the one condition the status filter states (filters.py).
            models.Index(
                fields=["-last_login", "-id"],
                condition=Q(status="disabled"),
                name="account_disabled_last_login",
            ),
            models.Index(
                fields=["-created", "-id"],
                condition=Q(status="disabled"),
                name="account_disabled_created",
            ),
            # The sortable columns (accounts/lists.py), read forwards or backwards.
            models.Index(fields=["sort_name", "id"], name="account_sort_name"),
            models.Index(fields=["organization", "sort_name", "id"], name="account_org_sort_name"),
            models.Index(fields=["status", "sort_name", "id"], name="account_status_name"),
            models.Index(
                fields=["organization", "status", "sort_name", "id"],
                name="account_org_status_name",
            ),
            # Disabled accounts by organization and date: the status filter and the
            # disabled-date range, counted and paged per organization (accounts/filters.py).
            # On PostgreSQL the order indexes above also hold what the list filters test
            # (organization, status, disabled date), so a walk along them reads no table
            # row (migration 0015, core/listing.py _take).
            models.Index(
                fields=["organization", "disabled_at"],
                condition=Q(status="disabled"),
                name="account_org_disabled_at",
            ),
            models.Index(Lower("family_name"), name="account_family_name_lower"),
            models.Index(Lower("given_name"), name="account_given_name_lower"),
        ]

    def __str__(self) -> str:
        return self.display_name or self.email or self.username or self.phone or str(self.id)

    @property
    def is_active(self) -> bool:  # type: ignore[override]
        return self.status == self.Status.ENABLED

    @property
    def primary_identifier(self) -> str:
        return self.email or self.username or self.phone

    def get_full_name(self) -> str:
        return self.display_name or " ".join(p for p in (self.given_name, self.family_name) if p)

    def get_short_name(self) -> str:
        return self.given_name or self.primary_identifier

    def has_perm(self, perm: str, obj: Any = None) -> bool:
        # Django's own permission tables are not used; console rights come from is_staff.
        return self.is_active and self.is_superuser

    def has_module_perms(self, app_label: str) -> bool:
        return self.is_active and self.is_superuser

    def clean(self) -> None:
        # Both checks run, so every field's problem is shown at once.
        errors: dict[str, Any] = {}
        for check in (clean_account_text, clean_identifiers):
            try:
                check(self)
            except ValidationError as exc:
                errors = exc.update_error_dict(errors)
        if errors:
            raise ValidationError(errors)

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.status == self.Status.DISABLED and self.disabled_at is None:
            self.disabled_at = timezone.now()
        elif self.status == self.Status.ENABLED:
            self.disabled_at = None
        if not self.display_name:
            self.display_name = self.get_full_name()
        super().save(*args, **kwargs)


class ExternalIdentity(BaseModel):
    """A social or enterprise identity linked to an account."""

    # Path to the owning organization, for restrict() (access/scoping.py).
    TENANT_FIELD = "account__organization"

    class Kind(models.TextChoices):
        SOCIAL = "social", _("Social")
        ENTERPRISE = "enterprise", _("Enterprise")

    account = models.ForeignKey(
        Account, on_delete=models.CASCADE, related_name="identities", db_index=False
    )
    kind = models.CharField(max_length=12, choices=Kind.choices)
    provider = models.CharField(_("provider"), max_length=64)  # google, apple, saml:acme…
    subject = models.CharField(max_length=255)
    email = models.EmailField(blank=True)
    last_login = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name_plural = "external identities"
        constraints = [
            models.UniqueConstraint(fields=["provider", "subject"], name="external_identity_unique")
        ]
        indexes = [models.Index(fields=["account", "provider"], name="external_identity_acct")]

    def __str__(self) -> str:
        return f"{self.provider}:{self.email or self.subject}"

    PROVIDER_NAMES = {
        "google": "Google",
        "apple": "Apple",
        "facebook": "Facebook",
        "microsoft": "Microsoft",
        "github": "GitHub",
        "linkedin": "LinkedIn",
        "okta": "Okta",
        "azure-ad": "Microsoft Entra ID",
        "adfs": "AD FS",
        "google-workspace": "Google Workspace",
    }

    @property
    def provider_label(self) -> str:
        """ "saml:okta" → "Okta (SAML)"; "google" → "Google"."""
        protocol, _, name = self.provider.rpartition(":")
        label = self.PROVIDER_NAMES.get(name, name.replace("-", " ").title())
        return f"{label} ({protocol.upper()})" if protocol else label


class Group(BaseModel):
    # Path to the owning organization, for restrict() (access/scoping.py).
    TENANT_FIELD = "organization"

    organization = models.ForeignKey(
        "organizations.Organization", on_delete=models.CASCADE, related_name="groups"
    )
    name = models.CharField(_("name"), max_length=150)
    description = models.CharField(_("description"), max_length=500, blank=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint("organization", Lower("name"), name="group_name_unique")
        ]

    def __str__(self) -> str:
        return self.name


class GroupMembership(models.Model):
    # Path to the owning organization, for restrict() (access/scoping.py).
    TENANT_FIELD = "account__organization"

    id = models.BigAutoField(primary_key=True)
    group = models.ForeignKey(
        Group, on_delete=models.CASCADE, related_name="memberships", db_index=False
    )
    account = models.ForeignKey(
        Account, on_delete=models.CASCADE, related_name="memberships", db_index=False
    )
    created = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["account", "group"], name="group_membership_unique")
        ]
        indexes = [models.Index(fields=["group", "account"], name="group_membership_group")]

    def __str__(self) -> str:
        return f"{self.account_id} in {self.group_id}"
