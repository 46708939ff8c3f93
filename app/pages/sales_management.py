"""Sales Management (Product Manager): a tab per stage of the order lifecycle, each order's detail
with its timeline, and the actions of each stage. Every rule is in core.orders; this page reads
input, calls one core function, and says what happened."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

import pandas as pd
import streamlit as st

from app.bootstrap import get_store
from app.session import notify, require_actor
from app.ui.actions import attempt, rerun_saying
from app.ui.formats import local_time, rupiah, time_left
from app.ui.plain import say, typed
from core.clock import utc_now
from core.domain import ComplaintResolution, FailureKind, Role
from core.orders import seller, views
from core.orders.lifecycle import STATUS_LABELS, Step
from core.orders.views import OrderDetail, OrderRow

actor = require_actor(Role.PRODUCT_MANAGER)
store = get_store()
now = utc_now()

COURIERS = ("JNE", "J&T Express", "SiCepat", "AnterAja", "Pos Indonesia", "Other")
URGENT = timedelta(hours=2)
FAILURE_LABELS = {
    FailureKind.REJECTED_BY_SELLER: "Rejected by the seller",
    FailureKind.CANCELLED_BY_BUYER: "Cancelled by the buyer",
    FailureKind.CANCELLED_BY_SYSTEM: "Cancelled by the system",
}


DONE = "_sales_done"  # (stage, order) whose action succeeded: close it on the next run


def run_action(action, success: str, number: str) -> None:
    """Call one core action; on success say so after the rerun; on refusal say why (and keep the form)."""
    if not attempt(action):
        return
    st.session_state[DONE] = number
    st.session_state.pop(f"seen_{number}", None)  # reopened later, it shows as it is then
    rerun_saying(success)


def urgency_colour(deadline: datetime | None) -> str:
    """Deadlines close to expiry stand out: red when overdue, orange within URGENT."""
    if deadline is None:
        return ""
    left = deadline - now
    if left.total_seconds() < 0:
        return "background-color: #fde2e1; color: #a4161a; font-weight: 600"
    return "background-color: #fff1d6; color: #8a4b00; font-weight: 600" if left < URGENT else ""


def table(rows: list[OrderRow], deadline_label: str | None) -> None:
    frame = pd.DataFrame(
        [
            {
                "Order": row.order_number,
                "Status": STATUS_LABELS[row.status],
                **(
                    {deadline_label: local_time(row.deadline, row.time_zone), "Time left": time_left(row.deadline, now)}
                    if deadline_label
                    else {}
                ),
                "Warehouse": row.warehouse_code,
                "Buyer": row.buyer_name,
                "Units": row.item_count,
                "Amount": rupiah(row.total_amount),
                "Placed": local_time(row.placed_at, row.time_zone),
            }
            for row in rows
        ]
    )
    if deadline_label and rows:
        colours = [urgency_colour(row.deadline) for row in rows]
        frame = frame.style.apply(lambda _column: colours, subset=["Time left"])
    st.dataframe(frame, hide_index=True, width="stretch")


def pick_order(rows: list[OrderRow], stage: str) -> str | None:
    key = f"pick_{stage}"
    if st.session_state.get(key) and st.session_state.get(key) == st.session_state.get(DONE):
        del st.session_state[key]  # the user's own action moved it on: close it
    numbers = [row.order_number for row in rows]
    if st.session_state.get(key) and st.session_state[key] not in numbers:
        numbers.append(st.session_state[key])  # it moved on while open: keep it, and say what happened
    return st.selectbox(
        "Open an order",
        numbers,
        index=None,
        key=f"pick_{stage}",
        placeholder="Choose an order to see its detail and act on it",
    )


def show_detail(detail: OrderDetail) -> None:
    order, zone = detail.order, detail.warehouse.time_zone
    left, right = st.columns([3, 2])
    with left:
        st.markdown(f"#### {typed(order.order_number)} · {STATUS_LABELS[order.status]}")
        buyer, warehouse = detail.buyer, detail.warehouse
        st.markdown(
            f"**Buyer:** {typed(buyer.name)} ({typed(buyer.buyer_code)}) · {typed(buyer.phone or 'no phone')}  \n"
            f"**Warehouse:** {typed(warehouse.code)} — {typed(warehouse.name)}  \n"
            f"**Amount:** {rupiah(order.total_amount)} for {order.item_count} units"
        )
        st.dataframe(
            pd.DataFrame(
                [
                    {
                        "SKU": i.sku,
                        "Product": i.product_name,
                        "Quantity": i.quantity,
                        "Unit price": rupiah(i.unit_price),
                        "Line total": rupiah(i.line_total),
                    }
                    for i in detail.items
                ]
            ),
            hide_index=True,
            width="stretch",
        )
        deadlines = [
            ("Confirm by", order.confirm_deadline),
            ("Pack by", order.pack_deadline),
            ("Deliver by", order.delivery_deadline),
            ("Answer complaint by", order.complaint_deadline),
            ("Completes automatically", order.complete_deadline),
        ]
        st.markdown("  \n".join(f"**{label}:** {local_time(due, zone)}" for label, due in deadlines if due))
        if order.failure_reason:
            st.markdown(f"**Why it failed:** {typed(order.failure_reason)}")
        if detail.complaint:
            st.markdown(f"**Complaint:** {typed(detail.complaint.description)}")
        if detail.payout:
            st.markdown(
                f"**Payout:** {rupiah(detail.payout.amount)} · {detail.payout.status.lower()}"
                + (f" · {typed(detail.payout.transfer_reference)}" if detail.payout.transfer_reference else "")
            )
        if detail.refund:
            st.markdown(f"**Refund:** {rupiah(detail.refund.amount)} · {typed(detail.refund.reason)}")
    with right:
        st.markdown("##### Timeline")
        for event in detail.events:
            who = event.actor_id or event.actor_kind.lower()
            st.markdown(
                f"- {local_time(event.at, zone)} — **{STATUS_LABELS[event.to_status]}** "
                f"by {event.actor_kind.lower()} {typed(who)}" + (f": {typed(event.reason)}" if event.reason else "")
            )
        if detail.shipment:
            shipment = detail.shipment
            st.markdown(f"##### Shipped with {typed(shipment.courier)}, tracking {typed(shipment.tracking_number)}")
            st.image(detail.shipment.proof_photo, caption="Shipping proof", width=320)


def new_actions(number: str, steps: list[Step]) -> None:
    accept, reject = st.columns(2)
    if Step.ACCEPT in steps and accept.button("Accept", key=f"accept_{number}", type="primary"):
        run_action(lambda: seller.accept_order(store, actor, number, utc_now()), f"{number} accepted.", number)
    if Step.REJECT in steps:
        with reject.form(f"reject_{number}", clear_on_submit=False):
            reason = st.text_input(
                "Reason for rejecting (the buyer sees it)", max_chars=seller.MAX_REASON, key=f"reason_{number}"
            )
            if st.form_submit_button("Reject"):
                run_action(
                    lambda: seller.reject_order(store, actor, number, reason, utc_now()), f"{number} rejected.", number
                )


def bulk_accept(rows: list[OrderRow]) -> None:
    with st.expander("Accept several orders at once"):
        chosen = st.multiselect("Orders to accept", [row.order_number for row in rows], key="bulk_pick")
        if st.button("Accept the chosen orders", key="bulk_accept", disabled=not chosen):
            progress = st.progress(0.0, text="Accepting…")
            result = seller.accept_orders(
                store,
                actor,
                chosen,
                utc_now(),
                on_progress=lambda done, total: progress.progress(done / total, text=f"Accepted {done} of {total}…"),
            )
            if result.done:
                notify("success", f"Accepted {len(result.done)} of {len(chosen)} orders.")
            for why in result.refused.values():
                notify("warning", why)
            st.rerun()


def packing_actions(detail: OrderDetail) -> None:
    number = detail.order.order_number
    st.markdown("##### Check off each item against the order before packing")
    checked = {
        item.id
        for item in detail.items
        if st.checkbox(
            f"{item.quantity} × {typed(item.sku)} — {typed(item.product_name)}", key=f"check_{number}_{item.id}"
        )
    }
    if st.button("Mark packed", key=f"packed_{number}", type="primary"):
        run_action(
            lambda: seller.mark_packed(store, actor, number, checked, utc_now()),
            f"{number} is packed; the courier's delivery time starts now.",
            number,
        )


def shipping_actions(number: str) -> None:
    with st.form(f"ship_{number}"):
        st.markdown("##### Ship with a proof photo")
        photo = st.file_uploader(
            "Shipping proof photo (PNG, JPEG or WebP)", type=["png", "jpg", "jpeg", "webp"], key=f"photo_{number}"
        )
        courier = st.selectbox("Courier", COURIERS, key=f"courier_{number}")
        tracking = st.text_input(
            "Tracking number", max_chars=seller.TRACKING_NUMBER_LENGTH[1], key=f"tracking_{number}"
        )
        if st.form_submit_button("Mark shipped", type="primary"):
            if photo is None:
                st.error("Upload the shipping proof photo first: it is the proof that the order left the warehouse.")
            else:
                run_action(
                    lambda: seller.ship_order(
                        store,
                        actor,
                        number,
                        courier=courier,
                        tracking_number=tracking,
                        photo=photo.getvalue(),
                        photo_name=photo.name,
                        now=utc_now(),
                    ),
                    f"{number} is shipped with {courier}.",
                    number,
                )


def receive_actions(number: str) -> None:
    fit = st.checkbox("The goods can be sold again (put them back in stock)", value=True, key=f"fit_{number}")
    if st.button("Returned goods received: refund the buyer", key=f"received_{number}", type="primary"):
        run_action(
            lambda: seller.receive_return(store, actor, number, fit_to_sell=fit, now=utc_now()),
            f"{number}: goods received, the buyer is refunded.",
            number,
        )


ANSWERS = {
    Step.ANSWER_WITH_REFUND: ("Refund the buyer", ComplaintResolution.REFUND),
    Step.ANSWER_WITH_RETURN: ("Ask for the goods back (return, then refund)", ComplaintResolution.RETURN),
}


def answer_actions(number: str, steps: list[Step]) -> None:
    choices = {label: resolution for step, (label, resolution) in ANSWERS.items() if step in steps}
    with st.form(f"answer_{number}"):
        choice = st.radio("Answer", list(choices), key=f"resolution_{number}")
        note = st.text_input("Note to the buyer", max_chars=seller.MAX_REASON, key=f"note_{number}")
        if st.form_submit_button("Send the answer", type="primary"):
            run_action(
                lambda: seller.answer_complaint(store, actor, number, choices[choice], note, utc_now()),
                f"{number}: complaint answered.",
                number,
            )


def failed_filters() -> dict:
    reason_col, from_col, to_col = st.columns(3)
    label = reason_col.selectbox("Reason", ["All reasons", *FAILURE_LABELS.values()], key="failed_reason")
    since = from_col.date_input("From", value=(now - timedelta(days=30)).date(), key="failed_from")
    until = to_col.date_input("To", value=now.date(), key="failed_to")
    kind = next((k for k, v in FAILURE_LABELS.items() if v == label), None)
    return {
        "failure_kind": kind,
        "closed_from": datetime.combine(since, time(0), UTC),
        "closed_to": datetime.combine(until + timedelta(days=1), time(0), UTC),
    }


def stage_tab(stage: str, deadline_label: str | None) -> None:
    filters = failed_filters() if stage == "Failed" else {}
    rows = views.list_orders(store, actor, stage, **filters)
    if not rows and not st.session_state.get(f"pick_{stage}"):
        st.info("No orders here right now.")
        return
    if stage == "Failed":
        st.dataframe(
            pd.DataFrame(
                [
                    {
                        "Order": r.order_number,
                        "Why": FAILURE_LABELS.get(r.failure_kind, "—"),
                        "Detail": r.failure_reason,
                        "When": local_time(r.closed_at, r.time_zone),
                        "Warehouse": r.warehouse_code,
                        "Buyer": r.buyer_name,
                        "Amount": rupiah(r.total_amount),
                    }
                    for r in rows
                ]
            ),
            hide_index=True,
            width="stretch",
        )
    else:
        table(rows, deadline_label)
    if stage == "New":
        bulk_accept(rows)
    number = pick_order(rows, stage)
    if number:
        opened = attempt(lambda: views.order_detail(store, actor, number))
        if not opened:
            return
        detail = opened.value
        # Act on the order as it was when opened: if it moved on meanwhile, the action is refused by
        # core with what happened, instead of a button that silently vanishes under the cursor.
        seen_clock, seen_at = st.session_state.setdefault(f"seen_{number}", (detail.clock, utc_now()))
        if detail.order.status != seen_clock.status:
            say("warning", f"{number} changed while you had it open. {detail.last_change}")
        show_detail(detail)
        offer_steps(number, detail, *views.seller_steps(seen_clock, seen_at))


def offer_steps(number: str, detail: OrderDetail, steps: list[Step], refused: dict[Step, str]) -> None:
    """Offer what the lifecycle lets the seller do (core decides); say why not for the rest."""
    if Step.ACCEPT in steps or Step.REJECT in steps:
        new_actions(number, steps)
    if Step.MARK_PACKED in steps:
        packing_actions(detail)
    if Step.SHIP in steps:
        shipping_actions(number)
    if Step.RECEIVE_RETURN in steps:
        receive_actions(number)
    if Step.ANSWER_WITH_REFUND in steps or Step.ANSWER_WITH_RETURN in steps:
        answer_actions(number, steps)
    for why in dict.fromkeys(refused.values()):
        say("info", f"{number}: {why[0].upper()}{why[1:]}.")


st.title("Sales Management")
counts = views.stage_counts(store, actor)
TABS = [
    ("New", "Confirm by"),
    ("Processing", "Pack by"),
    ("Shipping", "Deliver by"),
    ("Delivered", "Completes automatically"),
    ("Complaints", "Answer by"),
    ("Failed", None),
]
for (stage, deadline_label), tab in zip(TABS, st.tabs([f"{stage} ({counts[stage]})" for stage, _ in TABS])):
    with tab:
        stage_tab(stage, deadline_label)
st.caption(
    "Times are the warehouse's local time. Time left is orange within 2 hours and red once overdue. "
    "Deadlines were fixed when "
    "each order entered its stage; the scheduler acts on them even when nobody has this page open."
)
