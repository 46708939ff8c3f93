"""The store's invariants after a cluster run (bench/cluster.py), read with plain SQL (read-only) and
from the processes' own JSON log lines: no oversell, every deadline enforced once, every event
delivered. Each check returns its verdict, its numbers and the evidence of what broke it."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime

from cluster_setup import Process, Seeded
from sqlalchemy import text

from core.orders.lifecycle import AUTOMATIC_STEPS, RESERVING_STATUSES
from core.orders.sweep import rule_name
from core.store.database import Store

EVIDENCE = 8  # rows of evidence kept per check


@dataclass
class Check:
    name: str
    ok: bool
    figures: dict = field(default_factory=dict)
    evidence: list[str] = field(default_factory=list)


def _rows(store: Store, sql: str, **params) -> list:
    with store.reading() as session:
        return list(session.execute(text(sql), params).all())


def _in_list(values) -> str:
    """An SQL list of the lifecycle's own status names (constants, never input)."""
    return ", ".join(f"'{value}'" for value in sorted(str(v) for v in values))


# --- no oversell ---------------------------------------------------------------------------------


def no_oversell(store: Store) -> Check:
    """Every stock row: 0 <= reserved <= on_hand, and reserved is exactly what the open orders that
    hold stock (lifecycle.RESERVING_STATUSES) ordered of that product in that warehouse."""
    rows = _rows(
        store,
        f"""
        WITH open_lines AS (
            SELECT o.warehouse_id, i.product_id, SUM(i.quantity) AS quantity
            FROM orders o JOIN order_items i ON i.order_id = o.id
            WHERE o.status IN ({_in_list(RESERVING_STATUSES)})
            GROUP BY o.warehouse_id, i.product_id)
        SELECT w.code, p.sku, s.on_hand, s.reserved, COALESCE(l.quantity, 0)
        FROM stock_levels s
        JOIN warehouses w ON w.id = s.warehouse_id
        JOIN products p ON p.id = s.product_id
        LEFT JOIN open_lines l ON l.warehouse_id = s.warehouse_id AND l.product_id = s.product_id
        """,
    )
    broken = [r for r in rows if not (0 <= r[3] <= r[2]) or r[3] != r[4]]
    figures = {"stock_rows": len(rows), "reserved_units": sum(r[3] for r in rows), "violations": len(broken)}
    evidence = [f"{w} {sku}: on_hand {h}, reserved {r}, open orders hold {q}" for w, sku, h, r, q in broken]
    return Check("no oversell", not broken, figures, evidence[:EVIDENCE])


# --- every deadline enforced once ------------------------------------------------------------------


def _when(raw: str) -> datetime:
    return datetime.fromisoformat(raw)


def last_sweep_now(schedulers: list[Process]) -> datetime | None:
    """The latest `now` a sweep of either scheduler got through: every deadline up to it is due."""
    sweeps = [_when(line["now"]) for s in schedulers for line in s.lines() if line.get("event") == "sweep"]
    return max(sweeps, default=None)


def _logged_steps(scheduler: Process) -> dict[str, list[str]]:
    """The orders each automatic rule moved, by the scheduler's action lines."""
    moved: dict[str, list[str]] = {}
    for line in scheduler.lines():
        if line.get("event") == "action" and "order" in line and "to" in line:
            moved.setdefault(line["rule"], []).append(line["order"])
    return moved


def _sweep_trouble(scheduler: Process) -> list[str]:
    trouble = []
    for line in scheduler.lines():
        if line.get("event") == "sweep_failed":
            trouble.append(f"{scheduler.name}: sweep failed: {line.get('error')}")
        elif line.get("event") == "sweep" and (line.get("failed_orders") or line.get("failed_rules")):
            trouble.append(f"{scheduler.name}: {line.get('failed_rules')} {line.get('failed_orders')}")
        elif line.get("event") == "action" and "error" in line:
            trouble.append(f"{scheduler.name}: {line.get('rule')} {line.get('order')}: {line['error']}")
    return trouble


def _overdue(store: Store, swept_to: datetime) -> list[str]:
    """Orders still in a status whose automatic step was due by the last sweep's `now`."""
    left = []
    for transition in AUTOMATIC_STEPS:
        (source,) = transition.sources
        column = transition.takes_effect_at
        rows = _rows(
            store,
            f"SELECT order_number, {column} FROM orders WHERE status = :status AND {column} <= :swept ORDER BY id",
            status=str(source),
            swept=swept_to,
        )
        left += [f"{rule_name(transition)}: {number} due {due.isoformat()}" for number, due in rows]
    payouts = _rows(store, "SELECT id FROM payouts WHERE status = 'PENDING' AND created_at <= :swept", swept=swept_to)
    return left + [f"disburse_payouts: payout {pid} still pending" for (pid,) in payouts]


