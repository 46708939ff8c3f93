"""The transactional outbox: every order step and every payout paid, written in the same transaction as
the step itself, so what the world hears of (webhooks, notifications) is exactly what was committed.
The seller's staff are told in the same transaction too (core.notifications.notify, beside each event).

Steps write here through core.orders.effects (both shapes: one order, or the sweep's set-based
batches) and core.orders.steps.open_order; the payout run writes `payout.paid`. Readers
(core.integration.webhooks) take events in id order and turn them into what they send
(`event_document`); nothing here sends anything.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import insert, literal, select
from sqlalchemy.orm import Session

from core.domain import ActorKind
from core.notifications import notify
from core.orders.lifecycle import TRANSITIONS, Step, Transition
from core.store.models import (
    Buyer,
    Company,
    Order,
    OutboxEvent,
    Payout,
    UtcDateTime,
    Warehouse,
    orders_t,
    outbox_t,
    payouts_t,
)

#: What each step is called outside: several steps may end in one event kind (a cancellation by the
#: buyer or by the system); the document says which step and who took it.
TOPIC_OF_STEP: dict[Step, str] = {
    Step.PLACE: "order.placed",
    Step.ACCEPT: "order.accepted",
    Step.REJECT: "order.rejected",
    Step.MARK_PACKED: "order.packed",
    Step.SHIP: "order.shipped",
    Step.MARK_DELIVERED: "order.delivered",
    Step.CONFIRM_RECEIPT: "order.completed",
    Step.AUTO_COMPLETE: "order.completed",
    Step.BUYER_CANCEL: "order.cancelled",
    Step.AUTO_CANCEL: "order.cancelled",
    Step.COMPLAIN: "order.complaint_filed",
    Step.ANSWER_WITH_REFUND: "order.complaint_answered",
    Step.ANSWER_WITH_RETURN: "order.complaint_answered",
    Step.RECEIVE_RETURN: "order.refunded",
    Step.AUTO_REFUND: "order.refunded",
}
PAYOUT_PAID = "payout.paid"
TOPICS: tuple[str, ...] = (*dict.fromkeys(TOPIC_OF_STEP.values()), PAYOUT_PAID)


_INSERT_EVENT = insert(outbox_t)  # built once: every step of every order runs it


def record_order_step(
    session: Session, *, order_id: int, company_id: int, transition: Transition, at: datetime, now: datetime
) -> None:
    """One order's step, in the step's transaction."""
    session.execute(_INSERT_EVENT, {"order_id": order_id, **order_step_event(company_id, transition, at, now)})
    notify.notify_order_step(session, order_id=order_id, company_id=company_id, transition=transition, at=at, now=now)


def order_step_event(company_id: int, transition: Transition, at: datetime, now: datetime) -> dict[str, Any]:
    """The outbox row of one order's step, but for its order's id (placing writes it with the order,
    core.orders.steps.open_order)."""
    return {
        "topic": TOPIC_OF_STEP[transition.step],
        "company_id": company_id,
        "payout_id": None,
        "step": transition.step.value,
        "actor_kind": transition.actor,
        "occurred_at": at,
        "recorded_at": now,
    }


def record_order_steps(session: Session, where: Any, transition: Transition, at: Any, now: datetime) -> None:
    """The sweep's batch: one event per order `where` selects, each at its own effective time `at`."""
    session.execute(
        insert(outbox_t).from_select(
            ["topic", "company_id", "order_id", "step", "actor_kind", "occurred_at", "recorded_at"],
            select(
                literal(TOPIC_OF_STEP[transition.step]),
                orders_t.c.company_id,
                orders_t.c.id,
                literal(transition.step.value),
                literal(transition.actor.value),
                at,
                literal(now, UtcDateTime()),
            )
            .where(where)
            .order_by(orders_t.c.id),
        )
    )
    notify.notify_order_steps(session, where, transition, at, now)


def record_payouts_paid(session: Session, where: Any, now: datetime) -> None:
    """Payouts just marked paid (`where` selects them), in the payout run's transaction."""
    session.execute(
        insert(outbox_t).from_select(
            ["topic", "company_id", "order_id", "payout_id", "step", "actor_kind", "occurred_at", "recorded_at"],
            select(
                literal(PAYOUT_PAID),
                payouts_t.c.company_id,
                payouts_t.c.order_id,
                payouts_t.c.id,
                literal(None),
                literal(ActorKind.SYSTEM.value),
                payouts_t.c.paid_at,
                literal(now, UtcDateTime()),
            )
            .where(where)
            .order_by(payouts_t.c.id),
        )
    )
    notify.notify_payouts_paid(session, where, now)


def _iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.isoformat().replace("+00:00", "Z")


def event_document(session: Session, event: OutboxEvent) -> dict[str, Any]:
    """What receivers get: the event's id (for deduplication), kind and times, and the order (or payout)
    as it was moved by the event. Plain data only: every typed text is a JSON string, never markup."""
    document: dict[str, Any] = {
        "id": f"evt_{event.id}",
        "type": event.topic,
        "occurred_at": _iso(event.occurred_at),
        "recorded_at": _iso(event.recorded_at),
    }
    row = (
        session.execute(
            select(Order.order_number, Order.total_amount, Company.company_code, Warehouse.code, Buyer.buyer_code)
            .join(Company, Company.id == Order.company_id)
            .join(Warehouse, Warehouse.id == Order.warehouse_id)
            .join(Buyer, Buyer.id == Order.buyer_id)
            .where(Order.id == event.order_id)
        ).first()
        if event.order_id is not None
        else None
    )
    order = (
        None
        if row is None
        else {"number": row[0], "total_amount": row[1], "seller": row[2], "warehouse": row[3], "buyer": row[4]}
    )
    if event.step is not None and order is not None:
        step = Step(event.step)
        order["status"] = TRANSITIONS[step].target.value
        document["data"] = {
            "order": order,
            "step": step.value,
            "by": (event.actor_kind or TRANSITIONS[step].actor).lower(),
        }
    elif event.payout_id is not None:
        payout = session.get_one(Payout, event.payout_id)
        document["data"] = {
            "payout": {
                "amount": payout.amount,
                "transfer_reference": payout.transfer_reference,
                "paid_at": _iso(payout.paid_at),
                "order_number": None if order is None else order["number"],
                "seller": None if order is None else order["seller"],
            }
        }
    return document
