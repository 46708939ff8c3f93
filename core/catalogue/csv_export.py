"""Exporting the catalogue as CSV: `export_catalogue` (the file's bytes) and `export_filename`.

The file's format (columns, formula neutralisation) is core.catalogue.csv_format's; a file
exported here imports back unchanged (core.catalogue.csv_import).
"""

from __future__ import annotations

import csv
import io
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select

from core.acting import Actor, acting, require_role
from core.catalogue.csv_format import CSV_COLUMNS, Progress, neutralise, no_progress
from core.catalogue.rules import PM, SETTABLE_STATUSES, format_count
from core.clock import require_aware
from core.domain import ProductStatus
from core.i18n import N_, _, _n, gettext
from core.store.database import Store
from core.store.models import Product, StockLevel, Warehouse

EXPORT = N_("export the catalogue")


def export_filename(company_code: str, now: datetime) -> str:
    """catalogue-DEMO01-2026-11-26.csv (the date in Jakarta: the bank's business day)."""
    day = require_aware(now).astimezone(ZoneInfo("Asia/Jakarta")).date().isoformat()
    return f"catalogue-{company_code}-{day}.csv"


def export_catalogue(
    store: Store, actor: Actor, *, include_deleted: bool = False, on_progress: Progress = no_progress
) -> bytes:
    """The catalogue with stock and prices as CSV bytes (UTF-8, header first), by SKU and warehouse."""
    require_role(actor, PM, doing=EXPORT)  # before the first progress report
    on_progress(0.0, gettext("Reading the catalogue…"))
    rows = _export_rows(store, actor, include_deleted)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for done, row in enumerate(rows, 1):
        writer.writerow([neutralise(cell) for cell in row])
        if done % 1000 == 0:
            said = _("Writing row {done} of {rows}…", done=format_count(done), rows=format_count(len(rows)))
            on_progress(done / len(rows), said.render())
    on_progress(
        1.0, _n("{count} row exported.", "{count} rows exported.", len(rows), count=format_count(len(rows))).render()
    )
    return out.getvalue().encode("utf-8")


def _export_rows(store: Store, actor: Actor, include_deleted: bool) -> list[tuple]:
    statuses = list(ProductStatus) if include_deleted else list(SETTABLE_STATUSES)
    with acting(store, actor, PM, doing=EXPORT, write=False) as (session, _user, _now):
        rows = session.execute(
            select(
                Product.sku,
                Product.name,
                Product.unit,
                Product.description,
                Product.status,
                Warehouse.code,
                StockLevel.on_hand,
                StockLevel.price,
            )
            .outerjoin(StockLevel, StockLevel.product_id == Product.id)
            .outerjoin(Warehouse, Warehouse.id == StockLevel.warehouse_id)
            .where(Product.company_id == actor.company_id, Product.status.in_(statuses))
            .order_by(Product.sku, Warehouse.code)
        ).all()
    return [
        (
            sku,
            name,
            unit,
            description or "",
            str(status),
            code or "",
            "" if on_hand is None else on_hand,
            "" if price is None else price,
        )
        for sku, name, unit, description, status, code, on_hand, price in rows
    ]
