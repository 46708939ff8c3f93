"""Taking one lifecycle step on one stored order, inside the caller's unit of work.

`take_step` checks the step against the table (core.orders.lifecycle), computes the deadline it
starts, then writes its record and effects (core.orders.effects) in the same transaction: all or
nothing. The order's status update is guarded by the status it was read in, so if a colleague, the
buyer or the scheduler moved the order first, nothing is applied and the person is told who did what
and when. `open_order` is the first step, placing.

The words of an order's history are here too, in one place: `event_sentence` is a line of the
timeline a person reads ("accepted by Rina Wijaya (pm)", "cancelled by the system: no answer within
1 business day"), with the names `actor_names` finds; `describe_event` tells someone whose view is
out of date who moved the order, when and why. Each is a whole sentence per status in the catalogue
(core.i18n), read in the reader's language; what the lifecycle records is stored in English and
translated where it is shown (`said`), what a person typed is shown as typed.
"""

from __future__ import annotations

import functools
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy import String, bindparam, case, cast, func, insert, literal, select, true, update
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Session

from core.domain import ActorKind, OrderStatus
from core.errors import ConcurrentChange, TransitionRefused
from core.formats import format_local
from core.i18n import N_, Message, _
from core.integration import outbox
from core.notifications import notify
from core.orders import effects
from core.orders.lifecycle import (
    CONFIRM,
    TRANSITIONS,
    Count,
    OrderClock,
    Step,
    Transition,
    changed_meanwhile,
    check_step,
    confirm_warnings,
)
from core.store.models import Buyer, Company, Order, OrderEvent, User, Warehouse, events_t, items_t, orders_t, outbox_t
from core.warehouses.business_time import OperatingCalendar
from core.warehouses.operations import CalendarSource, calendar_of

#: Who took a step, where a sentence names them after its verb ("cancelled by the system").
ACTOR_WORDS = {
    ActorKind.USER: N_("a colleague"),
    ActorKind.BUYER: N_("the buyer"),
    ActorKind.COURIER: N_("the courier"),
    ActorKind.SYSTEM: N_("the system"),
    ActorKind.BANK: N_("the bank"),
}
#: ... and where a sentence starts with them ("The system cancelled it at ...").
ACTOR_SUBJECTS = {
    ActorKind.USER: N_("A colleague"),
    ActorKind.BUYER: N_("The buyer"),
    ActorKind.COURIER: N_("The courier"),
    ActorKind.SYSTEM: N_("The system"),
    ActorKind.BANK: N_("The bank"),
}

#: What happened to the order, as its stored reasons may start (English, as stored): a reason that
#: goes on from these words is shortened to what it adds ("packed, all items checked").
TIMELINE_WORDS = {
    OrderStatus.PENDING_CONFIRMATION: "placed",
    OrderStatus.PROCESSING: "accepted",
    OrderStatus.READY_TO_SHIP: "packed",
    OrderStatus.SHIPPED: "shipped",
    OrderStatus.DELIVERED: "delivered",
    OrderStatus.COMPLETED: "completed",
    OrderStatus.REJECTED: "rejected",
    OrderStatus.CANCELLED: "cancelled",
    OrderStatus.COMPLAINED: "complaint filed",
    OrderStatus.RETURN_REQUESTED: "return requested",
    OrderStatus.REFUNDED: "refunded",
}

#: A line of the timeline, by the status the step moved the order to: (without a reason, with one).
TIMELINE_LINES = {
    OrderStatus.PENDING_CONFIRMATION: (N_("placed by {who}"), N_("placed by {who}: {reason}")),
    OrderStatus.PROCESSING: (N_("accepted by {who}"), N_("accepted by {who}: {reason}")),
    OrderStatus.READY_TO_SHIP: (N_("packed by {who}"), N_("packed by {who}: {reason}")),
    OrderStatus.SHIPPED: (N_("shipped by {who}"), N_("shipped by {who}: {reason}")),
    OrderStatus.DELIVERED: (N_("delivered by {who}"), N_("delivered by {who}: {reason}")),
    OrderStatus.COMPLETED: (N_("completed by {who}"), N_("completed by {who}: {reason}")),
    OrderStatus.REJECTED: (N_("rejected by {who}"), N_("rejected by {who}: {reason}")),
    OrderStatus.CANCELLED: (N_("cancelled by {who}"), N_("cancelled by {who}: {reason}")),
    OrderStatus.COMPLAINED: (N_("complaint filed by {who}"), N_("complaint filed by {who}: {reason}")),
    OrderStatus.RETURN_REQUESTED: (N_("return requested by {who}"), N_("return requested by {who}: {reason}")),
    OrderStatus.REFUNDED: (N_("refunded by {who}"), N_("refunded by {who}: {reason}")),
}

