"""Finding an order at 1,000,000 orders: one Sales Management page (core.orders.search.find_orders:
the capped count, the page's rows with their shipment, payout and refund) on SQLite and PostgreSQL.

    .venv/bin/python bench/order_search.py                    # 1,000,000 orders of one company
    .venv/bin/python bench/order_search.py --orders 100000    # a quick look

Both stores are made by the bulk demo generator (core.demo.bulk: the demo company's warehouses,
about 5,000 buyers, every status, payouts and refunds) in fresh temporary stores. Each case is the
median of --runs calls after one warm-up. The same-run baseline is what a first version would do:
one query sorting every order of the company by (open first, deadline, placed) with an exact
count(*). Goal: every page under 100 ms on both. Ends with one JSON line of the figures.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import case, create_engine, func, select, text  # noqa: E402

from core.acting import Actor  # noqa: E402
from core.demo.bulk import generate_bulk  # noqa: E402
from core.demo.seed import DEMO_COMPANY_CODE, load_demo  # noqa: E402
from core.domain import Role  # noqa: E402
from core.orders.lifecycle import WAITING  # noqa: E402
from core.orders.search import OrderQuery, Sort, find_orders, stage_counts  # noqa: E402
from core.orders.views import deadline_that_matters  # noqa: E402
from core.store.database import Store, migrate  # noqa: E402
from core.store.models import Buyer, Company, Order, OrderItem, Product, User, Warehouse  # noqa: E402

POSTGRES_URL = os.environ.get("KOPRA_BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
GOAL_MS = 100


def make_store(url: str, orders: int, now: datetime) -> Store:
    store = Store(url)
    migrate(store)
    load_demo(store, seed=2026, now=now - timedelta(days=400), history_days=0)
    started = time.perf_counter()
    generate_bulk(store, orders=orders, company_code=DEMO_COMPANY_CODE, seed=2026, now=now)
    print(f"  {store.backend}: {orders:,} orders generated in {time.perf_counter() - started:.0f} s", flush=True)
    return store


def pm_of(store: Store) -> Actor:
    with store.reading() as session:
        company = session.scalar(select(Company).where(Company.company_code == DEMO_COMPANY_CODE))
        user = session.scalar(select(User).where(User.company_id == company.id, User.user_code == "pm"))
        return Actor(user.id, company.id, DEMO_COMPANY_CODE, "pm", Role.PRODUCT_MANAGER)


def cases(store: Store, actor: Actor, now: datetime) -> dict[str, OrderQuery]:
    """What staff ask for all day, with search values taken from the store itself."""
    with store.reading() as session:
        middle = session.scalar(select(func.max(Order.id)).where(Order.company_id == actor.company_id)) // 2
        number = session.scalar(select(Order.order_number).where(Order.id >= middle).order_by(Order.id).limit(1))
        buyer = session.scalar(
            select(Buyer.name).join(Order, Order.buyer_id == Buyer.id).where(Order.id >= middle).limit(1)
        )
        sku = session.scalar(
            select(Product.sku)
            .join(OrderItem, OrderItem.product_id == Product.id)
            .where(OrderItem.order_id >= middle)
            .limit(1)
        )
        warehouse = session.scalar(select(Warehouse.code).where(Warehouse.company_id == actor.company_id).limit(1))
    today = now.date()
    return {
        "new_by_deadline": OrderQuery(stage="new"),
        "processing_by_deadline": OrderQuery(stage="processing"),  # the bulk demo's largest open stage
        "all_by_deadline": OrderQuery(),
        "all_by_deadline_page_20": OrderQuery(page=20),
        "all_by_placed": OrderQuery(sort=Sort.PLACED),
        "all_by_total": OrderQuery(sort=Sort.TOTAL),
        "finished_by_deadline": OrderQuery(stage="finished"),
        "failed_last_30_days": OrderQuery(stage="failed", placed_from=today - timedelta(days=29), placed_to=today),
        "warehouse_this_month": OrderQuery(warehouse_code=warehouse, placed_from=today.replace(day=1), placed_to=today),
        "order_number": OrderQuery(text=number),
        "buyer_name": OrderQuery(text=buyer),
        "sku": OrderQuery(text=sku),
    }


def naive_page(store: Store, actor: Actor) -> None:
    """The baseline: every order of the company sorted in one query, and an exact count."""
    deadline = deadline_that_matters()
    is_open = case((Order.status.in_(list(WAITING)), 0), else_=1)
    with store.reading() as session:
        session.scalar(select(func.count()).select_from(Order).where(Order.company_id == actor.company_id))
        session.execute(
            select(Order, deadline, Warehouse.code, Buyer.name)
            .join(Warehouse, Warehouse.id == Order.warehouse_id)
            .join(Buyer, Buyer.id == Order.buyer_id)
            .where(Order.company_id == actor.company_id)
            .order_by(is_open, deadline, Order.placed_at.desc())
            .limit(50)
        ).all()


def median_ms(fn, runs: int) -> float:
    fn()  # warm-up: caches and the planner
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        fn()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def measure(store: Store, now: datetime, runs: int) -> dict[str, float]:
    actor = pm_of(store)
    figures: dict[str, float] = {}
    for name, query in cases(store, actor, now).items():
        figures[name] = median_ms(lambda q=query: find_orders(store, actor, q), runs)
        found = find_orders(store, actor, query)
        shown = f"more than {found.total - 1:,}" if found.more_than_cap else f"{found.total:,}"
        print(f"  {name:<26} {figures[name]:>8.1f} ms   {len(found.rows):>3} rows of {shown}", flush=True)
    figures["stage_counts"] = median_ms(lambda: stage_counts(store, actor), runs)
    print(f"  {'stage_counts (8 stages)':<26} {figures['stage_counts']:>8.1f} ms", flush=True)
    figures["baseline_one_sort"] = median_ms(lambda: naive_page(store, actor), max(1, runs // 2))
    print(f"  {'baseline: one sort':<26} {figures['baseline_one_sort']:>8.1f} ms", flush=True)
    return figures


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    now = datetime.now(UTC).replace(microsecond=0)
    results: dict[str, dict[str, float]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        print(f"SQLite, {args.orders:,} orders:", flush=True)
        store = make_store(f"sqlite:///{Path(tmp) / 'kopra.sqlite3'}", args.orders, now)
        results["sqlite"] = measure(store, now, args.runs)
        store.dispose()
    name = f"kopra_bench_search_{uuid.uuid4().hex[:8]}"
    admin = create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        print(f"PostgreSQL, {args.orders:,} orders:", flush=True)
        store = make_store(POSTGRES_URL.rsplit("/", 1)[0] + f"/{name}", args.orders, now)
        results["postgres"] = measure(store, now, args.runs)
        store.dispose()
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
    pages = {
        db: max(v for k, v in figures.items() if k not in ("stage_counts", "baseline_one_sort"))
        for db, figures in results.items()
    }
    for db, worst in pages.items():
        print(
            f"{db}: slowest page {worst:.1f} ms (goal {GOAL_MS} ms: {'met' if worst < GOAL_MS else 'NOT met'}); "
            f"baseline {results[db]['baseline_one_sort']:.1f} ms"
        )
    summary = {
        "orders": args.orders,
        "order_search_page_ms_sqlite": round(pages["sqlite"], 1),
        "order_search_page_ms_postgres": round(pages["postgres"], 1),
        **{f"{db}_{k}_ms": round(v, 1) for db, figures in results.items() for k, v in figures.items()},
        "load_average": round(os.getloadavg()[0], 2),
        "date": date.today().isoformat(),
    }
    print(json.dumps(summary))
    return 0 if all(worst < GOAL_MS for worst in pages.values()) else 2


if __name__ == "__main__":
    raise SystemExit(main())
