"""`python -m jobs.demo [--seed N] [--orders N] [--company DEMO01]`: demo data.

Without --orders: the demo company, users, warehouses, catalogue, buyers and months of order
history played through the services (core.demo.load_demo, once). With --orders N: the demo
company without the played history if missing, then N more orders of the company (default DEMO01)
spread over the last year, in every lifecycle state, written in bulk (core.demo.bulk): a store of
any size for benchmarks and for trying the pages at scale. Migrates the store first. Then run
`python -m jobs.analytics rebuild` (or let the scheduler sync) to see them on the dashboard.
"""

from __future__ import annotations

import argparse
import sys

from core.bootstrap import bootstrap
from core.clock import utc_now
from core.demo.bulk import generate_bulk
from core.demo.seed import DEMO_COMPANY_CODE, load_demo
from core.store.database import migrate
from jobs.entry import run_command


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m jobs.demo", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--seed", type=int, help="random seed (default: KOPRA_DEMO_SEED)")
    parser.add_argument("--orders", type=int, help="add this many orders in bulk")
    parser.add_argument("--company", default=DEMO_COMPANY_CODE, help="whose orders (default DEMO01)")
    parser.add_argument("--days", type=int, default=365, help="spread the orders over this many days (default 365)")
    args = parser.parse_args(argv)
    if args.orders is not None and args.orders < 1:
        parser.error("--orders must be at least 1")
    wiring = bootstrap(check_reachable=True)
    settings, store = wiring.settings, wiring.store
    seed = settings.demo_seed if args.seed is None else args.seed
    migrate(store)
    now = utc_now()
    # With --orders the bulk orders are the history: playing months through the services is slow.
    loaded = load_demo(store, seed=seed, now=now, history_days=0 if args.orders else settings.demo_days)
    print("demo data: loaded" if loaded else "demo data: already there, not loaded again")
    if args.orders:
        try:
            result = generate_bulk(
                store,
                orders=args.orders,
                company_code=args.company,
                seed=seed,
                now=now,
                days=args.days,
                progress=lambda line: print(line, flush=True),
            )
        except ValueError as exc:
            print(f"kopra: {exc}.", file=sys.stderr)
            return 1
        statuses = ", ".join(f"{k} {v:,}" for k, v in sorted(result.by_status.items()))
        print(
            f"bulk demo: {result.orders:,} orders, {result.items:,} items, {result.events:,} events, "
            f"{result.payouts:,} payouts, {result.refunds:,} refunds in {result.seconds} s ({statuses})"
        )
    store.dispose()
    return 0


if __name__ == "__main__":
    run_command(main)
