"""Planning stock and price changes: what a save would change, and every bad cell, before anything
is written. Shared by the add form (core.catalogue.products), the stock & price grid
(core.catalogue.stock) and the CSV import (core.catalogue.csv_import).

A unit of work reads the company's catalogue once (`load_snapshot`: three queries, whatever the
number of edits), `plan_stock_changes` checks every `StockEdit` against it, `refuse_unconfirmed`
applies the price guard, and core.catalogue.saving writes the planned `StockChange`s.

A value the person did not touch is not a change, even if the store moved meanwhile; a value they
did touch must start from what the store holds now (`seen_*`), or they would overwrite unseen news.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.catalogue.rules import (
    CellProblem,
    LargePriceChangesUnconfirmed,
    NotAWholeNumber,
    format_count,
    format_percent,
    is_large_price_change,
    on_hand_problem,
    percent_change,
    price_problem,
    read_whole_number,
)
from core.domain import ProductStatus, WarehouseStatus
from core.formats import format_rupiah
from core.i18n import Message, _
from core.store.models import Product, StockLevel, Warehouse
from core.text import shown

# --- The catalogue as a unit of work found it ----------------------------------------------------


@dataclass(frozen=True)
class WarehouseRef:
    id: int
    code: str
    name: str
    time_zone: str
    is_open: bool


@dataclass(frozen=True)
class ProductRef:
    id: int
    sku: str
    name: str
    unit: str
    description: str
    status: ProductStatus


@dataclass(frozen=True)
class LevelRef:
    id: int
    on_hand: int
    reserved: int
    price: int


@dataclass
class CatalogueSnapshot:
    """The company's catalogue as read at the start of a unit of work, for checking edits."""

    products: dict[str, ProductRef] = field(default_factory=dict)
    warehouses: dict[str, WarehouseRef] = field(default_factory=dict)
    levels: dict[tuple[int, int], LevelRef] = field(default_factory=dict)


def read_warehouses(session: Session, company_id: int) -> list[WarehouseRef]:
    """The company's warehouses (open and closed), by code."""
    rows = session.execute(
        select(Warehouse.id, Warehouse.code, Warehouse.name, Warehouse.time_zone, Warehouse.status)
        .where(Warehouse.company_id == company_id)
        .order_by(Warehouse.code)
    )
    return [
        WarehouseRef(id_, code, name, zone, status == WarehouseStatus.OPEN) for id_, code, name, zone, status in rows
    ]


def load_snapshot(session: Session, company_id: int) -> CatalogueSnapshot:
    """Three queries, whatever the number of edits to check."""
    snapshot = CatalogueSnapshot()
    for row in session.execute(
        select(Product.id, Product.sku, Product.name, Product.unit, Product.description, Product.status).where(
            Product.company_id == company_id
        )
    ):
        snapshot.products[row.sku] = ProductRef(
            row.id, row.sku, row.name, row.unit, row.description or "", ProductStatus(row.status)
        )
    snapshot.warehouses = {w.code: w for w in read_warehouses(session, company_id)}
    for level in session.execute(
        select(
            StockLevel.id,
            StockLevel.product_id,
            StockLevel.warehouse_id,
            StockLevel.on_hand,
            StockLevel.reserved,
            StockLevel.price,
        )
        .join(Product, Product.id == StockLevel.product_id)
        .where(Product.company_id == company_id)
    ):
        snapshot.levels[(level.product_id, level.warehouse_id)] = LevelRef(
            level.id, level.on_hand, level.reserved, level.price
        )
    return snapshot


def find_warehouse(snapshot: CatalogueSnapshot, code: str) -> WarehouseRef | None:
    """By code as written, else ignoring case (people type "jkt-01")."""
    if code in snapshot.warehouses:
        return snapshot.warehouses[code]
    return next((w for c, w in snapshot.warehouses.items() if c.upper() == code.upper()), None)


# --- What a person asks for, and what it would change ---------------------------------------------


@dataclass(frozen=True)
class StockEdit:
    """The values a person wants for a product in a warehouse. `seen_*` are the values the grid
    showed when they started (None: unknown, compare with the store's current values)."""

    sku: str
    warehouse_code: str
    on_hand: object
    price: object
    seen_on_hand: int | None = None
    seen_price: int | None = None


