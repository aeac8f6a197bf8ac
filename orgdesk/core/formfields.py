"""Form fields shared by the apps' FilterSets and the screens' forms: dates written the way
the admin's language writes them, and a choice of languages.

Dates. Browsers draw `<input type="date">` in the browser's locale, not the page's, so a
French page showed mm/dd/yyyy. `LocalDateField` is a text input showing the active
language's first DATE_INPUT_FORMATS (fr and es dd/mm/yyyy, de dd.mm.yyyy, en yyyy-mm-dd) with
that format as placeholder. It accepts, in every language, ISO yyyy-mm-dd (the old date
inputs' and the links' format) and the day-first formats of the portal's languages, never a
month-first one: a value in a remembered or shared list URL (`?created_from=03/12/2026`)
then means the same day whichever language reads it, and is shown in that language's way.
English keeps ISO: Django's first English input format, and the US mm/dd/yyyy could not be
told apart from dd/mm/yyyy in such a URL.

Languages. `language_choices()` offers the languages Django knows (django.conf.locale's
LANG_INFO: about a hundred, far more than the portal's own four), named in the admin's
language (Django's catalogues translate them) with their own name beside, as BCP 47 tags
(en-GB, zh-Hans); a stored value the list does not hold is kept as a choice of its own, so an
unrelated edit never loses it.
"""

import datetime as dt
import functools
import re
import unicodedata
from typing import Any

from django import forms
from django.conf import settings
from django.conf.locale import LANG_INFO
from django.core.exceptions import ValidationError
from django.utils import formats, translation
from django.utils.functional import lazy
from django.utils.translation import gettext, pgettext

ISO_DATE = "%Y-%m-%d"
# What the browser checks before sending (the server checks again): ISO, or day, month and
# year separated by "/" or ".".
DATE_PATTERN = r"[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}|[0-9]{1,2}(/|\.)[0-9]{1,2}\1([0-9]{2}|[0-9]{4})"


def _month_first(fmt: str) -> bool:
    """Whether `fmt` writes the month before the day (US dates: 12/31/2026)."""
    if fmt.startswith("%Y") or "%m" not in fmt or "%d" not in fmt:
        return False
    return fmt.index("%m") < fmt.index("%d")


def display_format() -> str:
    """The strftime format dates are shown in for the active language."""
    for fmt in formats.get_format("DATE_INPUT_FORMATS"):
        if not _month_first(fmt) and "%b" not in fmt and "%B" not in fmt:
            return str(fmt)
    return ISO_DATE


def input_formats() -> list[str]:
    """The formats accepted, the active language's first: ISO and every day-first numeric
    format of the portal's languages (see the module's docstring)."""
    found: list[str] = [display_format(), ISO_DATE]
    languages = [translation.get_language() or settings.LANGUAGE_CODE] + [
        code for code, _name in settings.LANGUAGES
    ]
    for lang in languages:
        for fmt in formats.get_format("DATE_INPUT_FORMATS", lang=lang):
            if not _month_first(fmt) and fmt not in found:
                found.append(str(fmt))
    return found


def date_placeholder() -> str:
    """The display format as people write it: jj/mm/aaaa, TT.MM.JJJJ, yyyy-mm-dd…"""
    parts = {
        # Translators: the day in a date format shown as a placeholder (dd/mm/yyyy).
        "%d": pgettext("date format", "dd"),
        # Translators: the month in a date format shown as a placeholder (dd/mm/yyyy).
        "%m": pgettext("date format", "mm"),
        # Translators: the year in a date format shown as a placeholder (dd/mm/yyyy).
        "%Y": pgettext("date format", "yyyy"),
        "%y": pgettext("date format", "yy"),
    }
    return re.sub(r"%[dmYy]", lambda m: parts[m.group(0)], display_format())


def date_hint() -> str:
    return gettext("Format: %(format)s") % {"format": date_placeholder()}


def parse_date(value: str) -> dt.date | None:
    """`value` read with input_formats(); None when it is no date."""
    value = value.strip()
    for fmt in input_formats():
        try:
            return dt.datetime.strptime(value, fmt).date()
        except (ValueError, TypeError):
            continue
    return None


def format_date(value: dt.date) -> str:
    fmt = display_format()
    if value.year < 1000 and "%Y" in fmt:  # strftime does not pad years on every platform
        fmt = fmt.replace("%Y", f"{value.year:04d}")
    return value.strftime(fmt)


