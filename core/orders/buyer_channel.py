"""The buyer channel: what the bank's buyer app (Livin' Merchant) calls, and only that.

Place an order, cancel it, confirm receipt, file a complaint; and the courier's "delivered" event,
which arrives through the same channel. Each call is one transaction and names the buyer, who
may only touch their own orders. A buyer the bank has deactivated (core.integration.buyers) places
no new order; the orders they have run their course.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Row, and_, bindparam, select, true

from core.catalogue.rules import MAX_SKU
from core.clock import require_aware
from core.domain import OrderStatus, ProductStatus, WarehouseStatus
from core.errors import InvalidInput, NotFound, OutOfStock
from core.i18n import N_, Message, _, _n
from core.orders.effects import reserve
from core.orders.lifecycle import Step
from core.orders.seller import MAX_ORDER_NUMBER
from core.orders.steps import open_order, take_step
from core.store.database import Store
from core.store.models import (
    Buyer,
    Company,
    Complaint,
    DeliveryAddress,
    Order,
    Product,
    StockLevel,
    Warehouse,
    buyers_t,
    companies_t,
    products_t,
    stock_t,
    warehouses_t,
)
from core.text import clean_text, lookup_text, shown
from core.warehouses.business_time import OperatingCalendar
from core.warehouses.operations import calendar_with, closures_from, parse_closures

MAX_LINES = 50
MAX_QUANTITY = 10_000
MAX_COMPLAINT = 4000
MAX_CANCEL_REASON = 500
#: A courier's note on delivery, kept as the event's reason.
MAX_COURIER_NOTE = 500
#: The longest buyer code, Company ID and warehouse code there are: longer ones are not found.
MAX_CODE = 32
#: A delivery address the buyer app gives: the limits of the orders' ship-to columns.
MAX_SHIP_TO_NAME = 200
MAX_SHIP_TO_PHONE = 32
MAX_SHIP_TO_ADDRESS = 500
MAX_SHIP_TO_CITY = 100
#: A phone number as people write it: digits, spaces, a leading +, dashes, dots and brackets.
_PHONE = re.compile(r"\+?[0-9 ().\-]+")
MIN_PHONE_DIGITS = 6
#: The longest label of a buyer's delivery address ("Gudang Bekasi").
MAX_ADDRESS_LABEL = 50


@dataclass(frozen=True)
class OrderLine:
    sku: str
    quantity: int


@dataclass(frozen=True)
class ShipTo:
    """Where the goods go, when the buyer app gives another delivery address than the buyer's
    registered one (the order keeps it: a later change of the buyer's address does not move it)."""

    name: str
    phone: str | None
    address: str
    city: str


@dataclass(frozen=True)
class PlacedLine:
    sku: str
    name: str
    quantity: int
    unit_price: int
    line_total: int


@dataclass(frozen=True)
class PlacedOrder:
    """An order just placed, as it was written: what the buyer app is answered with."""

    order_number: str
    total_amount: int
    confirm_deadline: datetime
    placed_at: datetime
    seller: str
    warehouse: str
    buyer: str
    ship_to: ShipTo
    lines: list[PlacedLine]


def find_buyer(session, buyer_code: str, *, lock: bool = False) -> Buyer:
    """The buyer with this code, approved or not, or NotFound (`lock`: FOR UPDATE, for a change)."""
    code = lookup_text(buyer_code, max_length=MAX_CODE)
    query = select(Buyer).where(Buyer.buyer_code == code)
    buyer = None if code is None else session.scalar(query.with_for_update() if lock else query)
    if buyer is None:
        raise NotFound(unknown_buyer_said(buyer_code))
    return buyer


def unknown_buyer_said(buyer_code: str) -> Message:
    """What every caller is told of a buyer code nobody registered (raise NotFound with it)."""
    return _("Buyer {code} is not known to the marketplace.", code=shown(buyer_code))


def unknown_buyer(buyer_code: str) -> str:
    """`unknown_buyer_said`, in the reader's language now."""
    return unknown_buyer_said(buyer_code).render()


_PLACING_BUYER = select(
    buyers_t.c.id,
    buyers_t.c.buyer_code,
    buyers_t.c.name,
    buyers_t.c.phone,
    buyers_t.c.address,
    buyers_t.c.city,
    buyers_t.c.is_approved,
).where(buyers_t.c.buyer_code == bindparam("code"))


def _buyer(session, buyer_code: str) -> Row[Any]:
    """A buyer who may place orders: the bank approves them (and may deactivate them later)."""
    code = lookup_text(buyer_code, max_length=MAX_CODE)
    buyer = None if code is None else session.execute(_PLACING_BUYER, {"code": code}).first()
    if buyer is None:
        raise NotFound(unknown_buyer_said(buyer_code))
    _check_approved(buyer.buyer_code, buyer.is_approved)
    return buyer


def _check_approved(buyer_code: str, is_approved: bool) -> None:
    if not is_approved:
        raise InvalidInput(_("Buyer {code} is not approved by the bank to order.", code=buyer_code), field="buyer")


def _buyers_order(session, buyer: Buyer, order_number: str) -> Order:
    number = lookup_text(order_number, max_length=MAX_ORDER_NUMBER)
    order = (
        None
        if number is None
        else session.scalar(select(Order).where(Order.order_number == number, Order.buyer_id == buyer.id))
    )
    if order is None:
        raise NotFound(
            _("Order {number} is not one of buyer {code}'s orders.", number=shown(order_number), code=buyer.buyer_code)
        )
    return order


def place_order(
    store: Store,
    *,
    buyer_code: str,
    company_code: str,
    warehouse_code: str,
    lines: list[OrderLine],
    now: datetime,
    ship_to: ShipTo | None = None,
    delivery_address: str | None = None,
) -> PlacedOrder:
    """Reserve the stock and open the order; the seller then has 1 business day to answer.

    The order keeps where its goods go: `ship_to` when the buyer app gives another delivery address,
    or the buyer's delivery address labelled `delivery_address`, else the buyer's registered name,
    phone, address and city; copied as they are now."""
    now = require_aware(now)
    _check_lines(lines)
    if ship_to is not None and delivery_address is not None:
        raise InvalidInput(
            _("Give either a delivery address label or a ship-to address, not both."), field="delivery_address"
        )
    given = None if ship_to is None else checked_ship_to(ship_to)
    with store.transaction() as session:
        buyer, warehouse, calendar, shelf = _placing(session, buyer_code, company_code, warehouse_code, lines, now)
        if delivery_address is not None:
            given = address_for_order(session, buyer.id, delivery_address)
        destination = given or ShipTo(buyer.name, buyer.phone, buyer.address, buyer.city)
        # In SKU order: two orders sharing products lock their stock rows in the same order, so they
        # queue behind each other instead of deadlocking (PostgreSQL's row locks).
        in_order = sorted(lines, key=lambda li: li.sku)
        by_sku = {line.sku: _reserve_line(session, warehouse, shelf, line) for line in in_order}
        placed = [by_sku[line.sku] for line in lines]
        total = sum(line.line_total for _, line in placed)
        opened = open_order(
            session,
            warehouse,
            now=now,
            by=buyer.buyer_code,
            calendar=calendar,
            items=[
                {
                    "product_id": product_id,
                    "sku": line.sku,
                    "product_name": line.name,
                    "quantity": line.quantity,
                    "unit_price": line.unit_price,
                    "line_total": line.line_total,
                }
                for product_id, line in placed
            ],
            buyer_id=buyer.id,
            total_amount=total,
            item_count=sum(line.quantity for line in lines),
            ship_to_name=destination.name,
            ship_to_phone=destination.phone,
            ship_to_address=destination.address,
            ship_to_city=destination.city,
        )
    deadline = opened.columns["confirm_deadline"]
    assert deadline is not None  # placing starts the time to confirm
    return PlacedOrder(
        opened.order_number,
        total,
        deadline,
        now,
        warehouse.company_code,
        warehouse.code,
        buyer.buyer_code,
        destination,
        [line for _, line in placed],
    )


def checked_ship_to(ship_to: ShipTo) -> ShipTo:
    """The delivery address as it will be stored, or InvalidInput naming the field: each part checked
    as every typed text is (core.text), over its limit refused (never cut); the phone may be empty."""
    name = clean_text(
        ship_to.name,
        what=N_("ship-to name"),
        field="ship_to_name",
        max_length=MAX_SHIP_TO_NAME,
        collapse_spaces=True,
        required=N_("A delivery address needs the name of who receives the goods."),
    )
    phone = checked_phone(ship_to.phone, what=N_("ship-to phone"), field="ship_to_phone")
    address = clean_text(
        ship_to.address,
        what=N_("ship-to address"),
        field="ship_to_address",
        max_length=MAX_SHIP_TO_ADDRESS,
        multiline=True,
        required=N_("A delivery address needs the street address the goods go to."),
    )
    city = clean_text(
        ship_to.city,
        what=N_("ship-to city"),
        field="ship_to_city",
        max_length=MAX_SHIP_TO_CITY,
        collapse_spaces=True,
        required=N_("A delivery address needs the city the goods go to."),
    )
    return ShipTo(name, phone, address, city)


def checked_phone(phone: str | None, *, what: str, field: str) -> str | None:
    """A phone number as it will be stored (None when empty), or InvalidInput naming `field`. `what`:
    the field in the user's words, a msgid ("ship-to phone"), translated in the sentence."""
    text = clean_text(phone, what=what, field=field, max_length=MAX_SHIP_TO_PHONE)
    if text and (_PHONE.fullmatch(text) is None or sum(c.isdigit() for c in text) < MIN_PHONE_DIGITS):
        raise InvalidInput(
            _(
                "The {what} {phone} is not a phone number: use digits, spaces, a leading +, "
                "dashes and brackets, e.g. +62 812 3456 7890.",
                what=Message(what),
                phone=shown(text),
            ),
            field=field,
        )
    return text or None


def find_delivery_address(session, buyer: Buyer, label: str) -> DeliveryAddress:
    """The buyer's delivery address with this label, or NotFound."""
    wanted = lookup_text(label, max_length=MAX_ADDRESS_LABEL, collapse_spaces=True)
    row = (
        None
        if wanted is None
        else session.scalar(
            select(DeliveryAddress).where(DeliveryAddress.buyer_id == buyer.id, DeliveryAddress.label == wanted)
        )
    )
    if row is None:
        raise NotFound(
            _("Buyer {code} has no delivery address labelled {label}.", code=buyer.buyer_code, label=shown(label))
        )
    return row


def address_for_order(session, buyer_id: int, label: str) -> ShipTo:
    """Where an order to the buyer's labelled delivery address goes (the order keeps a copy)."""
    row = find_delivery_address(session, session.get_one(Buyer, buyer_id), label)
    return ShipTo(row.name, row.phone, row.address, row.city)


def _check_lines(lines: list[OrderLine]) -> None:
    if not lines:
        raise InvalidInput(_("An order needs at least one line."), field="lines")
    if len(lines) > MAX_LINES:
        raise InvalidInput(_("An order may have at most {most} lines.", most=MAX_LINES), field="lines")
    skus = [line.sku for line in lines]
    if len(set(skus)) != len(skus):
        raise InvalidInput(_("Each product may appear on only one line of an order."), field="lines")
    for line in lines:
        if not isinstance(line.quantity, int) or not 1 <= line.quantity <= MAX_QUANTITY:
            raise InvalidInput(
                _(
                    "Quantity of {sku} must be a whole number from 1 to {most}.",
                    sku=shown(line.sku),
                    most=MAX_QUANTITY,
                ),
                field="quantity",
            )


#: The warehouse an order is placed in, with its seller; FOR SHARE on PostgreSQL: a closing that commits
#: meanwhile waits for this order, or this order sees the warehouse closed; never an order landing in a
#: warehouse just closed (SQLite: writers queue).
_PLACING_WAREHOUSE = (
    select(warehouses_t, companies_t.c.company_code, companies_t.c.is_whitelisted)
    .join(companies_t, companies_t.c.id == warehouses_t.c.company_id)
    .where(companies_t.c.company_code == bindparam("seller"), warehouses_t.c.code == bindparam("code"))
    .with_for_update(read=True, of=warehouses_t)
)


def _open_warehouse(session, company_code: str, warehouse_code: str) -> Row[Any]:
    seller, code = lookup_text(company_code, max_length=MAX_CODE), lookup_text(warehouse_code, max_length=MAX_CODE)
    row = (
        None
        if seller is None or code is None
        else session.execute(_PLACING_WAREHOUSE, {"seller": seller, "code": code}).first()
    )
    if row is None:
        raise NotFound(no_such_warehouse(company_code, warehouse_code))
    _check_taking_orders(row)
    return row


def no_such_warehouse(company_code: str, warehouse_code: str) -> Message:
    return _(
        "Seller {seller} has no warehouse {warehouse}.", seller=shown(company_code), warehouse=shown(warehouse_code)
    )


def _check_taking_orders(warehouse: Row[Any]) -> None:
    """A warehouse (with its seller's code and whitelisting) that takes orders, or InvalidInput."""
    if not warehouse.is_whitelisted:
        raise InvalidInput(
            _("Seller {seller} is not registered for Kopra Partnership.", seller=warehouse.company_code),
            field="seller",
        )
    if warehouse.status != WarehouseStatus.OPEN:
        raise InvalidInput(
            _(
                "Warehouse {warehouse} of {seller} is closed and takes no orders.",
                warehouse=warehouse.code,
                seller=warehouse.company_code,
            ),
            field="warehouse",
        )


@dataclass(frozen=True)
class _Shelved:
    """A product an order names, as the warehouse holds it."""

    id: int
    sku: str
    name: str
    unit: str
    status: ProductStatus
    level_id: int


_b, _w, _c, _p, _s = buyers_t.c, warehouses_t.c, companies_t.c, products_t.c, stock_t.c
#: What placing reads, in one round trip: the buyer, the warehouse with its seller and its closures from
#: `from_day` on, and the products of the order's lines it holds (a row each; one row with no product
#: when it holds none). FOR SHARE OF the warehouse on PostgreSQL, as `_PLACING_WAREHOUSE`. No row: the
#: buyer or the warehouse is not there, and `_placing` reads them one by one to say which.
_PLACING = (
    select(
        _b.id.label("buyer_id"),
        _b.buyer_code,
        _b.name.label("buyer_name"),
        _b.phone.label("buyer_phone"),
        _b.address.label("buyer_address"),
        _b.city.label("buyer_city"),
        _b.is_approved,
        warehouses_t,
        _c.company_code,
        _c.is_whitelisted,
        closures_from(bindparam("from_day")).label("closures"),
        _p.id.label("product_id"),
        _p.sku,
        _p.name.label("product_name"),
        _p.unit,
        _p.status.label("product_status"),
        _s.id.label("level_id"),
    )
    .select_from(
        buyers_t.join(warehouses_t, true())
        .join(companies_t, _c.id == _w.company_id)
        .outerjoin(
            products_t.join(stock_t, _s.product_id == _p.id),
            and_(
                _p.company_id == _w.company_id,
                _s.warehouse_id == _w.id,
                _p.sku.in_(bindparam("skus", expanding=True)),
            ),
        )
    )
    .where(_b.buyer_code == bindparam("buyer"), _c.company_code == bindparam("seller"), _w.code == bindparam("code"))
    .with_for_update(read=True, of=warehouses_t)
)
#: The calendar placing reads starts this long before the order: its deadline and warnings lie after it.
_CALENDAR_FROM = timedelta(days=2)


def _placing(
    session, buyer_code: str, company_code: str, warehouse_code: str, lines: list[OrderLine], now: datetime
) -> tuple[PlacingBuyer, Row[Any], OperatingCalendar, dict[str, _Shelved]]:
    """The buyer (approved), the warehouse (taking orders) and its calendar, and {SKU: the product} for
    the lines' products it holds; or the refusal `_buyer` and `_open_warehouse` give, in that order."""
    buyer, seller = lookup_text(buyer_code, max_length=MAX_CODE), lookup_text(company_code, max_length=MAX_CODE)
    code = lookup_text(warehouse_code, max_length=MAX_CODE)
    skus = sorted({sku for line in lines if (sku := lookup_text(line.sku, max_length=MAX_SKU)) is not None})
    params = {"buyer": buyer, "seller": seller, "code": code, "skus": skus, "from_day": (now - _CALENDAR_FROM).date()}
    rows = [] if None in (buyer, seller, code) else session.execute(_PLACING, params).all()
    if not rows:  # say which is missing, as the one-by-one reads say it
        _buyer(session, buyer_code)
        _open_warehouse(session, company_code, warehouse_code)
        raise NotFound(no_such_warehouse(company_code, warehouse_code))
    first = rows[0]
    _check_approved(first.buyer_code, first.is_approved)
    _check_taking_orders(first)
    who = PlacingBuyer(
        first.buyer_id,
        first.buyer_code,
        first.buyer_name,
        first.buyer_phone,
        first.buyer_address,
        first.buyer_city,
    )
    shelf = {
        row.sku: _Shelved(row.product_id, row.sku, row.product_name, row.unit, row.product_status, row.level_id)
        for row in rows
        if row.product_id is not None
    }
    return who, first, calendar_with(first, parse_closures(first.closures)), shelf


@dataclass(frozen=True)
class PlacingBuyer:
    id: int
    buyer_code: str
    name: str
    phone: str | None
    address: str
    city: str


def _reserve_line(session, warehouse: Row[Any], shelf: dict[str, _Shelved], line: OrderLine) -> tuple[int, PlacedLine]:
    """Reserve one line's units; return its product's id and the line as the order keeps it (the
    price at the moment of reserving)."""
    sku = lookup_text(line.sku, max_length=MAX_SKU)
    product = None if sku is None else shelf.get(sku)
    if product is None or product.status != ProductStatus.ACTIVE:
        raise NotFound(
            _("Product {sku} is not on sale in warehouse {warehouse}.", sku=shown(line.sku), warehouse=warehouse.code)
        )
    price = reserve(session, warehouse.id, product.id, line.quantity)
    if price is None:
        left = select(StockLevel.on_hand - StockLevel.reserved).where(StockLevel.id == product.level_id)
        available = session.scalar(left)
        # The unit is the seller's own word ("pcs", "karung"): written as typed, whatever the count.
        raise OutOfStock(
            _n(
                "Not enough stock of {sku} ({name}) in {warehouse}: {count} {unit} available, {ordered} ordered.",
                "Not enough stock of {sku} ({name}) in {warehouse}: {count} {unit} available, {ordered} ordered.",
                int(available or 0),
                sku=product.sku,
                name=product.name,
                warehouse=warehouse.code,
                unit=product.unit,
                ordered=line.quantity,
            )
        )
    return product.id, PlacedLine(product.sku, product.name, line.quantity, price, price * line.quantity)


def cancel_order(store: Store, *, buyer_code: str, order_number: str, reason: str, now: datetime) -> None:
    """Before acceptance at any time; after it only once the packing or delivery deadline passed."""
    now = require_aware(now)
    reason = clean_text(reason, what=N_("cancellation reason"), field="reason", max_length=MAX_CANCEL_REASON)
    with store.transaction() as session:
        buyer = find_buyer(session, buyer_code)  # deactivated or not: their orders run their course
        order = _buyers_order(session, buyer, order_number)
        take_step(
            session,
            order,
            Step.BUYER_CANCEL,
            now=now,
            by=buyer.buyer_code,
            reason=reason or None,
            failure_reason=reason or None,
        )


def confirm_receipt(store: Store, *, buyer_code: str, order_number: str, now: datetime) -> None:
    """The buyer has the goods: the order completes and the seller's payout is created.
    An order not yet marked delivered is marked delivered at the same moment."""
    now = require_aware(now)
    with store.transaction() as session:
        buyer = find_buyer(session, buyer_code)  # deactivated or not: their orders run their course
        order = _buyers_order(session, buyer, order_number)
        take_step(session, order, Step.CONFIRM_RECEIPT, now=now, by=buyer.buyer_code)


def file_complaint(store: Store, *, buyer_code: str, order_number: str, description: str, now: datetime) -> datetime:
    """A complaint about a shipped or delivered order; the seller has 2 calendar days to answer.
    Returns the answer deadline."""
    now = require_aware(now)
    description = clean_text(
        description,
        what=N_("complaint description"),
        field="description",
        max_length=MAX_COMPLAINT,
        multiline=True,
        required=N_("A complaint needs a description of the problem."),
    )
    with store.transaction() as session:
        buyer = find_buyer(session, buyer_code)  # deactivated or not: their orders run their course
        order = _buyers_order(session, buyer, order_number)
        taken = take_step(session, order, Step.COMPLAIN, now=now, by=buyer.buyer_code, reason=description)
        deadline = taken.deadline
        assert deadline is not None  # a complaint starts the time to answer it
        session.add(Complaint(order_id=order.id, description=description, filed_at=now, answer_deadline=deadline))
    return deadline


def mark_delivered(store: Store, *, order_number: str, now: datetime, courier_note: str = "") -> None:
    """The courier's delivery event; automatic completion falls due 2 calendar days later."""
    now = require_aware(now)
    note = clean_text(courier_note, what=N_("courier's note"), field="courier_note", max_length=MAX_COURIER_NOTE)
    number = lookup_text(order_number, max_length=MAX_ORDER_NUMBER)
    with store.transaction() as session:
        order = None if number is None else session.scalar(select(Order).where(Order.order_number == number))
        if order is None:
            raise NotFound(_("Order {number} does not exist.", number=shown(order_number)))
        take_step(session, order, Step.MARK_DELIVERED, now=now, by="courier", reason=note or None)


# --- what the buyer app and the courier see (used by the simulator) ------------------------------


@dataclass(frozen=True)
class OfferedProduct:
    company_code: str
    warehouse_code: str
    sku: str
    available: int
    price: int


def products_on_sale(store: Store, company_code: str | None = None) -> list[OfferedProduct]:
    """Active products with available stock in open warehouses of whitelisted sellers."""
    query = (
        select(
            Company.company_code,
            Warehouse.code,
            Product.sku,
            StockLevel.on_hand - StockLevel.reserved,
            StockLevel.price,
        )
        .join(Warehouse, Warehouse.id == StockLevel.warehouse_id)
        .join(Product, Product.id == StockLevel.product_id)
        .join(Company, Company.id == Warehouse.company_id)
        .where(
            Company.is_whitelisted.is_(True),
            Warehouse.status == WarehouseStatus.OPEN,
            Product.status == ProductStatus.ACTIVE,
            StockLevel.on_hand > StockLevel.reserved,
        )
        .order_by(Company.company_code, Warehouse.code, Product.sku)
    )
    if company_code:
        query = query.where(Company.company_code == (lookup_text(company_code, max_length=MAX_CODE) or ""))
    with store.reading() as session:
        return [OfferedProduct(*row) for row in session.execute(query)]


@dataclass(frozen=True)
class MarketplaceOrder:
    order_number: str
    buyer_code: str
    status: OrderStatus
    pack_deadline: datetime | None
    delivery_deadline: datetime | None


def orders_in_status(store: Store, statuses: list[OrderStatus], limit: int = 200) -> list[MarketplaceOrder]:
    """Orders the buyer app or the courier would act on next, oldest first."""
    query = (
        select(Order.order_number, Buyer.buyer_code, Order.status, Order.pack_deadline, Order.delivery_deadline)
        .join(Buyer, Buyer.id == Order.buyer_id)
        .where(Order.status.in_(statuses))
        .order_by(Order.updated_at)
        .limit(limit)
    )
    with store.reading() as session:
        return [MarketplaceOrder(*row) for row in session.execute(query)]


def approved_buyers(store: Store) -> list[str]:
    with store.reading() as session:
        return list(
            session.scalars(select(Buyer.buyer_code).where(Buyer.is_approved.is_(True)).order_by(Buyer.buyer_code))
        )
