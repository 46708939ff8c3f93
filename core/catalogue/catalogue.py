"""The catalogue: products, and their stock and price per warehouse.

What the Product Manager does here, each call one unit of work on the acting user's own company
(another company's product is simply "not found"):

- find products: `list_products` (search, status, warehouse, low stock), `get_product`;
- add, modify and delete them: `add_product` (`add_product_with_stock` for tests and scripts),
  `modify_product`, `delete_product` (soft: status DELETED, refused while the product is on an
  open order, and the sales history keeps pointing at it);
- the product image: `preview_product_image` (checked, nothing saved), then `save_product_image`;
- stock and price per warehouse, as one grid: `stock_grid` reads it, `check_stock_edits` names
  every bad cell, `preview_changes` lists what would change, `apply_changes` writes it;
- the price history: `price_history`.

The price guard (the FAQ's "wrong prices" risk): a price change of more than 30% against the
current price, up or down, is "large". `preview_changes` marks the large ones; `apply_changes`
refuses the whole save unless every large change is in `confirmed_large` (keys from the preview,
which name the old and the new price, so a confirmation never covers a different number). Every
price change, from the add form, the grid or a CSV import, is written to the price history with
who, when, where from and whether it was a confirmed large change.

Stock edits race with orders (a buyer may reserve while the manager types). Each write is a
guarded UPDATE: it only lands if on hand / price are still what the manager saw and the new on
hand still covers what is reserved; otherwise nothing of the save is applied and the manager is
told what moved. CSV import and export live in core.catalogue.csv_io and reuse the planning here.
"""
from __future__ import annotations

import math
import numbers
import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import bindparam, func, insert, or_, select, update
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session

from core.accounts import audit
from core.acting import authorize
from core.acting import Actor, require_role
from core.clock import require_aware
from core.domain import ActorKind, ProductStatus, Role, WarehouseStatus
from core.errors import ConcurrentChange, DomainError, InvalidInput, NotFound
from core.images import PRODUCT_IMAGE, CheckedImage, check_image
from core.orders.lifecycle import OPEN_STATUSES
from core.store.models import Order, OrderItem, PriceChange, Product, StockLevel, User, Warehouse
from core.formats import format_rupiah
from core.store.database import Store

PM = Role.PRODUCT_MANAGER

# --- The rules, in one place -------------------------------------------------------------------

MAX_RECEIPT = 1_000_000
#: SKUs are stored in capitals: "spn-0001" and "SPN-0001" are the same product to a warehouse.
SKU_PATTERN = re.compile(r"[A-Z0-9][A-Z0-9._-]*")
MAX_SKU = 64
MAX_NAME = 200
MAX_UNIT = 32
MAX_DESCRIPTION = 2000
DEFAULT_UNIT = "pcs"
#: Upper bounds that catch a slipped finger (an extra 000) rather than any real business limit.
MAX_ON_HAND = 10_000_000
MAX_PRICE = 1_000_000_000
#: A price change of more than this, against the current price, needs an explicit confirmation.
LARGE_PRICE_CHANGE_PERCENT = 30
#: "Low stock": this many units or fewer available in a warehouse.
LOW_STOCK_LEVEL = 20
#: Where a price change came from, as the price history shows it.
SOURCE_FORM, SOURCE_GRID, SOURCE_CSV = "form", "grid", "csv import"
#: Statuses a Product Manager may set; DELETED is reached only through delete_product.
SETTABLE_STATUSES = (ProductStatus.ACTIVE, ProductStatus.INACTIVE)

_CONTROL_CHARACTERS = re.compile(r"[\x00-\x1f\x7f]")
_CONTROL_EXCEPT_LINES = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def format_count(number: int) -> str:
    """Quantities as Indonesian readers group them: 12.500."""
    return f"{number:,}".replace(",", ".")


def is_large_price_change(old_price: int | None, new_price: int) -> bool:
    """More than 30% up or down; a first price (no old price) is never 'large'. Integer maths:
    exactly 30% is not large, whatever floating point would say."""
    if old_price is None or old_price <= 0:
        return False
    return abs(new_price - old_price) * 100 > LARGE_PRICE_CHANGE_PERCENT * old_price


def percent_change(old_price: int | None, new_price: int) -> float | None:
    if old_price is None or old_price <= 0:
        return None
    return round((new_price - old_price) * 100 / old_price, 1)


def format_percent(percent: float | None) -> str:
    if percent is None:
        return "new"
    return f"{percent:+.1f}%".replace(".0%", "%")


# --- Errors the pages show ---------------------------------------------------------------------

@dataclass(frozen=True)
class CellProblem:
    """One bad cell of the stock & price grid (or one bad stock entry of a form)."""

    sku: str
    warehouse_code: str
    column: str  # "on hand", "price", "product", "warehouse" or "row"
    message: str

    def __str__(self) -> str:
        return f"{self.sku or '(no SKU)'} at {self.warehouse_code or '(no warehouse)'}, {self.column}: {self.message}"


class StockEntriesInvalid(InvalidInput):
    """Some cells are bad; `problems` names every one of them. Nothing was saved."""

    def __init__(self, problems: Sequence[CellProblem]):
        self.problems = tuple(problems)
        shown = "; ".join(str(p) for p in self.problems[:5])
        more = f"; and {len(self.problems) - 5} more" if len(self.problems) > 5 else ""
        count = "1 entry needs" if len(self.problems) == 1 else f"{len(self.problems)} entries need"
        super().__init__(f"{count} fixing before anything is saved: {shown}{more}.", field="stock")


class LargePriceChangesUnconfirmed(DomainError):
    """Price changes of more than 30% that the manager has not explicitly confirmed. Nothing was saved."""

    def __init__(self, changes: Sequence["StockChange"]):
        self.changes = tuple(changes)
        listed = "; ".join(c.price_summary() for c in self.changes[:5])
        more = f"; and {len(self.changes) - 5} more" if len(self.changes) > 5 else ""
        count = "1 price change is" if len(self.changes) == 1 else f"{len(self.changes)} price changes are"
        super().__init__(
            f"{count} more than {LARGE_PRICE_CHANGE_PERCENT}% against the current price and must be explicitly "
            f"confirmed: {listed}{more}. Nothing was saved.")


