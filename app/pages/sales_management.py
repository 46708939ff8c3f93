"""Sales Management (Product Manager): every order of the company by stage, one search over all of
them, bulk work by tick box, and the open order's detail with the actions its stage allows.

The place survives every rerun: the stage and the open order live in the address (?stage=to-ship
&order=KP-…), so an action, a reload or a link lands on the same stage and order. The stage is
written there by its key, not by Streamlit's binding, which would write the label with its count. The counts and
the list refresh by themselves every 30 s (a fragment: the order being worked on and its forms are
outside it and never rerun under the person's hands). Every rule is in core.orders; this page reads
input, calls one core function, and says what happened.

Every word reads in the reader's language (core.i18n): the page's own texts here, the stage, status and
timeline words as core.orders marks them (translated where shown: `gettext`). The tables keep English
column names (the page's styling and the tests read them) and show them translated (column_config);
the PDFs are made, when clicked, in the language of the page that offered them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import timedelta
from zoneinfo import ZoneInfo

import pandas as pd
import streamlit as st

from app.bootstrap import get_store
from app.session import notify, require_actor
from app.ui.actions import attempt, rerun_saying
from app.ui.formats import DATE_INPUT_FORMAT, calendar_day, count, local_time, rupiah, time_left
from app.ui.language import in_this_language
from app.ui.plain import say, typed
from app.ui.uploads import image_uploader
from core.catalogue.stock import company_warehouses
from core.clock import utc_now
from core.domain import ComplaintResolution, FailureKind, PayoutStatus, Role
from core.i18n import N_, Message, _, _n, gettext, language, using
from core.images import SHIPPING_PROOF
from core.orders import papers, search, seller, views
from core.orders.lifecycle import STATUS_LABELS, Step
from core.orders.search import PRESETS, SORTS, STAGES, FoundOrder, OrderQuery, find_orders, stage_counts
from core.orders.views import OrderDetail

actor = require_actor(Role.PRODUCT_MANAGER)
store = get_store()

COURIERS = ("JNE", "J&T Express", "SiCepat", "AnterAja", "Pos Indonesia", N_("Other"))
URGENT = timedelta(hours=2)
REFRESH_EVERY = 30  # seconds between two refreshes of the counts and the list
FAILURE_LABELS = {
    FailureKind.REJECTED_BY_SELLER: N_("Rejected by the seller"),
    FailureKind.CANCELLED_BY_BUYER: N_("Cancelled by the buyer"),
    FailureKind.CANCELLED_BY_SYSTEM: N_("Cancelled by the system"),
}
PAYOUT_LABELS = {PayoutStatus.PENDING: N_("Waiting to be paid"), PayoutStatus.PAID: N_("Paid")}
BETWEEN_DATES = N_("Between dates")  # the period chosen with two dates instead of a preset
#: The tables' column names (their keys, in English) as the reader reads them: st.column_config labels.
COLUMNS = (
    N_("Order"),
    N_("Stage"),
    N_("Time left"),
    N_("Status"),
    N_("Warehouse"),
    N_("Buyer"),
    N_("Units"),
    N_("Total"),
    N_("Placed"),
    N_("Courier · tracking"),
    N_("Payout or refund"),
    N_("Why it failed"),
    N_("Detail"),
    N_("SKU"),
    N_("Product"),
    N_("Quantity"),
    N_("Unit price"),
    N_("Line total"),
)
TICKED = "sales_ticked"  # order numbers ticked for bulk work, kept across refreshes


# --- where the person is: stage and open order in the address ---------------------------------------


def open_order() -> str | None:
    return st.query_params.get("order") or None


def set_open_order(number: str | None) -> None:
    """Open `number` (None: close the open one). An order opened is seen as it is now: what the panel
    remembered of it from an earlier opening would offer steps it has since moved past."""
    if closed := open_order():
        st.session_state.pop(f"seen_{closed}", None)
    if number:
        st.session_state.pop(f"seen_{number}", None)
        st.query_params["order"] = number
    else:
        st.query_params.pop("order", None)


# --- the filters (outside the refreshing part: typing is never interrupted) ------------------------


def search_everywhere() -> None:
    """A new search looks through every stage; the counts beside the stages say where it found them."""
    st.session_state["stage"] = "all"


def read_filters() -> OrderQuery:
    with st.container(border=True):
        text_col, warehouse_col, period_col, sort_col = st.columns([3, 2, 2, 2])
        text = text_col.text_input(
            gettext("Find an order"),
            key="sales_text",
            max_chars=search.MAX_SEARCH,
            placeholder=gettext("Order number, buyer name or code, SKU or product name"),
            on_change=search_everywhere,
        )
        warehouses = company_warehouses(store, actor)  # codes and names only: no order counts to read
        codes = [None, *[w.code for w in warehouses]]
        names = {w.code: f"{w.code} · {w.name}" for w in warehouses}
        everywhere = gettext("All warehouses")
        warehouse = warehouse_col.selectbox(
            gettext("Warehouse"),
            codes,
            format_func=in_this_language(lambda c: everywhere if c is None else names[c]),
            key="sales_wh",
        )
        preset = period_col.selectbox(
            gettext("Placed"), [*PRESETS, BETWEEN_DATES], format_func=in_this_language(gettext), key="sales_period"
        )
        sort = sort_col.selectbox(
            gettext("Sort"),
            list(SORTS),
            format_func=in_this_language(lambda key: gettext(SORTS[key])),
            key="sales_sort",
        )
        zone = next((w.time_zone for w in warehouses if w.code == warehouse), "Asia/Jakarta")
        if preset == BETWEEN_DATES:
            today = utc_now().astimezone(ZoneInfo(zone)).date()
            chosen = st.date_input(
                gettext("Placed between"),
                value=(today - timedelta(days=6), today),
                format=DATE_INPUT_FORMAT,
                key="sales_dates",
            )
            start, end = (chosen[0], chosen[-1]) if chosen else (None, None)
        else:
            start, end = search.preset_period(preset, utc_now(), zone)
    return OrderQuery(text=text or "", warehouse_code=warehouse, placed_from=start, placed_to=end, sort=sort)


def listing_sentence(query: OrderQuery, stage: str, first: int, last: int, of: str | Message) -> Message:
    """'Finished: orders 1–50 of 1.234, placed 01 Dec 2026 – 07 Dec 2026 (WIB days).'"""
    shown = dict(stage=stage, first=first, last=last, total=of)
    if not query.placed_from:
        return _("{stage}: orders {first}–{last} of {total}, placed at any time.", **shown)
    period = dict(start=calendar_day(query.placed_from), end=calendar_day(query.placed_to or query.placed_from))
    if query.warehouse_code:
        return _(
            "{stage}: orders {first}–{last} of {total}, placed {start} – {end} (the warehouse's days).",
            **shown,
            **period,
        )
    return _("{stage}: orders {first}–{last} of {total}, placed {start} – {end} (WIB days).", **shown, **period)


def more_than_cap() -> Message:
    """A count that stopped at the cap: 'more than 10.000'."""
    return _("more than {count}", count=count(search.COUNT_CAP))


# --- the list: counts, stage, rows, bulk work (refreshes by itself) --------------------------------


def urgency(deadline, now) -> str:
    """Deadlines close to expiry stand out: red when overdue, orange within URGENT."""
    if deadline is None:
        return ""
    left = deadline - now
    if left.total_seconds() < 0:
        return "background-color: #fde2e1; color: #a4161a; font-weight: 600"
    return "background-color: #fff1d6; color: #8a4b00; font-weight: 600" if left < URGENT else ""


def money_of(row: FoundOrder) -> str:
    if row.refund_amount is not None:
        return str(_("Refunded {amount}", amount=rupiah(row.refund_amount)))
    if row.payout_status is None:
        return ""
    label = PAYOUT_LABELS.get(row.payout_status)
    paid = f" {local_time(row.paid_at, row.time_zone)}" if row.paid_at else ""
    reference = f" · {row.transfer_reference}" if row.transfer_reference else ""
    return f"{gettext(label) if label else row.payout_status.lower()}{paid}{reference}"


def frame_of(rows: list[FoundOrder], stage_key: str, now) -> pd.DataFrame:
    stage = STAGES[stage_key]
    records = []
    for row in rows:
        # Number, stage and time left first: at phone width they are what stays in sight.
        record = {"Order": row.order_number, "Stage": gettext(STAGES[row.stage].label)}
        if stage.deadline_label:
            record["Time left"] = time_left(row.deadline, now) if row.deadline else ""
            record[stage.deadline_label] = local_time(row.deadline, row.time_zone) if row.deadline else ""
        record |= {
            "Status": gettext(STATUS_LABELS[row.status]),
            "Warehouse": row.warehouse_code,
            "Buyer": row.buyer_name,
            "Units": row.item_count,
            "Total": rupiah(row.total_amount),
            "Placed": local_time(row.placed_at, row.time_zone),
        }
        if stage_key in ("in-transit", "all"):
            record["Courier · tracking"] = f"{row.courier} · {row.tracking_number}" if row.courier else ""
        if stage_key in ("finished", "all"):
            record["Payout or refund"] = money_of(row)
        if stage_key in ("failed", "all"):
            why = FAILURE_LABELS.get(row.failure_kind) if row.failure_kind else None
            record["Why it failed"] = gettext(why) if why else ""
            record["Detail"] = row.failure_reason or ""
        records.append(record)
    return pd.DataFrame(records)


def column_labels(names, pinned: str | None = None) -> dict:
    """The st.column_config of a table whose columns are named `names` (English keys): each shows its
    name in the reader's language; `pinned` stays in sight when the table scrolls sideways."""
    return {
        name: st.column_config.TextColumn(gettext(name), pinned=True)
        if name == pinned
        else st.column_config.Column(gettext(name))
        for name in names
    }


