"""`python -m jobs.analytics sync|rebuild|status`: the analytics store, for operators.

- `sync`: bring the analytics snapshot up to date with what changed in the store (the first sync
  builds it whole). Waits for a sync already running (`--wait`, default 120 s), then runs its own.
  This is also what the pages' "Refresh now" button runs.
- `rebuild`: build a fresh snapshot from the whole store and switch readers to it; use it after
  changing rows by hand, after restoring a backup, or after a sweep run far back in time.
- `status`: how fresh the current snapshot is.
Each prints one JSON line; exit code 3 means another writer kept the analytics files busy.
"""

from __future__ import annotations

import argparse
import json
import sys

from core.analytics.snapshots import AnalyticsBusy, AnalyticsNotReady
from core.analytics.sync import rebuild, sync
from core.bootstrap import bootstrap
from core.clock import utc_now
from jobs.entry import run_command

EXIT_BUSY = 3


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m jobs.analytics", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("command", choices=("sync", "rebuild", "status"))
    parser.add_argument(
        "--wait", type=float, default=120.0, help="seconds to wait for another sync to finish (default 120)"
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


if __name__ == "__main__":
    run_command(main)
