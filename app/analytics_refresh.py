"""The "Refresh now" button of the analytics pages: brings the DuckDB snapshot up to date through
the single writer, `python -m jobs.analytics`, in a process of its own (the UI process never opens a
DuckDB file for writing; the sync takes the same writer lock as the scheduler's, so it waits for a
sync in progress rather than racing it), then reruns the page so it shows the new figures.

The process is kept warm (`jobs.analytics serve`): one per UI process, started when an analytics page
is drawn, so the click pays the sync and not the 0.7 s of a new process's imports and first read of
the store. It exits after `jobs.analytics.SERVE_IDLE_S` without a request, and when the UI stops."""

from __future__ import annotations

import json
import os
import select
import subprocess
import sys
import threading
import time
from dataclasses import dataclass

import streamlit as st

from app.bootstrap import get_settings, get_store
from app.ui.actions import attempt, rerun_saying
from app.ui.formats import count
from core.acting import Actor
from core.analytics.scope import check_may_refresh
from core.config import PROJECT_ROOT, Settings
from core.errors import DomainError
from core.i18n import _, _n, gettext

TIMEOUT_S = 180.0


@dataclass(frozen=True)
class RefreshOutcome:
    generation: int
    changed_orders: int
    seconds: float


class _SyncWorker:
    """The UI process's handle on its warm `jobs.analytics serve`; one sync at a time. Bound to the
    store and data folder it was started for: other settings (a test's) get a worker of their own."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._child: subprocess.Popen[str] | None = None
        self._bound_to: tuple[str, str] | None = None

    def warm(self, settings: Settings) -> None:
        """Start the worker if none is running for these settings (it gets ready in the background)."""
        if self._lock.acquire(blocking=False):
            try:
                self._running(settings)
            finally:
                self._lock.release()

    def sync(self, settings: Settings, timeout_s: float) -> dict:
        """The sync's summary, or {"failed": ...}; a worker that died meanwhile is started again once."""
        with self._lock:
            for attempt_ in range(2):
                child = self._running(settings)
                try:
                    assert child.stdin is not None
                    child.stdin.write(json.dumps({"wait": timeout_s}) + "\n")
                    child.stdin.flush()
                    return self._answer(child, timeout_s + 30)
                except (BrokenPipeError, EOFError):
                    self._stop()
                    if attempt_:
                        raise
        raise AssertionError("unreachable")

    def _running(self, settings: Settings) -> subprocess.Popen[str]:
        bound_to = (settings.database_url, str(settings.data_dir))
        if self._child is None or self._child.poll() is not None or self._bound_to != bound_to:
            self._stop()
            env = dict(os.environ, KOPRA_DATABASE_URL=bound_to[0], KOPRA_DATA_DIR=bound_to[1])
            env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(PROJECT_ROOT), env.get("PYTHONPATH")]))
            self._child = subprocess.Popen(
                [sys.executable, "-m", "jobs.analytics", "serve"],
                cwd=PROJECT_ROOT,
                env=env,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                text=True,
            )
            self._bound_to = bound_to
        return self._child

    def _answer(self, child: subprocess.Popen[str], timeout_s: float) -> dict:
        assert child.stdout is not None
        deadline = time.monotonic() + timeout_s
        while True:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([child.stdout], [], [], left)[0]:
                self._stop()  # a sync stuck this long is ended; the next click starts a new worker
                raise subprocess.TimeoutExpired(child.args, timeout_s)
            line = child.stdout.readline()
            if not line:
                raise EOFError("the analytics worker stopped")
            if line.startswith("{"):
                answer = json.loads(line)
                if answer.get("event") == "analytics_sync":
                    return answer

    def _stop(self) -> None:
        if self._child is not None and self._child.poll() is None:
            self._child.kill()
            self._child.wait()
        self._child = None


_WORKER = _SyncWorker()


def refresh_now(actor: Actor, *, timeout_s: float = TIMEOUT_S) -> RefreshOutcome:
    check_may_refresh(get_store(), actor)
    try:
        summary = _WORKER.sync(get_settings(), timeout_s)
    except subprocess.TimeoutExpired:
        raise DomainError(_("Refreshing the figures took too long; they will refresh with the next sweep.")) from None
    except (BrokenPipeError, EOFError):
        raise DomainError(_("The figures could not be refreshed: the sync failed.")) from None
    if "failed" in summary:
        # The worker speaks English (jobs/ are the operators'); a refusal of core's without values
        # (another sync running, say) is its msgid, so the catalogue finds it in the reader's language.
        reason = summary["failed"]
        if not reason:
            raise DomainError(_("The figures could not be refreshed: the sync failed."))
        raise DomainError(_("The figures could not be refreshed: {reason}", reason=gettext(reason)))
    return RefreshOutcome(
        int(summary["generation"]), int(summary["changed_orders"]), round(summary["total_ms"] / 1000, 2)
    )


def refresh_button(actor: Actor, key: str) -> None:
    _WORKER.warm(get_settings())
    if st.button(
        gettext("Refresh now"),
        key=key,
        icon=":material/refresh:",
        help=gettext("Bring the figures up to date with the latest orders (the scheduler does it every sweep)."),
    ):
        refreshed = attempt(lambda: refresh_now(actor), spinner=gettext("Refreshing the figures…"))
        if not refreshed:
            return
        outcome = refreshed.value
        said = _n(
            "Figures refreshed ({number} changed order taken in, {seconds} s).",
            "Figures refreshed ({number} changed orders taken in, {seconds} s).",
            outcome.changed_orders,
            number=count(outcome.changed_orders),
            seconds=f"{outcome.seconds:.2f}".replace(".", ","),
        )
        rerun_saying(said.render())
