"""The order lifecycle as plain Python: one table of allowed steps, their guards and deadlines.

No database here. Services (core/orders.py, core/buyer_channel.py, core/deadlines.py) ask
`check_step` whether a step may happen to an order at `now`, then apply it in one transaction.
A refused step raises TransitionRefused saying what was tried, where the order is, and why not.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from core.domain import ActorKind, OrderStatus as S
from core.errors import TransitionRefused

#: Calendar days the seller has to answer a complaint, and after delivery until automatic completion.
COMPLAINT_ANSWER_DAYS = 2
AUTO_COMPLETE_DAYS = 2
#: Business days the seller has to accept or reject a new order.
CONFIRM_BUSINESS_DAYS = 1


class Step(StrEnum):
    ACCEPT = "ACCEPT"
    REJECT = "REJECT"
    MARK_PACKED = "MARK_PACKED"
    SHIP = "SHIP"
    MARK_DELIVERED = "MARK_DELIVERED"
    CONFIRM_RECEIPT = "CONFIRM_RECEIPT"
    BUYER_CANCEL = "BUYER_CANCEL"
    COMPLAIN = "COMPLAIN"
    ANSWER_WITH_REFUND = "ANSWER_WITH_REFUND"
    ANSWER_WITH_RETURN = "ANSWER_WITH_RETURN"
    RECEIVE_RETURN = "RECEIVE_RETURN"
    AUTO_CANCEL = "AUTO_CANCEL"
    AUTO_REFUND = "AUTO_REFUND"
    AUTO_COMPLETE = "AUTO_COMPLETE"


@dataclass(frozen=True)
class Transition:
    step: Step
    sources: frozenset[S]
    target: S
    actor: ActorKind
    doing: str  # "accept the order": for messages


def _t(step, sources, target, actor, doing) -> Transition:
    return Transition(step, frozenset(sources), target, actor, doing)


TRANSITIONS: dict[Step, Transition] = {t.step: t for t in (
    _t(Step.ACCEPT, {S.PENDING_CONFIRMATION}, S.PROCESSING, ActorKind.USER, "accept the order"),
    _t(Step.REJECT, {S.PENDING_CONFIRMATION}, S.REJECTED, ActorKind.USER, "reject the order"),
    _t(Step.MARK_PACKED, {S.PROCESSING}, S.READY_TO_SHIP, ActorKind.USER, "mark the order packed"),
    _t(Step.SHIP, {S.READY_TO_SHIP}, S.SHIPPED, ActorKind.USER, "ship the order"),
    _t(Step.MARK_DELIVERED, {S.SHIPPED}, S.DELIVERED, ActorKind.COURIER, "mark the order delivered"),
    _t(Step.CONFIRM_RECEIPT, {S.SHIPPED, S.DELIVERED}, S.COMPLETED, ActorKind.BUYER, "confirm receipt"),
    _t(Step.BUYER_CANCEL, {S.PENDING_CONFIRMATION, S.PROCESSING, S.READY_TO_SHIP, S.SHIPPED}, S.CANCELLED,
       ActorKind.BUYER, "cancel the order"),
    _t(Step.COMPLAIN, {S.SHIPPED, S.DELIVERED}, S.COMPLAINED, ActorKind.BUYER, "file a complaint"),
    _t(Step.ANSWER_WITH_REFUND, {S.COMPLAINED}, S.REFUNDED, ActorKind.USER, "answer the complaint with a refund"),
    _t(Step.ANSWER_WITH_RETURN, {S.COMPLAINED}, S.RETURN_REQUESTED, ActorKind.USER,
       "answer the complaint with a return"),
    _t(Step.RECEIVE_RETURN, {S.RETURN_REQUESTED}, S.REFUNDED, ActorKind.USER, "record the returned goods"),
    _t(Step.AUTO_CANCEL, {S.PENDING_CONFIRMATION}, S.CANCELLED, ActorKind.SYSTEM, "cancel the unconfirmed order"),
    _t(Step.AUTO_REFUND, {S.COMPLAINED}, S.REFUNDED, ActorKind.SYSTEM, "refund the unanswered complaint"),
    _t(Step.AUTO_COMPLETE, {S.DELIVERED}, S.COMPLETED, ActorKind.SYSTEM, "complete the delivered order"),
)}

STATUS_LABELS = {
    S.PENDING_CONFIRMATION: "waiting for confirmation", S.PROCESSING: "being processed (packing)",
    S.READY_TO_SHIP: "packed, ready to ship", S.SHIPPED: "shipped", S.DELIVERED: "delivered",
    S.COMPLETED: "completed", S.REJECTED: "rejected by the seller", S.CANCELLED: "cancelled",
    S.COMPLAINED: "under complaint", S.RETURN_REQUESTED: "waiting for the returned goods",
    S.REFUNDED: "refunded",
}

#: Statuses in which an order still needs somebody to act; the rest are final.
OPEN_STATUSES = frozenset({S.PENDING_CONFIRMATION, S.PROCESSING, S.READY_TO_SHIP, S.SHIPPED, S.DELIVERED,
                           S.COMPLAINED, S.RETURN_REQUESTED})
#: Statuses that hold reserved stock (reserved at placing, taken at shipping).
RESERVING_STATUSES = frozenset({S.PENDING_CONFIRMATION, S.PROCESSING, S.READY_TO_SHIP})


@dataclass(frozen=True)
class OrderClock:
    """What the rules need to know about an order: where it is and its stored deadlines."""

    order_number: str
    status: S
    confirm_deadline: datetime | None = None
    pack_deadline: datetime | None = None
    delivery_deadline: datetime | None = None
    complaint_deadline: datetime | None = None
    complete_deadline: datetime | None = None


def check_step(step: Step, order: OrderClock, now: datetime) -> Transition:
    """Return the transition if `step` may happen to `order` at `now`; raise TransitionRefused if not."""
    transition = TRANSITIONS[step]
    if order.status not in transition.sources:
        raise TransitionRefused(
            f"Cannot {transition.doing} {order.order_number}: it is {STATUS_LABELS[order.status]}.")
    why_not = _GUARDS.get(step, lambda _o, _n: None)(order, now)
    if why_not:
        raise TransitionRefused(f"Cannot {transition.doing} {order.order_number}: {why_not}.")
    return transition


def _seller_still_in_time(order: OrderClock, now: datetime) -> str | None:
    # The rule is the deadline, not the scheduler's timing: past it, the answer is the system's.
    if order.confirm_deadline and now >= order.confirm_deadline:
        return "the time to confirm it has ended, so the system cancels it"
    return None


def _buyer_may_cancel(order: OrderClock, now: datetime) -> str | None:
    if order.status == S.PENDING_CONFIRMATION:
        return None
    if order.status == S.PROCESSING:
        if order.pack_deadline and now > order.pack_deadline:
            return None
        return "the seller accepted it and the packing deadline has not passed yet"
    if order.delivery_deadline and now > order.delivery_deadline:
        return None
    return "it is on its way and the delivery deadline has not passed yet"


def _complaint_window_open(order: OrderClock, now: datetime) -> str | None:
    if order.status == S.DELIVERED and order.complete_deadline and now >= order.complete_deadline:
        return "the order completed automatically 2 days after delivery"
    return None


def _complaint_answer_in_time(order: OrderClock, now: datetime) -> str | None:
    if order.complaint_deadline and now >= order.complaint_deadline:
        return "the 2 days to answer have passed, so the system refunds the buyer"
    return None


def _due(deadline_of):
    def guard(order: OrderClock, now: datetime) -> str | None:
        deadline = deadline_of(order)
        if deadline is None or now < deadline:
            return "its deadline has not passed yet"
        return None
    return guard


_GUARDS = {
    Step.ACCEPT: _seller_still_in_time,
    Step.REJECT: _seller_still_in_time,
    Step.BUYER_CANCEL: _buyer_may_cancel,
    Step.COMPLAIN: _complaint_window_open,
    Step.ANSWER_WITH_REFUND: _complaint_answer_in_time,
    Step.ANSWER_WITH_RETURN: _complaint_answer_in_time,
    Step.AUTO_CANCEL: _due(lambda o: o.confirm_deadline),
    Step.AUTO_REFUND: _due(lambda o: o.complaint_deadline),
    Step.AUTO_COMPLETE: _due(lambda o: o.complete_deadline),
}


def delivery_deadline_from(packed_at: datetime, sla_days: int) -> datetime:
    """The courier's SLA runs in calendar days from packing (couriers run every day)."""
    return packed_at + timedelta(days=sla_days)


def complete_deadline_from(delivered_at: datetime) -> datetime:
    return delivered_at + timedelta(days=AUTO_COMPLETE_DAYS)


def complaint_deadline_from(filed_at: datetime) -> datetime:
    return filed_at + timedelta(days=COMPLAINT_ANSWER_DAYS)
