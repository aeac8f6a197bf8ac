"""An organization's resolved branding: its application's branding policy (the Default
policy when it has none), then the override of the organization or of the nearest one above
it, which wins for the logo, the background colour and the header style. Clearing an
override falls back to the policy (or to the override above)."""

import base64
import hashlib
from dataclasses import dataclass
from typing import Any

from django.urls import reverse

from orgdesk.branding.models import BrandingPolicy, OrganizationBranding
from orgdesk.branding.selectors import default_policy, nearest_override
from orgdesk.branding.theme import hex_digits, theme_url
from orgdesk.organizations.models import Application, Organization


@dataclass(frozen=True)
class Branding:
    policy: BrandingPolicy | None
    override: OrganizationBranding | None
    primary: str
    background: str
    header: str
    font: str
    logo_url: str

    @property
    def theme_url(self) -> str:
        return theme_url(
            primary=self.primary, background=self.background, header=self.header, font=self.font
        )

    def surface(self, name: str) -> dict[str, Any]:
        """What a page of `name` (signin, portal, emails) links: the tokens, and the policy's
        custom CSS and additional script for that surface as files of their own, the
        script with its integrity hash."""
        found: dict[str, Any] = {
            "theme_url": self.theme_url,
            "logo_url": self.logo_url,
            "header_style": self.header,
            "css_url": "",
            "script_url": "",
            "script_integrity": "",
        }
        policy = self.policy
        if policy is None:
            return found
        version = int(policy.updated.timestamp())
        if policy.custom_text(name, "css"):
            url = reverse("branding:custom_css", args=[policy.pk, name])
            found["css_url"] = f"{url}?v={version}"
        script = policy.custom_text(name, "script")
        if script and name != "emails":  # mail clients run no script
            url = reverse("branding:custom_js", args=[policy.pk, name])
            found["script_url"] = f"{url}?v={version}"
            digest = hashlib.sha384(script.encode()).digest()
            found["script_integrity"] = "sha384-" + base64.b64encode(digest).decode()
        return found


def policy_of(application: Application | None) -> BrandingPolicy | None:
    if application is not None and application.branding_policy_id is not None:
        return application.branding_policy
    return default_policy()


def resolve(organization: Organization | None, application: Application | None = None) -> Branding:
    """The branding of `organization` (None: of `application` alone, e.g. a sign-in page
    before anyone is known)."""
    if application is None and organization is not None:
        # the application and its policy in one query (the organization's own is not
        # loaded by most callers)
        application = (
            Application.objects.select_related("branding_policy")
            .filter(pk=organization.application_id)
            .first()
        )
    policy = policy_of(application)
    override = nearest_override(organization) if organization is not None else None
    primary = hex_digits(policy.primary_color) if policy is not None else ""
    header = policy.header_style if policy is not None else "brand"
    background = ""
    logo_url = policy.logo.url if policy is not None and policy.logo else ""
    if override is not None:
        header = override.header_style
        background = hex_digits(override.background_color)
        if override.logo:
            logo_url = override.logo.url
    return Branding(
        policy=policy,
        override=override,
        primary=primary,
        background=background,
        header=header,
        font=policy.font if policy is not None else "system",
        logo_url=logo_url,
    )


def portal_sign_in() -> dict[str, Any]:
    """The admin sign-in page's branding: the Organization Portal application's policy (no
    organization is known before sign-in)."""
    from orgdesk.organizations.models import PORTAL_CLIENT_ID

    application = (
        Application.objects.select_related("branding_policy")
        .filter(client_id=PORTAL_CLIENT_ID)
        .first()
    )
    return resolve(None, application).surface("signin")
