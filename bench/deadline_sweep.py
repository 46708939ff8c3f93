"""How long one deadline sweep takes when 100,000 of 1,000,000 orders are overdue.

For SQLite and PostgreSQL, on identical copies of the same store:
  sweep       core.orders.sweep.sweep_step(AUTO_CANCEL): status, events and stock releases, in batches
  bare        one set-based `UPDATE orders SET status = 'CANCELLED' WHERE ...` (the floor)
  naive       one row at a time through the ORM with a commit per row, timed on a sample and scaled

    .venv/bin/python bench/deadline_sweep.py                     # 1,000,000 orders, 100,000 overdue
    .venv/bin/python bench/deadline_sweep.py --orders 100000 --overdue 10000   # a quick look

The sweep and the bare UPDATE are each timed --runs times (default 3) on fresh copies, by turns, and
their medians reported. Ends with one JSON line of the figures. PostgreSQL: KOPRA_BENCH_POSTGRES_URL (default the local
test server); each run creates and drops its own databases.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import statistics
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from datetime import time as clock_time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import create_engine, select, text  # noqa: E402

from core.domain import OrderStatus  # noqa: E402
from core.orders.lifecycle import TRANSITIONS, Step  # noqa: E402
from core.orders.steps import take_step  # noqa: E402
from core.orders.sweep import sweep_step  # noqa: E402
from core.store.database import Store, migrate  # noqa: E402
from core.store.models import Buyer, Company, Order, Product, Warehouse  # noqa: E402

NOW = datetime(2026, 11, 26, 3, 0, tzinfo=UTC)
PRODUCTS = 60
POSTGRES_URL = os.environ.get("KOPRA_BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


def rows(orders: int, overdue: int, seed: int = 7, layout: str = "placed"):
    """Orders (1 line each): `overdue` pending past their deadline, 5% pending not yet due, the rest completed.

    layout "placed": ids in the order the orders were placed, as a store numbers them, so the newest
    orders are the open ones and the overdue ones placed just before those not yet due (an outage's
    backlog). "scattered": every order placed at a random time and the overdue ones drawn from all
    ids, the layout of this bench before 2026-12-01 (it scatters the step's writes over the whole of
    every index it touches, `updated_at`'s most: unlike a real store's, where they cluster at the end)."""
    if layout == "placed":
        yield from _placed_rows(orders, overdue, random.Random(seed))
        return
    rng = random.Random(seed)
    overdue_ids = set(rng.sample(range(1, orders + 1), overdue))
    for order_id in range(1, orders + 1):
        placed = NOW - timedelta(days=rng.randint(2, 400), seconds=rng.randint(0, 86399))
        if order_id in overdue_ids:
            status, deadline = "PENDING_CONFIRMATION", NOW - timedelta(minutes=rng.randint(1, 4000))
        elif rng.random() < 0.05:
            status, deadline, placed = "PENDING_CONFIRMATION", NOW + timedelta(hours=rng.randint(1, 30)), NOW
        else:
            status, deadline = "COMPLETED", placed + timedelta(days=1)
        product = rng.randint(1, PRODUCTS)
        quantity = rng.randint(1, 5)
        yield order_id, status, placed, deadline, product, quantity


def _placed_rows(orders: int, overdue: int, rng: random.Random):
    waiting = orders // 20  # pending, not yet due: the newest
    backlog_start = orders - waiting - overdue
    span = timedelta(days=400)
    for order_id in range(1, orders + 1):
        product, quantity = rng.randint(1, PRODUCTS), rng.randint(1, 5)
        if order_id > orders - waiting:
            placed = NOW - timedelta(hours=1) * (orders - order_id + 1) / waiting
            yield order_id, "PENDING_CONFIRMATION", placed, placed + timedelta(days=1), product, quantity
        elif order_id > backlog_start:  # the backlog's deadlines passed over the last 4,000 minutes
            deadline = NOW - timedelta(minutes=4000) * (orders - waiting - order_id + 1) / overdue
            yield order_id, "PENDING_CONFIRMATION", deadline - timedelta(days=1), deadline, product, quantity
        else:
            placed = NOW - timedelta(days=3) - span * (backlog_start - order_id) / backlog_start
            yield order_id, "COMPLETED", placed, placed + timedelta(days=1), product, quantity


def _naive_utc(moment: datetime) -> datetime:
    return moment.astimezone(UTC).replace(tzinfo=None)


def build(store: Store, orders: int, overdue: int, layout: str = "placed") -> None:
    with store.transaction() as session:
        session.add(
            Company(id=1, company_code="BENCH01", name="Bench", is_whitelisted=True, created_at=NOW, updated_at=NOW)
        )
        session.add(
            Warehouse(
                id=1,
                company_id=1,
                code="W1",
                name="W1",
                time_zone="Asia/Jakarta",
                opens_at=clock_time(8),
                closes_at=clock_time(17),
                created_at=NOW,
                updated_at=NOW,
            )
        )
        session.add(Buyer(id=1, buyer_code="B1", name="Buyer", created_at=NOW))
        session.flush()
        session.add_all(
            [
                Product(id=p, company_id=1, sku=f"SKU-{p}", name=f"SKU-{p}", created_at=NOW, updated_at=NOW)
                for p in range(1, PRODUCTS + 1)
            ]
        )
    reserved = [0] * (PRODUCTS + 1)
    order_rows, item_rows = [], []
    for order_id, status, placed, deadline, product, quantity in rows(orders, overdue, layout=layout):
        amount = quantity * 10_000
        order_rows.append(
            (
                order_id,
                f"KP-{order_id:08d}",
                status,
                amount,
                quantity,
                _naive_utc(placed),
                _naive_utc(deadline),
                _naive_utc(placed),
            )
        )
        item_rows.append((order_id, order_id, product, f"SKU-{product}", quantity, amount))
        if status == "PENDING_CONFIRMATION":
            reserved[product] += quantity
    _load(store, order_rows, item_rows, reserved)


def _load(store: Store, order_rows, item_rows, reserved) -> None:
    order_sql = (
        "INSERT INTO orders (id, order_number, company_id, warehouse_id, buyer_id, status, total_amount, "
        "item_count, placed_at, confirm_deadline, updated_at) VALUES "
    )
    item_sql = (
        "INSERT INTO order_items (id, order_id, product_id, sku, product_name, quantity, unit_price, "
        "line_total) VALUES "
    )
    raw = store.engine.raw_connection()
    try:
        cursor = raw.cursor()
        if store.backend == "sqlite":
            cursor.execute("BEGIN")
            cursor.executemany(order_sql + "(?, ?, 1, 1, 1, ?, ?, ?, ?, ?, ?)", order_rows)
            cursor.executemany(item_sql + "(?, ?, ?, ?, 'Product', ?, 10000, ?)", item_rows)
        else:
            with cursor.copy(
                "COPY orders (id, order_number, company_id, warehouse_id, buyer_id, status, total_amount, "
                "item_count, placed_at, confirm_deadline, updated_at) FROM STDIN"
            ) as copy:
                for oid, number, status, amount, qty, placed, deadline, updated in order_rows:
                    copy.write_row((oid, number, 1, 1, 1, status, amount, qty, placed, deadline, updated))
            with cursor.copy(
                "COPY order_items (id, order_id, product_id, sku, product_name, quantity, unit_price, "
                "line_total) FROM STDIN"
            ) as copy:
                for iid, oid, product, sku, qty, total in item_rows:
                    copy.write_row((iid, oid, product, sku, "Product", qty, 10000, total))
            cursor.execute("SELECT setval('orders_id_seq', (SELECT max(id) FROM orders))")
            cursor.execute("SELECT setval('order_items_id_seq', (SELECT max(id) FROM order_items))")
        stock = [(p, p, 10**9, reserved[p], 10_000, _naive_utc(NOW)) for p in range(1, PRODUCTS + 1)]
        placeholder = "?" if store.backend == "sqlite" else "%s"
        cursor.executemany(
            "INSERT INTO stock_levels (id, product_id, warehouse_id, on_hand, reserved, price, updated_at) "
            f"VALUES ({placeholder}, {placeholder}, 1, {placeholder}, {placeholder}, {placeholder}, "
            f"{placeholder})",
            stock,
        )
        raw.commit()
        cursor.execute("ANALYZE")
        raw.commit()
    finally:
        raw.close()


def due_ids(store: Store, limit: int | None = None) -> list[int]:
    query = (
        select(Order.id)
        .where(Order.status == OrderStatus.PENDING_CONFIRMATION, Order.confirm_deadline <= NOW)
        .order_by(Order.confirm_deadline)
    )
    with store.reading() as session:
        return list(session.scalars(query.limit(limit) if limit else query))


def time_sweep(store: Store) -> tuple[float, int]:
    started = time.perf_counter()
    moved = sweep_step(store, TRANSITIONS[Step.AUTO_CANCEL], NOW)
    return time.perf_counter() - started, moved


def time_bare_update(store: Store) -> tuple[float, int]:
    started = time.perf_counter()
    with store.transaction() as session:
        moved = session.execute(
            text(
                "UPDATE orders SET status = 'CANCELLED' "
                "WHERE status = 'PENDING_CONFIRMATION' AND confirm_deadline <= :now"
            ),
            {"now": NOW if store.backend == "postgresql" else _naive_utc(NOW)},
        ).rowcount
    return time.perf_counter() - started, moved


def time_naive_loop(store: Store, sample: int) -> tuple[float, int]:
    """What a first version would do: load each order through the ORM, apply the step, commit."""
    ids = due_ids(store, sample)
    started = time.perf_counter()
    for order_id in ids:
        with store.transaction() as session:
            take_step(session, session.get(Order, order_id), Step.AUTO_CANCEL, now=NOW, by="naive")
    return time.perf_counter() - started, len(ids)


class SqliteCopies:
    def __init__(self, orders: int, overdue: int, folder: Path, layout: str):
        self.template = folder / "template.sqlite3"
        store = Store(f"sqlite:///{self.template}")
        migrate(store)
        build(store, orders, overdue, layout)
        store.dispose()
        self.folder = folder

    def fresh(self) -> Store:
        path = self.folder / f"copy-{uuid.uuid4().hex[:6]}.sqlite3"
        shutil.copy(self.template, path)
        return Store(f"sqlite:///{path}")

    def discard(self, store: Store) -> None:
        store.dispose()
        path = Path(store.engine.url.database or "")
        for leftover in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
            leftover.unlink(missing_ok=True)


class PostgresCopies:
    def __init__(self, orders: int, overdue: int, layout: str):
        self.admin = create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
        self.base = POSTGRES_URL.rsplit("/", 1)[0]
        self.names: list[str] = []
        self.template = self._create()
        store = Store(f"{self.base}/{self.template}")
        migrate(store)
        build(store, orders, overdue, layout)
        store.dispose()

    def _create(self, template: str | None = None) -> str:
        name = f"kopra_bench_{uuid.uuid4().hex[:10]}"
        with self.admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"' + (f' TEMPLATE "{template}"' if template else "")))
        self.names.append(name)
        return name

    def fresh(self) -> Store:
        return Store(f"{self.base}/{self._create(self.template)}")

    def discard(self, store: Store) -> None:
        store.dispose()  # dropped with the rest at the end

    def drop_all(self) -> None:
        with self.admin.connect() as conn:
            for name in self.names:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        self.admin.dispose()


def measure(copies, sample: int, label: str, runs: int) -> dict:
    """The sweep and the bare UPDATE `runs` times each on fresh copies, by turns (the machine's speed
    drifts within minutes), then their medians; the naive loop once, on a sample."""
    figures: dict = {}
    timers = {"sweep": time_sweep, "bare_update": time_bare_update}
    times: dict[str, list[float]] = {name: [] for name in timers}
    for run in range(runs):
        for name in list(timers) if run % 2 == 0 else list(timers)[::-1]:
            store = copies.fresh()
            seconds, moved = timers[name](store)
            copies.discard(store)
            times[name].append(round(seconds, 3))
            figures[f"{name}_{label}_rows"] = moved
            print(f"{label:>8}  {name:<12} {seconds:8.2f} s for {moved:,} orders", flush=True)
    for name, seconds in times.items():
        figures[f"{name}_{label}_s"] = round(statistics.median(seconds), 3)
        figures[f"{name}_{label}_runs_s"] = seconds
    store = copies.fresh()
    seconds, done = time_naive_loop(store, sample)
    copies.discard(store)
    scaled = seconds * figures[f"sweep_{label}_rows"] / max(done, 1)
    figures[f"naive_{label}_s_scaled"] = round(scaled, 1)
    figures[f"naive_vs_sweep_ratio_{label}"] = round(scaled / figures[f"sweep_{label}_s"], 1)
    figures[f"sweep_vs_bare_ratio_{label}"] = round(figures[f"sweep_{label}_s"] / figures[f"bare_update_{label}_s"], 2)
    print(f"{label:>8}  naive loop   {seconds:8.2f} s for a sample of {done:,} -> {scaled:,.0f} s scaled", flush=True)
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--orders", type=int, default=1_000_000)
    parser.add_argument("--overdue", type=int, default=100_000)
    parser.add_argument("--sample", type=int, default=2_000, help="rows timed for the naive loop, then scaled")
    parser.add_argument("--skip-postgres", action="store_true")
    parser.add_argument("--runs", type=int, default=3, help="sweeps and bare UPDATEs timed, by turns (median)")
    parser.add_argument(
        "--layout",
        choices=("placed", "scattered"),
        default="placed",
        help="ids in placing order with the backlog at the end (default), or the earlier random layout",
    )
    args = parser.parse_args()
    figures: dict = {"orders": args.orders, "transitions": args.overdue, "layout": args.layout}
    with tempfile.TemporaryDirectory(prefix="kopra-bench-", dir=os.environ.get("KOPRA_BENCH_DIR")) as folder:
        started = time.perf_counter()
        sqlite = SqliteCopies(args.orders, args.overdue, Path(folder), args.layout)
        print(f"built the SQLite store in {time.perf_counter() - started:.1f} s", flush=True)
        figures |= measure(sqlite, args.sample, "sqlite", args.runs)
    if not args.skip_postgres:
        started = time.perf_counter()
        postgres = PostgresCopies(args.orders, args.overdue, args.layout)
        print(f"built the PostgreSQL store in {time.perf_counter() - started:.1f} s", flush=True)
        try:
            figures |= measure(postgres, args.sample, "postgres", args.runs)
        finally:
            postgres.drop_all()
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
