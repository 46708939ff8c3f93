"""The transition table as plain Python: every allowed step, every refused one, every guard."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

import pytest

from core.domain import ActorKind
from core.domain import OrderStatus as S
from core.errors import TransitionRefused
from core.orders.lifecycle import (
    OPEN_STATUSES,
    SELLER_DEADLINES,
    TRANSITIONS,
    WAITING,
    OrderClock,
    Step,
    available_steps,
    check_step,
    refused_steps,
)
from core.warehouses.business_time import OperatingCalendar

NOW = datetime(2026, 11, 25, 3, 0, tzinfo=UTC)
PAST, FUTURE = NOW - timedelta(hours=1), NOW + timedelta(hours=1)

#: The product's lifecycle, written out by hand from PRODUCT.md: (step, from) -> to.
EXPECTED = {
    (Step.PLACE, None): S.PENDING_CONFIRMATION,
    (Step.ACCEPT, S.PENDING_CONFIRMATION): S.PROCESSING,
    (Step.REJECT, S.PENDING_CONFIRMATION): S.REJECTED,
    (Step.AUTO_CANCEL, S.PENDING_CONFIRMATION): S.CANCELLED,
    (Step.BUYER_CANCEL, S.PENDING_CONFIRMATION): S.CANCELLED,
    (Step.MARK_PACKED, S.PROCESSING): S.READY_TO_SHIP,
    (Step.BUYER_CANCEL, S.PROCESSING): S.CANCELLED,
    (Step.SHIP, S.READY_TO_SHIP): S.SHIPPED,
    (Step.BUYER_CANCEL, S.READY_TO_SHIP): S.CANCELLED,
    (Step.BUYER_CANCEL, S.SHIPPED): S.CANCELLED,
    (Step.MARK_DELIVERED, S.SHIPPED): S.DELIVERED,
    (Step.CONFIRM_RECEIPT, S.SHIPPED): S.COMPLETED,
    (Step.CONFIRM_RECEIPT, S.DELIVERED): S.COMPLETED,
    (Step.AUTO_COMPLETE, S.DELIVERED): S.COMPLETED,
    (Step.COMPLAIN, S.SHIPPED): S.COMPLAINED,
    (Step.COMPLAIN, S.DELIVERED): S.COMPLAINED,
    (Step.ANSWER_WITH_REFUND, S.COMPLAINED): S.REFUNDED,
    (Step.ANSWER_WITH_RETURN, S.COMPLAINED): S.RETURN_REQUESTED,
    (Step.AUTO_REFUND, S.COMPLAINED): S.REFUNDED,
    (Step.RECEIVE_RETURN, S.RETURN_REQUESTED): S.REFUNDED,
}


def clock(status: S, **deadlines) -> OrderClock:
    # Deadlines that make every guard pass unless a test says otherwise.
    passing = dict(
        confirm_deadline=FUTURE,
        pack_deadline=PAST,
        delivery_deadline=PAST,
        complaint_deadline=PAST if status == S.COMPLAINED else FUTURE,
        complete_deadline=FUTURE,
    )
    if status == S.PENDING_CONFIRMATION:
        passing["confirm_deadline"] = FUTURE
    passing.update(deadlines)
    return OrderClock("KP-00000001", status, **passing)


def guard_friendly(step: Step, status: S) -> OrderClock:
    overrides = {
        Step.AUTO_CANCEL: dict(confirm_deadline=PAST),
        Step.AUTO_COMPLETE: dict(complete_deadline=PAST),
        Step.AUTO_REFUND: dict(complaint_deadline=PAST),
        Step.ANSWER_WITH_REFUND: dict(complaint_deadline=FUTURE),
        Step.ANSWER_WITH_RETURN: dict(complaint_deadline=FUTURE),
    }.get(step, {})
    return clock(status, **overrides)


def test_the_table_is_exactly_the_products_lifecycle():
    table = {(t.step, source): t.target for t in TRANSITIONS.values() for source in t.sources}
    assert table == EXPECTED


@pytest.mark.parametrize("step, status", sorted(EXPECTED, key=str), ids=lambda v: str(v))
def test_every_allowed_step_moves_the_order_where_the_product_says(step, status):
    assert check_step(step, guard_friendly(step, status), NOW).target == EXPECTED[(step, status)]


REFUSED = [(step, status) for step in Step for status in S if (step, status) not in EXPECTED]


@pytest.mark.parametrize("step, status", REFUSED, ids=lambda v: str(v))
def test_every_other_step_is_refused_with_a_message_naming_it(step, status):
    with pytest.raises(TransitionRefused) as refused:
        check_step(step, guard_friendly(step, status), NOW)
    message = refused.value.message
    assert message.startswith(f"Cannot {TRANSITIONS[step].doing_to('KP-00000001')}: it is ")


def test_a_refusal_names_the_order_where_the_sentence_needs_it():
    assert all("{number}" in transition.doing for transition in TRANSITIONS.values())
    with pytest.raises(TransitionRefused) as refused:
        check_step(Step.COMPLAIN, guard_friendly(Step.COMPLAIN, S.PENDING_CONFIRMATION), NOW)
    assert refused.value.message.startswith("Cannot file a complaint on order KP-00000001: it is ")


def test_a_seller_cannot_accept_once_the_confirmation_time_is_over():
    with pytest.raises(TransitionRefused, match="time to confirm it has ended"):
        check_step(Step.ACCEPT, clock(S.PENDING_CONFIRMATION, confirm_deadline=NOW), NOW)
    assert check_step(Step.ACCEPT, clock(S.PENDING_CONFIRMATION, confirm_deadline=NOW + timedelta(seconds=1)), NOW)


def test_a_buyer_may_cancel_an_accepted_order_only_after_the_packing_deadline():
    with pytest.raises(TransitionRefused, match="packing deadline has not passed"):
        check_step(Step.BUYER_CANCEL, clock(S.PROCESSING, pack_deadline=FUTURE), NOW)
    with pytest.raises(TransitionRefused):
        check_step(Step.BUYER_CANCEL, clock(S.PROCESSING, pack_deadline=NOW), NOW)  # at the deadline: still in time
    assert check_step(Step.BUYER_CANCEL, clock(S.PROCESSING, pack_deadline=PAST), NOW)


@pytest.mark.parametrize("status", [S.READY_TO_SHIP, S.SHIPPED])
def test_a_buyer_may_cancel_a_packed_or_shipped_order_only_after_the_delivery_deadline(status):
    with pytest.raises(TransitionRefused, match="delivery deadline has not passed"):
        check_step(Step.BUYER_CANCEL, clock(status, delivery_deadline=FUTURE), NOW)
    assert check_step(Step.BUYER_CANCEL, clock(status, delivery_deadline=PAST), NOW)


def test_a_buyer_may_always_cancel_before_acceptance():
    assert check_step(Step.BUYER_CANCEL, clock(S.PENDING_CONFIRMATION), NOW)


def test_no_complaint_once_the_order_completed_automatically():
    with pytest.raises(TransitionRefused, match="completed automatically"):
        check_step(Step.COMPLAIN, clock(S.DELIVERED, complete_deadline=PAST), NOW)


def test_a_complaint_cannot_be_answered_after_two_days():
    with pytest.raises(TransitionRefused, match="2 days to answer have passed"):
        check_step(Step.ANSWER_WITH_REFUND, clock(S.COMPLAINED, complaint_deadline=PAST), NOW)


@pytest.mark.parametrize(
    "step, field",
    [
        (Step.AUTO_CANCEL, "confirm_deadline"),
        (Step.AUTO_REFUND, "complaint_deadline"),
        (Step.AUTO_COMPLETE, "complete_deadline"),
    ],
)
def test_the_system_acts_only_once_the_deadline_is_reached(step, field):
    source = next(iter(TRANSITIONS[step].sources))
    with pytest.raises(TransitionRefused, match="deadline has not passed"):
        check_step(step, clock(source, **{field: FUTURE}), NOW)
    assert check_step(step, clock(source, **{field: NOW}), NOW)


def test_available_steps_are_what_the_table_allows_each_actor_now():
    pending = clock(S.PENDING_CONFIRMATION)
    assert available_steps(pending, ActorKind.USER, NOW) == [Step.ACCEPT, Step.REJECT]
    assert available_steps(pending, ActorKind.BUYER, NOW) == [Step.BUYER_CANCEL]
    assert available_steps(clock(S.PENDING_CONFIRMATION, confirm_deadline=NOW), ActorKind.USER, NOW) == []
    assert available_steps(clock(S.PROCESSING, pack_deadline=FUTURE), ActorKind.BUYER, NOW) == []
    assert available_steps(clock(S.PROCESSING, pack_deadline=PAST), ActorKind.BUYER, NOW) == [Step.BUYER_CANCEL]
    assert available_steps(clock(S.SHIPPED), ActorKind.COURIER, NOW) == [Step.MARK_DELIVERED]
    assert available_steps(clock(S.COMPLETED), ActorKind.BUYER, NOW) == []


@pytest.mark.parametrize("step, status", sorted((k for k in EXPECTED if k[1] is not None), key=str), ids=str)
def test_every_allowed_step_is_available_to_its_actor(step, status):
    assert step in available_steps(guard_friendly(step, status), TRANSITIONS[step].actor, NOW)


def test_refused_steps_say_why_not():
    late = clock(S.PENDING_CONFIRMATION, confirm_deadline=PAST)
    assert refused_steps(late, ActorKind.USER, NOW) == {
        Step.ACCEPT: "the time to confirm it has ended, so the system cancels it",
        Step.REJECT: "the time to confirm it has ended, so the system cancels it",
    }


def test_each_open_status_says_whose_turn_it_is_and_the_seller_deadlines_follow():
    assert set(WAITING) == OPEN_STATUSES
    assert SELLER_DEADLINES == {
        S.PENDING_CONFIRMATION: "confirm_deadline",
        S.PROCESSING: "pack_deadline",
        S.READY_TO_SHIP: "delivery_deadline",
        S.COMPLAINED: "complaint_deadline",
    }


def test_every_deadline_a_step_starts_or_waits_for_is_a_field_of_the_order_clock():
    named = (
        {t.starts.column for t in TRANSITIONS.values() if t.starts}
        | {t.takes_effect_at for t in TRANSITIONS.values() if t.takes_effect_at}
        | set(SELLER_DEADLINES.values())
    )
    assert named <= set(OrderClock.__dataclass_fields__)


def test_deadlines_count_business_or_calendar_days():
    calendar = OperatingCalendar("Asia/Jakarta", frozenset({0, 1, 2, 3, 4}), time(8), time(17))
    friday_16 = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)  # 16:00 WIB
    pack = TRANSITIONS[Step.ACCEPT].starts
    assert pack.due(friday_16, warehouse_days=1, calendar=calendar) == datetime(2026, 11, 30, 9, 0, tzinfo=UTC)
    deliver = TRANSITIONS[Step.MARK_PACKED].starts
    assert deliver.due(friday_16, warehouse_days=3, calendar=None) == friday_16 + timedelta(days=3)
    assert TRANSITIONS[Step.PLACE].starts.due(friday_16, warehouse_days=None, calendar=calendar) == datetime(
        2026, 11, 30, 9, 0, tzinfo=UTC
    )
