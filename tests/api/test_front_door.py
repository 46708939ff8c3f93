"""What every request passes: the bearer token, the client's rate, the body limit, JSON only; and the
read endpoints (sellers, catalogue by cursor with ETag), the OpenAPI document and the problem types."""

from __future__ import annotations

import json
import threading
import time

import httpx
from fastapi.routing import APIRoute
from sqlalchemy import func, select

from api import routes as endpoints
from core.integration.clients import revoke_client, rotate_client
from core.store.models import Order
from tests.api.conftest import serving
from tests.api.test_orders import ORDER_PATH, assert_problem

ORDER = {"seller": "ACME01", "warehouse": "JKT-1", "lines": [{"sku": "RICE-5", "quantity": 1}]}


def test_every_wrong_credential_gets_the_same_401(api):
    expected = "The API token is missing, wrong, rotated or revoked."
    tampered = api.buyer_app[:-1] + ("A" if api.buyer_app[-1] != "A" else "B")
    for headers in (
        {},
        {"Authorization": "Basic abc"},
        {"Authorization": "Bearer"},
        {"Authorization": f"Bearer {tampered}"},
    ):
        response = api.http.get("/api/v1/sellers", headers=headers)
        body = assert_problem(response, 401, "unauthenticated", expected)
        assert response.headers["www-authenticate"].startswith("Bearer")
        assert "kpa_" not in json.dumps(body)


ADDRESS = {"name": "Toko Maju", "address": "Jl. Sudirman 1", "city": "Jakarta"}
#: Every endpoint that takes a token, with a request it would accept from a client with a good one.
EVERY_ENDPOINT = {
    ("GET", "/api/v1/sellers"): None,
    ("GET", "/api/v1/sellers/{seller}/catalogue"): None,
    ("POST", "/api/v1/buyers"): {"buyer_code": "BUY-9", **ADDRESS},
    ("GET", "/api/v1/buyers/{buyer}"): None,
    ("PATCH", "/api/v1/buyers/{buyer}"): {"city": "Bandung"},
    ("POST", "/api/v1/buyers/{buyer}/deactivate"): None,
    ("POST", "/api/v1/buyers/{buyer}/reactivate"): None,
    ("POST", "/api/v1/buyers/{buyer}/addresses"): {"label": "gudang", **ADDRESS},
    ("PUT", "/api/v1/buyers/{buyer}/addresses/{label}"): ADDRESS,
    ("DELETE", "/api/v1/buyers/{buyer}/addresses/{label}"): None,
    ("POST", "/api/v1/buyers/{buyer}/orders"): ORDER,
    ("GET", "/api/v1/buyers/{buyer}/orders"): None,
    ("GET", "/api/v1/buyers/{buyer}/orders/{number}"): None,
    ("POST", "/api/v1/buyers/{buyer}/orders/{number}/cancel"): {"reason": "no longer needed"},
    ("POST", "/api/v1/buyers/{buyer}/orders/{number}/confirm-receipt"): {},
    ("POST", "/api/v1/buyers/{buyer}/orders/{number}/complaints"): {"description": "two sacks torn"},
    ("POST", "/api/v1/courier/orders/{number}/delivered"): {"proof_reference": "POD-1"},
}


def test_every_endpoint_refuses_a_wrong_token_and_does_nothing(api):
    """Every route takes its caller through api/guard.py's `caller`; a new route must join the table."""
    routes = {
        (method, "/api/v1" + route.path)
        for route in endpoints.router.routes
        if isinstance(route, APIRoute) and not route.path.startswith("/problems/")
        for method in route.methods
    }
    assert routes == set(EVERY_ENDPOINT)
    wrong = api.buyer_app[:-1] + ("A" if api.buyer_app[-1] != "A" else "B")
    for (method, path), body in EVERY_ENDPOINT.items():
        url = path.format(seller="ACME01", buyer="BUY-1", number="KP-1", label="gudang")
        headers = {"Authorization": f"Bearer {wrong}", "Idempotency-Key": f"k-{method}-{path}"}
        response = api.http.request(method, url, json=body, headers=headers)
        assert_problem(response, 401, "unauthenticated")
    with api.world.store.reading() as session:
        assert session.scalar(select(func.count(Order.id))) == 0


