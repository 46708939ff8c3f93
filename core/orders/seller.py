"""What a Product Manager does to orders: accept, reject, pack, ship, answer complaints, receive
returned goods.

Each action is one unit of work through `acting` (role, standing, aware `now`, conflicts told in
words) and takes one step of the lifecycle table (core.orders.steps). It reaches only orders of the
actor's own company: another company's order is "not found", never "forbidden" (we do not confirm
that it exists).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.acting import Actor, acting, require_role
from core.domain import ComplaintResolution, Role
from core.errors import DomainError, InvalidInput, NotFound
from core.i18n import N_, _
from core.images import SHIPPING_PROOF, check_image
from core.orders.lifecycle import Step
from core.orders.steps import RETURN_NOT_FIT, RETURN_RESTOCKED, SHIPPED_WITH, take_step
from core.store.database import Store
from core.store.models import Complaint, Order, OrderItem, Shipment
from core.text import clean_text, lookup_text, shown

PM = Role.PRODUCT_MANAGER
#: The rejection reason and the note that answers a complaint (the buyer reads both).
MAX_REASON = 500
MAX_COURIER = 100
TRACKING_NUMBER_LENGTH = (4, 40)
#: The longest order number there is ("KP-" and the id): longer text is simply not found.
MAX_ORDER_NUMBER = 32

#: What each action is, as a refusal of the role says it ("Only a Product Manager may accept orders").
ACCEPT_ORDERS = N_("accept orders")
REJECT_ORDERS = N_("reject orders")
PACK_ORDERS = N_("pack orders")
SHIP_ORDERS = N_("ship orders")
ANSWER_COMPLAINTS = N_("answer complaints")
RECORD_RETURNS = N_("record returned goods")


def own_order(session: Session, actor: Actor, order_number: str) -> Order:
    """An order of the actor's company, or NotFound (whether it exists elsewhere or not at all)."""
    number = lookup_text(order_number, max_length=MAX_ORDER_NUMBER)
    order = (
        None
        if number is None
        else session.scalar(select(Order).where(Order.order_number == number, Order.company_id == actor.company_id))
    )
    if order is None:
        raise NotFound(_("Order {number} was not found in your company's orders.", number=shown(order_number)))
    return order


def accept_order(store: Store, actor: Actor, order_number: str, now: datetime) -> None:
    """Accept within 1 business day; the packing clock (the warehouse's processing time) starts now."""
    with acting(store, actor, PM, doing=ACCEPT_ORDERS, now=now) as (session, _user, now):
        take_step(session, own_order(session, actor, order_number), Step.ACCEPT, now=now, by=actor.label)


def reject_order(store: Store, actor: Actor, order_number: str, reason: str, now: datetime) -> None:
    require_role(actor, PM, doing=REJECT_ORDERS)
    reason = clean_text(
        reason,
        what=N_("rejection reason"),
        field="reason",
        max_length=MAX_REASON,
        required=N_("Say why the order is rejected; the buyer sees the reason."),
    )
    with acting(store, actor, PM, doing=REJECT_ORDERS, now=now) as (session, _user, now):
        take_step(
            session,
            own_order(session, actor, order_number),
            Step.REJECT,
            now=now,
            by=actor.label,
            reason=reason,
            failure_reason=reason,
        )


@dataclass
class BulkResult:
    done: list[str] = field(default_factory=list)
    refused: dict[str, str] = field(default_factory=dict)  # order number -> why


def _one_by_one(
    store: Store,
    actor: Actor,
    order_numbers: list[str],
    now: datetime,
    doing: str,
    act: Callable[[str], None],
    on_progress: Callable[[int, int], None],
) -> BulkResult:
    """Each order in its own transaction, so one refusal does not hold back the rest."""
    with acting(store, actor, PM, doing=doing, now=now, write=False):
        pass  # refuse a user who lost their standing before trying any order
    result = BulkResult()
    for index, number in enumerate(order_numbers, start=1):
        try:
            act(number)
            result.done.append(number)
        except DomainError as refused:
            result.refused[number] = refused.message
        on_progress(index, len(order_numbers))
    return result


def accept_orders(
    store: Store,
    actor: Actor,
    order_numbers: list[str],
    now: datetime,
    on_progress: Callable[[int, int], None] = lambda _done, _total: None,
) -> BulkResult:
    """Bulk accept: each order accepted or refused on its own."""
    accept = lambda number: accept_order(store, actor, number, now)  # noqa: E731
    return _one_by_one(store, actor, order_numbers, now, ACCEPT_ORDERS, accept, on_progress)


def mark_packed(store: Store, actor: Actor, order_number: str, checked_item_ids: set[int], now: datetime) -> None:
    """Packed = every line checked off against the order (the FAQ's 'wrong goods shipped' risk).
    Meets the packing deadline and starts the courier's delivery SLA."""
    with acting(store, actor, PM, doing=PACK_ORDERS, now=now) as (session, _user, now):
        _pack(session, actor, own_order(session, actor, order_number), checked_item_ids, now)