class ProductOnOpenOrders(DomainError):
    """The product cannot be deleted while orders that need it are still open."""

    def __init__(self, sku: str, order_numbers: Sequence[str]):
        self.order_numbers = tuple(order_numbers)
        shown = ", ".join(self.order_numbers[:10])
        more = f" and {len(self.order_numbers) - 10} more" if len(self.order_numbers) > 10 else ""
        orders = "an open order" if len(self.order_numbers) == 1 else f"{len(self.order_numbers)} open orders"
        super().__init__(f"Product {sku} cannot be deleted: it is on {orders} ({shown}{more}). "
                         "It can be deleted once those orders are finished.")


# --- What the pages read -----------------------------------------------------------------------

@dataclass(frozen=True)
class WarehouseRef:
    id: int
    code: str
    name: str
    time_zone: str
    is_open: bool


@dataclass(frozen=True)
class StockCell:
    """A product's stock and price in one warehouse."""

    warehouse_code: str
    warehouse_name: str
    on_hand: int
    reserved: int
    price: int

    @property
    def available(self) -> int:
        return self.on_hand - self.reserved


@dataclass(frozen=True)
class ProductRow:
    id: int
    sku: str
    name: str
    unit: str
    description: str
    status: ProductStatus
    has_image: bool
    updated_at: datetime
    deleted_at: datetime | None
    stock: tuple[StockCell, ...] = ()

    @property
    def on_hand(self) -> int:
        return sum(cell.on_hand for cell in self.stock)

    @property
    def reserved(self) -> int:
        return sum(cell.reserved for cell in self.stock)

    @property
    def available(self) -> int:
        return sum(cell.available for cell in self.stock)

    def is_low(self, level: int = LOW_STOCK_LEVEL) -> bool:
        """Low in some warehouse, or stocked nowhere."""
        return not self.stock or any(cell.available <= level for cell in self.stock)


@dataclass(frozen=True)
class ProductDetails:
    """What a person types about a product (everything except SKU, stock and price)."""

    name: str
    unit: str = DEFAULT_UNIT
    description: str = ""
    status: ProductStatus | str = ProductStatus.ACTIVE


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

    def price_summary(self) -> str:
        old = format_rupiah(self.old_price) if self.old_price is not None else "no price"
        return (f"{self.sku} at {self.warehouse_code} {old} → {format_rupiah(self.new_price)} "
                f"({format_percent(self.percent)})")


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


# --- Checking what people type -----------------------------------------------------------------

def normalise_sku(raw: object) -> str:
    sku = str(raw or "").strip().upper()
    if not sku:
        raise InvalidInput("Enter a SKU (the product's code, e.g. BRS-5KG).", field="sku")
    if len(sku) > MAX_SKU or not SKU_PATTERN.fullmatch(sku):
        raise InvalidInput(
            f"SKU {sku[:MAX_SKU + 1]!r} is not valid: use up to {MAX_SKU} letters, digits, '-', '_' or '.', "
            "starting with a letter or digit (no spaces).", field="sku")
    return sku


def _clean_line(value: object, what: str, limit: int, *, required: bool, field_name: str) -> str:
    text = " ".join(str(value or "").split())  # one line, single spaces: how it shows in lists
    if required and not text:
        raise InvalidInput(f"Enter the product's {what}.", field=field_name)
    if len(text) > limit:
        raise InvalidInput(f"The {what} is {len(text)} characters long; the limit is {limit}.", field=field_name)
    if _CONTROL_CHARACTERS.search(text):
        raise InvalidInput(f"The {what} contains control characters; type it again as plain text.", field=field_name)
    return text


def clean_details(details: ProductDetails) -> ProductDetails:
    """The details as they will be stored, or InvalidInput naming the field that is wrong."""
    name = _clean_line(details.name, "name", MAX_NAME, required=True, field_name="name")
    unit = _clean_line(details.unit, "unit", MAX_UNIT, required=False, field_name="unit") or DEFAULT_UNIT
    description = str(details.description or "").strip().replace("\r\n", "\n")
    if len(description) > MAX_DESCRIPTION:
        raise InvalidInput(f"The description is {len(description)} characters long; the limit is "
                           f"{MAX_DESCRIPTION}.", field="description")
    if _CONTROL_EXCEPT_LINES.search(description):
        raise InvalidInput("The description contains control characters; type it again as plain text.",
                           field="description")
    return ProductDetails(name=name, unit=unit, description=description, status=settable_status(details.status))


def settable_status(raw: object) -> ProductStatus:
    text = str(raw.value if isinstance(raw, ProductStatus) else raw or "").strip().upper()
    if text == ProductStatus.DELETED:
        raise InvalidInput("A product is deleted with the Delete action (it checks for open orders first), "
                           "not by setting its status.", field="status")
    if text not in {s.value for s in SETTABLE_STATUSES}:
        raise InvalidInput(f"Status {text!r} is not known; use ACTIVE (on sale) or INACTIVE (hidden from buyers).",
                           field="status")
    return ProductStatus(text)


def read_whole_number(value: object, what: str) -> int | None:
    """A cell's value as an int; None for an empty cell. Raises ValueError saying why not."""
    if value is None:
        return None
    if isinstance(value, bool):
        raise ValueError(f"{what} must be a whole number")
    if isinstance(value, numbers.Integral):
        return int(value)
    if isinstance(value, numbers.Real):
        number = float(value)
        if math.isnan(number):
            return None
        if math.isinf(number) or not number.is_integer():
            raise ValueError(f"{what} must be a whole number, not {number:g}")
        return int(number)
    if isinstance(value, str):
        text = value.strip()
        if not text:
            return None
        if re.fullmatch(r"[+-]?\d{1,15}", text):
            return int(text)
        if re.fullmatch(r"[+-]?\d{16,}", text):
            raise ValueError(f"{what} {text[:20]}… is far too large")
        raise ValueError(f"{what} {text[:30]!r} is not a whole number (digits only: no dots, commas, spaces or 'Rp')")
    raise ValueError(f"{what} must be a whole number")


