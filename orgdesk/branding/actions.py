"""Writes to branding: policies (brand admins) and organization overrides. Every value is
checked here, whoever calls: colours as #RRGGBB, header styles and typefaces from their
fixed sets, logos re-encoded (accounts.pictures: by content, bomb-proof) and never animated.
Each write records its event in the same transaction."""

import io
from typing import Any

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils.translation import gettext as _
from PIL import Image

from orgdesk.access.actor import Actor
from orgdesk.access.scoping import require_brand
from orgdesk.accounts.pictures import process_upload
from orgdesk.activity.recorder import record
from orgdesk.branding.models import SURFACES, BrandingPolicy, HeaderStyle, OrganizationBranding
from orgdesk.branding.theme import hex_digits
from orgdesk.organizations.models import Organization

MAX_CUSTOM_CHARS = 50_000
MAX_LOGO_BYTES = 512 * 1024


def _colour(value: str, field: str, *, blank: bool = False) -> str:
    value = (value or "").strip()
    if not value and blank:
        return ""
    if len(value) != 7 or value[0] != "#" or not hex_digits(value):
        raise ValidationError({field: _("Enter a colour as #RRGGBB.")})
    return value.lower()


def _choice(value: str, choices: Any, field: str) -> str:
    if value not in {c for c, _label in choices}:
        raise ValidationError({field: _("Choose one of the options offered.")})
    return value


def logo_file(upload: UploadedFile) -> tuple[str, ContentFile]:
    """A logo ready to store (its name and content): one frame, re-encoded as WebP, at
    most 512 px a side."""
    size = getattr(upload, "size", None) or 0
    if size > MAX_LOGO_BYTES:
        raise ValidationError(
            {
                "logo": _("The logo is too large: at most %(kb)d KB.")
                % {"kb": MAX_LOGO_BYTES // 1024}
            }
        )
    upload.seek(0)
    head = upload.read(MAX_LOGO_BYTES + 1)
    try:
        frames = getattr(Image.open(io.BytesIO(head)), "n_frames", 1)
    except Exception:  # not an image Pillow knows (SVG among them): process_upload says so
        frames = 1
    if frames > 1:
        raise ValidationError({"logo": _("Animated images cannot be used as a logo.")})
    upload.seek(0)
    try:
        picture = process_upload(upload)
    except ValidationError as exc:
        raise ValidationError({"logo": exc.messages}) from None
    name = f"logo-{picture.digest}.webp"
    return name, ContentFile(picture.data, name=name)


def _custom(custom: dict[str, dict[str, str]]) -> dict[str, dict[str, str]]:
    cleaned: dict[str, dict[str, str]] = {}
    for surface, entry in custom.items():
        if surface not in SURFACES:
            raise ValidationError({"custom": _("Unknown surface.")})
        kept = {}
        for kind in ("css", "script"):
            text = (entry.get(kind) or "").replace("\r\n", "\n")
            if "\x00" in text:
                raise ValidationError({f"{surface}_{kind}": _("This text contains a NUL byte.")})
            if len(text) > MAX_CUSTOM_CHARS:
                raise ValidationError(
                    {f"{surface}_{kind}": _("At most %(n)d characters.") % {"n": MAX_CUSTOM_CHARS}}
                )
            if text.strip():
                kept[kind] = text
        if surface == "emails":
            kept.pop("script", None)  # mail clients run no script
        if kept:
            cleaned[surface] = kept
    return cleaned


@transaction.atomic
def create_policy(*, actor: Actor, name: str) -> BrandingPolicy:
    require_brand(actor, _("Only brand admins edit branding policies."))
    name = (name or "").strip()
    if not name or len(name) > 200:
        raise ValidationError({"name": _("A policy needs a name of at most 200 characters.")})
    if BrandingPolicy.objects.filter(name__iexact=name).exists():
        raise ValidationError({"name": _("A branding policy with this name already exists.")})
    policy = BrandingPolicy.objects.create(name=name)
    record("branding.policy_created", actor=actor, metadata={"policy": name})
    return policy


@transaction.atomic
def update_policy(
    *,
    actor: Actor,
    policy: BrandingPolicy,
    name: str,
    primary_color: str,
    font: str,
    header_style: str,
    custom: dict[str, dict[str, str]],
    logo: UploadedFile | None = None,
    clear_logo: bool = False,
) -> BrandingPolicy:
    require_brand(actor, _("Only brand admins edit branding policies."))
    name = (name or "").strip()
    if not name or len(name) > 200:
        raise ValidationError({"name": _("A policy needs a name of at most 200 characters.")})
    if BrandingPolicy.objects.filter(name__iexact=name).exclude(pk=policy.pk).exists():
        raise ValidationError({"name": _("A branding policy with this name already exists.")})
    policy = BrandingPolicy.objects.select_for_update().get(pk=policy.pk)
    before = (policy.name, policy.primary_color, policy.font, policy.header_style, policy.custom)
    policy.name = name
    policy.primary_color = _colour(primary_color, "primary_color")
    policy.font = _choice(font, BrandingPolicy.Font.choices, "font")
    policy.header_style = _choice(header_style, HeaderStyle.choices, "header_style")
    policy.custom = _custom(custom)
    changed = [
        field
        for field, old in zip(
            ("name", "primary_color", "font", "header_style", "custom"), before, strict=True
        )
        if getattr(policy, field) != old
    ]
    if logo is not None:
        name, stored = logo_file(logo)
        policy.logo.save(name, stored, save=False)
        changed.append("logo")
    elif clear_logo and policy.logo:
        policy.logo = ""
        changed.append("logo")
    policy.save()
    record(
        "branding.policy_updated", actor=actor, metadata={"policy": policy.name, "changed": changed}
    )
    return policy


@transaction.atomic
def set_override(
    *,
    actor: Actor,
    organization: Organization,
    background_color: str,
    header_style: str,
    logo: UploadedFile | None = None,
    clear_logo: bool = False,
) -> OrganizationBranding:
    """The organization's own branding, from the predefined options only (never CSS)."""
    require_brand(actor, _("Only brand admins change an organization's branding."))
    background = _colour(background_color, "background_color", blank=True)
    header = _choice(header_style, HeaderStyle.choices, "header_style")
    stored = logo_file(logo) if logo is not None else None
    override, _created = OrganizationBranding.objects.select_for_update().get_or_create(
        organization=organization
    )
    override.background_color = background
    override.header_style = header
    if stored is not None:
        override.logo.save(stored[0], stored[1], save=False)
    elif clear_logo:
        override.logo = ""
    override.save()
    record(
        "branding.override_set",
        organization=organization,
        actor=actor,
        metadata={"background": background, "header": header, "logo": bool(override.logo)},
    )
    return override


@transaction.atomic
def clear_override(*, actor: Actor, organization: Organization) -> None:
    """Back to the policy (or to the override of an organization above)."""
    require_brand(actor, _("Only brand admins change an organization's branding."))
    deleted, _rows = OrganizationBranding.objects.filter(organization=organization).delete()
    if deleted:
        record("branding.override_cleared", organization=organization, actor=actor)
