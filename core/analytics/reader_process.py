"""The reader process: large incremental reads of a SQLite store through ADBC, in a process of its own.

ADBC's SQLite driver hands over Arrow without a Python object per row: 57 ms against 113 ms for
10,000 changed orders and their lines with Python's sqlite3. But it bundles its own SQLite
library, and two SQLite libraries in one process do not see each other's POSIX locks (see
core.analytics.source.open_source), so it may not run where SQLAlchemy has the store open.

So a process that syncs (the scheduler, `jobs.analytics`) starts one reader process the first
time a sync has many changed orders (`READER_PROCESS_FROM`), and keeps it for later syncs: the
start costs a few hundred milliseconds once, each read then saves about half of the read time.
Requests and answers are pickled over the child's stdin and stdout (pyarrow tables pickle as
Arrow buffers). The child exits when its stdin closes, that is when its parent exits or dies.

`python -m core.analytics.reader_process` is the child's entry point.
"""

from __future__ import annotations

import atexit
import os
import pickle
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterable
from datetime import datetime

from core.analytics.batches import SourceBatch, read_batch
from core.analytics.source import adbc_target, sqlite_timestamp

#: From this many changed orders on, a sync of a SQLite store reads through the reader process.
READER_PROCESS_FROM = 2_000


class ReaderProcessFailed(RuntimeError):
    """The reader process could not answer (it died, or the read failed in it)."""


class ReaderProcess:
    """The parent's handle on one long-lived reader process; one request at a time."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._child: subprocess.Popen[bytes] | None = None
        self._owner = os.getpid()
        self.started_ms: float | None = None  # how long the last start took

    @property
    def running(self) -> bool:
        return self._child is not None and self._child.poll() is None and self._owner == os.getpid()

    def read_batch(
        self, database_url: str, lower_bound: datetime | None, pending_payout_ids: Iterable[int] = ()
    ) -> SourceBatch:
        request = {
            "database_url": database_url,
            "target": adbc_target(database_url),  # resolved here: the child never imports SQLAlchemy
            "lower_bound": lower_bound,
            "pending_payout_ids": sorted(set(int(i) for i in pending_payout_ids)),
        }
        with self._lock:
            for attempt in (1, 2):
                child = self._ensure_started()
                assert child.stdin is not None and child.stdout is not None  # started with both pipes
                try:
                    pickle.dump(request, child.stdin, protocol=pickle.HIGHEST_PROTOCOL)
                    child.stdin.flush()
                    answer = pickle.load(child.stdout)
                except (EOFError, BrokenPipeError, OSError, pickle.UnpicklingError) as exc:
                    # The child died (killed, out of memory): start a new one and ask once more.
                    self._stop()
                    if attempt == 2:
                        raise ReaderProcessFailed(f"the analytics reader process stopped answering: {exc}") from exc
                    continue
                if "error" in answer:
                    raise ReaderProcessFailed(
                        f"the analytics reader process could not read the store: {answer['error']}"
                    )
                return answer["batch"]
        raise AssertionError("unreachable")

    def stop(self) -> None:
        with self._lock:
            self._stop()

    def _ensure_started(self) -> subprocess.Popen[bytes]:
        if self._child is not None and self.running:
            return self._child
        from core.config import PROJECT_ROOT  # here: core.config imports SQLAlchemy, which the child avoids

        started = time.perf_counter()
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(PROJECT_ROOT), env.get("PYTHONPATH")]))
        self._child = subprocess.Popen(
            [sys.executable, "-m", "core.analytics.reader_process"],
            cwd=PROJECT_ROOT,
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
        )
        self._owner = os.getpid()
        self.started_ms = round((time.perf_counter() - started) * 1000, 1)
        return self._child

    def _stop(self) -> None:
        child, self._child = self._child, None
        if child is None or self._owner != os.getpid():
            return
        try:
            if child.stdin:
                child.stdin.close()
            child.wait(timeout=5)
        except (OSError, subprocess.TimeoutExpired):
            child.kill()
            child.wait()
        finally:
            if child.stdout:
                child.stdout.close()


_READER = ReaderProcess()
atexit.register(_READER.stop)


def reader_process() -> ReaderProcess:
    """This process's reader process (started on first use)."""
    return _READER


def changed_orders_in_sqlite(path: str, lower_bound: datetime) -> int:
    """How many orders changed since `lower_bound`: an index-only count (orders.updated_at)."""
    import sqlite3

    connection = sqlite3.connect(path, timeout=30)
    try:
        return int(
            connection.execute(
                "SELECT count(*) FROM orders WHERE updated_at >= ?", (sqlite_timestamp(lower_bound),)
            ).fetchone()[0]
        )
    finally:
        connection.close()


def read_changes(
    database_url: str, lower_bound: datetime | None, pending_payout_ids: Iterable[int] = (), *, after_read=None
) -> SourceBatch:
    """What changed since `lower_bound`, read in this process or, for many changes on SQLite,
    in the reader process. `after_read` (a test hook) keeps the read in this process."""
    backend, path = adbc_target(database_url)
    if (
        backend == "sqlite"
        and lower_bound is not None
        and after_read is None
        and changed_orders_in_sqlite(path, lower_bound) >= READER_PROCESS_FROM
    ):
        return _READER.read_batch(database_url, lower_bound, pending_payout_ids)
    return read_batch(database_url, lower_bound, pending_payout_ids, after_read=after_read)


# --------------------------------------------------------------------------- the child


def main() -> int:
    # Ctrl-C in a terminal reaches the whole process group: the parent decides when this ends
    # (closing stdin), so the child does not print a traceback of its own.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    stdin, stdout = sys.stdin.buffer, sys.stdout.buffer
    sys.stdout = sys.stderr  # nothing else may write into the answer stream
    while True:
        try:
            request = pickle.load(stdin)
        except EOFError:
            return 0
        answer: dict[str, SourceBatch | str]
        try:
            batch = read_batch(
                request["database_url"],
                request["lower_bound"],
                request["pending_payout_ids"],
                driver="adbc",
                target=request["target"],
            )
            answer = {"batch": batch}
        except Exception as exc:  # noqa: BLE001 - reported to the parent, which raises it
            answer = {"error": f"{type(exc).__name__}: {exc}"}
        pickle.dump(answer, stdout, protocol=pickle.HIGHEST_PROTOCOL)
        stdout.flush()


if __name__ == "__main__":
    raise SystemExit(main())
