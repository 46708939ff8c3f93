"""Products: find them, add, modify and delete them.

What the Product Manager does here, each call one unit of work on the acting user's own company
(another company's product is simply "not found"):

- find products: `list_products` (search, status, warehouse, low stock), `get_product`;
- add, modify and delete them: `add_product` (`add_product_with_stock` for tests and scripts),
  `modify_product`, `delete_product` (soft: status DELETED, refused while the product is on an
  open order, and the sales history keeps pointing at it);
A product's image is in core.catalogue.product_images; a new product's first image is checked the
same way here.

A product's stock and price per warehouse are changed on the grid (core.catalogue.stock); the add
form stocks a new product through the same planning and saving.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import false, func, or_, select
from sqlalchemy.orm import Session

from core.acting import Actor, acting, require_role
from core.catalogue.planning import StockEdit, load_snapshot, plan_stock_changes
from core.catalogue.rules import (
    ADDED_AT_THE_SAME_MOMENT,
    DEFAULT_UNIT,
    LOW_STOCK_LEVEL,
    PM,
    SETTABLE_STATUSES,
    SOURCE_FORM,
    ProductDetails,
    ProductOnOpenOrders,
    StockEntriesInvalid,
    clean_details,
    lookup_search,
    lookup_sku,
    no_such_product,
    normalise_sku,
)
from core.catalogue.saving import audit_entry, write_stock_changes
from core.domain import ProductStatus
from core.errors import InvalidInput
from core.i18n import N_, Message, _
from core.images import PRODUCT_IMAGE, check_image
from core.orders.lifecycle import OPEN_STATUSES
from core.store.database import Store
from core.store.models import Order, OrderItem, Product, StockLevel, Warehouse


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
class NewStock:
    """Stock and price of a new product in one warehouse (from the add form)."""

    warehouse_code: str
    on_hand: object
    price: object


# --- Finding products ------------------------------------------------------------------------------

_PRODUCT_COLUMNS = (
    Product.id,
    Product.sku,
    Product.name,
    Product.unit,
    Product.description,
    Product.status,
    Product.image_mime,
    Product.updated_at,
    Product.deleted_at,
)


def search_filter(search: str):
    """Text in the SKU or the name, any case; % and _ are plain text. None: no search. Text no SKU
    or name can contain (a control or invisible character, too long) matches nothing."""
    term = lookup_search(search)
    if term is None:
        return false()
    if not term:
        return None
    return or_(
        func.lower(Product.sku).contains(term, autoescape=True),
        func.lower(Product.name).contains(term, autoescape=True),
    )


def list_products(
    store: Store,
    actor: Actor,
    *,
    search: str = "",
    status: ProductStatus | None = None,
    warehouse_code: str | None = None,
    low_stock_only: bool = False,
    low_stock_level: int = LOW_STOCK_LEVEL,
) -> list[ProductRow]:
    """The company's products by SKU, each with its stock and price per warehouse.

    search: text in the SKU or name (any case). status: one status, or None for the catalogue as
    buyers and staff know it (active and inactive; deleted products only when asked for).
    warehouse_code: only products stocked there, showing that warehouse only. low_stock_only:
    products with `low_stock_level` or fewer units available in some (shown) warehouse.
    """
    statuses = [status] if status else list(SETTABLE_STATUSES)
    with acting(store, actor, PM, doing=N_("see the product catalogue"), write=False) as (session, _user, _now):
        query = select(*_PRODUCT_COLUMNS).where(Product.company_id == actor.company_id, Product.status.in_(statuses))
        if (condition := search_filter(search)) is not None:
            query = query.where(condition)
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
    doing = N_("see a product")
    require_role(actor, PM, doing=doing)
    sku = lookup_sku(sku)
    with acting(store, actor, PM, doing=doing, write=False) as (session, _user, _now):
        row = session.execute(
            select(*_PRODUCT_COLUMNS).where(Product.company_id == actor.company_id, Product.sku == sku)
        ).first()
        if row is None:
            raise no_such_product(sku)
        cells = session.execute(
            select(Warehouse.code, Warehouse.name, StockLevel.on_hand, StockLevel.reserved, StockLevel.price)
            .join(Warehouse, Warehouse.id == StockLevel.warehouse_id)
            .where(StockLevel.product_id == row.id)
            .order_by(Warehouse.code)
        ).all()
    return _product_row(row, (StockCell(*cell) for cell in cells))


def _cells_by_product(session: Session, company_id: int) -> dict[int, list[StockCell]]:
    """Every stock level of the company in one query (the list never asks per product)."""
    rows = session.execute(
        select(
            StockLevel.product_id,
            Warehouse.code,
            Warehouse.name,
            StockLevel.on_hand,
            StockLevel.reserved,
            StockLevel.price,
        )
        .join(Warehouse, Warehouse.id == StockLevel.warehouse_id)
        .join(Product, Product.id == StockLevel.product_id)
        .where(Product.company_id == company_id, Warehouse.company_id == company_id)
        .order_by(Warehouse.code)
    )
    cells: dict[int, list[StockCell]] = {}
    for product_id, code, name, on_hand, reserved, price in rows:
        cells.setdefault(product_id, []).append(StockCell(code, name, on_hand, reserved, price))
    return cells


def _product_row(row, cells: Iterable[StockCell]) -> ProductRow:
    id_, sku, name, unit, description, status, image_mime, updated_at, deleted_at = row
    return ProductRow(
        id_,
        sku,
        name,
        unit,
        description or "",
        ProductStatus(status),
        image_mime is not None,
        updated_at,
        deleted_at,
        tuple(cells),
    )


# --- Adding, modifying and deleting products -----------------------------------------------------


def add_product(
    store: Store,
    actor: Actor,
    sku: str,
    details: ProductDetails,
    now: datetime,
    *,
    stock: Sequence[NewStock] = (),
    image: bytes | None = None,
    image_name: str = "",
) -> ProductRow:
    """A new product, optionally stocked and priced in some warehouses and with an image; all in
    one unit of work (a bad stock entry or image adds nothing). Warehouses whose on hand and
    price are both left empty are skipped."""
    doing = N_("add a product")
    require_role(actor, PM, doing=doing)
    sku, details = normalise_sku(sku), clean_details(details)
    checked = check_image(image, image_name or "image", PRODUCT_IMAGE, what="product image") if image else None
    with acting(store, actor, PM, doing=doing, now=now, conflict=ADDED_AT_THE_SAME_MOMENT) as (session, _user, now):
        snapshot = load_snapshot(session, actor.company_id)
        if sku in snapshot.products:
            raise InvalidInput(_sku_taken_message(sku, snapshot.products[sku].status), field="sku")
        edits = [StockEdit(sku, entry.warehouse_code, entry.on_hand, entry.price) for entry in stock]
        changes, problems = plan_stock_changes(snapshot, edits, new_products={sku: details.name})
        if problems:
            raise StockEntriesInvalid([problem for _, problem in problems])
        product = Product(
            company_id=actor.company_id,
            sku=sku,
            name=details.name,
            unit=details.unit,
            description=details.description,
            status=details.status,
            created_at=now,
            updated_at=now,
            image=checked.data if checked else None,
            image_mime=checked.mime if checked else None,
        )
        session.add(product)
        session.flush()
        write_stock_changes(session, actor, snapshot, changes, now, source=SOURCE_FORM, product_ids={sku: product.id})
        audit_entry(
            session,
            actor,
            now,
            "product.added",
            target=sku,
            name=details.name,
            warehouses=[c.warehouse_code for c in changes],
            image=checked is not None,
        )
    return get_product(store, actor, sku)


def add_product_with_stock(
    store: Store,
    actor: Actor,
    *,
    sku: str,
    name: str,
    warehouse_code: str,
    on_hand: int,
    price: int,
    now: datetime,
    unit: str = DEFAULT_UNIT,
    description: str = "",
) -> ProductRow:
    """Shortcut for tests and scripts: one active product stocked and priced in one warehouse."""
    return add_product(
        store,
        actor,
        sku,
        ProductDetails(name=name, unit=unit, description=description),
        now,
        stock=[NewStock(warehouse_code, on_hand, price)],
    )


def _sku_taken_message(sku: str, status: ProductStatus) -> Message:
    if status == ProductStatus.DELETED:
        return _(
            "SKU {sku} belonged to a product that was deleted; it stays reserved for that product's sales "
            "history. Choose another SKU.",
            sku=sku,
        )
    return _("SKU {sku} is already in your catalogue; modify that product instead, or choose another SKU.", sku=sku)


def modify_product(store: Store, actor: Actor, sku: str, details: ProductDetails, now: datetime) -> ProductRow:
    """Change name, unit, description and status (ACTIVE/INACTIVE). The SKU stays: orders and
    imports know the product by it. A deleted product cannot be modified."""
    doing = N_("modify a product")
    require_role(actor, PM, doing=doing)
    sku, details = lookup_sku(sku), clean_details(details)
    with acting(store, actor, PM, doing=doing, now=now, conflict=ADDED_AT_THE_SAME_MOMENT) as (session, _user, now):
        product = own_product(session, actor, sku)
        if product.status == ProductStatus.DELETED:
            raise InvalidInput(_("Product {sku} is deleted and can no longer be modified.", sku=sku), field="sku")
        before = {
            "name": product.name,
            "unit": product.unit,
            "description": product.description or "",
            "status": product.status,
        }
        after = {
            "name": details.name,
            "unit": details.unit,
            "description": details.description,
            "status": details.status,
        }
        changed = sorted(k for k in after if after[k] != before[k])
        if changed:
            product.name, product.unit, product.description, product.status = (
                details.name,
                details.unit,
                details.description,
                details.status,
            )
            product.updated_at = now
            audit_entry(session, actor, now, "product.modified", target=sku, fields=changed)
    return get_product(store, actor, sku)


def delete_product(store: Store, actor: Actor, sku: str, now: datetime) -> None:
    """Soft delete: the product leaves the catalogue and the buyers' app, its orders and price
    history stay. Refused, naming the orders, while it is on an open order."""
    doing = N_("delete a product")
    require_role(actor, PM, doing=doing)
    sku = lookup_sku(sku)
    with acting(store, actor, PM, doing=doing, now=now, conflict=ADDED_AT_THE_SAME_MOMENT) as (session, _user, now):
        product = own_product(session, actor, sku)
        if product.status == ProductStatus.DELETED:
            raise InvalidInput(_("Product {sku} is already deleted.", sku=sku), field="sku")
        # Lock its stock rows first: an order reserving this product right now either finished
        # (and is seen below) or waits until the product is gone.
        session.execute(select(StockLevel.id).where(StockLevel.product_id == product.id).with_for_update()).all()
        open_orders = list(
            session.scalars(
                select(Order.order_number)
                .join(OrderItem, OrderItem.order_id == Order.id)
                .where(
                    OrderItem.product_id == product.id,
                    Order.company_id == actor.company_id,
                    Order.status.in_(OPEN_STATUSES),
                )
                .distinct()
                .order_by(Order.order_number)
            )
        )
        if open_orders:
            raise ProductOnOpenOrders(sku, open_orders)
        product.status, product.deleted_at, product.updated_at = ProductStatus.DELETED, now, now
        audit_entry(session, actor, now, "product.deleted", target=sku, name=product.name)


def own_product(session: Session, actor: Actor, sku: str) -> Product:
    """The product in the actor's own catalogue, locked until the change commits."""
    product = session.scalar(
        select(Product).where(Product.company_id == actor.company_id, Product.sku == sku).with_for_update()
    )
    if product is None:
        raise no_such_product(sku)
    return product
