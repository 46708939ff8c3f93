"""Sales Management as the Product Manager sees it: stages with counts that agree with their lists,
one search over every order, the place kept in the address across actions, each stage's action,
refusals and a race lost to the scheduler, shown in words."""

from __future__ import annotations

import io
import json
from datetime import timedelta

import pytest
from PIL import Image
from sqlalchemy import select, update

from core.acting import Actor
from core.clock import utc_now
from core.domain import ComplaintResolution, FailureKind, OrderStatus, Role
from core.orders import buyer_channel as buyers
from core.orders import seller as orders
from core.orders.lifecycle import TRANSITIONS, Step
from core.orders.sweep import sweep_step
from core.store.models import Company, Order, OrderItem, User

PAGE = "pages/sales_management.py"


def place(store, *, at=None, sku="SPN-0001", quantity=2, warehouse="JKT-01"):
    return buyers.place_order(
        store,
        buyer_code="LVM-00001",
        company_code="DEMO01",
        warehouse_code=warehouse,
        lines=[buyers.OrderLine(sku, quantity)],
        now=at or utc_now(),
    ).order_number


def pm_actor(store) -> Actor:
    with store.reading() as session:
        company = session.scalar(select(Company).where(Company.company_code == "DEMO01"))
        user = session.scalar(select(User).where(User.company_id == company.id, User.user_code == "pm"))
        return Actor(user.id, company.id, "DEMO01", "pm", Role.PRODUCT_MANAGER)


def status_of(store, number) -> OrderStatus:
    with store.reading() as session:
        return session.scalar(select(Order.status).where(Order.order_number == number))


def button(at, label):
    return next(b for b in at.button if b.label == label)


def texts(at) -> str:
    return " ".join(str(e.value) for kind in ("success", "error", "warning", "info") for e in getattr(at, kind))


def on_sales_page(app, stage: str | None = None):
    """Run the app (logged in), go to Sales Management as a click in the menu does, then to `stage`."""
    app.at.run()
    app.at.switch_page(PAGE).run()
    if stage:
        app.at.segmented_control(key="stage").set_value(stage).run()
    assert not app.at.exception


def open_order(app, number):
    """Open an order as a tick in the list or a link (?order=…) does."""
    app.at.query_params["order"] = number
    app.at.run()
    assert not app.at.exception


def stages(at) -> list[str]:
    return list(at.segmented_control(key="stage").options)


def listed(at) -> list[str]:
    return list(at.dataframe[0].value["Order"])


def photo_bytes() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (120, 90), (30, 90, 160)).save(out, format="PNG")
    return out.getvalue()


def test_the_stages_show_how_many_orders_wait_in_each(app_as):
    app = app_as("pm", run=False)
    place(app.store)
    place(app.store)
    on_sales_page(app)
    labels = stages(app.at)
    assert labels[:3] == ["New (2)", "Processing (0)", "To ship (0)"]
    assert [label.split(" (")[0] for label in labels] == [
        "New",
        "Processing",
        "To ship",
        "In transit",
        "Complaints",
        "Finished",
        "Failed",
        "All orders",
    ]


def test_accepting_keeps_the_stage_and_the_order_open_as_it_now_is(app_as):
    app = app_as("pm", run=False)
    number = place(app.store)
    on_sales_page(app, stage="all")
    open_order(app, number)
    app.at.button(key=f"accept_{number}").click().run()
    assert f"{number} accepted." in texts(app.at)
    assert status_of(app.store, number) == OrderStatus.PROCESSING
    assert app.at.query_params["order"] == number
    assert app.at.segmented_control(key="stage").value == "all"
    assert f"packed_{number}" in [b.key for b in app.at.button]  # reopened at once: pack it next
    assert stages(app.at)[1] == "Processing (1)"


def test_rejecting_needs_a_reason_and_a_confirmation_and_changes_nothing_without(app_as):
    app = app_as("pm", run=False)
    number = place(app.store)
    on_sales_page(app)
    open_order(app, number)
    button(app.at, "Reject").click().run()
    assert "Tick the box above to confirm the rejection" in texts(app.at)
    app.at.checkbox(key=f"reject_sure_{number}").check()
    button(app.at, "Reject").click().run()
    assert "Say why the order is rejected" in texts(app.at)
    assert status_of(app.store, number) == OrderStatus.PENDING_CONFIRMATION