_lazy_placeholder = lazy(date_placeholder, str)
_lazy_hint = lazy(date_hint, str)


class LocalDateInput(forms.DateInput):
    """A text input for a date, in the active language's format (LocalDateField)."""

    input_type = "text"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        attrs = {
            "placeholder": _lazy_placeholder(),
            "title": _lazy_hint(),
            "pattern": DATE_PATTERN,
            "autocomplete": "off",
            "spellcheck": "false",
            "size": "10",
            **(attrs or {}),
        }
        super().__init__(attrs=attrs)

    def format_value(self, value: Any) -> str | None:
        if isinstance(value, dt.date):
            return format_date(value)
        return None if value in (None, "") else str(value)


class LocalDateField(forms.DateField):
    """A date written in the active language's format, or ISO (module docstring)."""

    widget = LocalDateInput

    def __init__(self, **kwargs: Any) -> None:
        kwargs.pop("input_formats", None)
        super().__init__(**kwargs)

    def to_python(self, value: Any) -> dt.date | None:
        if value in self.empty_values:
            return None
        if isinstance(value, dt.datetime):
            return value.date()
        if isinstance(value, dt.date):
            return value
        found = parse_date(str(value))
        if found is None:
            raise ValidationError(
                gettext("Enter a valid date, such as %(example)s (%(format)s).")
                % {"example": format_date(dt.date(2026, 12, 3)), "format": date_placeholder()},
                code="invalid",
            )
        return found

    def prepare_value(self, value: Any) -> Any:
        # A value read from the query string or a form is shown in the active language's
        # way when it is a date (one typed wrong is shown as typed).
        if isinstance(value, str) and value.strip():
            found = parse_date(value)
            return format_date(found) if found else value
        if isinstance(value, dt.datetime):
            return format_date(value.date())
        if isinstance(value, dt.date):
            return format_date(value)
        return value


# ---- languages ---------------------------------------------------------------------------------


def bcp47(code: str) -> str:
    """Django's lower-case language code as a BCP 47 tag: en-gb → en-GB, zh-hans → zh-Hans."""
    parts = code.split("-")
    out = [parts[0].lower()]
    for part in parts[1:]:
        if len(part) == 2 or part.isdigit():
            out.append(part.upper())
        elif len(part) == 4:
            out.append(part.title())
        else:
            out.append(part.lower())
    return "-".join(out)


@functools.lru_cache(maxsize=1)
def _known() -> dict[str, str]:
    """Lower-case code → the BCP 47 tag offered, for every language LANG_INFO names."""
    return {code: bcp47(code) for code, info in LANG_INFO.items() if "name" in info}


def _sort_key(label: str) -> str:
    decomposed = unicodedata.normalize("NFKD", label.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def language_name(tag: str) -> str:
    """`tag` named in the active language ("Allemand (Deutsch)"); the tag itself when no
    language of the list matches it, "" for ""."""
    if not tag:
        return ""
    code = tag.lower()
    info = LANG_INFO.get(code)
    if info is None or "name" not in info:
        base = LANG_INFO.get(code.split("-")[0])
        if base is None or "name" not in base:
            return tag
        return f"{gettext(base['name'])} ({tag})"
    name = gettext(info["name"])
    local = info.get("name_local", "")
    return f"{name} ({local})" if local and local.casefold() != name.casefold() else name


def language_choices(current: str = "") -> list[tuple[str, str]]:
    """The choices: "Not set", then every language of the list, by name in the active
    language; `current` (a stored value) kept as it is when the list does not hold it."""
    offered = sorted(
        ((tag, language_name(tag)) for tag in _known().values()),
        key=lambda choice: _sort_key(choice[1]),
    )
    choices = [("", gettext("Not set"))]
    if current and current not in {tag for tag, _label in offered}:
        choices.append((current, language_name(current)))
    return choices + offered


class LanguageField(forms.ChoiceField):
    """A preferred language: a choice of language_choices(), named when the form is shown
    (in the language of that request, not the one of the import)."""

    def __init__(self, *, current: str = "", **kwargs: Any) -> None:
        kwargs.setdefault("required", False)
        super().__init__(**kwargs)
        self.keep(current)

    def keep(self, current: str) -> None:
        """Offer the stored value `current` too (it may be one the list does not hold)."""
        self.choices = functools.partial(language_choices, current)
