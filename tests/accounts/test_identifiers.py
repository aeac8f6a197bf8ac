import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from orgdesk.accounts.models import Account
from orgdesk.accounts.validation import normalize_phone
from orgdesk.activity.models import Event
from tests.factories import make_account

pytestmark = pytest.mark.django_db


def raw_account(org, **fields):
    """Bypass validation: what the database alone enforces."""
    account = Account(organization=org, store=org.identity_store_id if org else None, **fields)
    account.set_unusable_password()
    with transaction.atomic():
        account.save()
    return account


@pytest.mark.parametrize(
    ("field", "first", "second"),
    [
        ("email", "Anna@Example.com", "anna@example.COM"),
        ("username", "AnnaB", "annab"),
        ("phone", "+33612345678", "+33612345678"),
    ],
)
def test_database_enforces_uniqueness_per_tree(tree, field, first, second):
    raw_account(tree.france, **{field: first})
    # elsewhere in the same tree: refused by the database itself
    with pytest.raises(IntegrityError):
        raw_account(tree.americas, **{field: second})
    # another tree is another identity store
    raw_account(tree.globex_eu, **{field: second})


def test_blank_identifiers_do_not_collide(tree):
    raw_account(tree.france, email="a@example.com")
    raw_account(tree.france, email="b@example.com")  # both without username and phone
    assert Account.objects.filter(username="", phone="").count() == 2


def test_brand_admins_unique_among_themselves(db):
    raw_account(None, email="boss@brand.test", is_staff=True)
    with pytest.raises(IntegrityError):
        raw_account(None, email="BOSS@brand.test", is_staff=True)


def test_validation_reports_conflicts_by_field(tree):
    make_account(tree.france, email="anna@example.com", username="anna", phone="+33612345678")
    with pytest.raises(ValidationError) as caught:
        make_account(
            tree.germany, email="ANNA@example.com", username="Anna", phone="+33 6 12 34 56 78"
        )
    errors = caught.value.message_dict
    assert set(errors) == {"email", "username", "phone"}
    assert "already used" in errors["email"][0]
    assert Account.objects.count() == 1
    assert Event.objects.filter(type="account.created").count() == 1


@pytest.mark.parametrize(
    ("fields", "bad_field"),
    [
        ({"email": "not-an-email"}, "email"),
        ({"username": "has space"}, "username"),
        ({"phone": "12345"}, "phone"),
        ({"phone": "+33 1"}, "phone"),
        ({}, "email"),  # no identifier at all
    ],
)
def test_bad_identifiers_are_refused(tree, fields, bad_field):
    with pytest.raises(ValidationError) as caught:
        make_account(tree.france, **fields)
    assert bad_field in caught.value.message_dict
    assert not Account.objects.exists()


def test_phone_is_normalized_to_e164(tree):
    account = make_account(tree.france, phone="+33 6 12 34 56 78")
    assert account.phone == "+33612345678"
    assert normalize_phone("+1 212-456-7890") == "+12124567890"
    assert normalize_phone("") == ""


def test_status_and_disabled_timestamp_agree(tree):
    account = make_account(tree.france, email="d@example.com")
    assert account.disabled_at is None and account.is_active
    account.status = Account.Status.DISABLED
    account.save()
    assert account.disabled_at is not None and not account.is_active
    account.status = Account.Status.ENABLED
    account.save()
    assert account.disabled_at is None
    # the database refuses a disabled account without its timestamp
    with pytest.raises(IntegrityError), transaction.atomic():
        Account.objects.filter(pk=account.pk).update(status="disabled")
    with pytest.raises(IntegrityError), transaction.atomic():
        Account.objects.filter(pk=account.pk).update(status="archived")


def test_create_account_records_event_in_same_transaction(tree):
    account = make_account(tree.france, email="e@example.com", given_name="Eva", family_name="Lind")
    event = Event.objects.get(type="account.created")
    assert (event.account_id, event.organization_id) == (account.id, tree.france.id)
    assert event.category == Event.Category.ADMIN_ACTION
    assert account.display_name == "Eva Lind"
    assert account.store == tree.acme.id


def test_argon2_with_owasp_parameters(tree, argon2_hashing):
    account = make_account(tree.france, email="h@example.com", password="s3cret-enough-pass")
    algorithm, params = account.password.split("$")[0], account.password.split("$")[3:4]
    assert algorithm == "argon2"
    assert params == ["m=19456,t=2,p=1"]
    assert account.check_password("s3cret-enough-pass")
    assert not account.check_password("wrong")
