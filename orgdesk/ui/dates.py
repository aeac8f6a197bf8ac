"""Django's date formats, compiled once per page.

`django.utils.dateformat.format` splits the format string with a regular expression and looks
up month names and "a.m."/"noon" through gettext on every call; a page of 100 accounts
formats 300 timestamps, and that was most of the time its rows took. `DateFormatter(fmt)`
splits `fmt` once and resolves the translated names once (in the active language), then
formats each value with a few string operations. It gives exactly what Django gives (tested
against it in every portal language); a format using a character it does not know is handed
to Django whole.
"""

import datetime as dt
from collections.abc import Callable

from django.utils import dateformat
from django.utils.dates import MONTHS, MONTHS_3, MONTHS_AP, WEEKDAYS, WEEKDAYS_ABBR

Piece = Callable[[dt.datetime], str]


class DateFormatter:
    def __init__(self, fmt: str) -> None:
        self.fmt = str(fmt)
        months, months_ap, months_3 = (
            {k: str(v) for k, v in names.items()} for names in (MONTHS, MONTHS_AP, MONTHS_3)
        )
        weekdays = {k: str(v) for k, v in WEEKDAYS.items()}
        weekdays_abbr = {k: str(v) for k, v in WEEKDAYS_ABBR.items()}
        # Django's own words (its catalogue, the active language), asked of it once.
        early, late = dt.datetime(2000, 1, 1, 1, 30), dt.datetime(2000, 1, 1, 13, 30)
        am, pm = dateformat.format(early, "a"), dateformat.format(late, "a")
        big_am, big_pm = dateformat.format(early, "A"), dateformat.format(late, "A")
        midnight = dateformat.format(dt.datetime(2000, 1, 1, 0, 0), "P")
        noon = dateformat.format(dt.datetime(2000, 1, 1, 12, 0), "P")

        def twelve(d: dt.datetime) -> int:
            return d.hour % 12 or 12

        def f(d: dt.datetime) -> str:
            return f"{twelve(d)}:{d.minute:02d}" if d.minute else str(twelve(d))

        def meridiem(d: dt.datetime) -> str:
            return pm if d.hour > 11 else am

        def p(d: dt.datetime) -> str:
            if d.minute == 0 and d.hour in (0, 12):
                return midnight if d.hour == 0 else noon
            return f"{f(d)} {meridiem(d)}"

        known: dict[str, Piece] = {
            "d": lambda d: f"{d.day:02d}",
            "j": lambda d: str(d.day),
            "D": lambda d: weekdays_abbr[d.weekday()],
            "l": lambda d: weekdays[d.weekday()],
            "N": lambda d: months_ap[d.month],
            "F": lambda d: months[d.month],
            "M": lambda d: months_3[d.month].title(),
            "b": lambda d: months_3[d.month],
            "n": lambda d: str(d.month),
            "m": lambda d: f"{d.month:02d}",
            "y": lambda d: f"{d.year % 100:02d}",
            "Y": lambda d: f"{d.year:04d}",
            "G": lambda d: str(d.hour),
            "H": lambda d: f"{d.hour:02d}",
            "g": lambda d: str(twelve(d)),
            "h": lambda d: f"{twelve(d):02d}",
            "i": lambda d: f"{d.minute:02d}",
            "s": lambda d: f"{d.second:02d}",
            "a": meridiem,
            "A": lambda d: big_pm if d.hour > 11 else big_am,
            "f": f,
            "P": p,
        }
        self.pieces: list[str | Piece] | None = []
        for i, piece in enumerate(dateformat.re_formatchars.split(self.fmt)):
            if i % 2:
                if piece not in known:
                    self.pieces = None  # Django's own, for what is not compiled here
                    break
                self.pieces.append(known[piece])
            elif piece:
                self.pieces.append(dateformat.re_escaped.sub(r"\1", piece))

    def __call__(self, value: dt.datetime) -> str:
        if self.pieces is None:
            return dateformat.format(value, self.fmt)
        return "".join(p if isinstance(p, str) else p(value) for p in self.pieces)
