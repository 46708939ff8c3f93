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
still PENDING in the slot, by id, and every payout created inside the window; its status, paid
time and transfer reference go onto the order and onto the order's lines (the history's rows).

What a slot holds and how a batch goes into it is core.analytics.tables; what a sync reads is
core.analytics.batches.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from datetime import time as dt_time
from pathlib import Path
from zoneinfo import ZoneInfo

import duckdb

from core.analytics.batches import SourceBatch, orders_in_sqlite, read_batch
from core.analytics.reader_process import read_changes
from core.analytics.snapshots import (
    SCHEMA_VERSION,
    SLOTS,
    AnalyticsBusy,
    AnalyticsStore,
    open_writer,
    read_info,
)
from core.analytics.source import adbc_target
from core.analytics.tables import SCHEMA_SQL, apply_batch, commit_checkpointed, slot_state, write_state
from core.clock import require_aware
from core.config import PROJECT_ROOT, parse_database_url
from core.store.database import Store

#: Re-read this far before the watermark on every sync (see the module's docstring).
SAFETY_WINDOW = timedelta(minutes=15)
#: How long a writer waits for readers of the slot it wants to write (they finish within a run).
CLAIM_WAIT_S = 30.0


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


def safe_url(database_url: str) -> str:
    """The store's URL without its password, as a slot records where it was built from."""
    return parse_database_url(database_url).render_as_string(hide_password=True)


def _other(slot: str) -> str:
    return SLOTS[1] if slot == SLOTS[0] else SLOTS[0]


def _new_watermark(previous: datetime | None, batch: SourceBatch, now: datetime) -> datetime | None:
    newest = batch.max_updated_at
    if newest is None:
        return previous
    candidate = min(newest, now)  # a row stamped in the future must not push the watermark past now
    return max(previous, candidate) if previous else candidate


# --------------------------------------------------------------------------- the two writers


def rebuild(
    store: Store,
    analytics: AnalyticsStore,
    now: datetime,
    *,
    lock_wait_s: float = 0.0,
    claim_wait_s: float = CLAIM_WAIT_S,
    use_worker: bool | None = None,
) -> SyncResult:
    """Build a fresh snapshot from the whole store and switch readers to it.

    `use_worker`: read a SQLite store in the worker process (None: when it is large)."""
    now = require_aware(now)
    with analytics.writer_lock(wait_s=lock_wait_s):
        return _rebuild_locked(store, analytics, now, claim_wait_s=claim_wait_s, use_worker=use_worker)


#: From this many orders on, a SQLite store is rebuilt by the worker process (ADBC reads).
REBUILD_WORKER_FROM = 50_000


def build_snapshot_file(
    path: Path,
    batch: SourceBatch,
    *,
    now: datetime,
    generation: int,
    epoch: int,
    backend: str,
    source_url: str,
    started: float,
    timings: dict[str, float] | None = None,
) -> tuple[int, datetime | None]:
    """Write a complete snapshot of `batch` (a full read) into a new DuckDB file at `path`."""
    timings = {} if timings is None else timings
    con = open_writer(path)
    try:
        con.execute(SCHEMA_SQL)
        con.execute("BEGIN")
        apply_batch(con, batch, at=now, full=True, timings=timings)
        watermark = _new_watermark(None, batch, now)
        orders_total = write_state(
            con,
            generation=generation,
            epoch=epoch,
            synced_at=now,
            watermark=watermark,
            mode="rebuild",
            backend=backend,
            source_url=source_url,
            sync_ms=(time.perf_counter() - started) * 1000,
        )
        t0 = time.perf_counter()
        commit_checkpointed(con)
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
        input=store.database_url,
        cwd=PROJECT_ROOT,
        env=env,
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        raise RuntimeError(f"the analytics rebuild worker failed: {done.stderr.strip()[-800:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def _rebuild_locked(
    store: Store, analytics: AnalyticsStore, now: datetime, *, claim_wait_s: float, use_worker: bool | None = None
) -> SyncResult:
    started = time.perf_counter()
    analytics.remove_leftovers()
    pointer = analytics.read_pointer()
    generation = (pointer or {}).get("generation", 0) + 1
    epoch = (pointer or {}).get("epoch", 0) + 1
    target = _other(pointer["slot"]) if pointer else SLOTS[0]
    tmp = analytics.temp_file("rebuild")
    if use_worker is None:
        use_worker = (
            store.backend == "sqlite" and orders_in_sqlite(adbc_target(store.database_url)[1]) >= REBUILD_WORKER_FROM
        )
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
                tmp,
                batch,
                now=now,
                generation=generation,
                epoch=epoch,
                backend=store.backend,
                source_url=safe_url(store.database_url),
                started=started,
            )
        analytics.replace_slot(target, tmp, wait_s=claim_wait_s)
    finally:
        for leftover in (tmp, tmp.with_name(tmp.name + ".wal")):
            if leftover.exists():
                leftover.unlink()
    analytics.write_pointer(slot=target, generation=generation, epoch=epoch, rebuilt_at=now.isoformat())
    total_ms = round((time.perf_counter() - started) * 1000, 1)
    return SyncResult(
        mode="rebuild",
        slot=target,
        generation=generation,
        changed_orders=changed,
        sales_lines=lines,
        payouts=payouts,
        lower_bound=None,
        watermark=watermark,
        read_ms=round(read_ms, 1),
        write_ms=round(total_ms - read_ms, 1),
        total_ms=total_ms,
        orders_total=orders_total,
    )


