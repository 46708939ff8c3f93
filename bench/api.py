"""Orders placed over the HTTP API for --seconds (default 60) by concurrent clients, on SQLite and
PostgreSQL, beside the same placements called in-process (core.orders.buyer_channel.place_order from
as many threads) as the floor.

    .venv/bin/python bench/api.py                  # 60 s per case
    .venv/bin/python bench/api.py --seconds 10     # a quick look

Each store is fresh: the demo (its sellers, warehouses, products and buyers) with stock topped up so
nothing runs out. The API runs as `make run` runs it (uvicorn, api.app:build) with --api-workers
processes; the load is --clients concurrent HTTP/1.1 keep-alive connections from one asyncio process,
each order 1-3 lines of one warehouse with its own Idempotency-Key. Prints orders/s, p50/p95/p99
latency and errors per case; ends with one JSON line. Goals on 2 cores: PostgreSQL >= 300 orders/s
with p95 < 100 ms, SQLite >= 150 orders/s, HTTP within 2x of the in-process floor.
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
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

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

POSTGRES_URL = os.environ.get("KOPRA_BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


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


def figures(latencies: list[float], errors: int, seconds: float) -> dict[str, float]:
    ordered = sorted(latencies) or [0.0]

    def pick(q: float) -> float:
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000

    return {
        "orders_per_s": round(len(latencies) / seconds, 1),
        "p50_ms": round(statistics.median(ordered) * 1000, 1),
        "p95_ms": round(pick(0.95), 1),
        "p99_ms": round(pick(0.99), 1),
        "errors": errors,
        "orders": len(latencies),
    }


async def _load(url: str, token: str, buyers, shelves, clients: int, seconds: float) -> dict[str, float]:
    latencies: list[float] = []
    errors = 0
    stop_at = time.perf_counter() + seconds
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(base_url=url, limits=limits, timeout=30) as http:

        async def client(index: int) -> None:
            nonlocal errors
            rng = random.Random(index)
            while time.perf_counter() < stop_at:
                buyer, body = an_order(rng, buyers, shelves)
                headers = {"Authorization": f"Bearer {token}", "Idempotency-Key": uuid.uuid4().hex}
                started = time.perf_counter()
                try:
                    response = await http.post(f"/api/v1/buyers/{buyer}/orders", json=body, headers=headers)
                    ok = response.status_code == 201
                except httpx.HTTPError:
                    ok = False
                if ok:
                    latencies.append(time.perf_counter() - started)
                else:
                    errors += 1

        began = time.perf_counter()
        await asyncio.gather(*(client(i) for i in range(clients)))
        elapsed = time.perf_counter() - began
    return figures(latencies, errors, elapsed)


def over_http(url: str, token: str, buyers, shelves, args, env: dict[str, str]) -> dict[str, float]:
    port = 18000 + random.randint(0, 999)
    command = [
        sys.executable,
        "-m",
        "uvicorn",
        "api.app:build",
        "--factory",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
    ]
    command += ["--no-access-log", "--log-level", "warning", "--workers", str(args.api_workers)]
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
        return asyncio.run(_load(base, token, buyers, shelves, args.clients, args.seconds))
    finally:
        server.terminate()
        server.wait(timeout=30)


def in_process(store: Store, buyers, shelves, clients: int, seconds: float) -> dict[str, float]:
    latencies: list[float] = []
    errors = [0]
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
            except DomainError:
                with lock:
                    errors[0] += 1
                continue
            with lock:
                latencies.append(time.perf_counter() - started)

    began = time.perf_counter()
    threads = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return figures(latencies, errors[0], time.perf_counter() - began)


def run_case(name: str, url: str, args, now: datetime) -> dict[str, dict[str, float]]:
    store, token, buyers, shelves = prepare(url, now)
    env = {**os.environ, "KOPRA_DATABASE_URL": url, "KOPRA_API_RATE_PER_S": "100000", "PYTHONPATH": str(ROOT)}
    http = over_http(url, token, buyers, shelves, args, env)
    print(f"  {name} over HTTP:   {http}", flush=True)
    floor = in_process(store, buyers, shelves, min(args.clients, 8), args.seconds)
    print(f"  {name} in-process: {floor}", flush=True)
    store.dispose()
    return {"http": http, "in_process": floor}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--api-workers", type=int, default=2)
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
        "postgres p95 < 100 ms": pg["http"]["p95_ms"] < 100,
        "sqlite >= 150 orders/s": lite["http"]["orders_per_s"] >= 150,
        "HTTP within 2x of in-process (postgres)": ratio <= 2,
    }
    for goal, met in goals.items():
        print(f"{goal}: {'met' if met else 'NOT met'}")
    summary = {
        "api_orders_per_s_postgres": pg["http"]["orders_per_s"],
        "api_p95_ms_postgres": pg["http"]["p95_ms"],
        "api_orders_per_s_sqlite": lite["http"]["orders_per_s"],
        "api_p95_ms_sqlite": lite["http"]["p95_ms"],
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
