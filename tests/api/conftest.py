"""The API over the test world (tests/builders.py), on SQLite and PostgreSQL: a buyer-app client and a
courier client with real tokens, the app at a clock the test moves, served by uvicorn on a free port
in this process and called over real HTTP with httpx (`api.http`; `hammer` for many clients at once)."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import httpx
import pytest

from api.app import create_app
from core.domain import ApiScope
from core.integration.clients import create_client
from tests.builders import MONDAY_10, World, api_wiring, build_world, serve_asgi


@dataclass
class Clock:
    now: datetime = MONDAY_10

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@dataclass
class Api:
    world: Any
    clock: Clock
    app: Any
    buyer_app: str
    courier: str
    http: httpx.Client
    url: str
    keys: list[str] = field(default_factory=list)

    def headers(self, token: str | None = None, key: str | None = None) -> dict[str, str]:
        headers = {"Authorization": f"Bearer {token or self.buyer_app}"}
        if key is not None:
            headers["Idempotency-Key"] = key
        return headers

    def post(self, path: str, json: Any = None, *, token: str | None = None, key: str | None = None, **kw):
        key = key if key is not None else f"key-{len(self.keys)}-{time.monotonic_ns()}"
        self.keys.append(key)
        return self.http.post(path, json=json, headers=self.headers(token, key), **kw)

    def get(self, path: str, *, token: str | None = None, **kw):
        return self.http.get(path, headers={**self.headers(token), **kw.pop("headers", {})}, **kw)

    def order(self, buyer: str = "BUY-1", quantity: int = 2, sku: str = "RICE-5", **extra):
        body = {"seller": "ACME01", "warehouse": "JKT-1", "lines": [{"sku": sku, "quantity": quantity}], **extra}
        return self.post(f"/api/v1/buyers/{buyer}/orders", body)


@pytest.fixture
def world(store) -> World:
    return build_world(store)


@contextmanager
def serving(world, **options) -> Iterator[Api]:
    """The API under uvicorn in this process, on a free port, with a buyer-app and a courier client."""
    clock = Clock()
    store = world.store
    buyer_app = create_client(store, operator="ops", name="livin-merchant", scope=ApiScope.BUYER_APP, now=clock.now)
    courier = create_client(store, operator="ops", name="jne", scope=ApiScope.COURIER, now=clock.now)
    app = create_app(api_wiring(store), clock=clock, **options)
    with serve_asgi(app) as url, httpx.Client(base_url=url, timeout=60) as http:
        yield Api(world, clock, app, buyer_app.token, courier.token, http, url)


@pytest.fixture
def api(world) -> Iterator[Api]:
    with serving(world, rate_per_s=10_000) as api:
        yield api


def hammer(url: str, count: int, request) -> list[httpx.Response]:
    """`count` threads, each with its own HTTP client, released together: request(client, index). A request
    the API shed (503, more at once than a process holds) is sent again after its Retry-After, as the
    integration guide tells clients to: what is asserted is each request's final answer."""
    barrier = threading.Barrier(count)
    responses: list[Any] = [None] * count

    def run(index: int) -> None:
        with httpx.Client(base_url=url, timeout=60) as client:
            barrier.wait()
            response = request(client, index)
            for _ in range(30):
                if response.status_code != 503:
                    break
                time.sleep(int(response.headers["retry-after"]))
                response = request(client, index)
            responses[index] = response

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return responses
