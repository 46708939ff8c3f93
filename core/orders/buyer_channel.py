"""The buyer channel: what the bank's buyer app (Livin' Merchant) calls, and only that.

Place an order, cancel it, confirm receipt, file a complaint; and the courier's "delivered" event,
which arrives through the same channel. Each call is one transaction and names the buyer, who
may only touch their own orders. A buyer the bank has deactivated (core.integration.buyers) places
no new order; the orders they have run their course.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from core.catalogue.rules import MAX_SKU
from core.clock import require_aware
from core.domain import OrderStatus, ProductStatus, WarehouseStatus
from core.errors import InvalidInput, NotFound, OutOfStock
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
    OrderItem,
    Product,
    StockLevel,
    Warehouse,
)
from core.text import clean_text, lookup_text, shown

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
class PlacedOrder:
    order_number: str
    total_amount: int
    confirm_deadline: datetime


def find_buyer(session, buyer_code: str, *, lock: bool = False) -> Buyer:
    """The buyer with this code, approved or not, or NotFound (`lock`: FOR UPDATE, for a change)."""
    code = lookup_text(buyer_code, max_length=MAX_CODE)
    query = select(Buyer).where(Buyer.buyer_code == code)
    buyer = None if code is None else session.scalar(query.with_for_update() if lock else query)
    if buyer is None:
        raise NotFound(unknown_buyer(buyer_code))
    return buyer


def unknown_buyer(buyer_code: str) -> str:
    """What every caller is told of a buyer code nobody registered."""
    return f"Buyer {shown(buyer_code)} is not known to the marketplace."


def _buyer(session, buyer_code: str) -> Buyer:
    """A buyer who may place orders: the bank approves them (and may deactivate them later)."""
    buyer = find_buyer(session, buyer_code)
    if not buyer.is_approved:
        raise InvalidInput(f"Buyer {buyer.buyer_code} is not approved by the bank to order.", field="buyer")
    return buyer


def _buyers_order(session, buyer: Buyer, order_number: str) -> Order:
    number = lookup_text(order_number, max_length=MAX_ORDER_NUMBER)
    order = (
        None
        if number is None
        else session.scalar(select(Order).where(Order.order_number == number, Order.buyer_id == buyer.id))
    )
    if order is None:
        raise NotFound(f"Order {shown(order_number)} is not one of buyer {buyer.buyer_code}'s orders.")
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
            "Give either a delivery address label or a ship-to address, not both.", field="delivery_address"
        )
    given = None if ship_to is None else checked_ship_to(ship_to)
    with store.transaction() as session:
        buyer = _buyer(session, buyer_code)
        if delivery_address is not None:
            given = address_for_order(session, buyer.id, delivery_address)
        destination = given or ShipTo(buyer.name, buyer.phone, buyer.address, buyer.city)
        warehouse = _open_warehouse(session, company_code, warehouse_code)
        # In SKU order: two orders sharing products lock their stock rows in the same order, so they
        # queue behind each other instead of deadlocking (PostgreSQL's row locks).
        by_sku = {line.sku: _reserve_line(session, warehouse, line) for line in sorted(lines, key=lambda li: li.sku)}
        reserved = [by_sku[line.sku] for line in lines]
        order = open_order(
            session,
            warehouse,
            now=now,
            by=buyer.buyer_code,
            order_number=f"TMP-{uuid.uuid4().hex[:24]}",
            buyer_id=buyer.id,
            total_amount=sum(price * line.quantity for (_, price), line in zip(reserved, lines)),
            item_count=sum(line.quantity for line in lines),
            ship_to_name=destination.name,
            ship_to_phone=destination.phone,
            ship_to_address=destination.address,
            ship_to_city=destination.city,
        )
        order.order_number = f"KP-{order.id:08d}"  # from the id: unique without a race
        for (product, price), line in zip(reserved, lines):
            session.add(
                OrderItem(
                    order_id=order.id,
                    product_id=product.id,
                    sku=product.sku,
                    product_name=product.name,
                    quantity=line.quantity,
                    unit_price=price,
                    line_total=price * line.quantity,
                )
            )
        assert order.confirm_deadline is not None  # placing starts the time to confirm
        return PlacedOrder(order.order_number, order.total_amount, order.confirm_deadline)


def checked_ship_to(ship_to: ShipTo) -> ShipTo:
    """The delivery address as it will be stored, or InvalidInput naming the field: each part checked
    as every typed text is (core.text), over its limit refused (never cut); the phone may be empty."""
    name = clean_text(
        ship_to.name,
        what="ship-to name",
        field="ship_to_name",
        max_length=MAX_SHIP_TO_NAME,
        collapse_spaces=True,
        required="A delivery address needs the name of who receives the goods.",
    )
    phone = checked_phone(ship_to.phone, what="ship-to phone", field="ship_to_phone")
    address = clean_text(
        ship_to.address,
        what="ship-to address",
        field="ship_to_address",
        max_length=MAX_SHIP_TO_ADDRESS,
        multiline=True,
        required="A delivery address needs the street address the goods go to.",
    )
    city = clean_text(
        ship_to.city,
        what="ship-to city",
        field="ship_to_city",
        max_length=MAX_SHIP_TO_CITY,
        collapse_spaces=True,
        required="A delivery address needs the city the goods go to.",
    )
    return ShipTo(name, phone, address, city)


def checked_phone(phone: str | None, *, what: str, field: str) -> str | None:
    """A phone number as it will be stored (None when empty), or InvalidInput naming `field`."""
    text = clean_text(phone, what=what, field=field, max_length=MAX_SHIP_TO_PHONE)
    if text and (_PHONE.fullmatch(text) is None or sum(c.isdigit() for c in text) < MIN_PHONE_DIGITS):
        raise InvalidInput(
            f"The {what} {shown(text)} is not a phone number: use digits, spaces, a leading +, "
            "dashes and brackets, e.g. +62 812 3456 7890.",
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
        raise NotFound(f"Buyer {buyer.buyer_code} has no delivery address labelled {shown(label)}.")
    return row


def address_for_order(session, buyer_id: int, label: str) -> ShipTo:
    """Where an order to the buyer's labelled delivery address goes (the order keeps a copy)."""
    row = find_delivery_address(session, session.get_one(Buyer, buyer_id), label)
    return ShipTo(row.name, row.phone, row.address, row.city)


