"""`python -m jobs.scheduler`: the deadline scheduler, a process of its own beside the UI.

Every KOPRA_SCHEDULER_INTERVAL_S seconds (default 30) it runs one sweep of the rules that fall
due with time, then the scan of the warnings sellers' staff are sent (core.notifications.warnings),
then brings the DuckDB analytics snapshot up to date. Each night (KOPRA_ANALYTICS_REBUILD_AT WIB,
default 02:00) it starts `python -m jobs.analytics rebuild` in a process of its own, which lays the
snapshot out afresh by seller while the sweeps go on. `--once` runs one sweep and
exits; `--now ISO-8601` sweeps as if it were that time (for operators catching up by hand, and for
tests). Each sweep logs one JSON line per action and
one summary line; a failing sweep is logged and the loop goes on.
"""

from __future__ import annotations

import argparse
import json
import secrets
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from datetime import time as dt_time

import schedule

from core.analytics.snapshots import AnalyticsStore
from core.analytics.sync import make_sync_rule, relayout_due
from core.bootstrap import bootstrap
from core.clock import require_aware, utc_now
from core.config import PROJECT_ROOT
from core.health import SCHEDULER, beat
from core.integration.idempotency import forget_expired
from core.logs import REQUEST_ID, configure, log_event
from core.notifications.warnings import scan_warnings
from core.orders.sweep import run_sweep
from core.store.database import Store
from jobs.entry import run_command


def _log_line(event: str, **fields) -> None:
    """One JSON line (core.logs) with the id of the sweep it belongs to."""
    log_event(event, **fields)


def sweep_once(store: Store, now: datetime, analytics_sync: Callable | None = None) -> dict:
    """One sweep of the deadline rules, then (if given) the analytics sync, so the dashboard's
    snapshot includes what the sweep just changed. The sync is not a business action: it is
    reported beside the sweep's actions, not among them."""
    REQUEST_ID.set(f"sweep-{secrets.token_hex(6)}")  # every line of this sweep carries it
    started = time.perf_counter()
    log_action = lambda action: _log_line(event="action", **action)  # noqa: E731
    summary = run_sweep(store, now, on_action=log_action)
    try:  # the warnings time brings (core.notifications.warnings); the sweep's result stands either way
        summary["warnings"] = scan_warnings(store, now)
    except Exception as exc:  # the next sweep scans again: every warning is told once, late or not
        summary["warnings_failed"] = f"{type(exc).__name__}: {exc}"[:300]
    if analytics_sync is not None:
        try:
            summary["analytics_orders_synced"] = analytics_sync(store, now, log_action)
        except Exception as exc:  # the rules above are done; the next sweep syncs again
            summary["analytics_sync_failed"] = f"{type(exc).__name__}: {exc}"[:300]
    summary = {"event": "sweep", "now": now.isoformat(), **summary, "seconds": round(time.perf_counter() - started, 3)}
    try:  # the readiness check (/readyz) reads when the scheduler last got through a sweep
        beat(store, SCHEDULER, utc_now(), detail=json.dumps({"actions": summary["actions"]}))
    except Exception as exc:
        summary["heartbeat_failed"] = f"{type(exc).__name__}: {exc}"[:300]
    _log_line(**summary)
    return summary


def _guarded_sweep(store: Store, analytics_sync: Callable | None) -> None:
    try:
        sweep_once(store, utc_now(), analytics_sync)
    except Exception as exc:  # keep the process alive; the next sweep retries everything due
        _log_line(event="sweep_failed", error=f"{type(exc).__name__}: {exc}"[:500])


def _forget_idempotency_keys(store: Store) -> None:
    """The API's idempotency keys older than 24 hours (core.integration.idempotency.KEPT)."""
    try:
        _log_line(event="idempotency_keys_forgotten", count=forget_expired(store, utc_now()))
    except Exception as exc:  # the next hour tries again
        _log_line(event="idempotency_keys_failed", error=f"{type(exc).__name__}: {exc}"[:300])


class NightlyRelayout:
    """The nightly rebuild of the analytics snapshot (core.analytics.sync.relayout_due says when), in a
    process of its own so that deadlines are swept meanwhile: a rebuild of 10 M orders takes minutes.
    Its sync steps are skipped while it holds the writer lock; the next sync takes in what changed.
    A second scheduler's rebuild finds the lock taken and ends at once (exit code 3)."""

    #: A rebuild that failed is tried again after this, while the night's window lasts.
    RETRY_AFTER = timedelta(minutes=30)

    def __init__(self, analytics: AnalyticsStore, at: dt_time | None):
        self.analytics, self.at = analytics, at
        self.running: subprocess.Popen | None = None
        self.started_at: datetime | None = None

    def tick(self, now: datetime) -> None:
        if self.running is not None:
            if self.running.poll() is None:
                return
            _log_line(event="analytics_relayout_ended", exit_code=self.running.returncode)
            self.running = None
        if self.at is None or not relayout_due(self.analytics.rebuilt_at(), now, self.at):
            return
        if self.started_at is not None and now - self.started_at < self.RETRY_AFTER:
            return
        self.started_at = now
        command = [sys.executable, "-m", "jobs.analytics", "rebuild", "--wait", "0"]
        self.running = subprocess.Popen(command, cwd=PROJECT_ROOT)  # its JSON line joins this log
        _log_line(event="analytics_relayout_started", pid=self.running.pid)

    def stop(self) -> None:
        if self.running is not None and self.running.poll() is None:
            self.running.terminate()  # the snapshot readers use is untouched: a rebuild switches at its end
            self.running.wait(timeout=30)


def _guarded_relayout(relayout: NightlyRelayout) -> None:
    try:
        relayout.tick(utc_now())
    except Exception as exc:  # the next minute tries again
        _log_line(event="analytics_relayout_failed", error=f"{type(exc).__name__}: {exc}"[:300])


def parse_now(raw: str) -> datetime:
    try:
        return require_aware(datetime.fromisoformat(raw), "--now")
    except ValueError as exc:
        raise SystemExit(
            f"kopra: --now must be an ISO-8601 time with a UTC offset, e.g. 2026-11-26T10:00:00+07:00 ({exc})."
        ) from None


def main() -> int:
    parser = argparse.ArgumentParser(
        prog="python -m jobs.scheduler", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--once", action="store_true", help="run one sweep, then exit")
    parser.add_argument("--now", help="sweep as if it were this time (ISO-8601 with offset)")
    args = parser.parse_args()
    configure("scheduler")
    wiring = bootstrap(check_reachable=True)
    settings, store = wiring.settings, wiring.store
    analytics_sync = make_sync_rule(wiring.analytics)
    if args.once or args.now:
        sweep_once(store, parse_now(args.now) if args.now else utc_now(), analytics_sync)
        return 0

    stopping = False

    def _stop(*_):
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    jobs = schedule.Scheduler()
    jobs.every(settings.scheduler_interval_s).seconds.do(_guarded_sweep, store, analytics_sync)
    jobs.every(1).hours.do(_forget_idempotency_keys, store)
    relayout = NightlyRelayout(wiring.analytics, settings.analytics_rebuild_at)
    jobs.every(1).minutes.do(_guarded_relayout, relayout)
    _log_line(event="scheduler_started", interval_s=settings.scheduler_interval_s, store=settings.safe_database_url())
    _guarded_sweep(store, analytics_sync)  # catch up at once on whatever fell due while we were down
    while not stopping:
        jobs.run_pending()
        time.sleep(0.5)
    relayout.stop()
    _log_line(event="scheduler_stopped")
    return 0


if __name__ == "__main__":
    run_command(main)
