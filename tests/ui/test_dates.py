"""ui.dates.DateFormatter gives exactly what Django's dateformat gives."""

import datetime as dt

import pytest
from django.utils import dateformat, translation
from django.utils.formats import get_format

from orgdesk.ui.dates import DateFormatter

MOMENTS = [
    dt.datetime(2026, 1, 1, 0, 0, 0, tzinfo=dt.UTC),  # midnight
    dt.datetime(2026, 3, 9, 12, 0, 5, tzinfo=dt.UTC),  # noon
    dt.datetime(2026, 5, 31, 12, 30, tzinfo=dt.UTC),
    dt.datetime(2026, 9, 4, 9, 5, tzinfo=dt.UTC),
    dt.datetime(2026, 12, 24, 23, 59, 59, tzinfo=dt.UTC),
    dt.datetime(1999, 2, 28, 1, 0, tzinfo=dt.timezone(dt.timedelta(hours=-5))),
]
FORMATS = ["DATETIME_FORMAT", "SHORT_DATE_FORMAT", "DATE_FORMAT", "SHORT_DATETIME_FORMAT"]


@pytest.mark.parametrize("language", ["en", "fr", "de", "es"])
@pytest.mark.parametrize("name", FORMATS)
def test_the_formats_of_every_portal_language(language, name):
    with translation.override(language):
        fmt = get_format(name)
        formatter = DateFormatter(fmt)
        assert formatter.pieces is not None, f"{language} {name} = {fmt!r} is not compiled"
        for moment in MOMENTS:
            assert formatter(moment) == dateformat.format(moment, fmt)


@pytest.mark.parametrize("fmt", ["D, d M y h:i A", r"l \t\h\e jS \o\f F", "b n g a", "U", "c"])
def test_other_formats_and_escapes(fmt):
    with translation.override("fr"):
        for moment in MOMENTS:
            assert DateFormatter(fmt)(moment) == dateformat.format(moment, fmt)
