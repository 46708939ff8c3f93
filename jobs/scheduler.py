"""`python -m jobs.scheduler`: the deadline scheduler, a process of its own beside the UI.

Every KOPRA_SCHEDULER_INTERVAL_S seconds (default 30) it runs one sweep of the rules that fall
due with time. `--once` runs one sweep and exits; `--now ISO-8601` sweeps as if it were that time
(for operators catching up by hand, and for tests). Each sweep logs one JSON line per action and
one summary line; a failing sweep is logged and the loop goes on.
"""
from __future__ import annotations

import argparse
import json
import logging
import signal
import time
from datetime import datetime

import schedule

from core.clock import require_aware, utc_now
from core.config import load_settings
from core.store import Store
from core.sweep import run_sweep
from jobs.entry import configure_logging, run_command

log = logging.getLogger("kopra.scheduler")


def _log_line(**fields) -> None:
    log.info(json.dumps(fields, default=str, sort_keys=False))


def sweep_once(store: Store, now: datetime) -> dict:
    started = time.perf_counter()
    summary = run_sweep(store, now, on_action=lambda action: _log_line(event="action", **action))
    summary = {"event": "sweep", "now": now.isoformat(), **summary,
               "seconds": round(time.perf_counter() - started, 3)}
    _log_line(**summary)
    return summary


def _guarded_sweep(store: Store) -> None:
    try:
        sweep_once(store, utc_now())
    except Exception as exc:  # keep the process alive; the next sweep retries everything due
        _log_line(event="sweep_failed", error=f"{type(exc).__name__}: {exc}"[:500])


def parse_now(raw: str) -> datetime:
    try:
        return require_aware(datetime.fromisoformat(raw), "--now")
    except ValueError as exc:
        raise SystemExit(f"kopra: --now must be an ISO-8601 time with a UTC offset, e.g. 2026-11-26T10:00:00+07:00 ({exc}).")


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m jobs.scheduler", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--once", action="store_true", help="run one sweep, then exit")
    parser.add_argument("--now", help="sweep as if it were this time (ISO-8601 with offset)")
    args = parser.parse_args()
    configure_logging()
    settings = load_settings()
    store = Store.from_settings(settings)
    store.check_reachable()
    if args.once or args.now:
        sweep_once(store, parse_now(args.now) if args.now else utc_now())
        return 0

    stopping = False

    def _stop(*_):
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    jobs = schedule.Scheduler()
    jobs.every(settings.scheduler_interval_s).seconds.do(_guarded_sweep, store)
    _log_line(event="scheduler_started", interval_s=settings.scheduler_interval_s,
              store=settings.safe_database_url())
    _guarded_sweep(store)  # catch up at once on whatever fell due while we were down
    while not stopping:
        jobs.run_pending()
        time.sleep(0.5)
    _log_line(event="scheduler_stopped")
    return 0


if __name__ == "__main__":
    run_command(main)
