"""Stock and prices per warehouse: the stock & price grid, stock receipts and the price history.

- the grid: `stock_grid` reads it, `check_stock_edits` names every bad cell, `preview_changes`
  lists what would change, `apply_changes` writes it (all or nothing);
- `receive_stock`: goods arrived at a warehouse;
- `price_history`: every price change of a product, with who, when and where from;
- `company_warehouses`: the warehouses to filter by and stock in.

The price guard (the FAQ's "wrong prices" risk): a price change of more than 30% against the
current price, up or down, is "large". `preview_changes` marks the large ones; `apply_changes`
refuses the whole save unless every large change is in `confirmed_large` (keys from the preview,
which name the old and the new price, so a confirmation never covers a different number). Every
price change, from the add form, the grid or a CSV import, is written to the price history with
who, when, where from and whether it was a confirmed large change. The checking lives in
core.catalogue.planning, the guarded writes in core.catalogue.saving.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, update

from core.acting import Actor, acting, require_role
from core.catalogue.planning import (
    ChangePreview,
    StockEdit,
    WarehouseRef,
    load_snapshot,
    plan_stock_changes,
    read_warehouses,
    refuse_unconfirmed,
)
from core.catalogue.products import search_filter
from core.catalogue.rules import (
    ADDED_AT_THE_SAME_MOMENT,
    MAX_RECEIPT,
    PM,
    SETTABLE_STATUSES,
    SOURCE_GRID,
    CellProblem,
    StockEntriesInvalid,
    format_count,
    lookup_sku,
    no_such_product,
    percent_change,
)
from core.catalogue.saving import audit_entry, write_stock_changes
from core.domain import ProductStatus
from core.errors import InvalidInput, NotFound
from core.i18n import N_, _, gettext
from core.store.database import Store
from core.store.models import PriceChange, Product, StockLevel, User, Warehouse
from core.text import lookup_text, shown
from core.warehouses.rules import MAX_CODE as MAX_WAREHOUSE_CODE

CHANGE_STOCK_AND_PRICES = N_("change stock and prices")


@dataclass(frozen=True)
class GridRow:
    """One row of the stock & price grid: a product in a warehouse. A product not (yet) stocked
    in an open warehouse has a row too, with on hand and price empty: filling both stocks it."""

    sku: str
    name: str
    unit: str
    status: ProductStatus
    warehouse_code: str
    on_hand: int | None
    reserved: int
    price: int | None

    @property
    def available(self) -> int | None:
        return None if self.on_hand is None else self.on_hand - self.reserved

    @property
    def key(self) -> tuple[str, str]:
        return self.sku, self.warehouse_code


@dataclass(frozen=True)
class PriceHistoryEntry:
    changed_at: datetime
    warehouse_code: str
    time_zone: str
    old_price: int | None
    new_price: int
    changed_by: str
    source: str
    confirmed_large_change: bool

    @property
    def percent(self) -> float | None:
        return percent_change(self.old_price, self.new_price)


def company_warehouses(store: Store, actor: Actor) -> list[WarehouseRef]:
    """The company's warehouses (open and closed), by code: for filters and stock entry."""
    with acting(store, actor, PM, doing=N_("see the warehouses of the catalogue"), write=False) as (
        session,
        _user,
        _now,
    ):
        return read_warehouses(session, actor.company_id)


# --- The stock & price grid ---------------------------------------------------------------------


def stock_grid(store: Store, actor: Actor, *, search: str = "", warehouse_code: str | None = None) -> list[GridRow]:
    """Rows of product × warehouse for the stock & price grid, by SKU then warehouse: every stock
    level of active and inactive products, plus an empty row where a product is not yet stocked
    in an open warehouse. Three queries, whatever the size of the catalogue."""
    with acting(store, actor, PM, doing=N_("see stock and prices"), write=False) as (session, _user, _now):
        query = select(Product.id, Product.sku, Product.name, Product.unit, Product.status).where(
            Product.company_id == actor.company_id, Product.status.in_(SETTABLE_STATUSES)
        )
        if (condition := search_filter(search)) is not None:
            query = query.where(condition)
        products = session.execute(query.order_by(Product.sku)).all()
        warehouses = [
            w for w in read_warehouses(session, actor.company_id) if not warehouse_code or w.code == warehouse_code
        ]
        levels = {
            (p, w): (on_hand, reserved, price)
            for p, w, on_hand, reserved, price in session.execute(
                select(
                    StockLevel.product_id,
                    StockLevel.warehouse_id,
                    StockLevel.on_hand,
                    StockLevel.reserved,
                    StockLevel.price,
                )
                .join(Product, Product.id == StockLevel.product_id)
                .where(Product.company_id == actor.company_id)
            )
        }
    rows = []
    for product_id, sku, name, unit, status in products:
        for warehouse in warehouses:
            level = levels.get((product_id, warehouse.id))
            if level is not None:
                rows.append(GridRow(sku, name, unit, ProductStatus(status), warehouse.code, *level))
            elif warehouse.is_open:
                rows.append(GridRow(sku, name, unit, ProductStatus(status), warehouse.code, None, 0, None))
    return rows


def check_stock_edits(store: Store, actor: Actor, edits: Sequence[StockEdit]) -> list[CellProblem]:
    """Every bad cell of an edited grid (empty list: all fine). Reads the store once."""
    with acting(store, actor, PM, doing=CHANGE_STOCK_AND_PRICES, write=False) as (session, _user, _now):
        _changes, problems = plan_stock_changes(load_snapshot(session, actor.company_id), edits)
    return [problem for _, problem in problems]


