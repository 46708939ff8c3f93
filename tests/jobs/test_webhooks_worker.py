"""The webhook worker (`python -m jobs.webhooks`) against a real HTTP receiver on 127.0.0.1 that checks
every signature: a refused event is sent again until it is accepted (and the order's next event only
then), a worker killed mid-send loses nothing, and two workers at once send every event once, never
the same one twice at the same time, each order's events in outbox order."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from sqlalchemy import func, select

from core.config import PROJECT_ROOT
from core.domain import ApiScope, DeliveryStatus
from core.integration import clients, webhooks
from core.orders import buyer_channel as buyers
from core.orders import seller
from core.store.models import OutboxEvent, WebhookDelivery
from jobs import webhooks as worker
from tests.builders import MONDAY_10, build_world, place, ship

BANK = {"operator": "ops.dewi", "now": MONDAY_10}


@dataclass
class Arrival:
    event_id: str
    topic: str
    order_number: str | None
    signed: bool  # the signature checked out against the endpoint's secret
    answered: int | None = None  # the status sent back, once it is


class Receiver:
    """An integrating team's endpoint: verifies each request, answers what `answer(event_id, nth)` says
    (it may block), and records every arrival and any event that arrived while already in flight."""

    def __init__(self) -> None:
        self.secret = ""
        self.answer = lambda _event_id, _nth: 200
        self.arrivals: list[Arrival] = []
        self.overlaps: list[str] = []
        self._in_flight: set[str] = set()
        self._seen: Counter[str] = Counter()
        self._lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver._handle(self, body)

            def log_message(self, *_args) -> None:  # quiet
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True  # a handler blocked on purpose must not hold the test up
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/kopra/webhooks"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def _handle(self, request: BaseHTTPRequestHandler, body: bytes) -> None:
        event_id = request.headers[webhooks.EVENT_ID_HEADER]
        signature = request.headers[webhooks.SIGNATURE_HEADER] or ""
        signed = webhooks.verify(self.secret, signature, body, datetime.now(UTC))
        document = json.loads(body)
        arrival = Arrival(event_id, document["type"], document.get("data", {}).get("order", {}).get("number"), signed)
        with self._lock:  # recorded as it arrives: the order of arrivals is what the test judges
            if event_id in self._in_flight:
                self.overlaps.append(event_id)
            self._in_flight.add(event_id)
            self._seen[event_id] += 1
            nth = self._seen[event_id]
            self.arrivals.append(arrival)
        try:
            status = self.answer(event_id, nth) if signed and document["id"] == event_id else 401
            arrival.answered = status
            request.send_response(status)
            request.send_header("Content-Length", "0")
            request.end_headers()
        except OSError:  # the worker was killed while we held its request
            pass
        finally:
            with self._lock:
                self._in_flight.discard(event_id)

    def delivered(self) -> list[Arrival]:
        return [a for a in self.arrivals if a.answered == 200]

    def close(self) -> None:
        if self.url:
            self.server.shutdown()
            self.server.server_close()
            self.url = ""


@pytest.fixture
def receiver():
    receiver = Receiver()
    yield receiver
    receiver.close()


def endpoint_for(store, receiver: Receiver) -> webhooks.IssuedEndpoint:
    clients.create_client(store, name="livin-merchant", scope=ApiScope.BUYER_APP, **BANK)
    issued = webhooks.add_endpoint(store, client_name="livin-merchant", url=receiver.url, topics=None, **BANK)
    receiver.secret = issued.secret
    return issued


def deliveries(store) -> list[WebhookDelivery]:
    with store.reading() as session:
        return list(session.scalars(select(WebhookDelivery).order_by(WebhookDelivery.id)))


def wait_for(condition, timeout: float = 30, what: str = "the condition") -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"waited {timeout} s for {what}")
        time.sleep(0.05)


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def forward(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


# --- in process, with a clock the test moves ----------------------------------------------------------


def test_a_refused_event_is_sent_again_until_accepted_and_the_order_s_next_event_only_then(
    store, receiver, monkeypatch
):
    logged: list[dict] = []
    monkeypatch.setattr(worker, "log_event", lambda event, **fields: logged.append({"event": event, **fields}))
    world = build_world(store)
    issued = endpoint_for(store, receiver)
    refusals = iter([500, 500])
    receiver.answer = lambda _event_id, _nth: next(refusals, 200)
    number = place(world).order_number
    seller.accept_order(store, world.pm, number, MONDAY_10)
    clock = Clock(MONDAY_10)
    with worker.http_client() as http, ThreadPoolExecutor(4) as pool:

        def one_round() -> int:
            return worker.run_round(store, worker="w1", http=http, pool=pool, lease=timedelta(seconds=60), clock=clock)

        assert one_round() == 1  # the placement; the acceptance waits behind it
        clock.forward(1)
        assert one_round() == 0  # backing off (5 s)
        clock.forward(10)
        assert one_round() == 1  # refused again: now 10 s
        clock.forward(30)
        assert one_round() == 1  # accepted
        assert one_round() == 1  # and only now the acceptance
        clock.forward(3600)
        assert one_round() == 0

    placed, accepted = deliveries(store)
    assert [(a.topic, a.answered) for a in receiver.arrivals] == [
        ("order.placed", 500),
        ("order.placed", 500),
        ("order.placed", 200),
        ("order.accepted", 200),
    ]
    assert all(a.signed and a.order_number == number for a in receiver.arrivals)
    assert Counter(a.event_id for a in receiver.delivered()) == {
        f"evt_{placed.event_id}": 1,
        f"evt_{accepted.event_id}": 1,
    }
    assert (placed.status, placed.attempts, placed.last_status, placed.last_error) == (
        DeliveryStatus.DELIVERED,
        3,
        200,
        None,
    )
    assert (accepted.status, accepted.attempts) == (DeliveryStatus.DELIVERED, 1)
    lines = [line for line in logged if line["event"] == "webhook_delivery"]
    assert [(line["outcome"], line["attempt"], line["http_status"]) for line in lines] == [
        ("retry", 1, 500),
        ("retry", 2, 500),
        ("delivered", 3, 200),
        ("delivered", 1, 200),
    ]
    assert {line["endpoint_id"] for line in lines} == {issued.id}
    assert issued.secret not in str(logged) and number not in str(logged)  # neither the secret nor the body


def test_an_unreachable_endpoint_is_a_failure_in_words_not_a_crash(store, receiver):
    world = build_world(store)
    endpoint_for(store, receiver)
    receiver.close()  # nobody listens there any more
    place(world)
    with worker.http_client(2) as http, ThreadPoolExecutor(2) as pool:
        assert worker.run_round(store, worker="w1", http=http, pool=pool, lease=timedelta(seconds=60)) == 1
    (row,) = deliveries(store)
    assert (row.status, row.attempts, row.last_status) == (DeliveryStatus.PENDING, 1, None)
    assert row.last_error.startswith("ConnectError: ")


# --- as processes ------------------------------------------------------------------------------------


def start_worker(store, tmp_path, name: str, **env: str) -> subprocess.Popen:
    full_env = {
        **os.environ,
        "KOPRA_DATA_DIR": str(tmp_path),
        "KOPRA_DATABASE_URL": store.database_url,
        "KOPRA_WEBHOOK_POLL_S": "0.1",
        **env,
    }
    out = open(tmp_path / f"{name}.log", "w")  # a file, not a pipe: a chatty worker never blocks on it
    process = subprocess.Popen(
        [sys.executable, "-m", "jobs.webhooks"], cwd=PROJECT_ROOT, env=full_env, stdout=out, stderr=subprocess.STDOUT
    )
    out.close()
    return process


def stop(process: subprocess.Popen) -> int:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
    return process.wait(timeout=20)


def log_lines(tmp_path, name: str) -> list[dict]:
    return [json.loads(line) for line in (tmp_path / f"{name}.log").read_text().splitlines() if line.startswith("{")]


@pytest.mark.parametrize("store", ["sqlite"], indirect=True)
def test_a_worker_killed_mid_delivery_loses_nothing_another_sends_it_again(store, receiver, tmp_path):
    world = build_world(store)
    issued = endpoint_for(store, receiver)
    held, release = threading.Event(), threading.Event()

    def answer(_event_id, nth):
        if nth == 1:  # hold the first request until the test says so: the worker dies meanwhile
            held.set()
            release.wait(30)
            return 503  # nobody hears it any more
        return 200

    receiver.answer = answer
    place(world)
    first = start_worker(store, tmp_path, "first", KOPRA_WEBHOOK_LEASE_S="2")
    second = None
    try:
        assert held.wait(30), (tmp_path / "first.log").read_text()
        first.send_signal(signal.SIGKILL)
        assert first.wait(10) == -signal.SIGKILL
        (row,) = deliveries(store)
        assert row.status == DeliveryStatus.PENDING and row.leased_by.endswith(f":{first.pid}")
        second = start_worker(store, tmp_path, "second", KOPRA_WEBHOOK_LEASE_S="2")
        wait_for(lambda: deliveries(store)[0].status == DeliveryStatus.DELIVERED, what="the second worker to deliver")
    finally:
        release.set()
        first.kill()
        if second is not None:
            assert stop(second) == 0
    (event_id,) = {a.event_id for a in receiver.arrivals}
    assert len(receiver.arrivals) == 2 and receiver.arrivals[1].answered == 200
    assert len(receiver.delivered()) == 1
    lines = [line for line in log_lines(tmp_path, "second") if line.get("event") == "webhook_delivery"]
    assert [(line["event_id"], line["outcome"], line["attempt"]) for line in lines] == [(event_id, "delivered", 1)]
    assert issued.secret not in (tmp_path / "second.log").read_text()
    assert log_lines(tmp_path, "second")[-1]["event"] == "webhooks_stopped"  # SIGTERM: a clean stop


def busy_orders(world, count: int) -> list[str]:
    """`count` orders each taken through five steps: placed, accepted, packed, shipped, completed."""
    numbers = []
    for _ in range(count):
        number = place(world, quantity=1).order_number
        seller.accept_order(world.store, world.pm, number, MONDAY_10)
        ship(world, number, MONDAY_10)
        buyers.confirm_receipt(world.store, buyer_code="BUY-1", order_number=number, now=MONDAY_10)
        numbers.append(number)
    return numbers


def test_two_workers_at_once_send_every_event_once_in_order_per_order(store, receiver, tmp_path):
    world = build_world(store)
    issued = endpoint_for(store, receiver)

    def answer(_event_id, _nth):
        time.sleep(random.uniform(0, 0.03))  # slow enough that the two workers overlap
        return 200

    receiver.answer = answer
    orders = busy_orders(world, 3)
    workers = [start_worker(store, tmp_path, f"w{i}") for i in (1, 2)]
    try:
        orders += busy_orders(world, 3)  # more events while both run
        with store.reading() as session:
            events = session.scalar(select(func.count()).select_from(OutboxEvent))
        assert events == 30
        wait_for(
            lambda: sum(d.status == DeliveryStatus.DELIVERED for d in deliveries(store)) == events,
            what="every event to be delivered",
        )
    finally:
        codes = [stop(process) for process in workers]
    assert codes == [0, 0]
    assert receiver.overlaps == []
    assert all(a.signed for a in receiver.arrivals)
    assert Counter(Counter(a.event_id for a in receiver.delivered()).values()) == {1: events}
    ids = {f"evt_{d.event_id}": d.event_id for d in deliveries(store)}
    for number in orders:
        arrived = [ids[a.event_id] for a in receiver.arrivals if a.order_number == number]
        assert len(arrived) == 5 and arrived == sorted(arrived), (number, arrived)
    logs = "".join((tmp_path / f"w{i}.log").read_text() for i in (1, 2))
    assert issued.secret not in logs
    assert logs.count('"event": "webhook_delivery"') == events
