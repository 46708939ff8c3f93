"""What Sales Management shows of one order (its detail with its timeline, money and ship-to) and the
Dashboard's orders that need action soonest. The stages, their counts and the search over every
order are in core.orders.search.

Every read goes through `acting` (read-only) and is filtered by the actor's company; it returns small
view dataclasses, never rows of the store. The deadline that matters in each status and whose turn
it is come from the lifecycle table (core.orders.lifecycle.WAITING).

What these views say in words (the action due, the timeline's lines, who changed the order last,
what the system recorded as a reason) is in the reader's language (core.i18n.using) when it is
built or read; names and what people typed stay as typed.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from sqlalchemy import case, select
from sqlalchemy.orm import Session

from core.acting import Actor, acting
from core.domain import ActorKind, ComplaintResolution, FailureKind, OrderStatus, PayoutStatus, Role
from core.i18n import N_, gettext
from core.orders.lifecycle import WAITING, OrderClock, Step, available_steps, refused_steps
from core.orders.seller import own_order
from core.orders.steps import actor_names, clock_of, describe_event, event_sentence, said_text
from core.store.database import Store
from core.store.models import Buyer, Complaint, Order, OrderEvent, OrderItem, Payout, Refund, Shipment, Warehouse

PM = Role.PRODUCT_MANAGER
SEE_ORDERS = N_("see orders")

#: For each status that has one, the orders column holding the deadline that matters now.
DEADLINE_COLUMNS = {status: getattr(Order, w.deadline) for status, w in WAITING.items() if w.deadline}


def deadline_that_matters():
    """SQL for each order's deadline that matters in its status (NULL when none: finished, or a return
    on its way back), from the lifecycle's WAITING table."""
    return case(*((Order.status == status, column) for status, column in DEADLINE_COLUMNS.items()))


@dataclass(frozen=True)
class OrderNeedingAction:
    order_number: str
    status: OrderStatus
    action: str  # what is due next, in the reader's language ("accept or reject")
    deadline: datetime
    time_left: timedelta
    warehouse_code: str
    time_zone: str
    buyer_name: str
    total_amount: int


def orders_needing_action(store: Store, actor: Actor, now: datetime, limit: int = 20) -> list[OrderNeedingAction]:
    """The company's open orders ordered by their nearest deadline, with the time left (negative: overdue)."""
    with acting(store, actor, PM, doing=SEE_ORDERS, now=now, write=False) as (session, _user, now):
        deadline = deadline_that_matters().label("deadline")
        query = (
            select(
                Order.order_number,
                Order.status,
                deadline,
                Warehouse.code,
                Warehouse.time_zone,
                Buyer.name,
                Order.total_amount,
            )
            .join(Warehouse, Warehouse.id == Order.warehouse_id)
            .join(Buyer, Buyer.id == Order.buyer_id)
            .where(Order.company_id == actor.company_id, Order.status.in_(list(DEADLINE_COLUMNS)))
            .order_by(deadline.asc())
            .limit(limit)
        )
        return [
            OrderNeedingAction(number, status, gettext(WAITING[status].next), due, due - now, code, zone, buyer, total)
            for number, status, due, code, zone, buyer, total in session.execute(query)
            if due is not None
        ]


# --- one order -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class OrderFacts:
    order_number: str
    status: OrderStatus
    total_amount: int
    item_count: int
    placed_at: datetime
    closed_at: datetime | None
    completed_at: datetime | None
    confirm_deadline: datetime | None
    pack_deadline: datetime | None
    delivery_deadline: datetime | None
    complaint_deadline: datetime | None
    complete_deadline: datetime | None
    failure_kind: FailureKind | None
    failure_reason: str | None


@dataclass(frozen=True)
class WarehouseRef:
    code: str
    name: str
    time_zone: str


@dataclass(frozen=True)
class BuyerRef:
    buyer_code: str
    name: str
    phone: str | None


@dataclass(frozen=True)
class ShipToView:
    """Where the goods go, as the order kept it when it was placed."""

    name: str
    phone: str | None
    address: str
    city: str


def ship_to_of(order: Order) -> ShipToView:
    return ShipToView(
        name=order.ship_to_name or "",
        phone=order.ship_to_phone or None,
        address=order.ship_to_address or "",
        city=order.ship_to_city or "",
    )


@dataclass(frozen=True)
class ItemView:
    id: int
    sku: str
    product_name: str
    quantity: int
    unit_price: int
    line_total: int


