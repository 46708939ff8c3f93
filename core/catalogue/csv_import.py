"""Importing the catalogue from CSV: `preview_import` (check the whole file, say what importing it
would do, write nothing), then `import_catalogue` (check again and apply it, all rows or none).

Every row is checked before anything is written: every bad row is reported with its line number
and reason (ImportRejected), and nothing is applied unless every row is valid. The import then
runs in one unit of work through the same planning and guarded writes as the stock & price grid
(core.catalogue.planning, core.catalogue.saving), so large price changes need the same explicit
confirmation, every price change reaches the price history (source "csv import"), and a
reservation that lands meanwhile fails the import cleanly instead of overselling. New products
and stock levels are created as needed. Reading the file is core.catalogue.csv_format's.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from core.acting import Actor, acting, require_role
from core.catalogue.csv_format import CsvFile, CsvRow, Progress, no_progress, read_csv
from core.catalogue.planning import (
    CatalogueSnapshot,
    ChangePreview,
    ProductRef,
    StockChange,
    StockEdit,
    load_snapshot,
    plan_stock_changes,
    refuse_unconfirmed,
)
from core.catalogue.rules import (
    ADDED_AT_THE_SAME_MOMENT,
    DEFAULT_UNIT,
    PM,
    SOURCE_CSV,
    CleanDetails,
    ProductDetails,
    clean_details,
    format_count,
    normalise_sku,
)
from core.catalogue.saving import audit_entry, write_stock_changes
from core.domain import ProductStatus
from core.errors import InvalidInput
from core.store.database import Store
from core.store.models import Product

IMPORT = "import the catalogue"


# --- What people get back ----------------------------------------------------------------


@dataclass(frozen=True)
class RowProblem:
    line: int  # the file's line number, header = line 1
    sku: str
    warehouse_code: str
    message: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.message}"


class ImportRejected(InvalidInput):
    """Some rows are bad; `problems` names every one of them, by line. Nothing was imported."""

    def __init__(self, problems: Sequence[RowProblem], rows: int):
        self.problems = tuple(sorted(problems, key=lambda p: p.line))
        self.rows = rows
        bad_lines = len({p.line for p in self.problems})
        shown = "; ".join(str(p) for p in self.problems[:3])
        more = f"; and {len(self.problems) - 3} more" if len(self.problems) > 3 else ""
        super().__init__(
            f"{bad_lines} of {format_count(rows)} rows have problems, so nothing was imported: "
            f"{shown}{more}. Fix them and upload the file again.",
            field="file",
        )


@dataclass(frozen=True)
class ImportPreview:
    rows: int
    new_products: tuple[str, ...]
    updated_products: tuple[str, ...]
    changes: ChangePreview
    created_rows: int
    updated_rows: int
    unchanged_rows: int
    ignored_columns: tuple[str, ...] = ()

    @property
    def large(self) -> tuple[StockChange, ...]:
        return self.changes.large

    @property
    def large_keys(self) -> frozenset[tuple]:
        return self.changes.large_keys


@dataclass(frozen=True)
class ImportSummary:
    rows: int
    created: int  # rows that created a product or a stock level
    updated: int  # rows that changed something
    unchanged: int
    new_products: int
    updated_products: int
    price_changes: int

    def sentence(self) -> str:
        return (
            f"Imported {format_count(self.rows)} rows: {format_count(self.created)} created, "
            f"{format_count(self.updated)} updated, {format_count(self.unchanged)} unchanged "
            f"({format_count(self.new_products)} new products, {format_count(self.price_changes)} price changes)."
        )


# --- Checking every row ------------------------------------------------------------------


@dataclass
class _ProductPlan:
    sku: str
    details: CleanDetails
    first_line: int
    existing: ProductRef | None

    @property
    def is_new(self) -> bool:
        return self.existing is None

    @property
    def changed(self) -> bool:
        if self.existing is None:
            return False
        e = self.existing
        return (e.name, e.unit, e.description, e.status) != (
            self.details.name,
            self.details.unit,
            self.details.description,
            self.details.status,
        )


@dataclass
class _Plan:
    rows: int
    products: dict[str, _ProductPlan]
    changes: list[StockChange]
    row_outcome: dict[int, str]  # line → created / updated / unchanged
    ignored_columns: tuple[str, ...]


def _check_rows(snapshot: CatalogueSnapshot, parsed: CsvFile, on_progress: Progress) -> _Plan:
    problems: list[RowProblem] = []
    products: dict[str, _ProductPlan] = {}
    edits: list[tuple[int, StockEdit]] = []
    seen: dict[tuple[str, str], int] = {}
    for done, row in enumerate(parsed.rows, 1):
        problems.extend(_check_row(snapshot, row, parsed.header_size, products, edits, seen))
        if done % 500 == 0:
            on_progress(0.2 + 0.4 * done / len(parsed.rows), f"Checked {format_count(done)} rows…")
    new_names = {sku: plan.details.name for sku, plan in products.items() if plan.is_new}
    changes, cell_problems = plan_stock_changes(snapshot, [edit for _, edit in edits], new_products=new_names)
    for index, cell in cell_problems:
        line = edits[index][0]
        problems.append(RowProblem(line, cell.sku, cell.warehouse_code, f"{cell.column}: {cell.message}"))
    if problems:
        raise ImportRejected(problems, len(parsed.rows))
    return _outcome(parsed, products, edits, changes)


def _check_row(
    snapshot: CatalogueSnapshot,
    row: CsvRow,
    header_size: int,
    products: dict[str, _ProductPlan],
    edits: list[tuple[int, StockEdit]],
    seen: dict[tuple[str, str], int],
) -> list[RowProblem]:
    cells = row.cells
    code = cells["warehouse_code"].strip()
    raw_sku = cells["sku"].strip()
    bad = lambda message: RowProblem(row.line, raw_sku, code, message)  # noqa: E731
    if row.field_count != header_size:
        return [
            bad(
                f"has {row.field_count} fields but the header has {header_size} (a missing or extra comma, "
                "or an unclosed quote?)"
            )
        ]
    try:
        sku = normalise_sku(raw_sku)
    except InvalidInput as exc:
        return [bad(exc.message)]
    problems = _check_product_cells(snapshot, row, sku, products)
    if problems and sku not in products:
        return problems  # a product that cannot be created has no stock to check either
    if code or cells["on_hand"].strip() or cells["price"].strip():
        if not code:
            problems.append(bad("warehouse_code is empty; name the warehouse the on hand and price are for"))
        elif (sku, code.upper()) in seen:
            problems.append(
                bad(
                    f"repeats {sku} in {code} from line {seen[(sku, code.upper())]}; "
                    "each product and warehouse may appear only once"
                )
            )
        else:
            seen[(sku, code.upper())] = row.line
            edits.append((row.line, StockEdit(sku, code, cells["on_hand"], cells["price"])))
    return problems


def _check_product_cells(
    snapshot: CatalogueSnapshot, row: CsvRow, sku: str, products: dict[str, _ProductPlan]
) -> list[RowProblem]:
    cells = row.cells
    bad = lambda message: RowProblem(row.line, sku, cells["warehouse_code"].strip(), message)  # noqa: E731
    existing = snapshot.products.get(sku)
    if existing is not None and existing.status == ProductStatus.DELETED:
        return [bad(f"product {sku} was deleted; its SKU cannot be imported again")]
    # An empty unit or status keeps what the product has (a new one gets the defaults).
    status = cells["status"].strip() or (existing.status if existing else ProductStatus.ACTIVE)
    unit = cells["unit"].strip() or (existing.unit if existing else DEFAULT_UNIT)
    try:
        details = clean_details(
            ProductDetails(name=cells["name"], unit=unit, description=cells["description"], status=status)
        )
    except InvalidInput as exc:
        return [bad(exc.message)]
    plan = products.get(sku)
    if plan is None:
        products[sku] = _ProductPlan(sku, details, row.line, existing)
        return []
    # Rows of one product must agree on what the product is.
    differing = [
        name
        for name in ("name", "unit", "description", "status")
        if getattr(plan.details, name) != getattr(details, name)
    ]
    if differing:
        return [
            bad(
                f"{' and '.join(differing)} differ{'s' if len(differing) == 1 else ''} from line "
                f"{plan.first_line} for the same SKU {sku}"
            )
        ]
    return []


def _outcome(
    parsed: CsvFile, products: dict[str, _ProductPlan], edits: list[tuple[int, StockEdit]], changes: list[StockChange]
) -> _Plan:
    change_by_key = {(c.sku, c.warehouse_code.upper()): c for c in changes}
    edit_line_by_key = {(e.sku, e.warehouse_code.strip().upper()): line for line, e in edits}
    outcome: dict[int, str] = {}
    for row in parsed.rows:
        outcome[row.line] = "unchanged"
    for plan in products.values():
        if plan.is_new or plan.changed:
            outcome[plan.first_line] = "created" if plan.is_new else "updated"
    for key, change in change_by_key.items():
        line = edit_line_by_key[key]
        outcome[line] = "created" if change.is_new or outcome[line] == "created" else "updated"
    return _Plan(len(parsed.rows), products, changes, outcome, parsed.ignored_columns)


def _counts(plan: _Plan) -> dict[str, int]:
    values = list(plan.row_outcome.values())
    return {kind: values.count(kind) for kind in ("created", "updated", "unchanged")}


# --- The two steps -----------------------------------------------------------------------


def preview_import(
    store: Store, actor: Actor, data: bytes, filename: str, *, on_progress: Progress = no_progress
) -> ImportPreview:
    """Read and check the whole file; say what importing it would do, and which price changes are
    large (to be confirmed). Raises InvalidInput for an unreadable file and ImportRejected listing
    every bad row. Writes nothing."""
    require_role(actor, PM, doing=IMPORT)
    on_progress(0.0, "Reading the file…")
    parsed = read_csv(data, filename)
    on_progress(0.2, f"Checking {format_count(len(parsed.rows))} rows…")
    with acting(store, actor, PM, doing=IMPORT, write=False) as (session, _, _now):
        plan = _check_rows(load_snapshot(session, actor.company_id), parsed, on_progress)
    on_progress(1.0, "Checked.")
    counts = _counts(plan)
    return ImportPreview(
        rows=plan.rows,
        new_products=tuple(s for s, p in plan.products.items() if p.is_new),
        updated_products=tuple(s for s, p in plan.products.items() if p.changed),
        changes=ChangePreview(tuple(plan.changes)),
        created_rows=counts["created"],
        updated_rows=counts["updated"],
        unchanged_rows=counts["unchanged"],
        ignored_columns=plan.ignored_columns,
    )


def import_catalogue(
    store: Store,
    actor: Actor,
    data: bytes,
    filename: str,
    now: datetime,
    *,
    confirmed_large: Iterable[tuple] = frozenset(),
    on_progress: Progress = no_progress,
) -> ImportSummary:
    """Check the file again and apply it in one unit of work: all rows or none. Refuses while any
    large price change is missing from `confirmed_large` (ImportPreview.large_keys)."""
    require_role(actor, PM, doing=IMPORT)
    on_progress(0.0, "Reading the file…")
    parsed = read_csv(data, filename)
    on_progress(0.2, f"Checking {format_count(len(parsed.rows))} rows…")
    with acting(store, actor, PM, doing=IMPORT, now=now, conflict=ADDED_AT_THE_SAME_MOMENT) as (session, _, now):
        snapshot = load_snapshot(session, actor.company_id)
        plan = _check_rows(snapshot, parsed, on_progress)
        refuse_unconfirmed(plan.changes, confirmed_large)
        on_progress(0.6, "Saving…")
        product_ids = _write_products(session, actor, plan, now)
        write_stock_changes(
            session,
            actor,
            snapshot,
            plan.changes,
            now,
            source=SOURCE_CSV,
            product_ids=product_ids,
            on_progress=lambda f: on_progress(0.7 + 0.3 * f, "Saving stock and prices…"),
        )
        summary = _summary(plan)
        audit_entry(
            session,
            actor,
            now,
            "catalogue.imported",
            target=str(filename)[:100],
            rows=summary.rows,
            created=summary.created,
            updated=summary.updated,
            unchanged=summary.unchanged,
            price_changes=summary.price_changes,
        )
    on_progress(1.0, "Imported.")
    return summary


def _write_products(session: Session, actor: Actor, plan: _Plan, now: datetime) -> dict[str, int]:
    new = [p for p in plan.products.values() if p.is_new]
    if new:
        session.execute(
            insert(Product),
            [
                dict(
                    company_id=actor.company_id,
                    sku=p.sku,
                    name=p.details.name,
                    unit=p.details.unit,
                    description=p.details.description,
                    status=p.details.status,
                    created_at=now,
                    updated_at=now,
                )
                for p in new
            ],
        )
    for p in plan.products.values():
        if p.existing is not None and p.changed:
            session.execute(
                update(Product)
                .where(Product.id == p.existing.id, Product.company_id == actor.company_id)
                .values(
                    name=p.details.name,
                    unit=p.details.unit,
                    description=p.details.description,
                    status=p.details.status,
                    updated_at=now,
                )
                .execution_options(synchronize_session=False)
            )
    if not new:
        return {}
    return dict(session.execute(select(Product.sku, Product.id).where(Product.company_id == actor.company_id)).all())


def _summary(plan: _Plan) -> ImportSummary:
    counts = _counts(plan)
    return ImportSummary(
        rows=plan.rows,
        created=counts["created"],
        updated=counts["updated"],
        unchanged=counts["unchanged"],
        new_products=sum(p.is_new for p in plan.products.values()),
        updated_products=sum(p.changed for p in plan.products.values()),
        price_changes=sum(c.price_changed for c in plan.changes),
    )