def sync(
    store: Store,
    analytics: AnalyticsStore,
    now: datetime,
    *,
    window: timedelta = SAFETY_WINDOW,
    lock_wait_s: float = 0.0,
    claim_wait_s: float = CLAIM_WAIT_S,
    after_read: Callable[[], None] | None = None,
) -> SyncResult:
    """Bring the analytics store up to date with what changed; the first sync builds it whole.

    Raises AnalyticsBusy if another writer holds the lock after `lock_wait_s`, or if readers
    keep the slot to write open longer than `claim_wait_s`. `after_read` is a test hook.
    """
    now = require_aware(now)
    with analytics.writer_lock(wait_s=lock_wait_s):
        pointer = analytics.read_pointer()
        source_url = safe_url(store.database_url)
        if (
            not pointer
            or pointer.get("schema_version") != SCHEMA_VERSION
            or not analytics.slot_path(pointer["slot"]).exists()
        ):
            return _rebuild_locked(store, analytics, now, claim_wait_s=claim_wait_s)
        current, target = pointer["slot"], _other(pointer["slot"])
        started = time.perf_counter()
        if not analytics.slot_path(target).exists():
            analytics.clone_into(current, target, wait_s=claim_wait_s)
        con: duckdb.DuckDBPyConnection | None  # None once closed here, so that `finally` does not close it again
        con = analytics.claim(target, wait_s=claim_wait_s)
        try:
            state = slot_state(con)
            if state != (SCHEMA_VERSION, pointer["epoch"], source_url):
                # Left over from before a rebuild, another schema, or another store: start from current.
                con.close()
                con = None
                analytics.clone_into(current, target, wait_s=claim_wait_s)
                con = analytics.claim(target, wait_s=claim_wait_s)
                if slot_state(con) != (SCHEMA_VERSION, pointer["epoch"], source_url):
                    con.close()
                    con = None
                    return _rebuild_locked(store, analytics, now, claim_wait_s=claim_wait_s)
            info = read_info(con)
            lower_bound = min(info.watermark, now) - window if info.watermark else None
            pending = [
                row[0] for row in con.execute("SELECT payout_id FROM orders WHERE payout_status = 'PENDING'").fetchall()
            ]
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
            orders_total = write_state(
                con,
                generation=generation,
                epoch=int(pointer["epoch"]),
                synced_at=now,
                watermark=watermark,
                mode="incremental",
                backend=store.backend,
                source_url=source_url,
                sync_ms=(time.perf_counter() - started) * 1000,
            )
            step("apply")
            steps.update({f"apply.{name}": ms for name, ms in applied.items()})
            steps.update({f"read.{name}": ms for name, ms in batch.timings_ms.items()})
            commit_checkpointed(con)
            step("commit")
        finally:
            if con is not None:
                con.close()
        step("close")
        analytics.write_pointer(
            slot=target, generation=generation, epoch=int(pointer["epoch"]), rebuilt_at=pointer.get("rebuilt_at")
        )
        step("switch")
        write_done = time.perf_counter()
        return SyncResult(
            mode="incremental",
            slot=target,
            generation=generation,
            changed_orders=batch.orders.num_rows,
            sales_lines=batch.items.num_rows,
            payouts=batch.payouts.num_rows,
            lower_bound=lower_bound,
            watermark=watermark,
            read_ms=round((read_done - started) * 1000, 1),
            write_ms=round((write_done - read_done) * 1000, 1),
            total_ms=round((write_done - started) * 1000, 1),
            orders_total=orders_total,
            steps_ms=steps,
        )


# --------------------------------------------------------------------------- the nightly layout

#: The nightly rebuild's clock: the bank's (Jakarta, WIB). It starts in the first scheduler minute at
#: or after the time set (KOPRA_ANALYTICS_REBUILD_AT, default 02:00), and not later than this after it.
RELAYOUT_ZONE = ZoneInfo("Asia/Jakarta")
RELAYOUT_WINDOW = timedelta(hours=4)


def relayout_due(rebuilt_at: datetime | None, now: datetime, at: dt_time) -> bool:
    """Whether the nightly rebuild should start at `now`: it is within RELAYOUT_WINDOW after the latest
    `at` (WIB) and the snapshot was not built whole since then.

    Why nightly: a rebuild lays the snapshot out by company, then time (core.analytics.tables.LAYOUT),
    so a seller's queries read only that seller's blocks however many sellers share the store
    (bench/multi_tenant.py). A sync appends what changed at the end, in time order across sellers, so
    without a rebuild the part since the last one is read by every seller's queries, and grows. A
    scheduler down all night rebuilds the next night, not in the working day."""
    local = require_aware(now).astimezone(RELAYOUT_ZONE)
    mark = datetime.combine(local.date(), at, RELAYOUT_ZONE)
    if mark > local:
        mark -= timedelta(days=1)
    return local - mark < RELAYOUT_WINDOW and (rebuilt_at is None or rebuilt_at < mark)


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