@dataclass(frozen=True)
class EventView:
    from_status: OrderStatus | None
    to_status: OrderStatus
    actor_kind: ActorKind
    actor_id: str | None
    reason: str | None
    at: datetime
    recorded_at: datetime
    actor_name: str | None = None  # the user's display name or the buyer's shop name, when known

    @property
    def sentence(self) -> str:
        """The timeline's line, in the reader's language: "accepted by Rina Wijaya (pm)", "delivered by
        the courier"."""
        return event_sentence(self, self.actor_name)


@dataclass(frozen=True)
class ShipmentView:
    courier: str
    tracking_number: str
    proof_photo: bytes
    proof_mime: str
    shipped_at: datetime


@dataclass(frozen=True)
class ComplaintView:
    description: str
    filed_at: datetime
    answer_deadline: datetime
    resolution: ComplaintResolution | None
    answer_note: str | None
    answered_at: datetime | None
    return_received_at: datetime | None
    restocked: bool


@dataclass(frozen=True)
class PayoutView:
    amount: int
    status: PayoutStatus
    trigger: str
    created_at: datetime
    paid_at: datetime | None
    transfer_reference: str | None


@dataclass(frozen=True)
class RefundView:
    amount: int
    reason: str
    created_at: datetime


@dataclass(frozen=True)
class OrderDetail:
    order: OrderFacts
    clock: OrderClock
    warehouse: WarehouseRef
    buyer: BuyerRef
    ship_to: ShipToView
    items: list[ItemView]
    events: list[EventView]
    shipment: ShipmentView | None
    complaint: ComplaintView | None
    payout: PayoutView | None
    refund: RefundView | None

    @property
    def last_change(self) -> str:
        """Who moved the order last, when and why, in the reader's language: for someone whose view of
        it is out of date."""
        return describe_event(self.events[-1], self.warehouse.time_zone).render() if self.events else ""


def seller_steps(order: OrderClock, at: datetime) -> tuple[list[Step], dict[Step, str]]:
    """What the seller's staff may do to `order` as it was at `at` (e.g. when they opened it), and the
    steps from its status they may not take, with why not in the reader's language (core.orders.lifecycle)."""
    return available_steps(order, ActorKind.USER, at), refused_steps(order, ActorKind.USER, at)


def _view(cls, row):
    return None if row is None else cls(**{name: getattr(row, name) for name in cls.__dataclass_fields__})


def _recorded_read(view, column: str):
    """The view with what the system recorded in `column` in the reader's language (typed text as typed)."""
    return None if view is None else replace(view, **{column: said_text(getattr(view, column))})


def events_of(session: Session, order: Order) -> list[EventView]:
    """The order's timeline, oldest first, each event with the name of who took the step."""
    events = session.scalars(
        select(OrderEvent).where(OrderEvent.order_id == order.id).order_by(OrderEvent.at, OrderEvent.id)
    ).all()
    names = actor_names(session, order.company_id, events)
    return [
        EventView(
            **{name: getattr(event, name) for name in EventView.__dataclass_fields__ if name != "actor_name"},
            actor_name=names.get(event.actor_id or ""),
        )
        for event in events
    ]


def order_detail(store: Store, actor: Actor, order_number: str) -> OrderDetail:
    with acting(store, actor, PM, doing=SEE_ORDERS, write=False) as (session, _user, _now):
        order = own_order(session, actor, order_number)
        by_order = lambda model: session.scalar(select(model).where(model.order_id == order.id))  # noqa: E731
        return OrderDetail(
            order=_recorded_read(_view(OrderFacts, order), "failure_reason"),
            clock=clock_of(order),
            warehouse=_view(WarehouseRef, session.get(Warehouse, order.warehouse_id)),
            buyer=_view(BuyerRef, session.get(Buyer, order.buyer_id)),
            ship_to=ship_to_of(order),
            items=[
                _view(ItemView, item)
                for item in session.scalars(
                    select(OrderItem).where(OrderItem.order_id == order.id).order_by(OrderItem.id)
                )
            ],
            events=events_of(session, order),
            shipment=_view(ShipmentView, by_order(Shipment)),
            complaint=_recorded_read(_view(ComplaintView, by_order(Complaint)), "answer_note"),
            payout=_view(PayoutView, by_order(Payout)),
            refund=_recorded_read(_view(RefundView, by_order(Refund)), "reason"),
        )
