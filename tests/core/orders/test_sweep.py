"""The scheduler's rules on a real store: each applied exactly once, late or doubled, and never over
a person who acted first."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlalchemy import func, select, update

from core.domain import ActorKind, ComplaintResolution, FailureKind, OrderStatus, PayoutStatus
from core.errors import ConcurrentChange
from core.orders import buyer_channel as buyers
from core.orders import seller as orders
from core.orders.lifecycle import TRANSITIONS, Step
from core.orders.sweep import run_sweep, sweep_step
from core.store.database import Store
from core.store.models import Complaint, Order, OrderEvent, Payout, Refund, StockLevel
from tests.builders import MONDAY_10, at_once, place, ship, status_of, wib

DUE = wib(2026, 11, 24, 10, 0)  # an order placed MONDAY_10 must be confirmed by then


def events_to(world, status) -> int:
    with world.store.reading() as session:
        return session.scalar(select(func.count(OrderEvent.id)).where(OrderEvent.to_status == status))


def test_an_unconfirmed_order_is_cancelled_at_its_deadline_and_its_stock_released(world):
    number = place(world, quantity=4).order_number
    assert run_sweep(world.store, DUE - timedelta(seconds=1))["actions"] == 0
    summary = run_sweep(world.store, DUE)
    assert summary["by_rule"]["auto_cancel"] == 1
    assert world.stock() == (100, 0)
    with world.store.reading() as session:
        order = session.scalar(select(Order))
        assert (order.status, order.failure_kind, order.closed_at) == (
            OrderStatus.CANCELLED,
            FailureKind.CANCELLED_BY_SYSTEM,
            DUE,
        )
        event = session.scalar(select(OrderEvent).order_by(OrderEvent.id.desc()))
        assert (event.actor_kind, event.actor_id, event.from_status) == (
            ActorKind.SYSTEM,
            "scheduler",
            OrderStatus.PENDING_CONFIRMATION,
        )
    assert status_of(world, number) == OrderStatus.CANCELLED


def test_an_unanswered_complaint_is_refunded_after_two_calendar_days(world):
    number = place(world).order_number
    orders.accept_order(world.store, world.pm, number, MONDAY_10)
    ship(world, number, MONDAY_10)
    filed = MONDAY_10 + timedelta(days=1)
    buyers.file_complaint(world.store, buyer_code="BUY-1", order_number=number, description="Broken", now=filed)
    run_sweep(world.store, filed + timedelta(days=2) - timedelta(seconds=1))
    assert status_of(world, number) == OrderStatus.COMPLAINED
    run_sweep(world.store, filed + timedelta(days=2))
    assert status_of(world, number) == OrderStatus.REFUNDED
    with world.store.reading() as session:
        assert [r.amount for r in session.scalars(select(Refund))] == [150_000]
        assert session.scalar(select(Complaint.resolution)) == ComplaintResolution.AUTO_REFUND


def test_a_delivered_order_completes_after_two_days_and_its_payout_is_disbursed_once(world):
    number = place(world).order_number
    orders.accept_order(world.store, world.pm, number, MONDAY_10)
    ship(world, number, MONDAY_10)
    delivered = MONDAY_10 + timedelta(days=1)
    buyers.mark_delivered(world.store, order_number=number, now=delivered)
    summary = run_sweep(world.store, delivered + timedelta(days=2))
    assert summary["by_rule"]["auto_complete"] == 1 and summary["by_rule"]["disburse_payouts"] == 1
    with world.store.reading() as session:
        payout = session.scalar(select(Payout))
        assert (payout.amount, payout.trigger, payout.status) == (150_000, "AUTO_AFTER_DELIVERY", PayoutStatus.PAID)
        assert payout.transfer_reference == f"KPT-{payout.id}"
    again = run_sweep(world.store, delivered + timedelta(days=3))
    assert again["actions"] == 0
    with world.store.reading() as session:
        assert session.scalar(select(func.count(Payout.id))) == 1


def test_a_seller_who_accepts_a_second_before_the_deadline_keeps_the_order(world):
    number = place(world).order_number
    orders.accept_order(world.store, world.pm, number, DUE - timedelta(seconds=1))
    assert run_sweep(world.store, DUE)["actions"] == 0
    assert status_of(world, number) == OrderStatus.PROCESSING
    assert world.stock() == (100, 2)


def test_a_scheduler_started_after_a_three_day_outage_catches_up_on_everything(world):
    unconfirmed = place(world).order_number
    complained = place(world).order_number
    delivered = place(world).order_number
    for number in (complained, delivered):
        orders.accept_order(world.store, world.pm, number, MONDAY_10)
        ship(world, number, MONDAY_10)
    buyers.file_complaint(world.store, buyer_code="BUY-1", order_number=complained, description="Wet", now=MONDAY_10)
    buyers.mark_delivered(world.store, order_number=delivered, now=MONDAY_10)
    back_up = MONDAY_10 + timedelta(days=3)  # nothing ran since Monday
    summary = run_sweep(world.store, back_up)
    assert summary["by_rule"] == {"auto_cancel": 1, "auto_refund": 1, "auto_complete": 1, "disburse_payouts": 1}
    assert [status_of(world, n) for n in (unconfirmed, complained, delivered)] == [
        OrderStatus.CANCELLED,
        OrderStatus.REFUNDED,
        OrderStatus.COMPLETED,
    ]


def test_two_schedulers_sweeping_at_once_apply_each_transition_once(world):
    numbers = [place(world, quantity=1, at=MONDAY_10 + timedelta(seconds=i)).order_number for i in range(60)]
    results = at_once(world.store.database_url, 2, lambda store, _i: run_sweep(store, DUE + timedelta(minutes=1)))
    assert sum(r["by_rule"]["auto_cancel"] for r in results) == 60
    assert events_to(world, OrderStatus.CANCELLED) == 60
    assert world.stock() == (100, 0)  # released once per order, never twice
    assert all(status_of(world, n) == OrderStatus.CANCELLED for n in numbers)


@pytest.mark.slow  # waits on a racing thread
def test_a_race_between_a_person_and_the_scheduler_has_exactly_one_winner(world, monkeypatch):
    """The person reads the order, the scheduler cancels it meanwhile. On PostgreSQL the scheduler gets
    there first and the person is told what happened; on SQLite the person's write lock was taken up
    front, so the scheduler waits, then finds nothing to do. Either way: one winner, one event."""
    from core.orders import steps

    number = place(world).order_number
    sweeper = Store(world.store.database_url)
    swept = {}
    real_check = steps.check_step

    def check_then_let_the_scheduler_in(*args, **kwargs):
        transition = real_check(*args, **kwargs)
        thread = threading.Thread(
            target=lambda: swept.update(auto_cancel=sweep_step(sweeper, TRANSITIONS[Step.AUTO_CANCEL], DUE))
        )
        thread.start()
        thread.join(timeout=1.0)  # PostgreSQL: done at once; SQLite: still waiting for our lock
        swept["thread"] = thread
        return transition

    monkeypatch.setattr(steps, "check_step", check_then_let_the_scheduler_in)
    outcome = None
    try:
        orders.accept_order(world.store, world.pm, number, DUE - timedelta(seconds=1))
        outcome = "person"
    except ConcurrentChange as lost:
        outcome = "scheduler"
        assert "The system cancelled it at 24 Nov 2026 10:00 WIB" in lost.message
        assert "nothing was applied" in lost.message
    swept["thread"].join(timeout=60)
    sweeper.dispose()
    expected = "scheduler" if world.store.backend == "postgresql" else "person"
    assert outcome == expected
    assert swept["auto_cancel"] == (1 if expected == "scheduler" else 0)
    with world.store.reading() as session:
        leaving_pending = session.scalar(
            select(func.count(OrderEvent.id)).where(OrderEvent.from_status == OrderStatus.PENDING_CONFIRMATION)
        )
    assert leaving_pending == 1
    assert status_of(world, number) == (OrderStatus.CANCELLED if expected == "scheduler" else OrderStatus.PROCESSING)


def test_one_order_that_cannot_be_moved_is_reported_and_the_rest_are_processed(world):
    good = [place(world, quantity=1).order_number for _ in range(3)]
    bad = place(world, quantity=1, sku="OIL-2").order_number
    with world.store.transaction() as session:  # corrupt the bad order's reservation behind the rules' back
        session.execute(update(StockLevel).where(StockLevel.reserved == 1).values(reserved=0))
    actions = []
    summary = run_sweep(world.store, DUE + timedelta(hours=1), on_action=actions.append)
    assert summary["by_rule"]["auto_cancel"] == 3
    assert summary["failed_orders"] == [bad]
    assert [a["order"] for a in actions if "error" in a] == [bad]
    assert all(status_of(world, n) == OrderStatus.CANCELLED for n in good)
    assert status_of(world, bad) == OrderStatus.PENDING_CONFIRMATION


def test_every_automatic_action_is_reported_for_the_log(world):
    numbers = [place(world, quantity=1).order_number for _ in range(2)]
    actions = []
    run_sweep(world.store, DUE, on_action=actions.append)
    assert sorted(a["order"] for a in actions) == sorted(numbers)
    assert {a["rule"] for a in actions} == {"auto_cancel"}


def test_after_an_outage_each_automatic_step_takes_effect_at_its_deadline(world):
    """An order due on Tuesday and swept on Friday counts on Tuesday: closing and completion times,
    the payout's and the refund's dates and the event are the deadline's; the event keeps Friday too."""
    unconfirmed, complained, delivered = (place(world).order_number for _ in range(3))
    for number in (complained, delivered):
        orders.accept_order(world.store, world.pm, number, MONDAY_10)
        ship(world, number, MONDAY_10)
    buyers.file_complaint(world.store, buyer_code="BUY-1", order_number=complained, description="Wet", now=MONDAY_10)
    buyers.mark_delivered(world.store, order_number=delivered, now=MONDAY_10)
    back_up = MONDAY_10 + timedelta(days=4)
    run_sweep(world.store, back_up)
    due_by_two_days = MONDAY_10 + timedelta(days=2)
    with world.store.reading() as session:
        by_number = {o.order_number: o for o in session.scalars(select(Order))}
        assert by_number[unconfirmed].closed_at == DUE
        assert by_number[complained].closed_at == due_by_two_days
        assert by_number[delivered].completed_at == due_by_two_days
        assert session.scalar(select(Refund.created_at)) == due_by_two_days
        assert session.scalar(select(Payout.created_at)) == due_by_two_days
        assert session.scalar(select(Complaint.answered_at)) == due_by_two_days
        system_events = session.execute(
            select(OrderEvent.order_id, OrderEvent.at, OrderEvent.recorded_at).where(
                OrderEvent.actor_kind == ActorKind.SYSTEM
            )
        ).all()
    assert sorted(at for _, at, _ in system_events) == [DUE, due_by_two_days, due_by_two_days]
    assert {recorded for _, _, recorded in system_events} == {back_up}
