"""The buyer simulator drives traffic through the buyer channel only."""

from __future__ import annotations

import json
from datetime import timedelta

from sqlalchemy import func, select

from core.demo.seed import load_demo
from core.domain import ActorKind
from core.store.models import Order, OrderEvent
from jobs.simulate import run_simulation
from tests.builders import run


def test_the_simulator_places_orders_at_about_the_rate_asked(store, now):
    load_demo(store, seed=1, now=now, history_days=0)
    ticks = iter(range(10_000))
    lines = []
    counts = run_simulation(
        store,
        rate_per_minute=600,
        duration_s=20,
        seed=3,
        clock=lambda: now + timedelta(seconds=next(ticks)),
        sleep=lambda _s: None,
        log=lines.append,
    )
    placed = counts["order placed"]
    assert 120 <= placed <= 280  # 10 a second for 20 seconds, Poisson
    with store.reading() as session:
        assert session.scalar(select(func.count(Order.id))) == placed
        actors = set(session.scalars(select(OrderEvent.actor_kind).distinct()))
    assert actors <= {ActorKind.BUYER, ActorKind.COURIER}  # never the seller's or the system's part
    assert all(json.loads(line)["event"] for line in lines)


def test_the_simulator_command_runs_and_summarises(tmp_path):
    env = {"KOPRA_DATA_DIR": str(tmp_path)}
    assert run("jobs.prepare", env=env).returncode == 0
    result = run("jobs.simulate", "--rate", "120", "--duration", "2", "--seed", "5", env=env)
    assert result.returncode == 0, result.stderr
    summary = json.loads(result.stdout.strip().splitlines()[-1])
    assert summary["event"] == "simulation_done" and summary.get("order placed", 0) >= 1


def test_the_simulator_refuses_a_negative_rate(tmp_path):
    result = run("jobs.simulate", "--rate", "-1", env={"KOPRA_DATA_DIR": str(tmp_path)})
    assert result.returncode != 0 and "--rate must be 0 or more" in result.stderr
