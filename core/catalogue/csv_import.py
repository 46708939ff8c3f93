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
    listing,
    normalise_sku,
)
from core.catalogue.saving import audit_entry, write_stock_changes
from core.domain import ProductStatus
from core.errors import InvalidInput
from core.i18n import N_, Message, _, _n, gettext
from core.store.database import Store
from core.store.models import Product

IMPORT = N_("import the catalogue")


# --- What people get back ----------------------------------------------------------------


@dataclass(frozen=True)
class RowProblem:
    line: int  # the file's line number, header = line 1
    sku: str
    warehouse_code: str
    said: Message  # what is wrong with the row, a whole clause naming the column and the value

    @property
    def message(self) -> str:
        """What is wrong, in the reader's language."""
        return self.said.render()

    def where(self) -> Message:
        """'line 3: price 'Rp5.000' is not a whole number (…)', for a sentence that lists problems."""
        return _("line {line}: {problem}", line=self.line, problem=self.said)

    def __str__(self) -> str:
        return self.where().render()


class ImportRejected(InvalidInput):
    """Some rows are bad; `problems` names every one of them, by line. Nothing was imported."""

    def __init__(self, problems: Sequence[RowProblem], rows: int):
        self.problems = tuple(sorted(problems, key=lambda p: p.line))
        self.rows = rows
        super().__init__(
            _(
                "{count} of {rows} rows have problems, so nothing was imported: {problems}. Fix them and upload the "
                "file again.",
                count=format_count(len({p.line for p in self.problems})),
                rows=format_count(rows),
                problems=listing([p.where() for p in self.problems], 3),
            ),
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

    def said(self) -> Message:
        """'Imported 5 rows: 3 created, 2 updated, 0 unchanged (2 new products, 3 price changes).'"""
        return _n(
            "Imported {count} row: {created} created, {updated} updated, {unchanged} unchanged ({products}, {prices}).",
            "Imported {count} rows: {created} created, {updated} updated, {unchanged} unchanged "
            "({products}, {prices}).",
            self.rows,
            count=format_count(self.rows),
            created=format_count(self.created),
            updated=format_count(self.updated),
            unchanged=format_count(self.unchanged),
            products=new_products(self.new_products),
            prices=price_changes(self.price_changes),
        )

    def sentence(self, code: str | None = None) -> str:
        """The summary in the reader's language, or in `code`."""
        return self.said().render(code)


def new_products(count: int) -> Message:
    """'1 new product', '3 new products'."""
    return _n("{count} new product", "{count} new products", count, count=format_count(count))


def price_changes(count: int) -> Message:
    """'1 price change', '3 price changes'."""
    return _n("{count} price change", "{count} price changes", count, count=format_count(count))


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
            said = _n("Checked {count} row…", "Checked {count} rows…", done, count=format_count(done))
            on_progress(0.2 + 0.4 * done / len(parsed.rows), said.render())
    new_names = {sku: plan.details.name for sku, plan in products.items() if plan.is_new}
    changes, cell_problems = plan_stock_changes(snapshot, [edit for _, edit in edits], new_products=new_names)
    for index, cell in cell_problems:
        line = edits[index][0]
        problems.append(RowProblem(line, cell.sku, cell.warehouse_code, cell.said))
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
    bad = lambda said: RowProblem(row.line, raw_sku, code, said)  # noqa: E731
    if row.field_count != header_size:
        return [
            bad(
                _(
                    "the row has {fields} fields but the header has {header} (a missing or extra comma, or an "
                    "unclosed quote?)",
                    fields=row.field_count,
                    header=header_size,
                )
            )
        ]
    try:
        sku = normalise_sku(raw_sku)
    except InvalidInput as exc:
        return [bad(exc.said)]
    problems = _check_product_cells(snapshot, row, sku, products)
    if problems and sku not in products:
        return problems  # a product that cannot be created has no stock to check either
    if code or cells["on_hand"].strip() or cells["price"].strip():
        if not code:
            problems.append(
                bad(_("the warehouse_code cell is empty; name the warehouse the on hand and price are for"))
            )
        elif (sku, code.upper()) in seen:
            problems.append(
                bad(
                    _(
                        "{sku} in {warehouse} is already on line {line}; each product and warehouse may appear only "
                        "once",
                        sku=sku,
                        warehouse=code,
                        line=seen[(sku, code.upper())],
                    )
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
    bad = lambda said: RowProblem(row.line, sku, cells["warehouse_code"].strip(), said)  # noqa: E731
    existing = snapshot.products.get(sku)
    if existing is not None and existing.status == ProductStatus.DELETED:
        return [bad(_("product {sku} was deleted; its SKU cannot be imported again", sku=sku))]
    # An empty unit or status keeps what the product has (a new one gets the defaults).
    status = cells["status"].strip() or (existing.status if existing else ProductStatus.ACTIVE)
    unit = cells["unit"].strip() or (existing.unit if existing else DEFAULT_UNIT)
    try:
        details = clean_details(
            ProductDetails(name=cells["name"], unit=unit, description=cells["description"], status=status)
        )
    except InvalidInput as exc:
        return [bad(exc.said)]
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
                _n(
                    "{columns} differs from line {line} for the same SKU {sku}",
                    "{columns} differ from line {line} for the same SKU {sku}",
                    len(differing),
                    columns=", ".join(differing),
                    line=plan.first_line,
                    sku=sku,
                )
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
    on_progress(0.0, gettext("Reading the file…"))
    parsed = read_csv(data, filename)
    on_progress(0.2, _checking(len(parsed.rows)))
    with acting(store, actor, PM, doing=IMPORT, write=False) as (session, _user, _now):
        plan = _check_rows(load_snapshot(session, actor.company_id), parsed, on_progress)
    on_progress(1.0, gettext("Checked."))
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
    on_progress(0.0, gettext("Reading the file…"))
    parsed = read_csv(data, filename)
    on_progress(0.2, _checking(len(parsed.rows)))
    with acting(store, actor, PM, doing=IMPORT, now=now, conflict=ADDED_AT_THE_SAME_MOMENT) as (session, _user, now):
        snapshot = load_snapshot(session, actor.company_id)
        plan = _check_rows(snapshot, parsed, on_progress)
        refuse_unconfirmed(plan.changes, confirmed_large)
        on_progress(0.6, gettext("Saving…"))
        product_ids = _write_products(session, actor, plan, now)
        write_stock_changes(
            session,
            actor,
            snapshot,
            plan.changes,
            now,
            source=SOURCE_CSV,
            product_ids=product_ids,
            on_progress=lambda f: on_progress(0.7 + 0.3 * f, gettext("Saving stock and prices…")),
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
    on_progress(1.0, gettext("Imported."))
    return summary


def _checking(rows: int) -> str:
    return _n("Checking {count} row…", "Checking {count} rows…", rows, count=format_count(rows)).render()


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