#: Who moved the order and when, for someone whose view of it is out of date: (without a reason, with one).
EVENT_STORIES = {
    OrderStatus.PENDING_CONFIRMATION: (N_("{who} placed it at {time}."), N_("{who} placed it at {time} ({reason}).")),
    OrderStatus.PROCESSING: (N_("{who} accepted it at {time}."), N_("{who} accepted it at {time} ({reason}).")),
    OrderStatus.READY_TO_SHIP: (N_("{who} packed it at {time}."), N_("{who} packed it at {time} ({reason}).")),
    OrderStatus.SHIPPED: (N_("{who} shipped it at {time}."), N_("{who} shipped it at {time} ({reason}).")),
    OrderStatus.DELIVERED: (N_("{who} delivered it at {time}."), N_("{who} delivered it at {time} ({reason}).")),
    OrderStatus.COMPLETED: (N_("{who} completed it at {time}."), N_("{who} completed it at {time} ({reason}).")),
    OrderStatus.REJECTED: (N_("{who} rejected it at {time}."), N_("{who} rejected it at {time} ({reason}).")),
    OrderStatus.CANCELLED: (N_("{who} cancelled it at {time}."), N_("{who} cancelled it at {time} ({reason}).")),
    OrderStatus.COMPLAINED: (
        N_("{who} complained about it at {time}."),
        N_("{who} complained about it at {time} ({reason})."),
    ),
    OrderStatus.RETURN_REQUESTED: (
        N_("{who} answered the complaint with a return at {time}."),
        N_("{who} answered the complaint with a return at {time} ({reason})."),
    ),
    OrderStatus.REFUNDED: (N_("{who} refunded it at {time}."), N_("{who} refunded it at {time} ({reason}).")),
}

#: Reasons the lifecycle records on its own that only say again what the timeline's words say
#: ("delivered by the courier" is the line itself): left out of the line.
SAID_BY_THE_LINE = frozenset(
    TRANSITIONS[step].reason
    for step in (Step.PLACE, Step.ACCEPT, Step.MARK_DELIVERED, Step.BUYER_CANCEL, Step.ANSWER_WITH_RETURN)
)
#: What a seller's step records when the returned goods arrive (core.orders.seller).
RETURN_RESTOCKED = N_("returned goods received, restocked")
RETURN_NOT_FIT = N_("returned goods received, not fit to sell")
#: What shipping records: "shipped with JNE, JNE-123456" (the courier and tracking number as typed).
SHIPPED_WITH = "shipped with "
#: Every text the records hold in the catalogue's English (stored, translated where shown): the
#: lifecycle's reasons, the seller's, and what a shortened timeline line adds.
RECORDED = frozenset(
    {text for t in TRANSITIONS.values() for text in (t.reason, t.failure_reason, t.refund_reason) if text}
    | {RETURN_RESTOCKED, RETURN_NOT_FIT, effects.UNANSWERED_NOTE, N_("all items checked")}
)


def said(text: str | None) -> str | Message | None:
    """A stored reason as the reader reads it: what the system recorded in their language (a Message),
    what a person typed as typed."""
    if text in RECORDED:
        return Message(text)
    if text and text.startswith(SHIPPED_WITH):
        return _("shipped with {shipment}", shipment=text[len(SHIPPED_WITH) :])
    return text


def said_text(text: str | None) -> str | None:
    """`said`, rendered in the reader's language now."""
    shown = said(text)
    return shown.render() if isinstance(shown, Message) else shown


def clock_of(order: Order) -> OrderClock:
    return OrderClock(
        order_number=order.order_number,
        status=order.status,
        confirm_deadline=order.confirm_deadline,
        pack_deadline=order.pack_deadline,
        delivery_deadline=order.delivery_deadline,
        complaint_deadline=order.complaint_deadline,
        complete_deadline=order.complete_deadline,
    )


class EventFacts(Protocol):
    """What `describe_event` and `event_sentence` read of an event: a stored OrderEvent, or the
    EventView of an order's page."""

    @property
    def to_status(self) -> OrderStatus: ...

    @property
    def actor_kind(self) -> ActorKind: ...

    @property
    def actor_id(self) -> str | None: ...

    @property
    def reason(self) -> str | None: ...

    @property
    def at(self) -> datetime: ...