def test_refusals_are_told_in_the_language_the_client_asks_for(api):
    indonesian = {"Accept-Language": "id-ID,id;q=0.9,en;q=0.8"}
    response = api.http.get("/api/v1/sellers", headers=indonesian)
    body = assert_problem(response, 401, "unauthenticated")
    assert body["detail"] == "Token API tidak ada, salah, sudah diganti, atau sudah dicabut."
    assert response.headers["content-language"] == "id"
    no_key = api.http.post(ORDER_PATH, json=ORDER, headers={**api.headers(), **indonesian})
    detail = assert_problem(no_key, 400, "idempotency-key-missing")["detail"]
    assert detail.startswith("Setiap POST memerlukan header Idempotency-Key: 1 sampai 255 karakter")
    for asked in ("", "fr-FR, de;q=0.5", "id;q=0, en"):  # none of ours, or Indonesian refused: English
        english = api.http.get("/api/v1/sellers", headers={"Accept-Language": asked})
        assert assert_problem(english, 401, "unauthenticated")["detail"].startswith("The API token is missing")
        assert english.headers["content-language"] == "en"


def test_a_rotated_or_revoked_token_stops_at_once(api):
    new = rotate_client(api.world.store, operator="ops", name="livin-merchant", now=api.clock.now).token
    assert_problem(api.get("/api/v1/sellers"), 401, "unauthenticated")
    assert api.get("/api/v1/sellers", token=new).status_code == 200
    revoke_client(api.world.store, operator="ops", name="livin-merchant", now=api.clock.now)
    assert_problem(api.get("/api/v1/sellers", token=new), 401, "unauthenticated")


def test_a_client_over_its_rate_gets_429_with_retry_after(world):
    with serving(world, rate_per_s=1, burst=3) as api:
        statuses = [api.get("/api/v1/sellers").status_code for _ in range(5)]
        assert statuses[:3] == [200, 200, 200]
        limited = api.get("/api/v1/sellers")
        assert_problem(limited, 429, "too-many-requests")
        assert int(limited.headers["retry-after"]) >= 1
        # another client has its own rate
        assert api.get("/api/v1/courier/orders/KP-1/delivered", token=api.courier).status_code == 405


def test_a_process_with_its_hands_full_answers_503_at_once_and_does_nothing(world):
    """A process that takes one request at a time holds one whose body is still coming: the next is told
    503 with Retry-After before anything is read or written, in the client's language; once the first is
    answered, the same request with the same key is served."""
    release = threading.Event()

    def slow_body():
        yield b'{"seller": "ACME01", "warehouse": "JKT-1", '
        release.wait(30)
        yield b'"lines": [{"sku": "RICE-5", "quantity": 1}]}'

    with serving(world, max_in_flight=1) as api:
        first: dict = {}

        def send_slowly():
            with httpx.Client(base_url=api.url, timeout=60) as own:
                headers = {**api.headers(key="slow"), "Content-Type": "application/json"}
                first["response"] = own.post(ORDER_PATH, content=slow_body(), headers=headers)

        sender = threading.Thread(target=send_slowly)
        sender.start()
        try:
            deadline = time.monotonic() + 30
            while api.app.in_flight == 0 and time.monotonic() < deadline:  # until the server holds it
                time.sleep(0.01)
            busy = api.post(ORDER_PATH, ORDER, key="second")
            body = assert_problem(busy, 503, "busy")
            assert busy.headers["retry-after"] == "1"
            assert "has 1 request in hand" in body["detail"] and "same Idempotency-Key" in body["detail"]
            in_indonesian = api.http.get("/api/v1/sellers", headers={**api.headers(), "Accept-Language": "id"})
            assert assert_problem(in_indonesian, 503, "busy")["detail"].startswith("Proses API ini")
            with api.world.store.reading() as session:
                assert session.scalar(select(func.count(Order.id))) == 0
        finally:
            release.set()
            sender.join(30)
        assert first["response"].status_code == 201, first["response"].text
        assert api.app.in_flight == 0
        again = api.post(ORDER_PATH, ORDER, key="second")
        assert again.status_code == 201, again.text
        with api.world.store.reading() as session:
            assert session.scalar(select(func.count(Order.id))) == 2


