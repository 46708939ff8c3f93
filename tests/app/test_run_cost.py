"""app.run_cost: every script run of app/main.py leaves one `ui.run` line with its page and its cost."""

from __future__ import annotations

import logging

from core.logs import EVENTS


def _runs(caplog) -> list[dict]:
    return [r.msg for r in caplog.records if isinstance(r.msg, dict) and r.msg.get("event") == "ui.run"]


def test_each_run_says_which_page_it_drew_and_what_it_cost(app_as, caplog):
    caplog.set_level(logging.INFO, logger=EVENTS)
    app = app_as("pm", page="pages/sales_management.py")
    app.at.run()
    runs = _runs(caplog)
    assert [run["page"] for run in runs[-2:]] == ["sales_management", "sales_management"]
    assert runs[0]["page"] == "home"  # the first run, before switching: the Dashboard at "/"
    for run in runs:
        assert run["ms"] > 0 and run["cpu_ms"] >= 0 and run["thread_cpu_ms"] >= 0
        assert run["request_id"].startswith("run-")
    assert len({run["request_id"] for run in runs}) == len(runs)  # one line per run


def test_a_logged_out_run_is_counted_too(logged_out_app, caplog):
    caplog.set_level(logging.INFO, logger=EVENTS)
    logged_out_app.run()
    assert [run["page"] for run in _runs(caplog)] == ["home"]
