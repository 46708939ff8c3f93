"""Feeding the analytics store from the transactional store: incremental sync and full rebuild.

One writer at a time (`AnalyticsStore.writer_lock`), whoever runs it: the scheduler's sweep
(`make_sync_rule`), the on-demand refresh (`python -m jobs.analytics sync`) or an operator's rebuild.

The watermark, and why no late commit is lost
---------------------------------------------
Each slot remembers `watermark`: the newest `orders.updated_at` it has taken in (never later than
the clock of the sync that read it). The next sync of that slot re-reads every order with
`updated_at >= min(watermark, now) - SAFETY_WINDOW` and upserts it (MERGE by id, so
reading a row twice is harmless). A transaction stamps `updated_at` from its clock *before* it
commits; if it commits after a sync's snapshot, its `updated_at` is still at least
`commit time - T` where T is the longest time between a writer reading its clock and committing
(on SQLite bounded by the 30 s busy timeout plus the transaction itself). A sync's watermark is
never later than its own start, which is before its snapshot, so with SAFETY_WINDOW >= T the row
falls inside the next sync's window. A sweep run "as if it were" an earlier time (`--now`) stamps
rows with that time: `min(watermark, now)` widens the window back to it.
Payouts turn PAID without touching their order: the sync also re-reads every payout that is
still PENDING in the slot, by id, and every payout created inside the window.
"""
from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import time
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Callable
from zoneinfo import ZoneInfo

import duckdb
import pyarrow as pa

from core.orders.lifecycle import SELLER_DEADLINES
from core.analytics.snapshots import (
    SCHEMA_VERSION,
    SLOTS,
    AnalyticsBusy,
    AnalyticsStore,
    read_info,
)
from core.analytics.reader_process import read_changes
from core.analytics.source import SourceBatch, adbc_target, orders_in_sqlite, read_batch
from core.warehouses.business_time import INDONESIAN_TIME_ZONES
from core.clock import require_aware
from core.config import PROJECT_ROOT, parse_database_url
from core.domain import OrderStatus
from core.store.database import Store

#: Re-read this far before the watermark on every sync (see the module's docstring).
SAFETY_WINDOW = timedelta(minutes=15)
#: How long a writer waits for readers of the slot it wants to write (they finish within a run).
CLAIM_WAIT_S = 30.0

SCHEMA_SQL = """
CREATE TABLE sync_state (
    schema_version INTEGER, generation BIGINT, epoch BIGINT, synced_at TIMESTAMP, watermark TIMESTAMP,
    mode VARCHAR, source VARCHAR, source_url VARCHAR, orders BIGINT, sync_ms DOUBLE
);
CREATE TABLE companies (id BIGINT, company_code VARCHAR, name VARCHAR);
CREATE TABLE warehouses (
    id BIGINT, company_id BIGINT, code VARCHAR, name VARCHAR, time_zone VARCHAR,
    zone_abbr VARCHAR, utc_offset_min INTEGER
);
CREATE TABLE products (id BIGINT, company_id BIGINT, sku VARCHAR, name VARCHAR);
CREATE TABLE buyers (id BIGINT, buyer_code VARCHAR, name VARCHAR, city VARCHAR);
CREATE TABLE orders (
    id BIGINT, order_number VARCHAR, company_id BIGINT, warehouse_id BIGINT, buyer_id BIGINT,
    status VARCHAR, total_amount BIGINT, item_count BIGINT,  -- units over the order's lines
    placed_at TIMESTAMP, accepted_at TIMESTAMP, packed_at TIMESTAMP, shipped_at TIMESTAMP,
    delivered_at TIMESTAMP, completed_at TIMESTAMP,
    confirm_deadline TIMESTAMP, pack_deadline TIMESTAMP, delivery_deadline TIMESTAMP,
    complaint_deadline TIMESTAMP,
    failure_kind VARCHAR, updated_at TIMESTAMP,
    utc_offset_min INTEGER,        -- the warehouse's offset: local = UTC + offset
    placed_day DATE,               -- local date of placed_at at the warehouse
    completed_day DATE,            -- local date of completed_at at the warehouse
    has_complaint BOOLEAN, refund_amount BIGINT, refunded_at TIMESTAMP,
    payout_id BIGINT, payout_status VARCHAR, payout_amount BIGINT, payout_paid_at TIMESTAMP
);
CREATE TABLE sales_lines (          -- one row per line of a COMPLETED order
    item_id BIGINT, order_id BIGINT, order_number VARCHAR, company_id BIGINT, warehouse_id BIGINT,
    buyer_id BIGINT, product_id BIGINT, sku VARCHAR, product_name VARCHAR, quantity BIGINT,
    unit_price BIGINT, line_total BIGINT, order_total BIGINT, placed_at TIMESTAMP,
    completed_at TIMESTAMP, completed_day DATE, utc_offset_min INTEGER
);
CREATE TABLE dimension_state (name VARCHAR, fingerprint VARCHAR);  -- what each small table was built from
CREATE TABLE open_orders (          -- orders waiting for the seller, with the deadline that matters
    id BIGINT, order_number VARCHAR, company_id BIGINT, warehouse_id BIGINT, buyer_id BIGINT,
    status VARCHAR, total_amount BIGINT, deadline TIMESTAMP
);
"""