def actor_names(session: Session, company_id: int, events: Iterable[EventFacts]) -> dict[str, str]:
    """The names behind the events' actors, by actor_id: the company's users ("ACME01/rina" -> their
    display name) and the buyers (buyer code -> the shop's name). One query for each kind."""
    events = list(events)
    users = {e.actor_id for e in events if e.actor_kind == ActorKind.USER and e.actor_id and "/" in e.actor_id}
    buyers = {e.actor_id for e in events if e.actor_kind == ActorKind.BUYER and e.actor_id}
    names: dict[str, str] = {}
    if users:
        codes = sorted({label.split("/", 1)[1] for label in users})
        rows = session.execute(
            select(User.user_code, User.display_name, Company.company_code)
            .join(Company, Company.id == User.company_id)
            .where(User.company_id == company_id, User.user_code.in_(codes))
        )
        names |= {
            f"{company}/{code}": name
            for code, name, company in rows
            if name and f"{company}/{code}" in users  # a label of another company names nobody here
        }
    if buyers:
        shops = session.execute(select(Buyer.buyer_code, Buyer.name).where(Buyer.buyer_code.in_(sorted(buyers))))
        names |= {code: name for code, name in shops if name}
    return names


def who_did(event: EventFacts, name: str | None = None) -> str | Message:
    """Who took the step, as a person reads it: "Rina Wijaya (pm)", "the buyer Toko Makmur (LVM-00001)",
    "the courier", "the system". Without a name: the user's ID, or "the buyer" and its code."""
    kind, actor_id = event.actor_kind, event.actor_id
    if kind == ActorKind.USER and actor_id:
        user_code = actor_id.split("/", 1)[-1]
        return f"{name} ({user_code})" if name else user_code
    if kind == ActorKind.BUYER and actor_id:
        if name:
            return _("the buyer {name} ({code})", name=name, code=actor_id)
        return _("the buyer {code}", code=actor_id)
    return Message(ACTOR_WORDS[kind])


def event_line(event: EventFacts, name: str | None = None) -> Message:
    """One line of an order's timeline, in the reader's language when rendered (`event_sentence`)."""
    who = who_did(event, name)
    words = TIMELINE_WORDS[event.to_status]
    plain, with_reason = TIMELINE_LINES[event.to_status]
    reason = event.reason or ""
    if reason in SAID_BY_THE_LINE:
        reason = ""
    if event.to_status == OrderStatus.SHIPPED and reason.startswith(SHIPPED_WITH):  # the line goes on
        return _("shipped by {who} with {shipment}", who=who, shipment=reason[len(SHIPPED_WITH) :])
    if reason.startswith(f"{words}, "):  # "packed, all items checked"
        reason = reason[len(words) + 2 :]
    if not reason:
        return Message(plain, {"who": who})
    return Message(with_reason, {"who": who, "reason": said(reason)})


def event_sentence(event: EventFacts, name: str | None = None) -> str:
    """One line of an order's timeline: "accepted by Rina Wijaya (pm)", "delivered by the courier",
    "placed by the buyer Toko Makmur (LVM-00001)", "cancelled by the system: no answer within 1
    business day", "shipped by Rina Wijaya (pm) with JNE, JNE-123456". `name`: the actor's name
    (actor_names). A reason that repeats the line's words is shortened to what it adds. In the
    reader's language (core.i18n.using); names and typed reasons as typed."""
    return event_line(event, name).render()


def describe_event(event: EventFacts, time_zone: str) -> Message:
    """'The system cancelled it at 26 Nov 2026 10:00 WIB (no answer within 1 business day).'"""
    plain, with_reason = EVENT_STORIES[event.to_status]
    values: dict[str, object] = {
        "who": Message(ACTOR_SUBJECTS[event.actor_kind]),
        "time": format_local(event.at, time_zone),
    }
    if not event.reason:
        return Message(plain, values)
    return Message(with_reason, {**values, "reason": said(event.reason)})


def what_happened(session: Session, order_id: int) -> Message | None:
    """The order's latest change, told as `describe_event` tells it (None if it has none)."""
    row = session.execute(
        select(OrderEvent, Warehouse.time_zone)
        .join(Order, Order.id == OrderEvent.order_id)
        .join(Warehouse, Warehouse.id == Order.warehouse_id)
        .where(OrderEvent.order_id == order_id)
        .order_by(OrderEvent.id.desc())
        .limit(1)
    ).first()
    return describe_event(*row) if row else None


def _and_what_happened(refusal: Message, story: Message | None) -> Message:
    """A refusal followed by who moved the order, when and why (two sentences)."""
    return refusal if story is None else _("{refusal} {story}", refusal=refusal, story=story)


