"""The analytics store on disk: two DuckDB files, a pointer, and a writer lock.

A DuckDB file admits one writing process, and while it is open for writing no other process may
even read it. So the UI never reads the file that is being written:

    <analytics_dir>/analytics-a.duckdb   two slots: one is current (readers), the other is the
    <analytics_dir>/analytics-b.duckdb   writer's: it is brought up to date, then becomes current
    <analytics_dir>/CURRENT.json         which slot is current, written atomically (os.replace)
    <analytics_dir>/writer.lock          flock: one writer at a time (scheduler, refresh, rebuild)

Readers (each process keeps one read-only connection to the current slot and hands each unit of
work, a script run, a cursor of it) take no write lock and never see a half-written file: the
pointer only ever names a slot whose writer has committed, checkpointed and closed it. The writer
takes the lock, opens the *other* slot for writing (DuckDB refuses while a reader from before the
last switch still has it open, so it waits for those to finish), catches it up from its own
watermark, checkpoints, closes, and switches the pointer. Each slot carries its own sync state
(watermark, generation), so a slot that is one switch behind simply catches up on two intervals of
changes.

A read-only connection holds a shared lock on its file while it is open, so the cached one is
retired as soon as the pointer names the other slot (see "the readers' pool" below): the writer
never waits for more than the runs that were already reading.
"""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

import duckdb

from core.errors import DomainError
from core.i18n import _

#: The tables' version: a slot or pointer of another version is rebuilt by the next sync (5: payouts on
#: sales_lines; 6: the daily figures of core.analytics.daily; 7: orders and lines laid out by company;
#: 8: each order's time to accept and daily_waits).
SCHEMA_VERSION = 8
SLOTS = ("a", "b")
POINTER_NAME = "CURRENT.json"
LOCK_NAME = "writer.lock"

#: How long a reader retries when the slot it was pointed to is being claimed by the writer.
READER_RETRY_S = 10.0

#: The share of the machine's memory a writer's DuckDB may hold before it spills to disk. DuckDB's own
#: default is 80%, but a rebuild also holds the whole store read as Arrow beside it: at 10,000,000
#: orders on 24 GB the two together were killed for memory (bench/multi_tenant.py).
WRITER_MEMORY_SHARE = 0.25


def open_writer(path: Path | str) -> duckdb.DuckDBPyConnection:
    """A DuckDB connection that writes `path`, within WRITER_MEMORY_SHARE of the memory."""
    total = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    return duckdb.connect(str(path), config={"memory_limit": f"{max(256, int(total * WRITER_MEMORY_SHARE) >> 20)}MB"})


class AnalyticsNotReady(DomainError):
    """No analytics snapshot exists yet (the first sync has not run)."""


class AnalyticsBusy(DomainError):
    """The analytics files could not be opened in time (another sync holds them)."""


@dataclass(frozen=True)
class SnapshotInfo:
    """How fresh a snapshot is: read from the snapshot itself, so it always matches its data."""

    generation: int
    epoch: int
    synced_at: datetime  # the moment the store was read (UTC)
    watermark: datetime | None  # the newest order change included (UTC)
    mode: str  # "rebuild" or "incremental"
    source: str  # "sqlite" or "postgresql"
    orders: int
    sync_ms: float

    def age_seconds(self, now: datetime) -> float:
        return max(0.0, (now - self.synced_at).total_seconds())


T = TypeVar("T")
#: How many answers a snapshot remembers (a dashboard is a few kB): the most recently asked are kept.
REMEMBERED = 512


class Answers:
    """What has been read from one snapshot, by question: a snapshot never changes, so an answer holds
    as long as its snapshot is current (a page run again, or a colleague asking the same, reads nothing).
    Shared by the process's runs; computed outside the lock (two runs may both compute a new answer).
    The most recently asked `size` are kept (app.ui.charts keeps its figures in one too)."""

    def __init__(self, size: int = REMEMBERED):
        self._answers: OrderedDict[Hashable, Any] = OrderedDict()
        self._lock = threading.Lock()
        self._size = size

    def get(self, question: Hashable, compute: Callable[[], T]) -> T:
        with self._lock:
            if question in self._answers:
                self._answers.move_to_end(question)
                return self._answers[question]
        answer = compute()
        with self._lock:
            self._answers[question] = answer
            while len(self._answers) > self._size:
                self._answers.popitem(last=False)
        return answer