@dataclass(frozen=True)
class Paper:
    render: Callable[..., bytes]
    one: str  # the button for one order
    file: str  # the file's name before its order number


PAPERS = {
    "packing list": Paper(papers.packing_list_pdf, N_("Packing list (PDF)"), N_("packing-list")),
    "invoice": Paper(papers.invoice_pdf, N_("Invoice (PDF)"), N_("invoice")),
    "shipping label": Paper(papers.shipping_label_pdf, N_("Shipping label (PDF)"), N_("shipping-label")),
}


def several_papers(kind: str, number: int) -> Message:
    if kind == "packing list":
        return _("Packing lists for {count} (PDF)", count=number)
    if kind == "invoice":
        return _("Invoices for {count} (PDF)", count=number)
    return _("Shipping labels for {count} (PDF)", count=number)


def printed(paper: Paper, numbers: list[str], code: str) -> bytes:
    """The PDF, made when the button is clicked (outside the page's run) in the page's language."""
    with using(code):
        return paper.render(papers.order_papers(store, actor, numbers), code=code)


def paper_buttons(numbers: list[str], key: str, where=st) -> None:
    """One PDF per kind of paper for `numbers` (one order per page), made only when clicked, in the
    language the page reads in now."""
    code = language()
    for column, (kind, paper) in zip(where.columns(len(PAPERS)), PAPERS.items()):
        name = numbers[0] if len(numbers) == 1 else str(_("{count}-orders", count=len(numbers)))
        column.download_button(
            gettext(paper.one) if len(numbers) == 1 else str(several_papers(kind, len(numbers))),
            data=lambda paper=paper: printed(paper, numbers, code),
            file_name=f"{gettext(paper.file)}-{name}.pdf",
            mime="application/pdf",
            on_click="ignore",
            key=f"{key}_{kind}",
            icon=":material/print:",
        )


