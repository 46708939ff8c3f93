"""The order lifecycle as one table, in plain Python (no database).

A step's row (`Transition`) says everything about it: from which statuses and to which, who takes it
(the seller's staff, the buyer, the courier or the system), the guard that may refuse it, the
deadline it starts and how that is counted (business days of the warehouse or calendar days), the
timestamps it sets on the order, its effects on stock and money, and what its records say. An
automatic step also names the deadline at which it takes effect: a sweep that runs late (after an
outage) records it at that deadline, because nobody could act after it.

`check_step` says whether a step may happen to an order at `now`, or raises TransitionRefused with
what was tried, where the order is and why not: one whole sentence for each step and reason
(`REFUSALS`), so each language words it its own way; `available_steps` lists what may happen next for
one kind of actor. Beside the table: the deadline that matters in each open status and whose turn it is.

The words here are marked for the catalogue (core.i18n): what the records say (`reason`,
`failure_reason`, `refund_reason`) is stored in English and translated where it is shown
(core.orders.steps.said); the status words and the refusals are read in the reader's language.

`core.orders.steps` applies a step to one stored order and `core.orders.sweep` applies the automatic
steps in batches; both carry out the records and effects with `core.orders.effects`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from enum import StrEnum

from core.domain import ActorKind, FailureKind
from core.domain import OrderStatus as S
from core.errors import TransitionRefused
from core.i18n import N_, Message, gettext
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


#: A guard returns why the step may not happen now (one of the reasons below), or None.
Guard = Callable[[OrderClock, datetime], "str | None"]


@dataclass(frozen=True)
class Transition:
    step: Step
    sources: frozenset[S | None]  # None: there is no order yet (placing)
    target: S
    actor: ActorKind
    doing: str  # "accept order {number}": what the step does to an order, in English (logs, tests: doing_to)
    guard: Guard | None = None
    starts: Deadline | None = None
    stamps: tuple[str, ...] = ()  # order timestamps set to the step's effective time (where still empty)
    effects: tuple[Effect, ...] = ()
    takes_effect_at: str | None = None  # automatic steps: the deadline column they fall due and take effect at
    reason: str | None = None  # what the order's timeline says when the actor gives no reason (a msgid, stored)
    failure: FailureKind | None = None  # a failed sale: how it failed
    failure_reason: str | None = None  # ... and why, when the actor gives no reason (a msgid, stored)
    payout_trigger: str | None = None  # what the PAYOUT record says started it (a code)
    refund_reason: str | None = None  # what the REFUND record says (a msgid, stored)

    def doing_to(self, order_number: str) -> str:
        """What the step does to this order, in English: "file a complaint on order KP-00000042" (what a
        person reads is in REFUSALS, whole sentences)."""
        return self.doing.replace("{number}", order_number)

    @property
    def automatic(self) -> bool:
        return self.actor == ActorKind.SYSTEM


# --- the guards ----------------------------------------------------------------------------------

#: Why a guard refuses, as a clause (`refused_steps` gives it; a page says it after the order's
#: number); each step's whole sentence for it is in REFUSALS.
CONFIRM_TIME_ENDED = N_("the time to confirm it has ended, so the system cancels it")
SELLER_ACCEPTED_IT = N_("the seller accepted it and the packing deadline has not passed yet")
ON_ITS_WAY = N_("it is on its way and the delivery deadline has not passed yet")
COMPLETED_AUTOMATICALLY = N_("the order completed automatically 2 days after delivery")
ANSWER_TIME_PASSED = N_("the 2 days to answer have passed, so the system refunds the buyer")
NOT_DUE_YET = N_("its deadline has not passed yet")


def _seller_still_in_time(order: OrderClock, now: datetime) -> str | None:
    # The rule is the deadline, not the scheduler's timing: past it, the answer is the system's.
    if order.confirm_deadline and now >= order.confirm_deadline:
        return CONFIRM_TIME_ENDED
    return None


def _buyer_may_cancel(order: OrderClock, now: datetime) -> str | None:
    if order.status == S.PENDING_CONFIRMATION:
        return None
    if order.status == S.PROCESSING:
        if order.pack_deadline and now > order.pack_deadline:
            return None
        return SELLER_ACCEPTED_IT
    if order.delivery_deadline and now > order.delivery_deadline:
        return None
    return ON_ITS_WAY


def _complaint_window_open(order: OrderClock, now: datetime) -> str | None:
    if order.status == S.DELIVERED and order.complete_deadline and now >= order.complete_deadline:
        return COMPLETED_AUTOMATICALLY
    return None


def _complaint_answer_in_time(order: OrderClock, now: datetime) -> str | None:
    if order.complaint_deadline and now >= order.complaint_deadline:
        return ANSWER_TIME_PASSED
    return None


def _due(column: str) -> Guard:
    def guard(order: OrderClock, now: datetime) -> str | None:
        deadline = getattr(order, column)
        if deadline is None or now < deadline:
            return NOT_DUE_YET
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
            reason=N_("order placed"),
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
            reason=N_("accepted"),
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
            reason=N_("packed, all items checked"),
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
            reason=N_("delivered by the courier"),
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
            reason=N_("buyer confirmed receipt"),
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
            reason=N_("cancelled by the buyer"),
            failure=FailureKind.CANCELLED_BY_BUYER,
            failure_reason=N_("cancelled by the buyer"),
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
            reason=N_("answered with a refund"),
            refund_reason=N_("complaint answered with a refund"),
        ),
        _t(
            Step.ANSWER_WITH_RETURN,
            {S.COMPLAINED},
            S.RETURN_REQUESTED,
            USER,
            "answer the complaint on order {number} with a return",
            guard=_complaint_answer_in_time,
            reason=N_("answered with a return"),
        ),
        _t(
            Step.RECEIVE_RETURN,
            {S.RETURN_REQUESTED},
            S.REFUNDED,
            USER,
            "record the goods returned for order {number}",
            stamps=("closed_at",),
            effects=(Effect.RESTOCK, Effect.REFUND),
            refund_reason=N_("complaint answered with a return"),
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
            reason=N_("no answer within 1 business day"),
            failure=FailureKind.CANCELLED_BY_SYSTEM,
            failure_reason=N_("not confirmed within 1 business day"),
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
            reason=N_("complaint not answered within 2 calendar days"),
            refund_reason=N_("complaint not answered within 2 calendar days"),
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
            reason=N_("buyer did not confirm within 2 calendar days of delivery"),
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
    """An open order: whose turn it is, the deadline (orders column) it must happen by, and what (a msgid)."""

    turn: ActorKind
    deadline: str | None
    next: str


#: For each open status, whose turn it is and the deadline that matters now. The buyer's turn on a
#: delivered order ends with automatic completion; on a return, the goods are on their way back.
WAITING: dict[S, Waiting] = {
    S.PENDING_CONFIRMATION: Waiting(USER, "confirm_deadline", N_("accept or reject")),
    S.PROCESSING: Waiting(USER, "pack_deadline", N_("pack")),
    S.READY_TO_SHIP: Waiting(USER, "delivery_deadline", N_("ship")),
    S.SHIPPED: Waiting(COURIER, "delivery_deadline", N_("courier delivers")),
    S.DELIVERED: Waiting(BUYER, "complete_deadline", N_("buyer confirms (else automatic completion)")),
    S.COMPLAINED: Waiting(USER, "complaint_deadline", N_("answer the complaint")),
    S.RETURN_REQUESTED: Waiting(BUYER, None, N_("the buyer sends the goods back")),
}
#: The statuses in which the seller's staff must act next, and the deadline each must be met by.
SELLER_DEADLINES: dict[S, str] = {
    status: w.deadline for status, w in WAITING.items() if w.turn == USER and w.deadline is not None
}


# --- what a person reads when a step is refused ----------------------------------------------------

#: Where an order is, in words that also follow "it is" in a refusal (msgids: translated where shown).
STATUS_LABELS = {
    S.PENDING_CONFIRMATION: N_("waiting for confirmation"),
    S.PROCESSING: N_("being processed (packing)"),
    S.READY_TO_SHIP: N_("packed, ready to ship"),
    S.SHIPPED: N_("shipped"),
    S.DELIVERED: N_("delivered"),
    S.COMPLETED: N_("completed"),
    S.REJECTED: N_("rejected by the seller"),
    S.CANCELLED: N_("cancelled"),
    S.COMPLAINED: N_("under complaint"),
    S.RETURN_REQUESTED: N_("waiting for the returned goods"),
    S.REFUNDED: N_("refunded"),
}


@dataclass(frozen=True)
class Refusals:
    """A step's refusals, each a whole sentence (a msgid; `{number}` is the order's number), so that
    every language words what was tried and why not in its own order."""

    in_status: str  # the order's status does not allow the step: `{status}` is a STATUS_LABELS text
    changed: str  # someone moved the order between reading and writing it: nothing was applied
    because: dict[str, str] = field(default_factory=dict)  # a guard's reason -> the sentence saying it


REFUSALS: dict[Step, Refusals] = {
    Step.PLACE: Refusals(
        N_("Cannot place order {number}: it is {status}."),
        N_("Could not place order {number}: it changed a moment ago and nothing was applied."),
    ),
    Step.ACCEPT: Refusals(
        N_("Cannot accept order {number}: it is {status}."),
        N_("Could not accept order {number}: it changed a moment ago and nothing was applied."),
        {
            CONFIRM_TIME_ENDED: N_(
                "Cannot accept order {number}: the time to confirm it has ended, so the system cancels it."
            )
        },
    ),
    Step.REJECT: Refusals(
        N_("Cannot reject order {number}: it is {status}."),
        N_("Could not reject order {number}: it changed a moment ago and nothing was applied."),
        {
            CONFIRM_TIME_ENDED: N_(
                "Cannot reject order {number}: the time to confirm it has ended, so the system cancels it."
            )
        },
    ),
    Step.MARK_PACKED: Refusals(
        N_("Cannot mark order {number} packed: it is {status}."),
        N_("Could not mark order {number} packed: it changed a moment ago and nothing was applied."),
    ),
    Step.SHIP: Refusals(
        N_("Cannot ship order {number}: it is {status}."),
        N_("Could not ship order {number}: it changed a moment ago and nothing was applied."),
    ),
    Step.MARK_DELIVERED: Refusals(
        N_("Cannot mark order {number} delivered: it is {status}."),
        N_("Could not mark order {number} delivered: it changed a moment ago and nothing was applied."),
    ),
    Step.CONFIRM_RECEIPT: Refusals(
        N_("Cannot confirm receipt of order {number}: it is {status}."),
        N_("Could not confirm receipt of order {number}: it changed a moment ago and nothing was applied."),
    ),
    Step.BUYER_CANCEL: Refusals(
        N_("Cannot cancel order {number}: it is {status}."),
        N_("Could not cancel order {number}: it changed a moment ago and nothing was applied."),
        {
            SELLER_ACCEPTED_IT: N_(
                "Cannot cancel order {number}: the seller accepted it and the packing deadline has not passed yet."
            ),
            ON_ITS_WAY: N_(
                "Cannot cancel order {number}: it is on its way and the delivery deadline has not passed yet."
            ),
        },
    ),
    Step.COMPLAIN: Refusals(
        N_("Cannot file a complaint on order {number}: it is {status}."),
        N_("Could not file a complaint on order {number}: it changed a moment ago and nothing was applied."),
        {
            COMPLETED_AUTOMATICALLY: N_(
                "Cannot file a complaint on order {number}: the order completed automatically 2 days after delivery."
            )
        },
    ),
    Step.ANSWER_WITH_REFUND: Refusals(
        N_("Cannot answer the complaint on order {number} with a refund: it is {status}."),
        N_(
            "Could not answer the complaint on order {number} with a refund: it changed a moment ago and "
            "nothing was applied."
        ),
        {
            ANSWER_TIME_PASSED: N_(
                "Cannot answer the complaint on order {number} with a refund: the 2 days to answer have passed, "
                "so the system refunds the buyer."
            )
        },
    ),
    Step.ANSWER_WITH_RETURN: Refusals(
        N_("Cannot answer the complaint on order {number} with a return: it is {status}."),
        N_(
            "Could not answer the complaint on order {number} with a return: it changed a moment ago and "
            "nothing was applied."
        ),
        {
            ANSWER_TIME_PASSED: N_(
                "Cannot answer the complaint on order {number} with a return: the 2 days to answer have passed, "
                "so the system refunds the buyer."
            )
        },
    ),
    Step.RECEIVE_RETURN: Refusals(
        N_("Cannot record the goods returned for order {number}: it is {status}."),
        N_("Could not record the goods returned for order {number}: it changed a moment ago and nothing was applied."),
    ),
    Step.AUTO_CANCEL: Refusals(
        N_("Cannot cancel unconfirmed order {number}: it is {status}."),
        N_("Could not cancel unconfirmed order {number}: it changed a moment ago and nothing was applied."),
        {NOT_DUE_YET: N_("Cannot cancel unconfirmed order {number}: its deadline has not passed yet.")},
    ),
    Step.AUTO_REFUND: Refusals(
        N_("Cannot refund the unanswered complaint on order {number}: it is {status}."),
        N_(
            "Could not refund the unanswered complaint on order {number}: it changed a moment ago and nothing "
            "was applied."
        ),
        {NOT_DUE_YET: N_("Cannot refund the unanswered complaint on order {number}: its deadline has not passed yet.")},
    ),
    Step.AUTO_COMPLETE: Refusals(
        N_("Cannot complete delivered order {number}: it is {status}."),
        N_("Could not complete delivered order {number}: it changed a moment ago and nothing was applied."),
        {NOT_DUE_YET: N_("Cannot complete delivered order {number}: its deadline has not passed yet.")},
    ),
}


# --- asking the table ----------------------------------------------------------------------------


def _guard_says(step: Step, order: OrderClock, now: datetime) -> str | None:
    """The guard's reason why `step` may not happen to `order` at `now` (its status allows it), or None."""
    transition = TRANSITIONS[step]
    return transition.guard(order, now) if transition.guard else None


