"""Creating administrators from scripts (`orgdesk createadmin`)."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q

from orgdesk.access.actions import GrantError, grant_role
from orgdesk.access.actor import Actor, Channel
from orgdesk.access.models import OrgRole
from orgdesk.accounts.actions import create_account, set_password_by_operator
from orgdesk.accounts.models import Account
from orgdesk.organizations.actions import TreeError, resolve_organization


class AdminError(ValueError):
    pass


# Whoever runs `orgdesk createadmin` on the server: trusted like the system.
OPERATOR = Actor.system(channel=Channel.CLI, label="orgdesk createadmin")


def _resolve_role(ref: str) -> OrgRole:
    role = OrgRole.objects.filter(Q(slug__iexact=ref) | Q(name__iexact=ref)).first()
    if role is None:
        names = ", ".join(OrgRole.objects.order_by("name").values_list("slug", flat=True))
        raise AdminError(f"no role {ref!r} (roles: {names})")
    return role


def _messages(exc: ValidationError) -> str:
    if hasattr(exc, "message_dict"):
        return "; ".join(f"{k}: {' '.join(v)}" for k, v in exc.message_dict.items())
    return " ".join(exc.messages)


@transaction.atomic
def create_admin(
    *,
    email: str,
    password: str,
    brand: bool = False,
    org_ref: str | None = None,
    role_ref: str | None = None,
    home_ref: str | None = None,
    name: str = "",
) -> tuple[Account, bool]:
    """Create (or update the password and grants of) an administrator. Idempotent."""
    from django.contrib.auth.password_validation import validate_password

    given, _, family = name.partition(" ")
    try:
        validate_password(password)
    except ValidationError as exc:
        raise AdminError(f"password rejected: {' '.join(exc.messages)}") from None
    if brand:
        existing = Account.objects.filter(email__lower=email, store__isnull=True).first()
        if existing:
            set_password_by_operator(
                actor=OPERATOR, account=existing, password=password, brand_admin=True
            )
            return existing, False
        try:
            account = create_account(
                actor=OPERATOR,
                organization=None,
                password=password,
                is_staff=True,
                email=email,
                email_verified=True,
                given_name=given,
                family_name=family,
            )
        except ValidationError as exc:
            raise AdminError(_messages(exc)) from None
        return account, True

    if not org_ref or not role_ref:
        raise AdminError("an organization admin needs --org and --role")
    try:
        organization = resolve_organization(org_ref)
        home = resolve_organization(home_ref) if home_ref else organization
    except TreeError as exc:
        raise AdminError(str(exc)) from None
    role = _resolve_role(role_ref)
    existing = Account.objects.filter(email__lower=email, store=home.identity_store_id).first()
    created = existing is None
    if existing:
        if existing.organization_id != home.id:
            raise AdminError(f"{email} already exists in {existing.organization}")
        account = set_password_by_operator(actor=OPERATOR, account=existing, password=password)
    else:
        try:
            account = create_account(
                actor=OPERATOR,
                organization=home,
                password=password,
                email=email,
                email_verified=True,
                given_name=given,
                family_name=family,
            )
        except ValidationError as exc:
            raise AdminError(_messages(exc)) from None
    try:
        grant_role(actor=OPERATOR, account=account, organization=organization, role=role)
    except GrantError as exc:
        raise AdminError(str(exc)) from None
    return account, created
