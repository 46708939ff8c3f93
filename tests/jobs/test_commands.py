"""The commands as an operator runs them: bad configuration ends in one sentence, a clean
prepare migrates and loads the demo once, the scheduler sweeps once on demand."""

from __future__ import annotations

import json

import pytest

from core.demo.seed import load_demo
from tests.builders import assert_one_clear_sentence, run


@pytest.mark.parametrize("module", ["jobs.prepare", "jobs.scheduler"])
def test_a_malformed_database_url_ends_in_one_sentence(tmp_path, module):
    result = run(
        module,
        "--once" if module == "jobs.scheduler" else "--no-demo",
        env={"KOPRA_DATA_DIR": str(tmp_path), "KOPRA_DATABASE_URL": "postgres//oops"},
    )
    assert_one_clear_sentence(result, "is not a valid database URL")


def test_an_unreachable_database_ends_in_one_sentence(tmp_path):
    result = run(
        "jobs.prepare",
        env={"KOPRA_DATA_DIR": str(tmp_path), "KOPRA_DATABASE_URL": "postgresql://postgres@127.0.0.1:1/nowhere"},
    )
    assert_one_clear_sentence(result, "Cannot reach the database at postgresql+psycopg://postgres@127.0.0.1:1/nowhere")


def test_an_unwritable_data_folder_ends_in_one_sentence(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    result = run("jobs.prepare", env={"KOPRA_DATA_DIR": str(blocker / "data")})
    assert_one_clear_sentence(result, "is not a writable folder")


def test_prepare_migrates_and_loads_the_demo_only_the_first_time(tmp_path):
    env = {"KOPRA_DATA_DIR": str(tmp_path)}
    first = run("jobs.prepare", env=env)
    assert first.returncode == 0, first.stderr
    assert "demo data: loaded" in first.stdout
    assert (tmp_path / "kopra.sqlite3").exists()
    second = run("jobs.prepare", env=env)
    assert second.returncode == 0, second.stderr
    assert "demo data: already there, not loaded again" in second.stdout


def test_the_scheduler_sweeps_once_and_logs_a_summary_line(tmp_path):
    env = {"KOPRA_DATA_DIR": str(tmp_path)}
    assert run("jobs.prepare", "--no-demo", env=env).returncode == 0
    result = run("jobs.scheduler", "--once", "--now", "2026-11-26T10:00:00+07:00", env=env)
    assert result.returncode == 0, result.stderr
    summary = json.loads(result.stdout.strip().splitlines()[-1])
    assert summary["event"] == "sweep" and summary["now"] == "2026-11-26T03:00:00+00:00"
    assert summary["failed_rules"] == {}


def test_the_scheduler_refuses_a_time_without_an_offset(tmp_path):
    env = {"KOPRA_DATA_DIR": str(tmp_path)}
    assert run("jobs.prepare", "--no-demo", env=env).returncode == 0
    result = run("jobs.scheduler", "--now", "2026-11-26 10:00", env=env)
    assert result.returncode != 0
    assert "--now must be an ISO-8601 time with a UTC offset" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize("store", ["postgresql"], indirect=True)  # production refuses SQLite in the settings
def test_production_refuses_to_start_with_demo_users_and_says_which(store, now):
    load_demo(store, seed=1, now=now, history_days=0)
    env = {
        "KOPRA_DATABASE_URL": store.database_url,
        "KOPRA_ENV": "production",
        "KOPRA_PUBLIC_URL": "https://kopra.bank.example",
    }
    result = run("jobs.prepare", env=env)
    assert_one_clear_sentence(result, "KOPRA_ENV=production refuses to start while demo users are present")
    assert "DEMO01/admin" in result.stderr and "DEMO01/pm" in result.stderr and "demo data" not in result.stdout