def on_hand_problem(on_hand: int, reserved: int) -> str | None:
    if on_hand < 0:
        return f"cannot be negative ({on_hand})"
    if on_hand > MAX_ON_HAND:
        return f"{format_count(on_hand)} is more than the limit of {format_count(MAX_ON_HAND)}"
    if on_hand < reserved:
        return (f"{format_count(on_hand)} is below the {format_count(reserved)} units reserved by open orders; "
                "on hand can never be less than what is reserved")
    return None


def price_problem(price: int) -> str | None:
    if price <= 0:
        return f"must be more than Rp0 (got {price})"
    if price > MAX_PRICE:
        return f"{format_rupiah(price)} is above the limit of {format_rupiah(MAX_PRICE)} per unit"
    return None


# --- Units of work ------------------------------------------------------------------------------

@contextmanager
def writing(store: Store):
    """A write unit of work whose store-level conflicts reach the person as sentences (shared
    with core.catalogue.csv_io)."""
    try:
        with store.transaction() as session:
            yield session
    except DomainError:
        raise
    except IntegrityError as exc:
        # Two saves created the same product or stock level at once; the other one won.
        if _is_unique_violation(exc):
            raise ConcurrentChange("Someone added the same product or stock at the same moment; nothing was saved. "
                                   "Reload and try again.") from None
        raise
    except OperationalError as exc:
        # PostgreSQL breaks a deadlock or a serialization conflict by failing one side: ours.
        code = getattr(exc.orig, "sqlstate", None) or getattr(exc.orig, "pgcode", None)
        if code in {"40P01", "40001"}:
            raise ConcurrentChange("The store was busy with orders for the same products; nothing was saved. "
                                   "Please try again.") from None
        raise


def _is_unique_violation(exc: IntegrityError) -> bool:
    code = getattr(exc.orig, "sqlstate", None)
    return code == "23505" or "UNIQUE constraint failed" in str(exc.orig)


def audit_entry(session: Session, actor: Actor, now: datetime, action: str, target: str, **details) -> None:
    """One audit-log line for a catalogue action, in the caller's unit of work."""
    audit.record(session, at=now, actor_kind=ActorKind.USER, actor=actor.label, company_id=actor.company_id,
                 action=action, target=target, details=details or None)


def _own_product(session: Session, actor: Actor, sku: str, *, lock: bool = False) -> Product:
    query = select(Product).where(Product.company_id == actor.company_id, Product.sku == sku)
    product = session.scalar(query.with_for_update() if lock else query)
    if product is None:
        raise NotFound(f"There is no product {sku} in your catalogue.")
    return product


@contextmanager
def _changing_product(store: Store, actor: Actor, sku: str, doing: str) -> Iterator[tuple[Session, Product]]:
    """The unit of work of a change to one product: the user re-authorized inside it, the product
    found in the actor's own catalogue and locked until the change commits."""
    with writing(store) as session:
        authorize(session, actor, PM, doing=doing)  # role, and the user may still act
        yield session, _own_product(session, actor, sku, lock=True)


def _lookup_sku(raw: object) -> str:
    """For lookups: a malformed SKU cannot exist, so it is simply not found."""
    try:
        return normalise_sku(raw)
    except InvalidInput:
        raise NotFound(f"There is no product {str(raw or '').strip()[:MAX_SKU]!r} in your catalogue.") from None


# --- Reading the catalogue ----------------------------------------------------------------------

def _warehouses(session: Session, company_id: int) -> list[WarehouseRef]:
    rows = session.execute(select(Warehouse.id, Warehouse.code, Warehouse.name, Warehouse.time_zone, Warehouse.status)
                           .where(Warehouse.company_id == company_id).order_by(Warehouse.code))
    return [WarehouseRef(id_, code, name, zone, status == WarehouseStatus.OPEN)
            for id_, code, name, zone, status in rows]


def company_warehouses(store: Store, actor: Actor) -> list[WarehouseRef]:
    """The company's warehouses (open and closed), by code: for filters and stock entry."""
    require_role(actor, PM, doing="see the warehouses of the catalogue")
    with store.reading() as session:
        authorize(session, actor, PM, doing="see the warehouses of the catalogue")  # role, and the user may still act
        return _warehouses(session, actor.company_id)


_PRODUCT_COLUMNS = (Product.id, Product.sku, Product.name, Product.unit, Product.description, Product.status,
                    Product.image_mime, Product.updated_at, Product.deleted_at)


def _cells_by_product(session: Session, company_id: int) -> dict[int, list[StockCell]]:
    """Every stock level of the company in one query (the list never asks per product)."""
    rows = session.execute(
        select(StockLevel.product_id, Warehouse.code, Warehouse.name, StockLevel.on_hand, StockLevel.reserved,
               StockLevel.price)
        .join(Warehouse, Warehouse.id == StockLevel.warehouse_id)
        .join(Product, Product.id == StockLevel.product_id)
        .where(Product.company_id == company_id, Warehouse.company_id == company_id)
        .order_by(Warehouse.code))
    cells: dict[int, list[StockCell]] = {}
    for product_id, code, name, on_hand, reserved, price in rows:
        cells.setdefault(product_id, []).append(StockCell(code, name, on_hand, reserved, price))
    return cells


def _product_row(row, cells: Iterable[StockCell]) -> ProductRow:
    id_, sku, name, unit, description, status, image_mime, updated_at, deleted_at = row
    return ProductRow(id_, sku, name, unit, description or "", ProductStatus(status), image_mime is not None,
                      updated_at, deleted_at, tuple(cells))