@dataclass
class Snapshot:
    """A read-only view of the current slot for one unit of work."""

    con: duckdb.DuckDBPyConnection
    info: SnapshotInfo
    path: Path
    answers: Answers = field(default_factory=Answers)

    def remembered(self, question: Hashable, compute: Callable[[], T]) -> T:
        """`compute()`'s answer to `question` (hashable: what is asked, whose), read once per snapshot.
        Only for answers that depend on nothing but the snapshot and the question: never `now`."""
        return self.answers.get(question, compute)


def _aware(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _aware_or_none(value: datetime | None) -> datetime | None:
    return None if value is None else _aware(value)


def read_info(con: duckdb.DuckDBPyConnection) -> SnapshotInfo:
    row = con.execute(
        "SELECT generation, epoch, synced_at, watermark, mode, source, orders, sync_ms FROM sync_state"
    ).fetchone()
    if row is None:
        raise AnalyticsNotReady(_("The analytics figures are not ready yet: the first sync has not finished."))
    generation, epoch, synced_at, watermark, mode, source, orders, sync_ms = row
    return SnapshotInfo(
        int(generation),
        int(epoch),
        _aware(synced_at),  # never NULL: write_state always records it
        _aware_or_none(watermark),
        mode,
        source,
        int(orders),
        float(sync_ms),
    )


def _is_lock_conflict(exc: Exception) -> bool:
    text = str(exc)
    return "Could not set lock" in text or "Conflicting lock" in text or "different configuration" in text


class AnalyticsStore:
    """Where the analytics files live. Holds no open handle: safe to share across threads."""

    def __init__(self, directory: Path | str):
        self.directory = Path(directory)

    # ------------------------------------------------------------------ paths and pointer

    def slot_path(self, slot: str) -> Path:
        if slot not in SLOTS:
            raise ValueError(f"unknown analytics slot {slot!r}")
        return self.directory / f"analytics-{slot}.duckdb"

    @property
    def pointer_path(self) -> Path:
        return self.directory / POINTER_NAME

    def read_pointer(self) -> dict | None:
        try:
            return json.loads(self.pointer_path.read_text())
        except FileNotFoundError:
            return None
        except (ValueError, OSError):
            return None

    def write_pointer(self, *, slot: str, generation: int, epoch: int, rebuilt_at: str | None = None) -> None:
        """Switch readers to `slot`: written whole to a temporary file, then renamed over the pointer.
        `rebuilt_at`: when the snapshot was last built whole (ISO 8601, UTC), kept by each sync."""
        self.directory.mkdir(parents=True, exist_ok=True)
        payload = json.dumps(
            {
                "slot": slot,
                "generation": generation,
                "epoch": epoch,
                "schema_version": SCHEMA_VERSION,
                "rebuilt_at": rebuilt_at,
            }
        )
        tmp = self.directory / f".{POINTER_NAME}.{os.getpid()}.tmp"
        with open(tmp, "w") as handle:
            handle.write(payload)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, self.pointer_path)
        _fsync_dir(self.directory)

    def rebuilt_at(self) -> datetime | None:
        """When the current snapshot was last built whole; None if never, or before this was recorded."""
        raw = (self.read_pointer() or {}).get("rebuilt_at")
        try:
            return datetime.fromisoformat(raw) if raw else None
        except (TypeError, ValueError):
            return None

    def exists(self) -> bool:
        pointer = self.read_pointer()
        if not pointer:
            return False
        return self.slot_path(pointer["slot"]).exists()

    # ------------------------------------------------------------------ readers

    @contextmanager
    def reading(self, *, retry_s: float = READER_RETRY_S) -> Iterator[Snapshot]:
        """The current snapshot for one unit of work (a script run): a cursor of this process's
        read-only connection to the current slot, closed when the block ends."""
        pool = _pool_for(self)
        entry, cursor = pool.acquire(retry_s)
        try:
            yield Snapshot(con=cursor, info=entry.info, path=entry.path, answers=entry.answers)
        finally:
            try:
                cursor.close()
            finally:
                pool.release(entry)

    def not_ready(self) -> AnalyticsNotReady:
        return AnalyticsNotReady(
            _(
                "The analytics figures are not ready yet: the first sync has not finished. "
                "They appear after the scheduler's next sweep, or press Refresh now."
            )
        )

    # ------------------------------------------------------------------ the writer

    @contextmanager
    def writer_lock(self, *, wait_s: float = 0.0) -> Iterator[None]:
        """Exclusive right to write the analytics files, across processes and threads.

        `flock` on a file opened here: two threads of one process conflict too (unlike fcntl
        record locks). Raises AnalyticsBusy if another writer still holds it after `wait_s`.
        """
        self.directory.mkdir(parents=True, exist_ok=True)
        handle = open(self.directory / LOCK_NAME, "a+")
        try:
            deadline = time.monotonic() + wait_s
            while True:
                try:
                    fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    if time.monotonic() >= deadline:
                        raise AnalyticsBusy(_("Another analytics sync is running; try again in a moment.")) from None
                    time.sleep(0.05)
            try:
                yield
            finally:
                fcntl.flock(handle.fileno(), fcntl.LOCK_UN)
        finally:
            handle.close()

    def claim(self, slot: str, *, wait_s: float) -> duckdb.DuckDBPyConnection:
        """Open `slot` for writing once no reader has it open any more (they finish within a run)."""
        path = self.slot_path(slot)
        deadline = time.monotonic() + wait_s
        delay = 0.01
        while True:
            try:
                return open_writer(path)
            except (duckdb.IOException, duckdb.ConnectionException) as exc:
                if not _is_lock_conflict(exc):
                    raise
                if time.monotonic() >= deadline:
                    raise AnalyticsBusy(
                        _(
                            "The analytics slot is still being read after {seconds} s; the sync will be retried.",
                            seconds=f"{wait_s:.0f}",
                        )
                    ) from None
                time.sleep(delay)
                delay = min(delay * 2, 0.25)

    def replace_slot(self, slot: str, new_file: Path, *, wait_s: float) -> None:
        """Put a complete file in place of `slot` (no reader may have the old one open)."""
        path = self.slot_path(slot)
        if path.exists():
            self.claim(slot, wait_s=wait_s).close()
        wal = path.with_name(path.name + ".wal")
        if wal.exists():
            wal.unlink()
        os.replace(new_file, path)
        _fsync_dir(self.directory)

    def clone_into(self, source_slot: str, target_slot: str, *, wait_s: float) -> None:
        """Copy the (closed, checkpointed) current slot into the other one."""
        tmp = self.directory / f".clone-{target_slot}-{os.getpid()}.tmp"
        try:
            shutil.copyfile(self.slot_path(source_slot), tmp)
            self.replace_slot(target_slot, tmp, wait_s=wait_s)
        finally:
            if tmp.exists():
                tmp.unlink()

    def temp_file(self, label: str) -> Path:
        self.directory.mkdir(parents=True, exist_ok=True)
        path = self.directory / f".{label}-{os.getpid()}-{time.monotonic_ns()}.duckdb.tmp"
        for leftover in (path, path.with_name(path.name + ".wal")):
            if leftover.exists():
                leftover.unlink()
        return path

    def remove_leftovers(self) -> None:
        """Temporary files of a writer that died half-way (called under the writer lock)."""
        for leftover in self.directory.glob(".*.tmp*"):
            try:
                leftover.unlink()
            except OSError:
                pass


