"""`python -m jobs.simulate`: realistic buyer (and courier) traffic through the HTTP API, as the bank's
buyer app and a courier would send it, for demos, development and load.

    python -m jobs.simulate --rate 20 --duration 300          # 20 orders a minute for 5 minutes
    python -m jobs.simulate --rate 600 --duration 60 --seed 7  # a load burst
    python -m jobs.simulate --api http://127.0.0.1:8502       # another API (default: KOPRA_API_PORT here)

It registers itself as two API clients of the configured store (`simulator-app`, buyer-app scope, and
`simulator-courier`; a new token each run) and listens for webhooks on a local receiver it
subscribes for the run: each event's signature is checked and counted, and tells the simulated
buyers which orders moved, exactly as the buyer app learns it. Each second it places orders at the
given rate (Poisson arrivals) from the catalogue the API gives, lets the courier deliver some shipped
orders, buyers confirm or complain about delivered ones, and cancel some unconfirmed or overdue
ones. The seller side is yours, in the UI; the deadlines are the scheduler's; the webhooks the
worker's (`make run` starts all three). One JSON line per action, a summary at the end.
"""

from __future__ import annotations

import argparse
import json
import random
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx

from core.bootstrap import bootstrap
from core.clock import utc_now
from core.domain import ApiScope, OrderStatus
from core.errors import DomainError
from core.integration import clients, webhooks
from core.orders import buyer_channel
from core.store.database import Store
from jobs.entry import run_command

#: Per order waiting in a status, the chance per second that its next buyer/courier event happens.
CHANCES = {"deliver": 0.02, "confirm": 0.02, "complain": 0.002, "cancel_pending": 0.001, "cancel_overdue": 0.01}
OPEN = {"PENDING_CONFIRMATION", "PROCESSING", "READY_TO_SHIP", "SHIPPED", "DELIVERED"}
#: A request the API told to wait (429 over the client's rate, 503 a process full) is sent again after
#: Retry-After (at most MAX_WAIT_S), with the same Idempotency-Key, this many times at most.
RETRIES, MAX_WAIT_S = 3, 5.0
APP_CLIENT, COURIER_CLIENT = "simulator-app", "simulator-courier"


@dataclass
class KnownOrder:
    buyer: str
    status: str


class WebhookReceiver:
    """The buyer app's webhook endpoint, on 127.0.0.1: checks each signature, counts what arrives by
    type (and each event id once), and keeps the status of every order it heard of."""

    def __init__(self) -> None:
        self.secret = ""
        self.counts: Counter[str] = Counter()
        self.orders: dict[str, KnownOrder] = {}
        self.seen: set[str] = set()
        self.events: list[tuple[str, str | None]] = []  # (type, order number) in the order heard
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 - the standard library's name
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                signature = self.headers.get(webhooks.SIGNATURE_HEADER, "")
                if not webhooks.verify(receiver.secret, signature, body, utc_now()):
                    receiver.count("bad signature")
                    self.send_response(401)
                else:
                    receiver.heard(json.loads(body))
                    self.send_response(204)
                self.end_headers()

            def log_message(self, *_args):  # one JSON line per action is the simulator's own log
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/kopra/events"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def count(self, what: str) -> None:
        with self.lock:
            self.counts[what] += 1

    def heard(self, event: dict) -> None:
        with self.lock:
            if event["id"] in self.seen:  # at least once: a redelivery is not a second event
                self.counts["duplicate"] += 1
                return
            self.seen.add(event["id"])
            self.counts[event["type"]] += 1
            order = event.get("data", {}).get("order")
            self.events.append((event["type"], None if order is None else order["number"]))
            if order is None:
                return
            if order["status"] in OPEN:
                self.orders[order["number"]] = KnownOrder(order["buyer"], order["status"])
            else:
                self.orders.pop(order["number"], None)

    def start(self) -> WebhookReceiver:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@dataclass(frozen=True)
class Offer:
    seller: str
    warehouse: str
    sku: str
    available: int