#: Open orders waiting for the seller, and the deadline that matters in each state (the lifecycle's
#: table, the one Sales Management uses).
ACTION_DEADLINES: dict[str, str] = {status.value: column for status, column in SELLER_DEADLINES.items()}

#: The columns of the analytics `orders` table, in its order (SCHEMA_SQL).
ORDER_TABLE_COLUMNS = (
    "id", "order_number", "company_id", "warehouse_id", "buyer_id", "status", "total_amount", "item_count",
    "placed_at", "accepted_at", "packed_at", "shipped_at", "delivered_at", "completed_at",
    "confirm_deadline", "pack_deadline", "delivery_deadline", "complaint_deadline", "failure_kind", "updated_at",
    "utc_offset_min", "placed_day", "completed_day", "has_complaint", "refund_amount", "refunded_at",
    "payout_id", "payout_status", "payout_amount", "payout_paid_at",
)

#: The batch's orders as rows of the analytics `orders` table (every column named, in order).
_PREPARED_ORDERS = f"""
    SELECT {", ".join(f"o.{column}" for column in ORDER_TABLE_COLUMNS[:20])},
           w.utc_offset_min AS utc_offset_min,
           CAST(o.placed_at + to_minutes(coalesce(w.utc_offset_min, 0)) AS DATE) AS placed_day,
           CAST(o.completed_at + to_minutes(coalesce(w.utc_offset_min, 0)) AS DATE) AS completed_day,
           c.order_id IS NOT NULL AS has_complaint,
           r.amount AS refund_amount, r.created_at AS refunded_at,
           p.id AS payout_id, p.status AS payout_status, p.amount AS payout_amount, p.paid_at AS payout_paid_at
    FROM src_orders o
    LEFT JOIN warehouses w ON w.id = o.warehouse_id
    LEFT JOIN src_complaints c ON c.order_id = o.id
    LEFT JOIN src_refunds r ON r.order_id = o.id
    LEFT JOIN src_payouts p ON p.order_id = o.id
"""

COMPLETED = OrderStatus.COMPLETED.value


@dataclass(frozen=True)
class SyncResult:
    mode: str  # "incremental" or "rebuild"
    slot: str
    generation: int
    changed_orders: int
    sales_lines: int
    payouts: int
    lower_bound: datetime | None
    watermark: datetime | None
    read_ms: float
    write_ms: float
    total_ms: float
    orders_total: int
    steps_ms: dict[str, float] = field(default_factory=dict)

    def summary(self) -> dict:
        data = asdict(self)
        for key in ("lower_bound", "watermark"):
            data[key] = data[key].isoformat() if data[key] else None
        return data