# --------------------------------------------------------------------------- the readers' pool
#
# One read-only connection per process to the current slot, shared by every thread through a
# cursor per unit of work (a cursor per script run is safe across Streamlit sessions; the shared
# connection itself is never used directly). Keeping it open keeps DuckDB's decompressed blocks
# warm between runs (measured in bench/analytics.py). But an open connection holds a shared lock
# on its file, and after the next switch that file is the one the writer wants: so a connection
# is retired as soon as the pointer names another slot, by the next reader or, in an idle
# process, by a janitor thread that looks at the pointer every JANITOR_INTERVAL_S; it is closed
# once its last cursor is. The writer waits for that (AnalyticsStore.claim).

JANITOR_INTERVAL_S = 0.25


@dataclass
class _Entry:
    con: duckdb.DuckDBPyConnection
    slot: str
    generation: int
    info: SnapshotInfo
    path: Path
    users: int = 0
    retired: bool = False
    answers: Answers = field(default_factory=Answers)


class _Pool:
    def __init__(self, analytics: AnalyticsStore):
        self.analytics = analytics
        self.lock = threading.Lock()
        self.entry: _Entry | None = None

    def acquire(self, retry_s: float) -> tuple[_Entry, duckdb.DuckDBPyConnection]:
        deadline = time.monotonic() + retry_s
        delay = 0.005
        while True:
            pointer = self.analytics.read_pointer()
            if not pointer or pointer.get("schema_version") != SCHEMA_VERSION:
                raise self.analytics.not_ready()
            with self.lock:
                entry = self.entry
                if entry is not None and (entry.slot, entry.generation) == (pointer["slot"], pointer["generation"]):
                    entry.users += 1
                    return entry, entry.con.cursor()
                if entry is not None:
                    self._retire(entry)
                path = self.analytics.slot_path(pointer["slot"])
                try:
                    con = duckdb.connect(str(path), read_only=True)
                except (duckdb.IOException, duckdb.ConnectionException) as exc:
                    # The writer claimed this slot after we read the pointer: read the pointer again.
                    if not _is_lock_conflict(exc) and path.exists():
                        raise
                    con = None
                if con is not None:
                    try:
                        info = read_info(con)
                    except BaseException:
                        con.close()
                        raise
                    entry = _Entry(con, pointer["slot"], info.generation, info, path, users=1)
                    self.entry = entry
                    return entry, con.cursor()
            if time.monotonic() > deadline:
                raise AnalyticsBusy(_("The analytics figures are being refreshed; try again in a moment."))
            time.sleep(delay)
            delay = min(delay * 2, 0.2)

    def release(self, entry: _Entry) -> None:
        with self.lock:
            entry.users -= 1
            if entry.retired and entry.users == 0:
                entry.con.close()

    def _retire(self, entry: _Entry) -> None:
        """Under the lock: no new cursor from this entry; closed now, or by its last user."""
        if self.entry is entry:
            self.entry = None
        if not entry.retired:
            entry.retired = True
            if entry.users == 0:
                entry.con.close()

    def tidy(self) -> None:
        """Retire the connection if the pointer has moved on (the janitor's round)."""
        if self.entry is None:
            return
        pointer = self.analytics.read_pointer()
        with self.lock:
            entry = self.entry
            if entry is not None and (
                not pointer or (entry.slot, entry.generation) != (pointer.get("slot"), pointer.get("generation"))
            ):
                self._retire(entry)


