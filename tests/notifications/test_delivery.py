"""Emails leave from the worker: queue_email records the Notification, the transaction's
commit enqueues the task `send_notification_email`, and the worker (`orgdesk worker`, i.e.
django-tasks' db_worker) sends it and marks the row. A rolled-back transaction sends nothing
and enqueues nothing; the queued task holds the email's text encrypted only."""

from typing import Any
from unittest import mock

import pytest
from django.core import mail
from django.core.management import call_command
from django.db import transaction
from django_tasks_db.models import DBTaskResult

from orgdesk.accounts.actions import send_password_link
from orgdesk.notifications.delivery import send_notification_email
from orgdesk.notifications.models import Notification
from orgdesk.testing.actors import SYSTEM

pytestmark = pytest.mark.django_db


def run_worker() -> None:
    call_command("db_worker", batch=True, verbosity=0, startup_delay=False)


# The worker runs as it does in production, in its own transactions (it also closes the
# connection when done): these tests commit for real instead of inside a test transaction.
real_commits = pytest.mark.django_db(transaction=True)


@real_commits
def test_the_email_is_a_task_the_worker_sends_after_commit(
    world: Any, database_tasks: None
) -> None:
    with transaction.atomic():
        notification = send_password_link(
            actor=SYSTEM, account=world.inside, purpose="password_reset"
        )
        # Before the commit: nothing enqueued, nothing sent.
        assert not DBTaskResult.objects.exists()
    assert mail.outbox == []  # the request does not send it
    queued = DBTaskResult.objects.get()
    assert queued.task_path == send_notification_email.module_path
    assert queued.status == "READY"
    # The stored arguments carry the email's text encrypted: no usable link in the queue.
    assert "/account/password/" not in str(queued.args_kwargs)
    assert world.inside.email not in str(queued.args_kwargs)
    notification.refresh_from_db()
    assert notification.status == Notification.Status.QUEUED

    run_worker()

    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == [world.inside.email]
    assert "/account/password/" in mail.outbox[0].body
    notification.refresh_from_db()
    assert notification.status == Notification.Status.SENT
    queued.refresh_from_db()
    assert queued.status == "SUCCESSFUL"


@real_commits
def test_nothing_is_enqueued_or_sent_when_the_transaction_rolls_back(
    world: Any, database_tasks: None
) -> None:
    with pytest.raises(RuntimeError), transaction.atomic():
        send_password_link(actor=SYSTEM, account=world.inside, purpose="password_reset")
        raise RuntimeError("the caller fails after queueing the email")
    assert not DBTaskResult.objects.exists()
    assert not Notification.objects.filter(account=world.inside).exists()
    run_worker()
    assert mail.outbox == []


@real_commits
def test_a_failure_in_the_worker_marks_the_notification_failed(
    world: Any, database_tasks: None
) -> None:
    notification = send_password_link(actor=SYSTEM, account=world.inside, purpose="password_reset")
    with mock.patch("orgdesk.notifications.delivery.send_mail", side_effect=OSError("smtp down")):
        run_worker()
    notification.refresh_from_db()
    assert notification.status == Notification.Status.FAILED
    assert "smtp down" in notification.error
    assert mail.outbox == []


def test_with_the_immediate_backend_it_is_sent_at_commit(
    world: Any, django_capture_on_commit_callbacks: Any
) -> None:
    """The tests' backend (tests/conftest.py): the task runs as soon as it is enqueued."""
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        notification = send_password_link(
            actor=SYSTEM, account=world.inside, purpose="password_reset"
        )
    assert mail.outbox == []
    for callback in callbacks:
        callback()
    assert len(mail.outbox) == 1
    notification.refresh_from_db()
    assert notification.status == Notification.Status.SENT