class BuyerTraffic:
    """The buyers and the courier, each step one HTTP request with its own Idempotency-Key."""

    def __init__(
        self,
        http: httpx.Client,
        *,
        app_token: str,
        courier_token: str,
        buyer_codes: list[str],
        receiver: WebhookReceiver,
        rng: random.Random,
        company_code: str | None,
        log: Callable[[dict], None],
    ):
        self.http, self.rng, self.company_code, self.log = http, rng, company_code, log
        self.app = {"Authorization": f"Bearer {app_token}"}
        self.courier = {"Authorization": f"Bearer {courier_token}"}
        self.buyer_codes, self.receiver = buyer_codes, receiver
        self.counts: Counter[str] = Counter()

    def tick(self, now: datetime, orders_this_second: int) -> None:
        offers = self.offers() if orders_this_second else []
        for _ in range(orders_this_second):
            self.place(offers)
        self._courier_and_buyers(now)

    def offers(self) -> list[Offer]:
        """What is on sale now: every seller's catalogue, page by page."""
        sellers = self.http.get("/api/v1/sellers", headers=self.app).json().get("items", [])
        found = []
        for seller in sellers:
            if self.company_code and seller["company_code"] != self.company_code:
                continue
            cursor = None
            while True:
                params = {"limit": 200, **({"cursor": cursor} if cursor else {})}
                page = self.http.get(
                    f"/api/v1/sellers/{seller['company_code']}/catalogue", params=params, headers=self.app
                )
                if page.status_code != 200:
                    break
                found += [
                    Offer(seller["company_code"], item["warehouse_code"], item["sku"], item["available"])
                    for item in page.json()["items"]
                    if item["available"] > 0
                ]
                cursor = page.json()["next_cursor"]
                if cursor is None:
                    break
        return found

    def _post(self, what: str, path: str, body: dict, headers: dict, **fields) -> dict | None:
        key = uuid.uuid4().hex  # one per request, the same for each retry of it: done at most once
        for attempt in range(RETRIES + 1):
            try:
                response = self.http.post(path, json=body, headers={**headers, "Idempotency-Key": key})
            except httpx.HTTPError as failed:
                self.counts[f"{what} failed"] += 1
                self.log({"event": f"{what} failed", "why": f"{type(failed).__name__}: {failed}", **fields})
                return None
            if response.status_code not in (429, 503) or attempt == RETRIES:
                break
            self.counts[f"{what} told to wait"] += 1
            time.sleep(min(MAX_WAIT_S, float(response.headers.get("retry-after", "1"))))
        if response.status_code < 300:
            self.counts[what] += 1
            answer = response.json()
            self.log({"event": what, **fields, **({"order": answer["number"]} if "number" in answer else {})})
            return answer
        problem = response.json() if response.headers.get("content-type", "").endswith("json") else {}
        kind = "refused" if response.status_code < 500 else "failed"  # e.g. out of stock, or the seller was faster
        self.counts[f"{what} {kind}"] += 1
        self.log({"event": f"{what} {kind}", "why": problem.get("detail", response.status_code), **fields})
        return None

    def place(self, offers: list[Offer]) -> str | None:
        """One order of 1-3 lines of one warehouse, by a random buyer; its number, or None if refused."""
        if not offers or not self.buyer_codes:
            return None
        first = self.rng.choice(offers)
        same_place = [o for o in offers if (o.seller, o.warehouse) == (first.seller, first.warehouse)]
        picked = self.rng.sample(same_place, min(len(same_place), self.rng.randint(1, 3)))
        lines = [{"sku": o.sku, "quantity": self.rng.randint(1, max(1, min(6, o.available)))} for o in picked]
        buyer = self.rng.choice(self.buyer_codes)
        body = {"seller": first.seller, "warehouse": first.warehouse, "lines": lines}
        placed = self._post("order placed", f"/api/v1/buyers/{buyer}/orders", body, self.app, buyer=buyer)
        if placed is None:
            return None
        with self.receiver.lock:
            self.receiver.orders.setdefault(placed["number"], KnownOrder(buyer, placed["status"]))
        return placed["number"]

    def _courier_and_buyers(self, now: datetime) -> None:
        with self.receiver.lock:
            known = list(self.receiver.orders.items())
        for number, order in known:
            roll, path = self.rng.random(), f"/api/v1/buyers/{order.buyer}/orders/{number}"
            if order.status == "SHIPPED" and roll < CHANCES["deliver"]:
                self._post("delivered", f"/api/v1/courier/orders/{number}/delivered", {}, self.courier, order=number)
            elif order.status == "DELIVERED" and roll < CHANCES["confirm"]:
                self._post("receipt confirmed", f"{path}/confirm-receipt", {}, self.app, order=number)
            elif order.status == "DELIVERED" and roll < CHANCES["confirm"] + CHANCES["complain"]:
                complaint = {"description": "Goods arrived damaged"}
                self._post("complaint filed", f"{path}/complaints", complaint, self.app, order=number)
            elif order.status == "PENDING_CONFIRMATION" and roll < CHANCES["cancel_pending"]:
                self._post("cancelled", f"{path}/cancel", {"reason": "ordered by mistake"}, self.app, order=number)
            elif order.status in ("PROCESSING", "READY_TO_SHIP", "SHIPPED") and roll < CHANCES["cancel_overdue"]:
                if self._overdue(path, now):
                    self._post("cancelled", f"{path}/cancel", {"reason": "seller too slow"}, self.app, order=number)

    def _overdue(self, path: str, now: datetime) -> bool:
        """Read the order as the app would before offering "cancel": is its packing or delivery late?"""
        answer = self.http.get(path, headers=self.app)
        if answer.status_code != 200:
            return False
        order = answer.json()
        deadline = order["deadlines"].get("pack" if order["status"] == "PROCESSING" else "delivery")
        return deadline is not None and now > datetime.fromisoformat(deadline)


