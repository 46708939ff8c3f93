"""CSV export of the transaction history: the whole filtered set, one row per order line.

UTF-8 with a byte-order mark, a header row, RFC 4180 quoting (DuckDB's COPY writes it, several
times faster than Python's csv module over the same rows: see bench/analytics.py). Why the BOM:
Excel, which is what sellers open the file with, reads a CSV without one in the computer's legacy
code page (Windows-1252 and the like), so "Toko Ñandú" shows as "Toko Ã‘andÃº" and Chinese or
Arabic names as rubbish; the three bytes EF BB BF at the start tell it the file is UTF-8.
Python (`encoding="utf-8-sig"`), pandas, DuckDB and LibreOffice read it as well; `bom=False`
writes plain UTF-8 for a program that would keep the BOM as part of the first column's name.

Rows come in completion order. Dates are in the warehouse's local time with its zone abbreviation
("2026-11-25 10:00:00 WIB"). Each line carries its order's payout: its status in the words the page
uses ("Waiting", "Paid"), when it was paid and the bank's transfer reference (empty until paid).

Two headers (`header=`): "machine", the default, names the columns as COLUMNS does, in snake_case
English that never changes with the reader's language, for analysts' scripts (jobs.export writes it);
"reader" gives each column its title (COLUMN_TITLES) and the payout's status its words in the reader's
language (`code`, or the active one: core.i18n.using), for a seller who opens the file. Only the
header row and the status words change: the cells, their order and their formats are the same.
A text cell that begins with =, +, -, @, a tab or a carriage return is neutralised with a leading
apostrophe so a spreadsheet shows it as text instead of running it as a formula (the OWASP advice
for CSV injection). Only a Product Manager exports, and only their own company's lines; the
operator's command (jobs.export) names the company by its code.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from pathlib import Path

from core.acting import Actor
from core.analytics.history import PAYOUT_STATUS_LABELS, HistoryFilters, history_where
from core.analytics.scope import check_product_manager
from core.analytics.snapshots import AnalyticsStore, SnapshotInfo
from core.errors import NotFound
from core.i18n import N_, _, gettext, language
from core.store.database import Store

COLUMNS = (
    "order_number",
    "placed_at",
    "completed_at",
    "warehouse",
    "buyer_code",
    "buyer_name",
    "product_name",
    "sku",
    "quantity",
    "unit_price",
    "line_total",
    "payout_status",
    "paid_at",
    "transfer_reference",
)

#: Each column's title in the "reader" header (translated when the file is written).
COLUMN_TITLES: dict[str, str] = {
    "order_number": N_("Order number"),
    "placed_at": N_("Placed at"),
    "completed_at": N_("Completed at"),
    "warehouse": N_("Warehouse"),
    "buyer_code": N_("Buyer code"),
    "buyer_name": N_("Buyer name"),
    "product_name": N_("Product name"),
    "sku": N_("SKU"),
    "quantity": N_("Quantity"),
    "unit_price": N_("Unit price (Rp)"),
    "line_total": N_("Line total (Rp)"),
    "payout_status": N_("Payout status"),
    "paid_at": N_("Paid at"),
    "transfer_reference": N_("Transfer reference"),
}
#: The header's forms: "machine" (COLUMNS, stable, for scripts; the default) and "reader" (COLUMN_TITLES
#: and the payout's words in the reader's language).
MACHINE, READER = "machine", "reader"
HEADERS = (MACHINE, READER)

#: What a file starts with so that Excel reads it as UTF-8 (see the module's docstring).
BOM = "\ufeff"


def header_names(header: str = MACHINE, code: str | None = None) -> list[str]:
    """The header row: COLUMNS as they are ("machine"), or each column's title in the language `code`
    or the reader's ("reader")."""
    if header not in HEADERS:
        raise ValueError(f"header is one of {HEADERS}, not {header!r}")
    if header == MACHINE:
        return list(COLUMNS)
    return [gettext(COLUMN_TITLES[column], code) for column in COLUMNS]


@dataclass(frozen=True)
class ExportResult:
    path: Path
    rows: int
    seconds: float
    info: SnapshotInfo


def neutralise_sql(expression: str) -> str:
    """SQL that prefixes an apostrophe to a text that a spreadsheet would run as a formula (first
    character =, +, -, @, tab or carriage return: 61, 43, 45, 64, 9, 13 as code points, cheap)."""
    return f"CASE WHEN ord({expression}) IN (61, 43, 45, 64, 9, 13) THEN '''' || {expression} ELSE {expression} END"


def _local(column: str) -> str:
    """A UTC column (e.g. `l.placed_at`) as the warehouse's wall-clock time, to the second, with the
    zone's abbreviation; NULL stays NULL (an empty cell)."""
    return (
        f"CAST(date_trunc('second', {column} + to_minutes(coalesce(l.utc_offset_min, 0))) AS VARCHAR)"
        f" || ' ' || coalesce(w.zone_abbr, 'UTC')"
    )


