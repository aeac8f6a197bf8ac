"""An email's branded HTML part: the organization's resolved branding (branding/resolve.py)
around the text of the message. The text part stays the message itself; this adds the
header band in the brand's colour or the header style, the logo, and the policy's CSS for
the Emails surface. Mail clients need inline styles: the values are validated tokens only
(six hex digits, a fixed header style), and the policy's CSS cannot close its <style>.

The look is resolved once per sender (`email_look`): a bulk job of 100,000 invitations to
one organization resolves it once, not once per email."""

from dataclasses import dataclass

from django.conf import settings
from django.template.loader import render_to_string

from orgdesk.branding.resolve import resolve
from orgdesk.branding.theme import DEFAULT_PRIMARY, text_on
from orgdesk.organizations.models import Organization


@dataclass(frozen=True)
class EmailLook:
    band: str  # six hex digits
    band_text: str  # a CSS colour
    background: str  # six hex digits
    logo_url: str  # absolute, or ""
    name: str
    custom_css: str


def _absolute(url: str) -> str:
    if not url or url.startswith(("http://", "https://")):
        return url
    base = (getattr(settings, "ORGDESK_PUBLIC_URL", "") or "").rstrip("/")
    return f"{base}{url}" if base else ""


def email_look(organization: Organization | None) -> EmailLook:
    """The look of `organization`'s emails (None: the brand's default)."""
    branding = resolve(organization)
    primary = branding.primary or DEFAULT_PRIMARY
    if branding.header == "dark":
        band, band_text = "18181b", "#ffffff"
    elif branding.header == "light":
        band, band_text = "ffffff", "#18181b"
    else:
        band, band_text = primary, text_on(primary)
    css = branding.policy.custom_text("emails", "css") if branding.policy is not None else ""
    return EmailLook(
        band=band,
        band_text=band_text,
        background=branding.background or "f7f7f8",
        logo_url=_absolute(branding.logo_url),
        name=organization.name if organization is not None else "",
        # the policy's CSS may not end the <style> element it is written into
        custom_css=css.replace("</", "<\\/"),
    )


def email_html(look: EmailLook, subject: str, body: str) -> str:
    """The HTML part of an email: `body`'s paragraphs (escaped) in the look's frame."""
    return render_to_string(
        "notifications/email.html",
        {
            "look": look,
            "subject": subject,
            "paragraphs": [part for part in body.split("\n\n") if part.strip()],
        },
    )
