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

#: What a file starts with so that Excel reads it as UTF-8 (see the module's docstring).
BOM = "\ufeff"


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


def _payout_status_words() -> str:
    """SQL giving the payout's status in the page's words (PAYOUT_STATUS_LABELS)."""
    cases = " ".join(f"WHEN '{status}' THEN '{label}'" for status, label in PAYOUT_STATUS_LABELS.items())
    return f"CASE l.payout_status {cases} ELSE l.payout_status END"


def export_select(where: str, *, bom: bool = True) -> str:
    """The export's rows. No ORDER BY: sales_lines is stored in completion order (a rebuild sorts
    it; each sync appends the lines of newly completed orders in that order), and sorting ~3 M rows
    once more would cost about 40% of the export. The dimensions are neutralised once, not per line.

    With `bom` the first column's name begins with the byte-order mark: COPY writes the header
    first, so the file starts with it, at no cost (COPY cannot write anything before its header)."""
    cells = [
        f'{neutralise_sql("l.order_number")} AS "{BOM if bom else ""}order_number"',
        f"{_local('l.placed_at')} AS placed_at",
        f"{_local('l.completed_at')} AS completed_at",
        "w.code_cell AS warehouse",
        "b.code_cell AS buyer_code",
        "b.name_cell AS buyer_name",
        f"{neutralise_sql('l.product_name')} AS product_name",
        f"{neutralise_sql('l.sku')} AS sku",
        "l.quantity AS quantity",
        "l.unit_price AS unit_price",
        "l.line_total AS line_total",
        f"{_payout_status_words()} AS payout_status",
        f"{_local('l.payout_paid_at')} AS paid_at",
        f"{neutralise_sql('l.payout_reference')} AS transfer_reference",
    ]
    return f"""
        SELECT {", ".join(cells)}
        FROM sales_lines l
        LEFT JOIN (SELECT id, zone_abbr, {neutralise_sql("code")} AS code_cell FROM warehouses) w
               ON w.id = l.warehouse_id
        LEFT JOIN (SELECT id, {neutralise_sql("buyer_code")} AS code_cell, {neutralise_sql("name")} AS name_cell
                   FROM buyers) b ON b.id = l.buyer_id
        WHERE {where}
    """


def _sql_path(path: Path) -> str:
    return "'" + str(path).replace("'", "''") + "'"


def _write(con, where: str, params: dict, out: Path, *, bom: bool) -> int:
    """COPY into a temporary file beside `out`, then rename: never a half-written export."""
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f".{out.name}.{os.getpid()}.tmp")
    try:
        copy = f"COPY ({export_select(where, bom=bom)}) TO {_sql_path(tmp)} (FORMAT csv, HEADER true, DELIMITER ',')"
        row = con.execute(copy, params).fetchone()
        os.replace(tmp, out)
    finally:
        if tmp.exists():
            tmp.unlink()
    return int(row[0]) if row else 0


def export_history_csv(
    store: Store, analytics: AnalyticsStore, actor: Actor, filters: HistoryFilters, out: Path, *, bom: bool = True
) -> ExportResult:
    """Write the acting user's filtered transaction history to `out` (the page's download); `bom`:
    start with the UTF-8 byte-order mark, for Excel (see the module's docstring)."""
    check_product_manager(store, actor, doing="export the transaction history")
    started = time.perf_counter()
    with analytics.reading() as snap:
        where, params = history_where(snap.con, actor.company_id, filters)
        rows = _write(snap.con, where, params, out, bom=bom)
        return ExportResult(Path(out), rows, time.perf_counter() - started, snap.info)


def export_company_history_csv(
    analytics: AnalyticsStore, company_code: str, filters: HistoryFilters, out: Path, *, bom: bool = True
) -> ExportResult:
    """The same export for an analyst at the command line, for one company named by its code."""
    started = time.perf_counter()
    with analytics.reading() as snap:
        row = snap.con.execute("SELECT id FROM companies WHERE company_code = $code", {"code": company_code}).fetchone()
        if row is None:
            raise NotFound(f"There is no company {company_code} in the analytics store.")
        where, params = history_where(snap.con, int(row[0]), filters)
        rows = _write(snap.con, where, params, out, bom=bom)
        return ExportResult(Path(out), rows, time.perf_counter() - started, snap.info)
