"""The invitation email: rendered in the invitee's language, recorded as a Notification with the
invitation's expiry, sent through Django's email backend after the transaction commits."""

import datetime as dt
import logging
from typing import Any

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import formats, timezone, translation

from orgdesk.invitations.models import Invitation
from orgdesk.invitations.tokens import invitation_link
from orgdesk.notifications.builtins import NOTIFICATION_TEMPLATES
from orgdesk.notifications.delivery import queue_email
from orgdesk.notifications.models import Notification, NotificationTemplate

logger = logging.getLogger(__name__)

TEMPLATE_CODE = "invitation"  # the NotificationTemplate row (notifications/builtins.py)


def invitation_language(locale: str) -> str:
    """A language the site has, for an invitation's stored locale ("" or unknown: default)."""
    try:
        return translation.get_supported_language_variant(locale or settings.LANGUAGE_CODE)
    except LookupError:
        return settings.LANGUAGE_CODE


def _brand_text(template: NotificationTemplate | None) -> tuple[str, str] | None:
    """The brand's own subject and body when it has changed the built-in "invitation"
    template (notification policies); None while it is the default, which is then rendered
    from the translated templates in the invitee's language."""
    if template is None:
        return None
    default = next(t for t in NOTIFICATION_TEMPLATES if t[0] == TEMPLATE_CODE)
    if (template.subject, template.body) == (default[3], default[4]):
        return None
    return template.subject, template.body


def render_invitation_email(
    invitation: Invitation, link: str, template: NotificationTemplate | None = None
) -> tuple[str, str]:
    """Subject and plain-text body, in the invitee's language; dates in UTC. A brand that
    customised the "invitation" template gets its own text, with {organization},
    {given_name}, {link} and {expires} filled in."""
    if template is None:
        template = NotificationTemplate.objects.filter(code=TEMPLATE_CODE).first()
    custom = _brand_text(template)
    if custom is not None:
        with translation.override(invitation_language(invitation.locale)):
            values = {
                "{organization}": invitation.organization.name,
                "{given_name}": invitation.given_name,
                "{link}": link,
                "{expires}": formats.date_format(
                    invitation.expires.astimezone(dt.UTC), "DATETIME_FORMAT"
                )
                + " (UTC)",
            }
        subject, body = custom
        # str.replace, not format(): other braces in a brand's text must not break sending.
        for key, value in values.items():
            subject, body = subject.replace(key, value), body.replace(key, value)
        return " ".join(subject.split()), body.strip() + "\n"
    context = {
        "organization": invitation.organization,
        "application": invitation.application,
        "given_name": invitation.given_name,
        "link": link,
        "expires": invitation.expires,
    }
    with translation.override(invitation_language(invitation.locale)), timezone.override(dt.UTC):
        subject = render_to_string("invitations/email/subject.txt", context)
        body = render_to_string("invitations/email/body.txt", context)
    return " ".join(subject.split()), body.strip() + "\n"


def queue_invitation_email(
    invitation: Invitation,
    token: str,
    *,
    template: NotificationTemplate | None = None,
    look: Any = None,
) -> Notification:
    """Record the email as a queued Notification (expiring with the invitation) and send it
    when the caller's transaction commits. `template`: the "invitation" NotificationTemplate,
    for callers sending many (a bulk job reads it once)."""
    template = template or NotificationTemplate.objects.get(code=TEMPLATE_CODE)
    return queue_email(
        account=None,  # set when the invitation is accepted (actions.accept_invitation)
        organization=invitation.organization,
        template=template,
        target=invitation.email,
        sent_at=invitation.last_sent,
        expires_at=invitation.expires,
        render=lambda _notification: render_invitation_email(
            invitation, invitation_link(token), template
        ),
        look=look,
    )