def bulk_bar(ticked: list[str], stage_key: str) -> None:
    """What may be done to every ticked order at once; each succeeds or fails on its own."""
    paper_buttons(ticked, "bulk_papers")
    left, middle, _rest = st.columns([2, 2, 4])
    if stage_key in ("new", "all") and left.button(
        str(_("Accept {count} ticked", count=len(ticked))), key="bulk_accept"
    ):
        run_bulk(
            lambda done: _("Accepted {done} of {total}.", done=done, total=len(ticked)),
            lambda on_progress: seller.accept_orders(store, actor, ticked, utc_now(), on_progress),
        )
    if stage_key in ("processing", "all"):
        confirm = middle.checkbox(
            gettext("Every item of these orders is checked against its packing list"), key="bulk_checked"
        )
        if middle.button(
            str(_("Mark {count} ticked packed", count=len(ticked))), key="bulk_pack", disabled=not confirm
        ):
            run_bulk(
                lambda done: _("Packed {done} of {total}.", done=done, total=len(ticked)),
                lambda on_progress: seller.pack_orders(store, actor, ticked, utc_now(), on_progress),
            )


def run_bulk(said: Callable[[int], Message], action) -> None:
    """Run a bulk action with a progress bar; then say how many were done, and why not for the rest."""
    progress = st.progress(0.0, text=gettext("Working…"))
    result = action(
        lambda done, total: progress.progress(done / total, text=str(_("{done} of {total}…", done=done, total=total)))
    )
    refusals = "; ".join(result.refused.values())
    sentence = str(said(len(result.done))) + (f" {refusals}" if refusals else "")
    notify("success" if not result.refused else "warning", sentence)
    st.session_state[TICKED] = []
    st.rerun()


