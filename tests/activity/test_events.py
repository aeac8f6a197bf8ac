import pytest
from django.db import DatabaseError, connection, transaction

from orgdesk.access.actor import Actor
from orgdesk.activity.events import EVENT_TYPES, category_of
from orgdesk.activity.models import AppendOnlyError, Event
from orgdesk.activity.recorder import record
from orgdesk.testing.actors import SYSTEM
from tests.factories import make_account

pytestmark = pytest.mark.django_db


@pytest.fixture
def event(tree):
    account = make_account(tree.france, email="ev@example.com")
    return record(
        "login",
        account=account,
        actor=Actor.customer(account),
        ip="203.0.113.9",
        metadata={"client_id": "web"},
    )


def test_record_fills_category_and_organization(event, tree):
    assert event.category == "customer_flow"
    assert event.organization_id == tree.france.id
    assert category_of("account.disabled") == "admin_action"
    with pytest.raises(ValueError, match="unknown event type"):
        record("made.up", actor=SYSTEM)


def test_events_cannot_be_changed_through_the_orm(event):
    event.result = "failure"
    with pytest.raises(AppendOnlyError):
        event.save()
    with pytest.raises(AppendOnlyError):
        event.delete()
    with pytest.raises(AppendOnlyError):
        Event.objects.filter(pk=event.pk).update(result="failure")
    with pytest.raises(AppendOnlyError):
        Event.objects.filter(pk=event.pk).delete()
    with pytest.raises(AppendOnlyError):
        Event.objects.bulk_update([event], ["result"])
    assert Event.objects.get(pk=event.pk).result == "success"


def test_database_refuses_updates_too(event):
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE activity_event SET result = 'failure' WHERE id = %s", [event.pk])
    assert Event.objects.get(pk=event.pk).result == "success"


def test_events_outlive_their_account(event):
    account = event.account
    account.delete()
    assert Event.objects.filter(pk=event.pk).exists()


def test_catalogue_categories_are_valid():
    assert {cat for cat, _label in EVENT_TYPES.values()} == {"customer_flow", "admin_action"}
