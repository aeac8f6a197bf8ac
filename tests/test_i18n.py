"""Translations: the French, German and Spanish catalogs are complete, compiled, and served.

The .po and .mo files are committed (nothing is compiled at install time), so these tests read
them as they are in the tree and never run makemessages or compilemessages themselves.
"""

import gettext
import html
import re
from pathlib import Path

import polib
import pytest
from django.conf import settings
from django.utils import translation

LANGUAGES = ["fr", "de", "es"]
LOCALE_DIR = Path(settings.LOCALE_PATHS[0])
PLACEHOLDER = re.compile(r"%\(\w+\)[sd]|\{\w*\}")

# What the portal sign-in page shows: (page title, submit button).
LOGIN_PAGE = {
    "fr": ("Se connecter au portail d'organisation", "Se connecter"),
    "de": ("Beim Organisationsportal anmelden", "Anmelden"),
    "es": ("Iniciar sesión en el portal de organización", "Iniciar sesión"),
}

# A handful of strings from every corner of the product, as a reader would check them.
SAMPLES = {
    "fr": {
        "Accounts": "Comptes",
        "Sign in": "Se connecter",
        "Create account": "Créer un compte",
        "Clear filters": "Effacer les filtres",
        "Last login": "Dernière connexion",
        "Search in organizations": "Rechercher dans les organisations",
        "Confirm your identity": "Confirmer votre identité",
        "Add a passkey": "Ajouter une clé d'accès",
    },
    "de": {
        "Accounts": "Konten",
        "Sign in": "Anmelden",
        "Create account": "Konto erstellen",
        "Clear filters": "Filter zurücksetzen",
        "Last login": "Letzte Anmeldung",
        "Search in organizations": "In Organisationen suchen",
        "Confirm your identity": "Identität bestätigen",
        "Add a passkey": "Passkey hinzufügen",
    },
    "es": {
        "Accounts": "Cuentas",
        "Sign in": "Iniciar sesión",
        "Create account": "Crear cuenta",
        "Clear filters": "Borrar los filtros",
        "Last login": "Último inicio de sesión",
        "Search in organizations": "Buscar en las organizaciones",
        "Confirm your identity": "Confirmar su identidad",
        "Add a passkey": "Añadir una llave de acceso",
    },
}


def po_path(lang: str) -> Path:
    return LOCALE_DIR / lang / "LC_MESSAGES" / "django.po"


def mo_path(lang: str) -> Path:
    return LOCALE_DIR / lang / "LC_MESSAGES" / "django.mo"


def live_entries(catalog: polib._BaseFile) -> list[polib._BaseEntry]:
    return [e for e in catalog if not e.obsolete]


def nplurals(catalog: polib._BaseFile) -> int:
    match = re.search(r"nplurals\s*=\s*(\d+)", catalog.metadata.get("Plural-Forms", ""))
    assert match, "the catalog has no Plural-Forms header"
    return int(match.group(1))


def test_every_product_language_has_a_catalog() -> None:
    codes = [code for code, _name in settings.LANGUAGES if code != settings.LANGUAGE_CODE]
    assert sorted(codes) == sorted(LANGUAGES)
    for lang in LANGUAGES:
        assert po_path(lang).is_file(), f"{lang}: run makemessages"
        assert mo_path(lang).is_file(), f"{lang}: run compilemessages"


# ---- the sign-in page in each language --------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("lang", LANGUAGES)
def test_login_page_follows_accept_language(client, lang: str) -> None:
    response = client.get("/portal/login", HTTP_ACCEPT_LANGUAGE=lang)
    assert response.status_code == 200
    assert response["Content-Language"] == lang
    page = html.unescape(response.content.decode())
    title, button = LOGIN_PAGE[lang]
    assert f'<html lang="{lang}">' in page
    assert f"<h1>{title}</h1>" in page
    assert re.search(rf'<button[^>]*type="submit"[^>]*>{re.escape(button)}</button>', page)
    assert "Sign in to the Organization portal" not in page
    # Form labels come from Python (gettext_lazy), not from the template.
    with translation.override(lang):
        password_label = translation.gettext("Password")
    assert password_label != "Password"
    assert f">{password_label}</label>" in page