OPENED_BY_SEARCH = "sales_opened_by_search"


@st.fragment(run_every=REFRESH_EVERY)
def orders_board(base: OrderQuery) -> None:
    now = utc_now()
    counts = stage_counts(store, actor, base)
    shown = {key: (str(more_than_cap()) if n > search.COUNT_CAP else count(n)) for key, n in counts.items()}
    if "stage" not in st.session_state:  # arriving (a link, a reload): the address names the stage
        st.session_state["stage"] = st.query_params.get("stage") if st.query_params.get("stage") in STAGES else "new"
    stage_key = st.segmented_control(
        gettext("Stage"),
        list(STAGES),
        format_func=in_this_language(lambda key: f"{gettext(STAGES[key].label)} ({shown[key]})"),
        required=True,
        key="stage",
        label_visibility="collapsed",
    )
    st.query_params["stage"] = stage_key  # by its key: Streamlit's own binding would write the label
    waiting = counts["new"] if not base.text and not base.warehouse_code and not base.placed_from else None
    if waiting is not None:
        title = _("({count}) New orders · Kopra", count=waiting) if waiting else _("Sales Management · Kopra")
        st.set_page_config(page_title=str(title))
    query = replace(base, stage=stage_key)
    if stage_key == "failed":
        kinds = [None, *FAILURE_LABELS]
        kind = st.selectbox(
            gettext("Why it failed"),
            kinds,
            format_func=in_this_language(
                lambda k: gettext(FAILURE_LABELS[k]) if k in FAILURE_LABELS else gettext("Any reason")
            ),
            key="sales_why",
        )
        query = replace(query, failure_kind=kind)
    listing = st.container()  # the list, above the pager that chooses its page
    size_col, page_col, _rest = st.columns([1, 1, 4])
    page_size = size_col.selectbox(gettext("Per page"), search.PAGE_SIZES, index=1, key="sales_page_size")
    page_number = page_col.number_input(gettext("Page"), min_value=1, step=1, key=f"sales_page_{stage_key}")
    with listing:
        show_listing(query, stage_key, int(page_number), page_size, now)