def _search_filter(search: str):
    term = " ".join(str(search or "").split()).lower()
    if not term:
        return None
    return or_(func.lower(Product.sku).contains(term, autoescape=True),
               func.lower(Product.name).contains(term, autoescape=True))


def list_products(store: Store, actor: Actor, *, search: str = "", status: ProductStatus | None = None,
                  warehouse_code: str | None = None, low_stock_only: bool = False,
                  low_stock_level: int = LOW_STOCK_LEVEL) -> list[ProductRow]:
    """The company's products by SKU, each with its stock and price per warehouse.

    search: text in the SKU or name (any case). status: one status, or None for the catalogue as
    buyers and staff know it (active and inactive; deleted products only when asked for).
    warehouse_code: only products stocked there, showing that warehouse only. low_stock_only:
    products with `low_stock_level` or fewer units available in some (shown) warehouse.
    """
    require_role(actor, PM, doing="see the product catalogue")
    statuses = [status] if status else list(SETTABLE_STATUSES)
    query = select(*_PRODUCT_COLUMNS).where(Product.company_id == actor.company_id, Product.status.in_(statuses))
    if (condition := _search_filter(search)) is not None:
        query = query.where(condition)
    with store.reading() as session:
        authorize(session, actor, PM, doing="see the product catalogue")  # role, and the user may still act
        products = session.execute(query.order_by(Product.sku)).all()
        cells = _cells_by_product(session, actor.company_id)
    rows = []
    for product in products:
        own = [c for c in cells.get(product.id, []) if not warehouse_code or c.warehouse_code == warehouse_code]
        if warehouse_code and not own:
            continue
        row = _product_row(product, own)
        if low_stock_only and not row.is_low(low_stock_level):
            continue
        rows.append(row)
    return rows


def get_product(store: Store, actor: Actor, sku: str) -> ProductRow:
    """One product (deleted ones too: their history stays readable) with its stock."""
    require_role(actor, PM, doing="see a product")
    sku = _lookup_sku(sku)
    with store.reading() as session:
        authorize(session, actor, PM, doing="see a product")  # role, and the user may still act
        row = session.execute(select(*_PRODUCT_COLUMNS)
                              .where(Product.company_id == actor.company_id, Product.sku == sku)).first()
        if row is None:
            raise NotFound(f"There is no product {sku} in your catalogue.")
        cells = session.execute(
            select(Warehouse.code, Warehouse.name, StockLevel.on_hand, StockLevel.reserved, StockLevel.price)
            .join(Warehouse, Warehouse.id == StockLevel.warehouse_id)
            .where(StockLevel.product_id == row.id).order_by(Warehouse.code)).all()
    return _product_row(row, (StockCell(*cell) for cell in cells))


def product_image(store: Store, actor: Actor, sku: str) -> tuple[bytes, str] | None:
    """The stored image and its MIME type, or None."""
    require_role(actor, PM, doing="see a product image")
    sku = _lookup_sku(sku)
    with store.reading() as session:
        authorize(session, actor, PM, doing="see a product image")  # role, and the user may still act
        row = session.execute(select(Product.image, Product.image_mime)
                              .where(Product.company_id == actor.company_id, Product.sku == sku)).first()
    if row is None:
        raise NotFound(f"There is no product {sku} in your catalogue.")
    return (row.image, row.image_mime) if row.image else None


def stock_grid(store: Store, actor: Actor, *, search: str = "", warehouse_code: str | None = None) -> list[GridRow]:
    """Rows of product × warehouse for the stock & price grid, by SKU then warehouse: every stock
    level of active and inactive products, plus an empty row where a product is not yet stocked
    in an open warehouse. Three queries, whatever the size of the catalogue."""
    require_role(actor, PM, doing="see stock and prices")
    query = (select(Product.id, Product.sku, Product.name, Product.unit, Product.status)
             .where(Product.company_id == actor.company_id, Product.status.in_(SETTABLE_STATUSES)))
    if (condition := _search_filter(search)) is not None:
        query = query.where(condition)
    with store.reading() as session:
        authorize(session, actor, PM, doing="see stock and prices")  # role, and the user may still act
        products = session.execute(query.order_by(Product.sku)).all()
        warehouses = [w for w in _warehouses(session, actor.company_id)
                      if not warehouse_code or w.code == warehouse_code]
        levels = {(p, w): (on_hand, reserved, price) for p, w, on_hand, reserved, price in session.execute(
            select(StockLevel.product_id, StockLevel.warehouse_id, StockLevel.on_hand, StockLevel.reserved,
                   StockLevel.price).join(Product, Product.id == StockLevel.product_id)
            .where(Product.company_id == actor.company_id))}
    rows = []
    for product_id, sku, name, unit, status in products:
        for warehouse in warehouses:
            level = levels.get((product_id, warehouse.id))
            if level is not None:
                rows.append(GridRow(sku, name, unit, ProductStatus(status), warehouse.code, *level))
            elif warehouse.is_open:
                rows.append(GridRow(sku, name, unit, ProductStatus(status), warehouse.code, None, 0, None))
    return rows


def price_history(store: Store, actor: Actor, sku: str, *, limit: int = 500) -> list[PriceHistoryEntry]:
    """Every price change of a product, newest first, with who made it and from where."""
    require_role(actor, PM, doing="see a product's price history")
    sku = _lookup_sku(sku)
    with store.reading() as session:
        authorize(session, actor, PM, doing="see a product's price history")  # role, and the user may still act
        product_id = session.scalar(select(Product.id).where(Product.company_id == actor.company_id,
                                                             Product.sku == sku))
        if product_id is None:
            raise NotFound(f"There is no product {sku} in your catalogue.")
        rows = session.execute(
            select(PriceChange.changed_at, Warehouse.code, Warehouse.time_zone, PriceChange.old_price,
                   PriceChange.new_price, User.display_name, User.user_code, PriceChange.source,
                   PriceChange.confirmed_large_change)
            .join(Warehouse, Warehouse.id == PriceChange.warehouse_id)
            .outerjoin(User, User.id == PriceChange.changed_by_user_id)
            .where(PriceChange.product_id == product_id)
            .order_by(PriceChange.changed_at.desc(), PriceChange.id.desc()).limit(limit)).all()
    return [PriceHistoryEntry(at, code, zone, old, new, _who(display, user_code, source), source, bool(large))
            for at, code, zone, old, new, display, user_code, source, large in rows]


