"""Reading a bulk invitation file, before anything touches the database.

The file is a CSV in UTF-8 (with or without a byte order mark), comma, semicolon or tab
separated (the delimiter is the one the header line uses most), with a header line naming its
columns: `email` (required), `given_name`, `family_name`, `groups`, `roles`, in any order and
case. Groups and roles hold names (roles also slugs) separated by "|", so that a name may
contain a comma. Blank lines are skipped; other columns are ignored (and listed in the
preview). Row numbers are the spreadsheet's: the header is row 1.

Everything wrong with the file as a whole raises BadFile with a message for the admin: empty,
binary (an image, a workbook, random bytes), not UTF-8, no header or no email column, over
MAX_BYTES or MAX_ROWS, not parseable as CSV.
"""

import csv
import io
from dataclasses import dataclass, field
from typing import NamedTuple

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

MAX_BYTES = 10 * 1024 * 1024
MAX_ROWS = 100_000
COLUMNS = ("email", "given_name", "family_name", "groups", "roles")
LIST_SEPARATOR = "|"
# What a header cell may say for each column, once lowercased with spaces and hyphens as "_".
ALIASES = {
    "email": "email",
    "e_mail": "email",
    "email_address": "email",
    "mail": "email",
    "given_name": "given_name",
    "first_name": "given_name",
    "firstname": "given_name",
    "family_name": "family_name",
    "last_name": "family_name",
    "lastname": "family_name",
    "surname": "family_name",
    "groups": "groups",
    "group": "groups",
    "roles": "roles",
    "role": "roles",
}
# Stored as typed (for the preview and the results file), cut at this length.
MAX_CELL = 1000
DELIMITERS = (",", ";", "\t")
# Formats people upload by mistake, by their first bytes.
_WORKBOOK = (b"PK\x03\x04", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1")
_OTHER_BINARY = (
    b"\x89PNG",
    b"\xff\xd8\xff",
    b"GIF8",
    b"%PDF",
    b"\x1f\x8b",
    b"RIFF",
    b"\x7fELF",
)
_UTF16 = (b"\xff\xfe", b"\xfe\xff")
_TEXT_CONTROLS = {9, 10, 13, 12}


class BadFile(ValidationError):
    """The file cannot be imported at all; the message says why and what to do."""

    def __init__(self, message: str) -> None:
        super().__init__(message, code="bad_file")


class RawRow(NamedTuple):
    number: int
    email: str
    given_name: str
    family_name: str
    groups: str
    roles: str
    problem: str  # a fault of the row's shape (extra cells), else ""


@dataclass
class ParsedFile:
    delimiter: str
    columns: list[str]
    ignored: list[str] = field(default_factory=list)
    rows: list[RawRow] = field(default_factory=list)


def _save_as_hint() -> str:
    return _('In your spreadsheet, use "Save as" or "Download" and choose "CSV UTF-8".')


def check_bytes(data: bytes) -> str:
    """The file's text, or BadFile: empty, too big, binary, not UTF-8."""
    if len(data) > MAX_BYTES:
        raise BadFile(
            _("The file is larger than %(size)d MB. Split it into smaller files.")
            % {"size": MAX_BYTES // (1024 * 1024)}
        )
    if not data.strip(b" \t\r\n\xef\xbb\xbf"):
        raise BadFile(
            _("The file is empty. Upload a CSV file with a header line and one row per invitee.")
        )
    if data.startswith(_UTF16):
        raise BadFile(_("The file must be UTF-8; this one is UTF-16.") + " " + _save_as_hint())
    if data.startswith(_WORKBOOK):
        raise BadFile(
            _("This is a spreadsheet workbook or an archive, not a CSV file.")
            + " "
            + _save_as_hint()
        )
    head = data[:65536]
    controls = sum(1 for byte in head if byte < 32 and byte not in _TEXT_CONTROLS)
    if data.startswith(_OTHER_BINARY) or b"\x00" in data or controls > len(head) // 100:
        raise BadFile(
            _("This is not a CSV file: it holds binary data (an image or a program, for example).")
        )
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise BadFile(
            _("The file must be UTF-8: line %(line)d holds a character in another encoding.")
            % {"line": line}
            + " "
            + _save_as_hint()
        ) from None


def _delimiter(text: str) -> str:
    first = text.lstrip("\r\n").split("\n", 1)[0]
    counts = {d: first.count(d) for d in DELIMITERS}
    best = max(DELIMITERS, key=lambda d: counts[d])
    return best if counts[best] else ","


def _column_name(cell: str) -> str:
    return "_".join(cell.strip().lower().replace("-", " ").split())


def _header(cells: list[str]) -> tuple[dict[str, int], list[str]]:
    positions: dict[str, int] = {}
    ignored = []
    for index, cell in enumerate(cells):
        name = ALIASES.get(_column_name(cell))
        if name is None:
            if cell.strip():
                ignored.append(cell.strip()[:100])
            continue
        if name in positions:
            raise BadFile(
                _('The column "%(name)s" appears twice in the header line.') % {"name": name}
            )
        positions[name] = index
    if "email" not in positions:
        if any("@" in cell for cell in cells):
            raise BadFile(
                _(
                    "The first line must name the columns (%(columns)s); it holds an address "
                    "instead. Add a header line."
                )
                % {"columns": ", ".join(COLUMNS)}
            )
        raise BadFile(
            _('The header line has no "email" column. Name the columns %(columns)s.')
            % {"columns": ", ".join(COLUMNS)}
        )
    return positions, ignored


def parse(data: bytes) -> ParsedFile:
    """The rows of an uploaded file, or BadFile."""
    text = check_bytes(data)
    delimiter = _delimiter(text)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    indexes: list[int | None] | None = None  # of COLUMNS in the file's cells
    width = 0
    parsed = ParsedFile(delimiter=delimiter, columns=[])
    try:
        for number, cells in enumerate(reader, start=1):
            if not any(cell.strip() for cell in cells):
                continue
            if indexes is None:
                positions, parsed.ignored = _header(cells)
                parsed.columns = sorted(positions, key=lambda name: positions[name])
                indexes = [positions.get(name) for name in COLUMNS]
                width = len(cells)
                continue
            if len(parsed.rows) >= MAX_ROWS:
                raise BadFile(
                    ngettext(
                        "The file has more than %(max)d row. Split it into smaller files.",
                        "The file has more than %(max)d rows. Split it into smaller files.",
                        MAX_ROWS,
                    )
                    % {"max": MAX_ROWS}
                )
            problem = ""
            if any(cell.strip() for cell in cells[width:]):
                problem = _(
                    "This row has %(cells)d cells but the header line names %(columns)d: check "
                    "the separators and quotes."
                ) % {"cells": len(cells), "columns": width}
            email, given_name, family_name, groups, roles = [
                cells[i].strip()[:MAX_CELL] if i is not None and i < len(cells) else ""
                for i in indexes
            ]
            parsed.rows.append(
                RawRow(number, email, given_name, family_name, groups, roles, problem)
            )
    except csv.Error as exc:
        raise BadFile(
            _("The file could not be read as CSV (line %(line)d: %(error)s).")
            % {"line": reader.line_num, "error": exc}
        ) from None
    if indexes is None:
        raise BadFile(
            _("The file is empty. Upload a CSV file with a header line and one row per invitee.")
        )
    if not parsed.rows:
        raise BadFile(_("The file has a header line but no rows to invite."))
    return parsed


def split_list(cell: str) -> list[str]:
    """The names in a groups or roles cell, without blanks and repeats (first kept)."""
    seen: dict[str, str] = {}
    for part in cell.split(LIST_SEPARATOR):
        name = part.strip()
        if name and name.casefold() not in seen:
            seen[name.casefold()] = name
    return list(seen.values())
