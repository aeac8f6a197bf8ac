"""Sending a customer notification: one row in the log, the email after commit.

Every email Orgdesk sends a customer (password and enrolment links, invitations, notices) is
recorded as a Notification first, queued, then sent when the transaction that caused it
commits; the outcome is noted on the row.
"""

import logging
from datetime import timedelta
from typing import Any

from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone

from orgdesk.notifications.models import Channel, Notification, NotificationTemplate

logger = logging.getLogger(__name__)


def deliver(notification_id: int, subject: str, body: str, target: str) -> None:
    """Send one email and note the outcome on its notification row (runs after commit)."""
    try:
        send_mail(subject, body, None, [target], fail_silently=False)
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
    template_code: str,
    target: str,
    values: dict[str, Any] | None = None,
    expires_at: Any = None,
) -> Notification:
    """Record an email to `target` from the template `template_code` and send it on commit.
    `expires_at` None: the template's lifetime from now (or none). A callable in `values` is
    called once the row exists (a link whose token covers the newest notification)."""
    template = NotificationTemplate.objects.get(code=template_code)
    now = timezone.now()
    if expires_at is None and template.expires_after:
        expires_at = now + timedelta(minutes=template.expires_after)
    notification = Notification.objects.create(
        account=account,
        organization=getattr(account, "organization", None),
        template=template,
        channel=Channel.EMAIL,
        target=target,
        sent_at=now,
        expires_at=expires_at,
        status=Notification.Status.QUEUED,
    )
    filled = {k: v() if callable(v) else v for k, v in (values or {}).items()}
    subject = fill(template.subject, filled)
    body = fill(template.body, filled)
    transaction.on_commit(lambda: deliver(notification.pk, subject, body, target))
    return notification