# --------------------------------------------------------------------------- helpers


def _naive_utc(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    return require_aware(value, "time").replace(tzinfo=None)


def _safe_url(database_url: str) -> str:
    return parse_database_url(database_url).render_as_string(hide_password=True)


def _warehouses_with_zone(warehouses: pa.Table, at: datetime) -> pa.Table:
    zones = warehouses.column("time_zone").to_pylist()
    abbrs, offsets = [], []
    for zone in zones:
        try:
            tz = ZoneInfo(zone)
        except Exception:  # an unknown zone name: show it as UTC rather than fail the sync
            tz = timezone.utc
        offset = at.astimezone(tz).utcoffset() or timedelta(0)
        offsets.append(int(offset.total_seconds() // 60))
        abbrs.append(INDONESIAN_TIME_ZONES.get(zone, zone))
    return (warehouses.append_column("zone_abbr", pa.array(abbrs, pa.string()))
            .append_column("utc_offset_min", pa.array(offsets, pa.int32())))


def _fingerprint(table: pa.Table) -> str:
    """A digest of a small table's content, to tell whether it changed since the last sync."""
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, table.schema) as writer:
        writer.write_table(table.combine_chunks())
    return hashlib.sha256(sink.getvalue().to_pybytes()).hexdigest()


def _other(slot: str) -> str:
    return SLOTS[1] if slot == SLOTS[0] else SLOTS[0]


def _slot_state(con: duckdb.DuckDBPyConnection) -> tuple[int, int, str] | None:
    """(schema_version, epoch, source_url) of an open slot, or None if it is not a usable slot."""
    try:
        row = con.execute("SELECT schema_version, epoch, source_url FROM sync_state").fetchone()
    except duckdb.Error:
        return None
    return (int(row[0]), int(row[1]), row[2]) if row else None


# --------------------------------------------------------------------------- applying a batch


def apply_batch(con: duckdb.DuckDBPyConnection, batch: SourceBatch, *, at: datetime, full: bool,
                timings: dict[str, float] | None = None) -> None:
    """Upsert one batch into an open slot, in one DuckDB transaction (caller commits).

    `full`: the batch is the whole store going into empty tables (a rebuild): nothing to delete."""
    timings = {} if timings is None else timings
    clock = [time.perf_counter()]

    def step(name: str) -> None:
        now_ = time.perf_counter()
        timings[name] = round((now_ - clock[0]) * 1000, 2)
        clock[0] = now_

    names = {
        "src_orders": batch.orders, "src_items": batch.items, "src_complaints": batch.complaints,
        "src_refunds": batch.refunds, "src_payouts": batch.payouts, "src_companies": batch.companies,
        "src_warehouses": _warehouses_with_zone(batch.warehouses, at), "src_products": batch.products,
        "src_buyers": batch.buyers,
    }
    for name, table in names.items():
        con.register(name, table)
    try:
        # The small tables are read whole every sync and rewritten only when they changed (by a
        # fingerprint of what was read). A warehouse whose zone offset changed moves its local dates.
        known = dict(con.execute("SELECT name, fingerprint FROM dimension_state").fetchall())
        moved: list[int] = []
        for dim in ("companies", "warehouses", "products", "buyers"):
            fingerprint = _fingerprint(names[f"src_{dim}"])
            if known.get(dim) == fingerprint:
                continue
            if dim == "warehouses":
                moved = [row[0] for row in con.execute("""
                    SELECT s.id FROM src_warehouses s JOIN warehouses w ON w.id = s.id
                    WHERE w.utc_offset_min IS DISTINCT FROM s.utc_offset_min""").fetchall()]
            con.execute(f"DELETE FROM {dim}")
            con.execute(f"INSERT INTO {dim} SELECT * FROM src_{dim}")
            con.execute("DELETE FROM dimension_state WHERE name = ?", [dim])
            con.execute("INSERT INTO dimension_state VALUES (?, ?)", [dim, fingerprint])
        step("dimensions")
        # Sorted inserts keep each table in time order, so DuckDB's per-block min/max (zone maps)
        # skip most of it for a period filter, and the export can write rows in the stored order.
        lines = f"""
            SELECT i.id, i.order_id, o.order_number, o.company_id, o.warehouse_id, o.buyer_id,
                   i.product_id, i.sku, i.product_name, i.quantity, i.unit_price, i.line_total,
                   o.total_amount, o.placed_at, o.completed_at,
                   CAST(o.completed_at + to_minutes(coalesce(w.utc_offset_min, 0)) AS DATE),
                   w.utc_offset_min
            FROM src_items i
            JOIN src_orders o ON o.id = i.order_id AND o.status = '{COMPLETED}'
            LEFT JOIN warehouses w ON w.id = o.warehouse_id
        """
        if full:
            con.execute(f"INSERT INTO orders {_PREPARED_ORDERS} ORDER BY o.placed_at, o.id")
            step("orders")
            con.execute(f"INSERT INTO sales_lines {lines} ORDER BY o.completed_at, i.order_id, i.id")
            step("lines")
        else:
            # Lines first, while `orders` still holds each order's previous status: an order's
            # lines go in once, when it is first seen COMPLETED. That holds because no lifecycle
            # step leaves COMPLETED (core.orders.lifecycle; a test reads the transition table for it).
            con.execute(f"""
                INSERT INTO sales_lines {lines}
                WHERE o.id NOT IN (SELECT x.id FROM orders x
                                   WHERE x.status = '{COMPLETED}' AND x.id IN (SELECT id FROM src_orders))
                ORDER BY o.completed_at, i.order_id, i.id
            """)
            step("lines")
            # Orders change in place (MERGE: update the known, insert the new). Deleting and
            # re-inserting them left deleted rows that DuckDB vacuums at checkpoint: one sync in
            # three took 450 ms more, and re-inserted orders lost their place in time order.
            assignments = ", ".join(f"{column} = s.{column}" for column in ORDER_TABLE_COLUMNS[1:])
            con.execute(f"""
                MERGE INTO orders USING ({_PREPARED_ORDERS}) AS s ON orders.id = s.id
                WHEN MATCHED THEN UPDATE SET {assignments}
                WHEN NOT MATCHED THEN INSERT BY NAME
            """)
            step("orders")
            # Payouts that changed while their order did not (PENDING -> PAID by the disbursement step).
            con.execute("""
                UPDATE orders SET payout_id = p.id, payout_status = p.status, payout_amount = p.amount,
                                  payout_paid_at = p.paid_at
                FROM src_payouts p
                WHERE orders.id = p.order_id AND p.order_id NOT IN (SELECT id FROM src_orders)
            """)
            step("payouts_update")
        if not full:
            con.execute("DELETE FROM open_orders WHERE id IN (SELECT id FROM src_orders)")
        deadline = " ".join(f"WHEN '{status}' THEN {column}" for status, column in ACTION_DEADLINES.items())
        statuses = ", ".join(f"'{status}'" for status in ACTION_DEADLINES)
        con.execute(f"""
            INSERT INTO open_orders
            SELECT id, order_number, company_id, warehouse_id, buyer_id, status, total_amount,
                   CASE status {deadline} END
            FROM src_orders WHERE status IN ({statuses})
        """)
        step("open_orders")
        # A warehouse whose time zone changed: its local dates move with it.
        if moved:
            ids = ", ".join(str(int(i)) for i in moved)
            con.execute(f"""
                UPDATE orders SET utc_offset_min = w.utc_offset_min,
                       placed_day = CAST(placed_at + to_minutes(w.utc_offset_min) AS DATE),
                       completed_day = CAST(completed_at + to_minutes(w.utc_offset_min) AS DATE)
                FROM warehouses w
                WHERE orders.warehouse_id = w.id AND w.id IN ({ids})
            """)
            con.execute(f"""
                UPDATE sales_lines SET utc_offset_min = w.utc_offset_min,
                       completed_day = CAST(completed_at + to_minutes(w.utc_offset_min) AS DATE)
                FROM warehouses w
                WHERE sales_lines.warehouse_id = w.id AND w.id IN ({ids})
            """)
        step("zone_changes")
    finally:
        for name in names:
            try:
                con.unregister(name)
            except duckdb.Error:  # an aborted transaction refuses even this; the original error matters
                pass


def _write_state(con, *, generation: int, epoch: int, synced_at: datetime, watermark: datetime | None,
                 mode: str, backend: str, source_url: str, sync_ms: float) -> int:
    orders = con.execute("SELECT count(*) FROM orders").fetchone()[0]
    con.execute("DELETE FROM sync_state")
    con.execute("INSERT INTO sync_state VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", [
        SCHEMA_VERSION, generation, epoch, _naive_utc(synced_at), _naive_utc(watermark), mode, backend,
        source_url, orders, sync_ms,
    ])
    return int(orders)


def _commit_checkpointed(con: duckdb.DuckDBPyConnection) -> None:
    """Commit straight into the database file, leaving no WAL behind.

    Readers only ever open a checkpointed slot, so the write-ahead log would be written, synced
    and thrown away at once: with a zero checkpoint threshold DuckDB checkpoints at commit instead
    of writing the log (measured: 27 ms against 35 ms for commit + CHECKPOINT at 10,000 orders).
    The CHECKPOINT after it finds nothing to do (0.5 ms); it stays so that the slot is still
    checkpointed should DuckDB ever decline the automatic one.
    """
    con.execute("SET checkpoint_threshold = '0KB'")
    con.execute("COMMIT")
    con.execute("CHECKPOINT")


def _new_watermark(previous: datetime | None, batch: SourceBatch, now: datetime) -> datetime | None:
    newest = batch.max_updated_at
    if newest is None:
        return previous
    candidate = min(newest, now)  # a row stamped in the future must not push the watermark past now
    return max(previous, candidate) if previous else candidate


# --------------------------------------------------------------------------- the two writers


def rebuild(store: Store, analytics: AnalyticsStore, now: datetime, *, lock_wait_s: float = 0.0,
            claim_wait_s: float = CLAIM_WAIT_S, use_worker: bool | None = None) -> SyncResult:
    """Build a fresh snapshot from the whole store and switch readers to it.

    `use_worker`: read a SQLite store in the worker process (None: when it is large)."""
    now = require_aware(now)
    with analytics.writer_lock(wait_s=lock_wait_s):
        return _rebuild_locked(store, analytics, now, claim_wait_s=claim_wait_s, use_worker=use_worker)


#: From this many orders on, a SQLite store is rebuilt by the worker process (ADBC reads).
REBUILD_WORKER_FROM = 50_000


def build_snapshot_file(path: Path, batch: SourceBatch, *, now: datetime, generation: int, epoch: int,
                        backend: str, source_url: str, started: float,
                        timings: dict[str, float] | None = None) -> tuple[int, datetime | None]:
    """Write a complete snapshot of `batch` (a full read) into a new DuckDB file at `path`."""
    timings = {} if timings is None else timings
    con = duckdb.connect(str(path))
    try:
        con.execute(SCHEMA_SQL)
        con.execute("BEGIN")
        apply_batch(con, batch, at=now, full=True, timings=timings)
        watermark = _new_watermark(None, batch, now)
        orders_total = _write_state(con, generation=generation, epoch=epoch, synced_at=now, watermark=watermark,
                                    mode="rebuild", backend=backend, source_url=source_url,
                                    sync_ms=(time.perf_counter() - started) * 1000)
        t0 = time.perf_counter()
        _commit_checkpointed(con)
        timings["commit_checkpoint"] = round((time.perf_counter() - t0) * 1000, 2)
    finally:
        con.close()
    return orders_total, watermark


def _rebuild_in_worker(store: Store, tmp: Path, now: datetime, generation: int, epoch: int) -> dict:
    """Run core.analytics.rebuild_worker: ADBC's SQLite never shares a process with sqlite3."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(PROJECT_ROOT), env.get("PYTHONPATH")]))
    done = subprocess.run(
        [sys.executable, "-m", "core.analytics.rebuild_worker", str(tmp), now.isoformat(), str(generation), str(epoch)],
        input=store.database_url, cwd=PROJECT_ROOT, env=env, capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"the analytics rebuild worker failed: {done.stderr.strip()[-800:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def _rebuild_locked(store: Store, analytics: AnalyticsStore, now: datetime, *, claim_wait_s: float,
                    use_worker: bool | None = None) -> SyncResult:
    started = time.perf_counter()
    analytics.remove_leftovers()
    pointer = analytics.read_pointer()
    generation = (pointer or {}).get("generation", 0) + 1
    epoch = (pointer or {}).get("epoch", 0) + 1
    target = _other(pointer["slot"]) if pointer else SLOTS[0]
    tmp = analytics.temp_file("rebuild")
    if use_worker is None:
        use_worker = (store.backend == "sqlite"
                      and orders_in_sqlite(adbc_target(store.database_url)[1]) >= REBUILD_WORKER_FROM)
    try:
        if use_worker:
            done = _rebuild_in_worker(store, tmp, now, generation, epoch)
            changed, lines, payouts = done["orders"], done["lines"], done["payouts"]
            orders_total, read_ms = done["orders_total"], done["read_ms"]
            watermark = datetime.fromisoformat(done["watermark"]) if done["watermark"] else None
        else:
            batch = read_batch(store.database_url, None)
            read_ms = batch.read_ms
            changed, lines, payouts = batch.orders.num_rows, batch.items.num_rows, batch.payouts.num_rows
            orders_total, watermark = build_snapshot_file(
                tmp, batch, now=now, generation=generation, epoch=epoch, backend=store.backend,
                source_url=_safe_url(store.database_url), started=started)
        analytics.replace_slot(target, tmp, wait_s=claim_wait_s)
    finally:
        for leftover in (tmp, tmp.with_name(tmp.name + ".wal")):
            if leftover.exists():
                leftover.unlink()
    analytics.write_pointer(slot=target, generation=generation, epoch=epoch)
    total_ms = round((time.perf_counter() - started) * 1000, 1)
    return SyncResult(
        mode="rebuild", slot=target, generation=generation, changed_orders=changed, sales_lines=lines,
        payouts=payouts, lower_bound=None, watermark=watermark, read_ms=round(read_ms, 1),
        write_ms=round(total_ms - read_ms, 1), total_ms=total_ms, orders_total=orders_total,
    )


def sync(store: Store, analytics: AnalyticsStore, now: datetime, *, window: timedelta = SAFETY_WINDOW,
         lock_wait_s: float = 0.0, claim_wait_s: float = CLAIM_WAIT_S,
         after_read: Callable[[], None] | None = None) -> SyncResult:
    """Bring the analytics store up to date with what changed; the first sync builds it whole.

    Raises AnalyticsBusy if another writer holds the lock after `lock_wait_s`, or if readers
    keep the slot to write open longer than `claim_wait_s`. `after_read` is a test hook.
    """
    now = require_aware(now)
    with analytics.writer_lock(wait_s=lock_wait_s):
        pointer = analytics.read_pointer()
        source_url = _safe_url(store.database_url)
        if (not pointer or pointer.get("schema_version") != SCHEMA_VERSION
                or not analytics.slot_path(pointer["slot"]).exists()):
            return _rebuild_locked(store, analytics, now, claim_wait_s=claim_wait_s)
        current, target = pointer["slot"], _other(pointer["slot"])
        started = time.perf_counter()
        if not analytics.slot_path(target).exists():
            analytics.clone_into(current, target, wait_s=claim_wait_s)
        con = analytics.claim(target, wait_s=claim_wait_s)
        try:
            state = _slot_state(con)
            if state != (SCHEMA_VERSION, pointer["epoch"], source_url):
                # Left over from before a rebuild, another schema, or another store: start from current.
                con.close()
                con = None
                analytics.clone_into(current, target, wait_s=claim_wait_s)
                con = analytics.claim(target, wait_s=claim_wait_s)
                if _slot_state(con) != (SCHEMA_VERSION, pointer["epoch"], source_url):
                    con.close()
                    con = None
                    return _rebuild_locked(store, analytics, now, claim_wait_s=claim_wait_s)
            info = read_info(con)
            lower_bound = min(info.watermark, now) - window if info.watermark else None
            pending = [row[0] for row in con.execute(
                "SELECT payout_id FROM orders WHERE payout_status = 'PENDING'").fetchall()]
            steps: dict[str, float] = {}
            clock = [started]

            def step(name: str) -> None:
                moment = time.perf_counter()
                steps[name] = round((moment - clock[0]) * 1000, 1)
                clock[0] = moment

            step("open_slot")
            batch = read_changes(store.database_url, lower_bound, pending, after_read=after_read)
            step("read")
            read_done = time.perf_counter()
            con.execute("BEGIN")
            applied: dict[str, float] = {}
            apply_batch(con, batch, at=now, full=False, timings=applied)
            watermark = _new_watermark(info.watermark, batch, now)
            generation = int(pointer["generation"]) + 1
            orders_total = _write_state(
                con, generation=generation, epoch=int(pointer["epoch"]), synced_at=now, watermark=watermark,
                mode="incremental", backend=store.backend, source_url=source_url,
                sync_ms=(time.perf_counter() - started) * 1000)
            step("apply")
            steps.update({f"apply.{name}": ms for name, ms in applied.items()})
            steps.update({f"read.{name}": ms for name, ms in batch.timings_ms.items()})
            _commit_checkpointed(con)
            step("commit")
        finally:
            if con is not None:
                con.close()
        step("close")
        analytics.write_pointer(slot=target, generation=generation, epoch=int(pointer["epoch"]))
        step("switch")
        write_done = time.perf_counter()
        return SyncResult(
            mode="incremental", slot=target, generation=generation, changed_orders=batch.orders.num_rows,
            sales_lines=batch.items.num_rows, payouts=batch.payouts.num_rows, lower_bound=lower_bound,
            watermark=watermark, read_ms=round((read_done - started) * 1000, 1),
            write_ms=round((write_done - read_done) * 1000, 1),
            total_ms=round((write_done - started) * 1000, 1), orders_total=orders_total, steps_ms=steps,
        )


# --------------------------------------------------------------------------- the scheduler's rule

RULE_NAME = "analytics_sync"


def make_sync_rule(analytics: AnalyticsStore) -> Callable:
    """A sweep rule `rule(store, now, on_action) -> int` that syncs into `analytics`.

    Never waits for another writer (the next sweep retries); returns how many changed orders it
    took in; reports each sync that took something in (and every skip) through `on_action`.
    """

    def rule(store: Store, now: datetime, on_action: Callable[[dict], None]) -> int:
        try:
            result = sync(store, analytics, now, lock_wait_s=0.0)
        except AnalyticsBusy as exc:
            on_action({"rule": RULE_NAME, "action": "analytics_sync_skipped", "reason": exc.message})
            return 0
        if result.changed_orders or result.mode == "rebuild":
            on_action({"rule": RULE_NAME, "action": "analytics_synced", **result.summary()})
        return result.changed_orders

    return rule
