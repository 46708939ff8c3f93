"""`python -m jobs.export`: the transaction history of one company as CSV, for analysts.

    python -m jobs.export --company DEMO01 --from 2026-11-01 --to 2026-11-30 [--warehouse JKT-01] --out nov.csv

The same file as the Transaction History page's export: completed sales whose completion falls
in the period (local dates at each warehouse), one row per order line, dates in the warehouse's
local time, each order's payout status, paid time and transfer reference, UTF-8 with a byte-order
mark (Excel) and a header row, formula-like cells neutralised. It reads the current
analytics snapshot (`--sync` first brings it up to date) and says how fresh that is.
"""

from __future__ import annotations

import argparse
import sys
from datetime import date

from core.analytics.export import export_company_history_csv
from core.analytics.history import HistoryFilters
from core.analytics.scope import Period
from core.analytics.sync import sync
from core.bootstrap import bootstrap
from core.clock import utc_now
from core.errors import DomainError
from jobs.entry import run_command


def _date(raw: str) -> date:
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{raw!r} is not a date like 2026-11-30") from None


def _amount(raw: str) -> int:
    try:
        value = int(raw)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{raw!r} is not a whole rupiah amount") from None
    if value < 0:
        raise argparse.ArgumentTypeError("amounts are zero or more")
    return value


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m jobs.export", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--company", required=True, help="Company ID, e.g. DEMO01")
    parser.add_argument("--from", dest="start", required=True, type=_date, help="first completion date (local)")
    parser.add_argument("--to", dest="end", required=True, type=_date, help="last completion date (local)")
    parser.add_argument("--warehouse", help="one warehouse's code")
    parser.add_argument("--product", help="one product's SKU")
    parser.add_argument("--buyer", help="one buyer's code")
    parser.add_argument("--min-total", type=_amount, help="lowest order total, rupiah")
    parser.add_argument("--max-total", type=_amount, help="highest order total, rupiah")
    parser.add_argument("--out", required=True, help="the CSV file to write")
    parser.add_argument("--sync", action="store_true", help="bring the analytics up to date first")
    args = parser.parse_args(argv)
    wiring = bootstrap()
    analytics = wiring.analytics
    try:
        filters = HistoryFilters(
            Period(args.start, args.end),
            warehouse_code=args.warehouse,
            product_sku=args.product,
            buyer_code=args.buyer,
            min_total=args.min_total,
            max_total=args.max_total,
        )
        if args.sync:
            store = wiring.store
            store.check_reachable()
            try:
                sync(store, analytics, utc_now(), lock_wait_s=120)
            finally:
                store.dispose()
        result = export_company_history_csv(analytics, args.company, filters, args.out)
    except DomainError as exc:
        print(f"kopra: {exc.message}", file=sys.stderr)
        return 1
    age = result.info.age_seconds(utc_now())
    print(
        f"exported {result.rows} rows to {result.path} in {result.seconds:.2f} s "
        f"(data as of {result.info.synced_at.isoformat(timespec='seconds')}, {age:.0f} s old)"
    )
    return 0


if __name__ == "__main__":
    run_command(main)