@pytest.mark.django_db
def test_login_page_stays_english_by_default(client) -> None:
    page = client.get("/portal/login", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "<h1>Sign in to the Organization portal</h1>" in page


# ---- the catalogs ------------------------------------------------------------------------------


@pytest.mark.parametrize("lang", LANGUAGES)
def test_po_header(lang: str) -> None:
    catalog = polib.pofile(str(po_path(lang)))
    assert not catalog.metadata_is_fuzzy, f"{lang}: remove `#, fuzzy` from the header"
    assert catalog.metadata["Language"] == lang
    assert catalog.metadata["Content-Type"] == "text/plain; charset=UTF-8"
    assert nplurals(catalog) >= 2


@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_entry_is_translated_and_not_fuzzy(lang: str) -> None:
    catalog = polib.pofile(str(po_path(lang)))
    forms = nplurals(catalog)
    entries = live_entries(catalog)
    assert entries, f"{lang}: empty catalog"
    fuzzy = [e.msgid for e in entries if "fuzzy" in e.flags]
    assert not fuzzy, f"{lang}: fuzzy entries: {fuzzy}"
    empty = []
    for entry in entries:
        if entry.msgid_plural:
            values = [entry.msgstr_plural.get(i, "") for i in range(forms)]
            if not all(values):
                empty.append(entry.msgid)
        elif not entry.msgstr:
            empty.append(entry.msgid)
    assert not empty, f"{lang}: untranslated entries: {empty}"


@pytest.mark.parametrize("lang", LANGUAGES)
def test_translations_keep_their_placeholders(lang: str) -> None:
    catalog = polib.pofile(str(po_path(lang)))
    wrong = []
    for entry in live_entries(catalog):
        if entry.msgid_plural:
            pairs = [(entry.msgid_plural, v) for v in entry.msgstr_plural.values()]
        else:
            pairs = [(entry.msgid, entry.msgstr)]
        for source, target in pairs:
            if sorted(PLACEHOLDER.findall(source)) != sorted(PLACEHOLDER.findall(target)):
                wrong.append((source, target))
    assert not wrong, f"{lang}: placeholders changed: {wrong}"


@pytest.mark.parametrize("lang", LANGUAGES)
def test_catalogs_share_the_same_msgids(lang: str) -> None:
    reference = {(e.msgctxt, e.msgid) for e in live_entries(polib.pofile(str(po_path("fr"))))}
    assert {(e.msgctxt, e.msgid) for e in live_entries(polib.pofile(str(po_path(lang))))} == (
        reference
    ), f"{lang}: run makemessages for every language"


# ---- the compiled catalogs ---------------------------------------------------------------------


def _messages(catalog: polib._BaseFile) -> dict[tuple[str | None, str], object]:
    out: dict[tuple[str | None, str], object] = {}
    for entry in live_entries(catalog):
        if entry.msgid_plural:
            out[(entry.msgctxt, entry.msgid)] = (
                entry.msgid_plural,
                tuple(v for _i, v in sorted(entry.msgstr_plural.items())),
            )
        else:
            out[(entry.msgctxt, entry.msgid)] = entry.msgstr
    return out


@pytest.mark.parametrize("lang", LANGUAGES)
def test_mo_matches_po(lang: str) -> None:
    # Compared by content rather than file times: a git checkout does not keep mtimes.
    po = _messages(polib.pofile(str(po_path(lang))))
    mo = _messages(polib.mofile(str(mo_path(lang))))
    stale = sorted(str(key[1]) for key in po.keys() ^ mo.keys())
    changed = sorted(str(key[1]) for key in po.keys() & mo.keys() if po[key] != mo[key])
    assert not stale and not changed, (
        f"{lang}: django.mo is out of date (run compilemessages): {stale + changed}"
    )


@pytest.mark.parametrize("lang", LANGUAGES)
def test_mo_loads_with_the_standard_library(lang: str) -> None:
    with mo_path(lang).open("rb") as fp:
        catalog = gettext.GNUTranslations(fp)
    assert catalog.info()["language"] == lang
    for source, expected in SAMPLES[lang].items():
        assert catalog.gettext(source) == expected
    one = catalog.ngettext("%(n)s permission", "%(n)s permissions", 1) % {"n": 1}
    many = catalog.ngettext("%(n)s permission", "%(n)s permissions", 3) % {"n": 3}
    assert one != many
    assert "1" in one and "3" in many


@pytest.mark.parametrize("lang", LANGUAGES)
def test_django_serves_the_translations(lang: str) -> None:
    with translation.override(lang):
        for source, expected in SAMPLES[lang].items():
            assert translation.gettext(source) == expected