def _started(
    session: Session,
    warehouse: CalendarSource,
    transition: Transition,
    at: datetime,
    calendar: OperatingCalendar | None = None,
) -> dict[str, datetime]:
    """{deadline column: when it falls due} for the deadline the step starts, if any; `calendar` is the
    warehouse's, when the caller has read it already."""
    deadline = transition.starts
    if deadline is None:
        return {}
    calendar = (calendar or calendar_of(session, warehouse)) if deadline.count == Count.BUSINESS_DAYS else None
    warehouse_days = getattr(warehouse, deadline.warehouse_setting) if deadline.warehouse_setting else None
    return {deadline.column: deadline.due(at, warehouse_days=warehouse_days, calendar=calendar)}


@dataclass(frozen=True)
class Taken:
    """A step just taken: when it took effect, and the deadline it started (if any)."""

    transition: Transition
    at: datetime
    deadline: datetime | None


def take_step(
    session: Session,
    order: Order,
    step: Step,
    *,
    now: datetime,
    by: str | None,
    reason: str | None = None,
    failure_reason: str | None = None,
    restock_goods: bool = False,
    **changes,
) -> Taken:
    """Check and take `step` on `order`: status, timestamps, the deadline it starts, its event, and
    its effects on stock and money. `by` names the actor in the timeline; `changes` are further
    order columns the caller's step sets."""
    try:
        transition = check_step(step, clock_of(order), now)
    except TransitionRefused as refused:
        # Refused because someone moved the order on: say who and when, not just "it is cancelled".
        if order.status not in TRANSITIONS[step].sources and (story := what_happened(session, order.id)):
            raise TransitionRefused(_and_what_happened(refused.said, story)) from None
        raise
    # An automatic step takes effect at its deadline, whenever the sweep gets to it.
    at = getattr(order, transition.takes_effect_at) if transition.takes_effect_at else now
    started = _started(session, session.get_one(Warehouse, order.warehouse_id), transition, at)
    moved = effects.record_step(
        session,
        order,
        transition,
        at=at,
        now=now,
        actor_id=by,
        reason=reason or transition.reason,
        failure_reason=failure_reason,
        changes={**started, **changes},
    )
    if moved is None:
        session.expire(order)
        raise ConcurrentChange(
            _and_what_happened(changed_meanwhile(step, order.order_number), what_happened(session, order.id))
        )
    effects.apply_effects(session, moved, transition, at=at, now=now, restock_goods=restock_goods)
    session.expire(order)  # the row changed underneath the ORM object: reload on next access
    return Taken(transition, at, next(iter(started.values()), None))


@dataclass(frozen=True)
class Opened:
    """An order just placed: its id, its number, and the order columns placing wrote."""

    id: int
    order_number: str
    columns: dict[str, Any]


#: Placing's statements, built once: every order placed runs them.
_INSERT_ORDER = insert(orders_t).returning(orders_t.c.id)
_NUMBER_ORDER = update(orders_t).where(orders_t.c.id == bindparam("order")).values(order_number=bindparam("number"))
_INSERT_EVENT = insert(events_t)
_INSERT_TOLD = insert(outbox_t)
_INSERT_ITEMS = insert(items_t)
#: What an order's line keeps (besides its order): the product as it was sold.
ITEM_COLUMNS = ("product_id", "sku", "product_name", "quantity", "unit_price", "line_total")
_EVENT_COLUMNS = ("from_status", "to_status", "actor_kind", "actor_id", "reason", "at", "recorded_at")
_TOLD_COLUMNS = ("topic", "company_id", "payout_id", "step", "actor_kind", "occurred_at", "recorded_at")
#: Order numbers: "KP-" and the id, 8 digits at least (KP-00000042, ..., KP-123456789).
NUMBER_DIGITS = 8


def order_number(order_id: int) -> str:
    return f"KP-{order_id:0{NUMBER_DIGITS}d}"


def _write_opened(
    session: Session,
    values: dict[str, Any],
    event: dict[str, Any],
    told: dict[str, Any],
    items: list[dict[str, Any]],
) -> tuple[int, str]:
    """Write a new order, numbered from its id (unique without a race), with its first event, its outbox
    event and its lines; (id, number). PostgreSQL: one statement (the rest hang off the order's INSERT
    as data-modifying CTEs: 4 statements in 1, 3 round trips fewer per order, bench/api.py). SQLite: the order under
    a placeholder number, numbered from the id it got, then the rest one by one (in-process: no round
    trips to save)."""
    if session.get_bind().dialect.name == "postgresql":
        params = {
            **values,
            **{f"event_{name}": value for name, value in event.items()},
            **{f"told_{name}": value for name, value in told.items()},
            **{f"items_{name}": [item[name] for item in items] for name in ITEM_COLUMNS},
        }
        order_id, number = session.execute(_opening(tuple(sorted(values))), params).one()
        return order_id, number
    placeholder = f"TMP-{uuid.uuid4().hex[:24]}"
    order_id = session.execute(_INSERT_ORDER, {**values, "order_number": placeholder}).scalar_one()
    number = order_number(order_id)
    session.execute(_NUMBER_ORDER, {"order": order_id, "number": number})
    session.execute(_INSERT_EVENT, {**event, "order_id": order_id})
    session.execute(_INSERT_TOLD, {**told, "order_id": order_id})
    session.execute(_INSERT_ITEMS, [{**item, "order_id": order_id} for item in items])
    return order_id, number


