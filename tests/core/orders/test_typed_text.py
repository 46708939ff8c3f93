"""Typed text in the order services, the seller's and the buyer channel's: a reason, a note, a
courier or a tracking number with a NUL byte or an invisible character, or over its limit, is
refused naming the field and nothing is stored (never cut); an order number, buyer, seller,
warehouse or SKU that cannot exist is not found. On SQLite and PostgreSQL, never a database error."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from core.domain import ComplaintResolution, OrderStatus
from core.errors import InvalidInput, NotFound
from core.orders import buyer_channel as buyers
from core.orders import seller, views
from core.orders.buyer_channel import OrderLine
from core.store.models import Complaint, Order, OrderEvent, Shipment
from tests.builders import MONDAY_10, items_of, photo, place, ship, status_of


def stored(world) -> tuple:
    with world.store.reading() as session:
        return (
            session.execute(select(Order.order_number, Order.status, Order.failure_reason).order_by(Order.id)).all(),
            session.scalar(select(func.count(OrderEvent.id))),
            session.execute(select(Complaint.description, Complaint.answer_note)).all(),
            session.execute(select(Shipment.courier, Shipment.tracking_number)).all(),
        )


def refused(world, call) -> InvalidInput:
    before = stored(world)
    with pytest.raises(InvalidInput) as refusal:
        call()
    assert stored(world) == before
    assert "\x00" not in refusal.value.message
    return refusal.value


# --- The seller's text ---------------------------------------------------------------------------


def test_a_983_character_rejection_reason_is_refused_stating_the_limit_and_nothing_is_stored(world):
    number = place(world).order_number
    refusal = refused(world, lambda: seller.reject_order(world.store, world.pm, number, "r" * 983, MONDAY_10))
    assert refusal.field == "reason"
    assert refusal.message == "The rejection reason may be at most 500 characters; it has 983."
    assert status_of(world, number) == OrderStatus.PENDING_CONFIRMATION


def test_a_rejection_reason_at_the_limit_is_kept_whole(world):
    number = place(world).order_number
    seller.reject_order(world.store, world.pm, number, " " + "r" * seller.MAX_REASON + " ", MONDAY_10)
    with world.store.reading() as session:
        assert session.scalar(select(Order.failure_reason)) == "r" * 500


@pytest.mark.parametrize(
    "reason, words",
    [
        ("Stok\x00habis", "The rejection reason contains a control character (U+0000)"),
        ("Stok habis\u202e", "text-direction control character (U+202E)"),
        ("\u200b", "invisible character (U+200B)"),
        ("   ", "Say why the order is rejected"),
    ],
)
def test_a_bad_rejection_reason_is_refused(world, reason, words):
    number = place(world).order_number
    refusal = refused(world, lambda: seller.reject_order(world.store, world.pm, number, reason, MONDAY_10))
    assert refusal.field == "reason" and words in refusal.message


@pytest.mark.parametrize(
    "change, field, words",
    [
        ({"courier": "JNE\x00"}, "courier", "The courier name contains a control character (U+0000)"),
        ({"courier": "J" * 101}, "courier", "The courier name may be at most 100 characters; it has 101."),
        ({"courier": "JNE\u200b"}, "courier", "invisible character (U+200B)"),
        ({"tracking_number": "JNE\x00123456"}, "tracking_number", "The tracking number contains a control character"),
        ({"tracking_number": "JNE-123456\u200b"}, "tracking_number", "invisible character (U+200B)"),
    ],
)
def test_a_bad_courier_or_tracking_number_is_refused(world, change, field, words):
    number = place(world).order_number
    seller.accept_order(world.store, world.pm, number, MONDAY_10)
    seller.mark_packed(world.store, world.pm, number, items_of(world, number), MONDAY_10)
    values = {"courier": "JNE", "tracking_number": "JNE-123456", "photo": photo(), "photo_name": "proof.jpg", **change}
    refusal = refused(world, lambda: seller.ship_order(world.store, world.pm, number, **values, now=MONDAY_10))
    assert refusal.field == field and words in refusal.message


def _complained(world) -> str:
    number = place(world).order_number
    seller.accept_order(world.store, world.pm, number, MONDAY_10)
    ship(world, number, MONDAY_10)
    buyers.file_complaint(
        world.store, buyer_code="BUY-1", order_number=number, description="Wrong brand", now=MONDAY_10
    )
    return number


@pytest.mark.parametrize(
    "note, words",
    [
        ("Maaf\x00", "The note to the buyer contains a control character (U+0000)"),
        ("n" * 501, "The note to the buyer may be at most 500 characters; it has 501."),
        ("Maaf \u202e", "(U+202E)"),
    ],
)
def test_a_bad_answer_note_is_refused_rather_than_cut(world, note, words):
    number = _complained(world)
    refusal = refused(
        world,
        lambda: seller.answer_complaint(
            world.store, world.pm, number, ComplaintResolution.REFUND, note, MONDAY_10 + timedelta(hours=1)
        ),
    )
    assert refusal.field == "note" and words in refusal.message


@pytest.mark.parametrize("number", ["KP-\x0000000001", "KP-00000001\u200b", "K" * 300])
def test_an_order_number_that_cannot_exist_is_not_found(world, number):
    place(world)
    for call in (
        lambda: seller.accept_order(world.store, world.pm, number, MONDAY_10),
        lambda: views.order_detail(world.store, world.pm, number),
        lambda: buyers.confirm_receipt(world.store, buyer_code="BUY-1", order_number=number, now=MONDAY_10),
        lambda: buyers.mark_delivered(world.store, order_number=number, now=MONDAY_10),
    ):
        with pytest.raises(NotFound) as refusal:
            call()
        assert "\x00" not in refusal.value.message and "\u200b" not in refusal.value.message


# --- The buyer channel's text --------------------------------------------------------------------


@pytest.mark.parametrize(
    "description, words",
    [
        ("Rusak\x00", "The complaint description contains a control character (U+0000)"),
        ("Rusak \u202e", "(U+202E)"),
        ("d" * 4001, "The complaint description may be at most 4000 characters; it has 4001."),
    ],
)
def test_a_bad_complaint_description_is_refused_rather_than_cut(world, description, words):
    number = place(world).order_number
    seller.accept_order(world.store, world.pm, number, MONDAY_10)
    ship(world, number, MONDAY_10)
    refusal = refused(
        world,
        lambda: buyers.file_complaint(
            world.store, buyer_code="BUY-1", order_number=number, description=description, now=MONDAY_10
        ),
    )
    assert refusal.field == "description" and words in refusal.message


def test_a_long_complaint_is_kept_whole_with_its_lines(world):
    number = place(world).order_number
    seller.accept_order(world.store, world.pm, number, MONDAY_10)
    ship(world, number, MONDAY_10)
    text = "Barang rusak.\r\n" + "d" * 3900
    buyers.file_complaint(world.store, buyer_code="BUY-1", order_number=number, description=text, now=MONDAY_10)
    with world.store.reading() as session:
        assert session.scalar(select(Complaint.description)) == "Barang rusak.\n" + "d" * 3900
        reasons = session.scalars(select(OrderEvent.reason).where(OrderEvent.to_status == OrderStatus.COMPLAINED))
        assert list(reasons) == ["Barang rusak.\n" + "d" * 3900]


@pytest.mark.parametrize(
    "reason, words",
    [
        ("Salah\x00pesan", "The cancellation reason contains a control character (U+0000)"),
        ("c" * 501, "The cancellation reason may be at most 500 characters; it has 501."),
    ],
)
def test_a_bad_cancellation_reason_is_refused(world, reason, words):
    number = place(world).order_number
    refusal = refused(
        world,
        lambda: buyers.cancel_order(world.store, buyer_code="BUY-1", order_number=number, reason=reason, now=MONDAY_10),
    )
    assert refusal.field == "reason" and words in refusal.message


@pytest.mark.parametrize(
    "change",
    [
        {"buyer_code": "BUY\x00-1"},
        {"buyer_code": "BUY-1\u200b"},
        {"company_code": "ACME\x0001"},
        {"warehouse_code": "JKT-1\x00"},
        {"warehouse_code": "J" * 300},
        {"lines": [OrderLine("RICE\x00-5", 1)]},
        {"lines": [OrderLine("RICE-5\u200b", 1)]},
    ],
    ids=lambda change: next(iter(change)),
)
def test_a_buyer_seller_warehouse_or_sku_that_cannot_exist_is_not_found(world, change):
    before = stored(world)
    values = {
        "buyer_code": "BUY-1",
        "company_code": "ACME01",
        "warehouse_code": "JKT-1",
        "lines": [OrderLine("RICE-5", 1)],
        **change,
    }
    with pytest.raises(NotFound) as refusal:
        buyers.place_order(world.store, **values, now=MONDAY_10)
    assert "\x00" not in refusal.value.message and "\u200b" not in refusal.value.message
    assert stored(world) == before
    assert world.stock() == (100, 0)
