"""How long the scheduler's warning scan (core.notifications.warnings.scan_warnings) takes at 1,000,000
orders of which 100,000 are open, on SQLite and PostgreSQL, beside the deadline sweep's own time on the
same store (core.orders.sweep.run_sweep) as the baseline.

    .venv/bin/python bench/notify_scan.py                    # 1,000,000 orders, 100,000 open
    .venv/bin/python bench/notify_scan.py --orders 100000    # a quick look (10% open)

Each store is made by the bulk demo generator (core.demo.bulk: the demo company's three warehouses in
WIB, WITA and WIT, every status); then a random 10% of its orders (--open) are made open as the
lifecycle would leave them at NOW (Wednesday 25 Nov 2026 10:00 WIB, every warehouse open): 30% waiting
for confirmation (placed within the last business day, with the deadline and the two warning times
placing fixes, core.orders.lifecycle.confirm_warnings, computed by the bulk demo's vectorised business
time), 35% being packed (accepted up to 4 days ago: some past the packing deadline), 25% packed,
shipped or delivered, 10% under complaint (answer deadline within 2 days). The notifications table holds
what the history told (one NEW_ORDER per order for each Product Manager), so the scan reads it at its
real size. Then, in this order:

  sweep        run_sweep(NOW): the deadline sweep, the baseline (it also tells of what it moves)
  scan         scan_warnings(NOW): the first scan, which writes every warning due (a catch-up)
  scan again   scan_warnings(NOW + 30 s): the next scheduler tick, which finds (almost) nothing new
  sweep again  run_sweep(NOW + 30 s): the sweep at that tick, the steady-state baseline

Ends with one JSON line; `notify_scan_sqlite_s` and `notify_scan_postgres_s` are the first scan's
seconds (the target: under 2 s on both). PostgreSQL: KOPRA_BENCH_POSTGRES_URL (default the local test
server); each run creates and drops its own database.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np  # noqa: E402
from sqlalchemy import bindparam, create_engine, func, select, text, update  # noqa: E402

from core.demo.bulk import generate_bulk  # noqa: E402
from core.demo.bulk_clock import HOUR, US, BusinessClock, to_micros  # noqa: E402
from core.demo.seed import DEMO_COMPANY_CODE, load_demo  # noqa: E402
from core.domain import OrderStatus  # noqa: E402
from core.notifications.warnings import scan_warnings  # noqa: E402
from core.orders.lifecycle import CONFIRM_LAST_HOURS  # noqa: E402
from core.orders.sweep import run_sweep  # noqa: E402
from core.store.database import Store, migrate  # noqa: E402
from core.store.models import Company, Notification, Order, Warehouse, orders_t  # noqa: E402
from core.warehouses.operations import calendar_of  # noqa: E402

NOW = datetime(2026, 11, 25, 3, 0, tzinfo=UTC)  # Wednesday 10:00 WIB, 11:00 WITA, 12:00 WIT
TICK = timedelta(seconds=30)  # the scheduler's interval
GOAL_S = 2.0
POSTGRES_URL = os.environ.get("KOPRA_BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
S = OrderStatus
MIX = (  # what the open orders are doing at NOW
    (S.PENDING_CONFIRMATION, 0.30),
    (S.PROCESSING, 0.35),
    (S.READY_TO_SHIP, 0.10),
    (S.SHIPPED, 0.10),
    (S.DELIVERED, 0.05),
    (S.COMPLAINED, 0.10),
)


def _moment(us: int | np.integer) -> datetime:
    return datetime(1970, 1, 1, tzinfo=UTC) + timedelta(microseconds=int(us))


def open_orders(store: Store, count: int, seed: int) -> dict[str, int]:
    """Make `count` random orders of the demo company open at NOW, as the lifecycle would leave them."""
    rng = np.random.default_rng(seed)
    now_us = to_micros(NOW)
    with store.reading() as session:
        company_id = session.scalar(select(Company.id).where(Company.company_code == DEMO_COMPANY_CODE))
        rows = session.execute(select(Order.id, Order.warehouse_id).where(Order.company_id == company_id)).all()
        warehouses = {
            w.id: (
                BusinessClock(
                    calendar_of(session, w), (NOW - timedelta(days=30)).date(), (NOW + timedelta(days=30)).date()
                ),
                w.processing_days,
            )
            for w in session.scalars(select(Warehouse).where(Warehouse.company_id == company_id))
        }
    ids = np.array([r[0] for r in rows], dtype=np.int64)
    warehouse_of = np.array([r[1] for r in rows], dtype=np.int64)
    picked = rng.choice(len(ids), size=min(count, len(ids)), replace=False)
    statuses = rng.choice([s.value for s, _ in MIX], size=len(picked), p=[share for _, share in MIX])
    changes = []
    for w_id, (clock, processing_days) in warehouses.items():
        mine = picked[warehouse_of[picked] == w_id]
        status = statuses[warehouse_of[picked] == w_id]
        n = len(mine)
        placed = now_us - (rng.random(n) * 30 * HOUR).astype(np.int64)
        deadline = clock.add_days(placed, 1)
        placed = np.where(deadline > now_us, placed, now_us - (rng.random(n) * HOUR).astype(np.int64))
        deadline = clock.add_days(placed, 1)
        day_hours = clock.day_us / HOUR
        half = clock.add_days(placed, 0.5)
        last = clock.add_days(placed, (day_hours - CONFIRM_LAST_HOURS) / day_hours)
        accepted = now_us - (rng.random(n) * 4 * 24 * HOUR).astype(np.int64)
        pack = clock.add_days(accepted, processing_days)
        complaint = now_us + (rng.random(n) * 48 * HOUR).astype(np.int64)
        for i in range(n):
            pending, state = status[i] == S.PENDING_CONFIRMATION.value, status[i]
            changes.append(
                {
                    "oid": int(ids[mine[i]]),
                    "status": state,
                    "placed_at": _moment(placed[i] if pending else accepted[i] - HOUR),
                    "confirm_deadline": _moment(deadline[i] if pending else accepted[i] + HOUR),
                    "confirm_half_at": _moment(half[i]) if pending else None,
                    "confirm_last_at": _moment(last[i]) if pending else None,
                    "accepted_at": None if pending else _moment(accepted[i]),
                    "pack_deadline": None if pending else _moment(pack[i]),
                    "complaint_deadline": _moment(complaint[i]) if state == S.COMPLAINED.value else None,
                    "complete_deadline": _moment(now_us + US * 3600 * 40) if state == S.DELIVERED.value else None,
                }
            )
    statement = (
        update(orders_t)
        .where(orders_t.c.id == bindparam("oid"))
        .values(
            status=bindparam("status"),
            placed_at=bindparam("placed_at"),
            confirm_deadline=bindparam("confirm_deadline"),
            confirm_half_at=bindparam("confirm_half_at"),
            confirm_last_at=bindparam("confirm_last_at"),
            accepted_at=bindparam("accepted_at"),
            pack_deadline=bindparam("pack_deadline"),
            complaint_deadline=bindparam("complaint_deadline"),
            complete_deadline=bindparam("complete_deadline"),
            completed_at=None,
            closed_at=None,
            failure_kind=None,
            failure_reason=None,
        )
    )
    with store.transaction() as session:
        for start in range(0, len(changes), 20_000):
            session.execute(statement, changes[start : start + 20_000])
    with store.engine.connect() as connection:
        if store.backend == "postgresql":
            connection.execution_options(isolation_level="AUTOCOMMIT").exec_driver_sql("VACUUM ANALYZE orders")
        else:
            connection.exec_driver_sql("ANALYZE")
            connection.commit()
    with store.reading() as session:
        return {
            status: n
            for status, n in session.execute(
                select(Order.status, func.count())
                .where(Order.status.in_([s.value for s, _ in MIX]))
                .group_by(Order.status)
            )
        }


def past_notifications(store: Store) -> int:
    """What the history told its staff already, so the scan reads a notifications table of its real size:
    one NEW_ORDER per order for each of the company's Product Managers (read, but for the open ones)."""
    with store.transaction() as session:
        session.execute(
            text(
                "INSERT INTO notifications (user_id, company_id, kind, subject, order_id, facts, created_at, read_at) "
                "SELECT u.id, o.company_id, 'NEW_ORDER', 'order:' || CAST(o.id AS VARCHAR), o.id, '{}', o.placed_at, "
                "CASE WHEN o.status IN ('PENDING_CONFIRMATION', 'PROCESSING') THEN NULL ELSE o.placed_at END "
                "FROM orders o JOIN users u ON u.company_id = o.company_id AND u.role = 'PRODUCT_MANAGER' "
                "ORDER BY o.id"
            )
        )
    with store.engine.connect() as connection:
        if store.backend == "postgresql":
            connection.execution_options(isolation_level="AUTOCOMMIT").exec_driver_sql("VACUUM ANALYZE notifications")
        else:
            connection.exec_driver_sql("ANALYZE")
            connection.commit()
    with store.reading() as session:
        return session.scalar(select(func.count(Notification.id))) or 0