def _who(display_name: str | None, user_code: str | None, source: str) -> str:
    if user_code is None:
        return "demo data" if source == "demo" else "the system"
    return f"{display_name} ({user_code})" if display_name and display_name != user_code else user_code


# --- Planning stock and price changes (shared with core.catalogue.csv_io) ---------------------------

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


def load_snapshot(session: Session, company_id: int) -> CatalogueSnapshot:
    """Three queries, whatever the number of edits to check."""
    snapshot = CatalogueSnapshot()
    for row in session.execute(select(Product.id, Product.sku, Product.name, Product.unit, Product.description,
                                      Product.status).where(Product.company_id == company_id)):
        snapshot.products[row.sku] = ProductRef(row.id, row.sku, row.name, row.unit, row.description or "",
                                                ProductStatus(row.status))
    snapshot.warehouses = {w.code: w for w in _warehouses(session, company_id)}
    for level in session.execute(
            select(StockLevel.id, StockLevel.product_id, StockLevel.warehouse_id, StockLevel.on_hand,
                   StockLevel.reserved, StockLevel.price)
            .join(Product, Product.id == StockLevel.product_id).where(Product.company_id == company_id)):
        snapshot.levels[(level.product_id, level.warehouse_id)] = LevelRef(level.id, level.on_hand, level.reserved,
                                                                           level.price)
    return snapshot


