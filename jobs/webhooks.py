"""`python -m jobs.webhooks`: the webhook delivery worker, a process of its own beside the scheduler.

Every KOPRA_WEBHOOK_POLL_S seconds (default 0.5) it runs one round (core.integration.webhooks): turn new
outbox events into deliveries, lease the due ones, POST each to its endpoint (a few at a time, signed
at send time), and record what each came to: 2xx is delivered, anything else is tried again later.
Several workers may run at once (on one machine or several): leases keep them off each other's
deliveries, and a worker killed mid-send loses nothing: its lease runs out (KOPRA_WEBHOOK_LEASE_S,
default 60) and another worker sends the event again.

Each outcome is one JSON line on standard output (event, topic, endpoint, outcome, attempt), never the
secret or the body. SIGTERM or Ctrl-C stops it after the current round. `--once` runs one round and
exits.
"""

from __future__ import annotations

import argparse
import os
import secrets
import signal
import socket
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass
from datetime import datetime, timedelta

import httpx

from core.clock import utc_now
from core.domain import DeliveryStatus
from core.integration import webhooks
from core.integration.webhooks import Claimed
from core.logs import REQUEST_ID, configure, log_event
from core.store.database import Store
from jobs.entry import prepared, run_command, seconds_setting

THREADS = 8
HTTP_TIMEOUT_S = 10.0
USER_AGENT = "Kopra-Webhooks/1"
OUTCOME = {
    DeliveryStatus.DELIVERED: "delivered",
    DeliveryStatus.PENDING: "retry",
    DeliveryStatus.PARKED: "parked",
    None: "superseded",  # the lease ran out and another worker has the delivery now
}


@dataclass(frozen=True)
class Sent:
    ok: bool
    status: int | None
    error: str | None


def worker_name() -> str:
    """host:pid, as leases record who holds them (the column takes 64 characters)."""
    pid = str(os.getpid())
    return f"{socket.gethostname()[: 63 - len(pid)]}:{pid}"


def http_client(timeout_s: float = HTTP_TIMEOUT_S) -> httpx.Client:
    # Redirects are not followed: the bank registered this URL, not wherever it points today.
    return httpx.Client(
        timeout=timeout_s,
        follow_redirects=False,
        headers={"Content-Type": "application/json", "User-Agent": USER_AGENT},
    )


def send(http: httpx.Client, item: Claimed) -> Sent:
    """POST one delivery; never raises (a failure is an outcome to record, not a crash)."""
    headers = {
        webhooks.EVENT_ID_HEADER: f"evt_{item.event_id}",
        webhooks.EVENT_TYPE_HEADER: item.topic,
        webhooks.SIGNATURE_HEADER: webhooks.sign(item.secret, int(time.time()), item.body),
    }
    try:
        # Streamed and never read: only the status matters, and a receiver's huge answer costs nothing.
        with http.stream("POST", item.url, content=item.body, headers=headers) as response:
            status = response.status_code
    except Exception as exc:  # connection refused, timeout, TLS, a URL httpx refuses …
        error = f"{type(exc).__name__}: {str(exc)[:200]}".replace(item.secret, "[secret]")
        return Sent(False, None, error)
    if 200 <= status < 300:
        return Sent(True, status, None)
    return Sent(False, status, f"HTTP {status}")


def run_round(
    store: Store,
    *,
    worker: str,
    http: httpx.Client,
    pool: ThreadPoolExecutor,
    lease: timedelta,
    clock: Callable[[], datetime] = utc_now,
    limit: int = THREADS,
) -> int:
    """Fan out, claim and send one batch; returns how many deliveries were sent. The batch is no bigger
    than the pool, so every request starts at once and ends (HTTP timeout) well within its lease."""
    REQUEST_ID.set(f"webhooks-{secrets.token_hex(6)}")
    webhooks.fan_out(store, clock())
    claimed = webhooks.claim(store, worker=worker, now=clock(), limit=limit, lease=lease)
    sending = {pool.submit(send, http, item): item for item in claimed}
    for done in as_completed(sending):
        item, sent = sending[done], done.result()
        status = webhooks.record_result(
            store,
            delivery_id=item.delivery_id,
            worker=worker,
            ok=sent.ok,
            status=sent.status,
            error=sent.error,
            now=clock(),
        )
        log_event(
            "webhook_delivery",
            delivery_id=item.delivery_id,
            event_id=f"evt_{item.event_id}",
            topic=item.topic,
            endpoint_id=item.endpoint_id,
            attempt=item.attempt,
            outcome=OUTCOME[status],
            http_status=sent.status,
            error=sent.error,
        )
    return len(claimed)


def main() -> int:
    parser = argparse.ArgumentParser(
        prog="python -m jobs.webhooks", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--once", action="store_true", help="run one round, then exit")
    args = parser.parse_args()
    configure("webhooks")
    lease_s = seconds_setting("KOPRA_WEBHOOK_LEASE_S", webhooks.LEASE_S)
    poll_s = seconds_setting("KOPRA_WEBHOOK_POLL_S", 0.5)
    store, worker = prepared().store, worker_name()
    stopping = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stopping.set())
    signal.signal(signal.SIGINT, lambda *_: stopping.set())
    # A request must end well before its lease does, or another worker could send it at the same time.
    timeout_s = min(HTTP_TIMEOUT_S, lease_s / 2)
    log_event("webhooks_started", worker=worker, lease_s=lease_s, poll_s=poll_s)
    with http_client(timeout_s) as http, ThreadPoolExecutor(THREADS, thread_name_prefix="webhook") as pool:
        while True:
            failed = False
            try:
                sent = run_round(store, worker=worker, http=http, pool=pool, lease=timedelta(seconds=lease_s))
            except Exception as exc:  # the store is away, say: keep going, leases make the next round safe
                log_event("webhooks_round_failed", error=f"{type(exc).__name__}: {exc}"[:500])
                sent, failed = 0, True
            if args.once or stopping.is_set():
                break
            if sent < THREADS:  # a full batch means more are probably due: go on at once
                stopping.wait(poll_s)
            if stopping.is_set():
                break
    log_event("webhooks_stopped", worker=worker)
    store.dispose()
    return 1 if args.once and failed else 0


if __name__ == "__main__":
    run_command(main)
