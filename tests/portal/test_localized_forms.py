"""Forms in the admin's language (issue 12 item 5): dates shown and typed the way the admin's
language writes them (ISO still accepted, so old links keep working), the preferred language
as a choice of languages, and the profile picture's file input as a button."""

import datetime as dt
import re
import unicodedata
from typing import Any

import pytest
from django import forms
from django.urls import reverse
from django.utils import timezone, translation

from orgdesk.accounts.models import Account
from orgdesk.activity.models import Event
from orgdesk.core.formfields import (
    LanguageField,
    LocalDateField,
    language_choices,
    language_name,
)
from tests.detail_support import action_url, tab_url

pytestmark = pytest.mark.django_db

DAY = dt.date(2026, 12, 3)


def fresh(account: Account) -> Account:
    return Account.objects.get(pk=account.pk)


def _unaccented(text: str) -> str:
    return "".join(
        c for c in unicodedata.normalize("NFKD", text.casefold()) if not unicodedata.combining(c)
    )


class DayForm(forms.Form):
    day = LocalDateField(required=False)


def _bound(value: str, language: str) -> DayForm:
    with translation.override(language):
        form = DayForm({"day": value})
        form.is_valid()
        return form


# ---- the date field ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("language", "shown", "placeholder"),
    [
        ("fr", "03/12/2026", "jj/mm/aaaa"),
        ("de", "03.12.2026", "TT.MM.JJJJ"),
        ("es", "03/12/2026", "dd/mm/aaaa"),
        ("en", "2026-12-03", "yyyy-mm-dd"),
    ],
)
def test_a_date_is_shown_in_the_admins_language(language, shown, placeholder):
    with translation.override(language):
        html = str(DayForm(initial={"day": DAY})["day"])
        assert f'value="{shown}"' in html
        assert 'type="text"' in html and 'type="date"' not in html
        assert f'placeholder="{placeholder}"' in html
        assert "pattern=" in html
        # A value from a link (ISO) is shown the same way.
        assert f'value="{shown}"' in str(_bound("2026-12-03", language)["day"])


@pytest.mark.parametrize(
    ("language", "typed"),
    [
        ("fr", "03/12/2026"),
        ("fr", "3/12/26"),
        ("fr", "2026-12-03"),
        ("de", "03.12.2026"),
        ("de", "2026-12-03"),
        ("es", "03/12/2026"),
        ("en", "2026-12-03"),
        # Day first in every language: a remembered French URL means the same day in English.
        ("en", "03/12/2026"),
        ("de", "03/12/2026"),
        ("fr", "03.12.2026"),
    ],
)
def test_a_date_is_read_in_every_portal_format(language, typed):
    form = _bound(typed, language)
    assert form.is_valid(), form.errors
    assert form.cleaned_data["day"] == DAY


@pytest.mark.parametrize(
    ("language", "typed", "example"),
    [
        ("fr", "31/02/2026", "03/12/2026"),
        ("fr", "12/31/2026", "03/12/2026"),  # month first: not a French date
        ("en", "12/31/2026", "2026-12-03"),  # nor a date of any language the portal reads
        ("de", "morgen", "03.12.2026"),
    ],
)
def test_a_wrong_date_says_the_format_expected(language, typed, example):
    form = _bound(typed, language)
    assert not form.is_valid()
    (message,) = form.errors["day"]
    assert example in message
    # The value typed is shown again, as typed.
    assert f'value="{typed}"' in str(form["day"])


# ---- the Accounts list -------------------------------------------------------------------------


def _accounts(client: Any, org: Any, language: str, **query: str) -> str:
    url = reverse("portal:accounts", args=[org.key])
    response = client.get(url, query, HTTP_ACCEPT_LANGUAGE=language)
    assert response.status_code == 200
    return response.content.decode()


def test_accounts_filter_by_a_french_date_and_the_same_url_in_english(admin_client, world):
    today = timezone.localdate()
    yesterday = today - dt.timedelta(days=1)
    french = today.strftime("%d/%m/%Y")
    html = _accounts(admin_client, world.emea, "fr", created_from=french)
    assert "Inside" in html
    # Shown as typed, in the filter panel, with the French format as its hint.
    assert 'name="created_from" id="id_created_from"' in html
    assert re.search(rf'id="id_created_from"[^>]*value="{re.escape(french)}"', html)
    assert 'placeholder="jj/mm/aaaa"' in html
    assert "Inside" not in _accounts(
        admin_client, world.emea, "fr", created_to=yesterday.strftime("%d/%m/%Y")
    )
    # The same (remembered, linked) value read by an English page: the same day, shown ISO.
    html = _accounts(admin_client, world.emea, "en", created_from=french)
    assert "Inside" in html and "not valid" not in html
    assert re.search(rf'id="id_created_from"[^>]*value="{today.isoformat()}"', html)
    # Old links (ISO) keep working in French, shown the French way.
    html = _accounts(admin_client, world.emea, "fr", created_from=today.isoformat())
    assert "Inside" in html
    assert re.search(rf'id="id_created_from"[^>]*value="{re.escape(french)}"', html)


def test_an_invalid_date_filter_is_left_out_and_said(admin_client, world):
    html = _accounts(admin_client, world.emea, "en", created_from="31/02/2026")
    assert "These filters were not valid and were ignored: Created from." in html
    assert "Inside" in html


