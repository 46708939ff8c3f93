"""A demo store of any size, fast: `python -m jobs.demo --orders 1000000` for benchmarks and for
trying the pages at scale.

Orders are generated a chunk at a time with numpy and written with bulk inserts (ADBC ingest of
Arrow tables: one prepared statement per table and chunk, no Python object per row). Every row is
what the lifecycle would have left: each order gets a fate (accepted fast or slowly, rejected,
ignored until the system cancels it, packed late, cancelled by the buyer past a deadline,
delivered late, complained about and refunded, returned, completed by the buyer or automatically)
and is then cut off at `now`, so the newest orders are still in flight. Deadlines are computed
with the warehouse's real business time (operating days and hours, zone, Indonesian holidays,
cuti bersama, closures) through `BusinessClock` (bulk_clock.py), a vectorised form of
core.warehouses.business_time checked against it in the tests; the fates of each chunk of orders are
drawn in bulk_fates.py and turned into Arrow tables in bulk_rows.py. Items, events, shipments,
complaints, refunds and payouts follow; stock reserved for orders not yet shipped is reserved in
stock_levels.

It never runs SQLAlchemy and ADBC on the same SQLite file at the same time in one process: two
SQLite libraries in one process do not see each other's POSIX locks (sqlite.org/howtocorrupt).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import numpy as np
import pyarrow as pa
from sqlalchemy import func, select, text

from core.demo.bulk_clock import DAY, HOUR, US, BusinessClock, to_micros, zone_offset_us
from core.demo.bulk_fates import Chunk, Context, WarehouseFacts
from core.demo.bulk_rows import order_tables
from core.domain import OrderStatus
from core.store.database import Store
from core.store.models import (
    Buyer,
    Company,
    Complaint,
    Order,
    OrderEvent,
    OrderItem,
    Payout,
    Product,
    Refund,
    Shipment,
    StockLevel,
    User,
    Warehouse,
)
from core.warehouses.operations import calendar_of


@dataclass(frozen=True)
class BulkResult:
    orders: int
    items: int
    events: int
    payouts: int
    refunds: int
    complaints: int
    seconds: float
    by_status: dict[str, int]


def _prepare(
    store: Store, company_code: str, first_day: date, last_day: date, buyers_wanted: int, now: datetime
) -> Context:
    with store.transaction() as session:
        company = session.scalar(select(Company).where(Company.company_code == company_code))
        if company is None:
            raise ValueError(f"there is no company {company_code}; load the demo first")
        warehouses = list(
            session.scalars(select(Warehouse).where(Warehouse.company_id == company.id).order_by(Warehouse.id))
        )
        products = list(session.scalars(select(Product).where(Product.company_id == company.id).order_by(Product.id)))
        if not warehouses or not products:
            raise ValueError(f"company {company_code} needs warehouses and products for orders")
        prices = np.zeros((len(warehouses), len(products)), dtype=np.int64)
        index = {p.id: n for n, p in enumerate(products)}
        for level in session.scalars(select(StockLevel).where(StockLevel.product_id.in_(list(index)))):
            for w, warehouse in enumerate(warehouses):
                if warehouse.id == level.warehouse_id:
                    prices[w, index[level.product_id]] = level.price
        fallback = np.maximum(prices.max(axis=0), 10_000)
        prices = np.where(prices > 0, prices, fallback)
        have = session.scalar(select(func.count()).select_from(Buyer).where(Buyer.is_approved.is_(True))) or 0
        if have < buyers_wanted:
            start = (session.scalar(select(func.max(Buyer.id))) or 0) + 1
            rng = np.random.default_rng(len(products) + have)
            session.add_all(
                [
                    Buyer(
                        buyer_code=f"LVB-{n:07d}",
                        name=f"Toko Grosir {n:07d}",
                        city="Jakarta",
                        address=f"Jl. Pasar Baru No. {n % 200 + 1}",
                        is_approved=True,
                        created_at=now - timedelta(days=int(rng.integers(400, 900))),
                    )
                    for n in range(start, start + buyers_wanted - have)
                ]
            )
            session.flush()
        approved = session.execute(
            select(Buyer.id, Buyer.name, Buyer.phone, Buyer.address, Buyer.city)
            .where(Buyer.is_approved.is_(True))
            .order_by(Buyer.id)
        ).all()
        buyer_ids = np.array([row.id for row in approved], dtype=np.int64)
        buyer_ship_to = {
            f"ship_to_{part}": np.array([getattr(row, part) for row in approved], dtype=object)
            for part in ("name", "phone", "address", "city")
        }
        user = session.scalar(select(User).where(User.company_id == company.id).order_by(User.id))
        weights = [0.55, 0.30, 0.15] + [0.1] * max(0, len(warehouses) - 3)
        result = []
        for n, warehouse in enumerate(warehouses):
            clock = BusinessClock(calendar_of(session, warehouse), first_day, last_day)
            result.append(
                WarehouseFacts(
                    warehouse.id,
                    warehouse.code,
                    warehouse.time_zone,
                    clock,
                    warehouse.processing_days,
                    warehouse.delivery_sla_days,
                    weights[n],
                )
            )
        total = sum(facts.weight for facts in result)
        for facts in result:
            facts.weight /= total
        return Context(
            company_id=company.id,
            company_code=company.company_code,
            user_label=f"{company.company_code}/{user.user_code}" if user else company.company_code,
            user_id=user.id if user else None,
            warehouses=result,
            product_ids=np.array([p.id for p in products], dtype=np.int64),
            product_skus=[p.sku for p in products],
            product_names=[p.name for p in products],
            prices=prices,
            buyer_ids=buyer_ids,
            buyer_ship_to=buyer_ship_to,
            bank=(company.payout_bank_name, company.payout_account_number, company.payout_account_holder),
        )


def _next_ids(store: Store) -> dict[str, int]:
    with store.reading() as session:
        return {
            model.__tablename__: (session.scalar(select(func.max(model.id))) or 0) + 1
            for model in (Order, OrderItem, OrderEvent, Payout, Refund, Complaint, Shipment)
        }


# --------------------------------------------------------------------------- the generator


def _placed_times(rng: np.random.Generator, count: int, now_us: int, days: int, zones: list[str]) -> np.ndarray:
    """Order times over `days` up to now: growing volume, busiest in local business hours."""
    age_days = days * (1 - np.sqrt(rng.random(count)))  # density rises towards now
    day_start = now_us - (age_days.astype(np.int64) + 1) * DAY
    hour = np.clip(rng.normal(13.0, 3.2, count), 0, 23.99)
    offset = zone_offset_us(zones[0])
    local_midnight = ((day_start + offset) // DAY) * DAY - offset
    placed = local_midnight + (hour * HOUR).astype(np.int64) + rng.integers(0, 60 * US, count)
    placed = np.minimum(placed, now_us - rng.integers(1, 3600 * US, count))
    return np.sort(placed)


def generate_bulk(
    store: Store,
    *,
    orders: int,
    company_code: str,
    seed: int,
    now: datetime,
    days: int = 365,
    chunk_size: int = 200_000,
    progress: Callable[[str], None] = lambda _m: None,
    settle: bool = True,
) -> BulkResult:
    """Add `orders` orders of `company_code` placed over the last `days` days before `now`. Without
    `settle`, the store's sequences and planner statistics are left for `settle_store` (one call
    after many companies' orders, not one per company)."""
    if orders < 1:
        raise ValueError("orders must be at least 1")
    started = time.perf_counter()
    rng = np.random.default_rng(seed)
    now_us = to_micros(now)
    first_day = (now - timedelta(days=days + 3)).date()
    last_day = (now + timedelta(days=120)).date()
    ctx = _prepare(store, company_code, first_day, last_day, buyers_wanted=max(52, min(20_000, orders // 200)), now=now)
    ids = _next_ids(store)
    backend = store.backend
    placed_all = _placed_times(rng, orders, now_us, days, [w.zone for w in ctx.warehouses])
    store.dispose()  # no SQLAlchemy connection to the file while ADBC writes it (see the docstring)
    totals = dict(orders=0, items=0, events=0, payouts=0, refunds=0, complaints=0)
    by_status: dict[str, int] = {}
    reserved: dict[tuple[int, int], int] = {}
    connection = _adbc_connect(store)
    try:
        with connection.cursor() as cursor:
            for begin in range(0, orders, chunk_size):
                placed = placed_all[begin : begin + chunk_size]
                chunk = Chunk(ctx, rng, placed, ids["orders"], now_us)
                ids["orders"] += chunk.n
                tables = order_tables(ctx, chunk, ids, backend)
                for name in ("orders", "order_items", "order_events", "shipments", "complaints", "refunds", "payouts"):
                    if tables[name].num_rows:
                        cursor.adbc_ingest(name, _as_columns_of(name, tables[name], backend), mode="append")
                connection.commit()
                totals["orders"] += chunk.n
                totals["items"] += tables["order_items"].num_rows
                totals["events"] += tables["order_events"].num_rows
                totals["payouts"] += tables["payouts"].num_rows
                totals["refunds"] += tables["refunds"].num_rows
                totals["complaints"] += tables["complaints"].num_rows
                for status, count in zip(*np.unique(chunk.status.astype(str), return_counts=True)):
                    by_status[status] = by_status.get(status, 0) + int(count)
                open_mask = np.isin(
                    chunk.status[chunk.line_order].astype(str),
                    [
                        OrderStatus.PENDING_CONFIRMATION.value,
                        OrderStatus.PROCESSING.value,
                        OrderStatus.READY_TO_SHIP.value,
                    ],
                )
                for w, p, q in zip(
                    chunk.w_index[chunk.line_order][open_mask].tolist(),
                    chunk.line_product[open_mask].tolist(),
                    chunk.line_quantity[open_mask].tolist(),
                ):
                    key = (ctx.warehouses[w].id, int(ctx.product_ids[p]))
                    reserved[key] = reserved.get(key, 0) + q
                progress(f"{totals['orders']:,} of {orders:,} orders written ({time.perf_counter() - started:.0f} s)")
    finally:
        connection.close()
    _reserve(store, reserved, now)
    if settle:
        settle_store(store)
    return BulkResult(seconds=round(time.perf_counter() - started, 1), by_status=by_status, **totals)


def _arrow_type(column, backend: str) -> pa.DataType:
    from sqlalchemy import BigInteger, Boolean, DateTime, Integer, LargeBinary

    kind = column.type
    impl = getattr(kind, "impl", kind)
    if isinstance(impl, BigInteger):
        return pa.int64()
    if isinstance(impl, Integer):
        return pa.int32()
    if isinstance(impl, Boolean):
        return pa.int64() if backend == "sqlite" else pa.bool_()
    if isinstance(impl, DateTime):
        return pa.string() if backend == "sqlite" else pa.timestamp("us", tz="UTC")
    if isinstance(impl, LargeBinary):
        return pa.binary()
    return pa.string()


def _as_columns_of(name: str, table: pa.Table, backend: str) -> pa.Table:
    """The exact column types of the store's table (PostgreSQL's binary COPY accepts nothing else)."""
    from core.store.models import Base

    columns = Base.metadata.tables[name].columns
    schema = pa.schema([(c.name, _arrow_type(columns[c.name], backend)) for c in table.schema])
    return table.cast(schema)


def _adbc_connect(store: Store):
    from core.analytics.source import adbc_target

    backend, target = adbc_target(store.database_url)
    if backend == "sqlite":
        import adbc_driver_sqlite.dbapi

        connection = adbc_driver_sqlite.dbapi.connect(target)
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA busy_timeout = 30000")
            cursor.execute("PRAGMA foreign_keys = ON")
        return connection
    import adbc_driver_postgresql.dbapi

    return adbc_driver_postgresql.dbapi.connect(target)


def _reserve(store: Store, reserved: dict[tuple[int, int], int], now: datetime) -> None:
    """Reserve stock for orders not yet shipped."""
    with store.transaction() as session:
        for (warehouse_id, product_id), quantity in reserved.items():
            level = session.scalar(
                select(StockLevel).where(StockLevel.warehouse_id == warehouse_id, StockLevel.product_id == product_id)
            )
            if level is None:
                continue
            level.reserved = level.reserved + quantity
            level.on_hand = max(level.on_hand, level.reserved + 50)
            level.updated_at = now


def settle_store(store: Store) -> None:
    """Let PostgreSQL's sequences and the planner's statistics catch up with rows written in bulk; on
    PostgreSQL also mark the pages all-visible, as autovacuum would soon (an index-only scan of rows
    never vacuumed still reads every row's page)."""
    if store.backend == "postgresql":
        with store.transaction() as session:
            for table in (
                "orders",
                "order_items",
                "order_events",
                "payouts",
                "refunds",
                "complaints",
                "shipments",
                "buyers",
            ):
                session.execute(
                    text(
                        f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                        f"coalesce((SELECT max(id) FROM {table}), 1))"
                    )
                )
    with store.engine.connect() as connection:
        if store.backend == "postgresql":
            connection.execution_options(isolation_level="AUTOCOMMIT").exec_driver_sql("VACUUM ANALYZE")
        else:
            connection.exec_driver_sql("ANALYZE")
            connection.commit()
