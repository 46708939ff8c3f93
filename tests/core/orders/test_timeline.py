"""An order's timeline in words a person reads (core.orders.steps.event_sentence, through the order
detail's events): who by name, what happened, and the reason only where it adds something."""

from __future__ import annotations

from datetime import timedelta
from types import SimpleNamespace

import pytest
from sqlalchemy import update

from core.domain import ActorKind, OrderStatus
from core.orders import buyer_channel as buyers
from core.orders import seller, views
from core.orders.lifecycle import TRANSITIONS, Step
from core.orders.steps import event_sentence
from core.orders.sweep import sweep_step
from core.store.models import User
from tests.builders import MONDAY_10, place, ship, wib


@pytest.fixture
def named(world):
    """The world, with the Product Manager called by their name."""
    with world.store.transaction() as session:
        session.execute(update(User).where(User.id == world.pm.user_id).values(display_name="Rina Wijaya"))
    return world


def timeline(world, number) -> list[str]:
    return [event.sentence for event in views.order_detail(world.store, world.pm, number).events]


def test_the_happy_path_reads_who_did_what_by_name(named):
    number = place(named).order_number
    seller.accept_order(named.store, named.pm, number, MONDAY_10)
    ship(named, number, MONDAY_10 + timedelta(hours=1))
    buyers.mark_delivered(named.store, order_number=number, now=MONDAY_10 + timedelta(days=1))
    buyers.confirm_receipt(named.store, buyer_code="BUY-1", order_number=number, now=MONDAY_10 + timedelta(days=2))
    assert timeline(named, number) == [
        "placed by the buyer Toko Makmur (BUY-1)",
        "accepted by Rina Wijaya (pm)",
        "packed by Rina Wijaya (pm): all items checked",
        "shipped by Rina Wijaya (pm) with JNE, JNE-123456",
        "delivered by the courier",
        "completed by the buyer Toko Makmur (BUY-1): buyer confirmed receipt",
    ]


def test_the_system_says_why_it_acted(named):
    number = place(named).order_number
    sweep_step(named.store, TRANSITIONS[Step.AUTO_CANCEL], wib(2026, 11, 24, 10, 0))
    assert timeline(named, number)[-1] == "cancelled by the system: no answer within 1 business day"


def test_a_reason_someone_typed_follows_the_line(named):
    rejected, cancelled = place(named).order_number, place(named).order_number
    seller.reject_order(named.store, named.pm, rejected, "out of stock until Friday", MONDAY_10)
    buyers.cancel_order(
        named.store, buyer_code="BUY-1", order_number=cancelled, reason="found it cheaper", now=MONDAY_10
    )
    assert timeline(named, rejected)[-1] == "rejected by Rina Wijaya (pm): out of stock until Friday"
    assert timeline(named, cancelled)[-1] == "cancelled by the buyer Toko Makmur (BUY-1): found it cheaper"


def test_a_complaint_left_unanswered_is_refunded_by_the_system(named):
    number = place(named).order_number
    seller.accept_order(named.store, named.pm, number, MONDAY_10)
    ship(named, number, MONDAY_10)
    deadline = buyers.file_complaint(
        named.store, buyer_code="BUY-1", order_number=number, description="Two sacks torn", now=MONDAY_10
    )
    sweep_step(named.store, TRANSITIONS[Step.AUTO_REFUND], deadline)
    assert timeline(named, number)[-2:] == [
        "complaint filed by the buyer Toko Makmur (BUY-1): Two sacks torn",
        "refunded by the system: complaint not answered within 2 calendar days",
    ]


def event(to_status, kind, actor_id=None, reason=None):
    return SimpleNamespace(to_status=to_status, actor_kind=kind, actor_id=actor_id, reason=reason, at=MONDAY_10)


@pytest.mark.parametrize(
    "facts,name,sentence",
    [
        # Without a name (a user since deleted, a buyer not found): the ID, never "user DEMO01/pm".
        (event(OrderStatus.PROCESSING, ActorKind.USER, "DEMO01/pm", "accepted"), None, "accepted by pm"),
        (event(OrderStatus.PENDING_CONFIRMATION, ActorKind.BUYER, "LVM-9"), None, "placed by the buyer LVM-9"),
        (
            event(OrderStatus.PROCESSING, ActorKind.USER, "DEMO01/pm", "accepted"),
            "Rina Wijaya",
            "accepted by Rina Wijaya (pm)",
        ),
        (
            event(OrderStatus.DELIVERED, ActorKind.COURIER, "courier", "left with the shop's cashier"),
            None,
            "delivered by the courier: left with the shop's cashier",
        ),
        (
            event(OrderStatus.RETURN_REQUESTED, ActorKind.USER, "DEMO01/pm", "answered with a return"),
            "Rina Wijaya",
            "return requested by Rina Wijaya (pm)",
        ),
    ],
)
def test_event_sentence(facts, name, sentence):
    assert event_sentence(facts, name) == sentence


def test_every_status_has_words_for_the_timeline():
    for status in OrderStatus:
        assert event_sentence(event(status, ActorKind.SYSTEM), None).endswith("by the system")