def _check_lines(lines: list[OrderLine]) -> None:
    if not lines:
        raise InvalidInput("An order needs at least one line.", field="lines")
    if len(lines) > MAX_LINES:
        raise InvalidInput(f"An order may have at most {MAX_LINES} lines.", field="lines")
    skus = [line.sku for line in lines]
    if len(set(skus)) != len(skus):
        raise InvalidInput("Each product may appear on only one line of an order.", field="lines")
    for line in lines:
        if not isinstance(line.quantity, int) or not 1 <= line.quantity <= MAX_QUANTITY:
            raise InvalidInput(
                f"Quantity of {shown(line.sku)} must be a whole number from 1 to {MAX_QUANTITY}.", field="quantity"
            )


def _open_warehouse(session, company_code: str, warehouse_code: str) -> Warehouse:
    # FOR SHARE on PostgreSQL: a closing that commits meanwhile waits for this order, or this order
    # sees the warehouse closed; never an order landing in a warehouse just closed (SQLite: writers queue).
    seller, code = lookup_text(company_code, max_length=MAX_CODE), lookup_text(warehouse_code, max_length=MAX_CODE)
    row = (
        None
        if seller is None or code is None
        else session.execute(
            select(Warehouse, Company)
            .join(Company, Company.id == Warehouse.company_id)
            .where(Company.company_code == seller, Warehouse.code == code)
            .with_for_update(read=True, of=Warehouse)
        ).first()
    )
    if row is None:
        raise NotFound(f"Seller {shown(company_code)} has no warehouse {shown(warehouse_code)}.")
    warehouse, company = row
    if not company.is_whitelisted:
        raise InvalidInput(f"Seller {company.company_code} is not registered for Kopra Partnership.", field="seller")
    if warehouse.status != WarehouseStatus.OPEN:
        raise InvalidInput(
            f"Warehouse {warehouse.code} of {company.company_code} is closed and takes no orders.", field="warehouse"
        )
    return warehouse


def _reserve_line(session, warehouse: Warehouse, line: OrderLine) -> tuple[Product, int]:
    """Reserve one line's units; return the product and its price now (the order keeps that price)."""
    sku = lookup_text(line.sku, max_length=MAX_SKU)
    row = (
        None
        if sku is None
        else session.execute(
            select(Product, StockLevel)
            .join(StockLevel, StockLevel.product_id == Product.id)
            .where(
                Product.company_id == warehouse.company_id, Product.sku == sku, StockLevel.warehouse_id == warehouse.id
            )
        ).first()
    )
    if row is None or row[0].status != ProductStatus.ACTIVE:
        raise NotFound(f"Product {shown(line.sku)} is not on sale in warehouse {warehouse.code}.")
    product, level = row
    if not reserve(session, warehouse.id, product.id, line.quantity):
        available = session.scalar(select(StockLevel.on_hand - StockLevel.reserved).where(StockLevel.id == level.id))
        raise OutOfStock(
            f"Only {available} {product.unit} of {product.sku} ({product.name}) are available in "
            f"{warehouse.code}; {line.quantity} were ordered."
        )
    return product, level.price


def cancel_order(store: Store, *, buyer_code: str, order_number: str, reason: str, now: datetime) -> None:
    """Before acceptance at any time; after it only once the packing or delivery deadline passed."""
    now = require_aware(now)
    reason = clean_text(reason, what="cancellation reason", field="reason", max_length=MAX_CANCEL_REASON)
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
        what="complaint description",
        field="description",
        max_length=MAX_COMPLAINT,
        multiline=True,
        required="A complaint needs a description of the problem.",
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
    note = clean_text(courier_note, what="courier's note", field="courier_note", max_length=MAX_COURIER_NOTE)
    number = lookup_text(order_number, max_length=MAX_ORDER_NUMBER)
    with store.transaction() as session:
        order = None if number is None else session.scalar(select(Order).where(Order.order_number == number))
        if order is None:
            raise NotFound(f"Order {shown(order_number)} does not exist.")
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
