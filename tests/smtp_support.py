"""A real SMTP server for tests: aiosmtpd on a free local port, keeping every message, and
the Django settings that send email to it."""

import email
import email.policy
import socket
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from aiosmtpd.controller import Controller


class Sink:
    """aiosmtpd handler keeping every message it receives."""

    def __init__(self) -> None:
        self.messages: list[email.message.EmailMessage] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append(
            email.message_from_bytes(envelope.content, policy=email.policy.default)
        )
        return "250 Message accepted"

    def wait_for(self, to: str, timeout: float = 10.0) -> email.message.EmailMessage:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for message in self.messages:
                if to in message["To"]:
                    return message
            time.sleep(0.05)
        raise AssertionError(f"no message to {to} within {timeout} s: {self.messages}")

    def wait(self, count: int, timeout: float = 10.0) -> None:
        """Until at least `count` messages have arrived."""
        deadline = time.monotonic() + timeout
        while len(self.messages) < count and time.monotonic() < deadline:
            time.sleep(0.02)
        assert len(self.messages) >= count, self.messages

    def to(self, address: str) -> list[str]:
        """The text bodies of the messages sent to `address` (an email also has a branded HTML
        part: branding/emails.py)."""
        return [
            m.get_body(preferencelist=("plain",)).get_content()
            for m in self.messages
            if address in m["To"]
        ]


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def smtp_sink(settings: Any, public_url: str) -> Iterator[Sink]:
    """An SMTP server on 127.0.0.1, Django sending its email there, and links in email leading
    to `public_url`."""
    sink = Sink()
    port = free_port()
    controller = Controller(sink, hostname="127.0.0.1", port=port)
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = port
    settings.EMAIL_HOST_USER = ""
    settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_USE_SSL = False
    settings.EMAIL_TIMEOUT = 10
    settings.ORGDESK_PUBLIC_URL = public_url
    try:
        yield sink
    finally:
        controller.stop()
