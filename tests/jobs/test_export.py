"""`python -m jobs.export` and `python -m jobs.analytics` as an analyst or operator runs them."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest

from core.analytics.export import COLUMNS, export_history_csv
from core.analytics.history import HistoryFilters
from core.analytics.scope import Period
from core.analytics.snapshots import AnalyticsStore
from core.config import PROJECT_ROOT
from tests.core.analytics.dataset import build_dataset, load_dataset


def run(module: str, *args: str, env: dict[str, str], timeout: int = 180) -> subprocess.CompletedProcess:
    full_env = {**os.environ, "PYTHONPATH": str(PROJECT_ROOT), **env}
    return subprocess.run(
        [sys.executable, "-m", module, *args],
        cwd=PROJECT_ROOT,
        env=full_env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


@pytest.fixture
def env(store, now, tmp_path):
    build_dataset(store, now)
    return {"KOPRA_DATA_DIR": str(tmp_path), "KOPRA_DATABASE_URL": store.database_url}


def _dates(now):
    return ["--from", (now.date() - timedelta(days=69)).isoformat(), "--to", now.date().isoformat()]


def test_the_export_command_writes_the_same_file_as_the_page(store, env, now, tmp_path):
    out = tmp_path / "exports" / "alpha.csv"
    done = run("jobs.export", "--company", "ALPHA01", *_dates(now), "--out", str(out), "--sync", env=env)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("exported ") and str(out) in done.stdout and "data as of" in done.stdout
    rows = list(csv.reader(io.StringIO(out.read_text(encoding="utf-8-sig"), newline="")))  # UTF-8 with a BOM
    assert rows[0] == list(COLUMNS) and len(rows) > 10
    actor = load_dataset(store, now).a.actor()  # the page's export, for the same company
    page = tmp_path / "page.csv"
    export_history_csv(
        store,
        AnalyticsStore(tmp_path / "analytics"),
        actor,
        HistoryFilters(Period(now.date() - timedelta(days=69), now.date())),
        page,
    )
    assert page.read_bytes() == out.read_bytes()


def test_the_export_command_filters_by_warehouse(env, now, tmp_path):
    assert run("jobs.analytics", "sync", env=env).returncode == 0
    out = tmp_path / "jyp.csv"
    done = run("jobs.export", "--company", "ALPHA01", *_dates(now), "--warehouse", "JYP-01", "--out", str(out), env=env)
    assert done.returncode == 0, done.stderr
    rows = list(csv.reader(io.StringIO(out.read_text(encoding="utf-8"), newline="")))[1:]
    assert rows and {r[3] for r in rows} == {"JYP-01"} and all(r[2].endswith(" WIT") for r in rows)


@pytest.mark.parametrize(
    "args,words",
    [
        (["--company", "NOPE99"], "There is no company NOPE99"),
        (["--company", "ALPHA01", "--warehouse", "MKS-01"], "There is no warehouse MKS-01"),
    ],
)
def test_a_wrong_company_or_warehouse_is_one_sentence(env, now, tmp_path, args, words):
    assert run("jobs.analytics", "sync", env=env).returncode == 0
    done = run("jobs.export", *args, *_dates(now), "--out", str(tmp_path / "x.csv"), env=env)
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert [line for line in done.stderr.splitlines() if line.strip()] == [done.stderr.strip()]
    assert words in done.stderr
    assert not (tmp_path / "x.csv").exists()


def test_before_the_first_sync_the_export_says_so(env, now, tmp_path):
    done = run("jobs.export", "--company", "ALPHA01", *_dates(now), "--out", str(tmp_path / "x.csv"), env=env)
    assert done.returncode == 1 and "not ready yet" in done.stderr and "Traceback" not in done.stderr


def test_a_bad_date_is_refused_by_the_command_line(env, tmp_path):
    done = run(
        "jobs.export",
        "--company",
        "ALPHA01",
        "--from",
        "30/11/2026",
        "--to",
        "2026-11-30",
        "--out",
        str(tmp_path / "x.csv"),
        env=env,
    )
    assert done.returncode == 2 and "is not a date like 2026-11-30" in done.stderr and "Traceback" not in done.stderr


def test_operators_sync_rebuild_and_status(env):
    first = run("jobs.analytics", "sync", env=env)
    assert first.returncode == 0, first.stderr
    assert json.loads(first.stdout.strip().splitlines()[-1])["mode"] == "rebuild"
    second = json.loads(run("jobs.analytics", "sync", env=env).stdout.strip().splitlines()[-1])
    assert second["mode"] == "incremental" and second["generation"] == 2
    rebuilt = json.loads(run("jobs.analytics", "rebuild", env=env).stdout.strip().splitlines()[-1])
    assert rebuilt["mode"] == "rebuild" and rebuilt["generation"] == 3
    status = json.loads(run("jobs.analytics", "status", env=env).stdout.strip().splitlines()[-1])
    assert status["ready"] and status["generation"] == 3 and status["orders"] == 202


def test_the_warm_sync_answers_each_request_line_and_stops_when_its_input_closes(env):
    """`jobs.analytics serve`, what the UI's "Refresh now" asks: one sync per line, one JSON line each."""
    worker = subprocess.Popen(
        [sys.executable, "-m", "jobs.analytics", "serve"],
        cwd=PROJECT_ROOT,
        env={**os.environ, "PYTHONPATH": str(PROJECT_ROOT), **env},
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    answers = []
    try:
        for _ in range(2):
            worker.stdin.write('{"wait": 30}\n')
            worker.stdin.flush()
            answers.append(json.loads(worker.stdout.readline()))
        worker.stdin.close()
        assert worker.wait(timeout=60) == 0
    finally:
        if worker.poll() is None:
            worker.kill()
    assert [(a["event"], a["mode"], a["generation"]) for a in answers] == [
        ("analytics_sync", "rebuild", 1),
        ("analytics_sync", "incremental", 2),
    ]
    assert AnalyticsStore(Path(env["KOPRA_DATA_DIR"]) / "analytics").read_pointer()["generation"] == 2


def test_the_warm_sync_stops_after_its_idle_time(env):
    worker = subprocess.Popen(
        [sys.executable, "-m", "jobs.analytics", "serve", "--idle", "0.5"],
        cwd=PROJECT_ROOT,
        env={**os.environ, "PYTHONPATH": str(PROJECT_ROOT), **env},
        stdin=subprocess.PIPE,  # open, and nothing asked: it stops by itself
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert worker.wait(timeout=60) == 0
        assert worker.stdout.read() == ""
    finally:
        worker.kill()
        worker.stdin.close()
