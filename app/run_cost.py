"""What each script run costs the UI process: one `ui.run` log line per run of app/main.py, with the
page it drew, its wall time, the process's CPU during it (`cpu_ms`: what issue 16's budget counts;
with several sessions running at once it includes their work too) and the script thread's own CPU
(`thread_cpu_ms`: without DuckDB's threads or other sessions). bench/ui.py reads these lines."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from core.logs import log_event

_PAGE: ContextVar[str | None] = ContextVar("kopra_run_page", default=None)


def drawing(page: str) -> None:
    """The page this run draws (its address: "home", "sales_management", ...)."""
    _PAGE.set(page)


@contextmanager
def measured() -> Iterator[None]:
    token = _PAGE.set(None)
    started, cpu, thread_cpu = time.perf_counter(), time.process_time(), time.thread_time()
    try:
        yield
    finally:
        log_event(
            "ui.run",
            page=_PAGE.get(),
            ms=round(1000 * (time.perf_counter() - started), 1),
            cpu_ms=round(1000 * (time.process_time() - cpu), 1),
            thread_cpu_ms=round(1000 * (time.thread_time() - thread_cpu), 1),
        )
        _PAGE.reset(token)