def preview_changes(store: Store, actor: Actor, edits: Sequence[StockEdit]) -> ChangePreview:
    """What saving the edited grid would change: old and new on hand and price, % change, and
    which price changes are large. Raises StockEntriesInvalid naming every bad cell."""
    with acting(store, actor, PM, doing=CHANGE_STOCK_AND_PRICES, write=False) as (session, _user, _now):
        changes, problems = plan_stock_changes(load_snapshot(session, actor.company_id), edits)
    if problems:
        raise StockEntriesInvalid([problem for _, problem in problems])
    return ChangePreview(tuple(changes))


def apply_changes(
    store: Store,
    actor: Actor,
    edits: Sequence[StockEdit],
    now: datetime,
    *,
    confirmed_large: Iterable[tuple] = frozenset(),
    source: str = SOURCE_GRID,
) -> ChangePreview:
    """Save the edited grid in one unit of work, all or nothing. Refuses while any cell is bad or
    any large price change is missing from `confirmed_large` (ChangePreview.large_keys).
    Returns the changes made."""
    with acting(store, actor, PM, doing=CHANGE_STOCK_AND_PRICES, now=now, conflict=ADDED_AT_THE_SAME_MOMENT) as (
        session,
        _user,
        now,
    ):
        snapshot = load_snapshot(session, actor.company_id)
        changes, problems = plan_stock_changes(snapshot, edits)
        if problems:
            raise StockEntriesInvalid([problem for _, problem in problems])
        refuse_unconfirmed(changes, confirmed_large)
        write_stock_changes(session, actor, snapshot, changes, now, source=source)
        if changes:
            audit_entry(
                session,
                actor,
                now,
                "catalogue.stock_and_prices_changed",
                target=f"{len(changes)} rows",
                source=source,
                stock_changes=sum(c.on_hand_changed for c in changes),
                price_changes=sum(c.price_changed for c in changes),
                large_price_changes=sum(c.is_large for c in changes),
            )
    return ChangePreview(tuple(changes))


def receive_stock(store: Store, actor: Actor, sku: str, warehouse_code: str, quantity: int, now: datetime) -> int:
    """Goods arrived at a warehouse: on hand grows by `quantity`. Returns the new on-hand figure."""
    doing = N_("receive stock")
    require_role(actor, PM, doing=doing)
    if not isinstance(quantity, int) or not 1 <= quantity <= MAX_RECEIPT:
        raise InvalidInput(
            _("A stock receipt must be a whole number from 1 to {limit}.", limit=format_count(MAX_RECEIPT)),
            field="quantity",
        )
    sku, code = lookup_sku(sku), lookup_text(warehouse_code, max_length=MAX_WAREHOUSE_CODE)
    with acting(store, actor, PM, doing=doing, now=now) as (session, _user, now):
        level_id = (
            None
            if code is None
            else session.scalar(
                select(StockLevel.id)
                .join(Product, Product.id == StockLevel.product_id)
                .join(Warehouse, Warehouse.id == StockLevel.warehouse_id)
                .where(
                    Product.company_id == actor.company_id,
                    Warehouse.company_id == actor.company_id,
                    Product.sku == sku,
                    Warehouse.code == code,
                )
            )
        )
        if level_id is None:
            raise NotFound(_("Product {sku} is not stocked in warehouse {code}.", sku=sku, code=shown(warehouse_code)))
        return session.execute(
            update(StockLevel)
            .where(StockLevel.id == level_id)
            .values(on_hand=StockLevel.on_hand + quantity, updated_at=now)
            .returning(StockLevel.on_hand)
        ).scalar_one()


# --- Price history ---------------------------------------------------------------------------------


def price_history(store: Store, actor: Actor, sku: str, *, limit: int = 500) -> list[PriceHistoryEntry]:
    """Every price change of a product, newest first, with who made it and from where."""
    doing = N_("see a product's price history")
    require_role(actor, PM, doing=doing)
    sku = lookup_sku(sku)
    with acting(store, actor, PM, doing=doing, write=False) as (session, _user, _now):
        product_id = session.scalar(
            select(Product.id).where(Product.company_id == actor.company_id, Product.sku == sku)
        )
        if product_id is None:
            raise no_such_product(sku)
        rows = session.execute(
            select(
                PriceChange.changed_at,
                Warehouse.code,
                Warehouse.time_zone,
                PriceChange.old_price,
                PriceChange.new_price,
                User.display_name,
                User.user_code,
                PriceChange.source,
                PriceChange.confirmed_large_change,
            )
            .join(Warehouse, Warehouse.id == PriceChange.warehouse_id)
            .outerjoin(User, User.id == PriceChange.changed_by_user_id)
            .where(PriceChange.product_id == product_id)
            .order_by(PriceChange.changed_at.desc(), PriceChange.id.desc())
            .limit(limit)
        ).all()
    return [
        PriceHistoryEntry(at, code, zone, old, new, _who(display, user_code, source), source, bool(large))
        for at, code, zone, old, new, display, user_code, source, large in rows
    ]


def _who(display_name: str | None, user_code: str | None, source: str) -> str:
    """Who changed a price, as the price history shows it (in the reader's language: never cached)."""
    if user_code is None:
        return gettext("demo data") if source == "demo" else gettext("the system")
    return f"{display_name} ({user_code})" if display_name and display_name != user_code else user_code