def _sql_text(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _sql_name(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _payout_status_words(code: str) -> str:
    """SQL giving the payout's status in the page's words (PAYOUT_STATUS_LABELS) in the language `code`."""
    cases = " ".join(
        f"WHEN {_sql_text(status)} THEN {_sql_text(gettext(label, code))}"
        for status, label in PAYOUT_STATUS_LABELS.items()
    )
    return f"CASE l.payout_status {cases} ELSE l.payout_status END"


def export_select(where: str, *, bom: bool = True, header: str = MACHINE, code: str | None = None) -> str:
    """The export's rows. No ORDER BY: each company's sales_lines are stored in completion order (a
    rebuild sorts them by company, then completion; each sync appends the lines of newly completed
    orders in that order), and sorting ~3 M rows once more would cost about 40% of the export. The
    dimensions are neutralised once, not per line.

    With `bom` the first column's name begins with the byte-order mark: COPY writes the header
    first, so the file starts with it, at no cost (COPY cannot write anything before its header).
    `header` and `code`: the header row's form and language (see the module's docstring)."""
    code = code or language()
    names = header_names(header, code)
    names[0] = (BOM if bom else "") + names[0]
    cells = [
        neutralise_sql("l.order_number"),
        _local("l.placed_at"),
        _local("l.completed_at"),
        "w.code_cell",
        "b.code_cell",
        "b.name_cell",
        neutralise_sql("l.product_name"),
        neutralise_sql("l.sku"),
        "l.quantity",
        "l.unit_price",
        "l.line_total",
        _payout_status_words(code if header == READER else "en"),
        _local("l.payout_paid_at"),
        neutralise_sql("l.payout_reference"),
    ]
    return f"""
        SELECT {", ".join(f"{cell} AS {_sql_name(name)}" for cell, name in zip(cells, names, strict=True))}
        FROM sales_lines l
        LEFT JOIN (SELECT id, zone_abbr, {neutralise_sql("code")} AS code_cell FROM warehouses) w
               ON w.id = l.warehouse_id
        LEFT JOIN (SELECT id, {neutralise_sql("buyer_code")} AS code_cell, {neutralise_sql("name")} AS name_cell
                   FROM buyers) b ON b.id = l.buyer_id
        WHERE {where}
    """


def _sql_path(path: Path) -> str:
    return "'" + str(path).replace("'", "''") + "'"


def _write(con, where: str, params: dict, out: Path, *, bom: bool, header: str, code: str | None) -> int:
    """COPY into a temporary file beside `out`, then rename: never a half-written export."""
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f".{out.name}.{os.getpid()}.tmp")
    try:
        select = export_select(where, bom=bom, header=header, code=code)
        copy = f"COPY ({select}) TO {_sql_path(tmp)} (FORMAT csv, HEADER true, DELIMITER ',')"
        row = con.execute(copy, params).fetchone()
        os.replace(tmp, out)
    finally:
        if tmp.exists():
            tmp.unlink()
    return int(row[0]) if row else 0


def export_history_csv(
    store: Store,
    analytics: AnalyticsStore,
    actor: Actor,
    filters: HistoryFilters,
    out: Path,
    *,
    bom: bool = True,
    header: str = MACHINE,
    code: str | None = None,
) -> ExportResult:
    """Write the acting user's filtered transaction history to `out` (the page's download); `bom`:
    start with the UTF-8 byte-order mark, for Excel; `header`: "machine" (stable names, the default)
    or "reader" (titles in the language `code`, or the reader's): see the module's docstring."""
    header_names(header)  # an unknown form is refused before any work
    check_product_manager(store, actor, doing=N_("export the transaction history"))
    started = time.perf_counter()
    with analytics.reading() as snap:
        where, params = history_where(snap.con, actor.company_id, filters)
        rows = _write(snap.con, where, params, out, bom=bom, header=header, code=code)
        return ExportResult(Path(out), rows, time.perf_counter() - started, snap.info)


def export_company_history_csv(
    analytics: AnalyticsStore,
    company_code: str,
    filters: HistoryFilters,
    out: Path,
    *,
    bom: bool = True,
    header: str = MACHINE,
    code: str | None = None,
) -> ExportResult:
    """The same export for an analyst at the command line, for one company named by its code."""
    header_names(header)
    started = time.perf_counter()
    with analytics.reading() as snap:
        row = snap.con.execute("SELECT id FROM companies WHERE company_code = $code", {"code": company_code}).fetchone()
        if row is None:
            raise NotFound(_("There is no company {code} in the analytics store.", code=company_code))
        where, params = history_where(snap.con, int(row[0]), filters)
        rows = _write(snap.con, where, params, out, bom=bom, header=header, code=code)
        return ExportResult(Path(out), rows, time.perf_counter() - started, snap.info)
