"""The event catalogue names each event for what happened (issue 12 item 7)."""

import re

import pytest
from django.utils import translation

from orgdesk.accounts.actions import LINK_SENT_EVENTS, LINK_USED_EVENTS
from orgdesk.accounts.passwords import PURPOSES
from orgdesk.activity.events import EVENT_TYPES, account_event_choices, label_of


def test_every_label_is_its_own():
    for language in ("en", "fr", "de", "es"):
        with translation.override(language):
            labels = [str(label) for _category, label in EVENT_TYPES.values()]
            assert len(set(labels)) == len(labels), language


@translation.override("en")
def test_password_links_are_recorded_for_their_purpose():
    assert set(LINK_SENT_EVENTS) == set(LINK_USED_EVENTS) == set(PURPOSES)
    assert label_of(LINK_SENT_EVENTS["set_password"]) == "Set-password link sent"
    assert label_of(LINK_SENT_EVENTS["password_reset"]) == "Password reset link sent"
    assert label_of(LINK_USED_EVENTS["set_password"]) == "Password created"
    assert label_of(LINK_USED_EVENTS["password_reset"]) == "Password reset"
    for code in (*LINK_SENT_EVENTS.values(), *LINK_USED_EVENTS.values()):
        assert code in EVENT_TYPES


@pytest.mark.parametrize(
    ("language", "label"),
    [
        ("fr", "Lien de création du mot de passe envoyé"),
        ("de", "Link zum Festlegen des Passworts gesendet"),
        ("es", "Enlace para crear la contraseña enviado"),
    ],
)
def test_the_activity_filter_offers_the_new_labels_translated(language, label):
    with translation.override(language):
        offered = {text for _group, entries in account_event_choices() for _code, text in entries}
    assert label in offered


@pytest.mark.django_db
def test_an_account_created_with_a_link_shows_the_link_was_sent_not_a_reset(
    world, admin_client, django_capture_on_commit_callbacks
):
    from django.urls import reverse

    from orgdesk.accounts.models import Account
    from orgdesk.activity.models import Event
    from tests.detail_support import tab_url

    create = reverse("portal:account_create", args=[world.emea.key])
    form = {
        "given_name": "Nora",
        "family_name": "Link",
        "email": "nora.link@acme.test",
        "password_choice": "link",
        "password": "",
        "locale": "",
    }
    with django_capture_on_commit_callbacks(execute=True):
        assert admin_client.post(create, form).status_code == 302
    account = Account.objects.get(email="nora.link@acme.test")
    types = set(Event.objects.filter(account=account).values_list("type", flat=True))
    assert types == {"account.created", "account.set_password_link_sent"}
    html = admin_client.get(tab_url(world.emea, account, "activity")).content.decode()
    labels = re.findall(r'<span class="event-label">([^<]*)</span>', html)
    assert sorted(labels) == ["Account created", "Set-password link sent"]
    html = admin_client.get(
        tab_url(world.emea, account, "activity"), HTTP_ACCEPT_LANGUAGE="fr"
    ).content.decode()
    assert "Lien de création du mot de passe envoyé" in html