def _token(store: Store, name: str, scope: ApiScope, now: datetime) -> str:
    try:
        return clients.create_client(store, operator="simulator", name=name, scope=scope, now=now).token
    except DomainError:  # registered by an earlier run: a new token for this one
        return clients.rotate_client(store, operator="simulator", name=name, now=now).token


@dataclass
class Simulation:
    """The simulator's wiring for one run: its API clients, its receiver and the endpoint it is
    subscribed with (removed by `close`)."""

    traffic: BuyerTraffic
    receiver: WebhookReceiver
    store: Store
    endpoint_id: int
    http: httpx.Client

    def close(self) -> None:
        webhooks.remove_endpoint(self.store, operator="simulator", endpoint_id=self.endpoint_id, now=utc_now())
        self.receiver.stop()
        self.http.close()


def connect(
    store: Store, api_url: str, *, seed: int, company_code: str | None = None, log: Callable[[dict], None] = print
) -> Simulation:
    now = utc_now()
    app_token = _token(store, APP_CLIENT, ApiScope.BUYER_APP, now)
    courier_token = _token(store, COURIER_CLIENT, ApiScope.COURIER, now)
    receiver = WebhookReceiver().start()
    endpoint = webhooks.add_endpoint(
        store, operator="simulator", client_name=APP_CLIENT, url=receiver.url, topics=None, now=now
    )
    receiver.secret = endpoint.secret
    # What the app already knew before this run: the open orders (from then on, the webhooks say).
    for order in buyer_channel.orders_in_status(store, [OrderStatus(s) for s in OPEN], limit=2000):
        receiver.orders[order.order_number] = KnownOrder(order.buyer_code, str(order.status))
    http = httpx.Client(base_url=api_url, timeout=30)
    traffic = BuyerTraffic(
        http,
        app_token=app_token,
        courier_token=courier_token,
        buyer_codes=buyer_channel.approved_buyers(store),
        receiver=receiver,
        rng=random.Random(seed),
        company_code=company_code,
        log=lambda fields: log(json.dumps(fields)),
    )
    return Simulation(traffic, receiver, store, endpoint.id, http)


def run_simulation(
    traffic: BuyerTraffic,
    *,
    rate_per_minute: float,
    duration_s: float,
    clock: Callable[[], datetime] = utc_now,
    sleep: Callable[[float], None] = time.sleep,
) -> Counter[str]:
    started = time.monotonic()
    ticks = 0
    while ticks < duration_s:
        traffic.tick(clock(), _poisson(traffic.rng, rate_per_minute / 60))
        ticks += 1
        sleep(max(0.0, started + ticks - time.monotonic()))
    return traffic.counts


def _poisson(rng: random.Random, mean: float) -> int:
    count, threshold, product = 0, pow(2.718281828459045, -mean), rng.random()
    while product > threshold:
        count += 1
        product *= rng.random()
    return count


def main() -> int:
    parser = argparse.ArgumentParser(
        prog="python -m jobs.simulate", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rate", type=float, default=6.0, help="orders per minute (default 6)")
    parser.add_argument("--duration", type=float, default=300, help="seconds to run (default 300)")
    parser.add_argument("--seed", type=int, default=None, help="random seed (default: a new one each run)")
    parser.add_argument("--company", default=None, help="only order from this seller (Company ID)")
    parser.add_argument("--api", default=None, help="the API's base URL (default: this machine's KOPRA_API_PORT)")
    parser.add_argument("--drain", type=float, default=5, help="seconds to wait at the end for the last webhooks")
    args = parser.parse_args()
    if args.rate < 0 or args.duration <= 0:
        raise SystemExit("kopra: --rate must be 0 or more and --duration more than 0.")
    wiring = bootstrap(check_reachable=True)
    api_url = args.api or f"http://127.0.0.1:{wiring.settings.api_port}"
    try:
        httpx.get(f"{api_url}/api/openapi.json", timeout=5).raise_for_status()
    except httpx.HTTPError:
        raise SystemExit(
            f"kopra: the API does not answer at {api_url}; start it with make run (or give --api)."
        ) from None
    seed = args.seed if args.seed is not None else random.randrange(2**31)
    simulation = connect(wiring.store, api_url, seed=seed, company_code=args.company)
    try:
        counts = run_simulation(simulation.traffic, rate_per_minute=args.rate, duration_s=args.duration)
        time.sleep(args.drain)  # the worker's last deliveries of this run's steps
    finally:
        simulation.close()
    webhooks_heard = {f"webhook {kind}": n for kind, n in sorted(simulation.receiver.counts.items())}
    print(json.dumps({"event": "simulation_done", **counts, **webhooks_heard}))
    return 0


if __name__ == "__main__":
    run_command(main)
