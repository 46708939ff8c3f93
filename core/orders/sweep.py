"""One scheduler sweep: every rule that falls due with time, applied at `now`.

The rules run in this order; each is idempotent set-based SQL guarded by the order's expected
status, so a late, doubled or concurrent sweep is harmless, and a sweep after an outage catches up
on everything that fell due meanwhile (deadlines are stored, so "due" is simply `deadline <= now`).
"""
from __future__ import annotations

from datetime import datetime
from typing import Callable

from core.clock import require_aware
from core.orders.deadlines import auto_cancel, auto_complete, auto_refund, disburse_payouts
from core.store.database import Store

#: (name, rule) pairs; a rule takes (store, now, on_action) and returns how many actions it applied.
SWEEP_RULES: list[tuple[str, Callable]] = [
    ("auto_cancel", auto_cancel),
    ("auto_refund", auto_refund),
    ("auto_complete", auto_complete),
    ("disburse_payouts", disburse_payouts),
]


def run_sweep(store: Store, now: datetime, on_action: Callable[[dict], None] = lambda _a: None) -> dict:
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
    return {"actions": sum(counts.values()), "by_rule": counts, "failed_orders": failed_orders,
            "failed_rules": failed_rules}