def plan_stock_changes(snapshot: CatalogueSnapshot, edits: Sequence[StockEdit], *,
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
            found.append(CellProblem(*key, "row", f"the same product and warehouse appear twice (also entry "
                                                  f"{seen_keys[key] + 1})"))
        seen_keys.setdefault(key, index)
        problems.extend((index, problem) for problem in found)
        if change is not None and not found:
            changes.append(change)
    return changes, problems


def find_warehouse(snapshot: CatalogueSnapshot, code: str) -> WarehouseRef | None:
    """By code as written, else ignoring case (people type "jkt-01")."""
    if code in snapshot.warehouses:
        return snapshot.warehouses[code]
    return next((w for c, w in snapshot.warehouses.items() if c.upper() == code.upper()), None)


def _plan_one(snapshot: CatalogueSnapshot, edit: StockEdit,
              new_products: Mapping[str, str]) -> tuple[StockChange | None, list[CellProblem]]:
    sku = str(edit.sku or "").strip().upper()
    code = str(edit.warehouse_code or "").strip()
    product = snapshot.products.get(sku)
    if product is None and sku not in new_products:
        return None, [CellProblem(sku, code, "product",
                                  f"there is no product {sku or '(empty SKU)'} in your catalogue")]
    if product is not None and product.status == ProductStatus.DELETED:
        return None, [CellProblem(sku, code, "product", f"product {sku} is deleted")]
    warehouse = find_warehouse(snapshot, code)
    if warehouse is None:
        known = ", ".join(snapshot.warehouses) or "none yet"
        return None, [CellProblem(sku, code, "warehouse", f"your company has no warehouse {code or '(empty)'} "
                                                          f"(your warehouses: {known})")]
    code = warehouse.code
    level = snapshot.levels.get((product.id, warehouse.id)) if product is not None else None
    found: list[CellProblem] = []
    on_hand = _read_cell(edit.on_hand, sku, code, "on hand", found)
    price = _read_cell(edit.price, sku, code, "price", found)
    if level is None and on_hand is None and price is None and not found:
        return None, []  # a product not stocked here, left that way
    if on_hand is None and not found_in(found, "on hand"):
        found.append(CellProblem(sku, code, "on hand", "is empty; enter the units on hand (0 if none)"))
    if price is None and not found_in(found, "price"):
        found.append(CellProblem(sku, code, "price", "is empty; enter the price per unit in whole rupiah"))
    if found:
        return None, found
    name = product.name if product else new_products[sku]
    if level is None:
        return _new_level(sku, name, warehouse, on_hand, price)
    return _changed_level(sku, name, code, level, edit, on_hand, price)


def found_in(found: list[CellProblem], column: str) -> bool:
    return any(problem.column == column for problem in found)


def _read_cell(value: object, sku: str, code: str, column: str, found: list[CellProblem]) -> int | None:
    try:
        return read_whole_number(value, column)
    except ValueError as why:
        found.append(CellProblem(sku, code, column, str(why).removeprefix(f"{column} ")))
        return None


def _new_level(sku: str, name: str, warehouse: WarehouseRef, on_hand: int,
               price: int) -> tuple[StockChange | None, list[CellProblem]]:
    found = [CellProblem(sku, warehouse.code, column, why) for column, why in (
        ("on hand", on_hand_problem(on_hand, 0)), ("price", price_problem(price))) if why]
    if not warehouse.is_open:
        found.append(CellProblem(sku, warehouse.code, "warehouse",
                                 f"warehouse {warehouse.code} is closed; new stock cannot be placed there"))
    if found:
        return None, found
    return StockChange(sku, name, warehouse.code, None, None, on_hand, 0, None, price), []


def _changed_level(sku: str, name: str, code: str, level: LevelRef, edit: StockEdit, on_hand: int,
                   price: int) -> tuple[StockChange | None, list[CellProblem]]:
    seen_on_hand = level.on_hand if edit.seen_on_hand is None else edit.seen_on_hand
    seen_price = level.price if edit.seen_price is None else edit.seen_price
    touched_on_hand, touched_price = on_hand != seen_on_hand, price != seen_price
    found = []
    if touched_on_hand and (why := on_hand_problem(on_hand, level.reserved)):
        found.append(CellProblem(sku, code, "on hand", why))
    if touched_price and (why := price_problem(price)):
        found.append(CellProblem(sku, code, "price", why))
    # A value the person did not touch is not a change, even if the store moved meanwhile; a value
    # they did touch must start from what the store holds now, or they would overwrite unseen news.
    if touched_on_hand and seen_on_hand != level.on_hand:
        found.append(CellProblem(sku, code, "on hand", f"changed from {format_count(seen_on_hand)} to "
                                 f"{format_count(level.on_hand)} since you loaded it (orders or deliveries); "
                                 "reload and enter it again"))
    if touched_price and seen_price != level.price:
        found.append(CellProblem(sku, code, "price", f"changed from {format_rupiah(seen_price)} to "
                                 f"{format_rupiah(level.price)} since you loaded it; reload and enter it again"))
    if found:
        return None, found
    if not touched_on_hand and not touched_price:
        return None, []
    return StockChange(sku, name, code, level.id, level.on_hand, on_hand if touched_on_hand else level.on_hand,
                       level.reserved, level.price, price if touched_price else level.price), []


def refuse_unconfirmed(changes: Iterable[StockChange], confirmed_large: Iterable[tuple]) -> None:
    confirmed = set(confirmed_large or ())
    missing = [c for c in changes if c.is_large and c.key not in confirmed]
    if missing:
        raise LargePriceChangesUnconfirmed(missing)


def write_stock_changes(session: Session, actor: Actor, snapshot: CatalogueSnapshot, changes: Sequence[StockChange],
                        now: datetime, *, source: str, product_ids: Mapping[str, int] | None = None,
                        on_progress: Callable[[float], None] | None = None) -> None:
    """Write planned changes with guarded statements and one price-history row per price change.
    Raises (and so rolls the whole unit of work back) if anything moved since it was planned."""
    product_ids = {**{sku: p.id for sku, p in snapshot.products.items()}, **(product_ids or {})}
    existing = [c for c in changes if not c.is_new]
    # A steady order of row locks keeps two concurrent saves from deadlocking each other.
    existing.sort(key=lambda c: c.level_id)
    for start in range(0, len(existing), 1000):
        _guarded_updates(session, existing[start:start + 1000], now)
        if on_progress:
            on_progress(min(1.0, (start + 1000) / len(existing)))
    new_levels = [dict(product_id=product_ids[c.sku], warehouse_id=snapshot.warehouses[c.warehouse_code].id,
                       on_hand=c.new_on_hand, reserved=0, price=c.new_price, updated_at=now)
                  for c in changes if c.is_new]
    if new_levels:
        session.execute(insert(StockLevel), new_levels)
    history = [dict(product_id=product_ids[c.sku], warehouse_id=snapshot.warehouses[c.warehouse_code].id,
                    old_price=c.old_price, new_price=c.new_price, changed_by_user_id=actor.user_id, changed_at=now,
                    confirmed_large_change=c.is_large, source=source)
               for c in changes if c.price_changed]
    if history:
        session.execute(insert(PriceChange), history)


#: One guarded statement per kind of change, each run for many rows at once (executemany).
_LEVEL = StockLevel.__table__.c
_GUARDED = {
    (True, False): update(StockLevel.__table__).where(
        _LEVEL.id == bindparam("b_id"), _LEVEL.on_hand == bindparam("b_old_on_hand"),
        _LEVEL.reserved <= bindparam("b_new_on_hand")).values(on_hand=bindparam("b_new_on_hand"),
                                                              updated_at=bindparam("b_now")),
    (False, True): update(StockLevel.__table__).where(
        _LEVEL.id == bindparam("b_id"), _LEVEL.price == bindparam("b_old_price")).values(
        price=bindparam("b_new_price"), updated_at=bindparam("b_now")),
    (True, True): update(StockLevel.__table__).where(
        _LEVEL.id == bindparam("b_id"), _LEVEL.on_hand == bindparam("b_old_on_hand"),
        _LEVEL.reserved <= bindparam("b_new_on_hand"), _LEVEL.price == bindparam("b_old_price")).values(
        on_hand=bindparam("b_new_on_hand"), price=bindparam("b_new_price"), updated_at=bindparam("b_now")),
}


def _guarded_updates(session: Session, changes: Sequence[StockChange], now: datetime) -> None:
    """Each row lands only if on hand / price are still what was planned from and the new on hand
    still covers what is reserved. One statement per kind of change, not one per row."""
    connection = session.connection()
    for kind, statement in _GUARDED.items():
        group = [c for c in changes if (c.on_hand_changed, c.price_changed) == kind]
        if not group:
            continue
        result = connection.execute(statement, [
            dict(b_id=c.level_id, b_old_on_hand=c.old_on_hand, b_new_on_hand=c.new_on_hand, b_old_price=c.old_price,
                 b_new_price=c.new_price, b_now=now) for c in group])
        if result.rowcount != len(group):
            _explain_first_moved(session, group)


def _explain_first_moved(session: Session, changes: Sequence[StockChange]) -> None:
    """Some guarded rows did not land (the whole unit of work is about to roll back): say which."""
    ids = [c.level_id for c in changes]
    current = {row.id: row for row in session.execute(
        select(StockLevel.id, StockLevel.on_hand, StockLevel.reserved, StockLevel.price)
        .where(StockLevel.id.in_(ids)))}
    for change in changes:
        row = current[change.level_id]
        landed = (row.on_hand == change.new_on_hand or not change.on_hand_changed) and (
            row.price == change.new_price or not change.price_changed)
        if not landed:
            _explain_moved(session, change)
    raise ConcurrentChange("Stock or prices changed while you were saving. Nothing was saved; reload and try again.")


def _explain_moved(session: Session, change: StockChange) -> None:
    now_on_hand, now_reserved, now_price = session.execute(
        select(StockLevel.on_hand, StockLevel.reserved, StockLevel.price).where(StockLevel.id == change.level_id)).one()
    where = f"{change.sku} at {change.warehouse_code}"
    if change.on_hand_changed and now_reserved > change.new_on_hand and now_on_hand == change.old_on_hand:
        raise InvalidInput(f"{where}: {format_count(now_reserved)} units are now reserved by open orders, so on hand "
                           f"cannot be set to {format_count(change.new_on_hand)}. Nothing was saved.", field="on_hand")
    raise ConcurrentChange(
        f"{where} changed while you were saving (on hand {format_count(now_on_hand)}, reserved "
        f"{format_count(now_reserved)}, price {format_rupiah(now_price)}). Nothing was saved; reload and try again.")


# --- The stock & price grid ---------------------------------------------------------------------

def check_stock_edits(store: Store, actor: Actor, edits: Sequence[StockEdit]) -> list[CellProblem]:
    """Every bad cell of an edited grid (empty list: all fine). Reads the store once."""
    require_role(actor, PM, doing="change stock and prices")
    with store.reading() as session:
        authorize(session, actor, PM, doing="change stock and prices")  # role, and the user may still act
        _, problems = plan_stock_changes(load_snapshot(session, actor.company_id), edits)
    return [problem for _, problem in problems]


def preview_changes(store: Store, actor: Actor, edits: Sequence[StockEdit]) -> ChangePreview:
    """What saving the edited grid would change: old and new on hand and price, % change, and
    which price changes are large. Raises StockEntriesInvalid naming every bad cell."""
    require_role(actor, PM, doing="change stock and prices")
    with store.reading() as session:
        authorize(session, actor, PM, doing="change stock and prices")  # role, and the user may still act
        changes, problems = plan_stock_changes(load_snapshot(session, actor.company_id), edits)
    if problems:
        raise StockEntriesInvalid([problem for _, problem in problems])
    return ChangePreview(tuple(changes))


def apply_changes(store: Store, actor: Actor, edits: Sequence[StockEdit], now: datetime, *,
                  confirmed_large: Iterable[tuple] = frozenset(), source: str = SOURCE_GRID) -> ChangePreview:
    """Save the edited grid in one unit of work, all or nothing. Refuses while any cell is bad or
    any large price change is missing from `confirmed_large` (ChangePreview.large_keys).
    Returns the changes made."""
    require_role(actor, PM, doing="change stock and prices")
    now = require_aware(now)
    with writing(store) as session:
        authorize(session, actor, PM, doing="change stock and prices")  # role, and the user may still act
        snapshot = load_snapshot(session, actor.company_id)
        changes, problems = plan_stock_changes(snapshot, edits)
        if problems:
            raise StockEntriesInvalid([problem for _, problem in problems])
        refuse_unconfirmed(changes, confirmed_large)
        write_stock_changes(session, actor, snapshot, changes, now, source=source)
        if changes:
            audit_entry(session, actor, now, "catalogue.stock_and_prices_changed", target=f"{len(changes)} rows",
                   source=source, stock_changes=sum(c.on_hand_changed for c in changes),
                   price_changes=sum(c.price_changed for c in changes),
                   large_price_changes=sum(c.is_large for c in changes))
    return ChangePreview(tuple(changes))


def receive_stock(store: Store, actor: Actor, sku: str, warehouse_code: str, quantity: int, now: datetime) -> int:
    """Goods arrived at a warehouse: on hand grows by `quantity`. Returns the new on-hand figure."""
    require_role(actor, PM, doing="receive stock")
    now = require_aware(now)
    if not isinstance(quantity, int) or not 1 <= quantity <= MAX_RECEIPT:
        raise InvalidInput(f"A stock receipt must be a whole number from 1 to {MAX_RECEIPT:,}.", field="quantity")
    with store.transaction() as session:
        authorize(session, actor, PM, doing="receive stock")  # role, and the user may still act
        level_id = session.scalar(
            select(StockLevel.id).join(Product, Product.id == StockLevel.product_id)
            .join(Warehouse, Warehouse.id == StockLevel.warehouse_id)
            .where(Product.company_id == actor.company_id, Warehouse.company_id == actor.company_id,
                   Product.sku == sku, Warehouse.code == warehouse_code))
        if level_id is None:
            raise NotFound(f"Product {sku} is not stocked in warehouse {warehouse_code}.")
        return session.execute(
            update(StockLevel).where(StockLevel.id == level_id)
            .values(on_hand=StockLevel.on_hand + quantity, updated_at=now).returning(StockLevel.on_hand)).scalar_one()


# --- Adding, modifying and deleting products -----------------------------------------------------

@dataclass(frozen=True)
class NewStock:
    """Stock and price of a new product in one warehouse (from the add form)."""

    warehouse_code: str
    on_hand: object
    price: object


def _sku_taken_message(sku: str, status: ProductStatus) -> str:
    if status == ProductStatus.DELETED:
        return (f"SKU {sku} belonged to a product that was deleted; it stays reserved for that product's sales "
                "history. Choose another SKU.")
    return f"SKU {sku} is already in your catalogue; modify that product instead, or choose another SKU."


def add_product(store: Store, actor: Actor, sku: str, details: ProductDetails, now: datetime, *,
                stock: Sequence[NewStock] = (), image: bytes | None = None, image_name: str = "") -> ProductRow:
    """A new product, optionally stocked and priced in some warehouses and with an image; all in
    one unit of work (a bad stock entry or image adds nothing). Warehouses whose on hand and
    price are both left empty are skipped."""
    require_role(actor, PM, doing="add a product")
    now = require_aware(now)
    sku, details = normalise_sku(sku), clean_details(details)
    checked = check_image(image, image_name or "image", PRODUCT_IMAGE, what="product image") if image else None
    with writing(store) as session:
        authorize(session, actor, PM, doing="add a product")  # role, and the user may still act
        snapshot = load_snapshot(session, actor.company_id)
        if sku in snapshot.products:
            raise InvalidInput(_sku_taken_message(sku, snapshot.products[sku].status), field="sku")
        edits = [StockEdit(sku, entry.warehouse_code, entry.on_hand, entry.price) for entry in stock]
        changes, problems = plan_stock_changes(snapshot, edits, new_products={sku: details.name})
        if problems:
            raise StockEntriesInvalid([problem for _, problem in problems])
        product = Product(company_id=actor.company_id, sku=sku, name=details.name, unit=details.unit,
                          description=details.description, status=details.status, created_at=now, updated_at=now,
                          image=checked.data if checked else None, image_mime=checked.mime if checked else None)
        session.add(product)
        session.flush()
        write_stock_changes(session, actor, snapshot, changes, now, source=SOURCE_FORM, product_ids={sku: product.id})
        audit_entry(session, actor, now, "product.added", target=sku, name=details.name,
               warehouses=[c.warehouse_code for c in changes], image=checked is not None)
    return get_product(store, actor, sku)


def add_product_with_stock(store: Store, actor: Actor, *, sku: str, name: str, warehouse_code: str, on_hand: int,
                           price: int, now: datetime, unit: str = DEFAULT_UNIT, description: str = "") -> ProductRow:
    """Shortcut for tests and scripts: one active product stocked and priced in one warehouse."""
    return add_product(store, actor, sku, ProductDetails(name=name, unit=unit, description=description), now,
                       stock=[NewStock(warehouse_code, on_hand, price)])


def modify_product(store: Store, actor: Actor, sku: str, details: ProductDetails, now: datetime) -> ProductRow:
    """Change name, unit, description and status (ACTIVE/INACTIVE). The SKU stays: orders and
    imports know the product by it. A deleted product cannot be modified."""
    require_role(actor, PM, doing="modify a product")
    now = require_aware(now)
    sku, details = _lookup_sku(sku), clean_details(details)
    with _changing_product(store, actor, sku, doing="modify a product") as (session, product):
        if product.status == ProductStatus.DELETED:
            raise InvalidInput(f"Product {sku} is deleted and can no longer be modified.", field="sku")
        before = {"name": product.name, "unit": product.unit, "description": product.description or "",
                  "status": product.status}
        after = {"name": details.name, "unit": details.unit, "description": details.description,
                 "status": details.status}
        changed = sorted(k for k in after if after[k] != before[k])
        if changed:
            product.name, product.unit, product.description, product.status = (
                details.name, details.unit, details.description, details.status)
            product.updated_at = now
            audit_entry(session, actor, now, "product.modified", target=sku, fields=changed)
    return get_product(store, actor, sku)


def delete_product(store: Store, actor: Actor, sku: str, now: datetime) -> None:
    """Soft delete: the product leaves the catalogue and the buyers' app, its orders and price
    history stay. Refused, naming the orders, while it is on an open order."""
    require_role(actor, PM, doing="delete a product")
    now = require_aware(now)
    sku = _lookup_sku(sku)
    with _changing_product(store, actor, sku, doing="delete a product") as (session, product):
        if product.status == ProductStatus.DELETED:
            raise InvalidInput(f"Product {sku} is already deleted.", field="sku")
        # Lock its stock rows first: an order reserving this product right now either finished
        # (and is seen below) or waits until the product is gone.
        session.execute(select(StockLevel.id).where(StockLevel.product_id == product.id).with_for_update()).all()
        open_orders = list(session.scalars(
            select(Order.order_number).join(OrderItem, OrderItem.order_id == Order.id)
            .where(OrderItem.product_id == product.id, Order.company_id == actor.company_id,
                   Order.status.in_(OPEN_STATUSES)).distinct().order_by(Order.order_number)))
        if open_orders:
            raise ProductOnOpenOrders(sku, open_orders)
        product.status, product.deleted_at, product.updated_at = ProductStatus.DELETED, now, now
        audit_entry(session, actor, now, "product.deleted", target=sku, name=product.name)


# --- Product image -------------------------------------------------------------------------------

def preview_product_image(actor: Actor, data: bytes, filename: str) -> CheckedImage:
    """The image exactly as it would be stored (decoded, checked, re-encoded, scaled down), without
    saving it, so the manager sees it before deciding."""
    require_role(actor, PM, doing="change a product image")
    return check_image(data, filename, PRODUCT_IMAGE, what="product image")


def save_product_image(store: Store, actor: Actor, sku: str, data: bytes, filename: str,
                       now: datetime) -> CheckedImage:
    """Check the upload again (a preview is never trusted) and store the re-encoded image."""
    image = preview_product_image(actor, data, filename)
    now = require_aware(now)
    sku = _lookup_sku(sku)
    with _changing_product(store, actor, sku, doing="change a product image") as (session, product):
        if product.status == ProductStatus.DELETED:
            raise InvalidInput(f"Product {sku} is deleted; its image can no longer change.", field="image")
        product.image, product.image_mime, product.updated_at = image.data, image.mime, now
        audit_entry(session, actor, now, "product.image_changed", target=sku, file=str(filename)[:100], mime=image.mime,
               width=image.width, height=image.height, size=len(image.data))
    return image


def remove_product_image(store: Store, actor: Actor, sku: str, now: datetime) -> None:
    require_role(actor, PM, doing="remove a product image")
    now = require_aware(now)
    sku = _lookup_sku(sku)
    with _changing_product(store, actor, sku, doing="remove a product image") as (session, product):
        if product.image is None:
            raise InvalidInput(f"Product {sku} has no image to remove.", field="image")
        product.image, product.image_mime, product.updated_at = None, None, now
        audit_entry(session, actor, now, "product.image_removed", target=sku)