@functools.cache
def _opening(columns: tuple[str, ...]) -> Any:
    """PostgreSQL's one statement of placing, for an order with these columns (bound by name): the order
    INSERT .. SELECT with its id drawn from the sequence once and its number written from it (as
    `order_number` writes it), and, off its RETURNING, the INSERTs of its first event (`event_*`), its
    outbox event (`told_*`) and its lines (`items_*`, one array per column); built once per set of
    columns."""
    o = orders_t.c
    drawn = select(func.nextval(func.pg_get_serial_sequence("orders", "id")).label("id")).subquery()
    digits = cast(drawn.c.id, String)
    number = literal("KP-") + case(
        (func.length(digits) < NUMBER_DIGITS, func.lpad(digits, NUMBER_DIGITS, "0")), else_=digits
    )
    given = [bindparam(column, type_=o[column].type) for column in columns]
    opened = (
        insert(orders_t)
        .from_select(["id", "order_number", *columns], select(drawn.c.id, number, *given))
        .returning(o.id, o.order_number)
        .cte("opened")
    )

    def off_opened(table: Any, names: tuple[str, ...], prefix: str) -> Any:
        bound = [bindparam(f"{prefix}{name}", type_=table.c[name].type) for name in names]
        return insert(table).from_select(["order_id", *names], select(opened.c.id, *bound)).cte(f"{prefix}row")

    lines = (
        func.unnest(*[bindparam(f"items_{name}", type_=ARRAY(items_t.c[name].type)) for name in ITEM_COLUMNS])
        .table_valued(*ITEM_COLUMNS)
        .render_derived()
    )
    items = insert(items_t).from_select(
        ["order_id", *ITEM_COLUMNS],
        select(opened.c.id, *[lines.c[name] for name in ITEM_COLUMNS]).select_from(opened.join(lines, true())),
    )
    return select(opened.c.id, opened.c.order_number).add_cte(
        off_opened(events_t, _EVENT_COLUMNS, "event_"),
        off_opened(outbox_t, _TOLD_COLUMNS, "told_"),
        items.cte("items_rows"),
    )


def open_order(
    session: Session,
    warehouse: CalendarSource,
    *,
    now: datetime,
    by: str,
    items: list[dict[str, Any]],
    calendar: OperatingCalendar | None = None,
    **columns,
) -> Opened:
    """Placing: a new order in `warehouse` (its row: id, company_id and calendar columns), numbered
    "KP-" and its id, with its lines (`items`: ITEM_COLUMNS each), the clock the table starts for it,
    its first event, its outbox event and its notifications; `calendar`: the warehouse's, when the
    caller read it already. The caller has reserved the lines' stock (Effect.RESERVE)."""
    transition = TRANSITIONS[Step.PLACE]
    # Read once: the time to confirm and the warnings about it count in the same business time.
    if transition.starts == CONFIRM:
        calendar = calendar or calendar_of(session, warehouse)
    values = {
        "company_id": warehouse.company_id,
        "warehouse_id": warehouse.id,
        "status": transition.target,
        "updated_at": now,
        **{column: now for column in transition.stamps},
        **_started(session, warehouse, transition, now, calendar),
        # when the seller is warned that the time to confirm runs out (core.notifications.warnings)
        **(confirm_warnings(calendar, now) if calendar is not None else {}),
        **columns,
    }
    event = {
        "from_status": None,
        "to_status": transition.target,
        "actor_kind": transition.actor,
        "actor_id": by,
        "reason": transition.reason,
        "at": now,
        "recorded_at": now,
    }
    told = outbox.order_step_event(warehouse.company_id, transition, now, now)
    order_id, number = _write_opened(session, values, event, told, items)
    notify.notify_order_step(
        session, order_id=order_id, company_id=warehouse.company_id, transition=transition, at=now, now=now
    )
    return Opened(order_id, number, values)