def show_listing(query: OrderQuery, stage_key: str, page_number: int, page_size: int, now) -> None:
    found = attempt(lambda: find_orders(store, actor, replace(query, page=page_number, page_size=page_size)))
    if not found:
        return
    page = found.value
    of = more_than_cap() if page.more_than_cap else count(page.total)
    listed = listing_sentence(query, gettext(STAGES[stage_key].label), page.first, page.last, of)
    refreshed = _(
        "Refreshed at {time}; every {seconds} s by itself.",
        time=local_time(now, "Asia/Jakarta", with_date=False),
        seconds=REFRESH_EVERY,
    )
    st.caption(f"{listed} {refreshed}")
    if not page.rows:
        empty = (
            _("No orders here.")
            if page.page == 1
            else _("Page {page} is past the last page ({pages}).", page=page.page, pages=page.pages)
        )
        say("info", empty)
        return
    numbers = [row.order_number for row in page.rows]
    if page.named_order and st.session_state.get(OPENED_BY_SEARCH) != query.text:
        st.session_state[OPENED_BY_SEARCH] = query.text  # once per search: closing it does not reopen it
        set_open_order(page.named_order)  # an order number typed (or scanned): open that order at once
        st.rerun()
    if not page.named_order:
        st.session_state.pop(OPENED_BY_SEARCH, None)  # the number searched for again opens it again
    ticked = [n for n in st.session_state.get(TICKED, []) if n in numbers]
    frame = frame_of(page.rows, stage_key, now)
    columns = column_labels(frame.columns, pinned="Order")
    if STAGES[stage_key].deadline_label:
        colours = [urgency(row.deadline, now) for row in page.rows]
        frame = frame.style.apply(lambda _column: colours, subset=["Time left"])
    picked = st.dataframe(
        frame,
        hide_index=True,
        width="stretch",
        on_select="rerun",
        selection_mode="multi-row",
        selection_default={"selection": {"rows": [numbers.index(n) for n in ticked]}},
        key=f"sales_rows_{hash(tuple(numbers))}",  # a new list: indices of the old one mean nothing
        column_config=columns,
    )
    now_ticked = [numbers[i] for i in picked.selection.rows]
    st.session_state[TICKED] = now_ticked
    if len(now_ticked) == 1 and now_ticked != ticked and now_ticked[0] != open_order():
        set_open_order(now_ticked[0])  # one row ticked: open it below
        st.rerun()
    if now_ticked:
        bulk_bar(now_ticked, stage_key)
    else:
        st.caption(gettext("Tick an order to open it; tick several to work on them at once."))


# --- the open order ---------------------------------------------------------------------------------


def run_action(action, success: Message) -> None:
    """Call one core action; on success say so after the rerun (the order stays open, as it is now);
    on refusal say why and keep the form."""
    if attempt(action):
        st.session_state.pop(f"seen_{open_order()}", None)
        rerun_saying(success)


def labelled(label: str, value: object) -> str:
    """'**Buyer:** value' (Markdown): `label` (marked with N_) in the reader's language, then `value`,
    already Markdown (typed text through app.ui.plain.typed)."""
    return f"**{gettext(label)}:** {value}"


def payout_line(payout, zone: str) -> Message:
    """'Rp1.234.567 · Paid on 01 Dec 2026 14:05 WIB · transfer TRF-123'."""
    status = gettext(PAYOUT_LABELS[payout.status]) if payout.status in PAYOUT_LABELS else ""
    shown = dict(amount=rupiah(payout.amount), status=status)
    reference = typed(payout.transfer_reference) if payout.transfer_reference else None
    if payout.paid_at:
        paid = local_time(payout.paid_at, zone)
        if reference:
            return _("{amount} · {status} on {time} · transfer {reference}", **shown, time=paid, reference=reference)
        return _("{amount} · {status} on {time}", **shown, time=paid)
    if reference:
        return _("{amount} · {status} · transfer {reference}", **shown, reference=reference)
    return _("{amount} · {status}", **shown)


DEADLINES = (
    (N_("Confirm by"), "confirm_deadline"),
    (N_("Pack by"), "pack_deadline"),
    (N_("Deliver by"), "delivery_deadline"),
    (N_("Answer complaint by"), "complaint_deadline"),
    (N_("Completes automatically"), "complete_deadline"),
)


