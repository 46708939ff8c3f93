"""Sales management: what a Product Manager does to orders, and what they see of them.

Every function takes the acting user and, inside its own unit of work, checks the role and that the
user and company may still act (core.accounts.authorize); it reaches only orders of the actor's own
company (another company's order is "not found", never "forbidden": we do not confirm it exists).
Each action is one transaction through core.orders.steps.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import case, func, select

from core.acting import Actor, require_role
from core.acting import authorize
from core.warehouses.business_time import add_business_days
from core.clock import require_aware
from core.domain import ActorKind, ComplaintResolution, FailureKind, OrderStatus, Role
from core.errors import DomainError, InvalidInput, NotFound
from core.images import SHIPPING_PROOF, check_image
from core.orders.lifecycle import Step, delivery_deadline_from
from core.store.models import Buyer, Complaint, Order, OrderEvent, OrderItem, Payout, Refund, Shipment, Warehouse
from core.orders.steps import apply_step, create_refund, describe_event, order_lines, release_stock, restock, take_stock
from core.store.database import Store
from core.warehouses.warehouses import calendar_of

PM = Role.PRODUCT_MANAGER
MAX_REASON = 500


def _own_order(session, actor: Actor, order_number: str) -> Order:
    query = select(Order).where(Order.order_number == order_number, Order.company_id == actor.company_id)
    order = session.scalar(query)
    if order is None:
        raise NotFound(f"Order {order_number} was not found in your company's orders.")
    return order


def _user(actor: Actor) -> dict:
    return {"actor_kind": ActorKind.USER, "actor_id": actor.label}


# --- actions -----------------------------------------------------------------------------------

def accept_order(store: Store, actor: Actor, order_number: str, now: datetime) -> None:
    """Accept within 1 business day; the packing clock (the warehouse's processing time) starts now."""
    now = require_aware(now)
    with store.transaction() as session:
        authorize(session, actor, PM, doing="accept orders")
        order = _own_order(session, actor, order_number)
        warehouse = session.get(Warehouse, order.warehouse_id)
        pack_deadline = add_business_days(calendar_of(session, warehouse), now, warehouse.processing_days)
        apply_step(session, order, Step.ACCEPT, now=now, reason="accepted", accepted_at=now,
                   pack_deadline=pack_deadline, **_user(actor))


def reject_order(store: Store, actor: Actor, order_number: str, reason: str, now: datetime) -> None:
    require_role(actor, PM, doing="reject orders")
    now = require_aware(now)
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput("Say why the order is rejected; the buyer sees the reason.", field="reason")
    with store.transaction() as session:
        authorize(session, actor, PM, doing="reject orders")
        order = _own_order(session, actor, order_number)
        warehouse_id, order_id = order.warehouse_id, order.id
        apply_step(session, order, Step.REJECT, now=now, reason=reason[:MAX_REASON], closed_at=now,
                   failure_kind=FailureKind.REJECTED_BY_SELLER, failure_reason=reason[:MAX_REASON], **_user(actor))
        release_stock(session, warehouse_id, order_lines(session, order_id), now)


@dataclass
class BulkResult:
    done: list[str] = field(default_factory=list)
    refused: dict[str, str] = field(default_factory=dict)  # order number -> why


def accept_orders(store: Store, actor: Actor, order_numbers: list[str], now: datetime,
                  on_progress=lambda _done, _total: None) -> BulkResult:
    """Bulk accept: each order in its own transaction, so one refusal does not hold back the rest."""
    with store.reading() as session:  # refuse a user who lost their standing before trying any order
        authorize(session, actor, PM, doing="accept orders")
    result = BulkResult()
    for index, number in enumerate(order_numbers, start=1):
        try:
            accept_order(store, actor, number, now)
            result.done.append(number)
        except DomainError as refused:
            result.refused[number] = refused.message
        on_progress(index, len(order_numbers))
    return result


def mark_packed(store: Store, actor: Actor, order_number: str, checked_item_ids: set[int], now: datetime) -> None:
    """Packed = every line checked off against the order (the FAQ's 'wrong goods shipped' risk).
    Meets the packing deadline and starts the courier's delivery SLA."""
    now = require_aware(now)
    with store.transaction() as session:
        authorize(session, actor, PM, doing="pack orders")
        order = _own_order(session, actor, order_number)
        items = session.scalars(select(OrderItem).where(OrderItem.order_id == order.id)).all()
        missing = [item.sku for item in items if item.id not in checked_item_ids]
        if missing:
            raise InvalidInput(f"Check off every item before marking {order_number} packed: "
                               f"{len(items) - len(missing)} of {len(items)} checked; not yet: {', '.join(missing)}.",
                               field="items")
        warehouse = session.get(Warehouse, order.warehouse_id)
        apply_step(session, order, Step.MARK_PACKED, now=now, reason="packed, all items checked", packed_at=now,
                   delivery_deadline=delivery_deadline_from(now, warehouse.delivery_sla_days), **_user(actor))
        for item in items:
            item.checked_at = now


def ship_order(store: Store, actor: Actor, order_number: str, *, courier: str, tracking_number: str,
               photo: bytes, photo_name: str, now: datetime) -> None:
    """Shipping needs the proof photo (checked by decoding it), the courier and the tracking number.
    The reserved units leave the shelf."""
    require_role(actor, PM, doing="ship orders")
    now = require_aware(now)
    courier, tracking_number = (courier or "").strip(), (tracking_number or "").strip()
    if not courier:
        raise InvalidInput("Name the courier that took the parcel.", field="courier")
    if not 4 <= len(tracking_number) <= 40 or not all(c.isalnum() or c in "-_/" for c in tracking_number):
        raise InvalidInput("The tracking number must be 4 to 40 letters, digits or - _ /.", field="tracking_number")
    proof = check_image(photo, photo_name, SHIPPING_PROOF, what="shipping proof photo")
    with store.transaction() as session:
        authorize(session, actor, PM, doing="ship orders")
        order = _own_order(session, actor, order_number)
        warehouse_id, order_id = order.warehouse_id, order.id
        apply_step(session, order, Step.SHIP, now=now, reason=f"shipped with {courier}, {tracking_number}",
                   shipped_at=now, **_user(actor))
        take_stock(session, warehouse_id, order_lines(session, order_id), now)
        session.add(Shipment(order_id=order_id, courier=courier[:100], tracking_number=tracking_number,
                             proof_photo=proof.data, proof_mime=proof.mime, shipped_by_user_id=actor.user_id,
                             shipped_at=now))


def answer_complaint(store: Store, actor: Actor, order_number: str, resolution: ComplaintResolution, note: str,
                     now: datetime) -> None:
    """Refund: the buyer is refunded now. Return: the goods come back first; the refund follows
    when they are recorded as received."""
    require_role(actor, PM, doing="answer complaints")
    now = require_aware(now)
    if resolution not in (ComplaintResolution.REFUND, ComplaintResolution.RETURN):
        raise InvalidInput("Answer a complaint with a refund or a return.", field="resolution")
    note = (note or "").strip()[:MAX_REASON]
    with store.transaction() as session:
        authorize(session, actor, PM, doing="answer complaints")
        order = _own_order(session, actor, order_number)
        step = Step.ANSWER_WITH_REFUND if resolution == ComplaintResolution.REFUND else Step.ANSWER_WITH_RETURN
        closing = {"closed_at": now} if resolution == ComplaintResolution.REFUND else {}
        apply_step(session, order, step, now=now, reason=note or f"answered with a {resolution.lower()}",
                   **closing, **_user(actor))
        complaint = session.scalar(select(Complaint).where(Complaint.order_id == order.id))
        complaint.resolution, complaint.answer_note = resolution, note
        complaint.answered_at, complaint.answered_by_user_id = now, actor.user_id
        if resolution == ComplaintResolution.REFUND:
            create_refund(session, order, reason="complaint answered with a refund", now=now)


def receive_return(store: Store, actor: Actor, order_number: str, *, fit_to_sell: bool, now: datetime) -> None:
    """The returned goods arrived: refund the buyer, and restock them if they can be sold again."""
    now = require_aware(now)
    with store.transaction() as session:
        authorize(session, actor, PM, doing="record returned goods")
        order = _own_order(session, actor, order_number)
        warehouse_id, order_id = order.warehouse_id, order.id
        apply_step(session, order, Step.RECEIVE_RETURN, now=now, closed_at=now,
                   reason="returned goods received" + (", restocked" if fit_to_sell else ", not fit to sell"),
                   **_user(actor))
        complaint = session.scalar(select(Complaint).where(Complaint.order_id == order_id))
        complaint.return_received_at, complaint.restocked = now, fit_to_sell
        if fit_to_sell:
            restock(session, warehouse_id, order_lines(session, order_id), now)
        create_refund(session, order, reason="complaint answered with a return", now=now)


# --- what the pages show -------------------------------------------------------------------------

#: The Sales Management tabs and the statuses each shows.
STAGES: dict[str, tuple[OrderStatus, ...]] = {
    "New": (OrderStatus.PENDING_CONFIRMATION,),
    "Processing": (OrderStatus.PROCESSING,),
    "Shipping": (OrderStatus.READY_TO_SHIP, OrderStatus.SHIPPED),
    "Delivered": (OrderStatus.DELIVERED,),
    "Complaints": (OrderStatus.COMPLAINED, OrderStatus.RETURN_REQUESTED),
    "Failed": (OrderStatus.REJECTED, OrderStatus.CANCELLED),
}

#: For each open status: the deadline that matters now, and what must happen before it.
ACTION_DEADLINES = {
    OrderStatus.PENDING_CONFIRMATION: (Order.confirm_deadline, "accept or reject"),
    OrderStatus.PROCESSING: (Order.pack_deadline, "pack"),
    OrderStatus.READY_TO_SHIP: (Order.delivery_deadline, "ship"),
    OrderStatus.SHIPPED: (Order.delivery_deadline, "courier delivers"),
    OrderStatus.DELIVERED: (Order.complete_deadline, "buyer confirms (else automatic completion)"),
    OrderStatus.COMPLAINED: (Order.complaint_deadline, "answer the complaint"),
}
#: The statuses in which the seller's staff must act next (the others wait on the courier or the buyer).
SELLERS_TURN = frozenset({OrderStatus.PENDING_CONFIRMATION, OrderStatus.PROCESSING, OrderStatus.READY_TO_SHIP,
                          OrderStatus.COMPLAINED})


@dataclass(frozen=True)
class OrderNeedingAction:
    order_number: str
    status: OrderStatus
    action: str
    deadline: datetime
    time_left: timedelta
    warehouse_code: str
    time_zone: str
    buyer_name: str
    total_amount: int


def _deadline_expression():
    return case(*((Order.status == status, column) for status, (column, _) in ACTION_DEADLINES.items()))


def orders_needing_action(store: Store, actor: Actor, now: datetime, limit: int = 20) -> list[OrderNeedingAction]:
    """The company's open orders ordered by their nearest deadline, with the time left (negative: overdue)."""
    require_role(actor, PM, doing="see orders")
    now = require_aware(now)
    deadline = _deadline_expression().label("deadline")
    # The sellers' own next steps come first in the query; courier and buyer waits are listed too.
    query = (select(Order.order_number, Order.status, deadline, Warehouse.code, Warehouse.time_zone, Buyer.name,
                    Order.total_amount)
             .join(Warehouse, Warehouse.id == Order.warehouse_id).join(Buyer, Buyer.id == Order.buyer_id)
             .where(Order.company_id == actor.company_id, Order.status.in_(list(ACTION_DEADLINES)))
             .order_by(deadline.asc()).limit(limit))
    with store.reading() as session:
        authorize(session, actor, PM, doing="see orders")
        return [OrderNeedingAction(number, status, ACTION_DEADLINES[status][1], due, due - now, code, zone, buyer,
                                   total)
                for number, status, due, code, zone, buyer, total in session.execute(query) if due is not None]


def stage_counts(store: Store, actor: Actor) -> dict[str, int]:
    with store.reading() as session:
        authorize(session, actor, PM, doing="see orders")
        by_status = dict(session.execute(
            select(Order.status, func.count()).where(Order.company_id == actor.company_id).group_by(Order.status)).all())
    return {stage: sum(by_status.get(status, 0) for status in statuses) for stage, statuses in STAGES.items()}


@dataclass(frozen=True)
class OrderRow:
    order_number: str
    status: OrderStatus
    placed_at: datetime
    deadline: datetime | None
    warehouse_code: str
    time_zone: str
    buyer_name: str
    total_amount: int
    item_count: int
    failure_kind: FailureKind | None
    failure_reason: str | None
    closed_at: datetime | None


def list_orders(store: Store, actor: Actor, stage: str, *, failure_kind: FailureKind | None = None,
                closed_from: datetime | None = None, closed_to: datetime | None = None,
                limit: int = 200) -> list[OrderRow]:
    """One Sales Management tab: open stages by nearest deadline first, Failed by most recent first."""
    require_role(actor, PM, doing="see orders")
    if stage not in STAGES:
        raise InvalidInput(f"Unknown stage {stage!r}.", field="stage")
    deadline = _deadline_expression().label("deadline")
    query = (select(Order, deadline, Warehouse.code, Warehouse.time_zone, Buyer.name)
             .join(Warehouse, Warehouse.id == Order.warehouse_id).join(Buyer, Buyer.id == Order.buyer_id)
             .where(Order.company_id == actor.company_id, Order.status.in_(STAGES[stage])))
    if stage == "Failed":
        if failure_kind:
            query = query.where(Order.failure_kind == failure_kind)
        if closed_from:
            query = query.where(Order.closed_at >= closed_from)
        if closed_to:
            query = query.where(Order.closed_at < closed_to)
        query = query.order_by(Order.closed_at.desc())
    else:
        query = query.order_by(deadline.asc(), Order.id)
    with store.reading() as session:
        authorize(session, actor, PM, doing="see orders")
        return [OrderRow(o.order_number, o.status, o.placed_at, due, code, zone, buyer, o.total_amount, o.item_count,
                         o.failure_kind, o.failure_reason, o.closed_at)
                for o, due, code, zone, buyer in session.execute(query.limit(limit))]


@dataclass(frozen=True)
class OrderDetail:
    order: Order
    warehouse: Warehouse
    buyer: Buyer
    items: list[OrderItem]
    events: list[OrderEvent]
    shipment: Shipment | None
    complaint: Complaint | None
    payout: Payout | None
    refund: Refund | None

    @property
    def last_change(self) -> str:
        """Who moved the order last, when and why: for someone whose view of it is out of date."""
        return describe_event(self.events[-1], self.warehouse.time_zone) if self.events else ""


def order_detail(store: Store, actor: Actor, order_number: str) -> OrderDetail:
    with store.reading() as session:
        authorize(session, actor, PM, doing="see orders")
        order = _own_order(session, actor, order_number)
        by_order = lambda model: session.scalar(select(model).where(model.order_id == order.id))  # noqa: E731
        return OrderDetail(
            order=order, warehouse=session.get(Warehouse, order.warehouse_id), buyer=session.get(Buyer, order.buyer_id),
            items=list(session.scalars(select(OrderItem).where(OrderItem.order_id == order.id).order_by(OrderItem.id))),
            events=list(session.scalars(select(OrderEvent).where(OrderEvent.order_id == order.id)
                                        .order_by(OrderEvent.at, OrderEvent.id))),
            shipment=by_order(Shipment), complaint=by_order(Complaint), payout=by_order(Payout), refund=by_order(Refund),
        )
