"""The buyer simulator is a real client of the HTTP API: it places orders and takes the buyer's and
the courier's steps over HTTP, and hears of every step through a signed webhook to its own receiver."""

from __future__ import annotations

import json
import os
import random
import socket
import subprocess
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import httpx
import pytest
from sqlalchemy import func, select

from api.app import create_app
from core.config import PROJECT_ROOT
from core.demo.seed import load_demo
from core.domain import ActorKind
from core.orders.buyer_channel import OrderLine, approved_buyers, place_order, products_on_sale
from core.store.models import Order, OrderEvent
from jobs import webhooks as worker
from jobs.serve import api_command
from jobs.simulate import BuyerTraffic, Offer, WebhookReceiver, connect, run_simulation
from tests.builders import api_wiring, run, serve_asgi


def deliver_webhooks(store) -> None:
    """Run the webhook worker's rounds until nothing is left to send."""
    with worker.http_client() as http, ThreadPoolExecutor(8) as pool:
        while worker.run_round(store, worker="test", http=http, pool=pool, lease=timedelta(seconds=30)):
            pass


def test_the_simulator_places_orders_over_http_and_hears_each_by_webhook(store, now):
    load_demo(store, seed=1, now=now, history_days=0)
    offer = products_on_sale(store)[0]
    earlier = place_order(
        store,
        buyer_code=approved_buyers(store)[0],
        company_code=offer.company_code,
        warehouse_code=offer.warehouse_code,
        lines=[OrderLine(offer.sku, 1)],
        now=now,
    ).order_number
    with serve_asgi(create_app(api_wiring(store), clock=lambda: now, rate_per_s=10_000)) as url:
        lines: list[str] = []
        simulation = connect(store, url, seed=3, log=lines.append)
        assert simulation.receiver.orders[earlier].status == "PENDING_CONFIRMATION"  # known before the run
        try:
            ticks = iter(range(10_000))
            counts = run_simulation(
                simulation.traffic,
                rate_per_minute=600,
                duration_s=10,
                clock=lambda: now + timedelta(seconds=next(ticks)),
                sleep=lambda _s: None,
            )
            deliver_webhooks(store)
        finally:
            simulation.close()
    placed = counts["order placed"]
    assert 50 <= placed <= 150  # 10 a second for 10 seconds, Poisson
    with store.reading() as session:
        assert session.scalar(select(func.count(Order.id))) == placed + 1
        actors = set(session.scalars(select(OrderEvent.actor_kind).distinct()))
    assert actors <= {ActorKind.BUYER, ActorKind.COURIER}  # never the seller's or the system's part
    heard = simulation.receiver.counts
    assert heard["order.placed"] == placed and heard["bad signature"] == 0
    assert all(json.loads(line)["event"] for line in lines)


@pytest.mark.slow
def test_the_simulator_sends_a_request_the_api_shed_again_with_the_same_key():
    """Told to wait (503 from a full process, 429 over its rate), the simulator sends the same request
    again after Retry-After with the same Idempotency-Key, as the integration guide asks of clients."""
    seen: list[tuple[str, bytes]] = []
    answers = [(503, {"type": "/api/v1/problems/busy"}), (429, {"type": "/api/v1/problems/too-many-requests"})]

    def api(request: httpx.Request) -> httpx.Response:
        seen.append((request.headers["idempotency-key"], request.content))
        if answers:
            status, problem = answers.pop(0)
            return httpx.Response(status, json=problem, headers={"Retry-After": "0"})
        return httpx.Response(201, json={"number": "KP-1", "status": "PENDING_CONFIRMATION"})

    receiver = WebhookReceiver()  # not started: nothing is sent to it here
    receiver.server.server_close()
    with httpx.Client(base_url="http://api.test", transport=httpx.MockTransport(api)) as http:
        traffic = BuyerTraffic(
            http,
            app_token="a",
            courier_token="c",
            buyer_codes=["BUY-1"],
            receiver=receiver,
            rng=random.Random(1),
            company_code=None,
            log=lambda _line: None,
        )
        placed = traffic.place([Offer("ACME01", "JKT-1", "RICE-5", 10)])
    assert placed == "KP-1"
    assert len(seen) == 3 and len(set(seen)) == 1  # one key, one body, three sends
    assert traffic.counts["order placed told to wait"] == 2 and traffic.counts["order placed"] == 1


def test_the_simulator_command_drives_a_running_api(tmp_path):
    env = {"KOPRA_DATA_DIR": str(tmp_path)}
    assert run("jobs.prepare", env=env).returncode == 0
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    full_env = {**os.environ, **env, "KOPRA_BCRYPT_ROUNDS": "4", "PYTHONPATH": str(PROJECT_ROOT)}
    api = subprocess.Popen(
        api_command("127.0.0.1", port),  # as jobs.serve starts it
        cwd=PROJECT_ROOT,
        env=full_env,
        stdout=subprocess.DEVNULL,
    )
    try:
        for _ in range(200):
            try:
                if httpx.get(f"http://127.0.0.1:{port}/api/openapi.json", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.1)  # waiting for the server to listen, not for a result
        result = run(
            "jobs.simulate", "--rate", "120", "--duration", "2", "--seed", "5", "--drain", "0",
            "--api", f"http://127.0.0.1:{port}", env=env,
        )  # fmt: skip
    finally:
        api.terminate()
        api.wait(timeout=10)
    assert result.returncode == 0, result.stderr
    summary = json.loads(result.stdout.strip().splitlines()[-1])
    assert summary["event"] == "simulation_done" and summary.get("order placed", 0) >= 1


def test_the_simulator_says_so_when_the_api_is_not_running(tmp_path):
    env = {"KOPRA_DATA_DIR": str(tmp_path)}
    assert run("jobs.prepare", "--no-demo", env=env).returncode == 0
    result = run("jobs.simulate", "--duration", "1", "--api", "http://127.0.0.1:9", env=env)
    assert result.returncode != 0 and "the API does not answer at http://127.0.0.1:9" in result.stderr


def test_the_simulator_refuses_a_negative_rate(tmp_path):
    result = run("jobs.simulate", "--rate", "-1", env={"KOPRA_DATA_DIR": str(tmp_path)})
    assert result.returncode != 0 and "--rate must be 0 or more" in result.stderr