def show_detail(detail: OrderDetail) -> None:
    order, zone = detail.order, detail.warehouse.time_zone
    left, right = st.columns([3, 2])
    with left:
        status = gettext(STATUS_LABELS[order.status])
        st.markdown(f"#### {typed(order.order_number)} · {status}")
        buyer, warehouse = detail.buyer, detail.warehouse
        phone = typed(buyer.phone) if buyer.phone else gettext("no phone")
        amount = _n(
            "{amount} for {count} unit",
            "{amount} for {count} units",
            order.item_count,
            amount=rupiah(order.total_amount),
        )
        st.markdown(
            "  \n".join(
                (
                    labelled(N_("Buyer"), f"{typed(buyer.name)} ({typed(buyer.buyer_code)}) · {phone}"),
                    labelled(N_("Warehouse"), f"{typed(warehouse.code)} — {typed(warehouse.name)}"),
                    labelled(N_("Amount"), amount),
                )
            )
        )
        ship_to = detail.ship_to
        parts = [ship_to.name, ship_to.phone, ship_to.address.replace("\n", ", "), ship_to.city]
        st.markdown(labelled(N_("Ship to"), typed(" · ".join(part for part in parts if part))))
        lines = pd.DataFrame(
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
        )
        st.dataframe(lines, hide_index=True, width="stretch", column_config=column_labels(lines.columns))
        due = [(label, getattr(order, field)) for label, field in DEADLINES]
        st.markdown("  \n".join(labelled(label, local_time(at, zone)) for label, at in due if at))
        if order.failure_reason:
            st.markdown(labelled(N_("Why it failed"), typed(order.failure_reason)))
        if detail.complaint:
            st.markdown(labelled(N_("Complaint"), typed(detail.complaint.description)))
        if detail.payout:
            st.markdown(labelled(N_("Payout"), payout_line(detail.payout, zone)))
        if detail.refund:
            st.markdown(labelled(N_("Refund"), f"{rupiah(detail.refund.amount)} · {typed(detail.refund.reason)}"))
    with right:
        st.markdown("##### " + gettext("Timeline"))
        for event in detail.events:  # names and reasons are typed text: shown as typed
            status = gettext(STATUS_LABELS[event.to_status])
            st.markdown(f"- {local_time(event.at, zone)} — **{status}**: {typed(event.sentence)}")
        if detail.shipment:
            shipment = detail.shipment
            shipped = _(
                "Shipped with {courier}, tracking {tracking}",
                courier=typed(shipment.courier),
                tracking=typed(shipment.tracking_number),
            )
            st.markdown(f"##### {shipped}")
            st.image(detail.shipment.proof_photo, caption=gettext("Shipping proof"), width=320)


def new_actions(number: str, steps: list[Step]) -> None:
    accept, reject = st.columns(2)
    if Step.ACCEPT in steps and accept.button(gettext("Accept"), key=f"accept_{number}", type="primary"):
        run_action(lambda: seller.accept_order(store, actor, number, utc_now()), _("{number} accepted.", number=number))
    if Step.REJECT in steps:
        with reject.form(f"reject_{number}", clear_on_submit=False):
            reason = st.text_input(
                str(
                    _(
                        "Reason for rejecting (the buyer sees it; at most {count} characters)",
                        count=seller.MAX_REASON,
                    )
                ),
                max_chars=seller.MAX_REASON,
                key=f"reason_{number}",
            )
            sure = st.checkbox(
                gettext("Reject this order: the buyer is told the reason and the reserved stock goes back on sale"),
                key=f"reject_sure_{number}",
            )
            if st.form_submit_button(gettext("Reject")):
                if not sure:
                    st.error(gettext("Tick the box above to confirm the rejection: it cannot be undone."))
                else:
                    run_action(
                        lambda: seller.reject_order(store, actor, number, reason, utc_now()),
                        _("{number} rejected.", number=number),
                    )


def packing_actions(detail: OrderDetail) -> None:
    number = detail.order.order_number
    st.markdown("##### " + gettext("Check off each item against the order before packing"))
    checked = {
        item.id
        for item in detail.items
        if st.checkbox(
            f"{item.quantity} × {typed(item.sku)} — {typed(item.product_name)}", key=f"check_{number}_{item.id}"
        )
    }
    if st.button(gettext("Mark packed"), key=f"packed_{number}", type="primary"):
        run_action(
            lambda: seller.mark_packed(store, actor, number, checked, utc_now()),
            _("{number} is packed; the courier's delivery time starts now.", number=number),
        )


def shipping_actions(number: str) -> None:
    with st.form(f"ship_{number}"):
        st.markdown("##### " + gettext("Ship with a proof photo"))
        photo = image_uploader(gettext("Shipping proof photo"), SHIPPING_PROOF, key=f"photo_{number}")
        courier = st.selectbox(
            gettext("Courier"), COURIERS, format_func=in_this_language(gettext), key=f"courier_{number}"
        )
        tracking = st.text_input(
            gettext("Tracking number"), max_chars=seller.TRACKING_NUMBER_LENGTH[1], key=f"tracking_{number}"
        )
        if st.form_submit_button(gettext("Mark shipped"), type="primary"):
            if photo is None:
                st.error(
                    gettext("Upload the shipping proof photo first: it is the proof that the order left the warehouse.")
                )
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
                    _("{number} is shipped with {courier}.", number=number, courier=gettext(courier)),
                )


