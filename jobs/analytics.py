"""`python -m jobs.analytics sync|rebuild|status|serve`: the analytics store, for operators.

- `sync`: bring the analytics snapshot up to date with what changed in the store (the first sync
  builds it whole). Waits for a sync already running (`--wait`, default 120 s), then runs its own.
  This is also what the pages' "Refresh now" button runs.
- `rebuild`: build a fresh snapshot from the whole store and switch readers to it; use it after
  changing rows by hand, after restoring a backup, or after a sweep run far back in time.
- `status`: how fresh the current snapshot is.
- `serve`: a warm `sync` for the UI's "Refresh now" (app/analytics_refresh.py): one sync per line
  read on stdin, one JSON line written for each, until stdin closes or `--idle` seconds pass without
  a request. Its imports and its first read of the store (0.7 s of a cold `sync`) are paid once.
Each other command prints one JSON line; exit code 3 means another writer kept the analytics files busy.
"""

from __future__ import annotations

import argparse
import json
import logging
import select
import sys

from core.analytics.snapshots import AnalyticsBusy, AnalyticsNotReady, AnalyticsStore
from core.analytics.sync import rebuild, sync
from core.bootstrap import bootstrap
from core.clock import utc_now
from core.store.database import Store
from jobs.entry import run_command

EXIT_BUSY = 3
SERVE_IDLE_S = 600.0

log = logging.getLogger("kopra.analytics")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m jobs.analytics", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("command", choices=("sync", "rebuild", "status", "serve"))
    parser.add_argument(
        "--wait", type=float, default=120.0, help="seconds to wait for another sync to finish (default 120)"
    )
    parser.add_argument(
        "--idle", type=float, default=SERVE_IDLE_S, help="serve: seconds without a request before it exits"
    )
    args = parser.parse_args(argv)
    wiring = bootstrap()
    analytics = wiring.analytics
    if args.command == "status":
        try:
            with analytics.reading() as snap:
                info = snap.info
        except AnalyticsNotReady as exc:
            print(json.dumps({"event": "analytics_status", "ready": False, "message": exc.message}))
            return 1
        print(
            json.dumps(
                {
                    "event": "analytics_status",
                    "ready": True,
                    "generation": info.generation,
                    "synced_at": info.synced_at.isoformat(),
                    "mode": info.mode,
                    "orders": info.orders,
                    "age_s": round(info.age_seconds(utc_now()), 1),
                    "source": info.source,
                }
            )
        )
        return 0
    store = wiring.store
    store.check_reachable()
    if args.command == "serve":
        try:
            serve(store, analytics, idle_s=args.idle)
        finally:
            store.dispose()
        return 0
    try:
        run = rebuild if args.command == "rebuild" else sync
        result = run(store, analytics, utc_now(), lock_wait_s=args.wait)
    except AnalyticsBusy as exc:
        print(f"kopra: {exc.message}", file=sys.stderr)
        return EXIT_BUSY
    finally:
        store.dispose()
    print(json.dumps({"event": f"analytics_{args.command}", **result.summary()}))
    return 0


def serve(store: Store, analytics: AnalyticsStore, *, idle_s: float) -> None:
    """Sync once per request line (JSON: {"wait": seconds}); answer each with one JSON line, the sync's
    summary or {"failed": the refusal's English sentence, "" if the sync broke}. A failed sync leaves
    the worker serving: the next request may well succeed."""
    while True:
        readable, _, _ = select.select([sys.stdin], [], [], idle_s)
        line = sys.stdin.readline() if readable else ""
        if not line:  # idle too long, or the UI process closed our stdin (it stopped)
            return
        wait = float(json.loads(line).get("wait", 120.0))
        try:
            answer = {"event": "analytics_sync", **sync(store, analytics, utc_now(), lock_wait_s=wait).summary()}
        except AnalyticsBusy as exc:
            answer = {"event": "analytics_sync", "failed": exc.text("en")}
        except Exception:
            log.exception("analytics_serve_sync_failed")
            answer = {"event": "analytics_sync", "failed": ""}
        print(json.dumps(answer), flush=True)


if __name__ == "__main__":
    run_command(main)