def test_accepting_an_order_the_scheduler_cancelled_a_moment_ago_says_what_happened(app_as):
    app = app_as("pm", run=False)
    number = place(app.store)
    on_sales_page(app)
    open_order(app, number)
    with app.store.transaction() as session:  # while the page is open, its day to confirm ends ...
        session.execute(
            update(Order).where(Order.order_number == number).values(confirm_deadline=utc_now() - timedelta(minutes=1))
        )
    sweep_step(app.store, TRANSITIONS[Step.AUTO_CANCEL], utc_now())  # ... and the scheduler gets there first
    app.at.button(key=f"accept_{number}").click().run()
    assert not app.at.exception
    message = texts(app.at)
    assert f"Cannot accept order {number}: it is cancelled. The system cancelled it at" in message
    assert "no answer within 1 business day" in message
    assert status_of(app.store, number) == OrderStatus.CANCELLED


def test_the_page_offers_what_the_lifecycle_allows_and_says_why_not_for_the_rest(app_as):
    app = app_as("pm", run=False)
    number = place(app.store, at=utc_now() - timedelta(days=5))  # its day to confirm is long over, not yet swept
    on_sales_page(app)
    open_order(app, number)
    assert f"accept_{number}" not in [b.key for b in app.at.button]
    assert f"{number}: The time to confirm it has ended, so the system cancels it." in texts(app.at)


def test_an_order_closed_and_opened_again_is_seen_as_it_now_is(app_as):
    """Found by bench/cluster.py: the panel kept the order as first opened, offering a step it had moved past."""
    app = app_as("pm", run=False)
    number = place(app.store)
    on_sales_page(app, stage="all")
    app.at.text_input(key="sales_text").input(number).run()  # a search opens the order
    assert f"accept_{number}" in [b.key for b in app.at.button]
    app.at.button(key="close_order").click().run()
    orders.accept_order(app.store, pm_actor(app.store), number, utc_now())  # a colleague, meanwhile
    open_order(app, number)  # opened again (a tick in the list, or its link)
    assert f"packed_{number}" in [b.key for b in app.at.button]
    assert not any("changed while you had it open" in w.value for w in app.at.warning)


def test_an_order_searched_for_again_is_opened_again_as_it_now_is(app_as):
    """bench/cluster.py's Product Manager: accept an order found by its number, search for it again
    after a colleague packed it, and ship it."""
    app = app_as("pm", run=False)
    number = place(app.store)
    on_sales_page(app, stage="all")
    app.at.text_input(key="sales_text").input(number).run()
    app.at.button(key=f"accept_{number}").click().run()
    with app.store.reading() as session:
        items = set(session.scalars(select(OrderItem.id).join(Order).where(Order.order_number == number)))
    orders.mark_packed(app.store, pm_actor(app.store), number, items, utc_now())  # a colleague, meanwhile
    app.at.text_input(key="sales_text").input("").run()
    app.at.text_input(key="sales_text").input(number).run()
    assert not app.at.exception, app.at.exception
    assert f"tracking_{number}" in [t.key for t in app.at.text_input]  # shipping offered
    assert not any("changed while you had it open" in w.value for w in app.at.warning)


def test_packing_needs_every_item_checked_then_marks_the_order_packed(app_as):
    app = app_as("pm", run=False)
    number = place(app.store)
    orders.accept_order(app.store, pm_actor(app.store), number, utc_now())
    on_sales_page(app, stage="processing")
    open_order(app, number)
    app.at.button(key=f"packed_{number}").click().run()
    assert "Check off every item" in texts(app.at)
    assert status_of(app.store, number) == OrderStatus.PROCESSING
    for box in app.at.checkbox:
        if box.key.startswith(f"check_{number}_"):
            box.check()
    app.at.button(key=f"packed_{number}").click().run()
    assert status_of(app.store, number) == OrderStatus.READY_TO_SHIP
    assert "is packed" in texts(app.at)
    assert app.at.text_input(key=f"tracking_{number}")  # the same order, now with its ship form


