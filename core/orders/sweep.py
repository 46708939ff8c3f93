"""The scheduler's sweep: every automatic step that fell due, then the payouts to disburse.

The automatic steps are the table's (core.orders.lifecycle.AUTOMATIC_STEPS): auto-cancel an order
not confirmed within 1 business day (its stock released), auto-refund a complaint not answered
within 2 calendar days, auto-complete an order delivered 2 calendar days ago (its payout created).
Each takes effect at its deadline, even when the sweep gets to it later after an outage; the event
keeps when the sweep recorded it. Then pending payouts are marked paid with a transfer reference.

Each rule works in batches, one short transaction per batch, set-based (core.orders.effects), because
a sweep after an outage may have 100,000 orders to move. The UPDATE is guarded by the expected status,
so an order that a person moved first is left alone and two schedulers never apply a step twice; on
PostgreSQL due rows are also claimed with FOR UPDATE SKIP LOCKED so two schedulers share the work
instead of queueing. Due orders are taken in id order, so a batch rewrites neighbouring rows rather
than rows spread over the whole table (at a million orders that halves the pages a sweep writes).
If a batch fails, its orders are retried one by one: the failing one is reported, the rest go through.
A late, doubled or concurrent sweep is therefore harmless, and a sweep after an outage catches up on
everything that fell due meanwhile (deadlines are stored, so "due" is simply `deadline <= now`).
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import nullcontext
from datetime import datetime

from sqlalchemy import String, cast, literal, select, update
from sqlalchemy.orm import Session

from core.clock import require_aware
from core.domain import PayoutStatus
from core.integration import outbox
from core.orders.effects import among, apply_effects_many, automatic_source, effective_deadline, record_steps
from core.orders.lifecycle import AUTOMATIC_STEPS, Transition
from core.store.database import Store
from core.store.models import orders_t, payouts_t

#: Orders per transaction, by database. SQLite: each commit of a batch checkpointed the WAL it wrote
#: into the database file; at 5,000 a sweep of 100,000 orders spent 3.5 s of its 8.6 s committing, at
#: 20,000 1.7 s of 4.6 s; a rule of more than one batch now checkpoints once, after its last
#: (Store.checkpoint_at_end). Such a batch holds SQLite's write lock for about a second at a million orders,
#: so a person's click during a catch-up waits at most that long (a regular sweep's batch is small).
#: PostgreSQL: 20,000 made the same sweep slower (7.1-8.6 s -> 10-11 s), so it keeps 5,000.
BATCH_SIZES = {"sqlite": 20_000, "postgresql": 5_000}
SYSTEM_ID = "scheduler"

OnAction = Callable[[dict], None]


def rule_name(transition: Transition) -> str:
    """'auto_cancel' for Step.AUTO_CANCEL: how logs and summaries name a rule."""
    return transition.step.value.lower()


def _due_ids(store: Store, transition: Transition, now: datetime) -> list[int]:
    """Every order due for `transition`, in id order: batches then touch neighbouring rows (and pages)."""
    source = automatic_source(transition)
    deadline = effective_deadline(transition)
    with store.reading() as session:
        return list(
            session.scalars(
                select(orders_t.c.id).where(orders_t.c.status == source.value, deadline <= now).order_by(orders_t.c.id)
            )
        )


def _claim(session: Session, transition: Transition, candidates: list[int]) -> list[int]:
    """PostgreSQL: lock the candidates still due, skipping rows another scheduler holds, so two
    schedulers share the work. SQLite: the write lock is already ours (BEGIN IMMEDIATE)."""
    if session.get_bind().dialect.name != "postgresql":
        return candidates
    source = automatic_source(transition)
    return list(
        session.scalars(
            select(orders_t.c.id)
            .where(among(orders_t.c.id, candidates, "postgresql"), orders_t.c.status == source.value)
            .with_for_update(skip_locked=True)
        )
    )


def _move(session: Session, transition: Transition, ids: list[int], now: datetime) -> list[tuple[int, str]]:
    moved = record_steps(session, transition, ids, now, SYSTEM_ID)
    if moved:
        apply_effects_many(session, [order_id for order_id, _ in moved], transition, now)
    return moved


def sweep_step(store: Store, transition: Transition, now: datetime, on_action: OnAction = lambda _a: None) -> int:
    """Apply one automatic step to every order due for it at `now`; return how many moved."""
    applied = 0
    candidates = _due_ids(store, transition, now)
    size = BATCH_SIZES[store.backend]
    with store.checkpoint_at_end() if len(candidates) > size else nullcontext():
        for start in range(0, len(candidates), size):
            with store.transaction() as session:
                ids = _claim(session, transition, candidates[start : start + size])
                if not ids:
                    continue
                try:
                    with session.begin_nested():
                        moved = _move(session, transition, ids, now)
                except Exception:
                    moved = _move_one_by_one(session, transition, ids, now, on_action)
            for _order_id, number in moved:
                on_action({"rule": rule_name(transition), "order": number, "to": transition.target.value})
            applied += len(moved)
    return applied


def _move_one_by_one(
    session: Session, transition: Transition, ids: list[int], now: datetime, on_action: OnAction
) -> list[tuple[int, str]]:
    moved = []
    for order_id in ids:
        try:
            with session.begin_nested():
                moved.extend(_move(session, transition, [order_id], now))
        except Exception as exc:  # report this order; the others still go through
            number = session.scalar(select(orders_t.c.order_number).where(orders_t.c.id == order_id))
            on_action({"rule": rule_name(transition), "order": number, "error": f"{type(exc).__name__}: {exc}"[:300]})
    return moved


def disburse_payouts(store: Store, now: datetime, on_action: OnAction = lambda _a: None) -> int:
    """Mark pending payouts paid. The bank's transfer itself is outside this project; the
    reference is derived from the payout, so a repeated run cannot create a second one."""
    paid = 0
    size = BATCH_SIZES[store.backend]
    while True:
        with store.transaction() as session:
            claim = (
                select(payouts_t.c.id)
                .where(payouts_t.c.status == PayoutStatus.PENDING.value, payouts_t.c.created_at <= now)
                .limit(size)
            )
            if session.get_bind().dialect.name == "postgresql":
                claim = claim.with_for_update(skip_locked=True)
            ids = list(session.scalars(claim))
            if not ids:
                return paid
            done = session.execute(
                update(payouts_t)
                .where(
                    among(payouts_t.c.id, ids, session.get_bind().dialect.name),
                    payouts_t.c.status == PayoutStatus.PENDING.value,
                )
                .values(
                    status=PayoutStatus.PAID.value,
                    paid_at=now,
                    transfer_reference=literal("KPT-") + cast(payouts_t.c.id, String),
                )
                .returning(payouts_t.c.id, payouts_t.c.order_id, payouts_t.c.transfer_reference, payouts_t.c.amount)
            ).all()
            if done:
                paid_ids = [row[0] for row in done]
                outbox.record_payouts_paid(
                    session, among(payouts_t.c.id, paid_ids, session.get_bind().dialect.name), now
                )
        for _payout_id, order_id, reference, amount in done:
            on_action(
                {"rule": "disburse_payouts", "order_id": order_id, "transfer_reference": reference, "amount": amount}
            )
        paid += len(done)
        if len(ids) < size:
            return paid


def _step_rule(transition: Transition) -> Callable[[Store, datetime, OnAction], int]:
    return lambda store, now, on_action: sweep_step(store, transition, now, on_action)


#: (name, rule) pairs, in the order a sweep runs them; a rule takes (store, now, on_action) and
#: returns how many actions it applied.
SWEEP_RULES: list[tuple[str, Callable[[Store, datetime, OnAction], int]]] = [
    *((rule_name(t), _step_rule(t)) for t in AUTOMATIC_STEPS),
    ("disburse_payouts", disburse_payouts),
]


def run_sweep(store: Store, now: datetime, on_action: OnAction = lambda _a: None) -> dict:
    now = require_aware(now)
    counts: dict[str, int] = {}
    failed_orders: list[str] = []
    failed_rules: dict[str, str] = {}

    def report(action: dict) -> None:
        if "error" in action:
            failed_orders.append(str(action.get("order")))
        on_action(action)

    for name, rule in SWEEP_RULES:
        try:
            counts[name] = rule(store, now, report)
        except Exception as exc:  # one rule failing must not stop the others
            failed_rules[name] = f"{type(exc).__name__}: {exc}"[:300]
    return {
        "actions": sum(counts.values()),
        "by_rule": counts,
        "failed_orders": failed_orders,
        "failed_rules": failed_rules,
    }