def _system_events(store: Store, since: datetime) -> dict[str, set[str]]:
    """The orders moved by the system since `since`, by the rule whose step each event records."""
    rule_of = {(str(next(iter(t.sources))), str(t.target)): rule_name(t) for t in AUTOMATIC_STEPS}
    rows = _rows(
        store,
        """SELECT e.from_status, e.to_status, o.order_number FROM order_events e JOIN orders o ON o.id = e.order_id
           WHERE e.actor_kind = 'SYSTEM' AND e.recorded_at >= :since""",
        since=since,
    )
    moved: dict[str, set[str]] = {}
    for source, target, number in rows:
        moved.setdefault(rule_of.get((source, target), f"{source}->{target}"), set()).add(number)
    return moved


def deadlines_enforced_once(
    store: Store, schedulers: list[Process], seeded: list[Seeded], since: datetime, interval_s: int, ended: datetime
) -> Check:
    """Nothing overdue is left, no order took an automatic step twice, the events the system
    recorded are exactly the steps the schedulers logged (each order by one scheduler only), every
    seeded deadline was enforced, and payouts were disbursed once."""
    swept_to = last_sweep_now(schedulers)
    evidence: list[str] = []
    overdue = _overdue(store, swept_to) if swept_to else ["no sweep got through"]
    doubles = _rows(
        store,
        """SELECT o.order_number, e.from_status, e.to_status, COUNT(*) FROM order_events e
           JOIN orders o ON o.id = e.order_id WHERE e.actor_kind = 'SYSTEM'
           GROUP BY o.order_number, e.from_status, e.to_status HAVING COUNT(*) > 1""",
    )
    logged = {s.name: _logged_steps(s) for s in schedulers}
    by_scheduler = {name: {rule: len(orders) for rule, orders in moved.items()} for name, moved in logged.items()}
    events = _system_events(store, since)
    rules = sorted({*events, *(rule for moved in logged.values() for rule in moved)})
    mismatched, twice_logged = [], []
    for rule in rules:
        per_scheduler = [Counter(moved.get(rule, [])) for moved in logged.values()]
        together = sum(per_scheduler, Counter())
        twice_logged += [f"{rule}: {n} logged {c} times" for n, c in together.items() if c > 1]
        if set(together) != events.get(rule, set()):
            mismatched.append(f"{rule}: logged {len(together)} orders, events for {len(events.get(rule, set()))}")
    status = dict(_rows(store, "SELECT order_number, status FROM orders"))
    unenforced = [
        f"{s.rule} {s.number} due {s.deadline.isoformat()}: {status.get(s.number)}"
        for s in seeded
        if s.number not in events.get(s.rule, set())
    ]
    references = [
        line.get("transfer_reference")
        for sc in schedulers
        for line in sc.lines()
        if line.get("rule") == "disburse_payouts"
    ]
    paid_twice = [ref for ref, count in Counter(references).items() if count > 1]
    trouble = [line for s in schedulers for line in _sweep_trouble(s)]
    for name, found in (
        ("overdue", overdue),
        ("twice", [f"{n}: {a}->{b} x{c}" for n, a, b, c in doubles]),
        ("logged twice", twice_logged),
        ("log vs events", mismatched),
        ("seeded not enforced", unenforced),
        ("payout paid twice", paid_twice),
        ("sweep trouble", trouble),
    ):
        evidence += [f"{name}: {line}" for line in found[:EVIDENCE]]
    figures = {
        "last_sweep_now": swept_to.isoformat() if swept_to else None,
        "swept_within_interval_of_end": bool(swept_to and (ended - swept_to).total_seconds() <= interval_s + 5),
        "overdue_left": len(overdue),
        "double_steps": len(doubles),
        "auto_events": {rule: len(numbers) for rule, numbers in sorted(events.items())},
        "auto_steps_by_scheduler": by_scheduler,
        "logged_by_both": len(twice_logged),
        "seeded": len(seeded),
        "seeded_enforced": len(seeded) - len(unenforced),
        "payouts_disbursed": len(references),
        "sweep_trouble": len(trouble),
    }
    ok = not (overdue or doubles or twice_logged or mismatched or unenforced or paid_twice or trouble)
    return Check("every deadline enforced once", ok and figures["swept_within_interval_of_end"], figures, evidence)


