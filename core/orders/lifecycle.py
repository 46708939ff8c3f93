"""The order lifecycle as one table, in plain Python (no database).

A step's row (`Transition`) says everything about it: from which statuses and to which, who takes it
(the seller's staff, the buyer, the courier or the system), the guard that may refuse it, the
deadline it starts and how that is counted (business days of the warehouse or calendar days), the
timestamps it sets on the order, its effects on stock and money, and what its records say. An
automatic step also names the deadline at which it takes effect: a sweep that runs late (after an
outage) records it at that deadline, because nobody could act after it.

`check_step` says whether a step may happen to an order at `now`, or raises TransitionRefused with
what was tried, where the order is and why not; `available_steps` lists what may happen next for one
kind of actor. Beside the table: the deadline that matters in each open status and whose turn it is.

`core.orders.steps` applies a step to one stored order and `core.orders.sweep` applies the automatic
steps in batches; both carry out the records and effects with `core.orders.effects`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from enum import StrEnum

from core.domain import ActorKind, FailureKind
from core.domain import OrderStatus as S
from core.errors import TransitionRefused
from core.warehouses.business_time import OperatingCalendar, add_business_days, add_business_hours


class Step(StrEnum):
    PLACE = "PLACE"
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


class Effect(StrEnum):
    """What a step does besides moving the order (carried out by core.orders.effects)."""

    RESERVE = "RESERVE"  # each line's units reserved in the warehouse, refused if not available
    RELEASE = "RELEASE"  # a failed sale gives back what it still held reserved
    TAKE = "TAKE"  # shipping takes the reserved units off the shelf
    RESTOCK = "RESTOCK"  # returned goods the seller found fit to sell go back on the shelf
    PAYOUT = "PAYOUT"  # the full order amount to the seller's payout account; one per order
    REFUND = "REFUND"  # the full order amount back to the buyer; one per order
    CLOSE_UNANSWERED_COMPLAINT = "CLOSE_UNANSWERED_COMPLAINT"  # the complaint is settled for the buyer


class Count(StrEnum):
    BUSINESS_DAYS = "BUSINESS_DAYS"  # the warehouse's open hours (core.warehouses.business_time)
    CALENDAR_DAYS = "CALENDAR_DAYS"  # plain days (couriers run every day; complaints and completion too)


@dataclass(frozen=True)
class Deadline:
    """A deadline a step starts: held in an orders column, `days` fixed or read from the warehouse."""

    column: str
    count: Count
    days: int | None = None
    warehouse_setting: str | None = None  # e.g. "processing_days", when the warehouse decides

    def due(self, start: datetime, *, warehouse_days: int | None, calendar: OperatingCalendar | None) -> datetime:
        days = self.days if self.days is not None else warehouse_days
        if days is None:
            raise ValueError(f"{self.column} needs the warehouse's {self.warehouse_setting}")
        if self.count == Count.CALENDAR_DAYS:
            return start + timedelta(days=days)
        if calendar is None:
            raise ValueError(f"{self.column} is counted in business days and needs the warehouse's calendar")
        return add_business_days(calendar, start, days)


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


#: A guard returns why the step may not happen now, or None.
Guard = Callable[[OrderClock, datetime], "str | None"]


@dataclass(frozen=True)
class Transition:
    step: Step
    sources: frozenset[S | None]  # None: there is no order yet (placing)
    target: S
    actor: ActorKind
    doing: str  # "accept order {number}": what the step does to an order, for messages (doing_to)
    guard: Guard | None = None
    starts: Deadline | None = None
    stamps: tuple[str, ...] = ()  # order timestamps set to the step's effective time (where still empty)
    effects: tuple[Effect, ...] = ()
    takes_effect_at: str | None = None  # automatic steps: the deadline column they fall due and take effect at
    reason: str | None = None  # what the order's timeline says when the actor gives no reason
    failure: FailureKind | None = None  # a failed sale: how it failed
    failure_reason: str | None = None  # ... and why, when the actor gives no reason
    payout_trigger: str | None = None  # what the PAYOUT record says started it
    refund_reason: str | None = None  # what the REFUND record says

    def doing_to(self, order_number: str) -> str:
        """What the step does to this order, as a sentence says it: "file a complaint on order KP-00000042"."""
        return self.doing.replace("{number}", order_number)

    @property
    def automatic(self) -> bool:
        return self.actor == ActorKind.SYSTEM


# --- the guards ----------------------------------------------------------------------------------


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


def _due(column: str) -> Guard:
    def guard(order: OrderClock, now: datetime) -> str | None:
        deadline = getattr(order, column)
        if deadline is None or now < deadline:
            return "its deadline has not passed yet"
        return None

    return guard


# --- the table -----------------------------------------------------------------------------------

USER, BUYER, COURIER, SYSTEM = ActorKind.USER, ActorKind.BUYER, ActorKind.COURIER, ActorKind.SYSTEM
CONFIRM = Deadline("confirm_deadline", Count.BUSINESS_DAYS, days=1)
PACK = Deadline("pack_deadline", Count.BUSINESS_DAYS, warehouse_setting="processing_days")
DELIVER = Deadline("delivery_deadline", Count.CALENDAR_DAYS, warehouse_setting="delivery_sla_days")
COMPLETE = Deadline("complete_deadline", Count.CALENDAR_DAYS, days=2)
ANSWER_COMPLAINT = Deadline("complaint_deadline", Count.CALENDAR_DAYS, days=2)


#: The seller is warned when this many business hours are left to confirm a new order (and, before
#: that, when half of the time to confirm is gone): core.notifications.warnings.
CONFIRM_LAST_HOURS = 2


def confirm_warnings(calendar: OperatingCalendar, placed: datetime) -> dict[str, datetime | None]:
    """When the seller of an order placed at `placed` is warned about the time to confirm, in the
    warehouse's business time, counted as CONFIRM counts its deadline: `confirm_half_at` when half of
    the business hours to confirm are gone, `confirm_last_at` when CONFIRM_LAST_HOURS are left (None
    when the whole time to confirm is no longer than that)."""
    open_us = calendar.daily_open_time // timedelta(microseconds=1)
    hours = Decimal(CONFIRM.days or 0) * Decimal(open_us) / Decimal(3_600_000_000)
    last = hours - CONFIRM_LAST_HOURS
    return {
        "confirm_half_at": add_business_hours(calendar, placed, hours / 2),
        "confirm_last_at": add_business_hours(calendar, placed, last) if last > 0 else None,
    }


def _t(step: Step, sources: set, target: S, actor: ActorKind, doing: str, **facts) -> Transition:
    return Transition(step, frozenset(sources), target, actor, doing, **facts)


TRANSITIONS: dict[Step, Transition] = {
    t.step: t
    for t in (
        _t(
            Step.PLACE,
            {None},
            S.PENDING_CONFIRMATION,
            BUYER,
            "place order {number}",
            starts=CONFIRM,
            stamps=("placed_at",),
            effects=(Effect.RESERVE,),
            reason="order placed",
        ),
        _t(
            Step.ACCEPT,
            {S.PENDING_CONFIRMATION},
            S.PROCESSING,
            USER,
            "accept order {number}",
            guard=_seller_still_in_time,
            starts=PACK,
            stamps=("accepted_at",),
            reason="accepted",
        ),
        _t(
            Step.REJECT,
            {S.PENDING_CONFIRMATION},
            S.REJECTED,
            USER,
            "reject order {number}",
            guard=_seller_still_in_time,
            stamps=("closed_at",),
            effects=(Effect.RELEASE,),
            failure=FailureKind.REJECTED_BY_SELLER,
        ),
        _t(
            Step.MARK_PACKED,
            {S.PROCESSING},
            S.READY_TO_SHIP,
            USER,
            "mark order {number} packed",
            starts=DELIVER,
            stamps=("packed_at",),
            reason="packed, all items checked",
        ),
        _t(
            Step.SHIP,
            {S.READY_TO_SHIP},
            S.SHIPPED,
            USER,
            "ship order {number}",
            stamps=("shipped_at",),
            effects=(Effect.TAKE,),
        ),
        _t(
            Step.MARK_DELIVERED,
            {S.SHIPPED},
            S.DELIVERED,
            COURIER,
            "mark order {number} delivered",
            starts=COMPLETE,
            stamps=("delivered_at",),
            reason="delivered by the courier",
        ),
        # A buyer who confirms receipt of an order not yet marked delivered marks it delivered at once.
        _t(
            Step.CONFIRM_RECEIPT,
            {S.SHIPPED, S.DELIVERED},
            S.COMPLETED,
            BUYER,
            "confirm receipt of order {number}",
            stamps=("delivered_at", "completed_at"),
            effects=(Effect.PAYOUT,),
            reason="buyer confirmed receipt",
            payout_trigger="BUYER_CONFIRMED",
        ),
        _t(
            Step.BUYER_CANCEL,
            {S.PENDING_CONFIRMATION, S.PROCESSING, S.READY_TO_SHIP, S.SHIPPED},
            S.CANCELLED,
            BUYER,
            "cancel order {number}",
            guard=_buyer_may_cancel,
            stamps=("closed_at",),
            effects=(Effect.RELEASE,),
            reason="cancelled by the buyer",
            failure=FailureKind.CANCELLED_BY_BUYER,
            failure_reason="cancelled by the buyer",
        ),
        _t(
            Step.COMPLAIN,
            {S.SHIPPED, S.DELIVERED},
            S.COMPLAINED,
            BUYER,
            "file a complaint on order {number}",
            guard=_complaint_window_open,
            starts=ANSWER_COMPLAINT,
        ),
        _t(
            Step.ANSWER_WITH_REFUND,
            {S.COMPLAINED},
            S.REFUNDED,
            USER,
            "answer the complaint on order {number} with a refund",
            guard=_complaint_answer_in_time,
            stamps=("closed_at",),
            effects=(Effect.REFUND,),
            reason="answered with a refund",
            refund_reason="complaint answered with a refund",
        ),
        _t(
            Step.ANSWER_WITH_RETURN,
            {S.COMPLAINED},
            S.RETURN_REQUESTED,
            USER,
            "answer the complaint on order {number} with a return",
            guard=_complaint_answer_in_time,
            reason="answered with a return",
        ),
        _t(
            Step.RECEIVE_RETURN,
            {S.RETURN_REQUESTED},
            S.REFUNDED,
            USER,
            "record the goods returned for order {number}",
            stamps=("closed_at",),
            effects=(Effect.RESTOCK, Effect.REFUND),
            refund_reason="complaint answered with a return",
        ),
        _t(
            Step.AUTO_CANCEL,
            {S.PENDING_CONFIRMATION},
            S.CANCELLED,
            SYSTEM,
            "cancel unconfirmed order {number}",
            guard=_due("confirm_deadline"),
            takes_effect_at="confirm_deadline",
            stamps=("closed_at",),
            effects=(Effect.RELEASE,),
            reason="no answer within 1 business day",
            failure=FailureKind.CANCELLED_BY_SYSTEM,
            failure_reason="not confirmed within 1 business day",
        ),
        _t(
            Step.AUTO_REFUND,
            {S.COMPLAINED},
            S.REFUNDED,
            SYSTEM,
            "refund the unanswered complaint on order {number}",
            guard=_due("complaint_deadline"),
            takes_effect_at="complaint_deadline",
            stamps=("closed_at",),
            effects=(Effect.CLOSE_UNANSWERED_COMPLAINT, Effect.REFUND),
            reason="complaint not answered within 2 calendar days",
            refund_reason="complaint not answered within 2 calendar days",
        ),
        _t(
            Step.AUTO_COMPLETE,
            {S.DELIVERED},
            S.COMPLETED,
            SYSTEM,
            "complete delivered order {number}",
            guard=_due("complete_deadline"),
            takes_effect_at="complete_deadline",
            stamps=("completed_at",),
            effects=(Effect.PAYOUT,),
            reason="buyer did not confirm within 2 calendar days of delivery",
            payout_trigger="AUTO_AFTER_DELIVERY",
        ),
    )
}

#: The steps the scheduler takes, in the order a sweep applies them.
AUTOMATIC_STEPS: tuple[Transition, ...] = tuple(t for t in TRANSITIONS.values() if t.automatic)

#: Statuses in which an order still needs somebody to act; the rest are final.
OPEN_STATUSES = frozenset(
    {S.PENDING_CONFIRMATION, S.PROCESSING, S.READY_TO_SHIP, S.SHIPPED, S.DELIVERED, S.COMPLAINED, S.RETURN_REQUESTED}
)
#: Statuses that hold reserved stock (reserved at placing, taken at shipping).
RESERVING_STATUSES = frozenset({S.PENDING_CONFIRMATION, S.PROCESSING, S.READY_TO_SHIP})


@dataclass(frozen=True)
class Waiting:
    """An open order: whose turn it is, the deadline (orders column) it must happen by, and what."""

    turn: ActorKind
    deadline: str | None
    next: str


#: For each open status, whose turn it is and the deadline that matters now. The buyer's turn on a
#: delivered order ends with automatic completion; on a return, the goods are on their way back.
WAITING: dict[S, Waiting] = {
    S.PENDING_CONFIRMATION: Waiting(USER, "confirm_deadline", "accept or reject"),
    S.PROCESSING: Waiting(USER, "pack_deadline", "pack"),
    S.READY_TO_SHIP: Waiting(USER, "delivery_deadline", "ship"),
    S.SHIPPED: Waiting(COURIER, "delivery_deadline", "courier delivers"),
    S.DELIVERED: Waiting(BUYER, "complete_deadline", "buyer confirms (else automatic completion)"),
    S.COMPLAINED: Waiting(USER, "complaint_deadline", "answer the complaint"),
    S.RETURN_REQUESTED: Waiting(BUYER, None, "the buyer sends the goods back"),
}
#: The statuses in which the seller's staff must act next, and the deadline each must be met by.
SELLER_DEADLINES: dict[S, str] = {
    status: w.deadline for status, w in WAITING.items() if w.turn == USER and w.deadline is not None
}


# --- asking the table ----------------------------------------------------------------------------

STATUS_LABELS = {
    S.PENDING_CONFIRMATION: "waiting for confirmation",
    S.PROCESSING: "being processed (packing)",
    S.READY_TO_SHIP: "packed, ready to ship",
    S.SHIPPED: "shipped",
    S.DELIVERED: "delivered",
    S.COMPLETED: "completed",
    S.REJECTED: "rejected by the seller",
    S.CANCELLED: "cancelled",
    S.COMPLAINED: "under complaint",
    S.RETURN_REQUESTED: "waiting for the returned goods",
    S.REFUNDED: "refunded",
}


def why_not(step: Step, order: OrderClock, now: datetime) -> str | None:
    """Why `step` may not happen to `order` at `now` (a clause for a sentence), or None if it may."""
    transition = TRANSITIONS[step]
    if order.status not in transition.sources:
        return f"it is {STATUS_LABELS[order.status]}"
    return transition.guard(order, now) if transition.guard else None


def check_step(step: Step, order: OrderClock, now: datetime) -> Transition:
    """Return the transition if `step` may happen to `order` at `now`; raise TransitionRefused if not."""
    refusal = why_not(step, order, now)
    if refusal:
        raise TransitionRefused(f"Cannot {TRANSITIONS[step].doing_to(order.order_number)}: {refusal}.")
    return TRANSITIONS[step]


def available_steps(order: OrderClock, actor: ActorKind, now: datetime) -> list[Step]:
    """What `actor` may do to `order` at `now`, in the table's order."""
    return [t.step for t in TRANSITIONS.values() if t.actor == actor and why_not(t.step, order, now) is None]


def refused_steps(order: OrderClock, actor: ActorKind, now: datetime) -> dict[Step, str]:
    """The steps `actor` could take from the order's status but may not now, with why not."""
    return {
        t.step: refusal
        for t in TRANSITIONS.values()
        if t.actor == actor and order.status in t.sources and (refusal := why_not(t.step, order, now))
    }