def ready_to_ship(app) -> str:
    number = place(app.store)
    actor = pm_actor(app.store)
    orders.accept_order(app.store, actor, number, utc_now())
    with app.store.reading() as session:
        items = set(session.scalars(select(OrderItem.id).join(Order).where(Order.order_number == number)))
    orders.mark_packed(app.store, actor, number, items, utc_now())
    return number


def test_a_non_image_renamed_png_cannot_be_the_shipping_proof(app_as):
    app = app_as("pm", run=False)
    number = ready_to_ship(app)
    on_sales_page(app, stage="to-ship")
    open_order(app, number)
    app.at.file_uploader(key=f"photo_{number}").upload("proof.png", b"this is not a picture", "image/png")
    app.at.text_input(key=f"tracking_{number}").input("JNE0012345678")
    button(app.at, "Mark shipped").click().run()
    assert "is not a readable PNG, JPEG or WebP image" in texts(app.at)
    assert status_of(app.store, number) == OrderStatus.READY_TO_SHIP


def test_shipping_with_a_proof_photo_courier_and_tracking_number_shows_in_transit(app_as):
    app = app_as("pm", run=False)
    number = ready_to_ship(app)
    on_sales_page(app, stage="to-ship")
    open_order(app, number)
    app.at.file_uploader(key=f"photo_{number}").upload("proof.png", photo_bytes(), "image/png")
    app.at.selectbox(key=f"courier_{number}").select("SiCepat")
    app.at.text_input(key=f"tracking_{number}").input("SCP0012345678")
    button(app.at, "Mark shipped").click().run()
    assert f"{number} is shipped with SiCepat." in texts(app.at)
    assert status_of(app.store, number) == OrderStatus.SHIPPED
    app.at.segmented_control(key="stage").set_value("in-transit").run()
    frame = app.at.dataframe[0].value
    assert list(frame["Order"]) == [number] and list(frame["Courier · tracking"]) == ["SiCepat · SCP0012345678"]
    assert list(frame.columns[:3]) == ["Order", "Stage", "Time left"]  # what stays in sight at phone width


def complained(app) -> str:
    number = ready_to_ship(app)
    orders.ship_order(
        app.store,
        pm_actor(app.store),
        number,
        courier="JNE",
        tracking_number="JNE12345",
        photo=photo_bytes(),
        photo_name="p.png",
        now=utc_now(),
    )
    buyers.file_complaint(
        app.store, buyer_code="LVM-00001", order_number=number, description="Torn sack", now=utc_now()
    )
    return number


def test_answering_a_complaint_needs_a_chosen_answer_that_names_the_amount(app_as):
    app = app_as("pm", run=False)
    number = complained(app)
    on_sales_page(app, stage="complaints")
    assert stages(app.at)[4] == "Complaints (1)"
    open_order(app, number)
    radio = app.at.radio(key=f"resolution_{number}")
    assert radio.value is None and radio.options[0].startswith("Refund the buyer Rp")
    button(app.at, "Send the answer").click().run()
    assert "Choose an answer first" in texts(app.at)
    assert status_of(app.store, number) == OrderStatus.COMPLAINED
    app.at.radio(key=f"resolution_{number}").set_value(radio.options[0])
    button(app.at, "Send the answer").click().run()
    assert f"{number}: complaint answered." in texts(app.at)
    assert status_of(app.store, number) == OrderStatus.REFUNDED


def test_refunded_and_completed_orders_are_in_finished_with_their_money(app_as):
    app = app_as("pm", run=False)
    number = complained(app)
    orders.answer_complaint(app.store, pm_actor(app.store), number, ComplaintResolution.REFUND, "", utc_now())
    on_sales_page(app, stage="finished")
    frame = app.at.dataframe[0].value
    row = frame[frame["Order"] == number].iloc[0]
    assert row["Status"] == "refunded" and row["Payout or refund"].startswith("Refunded Rp")


