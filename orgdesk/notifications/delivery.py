"""Sending a customer notification: one row in the log, the email from the worker.

Every email Orgdesk sends a customer (password and enrolment links, invitations, notices) is
recorded as a Notification first, queued, and handed to the background worker as the task
`send_notification_email` when the transaction that caused it commits; the worker sends it
and notes the outcome on the row. No request waits for an SMTP server, and a transaction that
rolls back sends nothing. The task's arguments (the email's text, links included) are stored
Fernet-encrypted in the task queue (core.fields.encrypt_text): the queue table holds no
usable link.
"""

import json
import logging
from collections.abc import Callable
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone
from django_tasks import task

from orgdesk.core.fields import decrypt_text, encrypt_text
from orgdesk.notifications.models import Channel, Notification, NotificationTemplate

if TYPE_CHECKING:
    from orgdesk.branding.emails import EmailLook

logger = logging.getLogger(__name__)


def seal(subject: str, body: str, target: str, html: str = "") -> str:
    """An email's text (and its branded HTML part) as the task stores it: encrypted."""
    return encrypt_text(
        json.dumps({"subject": subject, "body": body, "target": target, "html": html})
    )


@task()
def send_notification_email(notification_id: int, sealed: str) -> None:
    """The background task (django-tasks; `orgdesk worker` runs it): send one queued email."""
    message = json.loads(decrypt_text(sealed))
    deliver(
        notification_id,
        message["subject"],
        message["body"],
        message["target"],
        html=message.get("html", ""),
    )


def enqueue_on_commit(
    notification_id: int, subject: str, body: str, target: str, html: str = ""
) -> None:
    """Hand the email to the worker once the caller's transaction commits (nothing if it
    rolls back)."""
    sealed = seal(subject, body, target, html)
    transaction.on_commit(lambda: send_notification_email.enqueue(notification_id, sealed))


def deliver(notification_id: int, subject: str, body: str, target: str, html: str = "") -> None:
    """Send one email and note the outcome on its notification row (in the worker)."""
    try:
        send_mail(subject, body, None, [target], fail_silently=False, html_message=html or None)
    except Exception as exc:
        logger.exception("notification email %s failed", notification_id)
        Notification.objects.filter(pk=notification_id).update(
            status=Notification.Status.FAILED, error=f"{type(exc).__name__}: {exc}"[:500]
        )
    else:
        Notification.objects.filter(pk=notification_id).update(status=Notification.Status.SENT)


def fill(text: str, values: dict[str, Any]) -> str:
    """`{name}` placeholders filled with str.replace, not format(): a brand's template text
    with other braces must not break sending."""
    for name, value in values.items():
        text = text.replace("{" + name + "}", str(value))
    return text


def queue_email(
    *,
    account: Any,
    template_code: str = "",
    target: str,
    values: dict[str, Any] | None = None,
    expires_at: Any = None,
    template: NotificationTemplate | None = None,
    organization: Any = None,
    sent_at: Any = None,
    render: Callable[[Notification], tuple[str, str]] | None = None,
    look: "EmailLook | None" = None,
) -> Notification:
    """Record an email to `target` as a queued Notification, sent by the worker once the
    caller's transaction commits: the one way Orgdesk emails someone.

    The template is `template` or the one coded `template_code` (a caller sending many reads
    it once). `expires_at` None: the template's lifetime from now (or none). The text is the
    template's with `values` filled in — a callable value is called with the notification
    once the row exists (a link whose token covers the newest notification) — or, with
    `render`, whatever it returns as (subject, body). `organization` defaults to the
    account's (an invitation's email has no account yet). The email's HTML part wears the
    organization's branding: `look` when the caller resolved it once for many emails."""
    template = template or NotificationTemplate.objects.get(code=template_code)
    now = timezone.now()
    if expires_at is None and template.expires_after:
        expires_at = now + timedelta(minutes=template.expires_after)
    notification = Notification.objects.create(
        account=account,
        organization=organization or getattr(account, "organization", None),
        template=template,
        channel=Channel.EMAIL,
        target=target,
        sent_at=sent_at or now,
        expires_at=expires_at,
        status=Notification.Status.QUEUED,
    )
    if render is not None:
        subject, body = render(notification)
    else:
        filled = {k: v(notification) if callable(v) else v for k, v in (values or {}).items()}
        subject = fill(template.subject, filled)
        body = fill(template.body, filled)
    from orgdesk.branding.emails import email_html, email_look

    html = email_html(look or email_look(notification.organization), subject, body)
    enqueue_on_commit(notification.pk, subject, body, target, html)
    return notification
