"""The UI and the scheduler as separate processes at once: readers in one process (threads, as
Streamlit sessions), the scheduler's sweep with the analytics rule in another, and on-demand
refreshes (`python -m jobs.analytics sync`) in between. Nobody may see a lock error."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import time

import pytest

from core.analytics.snapshots import AnalyticsStore
from core.analytics.sync import sync
from core.config import PROJECT_ROOT

pytestmark = pytest.mark.slow  # runs the UI and the scheduler as processes for seconds

SCHEDULER = textwrap.dedent("""
    import json, random, sys
    from datetime import datetime, timedelta
    from core.analytics.snapshots import AnalyticsStore
    from core.analytics.sync import make_sync_rule
    from core.store.database import Store
    from jobs.scheduler import sweep_once
    from tests.core.analytics.dataset import advance_randomly, load_dataset

    url, folder, now, rounds = sys.argv[1], sys.argv[2], datetime.fromisoformat(sys.argv[3]), int(sys.argv[4])
    store = Store(url)
    analytics_sync = make_sync_rule(AnalyticsStore(folder))  # what the scheduler process does after each sweep
    dataset = load_dataset(store, now)
    rng = random.Random(9)
    failures, synced, n = [], 0, 0
    while n < rounds or (synced == 0 and n < rounds * 5):  # a sweep skips the sync while a refresh runs
        n += 1
        now += timedelta(minutes=2)
        advance_randomly(store, rng, dataset, now, changes=8)
        summary = sweep_once(store, now, analytics_sync)
        failures += list(summary["failed_rules"].items())
        failures += [("analytics_sync", summary["analytics_sync_failed"])] if "analytics_sync_failed" in summary else []
        synced += summary.get("analytics_orders_synced", 0) > 0
    print(json.dumps({"failures": failures, "synced": synced, "sweeps": n}))
""")

UI = textwrap.dedent("""
    import json, sys, threading, time, tempfile
    from datetime import date, timedelta
    from pathlib import Path
    from core.acting import Actor
    from core.analytics.dashboard import load_dashboard
    from core.analytics.export import export_history_csv
    from core.analytics.history import HistoryFilters, load_history
    from core.analytics.scope import Period
    from core.analytics.snapshots import AnalyticsStore
    from core.domain import Role
    from core.store.database import Store

    url, folder, seconds = sys.argv[1], sys.argv[2], float(sys.argv[5])
    company_id, user_id = int(sys.argv[3]), int(sys.argv[4])
    store = Store(url)
    analytics = AnalyticsStore(folder)
    actor = Actor(user_id, company_id, "ALPHA01", "pm", Role.PRODUCT_MANAGER)
    period = Period(date(2026, 9, 1), date(2026, 12, 31))
    errors, reads, generations = [], [0], set()
    stop = time.monotonic() + seconds
    out = Path(tempfile.mkdtemp())

    def session(n):
        while time.monotonic() < stop:
            try:
                dash = load_dashboard(store, analytics, actor, period)
                generations.add(dash.info.generation)
                load_history(store, analytics, actor, HistoryFilters(period), page=2, page_size=10)
                if n == 0:
                    export_history_csv(store, analytics, actor, HistoryFilters(period), out / "x.csv")
                reads[0] += 1
            except Exception as exc:
                errors.append(f"{type(exc).__name__}: {exc}")

    threads = [threading.Thread(target=session, args=(n,)) for n in range(4)]
    for t in threads: t.start()
    for t in threads: t.join()
    print(json.dumps({"errors": errors[:5], "error_count": len(errors), "reads": reads[0],
                      "generations": sorted(generations)}))
""")


def _env(tmp_path, store):
    env = dict(os.environ)
    env["PYTHONPATH"] = str(PROJECT_ROOT)
    env["KOPRA_DATA_DIR"] = str(tmp_path)
    env["KOPRA_DATABASE_URL"] = store.database_url
    return env


def test_ui_and_scheduler_processes_run_at_once_without_a_lock_error(store, dataset, tmp_path, now):
    analytics = AnalyticsStore(tmp_path / "analytics")
    sync(store, analytics, now)
    env = _env(tmp_path, store)
    (tmp_path / "scheduler.py").write_text(SCHEDULER)
    (tmp_path / "ui.py").write_text(UI)
    ui = subprocess.Popen(
        [
            sys.executable,
            str(tmp_path / "ui.py"),
            store.database_url,
            str(analytics.directory),
            str(dataset.a.id),
            str(dataset.a.pm_user_id),
            "12",
        ],
        cwd=PROJECT_ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    scheduler = subprocess.Popen(
        [
            sys.executable,
            str(tmp_path / "scheduler.py"),
            store.database_url,
            str(analytics.directory),
            now.isoformat(),
            "12",
        ],
        cwd=PROJECT_ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    refreshes = []
    deadline = time.monotonic() + 8
    while time.monotonic() < deadline:  # the UI's "Refresh now", meanwhile
        refreshes.append(
            subprocess.run(
                [sys.executable, "-m", "jobs.analytics", "sync"],
                cwd=PROJECT_ROOT,
                env=env,
                capture_output=True,
                text=True,
                timeout=120,
            )
        )
    ui_out, ui_err = ui.communicate(timeout=180)
    sched_out, sched_err = scheduler.communicate(timeout=180)
    assert ui.returncode == 0, ui_err
    assert scheduler.returncode == 0, sched_err
    readers = json.loads(ui_out.strip().splitlines()[-1])
    writer = json.loads(sched_out.strip().splitlines()[-1])
    assert readers["error_count"] == 0, readers["errors"]
    assert writer["failures"] == [] and writer["synced"] >= 1
    assert readers["reads"] > 0 and len(readers["generations"]) >= 2  # readers saw new snapshots arrive
    for done in refreshes:
        assert done.returncode == 0, done.stderr
        assert json.loads(done.stdout.strip().splitlines()[-1])["event"] == "analytics_sync"
    assert "lock" not in (ui_err + sched_err).lower()
