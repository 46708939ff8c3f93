"""Sales Management as the Product Manager sees it: tabs with counts, each stage's action, refusals
and a race lost to the scheduler, shown in words."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from PIL import Image
from sqlalchemy import select, update

from core.acting import Actor
from core.clock import utc_now
from core.domain import OrderStatus, Role
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


def on_sales_page(app):
    """Run the app (logged in), then go to Sales Management, as a click in the menu does."""
    app.at.run()
    app.at.switch_page(PAGE).run()
    assert not app.at.exception


def open_order(app, stage, number):
    app.at.selectbox(key=f"pick_{stage}").select(number).run()
    assert not app.at.exception


def photo_bytes() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (120, 90), (30, 90, 160)).save(out, format="PNG")
    return out.getvalue()


def test_the_tabs_show_how_many_orders_wait_in_each_stage(app_as):
    app = app_as("pm", run=False)
    place(app.store)
    place(app.store)
    on_sales_page(app)
    assert not app.at.exception
    labels = [tab.label for tab in app.at.tabs]
    assert labels == ["New (2)", "Processing (0)", "Shipping (0)", "Delivered (0)", "Complaints (0)", "Failed (0)"]


def test_accepting_a_new_order_moves_it_to_processing_and_says_so(app_as):
    app = app_as("pm", run=False)
    number = place(app.store)
    on_sales_page(app)
    open_order(app, "New", number)
    app.at.button(key=f"accept_{number}").click().run()
    assert f"{number} accepted." in texts(app.at)
    assert status_of(app.store, number) == OrderStatus.PROCESSING
    assert app.at.tabs[1].label == "Processing (1)"


def test_rejecting_without_a_reason_is_refused_and_changes_nothing(app_as):
    app = app_as("pm", run=False)
    number = place(app.store)
    on_sales_page(app)
    open_order(app, "New", number)
    button(app.at, "Reject").click().run()
    assert "Say why the order is rejected" in texts(app.at)
    assert status_of(app.store, number) == OrderStatus.PENDING_CONFIRMATION


def test_accepting_an_order_the_scheduler_cancelled_a_moment_ago_says_what_happened(app_as):
    app = app_as("pm", run=False)
    number = place(app.store)
    on_sales_page(app)
    open_order(app, "New", number)
    with app.store.transaction() as session:  # while the page is open, its day to confirm ends ...
        session.execute(
            update(Order).where(Order.order_number == number).values(confirm_deadline=utc_now() - timedelta(minutes=1))
        )
    sweep_step(app.store, TRANSITIONS[Step.AUTO_CANCEL], utc_now())  # ... and the scheduler gets there first
    app.at.button(key=f"accept_{number}").click().run()
    assert not app.at.exception
    message = texts(app.at)
    assert f"Cannot accept the order {number}: it is cancelled. The system cancelled it at" in message
    assert "no answer within 1 business day" in message
    assert status_of(app.store, number) == OrderStatus.CANCELLED


def test_the_page_offers_what_the_lifecycle_allows_and_says_why_not_for_the_rest(app_as):
    app = app_as("pm", run=False)
    number = place(app.store, at=utc_now() - timedelta(days=5))  # its day to confirm is long over, not yet swept
    on_sales_page(app)
    open_order(app, "New", number)
    assert f"accept_{number}" not in [b.key for b in app.at.button]
    assert f"{number}: The time to confirm it has ended, so the system cancels it." in texts(app.at)


def test_packing_needs_every_item_checked_then_marks_the_order_packed(app_as):
    app = app_as("pm", run=False)
    number = place(app.store)
    orders.accept_order(app.store, pm_actor(app.store), number, utc_now())
    on_sales_page(app)
    open_order(app, "Processing", number)
    app.at.button(key=f"packed_{number}").click().run()
    assert "Check off every item" in texts(app.at)
    assert status_of(app.store, number) == OrderStatus.PROCESSING
    for box in app.at.checkbox:
        if box.key.startswith(f"check_{number}_"):
            box.check()
    app.at.button(key=f"packed_{number}").click().run()
    assert status_of(app.store, number) == OrderStatus.READY_TO_SHIP
    assert "is packed" in texts(app.at)


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
    on_sales_page(app)
    open_order(app, "Shipping", number)
    app.at.file_uploader(key=f"photo_{number}").upload("proof.png", b"this is not a picture", "image/png")
    app.at.text_input(key=f"tracking_{number}").input("JNE0012345678")
    button(app.at, "Mark shipped").click().run()
    assert "is not a readable PNG, JPEG or WebP image" in texts(app.at)
    assert status_of(app.store, number) == OrderStatus.READY_TO_SHIP


def test_shipping_with_a_proof_photo_courier_and_tracking_number(app_as):
    app = app_as("pm", run=False)
    number = ready_to_ship(app)
    on_sales_page(app)
    open_order(app, "Shipping", number)
    app.at.file_uploader(key=f"photo_{number}").upload("proof.png", photo_bytes(), "image/png")
    app.at.selectbox(key=f"courier_{number}").select("SiCepat")
    app.at.text_input(key=f"tracking_{number}").input("SCP0012345678")
    button(app.at, "Mark shipped").click().run()
    assert f"{number} is shipped with SiCepat." in texts(app.at)
    assert status_of(app.store, number) == OrderStatus.SHIPPED


def test_answering_a_complaint_with_a_refund(app_as):
    app = app_as("pm", run=False)
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
    on_sales_page(app)
    assert app.at.tabs[4].label == "Complaints (1)"
    open_order(app, "Complaints", number)
    button(app.at, "Send the answer").click().run()
    assert f"{number}: complaint answered." in texts(app.at)
    assert status_of(app.store, number) == OrderStatus.REFUNDED


def test_bulk_accept_accepts_every_chosen_order(app_as):
    app = app_as("pm", run=False)
    numbers = [place(app.store) for _ in range(3)]
    on_sales_page(app)
    app.at.multiselect(key="bulk_pick").select(numbers[0]).select(numbers[2]).run()
    app.at.button(key="bulk_accept").click().run()
    assert "Accepted 2 of 2 orders." in texts(app.at)
    assert [status_of(app.store, n) for n in numbers] == [
        OrderStatus.PROCESSING,
        OrderStatus.PENDING_CONFIRMATION,
        OrderStatus.PROCESSING,
    ]


def test_the_failed_tab_filters_by_reason(app_as):
    app = app_as("pm", run=False)
    rejected = place(app.store)
    orders.reject_order(app.store, pm_actor(app.store), rejected, "Damaged stock", utc_now())
    cancelled = place(app.store)
    buyers.cancel_order(app.store, buyer_code="LVM-00001", order_number=cancelled, reason="mistake", now=utc_now())
    on_sales_page(app)
    app.at.selectbox(key="failed_reason").select("Rejected by the seller").run()
    frame = app.at.tabs[5].dataframe[0].value
    assert list(frame["Order"]) == [rejected]
    assert list(frame["Detail"]) == ["Damaged stock"]


def test_a_system_administrator_cannot_open_sales_management(app_as):
    app = app_as("admin")
    with pytest.raises(ValueError):  # not registered in the administrator's navigation
        app.at.switch_page(PAGE).run()


def test_an_open_order_that_the_buyer_cancels_meanwhile_says_so_on_the_next_rerun(app_as):
    app = app_as("pm", run=False)
    number = place(app.store)
    on_sales_page(app)
    open_order(app, "New", number)
    buyers.cancel_order(
        app.store, buyer_code="LVM-00001", order_number=number, reason="found it cheaper", now=utc_now()
    )
    app.at.run()
    warnings = [w.value for w in app.at.warning]
    assert any(
        f"{number} changed while you had it open. The buyer cancelled it at" in w and "found it cheaper" in w
        for w in warnings
    )