def test_a_ten_megabyte_body_is_refused_before_it_is_read(api):
    huge = b'{"seller": "' + b"A" * (10 * 1024 * 1024) + b'"}'
    response = api.http.post(
        ORDER_PATH, content=huge, headers={**api.headers(key="big"), "Content-Type": "application/json"}
    )
    assert_problem(response, 413, "body-too-large")
    streamed = api.http.post(
        ORDER_PATH,
        content=iter([huge[i : i + 65536] for i in range(0, len(huge), 65536)]),
        headers={**api.headers(key="big2"), "Content-Type": "application/json"},
    )
    assert_problem(streamed, 413, "body-too-large")
    with api.world.store.reading() as session:
        assert session.scalar(select(func.count(Order.id))) == 0


def test_only_json_bodies_are_taken(api):
    response = api.http.post(
        ORDER_PATH,
        content=b"seller=ACME01",
        headers={**api.headers(key="f"), "Content-Type": "application/x-www-form-urlencoded"},
    )
    assert_problem(response, 415, "unsupported-media-type")


def test_unknown_paths_and_methods_are_problems_too(api):
    assert_problem(api.get("/api/v1/nothing-here"), 404, "no-such-endpoint")
    assert_problem(api.http.delete("/api/v1/sellers", headers=api.headers()), 405, "method-not-allowed")


def test_sellers_list_the_whitelisted_companies_and_their_warehouses(api):
    items = api.get("/api/v1/sellers").json()["items"]
    assert [s["company_code"] for s in items] == ["ACME01", "OTHER02"]
    assert items[0]["warehouses"] == [{"code": "JKT-1", "name": "JKT-1", "time_zone": "Asia/Jakarta", "is_open": True}]


def test_the_catalogue_pages_by_cursor_and_answers_304_when_unchanged(api):
    first = api.get("/api/v1/sellers/ACME01/catalogue", params={"limit": 1})
    assert first.status_code == 200
    assert [i["sku"] for i in first.json()["items"]] == ["OIL-2"]
    second = api.get("/api/v1/sellers/ACME01/catalogue", params={"limit": 1, "cursor": first.json()["next_cursor"]})
    assert [(i["sku"], i["available"], i["price"]) for i in second.json()["items"]] == [("RICE-5", 100, 75_000)]
    assert second.json()["next_cursor"] is None
    tag = second.headers["etag"]
    same = api.get(
        "/api/v1/sellers/ACME01/catalogue",
        params={"limit": 1, "cursor": first.json()["next_cursor"]},
        headers={"If-None-Match": tag},
    )
    assert same.status_code == 304 and same.content == b""
    api.order(quantity=5)
    changed = api.get(
        "/api/v1/sellers/ACME01/catalogue",
        params={"limit": 1, "cursor": first.json()["next_cursor"]},
        headers={"If-None-Match": tag},
    )
    assert changed.status_code == 200 and changed.json()["items"][0]["available"] == 95


def test_a_bad_cursor_limit_or_seller_is_a_clear_problem(api):
    assert_problem(api.get("/api/v1/sellers/ACME01/catalogue", params={"cursor": "garbage!"}), 422, "invalid-input")
    assert_problem(api.get("/api/v1/sellers/ACME01/catalogue", params={"limit": 0}), 422, "invalid-input")
    assert_problem(api.get("/api/v1/sellers/NOPE/catalogue"), 404, "not-found")


def test_the_openapi_document_and_the_problem_types_are_served(api):
    spec = api.http.get("/api/openapi.json").json()
    assert "/api/v1/buyers/{buyer}/orders" in spec["paths"]
    assert api.http.get("/api/docs").status_code == 200
    kind = api.http.get("/api/v1/problems/out-of-stock").json()
    assert kind["status"] == 409 and kind["title"] == "Not enough stock"
