"""Is this installation fit to serve? The readiness checks a load balancer and the person on call
read (app/server.py: GET /readyz), and the heartbeat the scheduler leaves after each sweep.

Each check says ok or not, and why, in a few words; nothing here ever holds a secret.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import SQLAlchemyError

from core.analytics.snapshots import AnalyticsNotReady, AnalyticsStore
from core.clock import require_aware
from core.config import ConfigError
from core.store.database import Store, current_revision, head_revision
from core.store.models import Heartbeat

SCHEDULER = "scheduler"


def beat(store: Store, name: str, now: datetime, detail: str | None = None) -> None:
    """Record that process `name` has just finished a round of its work."""
    now = require_aware(now)
    insert = pg_insert if store.backend == "postgresql" else sqlite_insert
    statement = insert(Heartbeat).values(name=name, beat_at=now, detail=detail)
    with store.transaction() as session:
        session.execute(
            statement.on_conflict_do_update(index_elements=["name"], set_={"beat_at": now, "detail": detail})
        )


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    detail: str


@dataclass(frozen=True)
class Readiness:
    checks: list[Check] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return all(check.ok for check in self.checks)

    def as_json(self) -> dict:
        return {"ready": self.ok, "checks": {c.name: {"ok": c.ok, "detail": c.detail} for c in self.checks}}


def readiness(store: Store, analytics: AnalyticsStore, now: datetime, *, scheduler_interval_s: int) -> Readiness:
    """Store reachable, schema current, scheduler's heartbeat fresh (three intervals), analytics
    snapshot not older than ten intervals (it is brought up to date after every sweep)."""
    now = require_aware(now)
    checks = [_store_check(store)]
    if not checks[0].ok:
        return Readiness(checks)
    checks.append(_schema_check(store))
    checks.append(_scheduler_check(store, now, timedelta(seconds=3 * scheduler_interval_s)))
    checks.append(_analytics_check(analytics, now, timedelta(seconds=10 * scheduler_interval_s)))
    return Readiness(checks)


def _store_check(store: Store) -> Check:
    try:
        store.check_reachable()
    except ConfigError as exc:
        return Check("store", False, str(exc))
    return Check("store", True, f"{store.backend} reachable")


def _schema_check(store: Store) -> Check:
    current, head = current_revision(store), head_revision(store)
    if current != head:
        return Check("schema", False, f"at {current or 'nothing'}, the code expects {head}")
    return Check("schema", True, f"at {head}")


def _scheduler_check(store: Store, now: datetime, allowed: timedelta) -> Check:
    try:
        with store.reading() as session:
            last = session.scalar(select(Heartbeat.beat_at).where(Heartbeat.name == SCHEDULER))
    except SQLAlchemyError as exc:
        return Check("scheduler", False, f"heartbeat unreadable ({type(exc).__name__})")
    if last is None:
        return Check("scheduler", False, "no sweep recorded yet")
    age = now - last
    seconds = int(age.total_seconds())
    if age > allowed:
        return Check("scheduler", False, f"last sweep {seconds} s ago (allowed {int(allowed.total_seconds())} s)")
    return Check("scheduler", True, f"last sweep {seconds} s ago")


def _analytics_check(analytics: AnalyticsStore, now: datetime, allowed: timedelta) -> Check:
    try:
        with analytics.reading() as snapshot:
            age = timedelta(seconds=snapshot.info.age_seconds(now))
    except AnalyticsNotReady:
        return Check("analytics", False, "no snapshot yet")
    seconds = int(age.total_seconds())
    if age > allowed:
        return Check("analytics", False, f"snapshot {seconds} s old (allowed {int(allowed.total_seconds())} s)")
    return Check("analytics", True, f"snapshot {seconds} s old")
