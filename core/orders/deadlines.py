"""The scheduler's rules: what happens when a deadline passes with nobody acting.

- auto-cancel: an order not confirmed within 1 business day is cancelled, its stock released;
- auto-refund: a complaint not answered within 2 calendar days is refunded to the buyer;
- auto-complete: a delivered order not confirmed within 2 calendar days completes, creating the payout;
- disburse: pending payouts are marked paid with a transfer reference.

Each rule works in batches, one short transaction per batch, set-based (one UPDATE ... RETURNING,
one INSERT ... SELECT of events, one stock update per product), because a sweep after an outage
may have 100,000 orders to move. The UPDATE is guarded by the expected status, so an order that a
person moved first is left alone, and two schedulers never apply a step twice; on PostgreSQL due
rows are also claimed with FOR UPDATE SKIP LOCKED so two schedulers share the work instead of
queueing. Due orders are taken in id order, so a batch rewrites neighbouring rows rather than rows
spread over the whole table (at a million orders that halves the pages a sweep writes). If a batch
fails, its orders are retried one by one: the failing one is reported, the rest go through.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Callable

from sqlalchemy import Integer, String, and_, any_, bindparam, cast, func, insert, literal, select, update
from sqlalchemy.dialects.postgresql import ARRAY

from core.domain import ActorKind, ComplaintResolution, FailureKind, PayoutStatus
from core.orders.lifecycle import TRANSITIONS, Step
from core.store.models import Company, Complaint, Order, OrderEvent, OrderItem, Payout, Refund, StockLevel, UtcDateTime
from core.store.database import Store

BATCH_SIZE = 5000
SYSTEM_ID = "scheduler"

orders_t, events_t, items_t = Order.__table__, OrderEvent.__table__, OrderItem.__table__
stock_t, payouts_t, refunds_t = StockLevel.__table__, Payout.__table__, Refund.__table__
complaints_t, companies_t = Complaint.__table__, Company.__table__

OnAction = Callable[[dict], None]


@dataclass(frozen=True)
class DeadlineRule:
    name: str
    step: Step
    deadline: object  # the orders column that falls due
    reason: str
    changes: Callable[[datetime], dict]  # extra columns set on the order
    after: Callable  # (session, order_ids, now) -> None: stock and money for the moved orders


def _among(column, ids: list[int], dialect: str):
    """`column IN ids`; on PostgreSQL as `= ANY(array)`: one parameter instead of thousands, which
    PostgreSQL plans several times faster for batch-sized lists."""
    if dialect == "postgresql":
        return column == any_(literal(ids, ARRAY(Integer)))
    return column.in_(ids)


def _due_ids(store: Store, rule: DeadlineRule, now: datetime) -> list[int]:
    """Every order due under `rule`, in id order: batches then touch neighbouring rows (and pages)."""
    source = next(iter(TRANSITIONS[rule.step].sources))
    with store.reading() as session:
        return list(session.scalars(select(orders_t.c.id).where(orders_t.c.status == source, rule.deadline <= now)
                                    .order_by(orders_t.c.id)))


def _claim(session, rule: DeadlineRule, candidates: list[int]) -> list[int]:
    """PostgreSQL: lock the candidates still due, skipping rows another scheduler holds, so two
    schedulers share the work. SQLite: the write lock is already ours (BEGIN IMMEDIATE)."""
    if session.bind.dialect.name != "postgresql":
        return candidates
    source = next(iter(TRANSITIONS[rule.step].sources))
    return list(session.scalars(select(orders_t.c.id)
                                .where(_among(orders_t.c.id, candidates, "postgresql"), orders_t.c.status == source)
                                .with_for_update(skip_locked=True)))


def _move(session, rule: DeadlineRule, ids: list[int], now: datetime) -> list[tuple[int, str]]:
    transition = TRANSITIONS[rule.step]
    source = next(iter(transition.sources))
    dialect = session.bind.dialect.name
    moved = session.execute(
        update(orders_t).where(_among(orders_t.c.id, ids, dialect), orders_t.c.status == source)
        .values(status=transition.target, updated_at=now, **rule.changes(now))
        .returning(orders_t.c.id, orders_t.c.order_number)).all()
    moved_ids = [row[0] for row in moved]
    if moved_ids:
        session.execute(insert(events_t).from_select(
            ["order_id", "from_status", "to_status", "actor_kind", "actor_id", "reason", "at"],
            select(orders_t.c.id, literal(source.value), literal(transition.target.value),
                   literal(ActorKind.SYSTEM.value), literal(SYSTEM_ID), literal(rule.reason),
                   literal(now, UtcDateTime())).where(_among(orders_t.c.id, moved_ids, dialect))))
        rule.after(session, moved_ids, now)
    return [(row[0], row[1]) for row in moved]


def _sweep_rule(store: Store, rule: DeadlineRule, now: datetime, on_action: OnAction) -> int:
    applied = 0
    candidates = _due_ids(store, rule, now)
    for start in range(0, len(candidates), BATCH_SIZE):
        with store.transaction() as session:
            ids = _claim(session, rule, candidates[start:start + BATCH_SIZE])
            if not ids:
                continue
            try:
                with session.begin_nested():
                    moved = _move(session, rule, ids, now)
            except Exception:
                moved = _move_one_by_one(session, rule, ids, now, on_action)
        for _order_id, number in moved:
            on_action({"rule": rule.name, "order": number, "to": TRANSITIONS[rule.step].target.value})
        applied += len(moved)
    return applied


def _move_one_by_one(session, rule, ids, now, on_action: OnAction) -> list[tuple[int, str]]:
    moved = []
    for order_id in ids:
        try:
            with session.begin_nested():
                moved.extend(_move(session, rule, [order_id], now))
        except Exception as exc:  # report this order; the others still go through
            number = session.scalar(select(orders_t.c.order_number).where(orders_t.c.id == order_id))
            on_action({"rule": rule.name, "order": number, "error": f"{type(exc).__name__}: {exc}"[:300]})
    return moved


# --- what follows each automatic step --------------------------------------------------------

def _release_reservations(session, order_ids: list[int], now: datetime) -> None:
    totals = session.execute(
        select(orders_t.c.warehouse_id, items_t.c.product_id, func.sum(items_t.c.quantity))
        .join(items_t, items_t.c.order_id == orders_t.c.id)
        .where(_among(orders_t.c.id, order_ids, session.bind.dialect.name))
        .group_by(orders_t.c.warehouse_id, items_t.c.product_id)).all()
    if totals:
        session.execute(
            update(stock_t).where(and_(stock_t.c.warehouse_id == bindparam("w"), stock_t.c.product_id == bindparam("p")))
            .values(reserved=stock_t.c.reserved - bindparam("q"), updated_at=bindparam("now", type_=UtcDateTime())),
            [{"w": w, "p": p, "q": q, "now": now} for w, p, q in totals])


def _refund(session, order_ids: list[int], now: datetime) -> None:
    dialect = session.bind.dialect.name
    session.execute(update(complaints_t).where(_among(complaints_t.c.order_id, order_ids, dialect),
                                               complaints_t.c.resolution.is_(None))
                    .values(resolution=ComplaintResolution.AUTO_REFUND.value, answered_at=now,
                            answer_note="not answered within 2 calendar days"))
    session.execute(insert(refunds_t).from_select(
        ["order_id", "company_id", "amount", "reason", "created_at"],
        select(orders_t.c.id, orders_t.c.company_id, orders_t.c.total_amount,
               literal("complaint not answered within 2 calendar days"), literal(now, UtcDateTime()))
        .where(_among(orders_t.c.id, order_ids, dialect))))


def _payout(session, order_ids: list[int], now: datetime) -> None:
    session.execute(insert(payouts_t).from_select(
        ["order_id", "company_id", "amount", "bank_name", "account_number", "account_holder", "status", "trigger",
         "created_at"],
        select(orders_t.c.id, orders_t.c.company_id, orders_t.c.total_amount, companies_t.c.payout_bank_name,
               companies_t.c.payout_account_number, companies_t.c.payout_account_holder,
               literal(PayoutStatus.PENDING.value), literal("AUTO_AFTER_DELIVERY"), literal(now, UtcDateTime()))
        .join(companies_t, companies_t.c.id == orders_t.c.company_id)
        .where(_among(orders_t.c.id, order_ids, session.bind.dialect.name))))


AUTO_CANCEL = DeadlineRule(
    "auto_cancel", Step.AUTO_CANCEL, orders_t.c.confirm_deadline, "no answer within 1 business day",
    lambda now: {"closed_at": now, "failure_kind": FailureKind.CANCELLED_BY_SYSTEM.value,
                 "failure_reason": "not confirmed within 1 business day"},
    _release_reservations)
AUTO_REFUND = DeadlineRule(
    "auto_refund", Step.AUTO_REFUND, orders_t.c.complaint_deadline, "complaint not answered within 2 calendar days",
    lambda now: {"closed_at": now}, _refund)
AUTO_COMPLETE = DeadlineRule(
    "auto_complete", Step.AUTO_COMPLETE, orders_t.c.complete_deadline,
    "buyer did not confirm within 2 calendar days of delivery", lambda now: {"completed_at": now}, _payout)

DEADLINE_RULES = (AUTO_CANCEL, AUTO_REFUND, AUTO_COMPLETE)


def auto_cancel(store: Store, now: datetime, on_action: OnAction = lambda _a: None) -> int:
    return _sweep_rule(store, AUTO_CANCEL, now, on_action)


def auto_refund(store: Store, now: datetime, on_action: OnAction = lambda _a: None) -> int:
    return _sweep_rule(store, AUTO_REFUND, now, on_action)


def auto_complete(store: Store, now: datetime, on_action: OnAction = lambda _a: None) -> int:
    return _sweep_rule(store, AUTO_COMPLETE, now, on_action)


def disburse_payouts(store: Store, now: datetime, on_action: OnAction = lambda _a: None) -> int:
    """Mark pending payouts paid. The bank's transfer itself is outside this project; the
    reference is derived from the payout, so a repeated run cannot create a second one."""
    paid = 0
    while True:
        with store.transaction() as session:
            claim = (select(payouts_t.c.id).where(payouts_t.c.status == PayoutStatus.PENDING.value,
                                                  payouts_t.c.created_at <= now).limit(BATCH_SIZE))
            if session.bind.dialect.name == "postgresql":
                claim = claim.with_for_update(skip_locked=True)
            ids = list(session.scalars(claim))
            if not ids:
                return paid
            done = session.execute(
                update(payouts_t).where(_among(payouts_t.c.id, ids, session.bind.dialect.name),
                                        payouts_t.c.status == PayoutStatus.PENDING.value)
                .values(status=PayoutStatus.PAID.value, paid_at=now,
                        transfer_reference=literal("KPT-") + cast(payouts_t.c.id, String))
                .returning(payouts_t.c.order_id, payouts_t.c.transfer_reference, payouts_t.c.amount)).all()
        for order_id, reference, amount in done:
            on_action({"rule": "disburse_payouts", "order_id": order_id, "transfer_reference": reference,
                       "amount": amount})
        paid += len(done)
        if len(ids) < BATCH_SIZE:
            return paid
