"""What one sync reads from the store, as a `SourceBatch` of Arrow tables in the canonical schema.

- `read_batch`: the orders changed since a bound (or every order) with what hangs off them, and
  the small dimension tables, in one snapshot;
- `read_full_parallel`: the whole store, with the order lines read over a second connection at
  the same time (the rebuild worker's read of a large SQLite store).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime

import pyarrow as pa
import pyarrow.compute as pc

from core.analytics.source import SourceReader, open_source


@dataclass
class SourceBatch:
    """What one sync read: changed orders with what hangs off them, and the small dimensions."""

    orders: pa.Table
    items: pa.Table  # lines of orders in `orders` (a full read: only COMPLETED ones; sync keeps only those)
    complaints: pa.Table
    refunds: pa.Table
    payouts: pa.Table
    companies: pa.Table
    warehouses: pa.Table
    products: pa.Table
    buyers: pa.Table
    read_ms: float = 0.0
    timings_ms: dict[str, float] = field(default_factory=dict)

    @property
    def max_updated_at(self) -> datetime | None:
        if self.orders.num_rows == 0:
            return None
        value = pc.max(self.orders["updated_at"]).as_py()
        return value.replace(tzinfo=UTC) if value is not None else None


TABLE_NAMES = ("orders", "items", "complaints", "refunds", "payouts", "companies", "warehouses", "products", "buyers")


def _read_tables(
    src: SourceReader, lower_bound: datetime | None, pending_payout_ids: Iterable[int], timings: dict[str, float]
) -> dict[str, pa.Table]:
    def timed(key: str, fn):
        t0 = time.perf_counter()
        result = fn()
        timings[key] = round((time.perf_counter() - t0) * 1000, 2)
        return result

    tables: dict[str, pa.Table] = {}
    if lower_bound is None:
        tables["orders"] = timed("orders", lambda: src.read("orders"))
        tables["items"] = timed("items", lambda: src.read("items", "o.status = 'COMPLETED'", join_orders=True))
        tables["complaints"] = timed("complaints", lambda: src.read("complaints"))
        tables["refunds"] = timed("refunds", lambda: src.read("refunds"))
        tables["payouts"] = timed("payouts", lambda: src.read("payouts"))
    else:
        bound = src.ts_literal(lower_bound)
        tables["orders"] = timed("orders", lambda: src.read("orders", f"o.updated_at >= {bound}"))
        # Children by the ids just read (same snapshot): lines and payouts exist only for COMPLETED
        # orders; complaints and refunds for any. An id list beats re-running the updated_at range
        # per table, and keeps SQLite's planner on the order_id indexes.
        orders = tables["orders"]
        all_ids = orders.column("id").to_pylist()
        completed = pc.equal(orders.column("status"), "COMPLETED")
        completed_ids = orders.filter(completed).column("id").to_pylist() if orders.num_rows else []
        tables["items"] = timed("items", lambda: src.read("items", src.among("t.order_id", completed_ids)))
        tables["complaints"] = timed("complaints", lambda: src.read("complaints", src.among("t.order_id", all_ids)))
        tables["refunds"] = timed("refunds", lambda: src.read("refunds", src.among("t.order_id", all_ids)))

        def payouts_changed() -> pa.Table:
            wanted = sorted(set(int(i) for i in pending_payout_ids))
            parts = [
                src.read("payouts", src.among("t.order_id", completed_ids)),
                # New payouts whatever their order's clock said; the (status, created_at) index serves it.
                src.read("payouts", f"t.status IN ('PENDING', 'PAID') AND t.created_at >= {bound}"),
                # Payouts still PENDING in the slot: PAID comes without touching the order.
                src.read("payouts", src.among("t.id", wanted)),
            ]
            return _distinct_by_id(pa.concat_tables(parts))

        tables["payouts"] = timed("payouts", payouts_changed)
    for name in ("companies", "warehouses", "products", "buyers"):
        tables[name] = timed(name, lambda name=name: src.read(name))
    return tables


def orders_in_sqlite(path: str) -> int:
    """Roughly how many orders a SQLite store holds (its highest id): a primary-key lookup."""
    import sqlite3

    connection = sqlite3.connect(path, timeout=30)
    try:
        return int(connection.execute("SELECT coalesce(max(id), 0) FROM orders").fetchone()[0])
    finally:
        connection.close()


def read_batch(
    database_url: str,
    lower_bound: datetime | None,
    pending_payout_ids: Iterable[int] = (),
    *,
    after_read: Callable[[], None] | None = None,
    driver: str | None = None,
    canonical: Callable[[str, pa.Table], pa.Table] | None = None,
    target: tuple[str, str] | None = None,
) -> SourceBatch:
    """Everything that changed since `lower_bound` (None: everything), in one snapshot.

    Orders with `updated_at >= lower_bound`; the lines of those that are COMPLETED; their
    complaints, refunds and payouts; payouts created since the bound or still pending in the
    analytics copy (`pending_payout_ids`: a payout turns PAID without touching its order);
    and the whole of the small dimension tables.
    `after_read` is a test hook, called once the snapshot has been read and before it is released;
    `target` is `adbc_target(database_url)`, when the caller has it (see source.open_source).
    """
    started = time.perf_counter()
    timings: dict[str, float] = {}
    with open_source(database_url, driver=driver, target=target) as src:
        if canonical is not None:
            src.canonical = canonical
        tables = _read_tables(src, lower_bound, pending_payout_ids, timings)
        if after_read is not None:
            after_read()
    return SourceBatch(**tables, read_ms=round((time.perf_counter() - started) * 1000, 2), timings_ms=timings)


def _distinct_by_id(table: pa.Table) -> pa.Table:
    if table.num_rows == 0:
        return table
    grouped = table.group_by("id", use_threads=False).aggregate([])
    if grouped.num_rows == table.num_rows:
        return table
    # Same row read twice within one snapshot: identical, keep the first of each id.
    seen: set[int] = set()
    keep = []
    for index, row_id in enumerate(table.column("id").to_pylist()):
        if row_id not in seen:
            seen.add(row_id)
            keep.append(index)
    return table.take(pa.array(keep, pa.int64()))


def read_full_parallel(
    database_url: str, canonical_factory: Callable[[], Callable[[str, pa.Table], pa.Table]]
) -> SourceBatch:
    """The whole store with the order lines read by a second connection at the same time.

    Lines never change once written (they are inserted with their order), and the second read
    begins after the first one has taken its snapshot (its first, small query has run), so it sees the
    lines of every order in that snapshot; lines of orders completed only later are dropped when
    the snapshot is built (only orders COMPLETED in the first snapshot keep their lines). Everything
    that changes (orders, payouts, complaints, refunds) comes from the one first snapshot.
    `canonical_factory` gives each connection its own canonicaliser (e.g. its own DuckDB cursor).
    """
    import threading

    started = time.perf_counter()
    timings: dict[str, float] = {}
    items: dict[str, pa.Table] = {}
    failure: list[BaseException] = []

    def read_items() -> None:
        try:
            t0 = time.perf_counter()
            with open_source(database_url, driver="adbc") as second:
                second.canonical = canonical_factory()
                items["table"] = second.read("items", "o.status = 'COMPLETED'", join_orders=True)
            timings["items"] = round((time.perf_counter() - t0) * 1000, 2)
        except BaseException as exc:  # noqa: BLE001 - re-raised in the caller's thread
            failure.append(exc)

    with open_source(database_url, driver="adbc") as first:
        first.canonical = canonical_factory()
        t0 = time.perf_counter()
        tables = {"companies": first.read("companies")}  # the first query fixes the snapshot
        timings["companies"] = round((time.perf_counter() - t0) * 1000, 2)
        worker = threading.Thread(target=read_items, name="kopra-read-items")
        worker.start()
        for name in ("orders", "complaints", "refunds", "payouts", "warehouses", "products", "buyers"):
            t0 = time.perf_counter()
            tables[name] = first.read(name)
            timings[name] = round((time.perf_counter() - t0) * 1000, 2)
        worker.join()
    if failure:
        raise failure[0]
    tables["items"] = items["table"]
    return SourceBatch(**tables, read_ms=round((time.perf_counter() - started) * 1000, 2), timings_ms=timings)
