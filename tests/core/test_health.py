"""The readiness check a load balancer and the person on call read (GET /readyz): store, schema,
the scheduler's heartbeat and the analytics snapshot's age, each with a reason. SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta

from core.analytics.snapshots import AnalyticsStore
from core.analytics.sync import sync
from core.health import SCHEDULER, beat, readiness
from core.store.database import Store, head_revision, migrate


def checks(store, analytics, now) -> dict[str, tuple[bool, str]]:
    ready = readiness(store, analytics, now, scheduler_interval_s=30)
    return {name: (c["ok"], c["detail"]) for name, c in ready.as_json()["checks"].items()}


def test_a_fresh_store_is_reachable_and_current_but_not_ready_until_the_scheduler_and_a_snapshot(store, now, tmp_path):
    analytics = AnalyticsStore(tmp_path / "analytics")
    seen = checks(store, analytics, now)
    assert seen["store"][0] and seen["schema"][0]
    assert seen["scheduler"] == (False, "no sweep recorded yet")
    assert seen["analytics"] == (False, "no snapshot yet")
    beat(store, SCHEDULER, now)
    sync(store, analytics, now)
    assert readiness(store, analytics, now + timedelta(seconds=20), scheduler_interval_s=30).ok


def test_a_silent_scheduler_and_an_old_snapshot_are_named(store, now, tmp_path):
    analytics = AnalyticsStore(tmp_path / "analytics")
    beat(store, SCHEDULER, now)
    beat(store, SCHEDULER, now + timedelta(seconds=1))  # the second beat replaces the first
    sync(store, analytics, now)
    later = now + timedelta(minutes=10)
    seen = checks(store, analytics, later)
    assert seen["scheduler"] == (False, "last sweep 599 s ago (allowed 90 s)")
    assert seen["analytics"] == (False, "snapshot 600 s old (allowed 300 s)")


def test_an_unreachable_store_is_said_in_one_line(tmp_path, now):
    gone = Store(f"sqlite:///{tmp_path / 'missing' / 'nowhere.sqlite3'}")
    seen = checks(gone, AnalyticsStore(tmp_path / "analytics"), now)
    assert list(seen) == ["store"] and not seen["store"][0] and "Cannot reach the database" in seen["store"][1]


def test_a_store_behind_the_code_says_which_revision_it_is_at(tmp_path, now):
    old = Store(f"sqlite:///{tmp_path / 'old.sqlite3'}")
    migrate(old, "0003")
    seen = checks(old, AnalyticsStore(tmp_path / "analytics"), now)
    assert seen["schema"] == (False, f"at 0003, the code expects {head_revision(old)}")
    old.dispose()
