"""The scheduler's nightly rebuild of the analytics snapshot: started in a process of its own when
core says it is due, once a night, and not again every minute when it fails."""

from __future__ import annotations

from datetime import datetime, time, timedelta

from core.analytics.snapshots import AnalyticsStore
from core.analytics.sync import RELAYOUT_ZONE, sync
from jobs.scheduler import NightlyRelayout
from tests.builders import build_world

NIGHT = datetime(2026, 11, 26, 2, 1, tzinfo=RELAYOUT_ZONE)


def test_the_nightly_rebuild_runs_in_a_process_of_its_own_once_a_night(store, tmp_path, monkeypatch):
    build_world(store)
    monkeypatch.setenv("KOPRA_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("KOPRA_DATABASE_URL", store.database_url)
    analytics = AnalyticsStore(tmp_path / "analytics")
    sync(store, analytics, NIGHT - timedelta(days=1))  # built whole the night before
    generation = analytics.read_pointer()["generation"]
    relayout = NightlyRelayout(analytics, time(2, 0))
    relayout.tick(NIGHT - timedelta(minutes=2))  # 01:59 WIB: not yet
    assert relayout.running is None
    relayout.tick(NIGHT)
    assert relayout.running is not None
    assert relayout.running.wait(timeout=120) == 0
    relayout.tick(NIGHT + timedelta(minutes=1))  # its end is noted; tonight's is done
    assert relayout.running is None
    assert analytics.read_pointer()["generation"] == generation + 1
    rebuilt_at = analytics.rebuilt_at()
    assert rebuilt_at is not None and rebuilt_at > NIGHT  # (the rebuild's own clock, today)
    relayout.tick(NIGHT + timedelta(minutes=40))
    assert relayout.running is None


def test_a_failed_nightly_rebuild_is_tried_again_half_an_hour_later_not_every_minute(tmp_path, monkeypatch):
    monkeypatch.setenv("KOPRA_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("KOPRA_DATABASE_URL", "nosuchdb://nowhere")  # the rebuild process fails at once
    analytics = AnalyticsStore(tmp_path / "analytics")
    relayout = NightlyRelayout(analytics, time(2, 0))
    relayout.tick(NIGHT)
    assert relayout.running is not None
    assert relayout.running.wait(timeout=120) != 0
    relayout.tick(NIGHT + timedelta(minutes=1))
    assert relayout.running is None  # noted, and not started again yet
    relayout.tick(NIGHT + timedelta(minutes=29))
    assert relayout.running is None
    relayout.tick(NIGHT + timedelta(minutes=31))
    assert relayout.running is not None
    relayout.running.wait(timeout=120)


def test_off_means_never(tmp_path):
    relayout = NightlyRelayout(AnalyticsStore(tmp_path / "analytics"), None)
    relayout.tick(NIGHT)
    assert relayout.running is None