def receive_actions(number: str) -> None:
    fit = st.checkbox(gettext("The goods can be sold again (put them back in stock)"), value=True, key=f"fit_{number}")
    if st.button(gettext("Returned goods received: refund the buyer"), key=f"received_{number}", type="primary"):
        run_action(
            lambda: seller.receive_return(store, actor, number, fit_to_sell=fit, now=utc_now()),
            _("{number}: goods received, the buyer is refunded.", number=number),
        )


def answer_label(step: Step, amount: str) -> Message:
    if step == Step.ANSWER_WITH_REFUND:
        return _("Refund the buyer {amount} now", amount=amount)
    return _("Ask for the goods back (return, then refund {amount})", amount=amount)


ANSWERS = {Step.ANSWER_WITH_REFUND: ComplaintResolution.REFUND, Step.ANSWER_WITH_RETURN: ComplaintResolution.RETURN}


def answer_actions(detail: OrderDetail, steps: list[Step]) -> None:
    number, amount = detail.order.order_number, rupiah(detail.order.total_amount)
    choices = {str(answer_label(step, amount)): resolution for step, resolution in ANSWERS.items() if step in steps}
    with st.form(f"answer_{number}"):
        choice = st.radio(gettext("Answer"), list(choices), index=None, key=f"resolution_{number}")
        note = st.text_input(
            str(_("Note to the buyer (at most {count} characters)", count=seller.MAX_REASON)),
            max_chars=seller.MAX_REASON,
            key=f"note_{number}",
        )
        if st.form_submit_button(gettext("Send the answer"), type="primary"):
            if choice is None:
                st.error(gettext("Choose an answer first: a refund, or asking for the goods back."))
            else:
                run_action(
                    lambda: seller.answer_complaint(store, actor, number, choices[choice], note, utc_now()),
                    _("{number}: complaint answered.", number=number),
                )


def offer_steps(detail: OrderDetail, steps: list[Step], refused: dict[Step, str]) -> None:
    """Offer what the lifecycle lets the seller do (core decides); say why not for the rest."""
    number = detail.order.order_number
    if Step.ACCEPT in steps or Step.REJECT in steps:
        new_actions(number, steps)
    if Step.MARK_PACKED in steps:
        packing_actions(detail)
    if Step.SHIP in steps:
        shipping_actions(number)
    if Step.RECEIVE_RETURN in steps:
        receive_actions(number)
    if Step.ANSWER_WITH_REFUND in steps or Step.ANSWER_WITH_RETURN in steps:
        answer_actions(detail, steps)
    for why in dict.fromkeys(str(reason) for reason in refused.values()):  # core's clause, in the reader's language
        say("info", _("{number}: {reason}.", number=number, reason=f"{why[0].upper()}{why[1:]}".rstrip(".")))


def order_panel(number: str) -> None:
    with st.container(border=True):
        head, close = st.columns([6, 1])
        head.markdown(labelled(N_("Open order"), typed(number)))
        if close.button(gettext("Close"), key="close_order"):
            set_open_order(None)
            st.session_state[TICKED] = []
            st.rerun()
        opened = attempt(lambda: views.order_detail(store, actor, number))
        if not opened:
            return
        detail = opened.value
        # Act on the order as it was when opened: if it moved on meanwhile, the action is refused by
        # core with what happened, instead of a button that silently vanishes under the cursor.
        seen_clock, seen_at = st.session_state.setdefault(f"seen_{number}", (detail.clock, utc_now()))
        if detail.order.status != seen_clock.status:
            changed = _("{number} changed while you had it open. {change}", number=number, change=detail.last_change)
            say("warning", changed)
        show_detail(detail)
        paper_buttons([number], "papers")
        offer_steps(detail, *views.seller_steps(seen_clock, seen_at))


st.title(gettext("Sales Management"))
base = read_filters()
orders_board(base)
if number := open_order():
    order_panel(number)
st.caption(
    gettext(
        "Times are the warehouse's local time. Time left is orange within 2 hours and red once overdue. "
        "Deadlines were fixed when each order entered its stage; the scheduler acts on them even when nobody "
        "has this page open."
    )
)