@dataclass(frozen=True)
class StockChange:
    """One product × warehouse that a save would change. old_* are None for a new stock level."""

    sku: str
    product_name: str
    warehouse_code: str
    level_id: int | None
    old_on_hand: int | None
    new_on_hand: int
    reserved: int
    old_price: int | None
    new_price: int

    @property
    def is_new(self) -> bool:
        return self.level_id is None

    @property
    def on_hand_changed(self) -> bool:
        return self.old_on_hand != self.new_on_hand

    @property
    def price_changed(self) -> bool:
        return self.old_price != self.new_price

    @property
    def percent(self) -> float | None:
        return percent_change(self.old_price, self.new_price) if self.price_changed else None

    @property
    def is_large(self) -> bool:
        return self.price_changed and is_large_price_change(self.old_price, self.new_price)

    @property
    def key(self) -> tuple[str, str, int | None, int]:
        """What a confirmation names: this product, this warehouse, from this price to that one."""
        return self.sku, self.warehouse_code, self.old_price, self.new_price

    def price_summary(self) -> Message:
        """'RICE-5 at JKT-1 Rp75.000 → Rp150.000 (+100%)'."""
        return _(
            "{sku} at {warehouse} {old} → {new} ({change})",
            sku=self.sku,
            warehouse=self.warehouse_code,
            old=format_rupiah(self.old_price) if self.old_price is not None else _("no price"),
            new=format_rupiah(self.new_price),
            change=format_percent(self.percent),
        )


@dataclass(frozen=True)
class ChangePreview:
    changes: tuple[StockChange, ...]

    @property
    def large(self) -> tuple[StockChange, ...]:
        return tuple(c for c in self.changes if c.is_large)

    @property
    def large_keys(self) -> frozenset[tuple]:
        return frozenset(c.key for c in self.large)

    @property
    def price_changes(self) -> int:
        return sum(1 for c in self.changes if c.price_changed)

    @property
    def stock_changes(self) -> int:
        return sum(1 for c in self.changes if c.on_hand_changed)

    @property
    def is_empty(self) -> bool:
        return not self.changes


# --- Checking every edit ----------------------------------------------------------------------------


def plan_stock_changes(
    snapshot: CatalogueSnapshot,
    edits: Sequence[StockEdit],
    *,
    new_products: Mapping[str, str] | None = None,
) -> tuple[list[StockChange], list[tuple[int, CellProblem]]]:
    """Check every edit against the snapshot; return what would change and every problem (with
    the index of its edit). `new_products` (SKU → name) are being created in the same unit of work."""
    new_products = new_products or {}
    changes: list[StockChange] = []
    problems: list[tuple[int, CellProblem]] = []
    seen_keys: dict[tuple[str, str], int] = {}
    for index, edit in enumerate(edits):
        change, found = _plan_one(snapshot, edit, new_products)
        key = (str(edit.sku or "").strip().upper(), str(edit.warehouse_code or "").strip())
        if key in seen_keys:
            found.append(
                CellProblem(
                    *key,
                    "row",
                    _("the same product and warehouse appear twice (also entry {entry})", entry=seen_keys[key] + 1),
                )
            )
        seen_keys.setdefault(key, index)
        problems.extend((index, problem) for problem in found)
        if change is not None and not found:
            changes.append(change)
    return changes, problems


def refuse_unconfirmed(changes: Iterable[StockChange], confirmed_large: Iterable[tuple]) -> None:
    """The price guard: every large change must be in `confirmed_large` (ChangePreview.large_keys)."""
    confirmed = set(confirmed_large or ())
    missing = [c for c in changes if c.is_large and c.key not in confirmed]
    if missing:
        raise LargePriceChangesUnconfirmed(missing)


