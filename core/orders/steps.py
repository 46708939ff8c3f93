"""Applying one lifecycle step to a stored order, inside the caller's transaction.

The status update is guarded by the status the order was read in (`WHERE status = :expected`),
so if a colleague, the buyer or the scheduler moved the order first, nothing is applied and the
person is told what happened instead. The event, the stock movement and the money record are
written in the same transaction: all or nothing.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from core.domain import ActorKind, OrderStatus, PayoutStatus, ProductStatus
from core.errors import ConcurrentChange, TransitionRefused
from core.orders.lifecycle import TRANSITIONS, OrderClock, Step, Transition, check_step
from core.formats import format_local
from core.store.models import Company, Order, OrderEvent, OrderItem, Payout, Product, Refund, StockLevel, Warehouse

ACTOR_WORDS = {ActorKind.USER: "a colleague", ActorKind.BUYER: "the buyer", ActorKind.COURIER: "the courier",
               ActorKind.SYSTEM: "the system", ActorKind.BANK: "the bank"}


EVENT_VERBS = {
    OrderStatus.PENDING_CONFIRMATION: "placed", OrderStatus.PROCESSING: "accepted", OrderStatus.READY_TO_SHIP: "packed",
    OrderStatus.SHIPPED: "shipped", OrderStatus.DELIVERED: "delivered", OrderStatus.COMPLETED: "completed",
    OrderStatus.REJECTED: "rejected", OrderStatus.CANCELLED: "cancelled", OrderStatus.COMPLAINED: "complained about",
    OrderStatus.RETURN_REQUESTED: "answered with a return", OrderStatus.REFUNDED: "refunded",
}


def clock_of(order: Order) -> OrderClock:
    return OrderClock(
        order_number=order.order_number, status=order.status,
        confirm_deadline=order.confirm_deadline, pack_deadline=order.pack_deadline,
        delivery_deadline=order.delivery_deadline, complaint_deadline=order.complaint_deadline,
        complete_deadline=order.complete_deadline,
    )


def describe_event(event: OrderEvent, time_zone: str) -> str:
    """'The system cancelled it at 26 Nov 2026 10:00 WIB (no answer within 1 business day).'"""
    reason = f" ({event.reason})" if event.reason else ""
    who = ACTOR_WORDS[event.actor_kind]
    return f"{who[0].upper()}{who[1:]} {EVENT_VERBS[event.to_status]} it at {format_local(event.at, time_zone)}{reason}."


def what_happened(session: Session, order_id: int) -> str:
    """The order's latest change, told as `describe_event` tells it ('' if it has none)."""
    row = session.execute(
        select(OrderEvent, Warehouse.time_zone).join(Order, Order.id == OrderEvent.order_id)
        .join(Warehouse, Warehouse.id == Order.warehouse_id)
        .where(OrderEvent.order_id == order_id).order_by(OrderEvent.id.desc()).limit(1)
    ).first()
    return describe_event(*row) if row else ""


def apply_step(session: Session, order: Order, step: Step, *, now: datetime, actor_kind: ActorKind,
               actor_id: str | None, reason: str | None = None, **changes) -> Transition:
    """Check and apply `step` to `order`; write its event. Stock and money are the caller's next lines."""
    try:
        transition = check_step(step, clock_of(order), now)
    except TransitionRefused as refused:
        # Refused because someone moved the order on: say who and when, not just "it is cancelled".
        if order.status not in TRANSITIONS[step].sources and (story := what_happened(session, order.id)):
            raise TransitionRefused(f"{refused.message} {story}") from None
        raise
    expected = order.status
    result = session.execute(
        update(Order).where(Order.id == order.id, Order.status == expected)
        .values(status=transition.target, updated_at=now, **changes)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        session.expire(order)
        story = what_happened(session, order.id)
        raise ConcurrentChange(
            f"Could not {transition.doing} {order.order_number}: it changed a moment ago and nothing was applied. {story}")
    session.add(OrderEvent(order_id=order.id, from_status=expected, to_status=transition.target,
                           actor_kind=actor_kind, actor_id=actor_id, reason=reason, at=now))
    session.expire(order)  # the row changed underneath the ORM object: reload on next access
    return transition


# --- stock -----------------------------------------------------------------------------------

def order_lines(session: Session, order_id: int) -> list[tuple[int, int]]:
    """(product_id, quantity) per line of an order."""
    return [(p, q) for p, q in session.execute(
        select(OrderItem.product_id, OrderItem.quantity).where(OrderItem.order_id == order_id))]


def reserve_stock(session: Session, warehouse_id: int, product_id: int, quantity: int) -> bool:
    """Reserve `quantity` if that much is available; False if not. Safe under any concurrency:
    the check and the change are one guarded UPDATE (and the schema refuses reserved > on_hand)."""
    result = session.execute(
        update(StockLevel)
        .where(StockLevel.warehouse_id == warehouse_id, StockLevel.product_id == product_id,
               StockLevel.on_hand - StockLevel.reserved >= quantity,
               # re-checked with the reservation itself: a product deleted a moment ago takes no order
               StockLevel.product_id.in_(select(Product.id).where(Product.status == ProductStatus.ACTIVE)))
        .values(reserved=StockLevel.reserved + quantity)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1


def release_stock(session: Session, warehouse_id: int, lines: list[tuple[int, int]], now: datetime) -> None:
    """A failed sale gives its reservation back."""
    for product_id, quantity in lines:
        session.execute(
            update(StockLevel).where(StockLevel.warehouse_id == warehouse_id, StockLevel.product_id == product_id)
            .values(reserved=StockLevel.reserved - quantity, updated_at=now)
            .execution_options(synchronize_session=False))


def take_stock(session: Session, warehouse_id: int, lines: list[tuple[int, int]], now: datetime) -> None:
    """Shipping takes the reserved units off the shelf."""
    for product_id, quantity in lines:
        session.execute(
            update(StockLevel).where(StockLevel.warehouse_id == warehouse_id, StockLevel.product_id == product_id)
            .values(reserved=StockLevel.reserved - quantity, on_hand=StockLevel.on_hand - quantity, updated_at=now)
            .execution_options(synchronize_session=False))


def restock(session: Session, warehouse_id: int, lines: list[tuple[int, int]], now: datetime) -> None:
    """Returned goods fit to sell go back on the shelf."""
    for product_id, quantity in lines:
        session.execute(
            update(StockLevel).where(StockLevel.warehouse_id == warehouse_id, StockLevel.product_id == product_id)
            .values(on_hand=StockLevel.on_hand + quantity, updated_at=now)
            .execution_options(synchronize_session=False))


# --- money -----------------------------------------------------------------------------------

def create_payout(session: Session, order: Order, *, trigger: str, now: datetime) -> None:
    """The full order amount to the seller's payout account; no fees. One per order (schema)."""
    company = session.get(Company, order.company_id)
    session.add(Payout(
        order_id=order.id, company_id=order.company_id, amount=order.total_amount,
        bank_name=company.payout_bank_name, account_number=company.payout_account_number,
        account_holder=company.payout_account_holder, status=PayoutStatus.PENDING, trigger=trigger, created_at=now,
    ))


def create_refund(session: Session, order: Order, *, reason: str, now: datetime) -> None:
    """The full order amount back to the buyer. One per order (schema)."""
    session.add(Refund(order_id=order.id, company_id=order.company_id, amount=order.total_amount,
                       reason=reason, created_at=now))