# --- every event delivered -----------------------------------------------------------------------


def _sends(workers: list[Process]) -> tuple[Counter, Counter, Counter]:
    """From the workers' lines: (delivery, attempt) sends, the workers that sent each delivery, and
    the outcomes by worker."""
    attempts, senders, outcomes = Counter(), {}, Counter()
    for worker in workers:
        for line in worker.lines():
            if line.get("event") == "webhook_delivery":
                attempts[(line["delivery_id"], line["attempt"])] += 1
                senders.setdefault(line["delivery_id"], set()).add(worker.name)
                outcomes[f"{worker.name} {line['outcome']}"] += 1
    return attempts, Counter({d: len(names) for d, names in senders.items()}), outcomes


def events_delivered(store: Store, workers: list[Process], endpoint_id: int, watermark: int, receiver) -> Check:
    """Every outbox event since the simulator subscribed has one delivery to it, DELIVERED (none
    pending or parked); the receiver heard each event id (duplicates, which at-least-once allows, are
    counted); no delivery was sent by two workers in the same attempt (at the same time)."""
    newest = _rows(store, "SELECT COALESCE(MAX(id), 0) FROM outbox_events")[0][0]
    expected = {f"evt_{i}" for (i,) in _rows(store, "SELECT id FROM outbox_events WHERE id > :w", w=watermark)}
    statuses = dict(
        _rows(
            store,
            "SELECT status, COUNT(*) FROM webhook_deliveries WHERE endpoint_id = :e GROUP BY status",
            e=endpoint_id,
        )
    )
    delivered = {
        f"evt_{i}"
        for (i,) in _rows(
            store,
            "SELECT event_id FROM webhook_deliveries WHERE endpoint_id = :e AND status = 'DELIVERED'",
            e=endpoint_id,
        )
    }
    retries = _rows(
        store, "SELECT COALESCE(SUM(attempts - 1), 0) FROM webhook_deliveries WHERE endpoint_id = :e", e=endpoint_id
    )
    attempts, senders, outcomes = _sends(workers)
    concurrent = [f"delivery {d} attempt {a} sent {c} times" for (d, a), c in attempts.items() if c > 1]
    with receiver.lock:
        heard, counts = set(receiver.seen), Counter(receiver.counts)
    missing, not_delivered = sorted(expected - heard), sorted(expected - delivered)
    figures = {
        "outbox_events": len(expected),
        "deliveries": dict(statuses),
        "delivered": len(delivered),
        "retries": retries[0][0],
        "received_ids": len(heard & expected),
        "received_unexpected": len(heard - expected),
        "duplicates_received": counts.get("duplicate", 0),
        "bad_signatures": counts.get("bad signature", 0),
        "sent_by_two_workers": sum(1 for n in senders.values() if n > 1),
        "sent_twice_at_once": len(concurrent),
        "worker_outcomes": dict(sorted(outcomes.items())),
        "newest_event": newest,
    }
    evidence = [f"not received: {e}" for e in missing[:EVIDENCE]] + [
        f"not delivered: {e}" for e in not_delivered[:EVIDENCE]
    ]
    evidence += concurrent[:EVIDENCE]
    ok = (
        not missing
        and not not_delivered
        and not concurrent
        and not statuses.get("PENDING")
        and not statuses.get("PARKED")
        and not figures["bad_signatures"]
        and sum(statuses.values()) == len(expected)
    )
    return Check("every event delivered", ok, figures, evidence)


# --- each UI's pages -----------------------------------------------------------------------------


def ui_pages(results: list[dict]) -> Check:
    evidence = []
    for index, result in enumerate(results, start=1):
        if result.get("failed"):
            evidence.append(f"ui{index}: {result['failed']}")
        for error in result.get("dashboard_errors", []) + result.get("sales_errors", []):
            evidence.append(f"ui{index}: error shown: {error[:200]}")
        if not result["counts_ok"]:
            evidence.append(f"ui{index}: shown {result.get('shown')} but core counts {result.get('core')}")
    figures = {
        f"ui{i}": {"shown": r.get("shown"), "dashboard_ok": r.get("dashboard_ok")} for i, r in enumerate(results, 1)
    }
    return Check("each UI's pages correct", all(r["ok"] for r in results) and bool(results), figures, evidence)