def make_store(url: str, orders: int, open_count: int) -> Store:
    store = Store(url)
    migrate(store)
    load_demo(store, seed=2026, now=NOW - timedelta(days=400), history_days=0)
    started = time.perf_counter()
    generate_bulk(store, orders=orders, company_code=DEMO_COMPANY_CODE, seed=2026, now=NOW)
    print(f"  {orders:,} orders generated in {time.perf_counter() - started:.0f} s", flush=True)
    started = time.perf_counter()
    by_status = open_orders(store, open_count, seed=7)
    print(
        f"  {sum(by_status.values()):,} open orders ({by_status}) in {time.perf_counter() - started:.0f} s", flush=True
    )
    started = time.perf_counter()
    told = past_notifications(store)
    print(f"  {told:,} notifications of the history in {time.perf_counter() - started:.0f} s", flush=True)
    return store


def timed(label: str, fn) -> tuple[float, object]:
    started = time.perf_counter()
    result = fn()
    seconds = time.perf_counter() - started
    return seconds, result


def measure(store: Store, label: str) -> dict:
    figures: dict = {}

    def count_notifications() -> int:
        with store.reading() as session:
            return session.scalar(select(func.count(Notification.id))) or 0

    steps = (
        ("sweep", lambda: run_sweep(store, NOW)),
        ("scan", lambda: scan_warnings(store, NOW)),
        ("scan_again", lambda: scan_warnings(store, NOW + TICK)),
        ("sweep_again", lambda: run_sweep(store, NOW + TICK)),
    )
    for name, fn in steps:
        seconds, result = timed(name, fn)
        figures[f"{name}_{label}_s"] = round(seconds, 3)
        if name.startswith("scan"):
            assert isinstance(result, dict)
            made = {k: v for k, v in result.items() if v}
            figures[f"{name}_{label}_written"] = sum(v for k, v in result.items() if k != "failed_rules")
            what = f"{figures[f'{name}_{label}_written']:,} warnings written {made}"
        else:
            assert isinstance(result, dict)
            what = f"{result['actions']:,} actions { ({k: v for k, v in result['by_rule'].items() if v}) }"
        print(f"  {name:<12} {seconds:8.3f} s   {what}", flush=True)
    figures[f"notifications_{label}"] = count_notifications()
    return figures


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=1_000_000)
    parser.add_argument("--open", type=int, default=None, help="open orders (default: a tenth of --orders)")
    parser.add_argument("--skip-sqlite", action="store_true")
    parser.add_argument("--skip-postgres", action="store_true")
    args = parser.parse_args()
    open_count = args.open if args.open is not None else args.orders // 10
    figures: dict = {"orders": args.orders, "open_orders": open_count}
    if not args.skip_sqlite:
        with tempfile.TemporaryDirectory(prefix="kopra-bench-", dir=os.environ.get("KOPRA_BENCH_DIR")) as folder:
            print(f"SQLite, {args.orders:,} orders:", flush=True)
            store = make_store(f"sqlite:///{Path(folder) / 'kopra.sqlite3'}", args.orders, open_count)
            figures |= measure(store, "sqlite")
            store.dispose()
    if not args.skip_postgres:
        name = f"kopra_bench_notify_{uuid.uuid4().hex[:8]}"
        admin = create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
        try:
            print(f"PostgreSQL, {args.orders:,} orders:", flush=True)
            store = make_store(POSTGRES_URL.rsplit("/", 1)[0] + f"/{name}", args.orders, open_count)
            figures |= measure(store, "postgres")
            store.dispose()
        finally:
            with admin.connect() as connection:
                connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            admin.dispose()
    summary = {
        **figures,
        **({"notify_scan_sqlite_s": figures["scan_sqlite_s"]} if "scan_sqlite_s" in figures else {}),
        **({"notify_scan_postgres_s": figures["scan_postgres_s"]} if "scan_postgres_s" in figures else {}),
        "load_average": round(os.getloadavg()[0], 2),
        "date": date.today().isoformat(),
    }
    for db in ("sqlite", "postgres"):
        if f"scan_{db}_s" in figures:
            worst = max(figures[f"scan_{db}_s"], figures[f"scan_again_{db}_s"])
            print(
                f"{db}: scan {figures[f'scan_{db}_s']:.3f} s, again {figures[f'scan_again_{db}_s']:.3f} s "
                f"(goal {GOAL_S} s: {'met' if worst < GOAL_S else 'NOT met'}); "
                f"sweep {figures[f'sweep_{db}_s']:.3f} s, again {figures[f'sweep_again_{db}_s']:.3f} s"
            )
    print(json.dumps(summary))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
