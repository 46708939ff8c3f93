"""The "Refresh now" button of the analytics pages: brings the DuckDB snapshot up to date through
the single writer, `python -m jobs.analytics sync`, run as a process of its own (the UI process never
opens a DuckDB file for writing; the command takes the same writer lock as the scheduler, so it waits
for a sync in progress rather than racing it), then reruns the page so it shows the new figures."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass

import streamlit as st

from app.bootstrap import get_store
from app.ui.actions import attempt, rerun_saying
from app.ui.formats import count
from core.acting import Actor
from core.analytics.scope import check_may_refresh
from core.config import PROJECT_ROOT
from core.errors import DomainError
from core.i18n import _, _n, gettext

TIMEOUT_S = 180.0


@dataclass(frozen=True)
class RefreshOutcome:
    generation: int
    changed_orders: int
    seconds: float


def refresh_now(actor: Actor, *, timeout_s: float = TIMEOUT_S) -> RefreshOutcome:
    check_may_refresh(get_store(), actor)
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(PROJECT_ROOT), env.get("PYTHONPATH")]))
    try:
        done = subprocess.run(
            [sys.executable, "-m", "jobs.analytics", "sync", "--wait", str(int(timeout_s))],
            cwd=PROJECT_ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=timeout_s + 30,
        )
    except subprocess.TimeoutExpired:
        raise DomainError(_("Refreshing the figures took too long; they will refresh with the next sweep.")) from None
    if done.returncode != 0:
        # The command speaks English (jobs/ are the operators'); a refusal of core's without values
        # (another sync running, say) is its msgid, so the catalogue finds it in the reader's language.
        reason = (done.stderr.strip().splitlines() or [""])[-1].removeprefix("kopra: ").strip()
        if not reason:
            raise DomainError(_("The figures could not be refreshed: the sync failed."))
        raise DomainError(_("The figures could not be refreshed: {reason}", reason=gettext(reason)))
    summary = json.loads(done.stdout.strip().splitlines()[-1])
    return RefreshOutcome(
        int(summary["generation"]), int(summary["changed_orders"]), round(summary["total_ms"] / 1000, 2)
    )


def refresh_button(actor: Actor, key: str) -> None:
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