_POOLS: dict[Path, _Pool] = {}
_POOLS_LOCK = threading.Lock()
_JANITOR: threading.Thread | None = None


def _pool_for(analytics: AnalyticsStore) -> _Pool:
    global _JANITOR
    key = analytics.directory.resolve()
    with _POOLS_LOCK:
        pool = _POOLS.get(key)
        if pool is None:
            pool = _POOLS[key] = _Pool(AnalyticsStore(key))
        if _JANITOR is None or not _JANITOR.is_alive():
            _JANITOR = threading.Thread(target=_janitor, name="kopra-analytics-janitor", daemon=True)
            _JANITOR.start()
        return pool


def _janitor() -> None:
    while True:
        time.sleep(JANITOR_INTERVAL_S)
        with _POOLS_LOCK:
            pools = list(_POOLS.values())
        for pool in pools:
            try:
                pool.tidy()
            except Exception:  # noqa: BLE001 - a janitor must not die; the next round tries again
                pass


def release_readers(analytics: AnalyticsStore | None = None) -> None:
    """Retire this process's reader connections now (tests; a process about to exit)."""
    with _POOLS_LOCK:
        pools = [p for k, p in _POOLS.items() if analytics is None or k == analytics.directory.resolve()]
    for pool in pools:
        with pool.lock:
            if pool.entry is not None:
                pool._retire(pool.entry)


def _fsync_dir(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
