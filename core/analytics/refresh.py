"""The pages' "Refresh now": runs the one analytics writer as a process of its own.

The UI process never opens a DuckDB file for writing: a refresh runs `python -m jobs.analytics
sync`, which takes the same writer lock as the scheduler (so it waits for a sync in progress
rather than racing it) and switches readers to the new snapshot when it is done.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass

from core.acting import Actor, require_role
from core.config import PROJECT_ROOT
from core.domain import Role
from core.errors import DomainError


@dataclass(frozen=True)
class RefreshOutcome:
    generation: int
    changed_orders: int
    seconds: float


def refresh_now(actor: Actor, *, timeout_s: float = 180.0) -> RefreshOutcome:
    require_role(actor, Role.PRODUCT_MANAGER, doing="refresh the analytics")
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(PROJECT_ROOT), env.get("PYTHONPATH")]))
    try:
        done = subprocess.run([sys.executable, "-m", "jobs.analytics", "sync", "--wait", str(int(timeout_s))],
                              cwd=PROJECT_ROOT, env=env, capture_output=True, text=True, timeout=timeout_s + 30)
    except subprocess.TimeoutExpired:
        raise DomainError("Refreshing the figures took too long; they will refresh with the next sweep.") from None
    if done.returncode != 0:
        reason = (done.stderr.strip().splitlines() or ["the sync failed"])[-1].removeprefix("kopra: ")
        raise DomainError(f"The figures could not be refreshed: {reason}")
    summary = json.loads(done.stdout.strip().splitlines()[-1])
    return RefreshOutcome(int(summary["generation"]), int(summary["changed_orders"]),
                          round(summary["total_ms"] / 1000, 2))
