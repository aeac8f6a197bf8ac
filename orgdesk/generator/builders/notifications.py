"""Notifications sent to customers."""

import datetime as dt

from orgdesk.generator.builders import Row
from orgdesk.generator.builders.accounts import Customer
from orgdesk.generator.draws import Draws, weighted
from orgdesk.notifications.models import NotificationTemplate

NOTIFICATION_MIX = [
    ("password_reset", 30),
    ("email_verification", 25),
    ("email_otp", 20),
    ("sms_otp", 12),
    ("mfa_enrolment", 8),
]


NOTIFICATION_COLUMNS = (
    "account_id",
    "organization_id",
    "template_id",
    "channel",
    "target",
    "sent_at",
    "expires_at",
    "status",
    "error",
)


class NotificationBuilder:
    def __init__(self, draws: Draws, templates: dict[str, NotificationTemplate]) -> None:
        self.draws = draws
        self.templates = templates
        self.pick = weighted(draws.rng, NOTIFICATION_MIX)

    def rows(self, c: Customer) -> list[Row]:
        """The email telling the customer the account was disabled, then the usual
        messages (to the phone or the email address the template's channel needs)."""
        draws, rng, spell = self.draws, self.draws.rng, c.spell
        rows: list[Row] = []
        if spell is not None:
            template = self.templates["account_disabled"]
            if c.email and template.channel == "email":
                rows.append(
                    (
                        c.account_id,
                        c.org.id,
                        template.id,
                        template.channel,
                        c.email,
                        dt.datetime.fromtimestamp(spell[0], dt.UTC),
                        None,
                        "delivered",
                        "",
                    )
                )
        if rng.random() < 0.45:
            for _ in range(rng.randint(1, 2)):
                template = self.templates[self.pick()]
                target = c.phone if template.channel == "sms" else c.email
                if not target:
                    continue
                sent = draws.ts_between(c.created_ts, c.end_ts)
                expires = (
                    sent + dt.timedelta(minutes=template.expires_after)
                    if template.expires_after
                    else None
                )
                status = "failed" if rng.random() < 0.03 else "delivered"
                rows.append(
                    (
                        c.account_id,
                        c.org.id,
                        template.id,
                        template.channel,
                        target,
                        sent,
                        expires,
                        status,
                        "mailbox unavailable" if status == "failed" else "",
                    )
                )
        return rows