def _plan_one(
    snapshot: CatalogueSnapshot, edit: StockEdit, new_products: Mapping[str, str]
) -> tuple[StockChange | None, list[CellProblem]]:
    sku = str(edit.sku or "").strip().upper()
    code = str(edit.warehouse_code or "").strip()
    product = snapshot.products.get(sku)
    if product is None and sku not in new_products:
        said = _("there is no product {sku} in your catalogue", sku=shown(sku)) if sku else _("the SKU is empty")
        return None, [CellProblem(sku, code, "product", said)]
    if product is not None and product.status == ProductStatus.DELETED:
        return None, [CellProblem(sku, code, "product", _("product {sku} is deleted", sku=sku))]
    warehouse = find_warehouse(snapshot, code)
    if warehouse is None:
        known: str | Message = ", ".join(snapshot.warehouses) or _("none yet")
        said = (
            _("your company has no warehouse {code} (your warehouses: {known})", code=shown(code), known=known)
            if code
            else _("the warehouse is empty (your warehouses: {known})", known=known)
        )
        return None, [CellProblem(sku, code, "warehouse", said)]
    code = warehouse.code
    level = snapshot.levels.get((product.id, warehouse.id)) if product is not None else None
    found: list[CellProblem] = []
    on_hand = _read_cell(edit.on_hand, sku, code, "on hand", found)
    price = _read_cell(edit.price, sku, code, "price", found)
    if level is None and on_hand is None and price is None and not found:
        return None, []  # a product not stocked here, left that way
    if on_hand is None and not _found_in(found, "on hand"):
        found.append(CellProblem(sku, code, "on hand", _("on hand is empty; enter the units on hand (0 if none)")))
    if price is None and not _found_in(found, "price"):
        found.append(CellProblem(sku, code, "price", _("price is empty; enter the price per unit in whole rupiah")))
    if found:
        return None, found
    assert on_hand is not None and price is not None  # an empty or unreadable cell is a problem found above
    name = product.name if product else new_products[sku]
    if level is None:
        return _new_level(sku, name, warehouse, on_hand, price)
    return _changed_level(sku, name, code, level, edit, on_hand, price)


def _found_in(found: list[CellProblem], column: str) -> bool:
    return any(problem.column == column for problem in found)


def _read_cell(value: object, sku: str, code: str, column: str, found: list[CellProblem]) -> int | None:
    try:
        return read_whole_number(value, column)
    except NotAWholeNumber as why:
        found.append(CellProblem(sku, code, column, why.said))
        return None


def _new_level(
    sku: str, name: str, warehouse: WarehouseRef, on_hand: int, price: int
) -> tuple[StockChange | None, list[CellProblem]]:
    found = [
        CellProblem(sku, warehouse.code, column, why)
        for column, why in (("on hand", on_hand_problem(on_hand, 0)), ("price", price_problem(price)))
        if why
    ]
    if not warehouse.is_open:
        found.append(
            CellProblem(
                sku,
                warehouse.code,
                "warehouse",
                _("warehouse {code} is closed; new stock cannot be placed there", code=warehouse.code),
            )
        )
    if found:
        return None, found
    return StockChange(sku, name, warehouse.code, None, None, on_hand, 0, None, price), []


def _changed_level(
    sku: str, name: str, code: str, level: LevelRef, edit: StockEdit, on_hand: int, price: int
) -> tuple[StockChange | None, list[CellProblem]]:
    seen_on_hand = level.on_hand if edit.seen_on_hand is None else edit.seen_on_hand
    seen_price = level.price if edit.seen_price is None else edit.seen_price
    touched_on_hand, touched_price = on_hand != seen_on_hand, price != seen_price
    found = []
    if touched_on_hand and (why := on_hand_problem(on_hand, level.reserved)):
        found.append(CellProblem(sku, code, "on hand", why))
    if touched_price and (why := price_problem(price)):
        found.append(CellProblem(sku, code, "price", why))
    # A touched value must start from what the store holds now (see the module's docstring).
    if touched_on_hand and seen_on_hand != level.on_hand:
        found.append(
            CellProblem(
                sku,
                code,
                "on hand",
                _(
                    "on hand changed from {old} to {new} since you loaded it (orders or deliveries); reload and "
                    "enter it again",
                    old=format_count(seen_on_hand),
                    new=format_count(level.on_hand),
                ),
            )
        )
    if touched_price and seen_price != level.price:
        found.append(
            CellProblem(
                sku,
                code,
                "price",
                _(
                    "price changed from {old} to {new} since you loaded it; reload and enter it again",
                    old=format_rupiah(seen_price),
                    new=format_rupiah(level.price),
                ),
            )
        )
    if found:
        return None, found
    if not touched_on_hand and not touched_price:
        return None, []
    return StockChange(
        sku,
        name,
        code,
        level.id,
        level.on_hand,
        on_hand if touched_on_hand else level.on_hand,
        level.reserved,
        level.price,
        price if touched_price else level.price,
    ), []
