"""What a lifecycle step writes, each piece once, in two shapes side by side.

- the step's own record: the order moved (guarded by the status it was read in), its timestamps and
  failure set, its event (who, when it took effect, when it was recorded, why), and its outbox event
  for the world outside (core.integration.outbox);
- its effects on stock and money (core.orders.lifecycle.Effect): reserve, release, take, restock,
  payout, refund, and closing an unanswered complaint.

The per-order shape serves a person's step (and any step applied to one order); the set-based shape
serves the sweep's batches: one statement per table for thousands of orders, effective times read
from each order's own deadline. `tests/core/orders/test_effects.py` walks the transition table and
checks that both shapes leave identical stores for every automatic step, and that every effect of an
automatic step has its set-based shape here.

An automatic step takes effect at its deadline (`Transition.takes_effect_at`): that is its event's
`at`, the closing or completion time and the money record's date; `recorded_at` and `updated_at` say
when the sweep actually wrote it.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Column, Integer, and_, any_, bindparam, func, insert, literal, select, update
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Session

from core.domain import ActorKind, ComplaintResolution, OrderStatus, PayoutStatus, ProductStatus
from core.i18n import N_
from core.integration import outbox
from core.orders.lifecycle import RESERVING_STATUSES, Effect, Transition
from core.store.database import rowcount
from core.store.models import (
    Company,
    Order,
    OrderEvent,
    OrderItem,
    Payout,
    Refund,
    UtcDateTime,
    companies_t,
    complaints_t,
    events_t,
    items_t,
    orders_t,
    payouts_t,
    products_t,
    refunds_t,
    stock_t,
)

#: What the complaint says when the seller let the time to answer pass (stored in English, a msgid:
#: translated where shown, core.orders.steps.said).
UNANSWERED_NOTE = N_("not answered within 2 calendar days")


@dataclass(frozen=True)
class MovedOrder:
    """An order one step has just moved: what its effects need to know."""

    id: int
    company_id: int
    warehouse_id: int
    total_amount: int
    source: OrderStatus | None  # the status it left


def among(column, ids: list[int], dialect: str):
    """`column IN ids` with the ids as one parameter instead of thousands: on PostgreSQL `= ANY(array)`,
    which it plans several times faster for batch-sized lists; on SQLite the members of a JSON array
    (json_each), as expanding a sweep batch's 20,000 ids into placeholders cost SQLAlchemy 1.3 s of
    compiling per 100,000 orders, a fifth of the sweep."""
    if dialect == "postgresql":
        return column == any_(literal(ids, ARRAY(Integer)))
    members = func.json_each(literal(json.dumps(ids))).table_valued("value")
    return column.in_(select(members.c.value))


def automatic_source(transition: Transition) -> OrderStatus:
    """The one status an automatic step moves orders from (only placing starts from no order)."""
    (source,) = transition.sources
    if source is None:
        raise ValueError(f"{transition.step} starts from no order, so it cannot be applied to stored orders")
    return source


def effective_deadline(transition: Transition) -> Column[Any]:
    """The orders column an automatic step falls due and takes effect at."""
    if transition.takes_effect_at is None:
        raise ValueError(f"{transition.step} is not automatic: it has no deadline to take effect at")
    return orders_t.c[transition.takes_effect_at]


def _time(at: Any):
    """A moment for SQL: a datetime as a typed parameter, a column (each order's deadline) as it is."""
    return literal(at, UtcDateTime()) if isinstance(at, datetime) else at


def order_changes(transition: Transition, at: Any, now: datetime, failure_reason: str | None = None) -> dict:
    """The columns a step sets on the order, in both shapes: its timestamps at the effective time
    (where still empty), its failure, and `updated_at` at the time of writing."""
    values: dict[str, Any] = {"status": transition.target.value, "updated_at": now}
    for column in transition.stamps:
        values[column] = func.coalesce(orders_t.c[column], _time(at))
    if transition.failure:
        values["failure_kind"] = transition.failure.value
        values["failure_reason"] = failure_reason or transition.failure_reason
    return values


# --- the step's own record -----------------------------------------------------------------------


def record_step(
    session: Session,
    order: Order,
    transition: Transition,
    *,
    at: datetime,
    now: datetime,
    actor_id: str | None,
    reason: str | None,
    failure_reason: str | None = None,
    changes: dict | None = None,
) -> MovedOrder | None:
    """Per order: move `order` from the status it was read in, and write the event. None if
    someone moved it first (nothing written)."""
    moved = MovedOrder(order.id, order.company_id, order.warehouse_id, order.total_amount, OrderStatus(order.status))
    values = {**order_changes(transition, at, now, failure_reason), **(changes or {})}
    result = session.execute(
        update(orders_t).where(orders_t.c.id == order.id, orders_t.c.status == moved.source).values(**values)
    )
    if rowcount(result) != 1:
        return None
    session.add(
        OrderEvent(
            order_id=order.id,
            from_status=moved.source,
            to_status=transition.target,
            actor_kind=transition.actor,
            actor_id=actor_id,
            reason=reason,
            at=at,
            recorded_at=now,
        )
    )
    outbox.record_order_step(
        session, order_id=order.id, company_id=order.company_id, transition=transition, at=at, now=now
    )
    return moved


def record_steps(
    session: Session, transition: Transition, ids: list[int], now: datetime, actor_id: str
) -> list[tuple[int, str]]:
    """Set-based, for an automatic step: move those of `ids` still in the step's source status, each
    at its own deadline, and write their events. Returns (id, order number) of the moved ones."""
    source = automatic_source(transition)
    dialect = session.get_bind().dialect.name
    at = effective_deadline(transition)
    moved = session.execute(
        update(orders_t)
        .where(among(orders_t.c.id, ids, dialect), orders_t.c.status == source.value)
        .values(**order_changes(transition, at, now))
        .returning(orders_t.c.id, orders_t.c.order_number)
    ).all()
    moved_ids = [row[0] for row in moved]
    if moved_ids:
        session.execute(
            insert(events_t).from_select(
                ["order_id", "from_status", "to_status", "actor_kind", "actor_id", "reason", "at", "recorded_at"],
                select(
                    orders_t.c.id,
                    literal(source.value),
                    literal(transition.target.value),
                    literal(ActorKind.SYSTEM.value),
                    literal(actor_id),
                    literal(transition.reason),
                    at,
                    literal(now, UtcDateTime()),
                ).where(among(orders_t.c.id, moved_ids, dialect)),
            )
        )
        outbox.record_order_steps(session, among(orders_t.c.id, moved_ids, dialect), transition, at, now)
    return [(row[0], row[1]) for row in moved]


# --- stock ---------------------------------------------------------------------------------------


#: Reserve :quantity of :product_id in :warehouse_id if that much is available, returning the price
#: there: built once, as every order placed runs it for each line.
_RESERVE = (
    update(stock_t)
    .where(
        stock_t.c.warehouse_id == bindparam("warehouse"),
        stock_t.c.product_id == bindparam("product"),
        stock_t.c.on_hand - stock_t.c.reserved >= bindparam("quantity"),
        # re-checked with the reservation itself: a product deleted a moment ago takes no order
        stock_t.c.product_id.in_(select(products_t.c.id).where(products_t.c.status == ProductStatus.ACTIVE)),
    )
    .values(reserved=stock_t.c.reserved + bindparam("quantity"))
    .returning(stock_t.c.price)
)


def reserve(session: Session, warehouse_id: int, product_id: int, quantity: int) -> int | None:
    """Reserve `quantity` if that much is available and return the unit price the order keeps (read
    from the row as it was reserved); None if not. Safe under any concurrency: the check and the change
    are one guarded UPDATE (and the schema refuses reserved > on_hand). Placing reserves line by line,
    so this effect has no set-based shape."""
    params = {"warehouse": warehouse_id, "product": product_id, "quantity": quantity}
    return session.execute(_RESERVE, params).scalar()


def _lines(session: Session, order_id: int) -> list[tuple[int, int]]:
    return [
        (p, q)
        for p, q in session.execute(
            select(OrderItem.product_id, OrderItem.quantity).where(OrderItem.order_id == order_id)
        )
    ]


def _change_stock(session: Session, order: MovedOrder, now: datetime, *, reserved: int, on_hand: int) -> None:
    """Each line's quantity times the given signs, on the order's warehouse."""
    for product_id, quantity in _lines(session, order.id):
        session.execute(
            update(stock_t)
            .where(stock_t.c.warehouse_id == order.warehouse_id, stock_t.c.product_id == product_id)
            .values(
                reserved=stock_t.c.reserved + reserved * quantity,
                on_hand=stock_t.c.on_hand + on_hand * quantity,
                updated_at=now,
            )
        )


def release(session: Session, order: MovedOrder, transition: Transition, at: datetime, now: datetime) -> None:
    if order.source in RESERVING_STATUSES:  # a shipped order's units already left the shelf
        _change_stock(session, order, now, reserved=-1, on_hand=0)


def release_many(session: Session, order_ids: list[int], transition: Transition, now: datetime) -> None:
    (source,) = transition.sources
    if source not in RESERVING_STATUSES:
        return
    totals = session.execute(
        select(orders_t.c.warehouse_id, items_t.c.product_id, func.sum(items_t.c.quantity))
        .join(items_t, items_t.c.order_id == orders_t.c.id)
        .where(among(orders_t.c.id, order_ids, session.get_bind().dialect.name))
        .group_by(orders_t.c.warehouse_id, items_t.c.product_id)
    ).all()
    if totals:
        session.execute(
            update(stock_t)
            .where(and_(stock_t.c.warehouse_id == bindparam("w"), stock_t.c.product_id == bindparam("p")))
            .values(reserved=stock_t.c.reserved - bindparam("q"), updated_at=bindparam("now", type_=UtcDateTime())),
            [{"w": w, "p": p, "q": q, "now": now} for w, p, q in totals],
        )


def take(session: Session, order: MovedOrder, transition: Transition, at: datetime, now: datetime) -> None:
    _change_stock(session, order, now, reserved=-1, on_hand=-1)


def restock(session: Session, order: MovedOrder, transition: Transition, at: datetime, now: datetime) -> None:
    _change_stock(session, order, now, reserved=0, on_hand=+1)


# --- money ---------------------------------------------------------------------------------------


def payout(session: Session, order: MovedOrder, transition: Transition, at: datetime, now: datetime) -> None:
    """The full order amount to the seller's payout account as it is now; no fees."""
    company = session.get_one(Company, order.company_id)
    session.add(
        Payout(
            order_id=order.id,
            company_id=order.company_id,
            amount=order.total_amount,
            bank_name=company.payout_bank_name,
            account_number=company.payout_account_number,
            account_holder=company.payout_account_holder,
            status=PayoutStatus.PENDING,
            trigger=transition.payout_trigger,
            created_at=at,
        )
    )


def payout_many(session: Session, order_ids: list[int], transition: Transition, now: datetime) -> None:
    session.execute(
        insert(payouts_t).from_select(
            [
                "order_id",
                "company_id",
                "amount",
                "bank_name",
                "account_number",
                "account_holder",
                "status",
                "trigger",
                "created_at",
            ],
            select(
                orders_t.c.id,
                orders_t.c.company_id,
                orders_t.c.total_amount,
                companies_t.c.payout_bank_name,
                companies_t.c.payout_account_number,
                companies_t.c.payout_account_holder,
                literal(PayoutStatus.PENDING.value),
                literal(transition.payout_trigger),
                effective_deadline(transition),
            )
            .join(companies_t, companies_t.c.id == orders_t.c.company_id)
            .where(among(orders_t.c.id, order_ids, session.get_bind().dialect.name)),
        )
    )


def refund(session: Session, order: MovedOrder, transition: Transition, at: datetime, now: datetime) -> None:
    """The full order amount back to the buyer."""
    session.add(
        Refund(
            order_id=order.id,
            company_id=order.company_id,
            amount=order.total_amount,
            reason=transition.refund_reason,
            created_at=at,
        )
    )


def refund_many(session: Session, order_ids: list[int], transition: Transition, now: datetime) -> None:
    session.execute(
        insert(refunds_t).from_select(
            ["order_id", "company_id", "amount", "reason", "created_at"],
            select(
                orders_t.c.id,
                orders_t.c.company_id,
                orders_t.c.total_amount,
                literal(transition.refund_reason),
                effective_deadline(transition),
            ).where(among(orders_t.c.id, order_ids, session.get_bind().dialect.name)),
        )
    )


def _close_unanswered(session: Session, where, at) -> None:
    session.execute(
        update(complaints_t)
        .where(where, complaints_t.c.resolution.is_(None))
        .values(resolution=ComplaintResolution.AUTO_REFUND.value, answered_at=at, answer_note=UNANSWERED_NOTE)
    )


def close_unanswered_complaint(
    session: Session, order: MovedOrder, transition: Transition, at: datetime, now: datetime
) -> None:
    _close_unanswered(session, complaints_t.c.order_id == order.id, _time(at))


def close_unanswered_complaints(session: Session, order_ids: list[int], transition: Transition, now: datetime) -> None:
    deadline = select(effective_deadline(transition)).where(orders_t.c.id == complaints_t.c.order_id).scalar_subquery()
    _close_unanswered(session, among(complaints_t.c.order_id, order_ids, session.get_bind().dialect.name), deadline)


# --- the two shapes, by effect -------------------------------------------------------------------

PerOrder = Callable[[Session, MovedOrder, Transition, datetime, datetime], None]
SetBased = Callable[[Session, list[int], Transition, datetime], None]

#: RESERVE is carried out line by line while the order is placed (see `reserve`).
PER_ORDER: dict[Effect, PerOrder] = {
    Effect.RELEASE: release,
    Effect.TAKE: take,
    Effect.RESTOCK: restock,
    Effect.PAYOUT: payout,
    Effect.REFUND: refund,
    Effect.CLOSE_UNANSWERED_COMPLAINT: close_unanswered_complaint,
}
#: The effects of automatic steps, for the sweep's batches.
SET_BASED: dict[Effect, SetBased] = {
    Effect.RELEASE: release_many,
    Effect.PAYOUT: payout_many,
    Effect.REFUND: refund_many,
    Effect.CLOSE_UNANSWERED_COMPLAINT: close_unanswered_complaints,
}


def apply_effects(
    session: Session,
    order: MovedOrder,
    transition: Transition,
    *,
    at: datetime,
    now: datetime,
    restock_goods: bool = False,
) -> None:
    """Per order: every effect of the step (RESTOCK only when the goods are fit to sell)."""
    for effect in transition.effects:
        if effect == Effect.RESERVE or (effect == Effect.RESTOCK and not restock_goods):
            continue
        PER_ORDER[effect](session, order, transition, at, now)


def apply_effects_many(session: Session, order_ids: list[int], transition: Transition, now: datetime) -> None:
    """Set-based: every effect of an automatic step, for a batch of orders it moved."""
    for effect in transition.effects:
        SET_BASED[effect](session, order_ids, transition, now)