def test_bulk_accept_accepts_every_ticked_order_and_says_how_many(app_as):
    app = app_as("pm", run=False)
    numbers = [place(app.store) for _ in range(3)]
    on_sales_page(app, stage="new")
    rows = listed(app.at)
    table = app.at.dataframe[0]  # tick two rows, as the person does with the table's tick boxes
    app.at.session_state[table.key] = {"selection": {"rows": [rows.index(numbers[0]), rows.index(numbers[2])]}}
    app.at.run()
    app.at.button(key="bulk_accept").click().run()
    assert "Accepted 2 of 2." in texts(app.at)
    assert [status_of(app.store, n) for n in numbers] == [
        OrderStatus.PROCESSING,
        OrderStatus.PENDING_CONFIRMATION,
        OrderStatus.PROCESSING,
    ]


def test_the_failed_stage_filters_by_reason_and_its_count_agrees(app_as):
    app = app_as("pm", run=False)
    rejected = place(app.store)
    orders.reject_order(app.store, pm_actor(app.store), rejected, "Damaged stock", utc_now())
    cancelled = place(app.store)
    buyers.cancel_order(app.store, buyer_code="LVM-00001", order_number=cancelled, reason="mistake", now=utc_now())
    on_sales_page(app, stage="failed")
    failed_count = int(stages(app.at)[6].split("(")[1].rstrip(")"))
    assert len(listed(app.at)) == min(failed_count, 50)
    app.at.selectbox(key="sales_why").select(FailureKind.REJECTED_BY_SELLER).run()
    frame = app.at.dataframe[0].value
    assert rejected in list(frame["Order"]) and cancelled not in list(frame["Order"])
    assert set(frame["Why it failed"]) == {"Rejected by the seller"}


def test_one_search_finds_an_order_whatever_its_stage(app_as):
    app = app_as("pm", run=False)
    number = complained(app)
    on_sales_page(app, stage="all")
    app.at.text_input(key="sales_text").input(number).run()
    assert listed(app.at) == [number]
    assert stages(app.at)[4] == "Complaints (1)" and stages(app.at)[0] == "New (0)"


def test_a_system_administrator_cannot_open_sales_management(app_as):
    app = app_as("admin")
    with pytest.raises(ValueError):  # not registered in the administrator's navigation
        app.at.switch_page(PAGE).run()


def test_an_open_order_that_the_buyer_cancels_meanwhile_says_so_on_the_next_rerun(app_as):
    app = app_as("pm", run=False)
    number = place(app.store)
    on_sales_page(app)
    open_order(app, number)
    buyers.cancel_order(
        app.store, buyer_code="LVM-00001", order_number=number, reason="found it cheaper", now=utc_now()
    )
    app.at.run()
    warnings = [w.value for w in app.at.warning]
    assert any(
        f"{number} changed while you had it open. The buyer cancelled it at" in w and "found it cheaper" in w
        for w in warnings
    )


def test_the_page_reads_in_indonesian_with_the_same_widgets(app_as):
    app = app_as("pm", run=False)
    number = complained(app)
    app.at.session_state["language"] = "id"
    on_sales_page(app, stage="complaints")
    assert app.at.title[0].value == "Manajemen Penjualan"
    assert app.at.text_input(key="sales_text").label == "Cari pesanan"
    table = app.at.dataframe[0]
    assert list(table.value.columns[:3]) == ["Order", "Stage", "Time left"]  # the keys stay; the labels translate
    labels = json.loads(table.proto.columns)
    assert (labels["Order"]["label"], labels["Time left"]["label"], labels["Buyer"]["label"]) == (
        "Pesanan",
        "Sisa waktu",
        "Pembeli",
    )
    open_order(app, number)
    radio = app.at.radio(key=f"resolution_{number}")
    assert radio.label == "Jawaban" and radio.options[0].startswith("Kembalikan dana Rp")
    button(app.at, "Kirim jawaban").click().run()
    assert "Pilih jawaban terlebih dahulu" in texts(app.at)
    app.at.radio(key=f"resolution_{number}").set_value(radio.options[0])
    button(app.at, "Kirim jawaban").click().run()
    assert f"{number}: keluhan sudah dijawab." in texts(app.at)
