"""What the bank's buyer app may read and do over the API, each call checked against the client's scope
first: the sellers and their warehouses, a seller's catalogue page by page, and a buyer's orders
(place, read, list, cancel, confirm receipt, complain).

Steps go through core.orders.buyer_channel (the lifecycle's guards and effects, once); this module
only adds the client's authorization and the read models the app shows. Pages are by cursor: an
opaque token naming the last row given, so a page never repeats or skips a row when rows are added.
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any, Generic, TypeVar

from sqlalchemy import select, tuple_

from core.clock import require_aware
from core.domain import ApiScope, ProductStatus, WarehouseStatus
from core.errors import InvalidInput, NotFound
from core.i18n import N_, _
from core.integration.clients import ApiClientRef, require_scope
from core.orders import buyer_channel
from core.orders.buyer_channel import MAX_CODE, OrderLine, ShipTo
from core.orders.lifecycle import TRANSITIONS, Step
from core.orders.seller import MAX_ORDER_NUMBER
from core.store.database import Store
from core.store.models import Buyer, Company, Order, OrderEvent, OrderItem, Product, StockLevel, Warehouse
from core.text import lookup_text, shown

MAX_PAGE = 200
T = TypeVar("T")
DEFAULT_PAGE = 50


@dataclass(frozen=True)
class WarehouseView:
    code: str
    name: str
    time_zone: str
    is_open: bool


@dataclass(frozen=True)
class SellerView:
    company_code: str
    name: str
    contact_phone: str | None
    warehouses: list[WarehouseView]


@dataclass(frozen=True)
class OfferView:
    warehouse_code: str
    sku: str
    name: str
    unit: str
    price: int
    available: int


@dataclass(frozen=True)
class Page(Generic[T]):
    items: list[T]
    next_cursor: str | None


@dataclass(frozen=True)
class LineView:
    sku: str
    name: str
    quantity: int
    unit_price: int
    line_total: int


@dataclass(frozen=True)
class EventView:
    status: str
    by: str
    at: datetime
    reason: str | None


@dataclass(frozen=True)
class OrderView:
    number: str
    status: str
    seller: str
    warehouse: str
    buyer: str
    total_amount: int
    placed_at: datetime
    deadlines: dict[str, datetime]
    ship_to: dict[str, str | None]
    failure: dict[str, str | None] | None
    lines: list[LineView]
    events: list[EventView]


def _buying(client: ApiClientRef, doing: str) -> None:
    require_scope(client, ApiScope.BUYER_APP, doing)


def _cursor(values: list[Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(values).encode()).decode().rstrip("=")


def _after(cursor: str | None, shape: tuple[type, ...]) -> list[Any] | None:
    """The row a cursor names, or InvalidInput: a cursor is only ever one this API gave."""
    if cursor is None:
        return None
    try:
        values = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except (binascii.Error, ValueError, UnicodeDecodeError):
        values = None
    if not isinstance(values, list) or len(values) != len(shape) or not all(map(isinstance, values, shape)):
        raise InvalidInput(_("The cursor is not one this API gave: start again without it."), field="cursor")
    return values


def _limit(limit: int) -> int:
    if not 1 <= limit <= MAX_PAGE:
        raise InvalidInput(_("A page holds from 1 to {most} rows.", most=MAX_PAGE), field="limit")
    return limit


def sellers(store: Store, client: ApiClientRef, *, now: datetime) -> list[SellerView]:
    """The whitelisted sellers, their contact phone and warehouses (closed ones marked so)."""
    _buying(client, N_("list the sellers"))
    with store.reading() as session:
        companies = session.scalars(
            select(Company).where(Company.is_whitelisted.is_(True)).order_by(Company.company_code)
        ).all()
        warehouses = session.scalars(
            select(Warehouse).where(Warehouse.company_id.in_([c.id for c in companies])).order_by(Warehouse.code)
        ).all()
    by_company: dict[int, list[WarehouseView]] = {}
    for w in warehouses:
        view = WarehouseView(w.code, w.name, w.time_zone, w.status == WarehouseStatus.OPEN)
        by_company.setdefault(w.company_id, []).append(view)
    return [SellerView(c.company_code, c.name, c.contact_phone, by_company.get(c.id, [])) for c in companies]


def catalogue(
    store: Store,
    client: ApiClientRef,
    *,
    company_code: str,
    now: datetime,
    warehouse_code: str | None = None,
    cursor: str | None = None,
    limit: int = DEFAULT_PAGE,
) -> Page[OfferView]:
    """A seller's products on sale, one row per open warehouse that holds them, with the price there
    and the units available (on hand less reserved; 0 is shown, sold out), by warehouse then SKU."""
    _buying(client, N_("read the catalogue"))
    after, limit = _after(cursor, (str, str)), _limit(limit)
    code = lookup_text(company_code, max_length=MAX_CODE)
    with store.reading() as session:
        company = None if code is None else session.scalar(select(Company).where(Company.company_code == code))
        if company is None or not company.is_whitelisted:
            raise NotFound(_("Seller {seller} is not registered for Kopra Partnership.", seller=shown(company_code)))
        query = (
            select(
                Warehouse.code,
                Product.sku,
                Product.name,
                Product.unit,
                StockLevel.price,
                StockLevel.on_hand - StockLevel.reserved,
            )
            .join(Warehouse, Warehouse.id == StockLevel.warehouse_id)
            .join(Product, Product.id == StockLevel.product_id)
            .where(
                Warehouse.company_id == company.id,
                Warehouse.status == WarehouseStatus.OPEN,
                Product.status == ProductStatus.ACTIVE,
            )
            .order_by(Warehouse.code, Product.sku)
            .limit(limit + 1)
        )
        if warehouse_code is not None:
            query = query.where(Warehouse.code == (lookup_text(warehouse_code, max_length=MAX_CODE) or ""))
        if after is not None:
            query = query.where(tuple_(Warehouse.code, Product.sku) > tuple_(*after))
        rows = session.execute(query).all()
    offers = [OfferView(*row[:5], max(0, row[5])) for row in rows[:limit]]
    more = len(rows) > limit
    return Page(offers, _cursor([offers[-1].warehouse_code, offers[-1].sku]) if more else None)


def place_order(
    store: Store,
    client: ApiClientRef,
    *,
    buyer_code: str,
    company_code: str,
    warehouse_code: str,
    lines: list[OrderLine],
    now: datetime,
    ship_to: ShipTo | None = None,
    delivery_address: str | None = None,
) -> OrderView:
    """Place the order; answer with it as `order` would show it now, made from what placing wrote
    (reading it back would cost more than placing it)."""
    _buying(client, N_("place orders"))
    placed = buyer_channel.place_order(
        store,
        buyer_code=buyer_code,
        company_code=company_code,
        warehouse_code=warehouse_code,
        lines=lines,
        now=now,
        ship_to=ship_to,
        delivery_address=delivery_address,
    )
    placing = TRANSITIONS[Step.PLACE]
    return OrderView(
        number=placed.order_number,
        status=str(placing.target),
        seller=placed.seller,
        warehouse=placed.warehouse,
        buyer=placed.buyer,
        total_amount=placed.total_amount,
        placed_at=placed.placed_at,
        deadlines={"confirm": placed.confirm_deadline},
        ship_to=asdict(placed.ship_to),
        failure=None,
        lines=[LineView(li.sku, li.name, li.quantity, li.unit_price, li.line_total) for li in placed.lines],
        events=[_event_view(placing.target, placing.actor, placed.placed_at, placing.reason)],
    )


def cancel_order(
    store: Store, client: ApiClientRef, *, buyer_code: str, order_number: str, reason: str, now: datetime
) -> OrderView:
    _buying(client, N_("cancel orders"))
    buyer_channel.cancel_order(store, buyer_code=buyer_code, order_number=order_number, reason=reason, now=now)
    return order(store, client, buyer_code=buyer_code, order_number=order_number, now=now)


def confirm_receipt(
    store: Store, client: ApiClientRef, *, buyer_code: str, order_number: str, now: datetime
) -> OrderView:
    _buying(client, N_("confirm receipt of orders"))
    buyer_channel.confirm_receipt(store, buyer_code=buyer_code, order_number=order_number, now=now)
    return order(store, client, buyer_code=buyer_code, order_number=order_number, now=now)


def file_complaint(
    store: Store, client: ApiClientRef, *, buyer_code: str, order_number: str, description: str, now: datetime
) -> OrderView:
    _buying(client, N_("file complaints"))
    buyer_channel.file_complaint(
        store, buyer_code=buyer_code, order_number=order_number, description=description, now=now
    )
    return order(store, client, buyer_code=buyer_code, order_number=order_number, now=now)


def _buyer_id(session, buyer_code: str) -> int:
    code = lookup_text(buyer_code, max_length=MAX_CODE)
    found = None if code is None else session.scalar(select(Buyer.id).where(Buyer.buyer_code == code))
    if found is None:
        raise NotFound(buyer_channel.unknown_buyer(buyer_code))
    return found


def order(store: Store, client: ApiClientRef, *, buyer_code: str, order_number: str, now: datetime) -> OrderView:
    """One of the buyer's orders as it stands: status, deadlines, where it goes, lines and history.
    Read in the caller's unit of work when there is one (so a step's answer shows the step)."""
    _buying(client, N_("read orders"))
    require_aware(now)
    with store.reading() as session:
        number = lookup_text(order_number, max_length=MAX_ORDER_NUMBER)
        code = lookup_text(buyer_code, max_length=MAX_CODE)
        row = (
            None
            if number is None or code is None
            else session.execute(
                select(Order, Company.company_code, Warehouse.code, Buyer.buyer_code)
                .join(Company, Company.id == Order.company_id)
                .join(Warehouse, Warehouse.id == Order.warehouse_id)
                .join(Buyer, Buyer.id == Order.buyer_id)
                .where(Order.order_number == number, Buyer.buyer_code == code)
            ).first()
        )
        if row is None:
            _buyer_id(session, buyer_code)  # an unknown buyer is said so; a known one does not have this order
            raise NotFound(
                _(
                    "Order {number} is not one of buyer {buyer}'s orders.",
                    number=shown(order_number),
                    buyer=shown(buyer_code),
                )
            )
        found, seller, warehouse, buyer = row
        items = session.scalars(select(OrderItem).where(OrderItem.order_id == found.id).order_by(OrderItem.id)).all()
        events = session.scalars(
            select(OrderEvent).where(OrderEvent.order_id == found.id).order_by(OrderEvent.id)
        ).all()
    return _order_view(found, seller, warehouse, buyer, items, events)


def _order_view(found: Order, seller: str, warehouse: str, buyer: str, items, events) -> OrderView:
    deadlines = {
        name: value
        for name in ("confirm", "pack", "delivery", "complaint", "complete")
        if (value := getattr(found, f"{name}_deadline")) is not None
    }
    return OrderView(
        number=found.order_number,
        status=str(found.status),
        seller=seller,
        warehouse=warehouse,
        buyer=buyer,
        total_amount=found.total_amount,
        placed_at=found.placed_at,
        deadlines=deadlines,
        ship_to={
            "name": found.ship_to_name,
            "phone": found.ship_to_phone,
            "address": found.ship_to_address,
            "city": found.ship_to_city,
        },
        failure=None
        if found.failure_kind is None
        else {"kind": str(found.failure_kind), "reason": found.failure_reason},
        lines=[LineView(i.sku, i.product_name, i.quantity, i.unit_price, i.line_total) for i in items],
        events=[_event_view(e.to_status, e.actor_kind, e.at, e.reason) for e in events],
    )


def _event_view(status: Any, actor: Any, at: datetime, reason: str | None) -> EventView:
    """A line of the order's history as the API shows it: the status and the actor's kind as text."""
    return EventView(str(status), str(actor).lower(), at, reason)


@dataclass(frozen=True)
class OrderSummary:
    number: str
    status: str
    seller: str
    warehouse: str
    total_amount: int
    placed_at: datetime


def buyer_orders(
    store: Store,
    client: ApiClientRef,
    *,
    buyer_code: str,
    now: datetime,
    cursor: str | None = None,
    limit: int = DEFAULT_PAGE,
) -> Page[OrderSummary]:
    """A buyer's orders, newest first."""
    _buying(client, N_("list orders"))
    after, limit = _after(cursor, (int,)), _limit(limit)
    with store.reading() as session:
        buyer_id = _buyer_id(session, buyer_code)
        query = (
            select(
                Order.id,
                Order.order_number,
                Order.status,
                Company.company_code,
                Warehouse.code,
                Order.total_amount,
                Order.placed_at,
            )
            .join(Company, Company.id == Order.company_id)
            .join(Warehouse, Warehouse.id == Order.warehouse_id)
            .where(Order.buyer_id == buyer_id)
            .order_by(Order.id.desc())
            .limit(limit + 1)
        )
        if after is not None:
            query = query.where(Order.id < after[0])
        rows = session.execute(query).all()
    page = rows[:limit]
    items = [OrderSummary(r[1], str(r[2]), r[3], r[4], r[5], r[6]) for r in page]
    return Page(items, _cursor([page[-1][0]]) if len(rows) > limit else None)