def refusal(step: Step, order: OrderClock, now: datetime) -> Message | None:
    """The sentence refusing `step` on `order` at `now` (what was tried, where the order is and why
    not), or None if it may happen."""
    refusals = REFUSALS[step]
    if order.status not in TRANSITIONS[step].sources:
        return Message(
            refusals.in_status, {"number": order.order_number, "status": Message(STATUS_LABELS[order.status])}
        )
    reason = _guard_says(step, order, now)
    return None if reason is None else Message(refusals.because[reason], {"number": order.order_number})


def changed_meanwhile(step: Step, order_number: str) -> Message:
    """The sentence for a step that found the order moved on by someone else: nothing was applied."""
    return Message(REFUSALS[step].changed, {"number": order_number})


def check_step(step: Step, order: OrderClock, now: datetime) -> Transition:
    """Return the transition if `step` may happen to `order` at `now`; raise TransitionRefused if not."""
    refused = refusal(step, order, now)
    if refused is not None:
        raise TransitionRefused(refused)
    return TRANSITIONS[step]


def available_steps(order: OrderClock, actor: ActorKind, now: datetime) -> list[Step]:
    """What `actor` may do to `order` at `now`, in the table's order."""
    return [
        t.step
        for t in TRANSITIONS.values()
        if t.actor == actor and order.status in t.sources and _guard_says(t.step, order, now) is None
    ]


def refused_steps(order: OrderClock, actor: ActorKind, now: datetime) -> dict[Step, str]:
    """The steps `actor` could take from the order's status but may not now, with why not: a clause
    in the reader's language ("the time to confirm it has ended, so the system cancels it")."""
    return {
        t.step: gettext(reason)
        for t in TRANSITIONS.values()
        if t.actor == actor and order.status in t.sources and (reason := _guard_says(t.step, order, now))
    }
