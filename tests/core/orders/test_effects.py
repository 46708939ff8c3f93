"""Each automatic step, taken in its two shapes, leaves the same store: per order (take_step, as a
person's step is taken) and set-based (the sweep's batch). Two identical orders in two identical
warehouses are brought to the step's source status; one is moved per order, the other by a sweep,
both as a scheduler back from a three-day outage would; then everything either wrote is compared.

The bulk demo generator (core.demo.bulk), which writes years of orders without the services, is
checked against the same footprint: what each automatic step leaves, relative to the order's own
deadline and amount."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from core.demo.bulk import generate_bulk
from core.demo.seed import DEMO_COMPANY_CODE, load_demo
from core.domain import ActorKind
from core.orders.effects import SET_BASED
from core.orders.lifecycle import AUTOMATIC_STEPS, Transition
from core.orders.steps import take_step
from core.orders.sweep import SYSTEM_ID, sweep_step
from core.store.models import Company, Complaint, Order, OrderEvent, Payout, Product, Refund, StockLevel
from tests.builders import order_due_for, twin_warehouse

OUTAGE = timedelta(days=3)
STEPS = {t.step: t for t in AUTOMATIC_STEPS}


def _deadline(session, order_id: int, transition: Transition):
    return getattr(session.get(Order, order_id), transition.takes_effect_at)


def _everything_written(store, number: str, transition: Transition) -> dict:
    """What the store holds about one order and its warehouse, without ids that differ anyway."""
    with store.reading() as session:
        order = session.scalar(select(Order).where(Order.order_number == number))
        skip = {"id", "order_number", "warehouse_id"}
        return {
            "order": {c.key: getattr(order, c.key) for c in Order.__table__.columns if c.key not in skip},
            "events": [
                (e.from_status, e.to_status, e.actor_kind, e.actor_id, e.reason, e.at, e.recorded_at)
                for e in session.scalars(
                    select(OrderEvent).where(OrderEvent.order_id == order.id).order_by(OrderEvent.id)
                )
            ],
            "stock": sorted(
                (p.sku, s.on_hand, s.reserved, s.updated_at)
                for s, p in session.execute(
                    select(StockLevel, Product).join(Product).where(StockLevel.warehouse_id == order.warehouse_id)
                )
            ),
            "payouts": [
                (p.amount, p.bank_name, p.account_number, p.status, p.trigger, p.created_at, p.paid_at)
                for p in session.scalars(select(Payout).where(Payout.order_id == order.id))
            ],
            "refunds": [
                (r.amount, r.reason, r.created_at)
                for r in session.scalars(select(Refund).where(Refund.order_id == order.id))
            ],
            "complaints": [
                (
                    c.description,
                    c.filed_at,
                    c.answer_deadline,
                    c.resolution,
                    c.answer_note,
                    c.answered_at,
                    c.answered_by_user_id,
                    c.return_received_at,
                    c.restocked,
                )
                for c in session.scalars(select(Complaint).where(Complaint.order_id == order.id))
            ],
        }


@pytest.mark.parametrize("step", list(STEPS), ids=str)
def test_each_automatic_step_leaves_the_same_store_per_order_and_set_based(world, step):
    transition = STEPS[step]
    twin_warehouse(world)
    per_order, set_based = order_due_for(world, "JKT-1", step), order_due_for(world, "JKT-2", step)
    with world.store.reading() as session:
        due = getattr(session.scalar(select(Order).where(Order.order_number == per_order)), transition.takes_effect_at)
    back = due + OUTAGE
    with world.store.transaction() as session:
        order = session.scalar(select(Order).where(Order.order_number == per_order))
        take_step(session, order, step, now=back, by=SYSTEM_ID)
    assert sweep_step(world.store, transition, back) == 1  # only the other one was still due

    one, batch = (
        _everything_written(world.store, per_order, transition),
        _everything_written(world.store, set_based, transition),
    )
    assert one == batch
    last = batch["events"][-1]
    assert (last[1], last[2], last[3]) == (transition.target, ActorKind.SYSTEM, SYSTEM_ID)
    assert (last[5], last[6]) == (due, back)  # took effect at the deadline, recorded when the sweep ran


def test_every_effect_of_an_automatic_step_has_a_set_based_shape():
    for transition in AUTOMATIC_STEPS:
        assert set(transition.effects) <= set(SET_BASED), transition.step
        assert transition.takes_effect_at and len(transition.sources) == 1


def _footprint(session, order: Order, transition: Transition) -> dict:
    """What an automatic step left, relative to the order's deadline and amount."""
    due = getattr(order, transition.takes_effect_at)

    def since(moment):
        return None if moment is None else moment - due

    event = session.scalar(
        select(OrderEvent).where(OrderEvent.order_id == order.id).order_by(OrderEvent.id.desc()).limit(1)
    )
    payout = session.scalar(select(Payout).where(Payout.order_id == order.id))
    refund = session.scalar(select(Refund).where(Refund.order_id == order.id))
    complaint = session.scalar(select(Complaint).where(Complaint.order_id == order.id))
    return {
        "order": (
            order.status,
            order.failure_kind,
            order.failure_reason,
            since(order.closed_at),
            since(order.completed_at),
        ),
        "event": (
            event.from_status,
            event.to_status,
            event.actor_kind,
            event.actor_id,
            event.reason,
            since(event.at),
            event.recorded_at >= event.at,
        ),
        "payout": payout and (payout.amount - order.total_amount, payout.trigger, since(payout.created_at)),
        "refund": refund and (refund.amount - order.total_amount, refund.reason, since(refund.created_at)),
        "complaint": complaint and (complaint.resolution, complaint.answer_note, since(complaint.answered_at)),
    }


@pytest.mark.slow  # generates a bulk store
def test_the_bulk_demo_leaves_what_each_automatic_step_leaves(world, store, now):
    twin_warehouse(world)
    expected = {}
    for step, transition in STEPS.items():
        number = order_due_for(world, "JKT-2", step)
        with store.transaction() as session:
            order = session.scalar(select(Order).where(Order.order_number == number))
            take_step(session, order, step, now=_deadline(session, order.id, transition) + OUTAGE, by=SYSTEM_ID)
        with store.reading() as session:
            expected[step] = _footprint(
                session, session.scalar(select(Order).where(Order.order_number == number)), transition
            )

    load_demo(store, seed=3, now=now - timedelta(days=400), history_days=0)
    generate_bulk(store, orders=3000, company_code=DEMO_COMPANY_CODE, seed=11, now=now, days=60, chunk_size=1000)
    seen = {}
    with store.reading() as session:
        for step, transition in STEPS.items():
            ids = session.scalars(
                select(OrderEvent.order_id)
                .join(Order)
                .join(Company)
                .where(
                    Company.company_code == DEMO_COMPANY_CODE,
                    OrderEvent.actor_kind == ActorKind.SYSTEM,
                    OrderEvent.to_status == transition.target,
                )
            ).all()
            seen[step] = len(ids)
            for order_id in ids:
                assert _footprint(session, session.get(Order, order_id), transition) == expected[step], (step, order_id)
    assert all(seen.values()), seen  # the bulk demo has orders of every automatic step