def pack_orders(
    store: Store,
    actor: Actor,
    order_numbers: list[str],
    now: datetime,
    on_progress: Callable[[int, int], None] = lambda _done, _total: None,
) -> BulkResult:
    """Bulk pack, for a person who has checked every line of each order against its packing list
    and says so: each order's lines are checked off with it, each order packed or refused on its own."""

    def pack_all(number: str) -> None:
        with acting(store, actor, PM, doing=PACK_ORDERS, now=now) as (session, _user, moment):
            order = own_order(session, actor, number)
            lines = set(session.scalars(select(OrderItem.id).where(OrderItem.order_id == order.id)))
            _pack(session, actor, order, lines, moment)

    return _one_by_one(store, actor, order_numbers, now, PACK_ORDERS, pack_all, on_progress)


def _pack(session: Session, actor: Actor, order: Order, checked_item_ids: set[int], now: datetime) -> None:
    items = session.scalars(select(OrderItem).where(OrderItem.order_id == order.id)).all()
    missing = [item.sku for item in items if item.id not in checked_item_ids]
    if missing:
        raise InvalidInput(
            _(
                "Check off every item before marking {number} packed: {checked} of {total} checked; "
                "not yet: {missing}.",
                number=order.order_number,
                checked=len(items) - len(missing),
                total=len(items),
                missing=", ".join(missing),
            ),
            field="items",
        )
    take_step(session, order, Step.MARK_PACKED, now=now, by=actor.label)
    for item in items:
        item.checked_at = now


def ship_order(
    store: Store,
    actor: Actor,
    order_number: str,
    *,
    courier: str,
    tracking_number: str,
    photo: bytes,
    photo_name: str,
    now: datetime,
) -> None:
    """Shipping needs the proof photo (checked by decoding it), the courier and the tracking number.
    The reserved units leave the shelf."""
    require_role(actor, PM, doing=SHIP_ORDERS)
    courier = clean_text(
        courier,
        what=N_("courier name"),
        field="courier",
        max_length=MAX_COURIER,
        collapse_spaces=True,
        required=N_("Name the courier that took the parcel."),
    )
    tracking_number = clean_text(tracking_number, what=N_("tracking number"), field="tracking_number", max_length=None)
    low, high = TRACKING_NUMBER_LENGTH
    if not low <= len(tracking_number) <= high or not all(c.isalnum() or c in "-_/" for c in tracking_number):
        raise InvalidInput(
            _("The tracking number must be {low} to {high} letters, digits or - _ /.", low=low, high=high),
            field="tracking_number",
        )
    proof = check_image(photo, photo_name, SHIPPING_PROOF, what=N_("shipping proof photo"))
    with acting(store, actor, PM, doing=SHIP_ORDERS, now=now) as (session, _user, now):
        order = own_order(session, actor, order_number)
        order_id = order.id
        # Stored in English (core.orders.steps.said translates it where it is shown).
        shipped = f"{SHIPPED_WITH}{courier}, {tracking_number}"
        take_step(session, order, Step.SHIP, now=now, by=actor.label, reason=shipped)
        session.add(
            Shipment(
                order_id=order_id,
                courier=courier,
                tracking_number=tracking_number,
                proof_photo=proof.data,
                proof_mime=proof.mime,
                shipped_by_user_id=actor.user_id,
                shipped_at=now,
            )
        )


ANSWERS = {ComplaintResolution.REFUND: Step.ANSWER_WITH_REFUND, ComplaintResolution.RETURN: Step.ANSWER_WITH_RETURN}


def answer_complaint(
    store: Store, actor: Actor, order_number: str, resolution: ComplaintResolution, note: str, now: datetime
) -> None:
    """Refund: the buyer is refunded now. Return: the goods come back first; the refund follows
    when they are recorded as received."""
    require_role(actor, PM, doing=ANSWER_COMPLAINTS)
    if resolution not in ANSWERS:
        raise InvalidInput(_("Answer a complaint with a refund or a return."), field="resolution")
    note = clean_text(note, what=N_("note to the buyer"), field="note", max_length=MAX_REASON)
    with acting(store, actor, PM, doing=ANSWER_COMPLAINTS, now=now) as (session, _user, now):
        order = own_order(session, actor, order_number)
        order_id = order.id
        take_step(session, order, ANSWERS[resolution], now=now, by=actor.label, reason=note or None)
        complaint = session.scalars(select(Complaint).where(Complaint.order_id == order_id)).one()
        complaint.resolution, complaint.answer_note = resolution, note
        complaint.answered_at, complaint.answered_by_user_id = now, actor.user_id


def receive_return(store: Store, actor: Actor, order_number: str, *, fit_to_sell: bool, now: datetime) -> None:
    """The returned goods arrived: refund the buyer, and restock them if they can be sold again."""
    with acting(store, actor, PM, doing=RECORD_RETURNS, now=now) as (session, _user, now):
        order = own_order(session, actor, order_number)
        order_id = order.id
        take_step(
            session,
            order,
            Step.RECEIVE_RETURN,
            now=now,
            by=actor.label,
            restock_goods=fit_to_sell,
            reason=RETURN_RESTOCKED if fit_to_sell else RETURN_NOT_FIT,
        )
        complaint = session.scalars(select(Complaint).where(Complaint.order_id == order_id)).one()
        complaint.return_received_at, complaint.restocked = now, fit_to_sell
