"""Orders placed over the HTTP API for --seconds (default 60) by concurrent clients, on SQLite and
PostgreSQL, beside the same placements called in-process (core.orders.buyer_channel.place_order from
as many threads) as the floor.

    .venv/bin/python bench/api.py                  # 60 s per case
    .venv/bin/python bench/api.py --seconds 10     # a quick look

Each store is fresh: the demo (its sellers, warehouses, products and buyers) with stock topped up so
nothing runs out. The API runs as `make run` runs it (uvicorn, api.app:build) with --api-workers
processes. Each order is 1-3 lines of one warehouse with its own Idempotency-Key. Two loads:
- capacity: --clients concurrent HTTP/1.1 keep-alive connections from one asyncio process, each
  sending its next order as soon as the last is answered (a closed loop): orders/s at full cores.
  Its latency is the queue the clients make (clients / throughput), so it is printed, not judged;
- latency at the goal's rate: orders sent on a fixed schedule (--rate-postgres, default 300 a second;
  --rate-sqlite, default 150), whether or not earlier ones were answered (an open loop, as wrk2
  does), each timed from when it was due, so a server that falls behind shows its queue in p95, and
  an order the API shed (503 once a process holds KOPRA_API_MAX_IN_FLIGHT requests) is counted apart
  as `shed`: not placed, so the goal's p95 counts only with none shed.
Prints orders/s, p50/p95/p99 latency and errors per case; ends with one JSON line. Goals on 2 cores:
PostgreSQL >= 300 orders/s with p95 < 100 ms at 300 a second, SQLite >= 150 orders/s, HTTP within
2x of the in-process floor.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402
from sqlalchemy import create_engine, text, update  # noqa: E402

from core.demo.seed import load_demo  # noqa: E402
from core.domain import ApiScope  # noqa: E402
from core.errors import DomainError  # noqa: E402
from core.integration.clients import create_client  # noqa: E402
from core.orders.buyer_channel import OrderLine, approved_buyers, place_order, products_on_sale  # noqa: E402
from core.store.database import Store, migrate  # noqa: E402
from core.store.models import StockLevel  # noqa: E402
from jobs.serve import api_command  # noqa: E402

POSTGRES_URL = os.environ.get("KOPRA_BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
MAX_CONNECTIONS = 256  # the open loop's connections at most: a server far behind queues here too


def _stat(pid: int) -> list[str]:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return []


def _cpu_s(pid: int, *, ended_children: bool = False) -> float:
    """User + system CPU seconds of one process so far (Linux /proc); with `ended_children`, also of
    its children that have ended (PostgreSQL's backends end with their connections)."""
    fields = _stat(pid)
    if not fields:
        return 0.0
    ticks = int(fields[11]) + int(fields[12]) + (int(fields[13]) + int(fields[14]) if ended_children else 0)
    return ticks / os.sysconf("SC_CLK_TCK")


def _processes() -> dict[int, tuple[int, str]]:
    """{pid: (parent pid, command line)} of every process."""
    found = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and (fields := _stat(int(entry.name))):
            try:
                command = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            except OSError:
                continue
            found[int(entry.name)] = (int(fields[1]), command)
    return found


def cpu_by_role(api_pid: int | None) -> dict[str, float]:
    """CPU seconds so far of the load (this process), the API's processes (uvicorn and its workers)
    and PostgreSQL's processes."""
    processes = _processes()
    api = {api_pid} if api_pid is not None else set()
    while grown := {pid for pid, (parent, _) in processes.items() if parent in api} - api:
        api |= grown
    return {
        "client": time.process_time(),
        "api": sum(_cpu_s(pid) for pid in api),
        "postgres": _postgres_cpu_s(processes),
    }


def _is_postgres(command: str) -> bool:
    return command.startswith("postgres") or "/bin/postgres " in command


def _postgres_cpu_s(processes: dict[int, tuple[int, str]]) -> float:
    """PostgreSQL's processes; the postmaster's count also holds its children that have ended."""
    total = 0.0
    for pid, (parent, command) in processes.items():
        if _is_postgres(command):
            postmaster = not _is_postgres(processes.get(parent, (0, ""))[1])
            total += _cpu_s(pid, ended_children=postmaster)
    return total


def _ms(seconds: float, orders: int) -> float:
    return round(1000 * seconds / max(orders, 1), 2)


def cpu_per_order(before: dict[str, float], after: dict[str, float], orders: int) -> dict[str, float]:
    """Milliseconds of CPU per order placed, by role, between two `cpu_by_role` readings."""
    return {
        f"cpu_ms_per_order_{role}": round(1000 * (after[role] - before[role]) / max(orders, 1), 2) for role in after
    }


def prepare(url: str, now: datetime) -> tuple[Store, str, list[str], dict[tuple[str, str], list[str]]]:
    store = Store(url)
    migrate(store)
    load_demo(store, seed=2026, now=now - timedelta(days=30), history_days=0)
    with store.transaction() as session:
        session.execute(update(StockLevel).values(on_hand=10**9, reserved=0))
    token = create_client(store, operator="bench", name="bench-app", scope=ApiScope.BUYER_APP, now=now).token
    shelves: dict[tuple[str, str], list[str]] = {}
    for offer in products_on_sale(store):
        shelves.setdefault((offer.company_code, offer.warehouse_code), []).append(offer.sku)
    return store, token, approved_buyers(store), shelves


def an_order(rng: random.Random, buyers: list[str], shelves: dict) -> tuple[str, dict]:
    (seller, warehouse), skus = rng.choice(list(shelves.items()))
    lines = [{"sku": sku, "quantity": rng.randint(1, 5)} for sku in rng.sample(skus, min(len(skus), rng.randint(1, 3)))]
    return rng.choice(buyers), {"seller": seller, "warehouse": warehouse, "lines": lines}


def figures(latencies: list[float], errors: Counter, seconds: float) -> dict[str, Any]:
    """Orders a second and latency percentiles of the orders placed; `errors` counts the others by what
    came back (an HTTP status, 0 for a failed connection, or the refusal's class in-process)."""
    ordered = sorted(latencies) or [0.0]

    def pick(q: float) -> float:
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000

    return {
        "orders_per_s": round(len(latencies) / seconds, 1),
        "p50_ms": round(statistics.median(ordered) * 1000, 1),
        "p95_ms": round(pick(0.95), 1),
        "p99_ms": round(pick(0.99), 1),
        "errors": sum(errors.values()),
        "error_kinds": dict(sorted(errors.items(), key=str)),
        "orders": len(latencies),
    }


class Connection:
    """One keep-alive HTTP/1.1 connection that POSTs JSON and reads the status and body: the load
    generator, lean as wrk is (httpx spent 2.6-4.6 ms of CPU per request on these 2 cores, as much as
    the API itself, which would have measured the client)."""

    #: Requests sent again on a new connection after a kept-alive one failed (see `place`).
    resent = 0

    def __init__(self, host: str, port: int, token: str):
        self.host, self.port = host, port
        self.fixed = f"Host: {host}:{port}\r\nAuthorization: Bearer {token}\r\nContent-Type: application/json\r\n"
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def post(self, path: str, body: bytes, key: str) -> tuple[int, bytes]:
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        assert self.reader is not None
        head = f"POST {path} HTTP/1.1\r\n{self.fixed}Idempotency-Key: {key}\r\nContent-Length: {len(body)}\r\n\r\n"
        self.writer.write(head.encode() + body)
        status_line = await self.reader.readline()
        length, close = 0, False
        while (line := await self.reader.readline()) not in (b"\r\n", b""):
            name, _, value = line.decode("latin-1").partition(":")
            name = name.strip().lower()
            if name == "content-length":
                length = int(value)
            elif name == "transfer-encoding":
                raise ValueError("a chunked answer: this client reads Content-Length bodies only")
            elif name == "connection" and value.strip().lower() == "close":
                close = True
        answer = await self.reader.readexactly(length)
        if close:
            self.close()
        return int(status_line.split()[1]), answer

    async def place(self, buyer: str, body: dict) -> int:
        """POST one order with a new Idempotency-Key: 201 when it was placed (with its number), else the
        status the API answered (503 when it shed the request), or 0 when the connection failed.

        A kept-alive connection the server closed while it was idle (uvicorn after 5 s) fails on its
        next request: sent again once on a new connection, with the same key, as an HTTP client does
        (the key makes it safe: the order is placed once either way)."""
        path, payload, key = f"/api/v1/buyers/{buyer}/orders", json.dumps(body).encode(), uuid.uuid4().hex
        for attempt in (1, 2):
            reused = self.writer is not None
            try:
                status, answer = await self.post(path, payload, key)
            except (OSError, ValueError, IndexError, asyncio.IncompleteReadError):
                self.close()
                if reused and attempt == 1:
                    Connection.resent += 1
                    continue
                return 0
            return 0 if status == 201 and b'"number":"KP-' not in answer else status
        return 0

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
        self.reader = self.writer = None


async def _load(url: str, token: str, buyers, shelves, clients: int, seconds: float) -> dict[str, Any]:
    latencies: list[float] = []
    errors: Counter = Counter()
    stop_at = time.perf_counter() + seconds
    host, port = url.removeprefix("http://").split(":")

    async def client(index: int) -> None:
        rng = random.Random(index)
        connection = Connection(host, int(port), token)
        while time.perf_counter() < stop_at:
            buyer, body = an_order(rng, buyers, shelves)
            started = time.perf_counter()
            if (status := await connection.place(buyer, body)) == 201:
                latencies.append(time.perf_counter() - started)
            else:
                errors[status] += 1
        connection.close()

    began = time.perf_counter()
    await asyncio.gather(*(client(i) for i in range(clients)))
    return figures(latencies, errors, time.perf_counter() - began)


async def _at_rate(url: str, token: str, buyers, shelves, rate: float, seconds: float) -> dict[str, Any]:
    """Orders due every 1/rate s for `seconds`, each on an idle connection or a new one (at most
    MAX_CONNECTIONS), timed from when it was due."""
    host, port = url.removeprefix("http://").split(":")
    idle: list[Connection] = []
    room = asyncio.Semaphore(MAX_CONNECTIONS)
    latencies: list[float] = []
    errors: Counter = Counter()
    shed = 0
    rng = random.Random(7)

    async def one(due: float) -> None:
        nonlocal shed
        buyer, body = an_order(rng, buyers, shelves)
        async with room:
            connection = idle.pop() if idle else Connection(host, int(port), token)
            status = await connection.place(buyer, body)
            if status == 201:
                latencies.append(time.perf_counter() - due)
            elif status == 503:  # the API shed it (KOPRA_API_MAX_IN_FLIGHT): not placed, not retried here
                shed += 1
            else:
                errors[status] += 1
            idle.append(connection)  # a closed one opens again on its next request

    began = time.perf_counter()
    resent_before = Connection.resent
    sent = []
    for n in range(int(rate * seconds)):
        due = began + n / rate
        if (wait := due - time.perf_counter()) > 0:
            await asyncio.sleep(wait)
        sent.append(asyncio.create_task(one(due)))
    await asyncio.gather(*sent)
    for connection in idle:
        connection.close()
    resent = Connection.resent - resent_before
    return {"rate": rate, "shed": shed, "resent": resent} | figures(latencies, errors, time.perf_counter() - began)


def over_http(url: str, token: str, buyers, shelves, args, env: dict[str, str], rate: float) -> dict[str, Any]:
    port = 18000 + random.randint(0, 999)
    command = api_command("127.0.0.1", port, workers=args.api_workers) + ["--log-level", "warning"]
    server = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{base}/api/openapi.json", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline or server.poll() is not None:
                raise SystemExit("the API did not start")
            time.sleep(0.2)
        asyncio.run(_load(base, token, buyers, shelves, args.clients, 3))  # warm-up
        before = cpu_by_role(server.pid)
        result = asyncio.run(_load(base, token, buyers, shelves, args.clients, args.seconds))
        capacity = result | cpu_per_order(before, cpu_by_role(server.pid), result["orders"])
        at_rate = asyncio.run(_at_rate(base, token, buyers, shelves, rate, args.seconds))
        return {"capacity": capacity, "at_rate": at_rate}
    finally:
        server.terminate()
        server.wait(timeout=30)


def in_process(store: Store, buyers, shelves, clients: int, seconds: float) -> dict[str, float]:
    latencies: list[float] = []
    errors: Counter = Counter()
    stop_at = time.perf_counter() + seconds
    lock = threading.Lock()

    def client(index: int) -> None:
        rng = random.Random(1000 + index)
        while time.perf_counter() < stop_at:
            buyer, body = an_order(rng, buyers, shelves)
            started = time.perf_counter()
            try:
                place_order(
                    store,
                    buyer_code=buyer,
                    company_code=body["seller"],
                    warehouse_code=body["warehouse"],
                    lines=[OrderLine(line["sku"], line["quantity"]) for line in body["lines"]],
                    now=datetime.now(UTC),
                )
            except DomainError as refused:
                with lock:
                    errors[type(refused).__name__] += 1
                continue
            with lock:
                latencies.append(time.perf_counter() - started)

    began = time.perf_counter()
    before = cpu_by_role(None)
    threads = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    result = figures(latencies, errors, time.perf_counter() - began)
    return result | cpu_per_order(before, cpu_by_role(None), result["orders"])


def run_case(name: str, url: str, args, now: datetime) -> dict[str, dict[str, float]]:
    store, token, buyers, shelves = prepare(url, now)
    env = {**os.environ, "KOPRA_DATABASE_URL": url, "KOPRA_API_RATE_PER_S": "100000", "PYTHONPATH": str(ROOT)}
    rate = args.rate_postgres if store.backend == "postgresql" else args.rate_sqlite
    http = over_http(url, token, buyers, shelves, args, env, rate)
    print(f"  {name} over HTTP, {args.clients} clients in a closed loop: {http['capacity']}", flush=True)
    print(f"  {name} over HTTP, {rate:g} orders a second due:      {http['at_rate']}", flush=True)
    floor = in_process(store, buyers, shelves, min(args.clients, 8), args.seconds)
    print(f"  {name} in-process: {floor}", flush=True)
    store.dispose()
    return {"http": http["capacity"], "at_rate": http["at_rate"], "in_process": floor}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--api-workers", type=int, default=2)
    parser.add_argument("--rate-postgres", type=float, default=300, help="orders a second due (latency)")
    parser.add_argument("--rate-sqlite", type=float, default=150, help="orders a second due (latency)")
    args = parser.parse_args()
    now = datetime.now(UTC).replace(microsecond=0)
    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        print(f"SQLite, {args.seconds:.0f} s, {args.clients} clients:", flush=True)
        results["sqlite"] = run_case("sqlite", f"sqlite:///{Path(tmp) / 'kopra.sqlite3'}", args, now)
    name = f"kopra_bench_api_{uuid.uuid4().hex[:8]}"
    admin = create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        print(f"PostgreSQL, {args.seconds:.0f} s, {args.clients} clients:", flush=True)
        results["postgres"] = run_case("postgres", POSTGRES_URL.rsplit("/", 1)[0] + f"/{name}", args, now)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
    pg, lite = results["postgres"], results["sqlite"]
    ratio = pg["in_process"]["orders_per_s"] / max(pg["http"]["orders_per_s"], 0.1)
    goals = {
        "postgres >= 300 orders/s": pg["http"]["orders_per_s"] >= 300,
        f"postgres p95 < 100 ms at {args.rate_postgres:g} a second, none shed": pg["at_rate"]["p95_ms"] < 100
        and pg["at_rate"]["shed"] == 0
        and args.rate_postgres >= 300,
        "sqlite >= 150 orders/s": lite["http"]["orders_per_s"] >= 150,
        "HTTP within 2x of in-process (postgres)": ratio <= 2,
    }
    for goal, met in goals.items():
        print(f"{goal}: {'met' if met else 'NOT met'}")
    summary = {
        "api_orders_per_s_postgres": pg["http"]["orders_per_s"],
        "api_p95_ms_postgres": pg["at_rate"]["p95_ms"],
        "api_orders_per_s_sqlite": lite["http"]["orders_per_s"],
        "api_p95_ms_sqlite": lite["at_rate"]["p95_ms"],
        "api_vs_inprocess_ratio_postgres": round(ratio, 2),
        **{f"{db}_{path}_{k}": v for db, r in results.items() for path, f in r.items() for k, v in f.items()},
        "seconds": args.seconds,
        "clients": args.clients,
        "api_workers": args.api_workers,
        "load_average": round(os.getloadavg()[0], 2),
        "date": date.today().isoformat(),
    }
    print(json.dumps(summary))
    return 0 if all(goals.values()) else 2


if __name__ == "__main__":
    raise SystemExit(main())
