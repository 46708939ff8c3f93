"""One scheduler sweep: every rule that falls due with time, applied at `now`.

The rules are registered here in the order they run; each is idempotent set-based SQL guarded
by the order's expected status, so a late, doubled or concurrent sweep is harmless.
"""
from __future__ import annotations

from datetime import datetime
from typing import Callable

from core.clock import require_aware
from core.store import Store

#: (name, rule) pairs; a rule takes (store, now, on_action) and returns how many actions it applied.
SWEEP_RULES: list[tuple[str, Callable]] = []


def run_sweep(store: Store, now: datetime, on_action: Callable[[dict], None] = lambda _a: None) -> dict:
    now = require_aware(now)
    counts: dict[str, int] = {}
    failures: dict[str, str] = {}
    for name, rule in SWEEP_RULES:
        try:
            counts[name] = rule(store, now, on_action)
        except Exception as exc:  # one rule failing must not stop the others
            failures[name] = f"{type(exc).__name__}: {exc}"[:300]
    return {"actions": sum(counts.values()), "by_rule": counts, "failed_rules": failures}
