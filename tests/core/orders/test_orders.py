"""Order services on a real store (SQLite and PostgreSQL): each step in one transaction, with its
event, stock movement and money record; refusals leave the store unchanged."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from core.domain import ActorKind, ComplaintResolution, FailureKind, OrderStatus, PayoutStatus
from core.errors import AccessDenied, InvalidInput, NotFound, OutOfStock, TransitionRefused
from core.orders import buyer_channel as buyers
from core.orders import seller, views
from core.orders.buyer_channel import OrderLine
from core.store.models import Order, OrderItem, Payout, Refund, Shipment
from tests.builders import MONDAY_10, events_of, items_of, place, ship, status_of, wib


def test_placing_an_order_reserves_stock_snapshots_prices_and_sets_the_confirm_deadline(world):
    placed = place(world, quantity=3)
    assert placed.total_amount == 3 * 75_000
    assert placed.confirm_deadline == wib(2026, 11, 24, 10, 0)  # one full business day of open hours
    assert world.stock() == (100, 3)
    with world.store.reading() as session:
        item = session.scalar(select(OrderItem))
        assert (item.sku, item.unit_price, item.line_total) == ("RICE-5", 75_000, 225_000)
    assert events_of(world, placed.order_number) == [(None, OrderStatus.PENDING_CONFIRMATION, ActorKind.BUYER)]


def test_the_happy_path_ends_in_one_payout_of_the_full_amount(world):
    number = place(world, quantity=2).order_number
    seller.accept_order(world.store, world.pm, number, MONDAY_10 + timedelta(hours=1))
    ship(world, number, MONDAY_10 + timedelta(hours=3))
    assert world.stock() == (98, 0)  # shipping took the reserved units off the shelf
    buyers.mark_delivered(world.store, order_number=number, now=MONDAY_10 + timedelta(days=2))
    buyers.confirm_receipt(
        world.store, buyer_code="BUY-1", order_number=number, now=MONDAY_10 + timedelta(days=2, hours=2)
    )
    assert status_of(world, number) == OrderStatus.COMPLETED
    with world.store.reading() as session:
        payout = session.scalar(select(Payout))
        assert (payout.amount, payout.status, payout.trigger) == (150_000, PayoutStatus.PENDING, "BUYER_CONFIRMED")
        assert payout.account_number == "1234567890"
    assert [e[1] for e in events_of(world, number)] == [
        OrderStatus.PENDING_CONFIRMATION,
        OrderStatus.PROCESSING,
        OrderStatus.READY_TO_SHIP,
        OrderStatus.SHIPPED,
        OrderStatus.DELIVERED,
        OrderStatus.COMPLETED,
    ]


def test_accepting_stores_the_packing_deadline_from_the_warehouse_processing_time(world):
    number = place(world, at=wib(2026, 11, 27, 15, 0)).order_number
    seller.accept_order(world.store, world.pm, number, wib(2026, 11, 27, 16, 0))  # Friday 16:00
    with world.store.reading() as session:
        order = session.scalar(select(Order))
        # 2 business days of 9 h: 1 h Friday, 9 h Monday, 8 h Tuesday -> Tuesday 16:00 WIB
        assert order.pack_deadline == wib(2026, 12, 1, 16, 0)


def test_packing_requires_every_item_checked_off(world):
    placed = buyers.place_order(
        world.store,
        buyer_code="BUY-1",
        company_code="ACME01",
        warehouse_code="JKT-1",
        lines=[OrderLine("RICE-5", 1), OrderLine("OIL-2", 1)],
        now=MONDAY_10,
    )
    seller.accept_order(world.store, world.pm, placed.order_number, MONDAY_10)
    one = {min(items_of(world, placed.order_number))}
    with pytest.raises(InvalidInput, match="1 of 2 checked; not yet: OIL-2"):
        seller.mark_packed(world.store, world.pm, placed.order_number, one, MONDAY_10)
    assert status_of(world, placed.order_number) == OrderStatus.PROCESSING


def test_rejecting_needs_a_reason_and_gives_the_stock_back(world):
    number = place(world, quantity=5).order_number
    with pytest.raises(InvalidInput, match="Say why"):
        seller.reject_order(world.store, world.pm, number, "  ", MONDAY_10)
    seller.reject_order(world.store, world.pm, number, "Out of this batch", MONDAY_10)
    assert world.stock() == (100, 0)
    with world.store.reading() as session:
        order = session.scalar(select(Order))
        assert (order.status, order.failure_kind, order.failure_reason) == (
            OrderStatus.REJECTED,
            FailureKind.REJECTED_BY_SELLER,
            "Out of this batch",
        )


def test_a_non_image_renamed_png_cannot_ship_and_nothing_changes(world):
    number = place(world).order_number
    seller.accept_order(world.store, world.pm, number, MONDAY_10)
    seller.mark_packed(world.store, world.pm, number, items_of(world, number), MONDAY_10)
    with pytest.raises(InvalidInput, match="not a readable PNG, JPEG or WebP image"):
        seller.ship_order(
            world.store,
            world.pm,
            number,
            courier="JNE",
            tracking_number="JNE-1234",
            photo=b"%PDF-1.4 not an image",
            photo_name="proof.png",
            now=MONDAY_10,
        )
    assert status_of(world, number) == OrderStatus.READY_TO_SHIP
    assert world.stock() == (100, 2)
    with world.store.reading() as session:
        assert session.scalar(select(func.count(Shipment.id))) == 0


def test_the_buyer_cannot_cancel_an_accepted_order_before_the_packing_deadline(world):
    number = place(world).order_number
    seller.accept_order(world.store, world.pm, number, MONDAY_10)
    with pytest.raises(TransitionRefused, match="packing deadline has not passed"):
        buyers.cancel_order(
            world.store,
            buyer_code="BUY-1",
            order_number=number,
            reason="changed mind",
            now=MONDAY_10 + timedelta(hours=2),
        )
    buyers.cancel_order(
        world.store, buyer_code="BUY-1", order_number=number, reason="too slow", now=MONDAY_10 + timedelta(days=3)
    )
    assert status_of(world, number) == OrderStatus.CANCELLED
    assert world.stock() == (100, 0)


def test_a_buyer_cancelling_a_shipped_order_after_the_sla_does_not_release_stock_twice(world):
    number = place(world).order_number
    seller.accept_order(world.store, world.pm, number, MONDAY_10)
    ship(world, number, MONDAY_10)
    buyers.cancel_order(
        world.store, buyer_code="BUY-1", order_number=number, reason="never arrived", now=MONDAY_10 + timedelta(days=4)
    )
    assert world.stock() == (98, 0)


def test_a_complaint_answered_with_a_refund_records_one_refund(world):
    number = place(world).order_number
    seller.accept_order(world.store, world.pm, number, MONDAY_10)
    ship(world, number, MONDAY_10)
    buyers.mark_delivered(world.store, order_number=number, now=MONDAY_10 + timedelta(days=1))
    deadline = buyers.file_complaint(
        world.store,
        buyer_code="BUY-1",
        order_number=number,
        description="Two sacks torn",
        now=MONDAY_10 + timedelta(days=1, hours=1),
    )
    assert deadline == MONDAY_10 + timedelta(days=3, hours=1)
    seller.answer_complaint(
        world.store, world.pm, number, ComplaintResolution.REFUND, "Sorry", MONDAY_10 + timedelta(days=2)
    )
    assert status_of(world, number) == OrderStatus.REFUNDED
    with world.store.reading() as session:
        assert [r.amount for r in session.scalars(select(Refund))] == [150_000]
        assert session.scalar(select(func.count(Payout.id))) == 0


def test_a_return_refunds_when_the_goods_arrive_and_restocks_them_if_fit(world):
    number = place(world, quantity=4).order_number
    seller.accept_order(world.store, world.pm, number, MONDAY_10)
    ship(world, number, MONDAY_10)
    buyers.file_complaint(
        world.store,
        buyer_code="BUY-1",
        order_number=number,
        description="Wrong brand",
        now=MONDAY_10 + timedelta(days=1),
    )
    seller.answer_complaint(
        world.store,
        world.pm,
        number,
        ComplaintResolution.RETURN,
        "Send it back",
        MONDAY_10 + timedelta(days=1, hours=2),
    )
    assert status_of(world, number) == OrderStatus.RETURN_REQUESTED
    with world.store.reading() as session:
        assert session.scalar(select(func.count(Refund.id))) == 0
    seller.receive_return(world.store, world.pm, number, fit_to_sell=True, now=MONDAY_10 + timedelta(days=5))
    assert status_of(world, number) == OrderStatus.REFUNDED
    assert world.stock() == (100, 0)


def test_confirming_receipt_of_an_undelivered_order_marks_it_delivered_and_completed(world):
    number = place(world).order_number
    seller.accept_order(world.store, world.pm, number, MONDAY_10)
    ship(world, number, MONDAY_10)
    buyers.confirm_receipt(world.store, buyer_code="BUY-1", order_number=number, now=MONDAY_10 + timedelta(days=1))
    with world.store.reading() as session:
        order = session.scalar(select(Order))
        assert order.status == OrderStatus.COMPLETED
        assert order.delivered_at == order.completed_at == MONDAY_10 + timedelta(days=1)


def test_a_second_confirmation_cannot_pay_twice(world):
    number = place(world).order_number
    seller.accept_order(world.store, world.pm, number, MONDAY_10)
    ship(world, number, MONDAY_10)
    buyers.confirm_receipt(world.store, buyer_code="BUY-1", order_number=number, now=MONDAY_10 + timedelta(days=1))
    with pytest.raises(TransitionRefused, match="it is completed"):
        buyers.confirm_receipt(world.store, buyer_code="BUY-1", order_number=number, now=MONDAY_10 + timedelta(days=1))
    with world.store.reading() as session:
        assert session.scalar(select(func.count(Payout.id))) == 1


def test_ordering_more_than_is_available_is_refused_and_reserves_nothing(world):
    short = r"Not enough stock of OIL-2 \(Product OIL-2\) in JKT-1: 10 pcs available, 11 ordered\."
    with pytest.raises(OutOfStock, match=short):
        buyers.place_order(
            world.store,
            buyer_code="BUY-1",
            company_code="ACME01",
            warehouse_code="JKT-1",
            lines=[OrderLine("RICE-5", 5), OrderLine("OIL-2", 11)],
            now=MONDAY_10,
        )
    assert world.stock("RICE-5") == (100, 0)  # the first line's reservation was rolled back too
    with world.store.reading() as session:
        assert session.scalar(select(func.count(Order.id))) == 0


@pytest.mark.parametrize(
    "kwargs, error, words",
    [
        (dict(buyer_code="BUY-X"), Exception, "not approved by the bank"),
        (dict(buyer_code="NOPE"), NotFound, "not known"),
        (dict(warehouse_code="XX"), NotFound, "has no warehouse XX"),
        (dict(lines=[OrderLine("NOPE", 1)]), NotFound, "not on sale"),
        (dict(lines=[OrderLine("RICE-5", 0)]), InvalidInput, "must be a whole number"),
        (dict(lines=[]), InvalidInput, "at least one line"),
    ],
)
def test_the_buyer_channel_refuses_bad_orders_clearly(world, kwargs, error, words):
    arguments = (
        dict(
            buyer_code="BUY-1",
            company_code="ACME01",
            warehouse_code="JKT-1",
            lines=[OrderLine("RICE-5", 1)],
            now=MONDAY_10,
        )
        | kwargs
    )
    with pytest.raises(error, match=words):
        buyers.place_order(world.store, **arguments)


def test_placing_counts_the_warehouse_closures_ahead_not_those_behind(world):
    from datetime import date

    from core.warehouses.operations import add_closures

    week_before = MONDAY_10 - timedelta(days=7)
    add_closures(world.store, world.pm, "JKT-1", date(2026, 11, 24), None, "stock-taking", week_before)
    add_closures(world.store, world.pm, "JKT-1", date(2026, 11, 17), None, "inventory", week_before - timedelta(days=2))
    # Monday 10:00 with Tuesday closed: the one business day to confirm ends Wednesday 10:00.
    assert place(world).confirm_deadline == wib(2026, 11, 25, 10, 0)


def test_an_unknown_buyer_is_named_before_an_unknown_warehouse_and_an_unapproved_one_before_a_closed_one(world):
    from sqlalchemy import update

    from core.domain import WarehouseStatus
    from core.store.models import Warehouse

    arguments = dict(company_code="ACME01", lines=[OrderLine("RICE-5", 1)], now=MONDAY_10)
    with pytest.raises(NotFound, match="Buyer NOPE is not known"):
        buyers.place_order(world.store, buyer_code="NOPE", warehouse_code="XX", **arguments)
    with world.store.transaction() as session:
        session.execute(update(Warehouse).values(status=WarehouseStatus.CLOSED))
    with pytest.raises(InvalidInput, match="not approved by the bank"):
        buyers.place_order(world.store, buyer_code="BUY-X", warehouse_code="JKT-1", **arguments)


def test_a_closed_warehouse_takes_no_orders(world):
    from sqlalchemy import update

    from core.domain import WarehouseStatus
    from core.store.models import Warehouse

    with world.store.transaction() as session:
        session.execute(update(Warehouse).values(status=WarehouseStatus.CLOSED))
    with pytest.raises(InvalidInput, match="is closed and takes no orders"):
        place(world)


def test_a_buyer_cannot_touch_another_buyers_order(world):
    number = place(world).order_number
    with pytest.raises(NotFound, match="not one of buyer BUY-2's orders"):
        buyers.cancel_order(world.store, buyer_code="BUY-2", order_number=number, reason="x", now=MONDAY_10)


def test_another_companys_user_cannot_see_or_act_on_the_order(world):
    number = place(world).order_number
    with pytest.raises(NotFound):
        seller.accept_order(world.store, world.other_pm, number, MONDAY_10)
    with pytest.raises(NotFound):
        views.order_detail(world.store, world.other_pm, number)
    assert views.orders_needing_action(world.store, world.other_pm, MONDAY_10) == []
    assert status_of(world, number) == OrderStatus.PENDING_CONFIRMATION


def test_a_system_administrator_may_not_handle_orders(world):
    number = place(world).order_number
    with pytest.raises(AccessDenied, match="Only a Product Manager may accept orders"):
        seller.accept_order(world.store, world.admin, number, MONDAY_10)


def test_accepting_an_order_the_system_already_cancelled_says_what_happened(world):
    from core.orders.lifecycle import TRANSITIONS, Step
    from core.orders.sweep import sweep_step

    number = place(world).order_number
    sweep_step(world.store, TRANSITIONS[Step.AUTO_CANCEL], wib(2026, 11, 24, 10, 0))
    with pytest.raises(TransitionRefused) as refused:
        seller.accept_order(world.store, world.pm, number, wib(2026, 11, 24, 10, 0, 1))
    assert refused.value.message == (
        "Cannot accept order KP-00000001: it is cancelled. The system cancelled it at "
        "24 Nov 2026 10:00 WIB (no answer within 1 business day)."
    )


def test_bulk_accept_reports_each_order_and_goes_on_after_a_refusal(world):
    first, second = place(world).order_number, place(world).order_number
    buyers.cancel_order(world.store, buyer_code="BUY-1", order_number=second, reason="oops", now=MONDAY_10)
    progress = []
    result = seller.accept_orders(
        world.store,
        world.pm,
        [first, second],
        MONDAY_10,
        on_progress=lambda done, total: progress.append((done, total)),
    )
    assert result.done == [first]
    assert "it is cancelled" in result.refused[second]
    assert progress == [(1, 2), (2, 2)]


def test_bulk_packing_checks_off_every_line_and_refuses_an_order_not_being_packed(world):
    packing, waiting = place(world).order_number, place(world).order_number
    seller.accept_order(world.store, world.pm, packing, MONDAY_10)
    result = seller.pack_orders(world.store, world.pm, [packing, waiting], MONDAY_10 + timedelta(hours=1))
    assert result.done == [packing]
    assert "it is waiting for confirmation" in result.refused[waiting]
    assert status_of(world, packing) == OrderStatus.READY_TO_SHIP
    with world.store.reading() as session:
        checked = session.scalars(select(OrderItem.checked_at).join(Order).where(Order.order_number == packing))
        assert set(checked) == {MONDAY_10 + timedelta(hours=1)}


def test_orders_needing_action_come_nearest_deadline_first_with_time_left(world):
    late = place(world, at=MONDAY_10).order_number
    early = place(world, at=MONDAY_10 - timedelta(hours=1)).order_number
    rows = views.orders_needing_action(world.store, world.pm, MONDAY_10 + timedelta(hours=2))
    assert [r.order_number for r in rows] == [early, late]
    # placed Monday 09:00 WIB -> due Tuesday 09:00 WIB; seen Monday 12:00 WIB: 21 hours on the clock
    assert rows[0].time_left == timedelta(hours=21) and rows[0].action == "accept or reject"


def test_the_order_detail_has_items_events_and_the_shipment(world):
    number = place(world).order_number
    seller.accept_order(world.store, world.pm, number, MONDAY_10)
    ship(world, number, MONDAY_10)
    detail = views.order_detail(world.store, world.pm, number)
    assert [item.sku for item in detail.items] == ["RICE-5"]
    assert len(detail.events) == 4 and detail.shipment.tracking_number == "JNE-123456"
    assert detail.shipment.proof_photo[:2] == b"\xff\xd8"  # re-encoded JPEG
    assert detail.warehouse.code == "JKT-1" and detail.buyer.buyer_code == "BUY-1"


def test_order_numbers_come_from_the_id_with_eight_digits_at_least(world):
    from sqlalchemy import insert, text

    from core.orders.steps import order_number
    from core.store.models import orders_t

    first = place(world).order_number
    assert first == order_number(int(first.removeprefix("KP-"))) and len(first) == len("KP-00000001")
    with world.store.transaction() as session:  # an order far along the sequence, as after years of trade
        order = session.scalar(select(Order).where(Order.order_number == first))
        row = {c: getattr(order, c) for c in ("company_id", "warehouse_id", "buyer_id", "status", "total_amount")}
        filler = {"id": 99_999_998, "order_number": "FILLER", "placed_at": MONDAY_10, "updated_at": MONDAY_10}
        session.execute(insert(orders_t).values(**filler, **row))
        if session.get_bind().dialect.name == "postgresql":  # an id given by hand does not move the sequence
            session.execute(text("SELECT setval(pg_get_serial_sequence('orders', 'id'), 99999998)"))
    assert [place(world).order_number for _ in range(2)] == ["KP-99999999", "KP-100000000"]