def test_activity_filter_in_german(admin_client, world):
    Event.objects.filter(account=world.inside).count()  # the world's events, of today
    today = timezone.localdate()
    url = tab_url(world.emea, world.inside, "activity", date_from=today.strftime("%d.%m.%Y"))
    html = admin_client.get(url, HTTP_ACCEPT_LANGUAGE="de").content.decode()
    assert "Diese Filter sind ungültig" not in html
    assert re.search(rf'id="id_date_from"[^>]*value="{today:%d.%m.%Y}"', html)
    assert 'placeholder="TT.MM.JJJJ"' in html


# ---- the Overview's personal information ----------------------------------------------------


def _profile(account: Account, **changes: Any) -> dict[str, Any]:
    data = {
        "version": account.updated.isoformat(),
        "given_name": account.given_name,
        "family_name": account.family_name,
        "display_name": account.display_name,
        "birthdate": "",
        "locale": account.locale,
        "street": account.street,
        "city": account.city,
        "region": account.region,
        "postal_code": account.postal_code,
        "country": account.country,
    }
    data.update(changes)
    return data


def test_birthdate_typed_and_shown_the_french_way(admin_client, world):
    account = fresh(world.inside)
    response = admin_client.post(
        action_url("account_update_profile", world.emea, account),
        _profile(account, birthdate="29/02/1988"),
        HTTP_ACCEPT_LANGUAGE="fr",
    )
    assert response.status_code == 302
    assert fresh(account).birthdate == dt.date(1988, 2, 29)
    html = admin_client.get(
        tab_url(world.emea, account, "overview"), HTTP_ACCEPT_LANGUAGE="fr"
    ).content.decode()
    assert re.search(r'name="birthdate"[^>]*value="29/02/1988"', html)


def test_preferred_language_is_a_choice_named_in_the_admins_language(admin_client, world):
    html = admin_client.get(
        tab_url(world.emea, world.inside, "overview"), HTTP_ACCEPT_LANGUAGE="fr"
    ).content.decode()
    select = re.search(r'<select name="locale".*?</select>', html, re.S)
    assert select, "no language choice"
    options = select.group(0)
    assert '<option value="">Non défini</option>' in options or "Non défini" in options
    assert '<option value="de">Allemand (Deutsch)</option>' in options
    assert '<option value="en-GB">Anglais britannique (British English)</option>' in options
    assert 'value="ja"' in options and 'value="pt-BR"' in options  # not only the portal's four


def test_a_stored_language_the_list_does_not_hold_is_kept(admin_client, world):
    account = fresh(world.inside)
    Account.objects.filter(pk=account.pk).update(locale="fr-CA")
    account = fresh(account)
    html = admin_client.get(tab_url(world.emea, account, "overview")).content.decode()
    assert '<option value="fr-CA" selected>French (fr-CA)</option>' in html
    # An unrelated edit keeps it.
    response = admin_client.post(
        action_url("account_update_profile", world.emea, account),
        _profile(account, city="Montréal"),
    )
    assert response.status_code == 302
    account = fresh(account)
    assert (account.city, account.locale) == ("Montréal", "fr-CA")
    assert language_name("fr-CA") == "French (fr-CA)"
    assert language_name("tlh") == "tlh"


def test_language_choices_and_field():
    with translation.override("de"):
        choices = language_choices()
        assert choices[0] == ("", "Nicht festgelegt")
        labels = dict(choices)
        assert labels["fr"] == "Französisch (français)"
        names = [label for code, label in choices[1:]]
        assert names == sorted(names, key=_unaccented)  # Österreichisch among the O
    field = LanguageField(current="x-private")
    assert "x-private" in dict(field.choices)
    assert field.clean("zh-Hans") == "zh-Hans"
    with pytest.raises(forms.ValidationError):
        field.clean("zh-hans-xx")


def test_create_and_edit_account_offer_the_language_choice(admin_client, world):
    create = reverse("portal:account_create", args=[world.emea.key])
    html = admin_client.get(create).content.decode()
    assert '<select name="locale"' in html and '<option value="it">Italian' in html
    response = admin_client.post(
        create,
        {
            "given_name": "Lina",
            "family_name": "Rossi",
            "username": "lina.rossi",
            "locale": "it",
            "password_choice": "set",
            "password": "a long enough passphrase 42",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    account = Account.objects.get(username="lina.rossi")
    assert account.locale == "it"
    Account.objects.filter(pk=account.pk).update(locale="gsw")
    edit = reverse("portal:account_edit", args=[world.emea.key, account.pk])
    html = admin_client.get(edit).content.decode()
    assert '<option value="gsw" selected>gsw</option>' in html
    response = admin_client.post(
        edit,
        {
            "username": "lina.rossi",
            "email": "",
            "phone": "",
            "given_name": "Lina",
            "family_name": "Rossi-Bianchi",
            "display_name": "",
            "locale": "gsw",
            "reason": "",
        },
    )
    assert response.status_code == 302
    account.refresh_from_db()
    assert (account.family_name, account.locale) == ("Rossi-Bianchi", "gsw")


# ---- the profile picture's file input --------------------------------------------------------


def test_picture_input_is_a_labelled_button_with_the_chosen_file_name(admin_client, world):
    html = admin_client.get(
        tab_url(world.emea, world.inside, "overview"), HTTP_ACCEPT_LANGUAGE="fr"
    ).content.decode()
    picker = re.search(r'<div class="file-picker">.*?</div>', html, re.S)
    assert picker
    markup = picker.group(0)
    assert re.search(r'<input type="file" name="picture"[^>]*class="file-picker-input"', markup)
    assert 'aria-describedby="id_picture_name id_picture_helptext"' in markup
    assert '<label for="id_picture" class="btn file-picker-button">' in markup
    assert 'id="id_picture_name"' in markup and "Aucun fichier choisi" in markup
    assert "portal/file-picker.js" in html
