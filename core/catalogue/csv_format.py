"""The catalogue's CSV file itself: its columns and limits, formula neutralisation, and reading an
uploaded file into rows (or one sentence saying why it cannot be read).

One row per product × warehouse, with the columns of CSV_COLUMNS; a product stocked nowhere has
one row with the warehouse, on hand and price left empty. The file is UTF-8 with a header line.

Export neutralises every cell that a spreadsheet would run as a formula (one starting with
= + - @, a tab or a carriage return) by putting a single quote in front; reading takes that quote
off again, so a file goes out and comes back unchanged.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from dataclasses import dataclass

from core.catalogue.rules import format_count
from core.errors import InvalidInput
from core.formats import format_size_against
from core.i18n import N_, Message, _, _n
from core.text import clean_text

CSV_COLUMNS = ("sku", "name", "unit", "description", "status", "warehouse_code", "on_hand", "price")
MAX_IMPORT_BYTES = 2 * 1024 * 1024
MAX_IMPORT_MEGABYTES = -(-MAX_IMPORT_BYTES // (1024 * 1024))  # for the uploader's own limit
MAX_IMPORT_ROWS = 20_000
#: The limits an import checks, for the uploader: "a .csv file, up to 2 MB and 20.000 rows" (rendered in
#: the reader's language where it is shown).
IMPORT_LIMITS = _(
    "a .csv file, up to {megabytes} MB and {rows} rows",
    megabytes=MAX_IMPORT_MEGABYTES,
    rows=format_count(MAX_IMPORT_ROWS),
)
MAX_FILE_NAME = 255
#: What a spreadsheet takes for the start of a formula (CSV injection).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
#: Told (fraction done, what is happening) while a long export or import runs.
Progress = Callable[[float, str], None]


def no_progress(_fraction: float, _text: str) -> None:
    pass


def neutralise(cell: object) -> str:
    """A cell a spreadsheet will show as text, never run as a formula."""
    text = "" if cell is None else str(cell)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def unneutralise(cell: str) -> str:
    """Undo export's protective quote ("'=SUM" → "=SUM"), so a round trip changes nothing."""
    return cell[1:] if cell.startswith("'") and cell[1:].startswith(FORMULA_STARTS) else cell


# --- Reading an uploaded file ------------------------------------------------------------------------


@dataclass(frozen=True)
class CsvRow:
    line: int
    cells: dict[str, str]
    field_count: int


@dataclass(frozen=True)
class CsvFile:
    rows: list[CsvRow]
    header_size: int
    ignored_columns: tuple[str, ...]


def read_csv(data: bytes, filename: str) -> CsvFile:
    """The rows of an uploaded file, or InvalidInput saying in one sentence why it cannot be read."""
    cleaned = clean_text(filename, what=N_("file name"), field="file", max_length=MAX_FILE_NAME)
    name: str | Message = repr(cleaned) if cleaned else _("the file")  # as the sentences quote it
    _check_file(data, cleaned, name)
    text = _decode(data, name)
    lines = text.splitlines()
    if not lines or not lines[0].strip():
        raise InvalidInput(
            _(
                "{name} has no header line; the first line must name the columns: {columns}.",
                name=name,
                columns=", ".join(CSV_COLUMNS),
            ),
            field="file",
        )
    delimiter = ";" if lines[0].count(";") > lines[0].count(",") else ","  # Excel in some locales writes ;
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        header = [cell.strip().lower() for cell in next(reader)]
        columns = _check_header(header, name)
        rows = _read_rows(reader, columns, name)
    except csv.Error as exc:
        raise InvalidInput(
            _("{name} cannot be read as CSV near line {line}: {error}.", name=name, line=reader.line_num, error=exc),
            field="file",
        ) from None
    ignored = tuple(c for c in header if c and c not in CSV_COLUMNS)
    return CsvFile(rows, len(header), ignored)


def _check_file(data: bytes, filename: str, name: str | Message) -> None:
    if not filename.lower().endswith(".csv"):
        raise InvalidInput(
            _(
                "{name} is not a CSV file. Save your sheet as 'CSV UTF-8 (comma delimited)' and upload the .csv file.",
                name=name,
            ),
            field="file",
        )
    if not data:
        raise InvalidInput(_("{name} is empty.", name=name), field="file")
    if len(data) > MAX_IMPORT_BYTES:
        size, limit = format_size_against(len(data), MAX_IMPORT_BYTES)
        raise InvalidInput(
            _(
                "{name} is {size}; the limit is {limit}. Split it into smaller files.",
                name=name,
                size=size,
                limit=limit,
            ),
            field="file",
        )
    if data.startswith(b"PK\x03\x04") or data.startswith(b"\xd0\xcf\x11\xe0"):
        raise InvalidInput(
            _(
                "{name} is an Excel workbook renamed .csv, not a CSV file. In Excel choose Save As → "
                "'CSV UTF-8 (comma delimited)'.",
                name=name,
            ),
            field="file",
        )


def _decode(data: bytes, name: str | Message) -> str:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise InvalidInput(
            _(
                "{name} is not UTF-8 text (the first unreadable character is on line {line}). Save it as "
                "'CSV UTF-8' and upload it again.",
                name=name,
                line=line,
            ),
            field="file",
        ) from None
    if "\x00" in text:
        raise InvalidInput(_("{name} contains binary data, not CSV text.", name=name), field="file")
    return text


def _check_header(header: list[str], name: str | Message) -> dict[str, int]:
    duplicates = sorted({c for c in header if c and header.count(c) > 1})
    if duplicates:
        raise InvalidInput(
            _n(
                "{name} names the column {columns} more than once.",
                "{name} names the columns {columns} more than once.",
                len(duplicates),
                name=name,
                columns=", ".join(duplicates),
            ),
            field="file",
        )
    missing = [c for c in CSV_COLUMNS if c not in header]
    if missing:
        raise InvalidInput(
            _n(
                "{name} is missing the column {missing}. The first line must name the columns: {columns}.",
                "{name} is missing the columns {missing}. The first line must name the columns: {columns}.",
                len(missing),
                name=name,
                missing=", ".join(missing),
                columns=", ".join(CSV_COLUMNS),
            ),
            field="file",
        )
    return {column: header.index(column) for column in CSV_COLUMNS}


def _read_rows(reader, columns: dict[str, int], name: str | Message) -> list[CsvRow]:
    rows: list[CsvRow] = []
    line = reader.line_num + 1
    for record in reader:
        if any(cell.strip() for cell in record):
            if len(rows) >= MAX_IMPORT_ROWS:
                raise InvalidInput(
                    _(
                        "{name} has more than {limit} rows; the limit is {limit}. Split it into smaller files.",
                        name=name,
                        limit=format_count(MAX_IMPORT_ROWS),
                    ),
                    field="file",
                )
            cells = {c: unneutralise(record[i]) if i < len(record) else "" for c, i in columns.items()}
            rows.append(CsvRow(line, cells, len(record)))
        line = reader.line_num + 1  # a quoted cell may span lines: the next record starts after this one
    if not rows:
        raise InvalidInput(_("{name} has a header but no rows to import.", name=name), field="file")
    return rows
