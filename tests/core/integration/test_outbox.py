"""The transactional outbox: every step writes its event in the step's own transaction, in both of the
effects' shapes (one order, the sweep's batch), and a refused step writes none."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from core.errors import TransitionRefused
from core.integration.outbox import PAYOUT_PAID, TOPIC_OF_STEP, TOPICS, event_document
from core.orders import buyer_channel as buyers
from core.orders import seller
from core.orders.lifecycle import Step
from core.orders.sweep import run_sweep
from core.store.models import Order, OutboxEvent
from tests.builders import MONDAY_10, place, ship

DUE = MONDAY_10 + timedelta(days=1)


def outbox(world) -> list[tuple]:
    with world.store.reading() as session:
        return session.execute(
            select(OutboxEvent.topic, Order.order_number, OutboxEvent.step, OutboxEvent.actor_kind)
            .outerjoin(Order, Order.id == OutboxEvent.order_id)
            .order_by(OutboxEvent.id)
        ).all()


def test_every_step_has_an_event_kind_and_every_kind_is_listed():
    assert set(TOPIC_OF_STEP) == set(Step)
    assert set(TOPICS) == {*TOPIC_OF_STEP.values(), PAYOUT_PAID}


def test_a_person_s_steps_write_one_event_each_in_order(world):
    number = place(world).order_number
    seller.accept_order(world.store, world.pm, number, MONDAY_10)
    ship(world, number, MONDAY_10)
    buyers.confirm_receipt(world.store, buyer_code="BUY-1", order_number=number, now=MONDAY_10 + timedelta(hours=1))
    assert [row[0] for row in outbox(world)] == [
        "order.placed",
        "order.accepted",
        "order.packed",
        "order.shipped",
        "order.completed",
    ]
    assert {row[1] for row in outbox(world)} == {number}


def test_a_refused_step_writes_no_event(world):
    number = place(world).order_number
    before = outbox(world)
    with pytest.raises(TransitionRefused):
        buyers.confirm_receipt(world.store, buyer_code="BUY-1", order_number=number, now=MONDAY_10)
    assert outbox(world) == before


def test_the_sweep_writes_one_event_per_order_it_moves_and_payouts_paid_too(world):
    cancelled = [place(world, quantity=1).order_number for _ in range(3)]
    done = place(world, quantity=1).order_number
    seller.accept_order(world.store, world.pm, done, MONDAY_10)
    ship(world, done, MONDAY_10)
    buyers.confirm_receipt(world.store, buyer_code="BUY-1", order_number=done, now=MONDAY_10)
    run_sweep(world.store, DUE)
    run_sweep(world.store, DUE)  # a second run moves nothing and writes nothing
    rows = outbox(world)
    assert [(r[1], r[3]) for r in rows if r[0] == "order.cancelled"] == [(n, "SYSTEM") for n in cancelled]
    assert [r[1] for r in rows if r[0] == PAYOUT_PAID] == [done]


def test_the_document_says_what_happened_to_which_order_and_who_did_it(world):
    number = place(world).order_number
    buyers.cancel_order(world.store, buyer_code="BUY-1", order_number=number, reason="", now=MONDAY_10)
    with world.store.reading() as session:
        event = session.scalars(select(OutboxEvent).order_by(OutboxEvent.id.desc())).first()
        document = event_document(session, event)
    assert document["type"] == "order.cancelled"
    assert document["id"] == f"evt_{event.id}"
    assert document["data"]["by"] == "buyer"
    assert document["data"]["order"]["number"] == number
    assert document["data"]["order"]["status"] == "CANCELLED"
    assert document["data"]["order"]["seller"] == "ACME01"
