"""The buyer app's order endpoints and the courier's, over HTTP on SQLite and PostgreSQL: each step
through the lifecycle's guards, each refusal a problem document with core's sentence and nothing
written."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from core.orders import seller
from core.store.models import Order, OutboxEvent
from tests.builders import catalogue_snapshot, ship, status_of

PROBLEM = "application/problem+json"
ORDER_PATH = "/api/v1/buyers/BUY-1/orders"


def orders_count(api) -> int:
    with api.world.store.reading() as session:
        return session.scalar(select(func.count(Order.id)))


def assert_problem(response, status: int, slug: str, detail: str | None = None):
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == PROBLEM
    body = response.json()
    assert body["type"] == f"/api/v1/problems/{slug}"
    assert body["status"] == status
    if detail is not None:
        assert body["detail"] == detail
    return body


def test_placing_an_order_reserves_stock_and_answers_with_the_order_and_its_address(api):
    response = api.order(quantity=3)
    assert response.status_code == 201
    body = response.json()
    assert body["status"] == "PENDING_CONFIRMATION"
    assert body["total_amount"] == 3 * 75_000
    assert body["lines"] == [
        {"sku": "RICE-5", "name": "Product RICE-5", "quantity": 3, "unit_price": 75_000, "line_total": 225_000}
    ]
    assert "confirm" in body["deadlines"]
    assert response.headers["location"] == f"/api/v1/buyers/BUY-1/orders/{body['number']}"
    assert api.world.stock() == (100, 3)
    again = api.get(response.headers["location"])
    assert again.status_code == 200 and again.json() == body


def test_a_ship_to_address_goes_with_the_order(api):
    ship_to = {"name": "Gudang Bekasi", "phone": "+62 21 555 0101", "address": "Jl. Industri 5", "city": "Bekasi"}
    response = api.order(ship_to=ship_to)
    body = response.json()
    assert body["ship_to"] == ship_to
    assert api.get(response.headers["location"]).json() == body  # the answer is the order as stored


def test_the_buyers_orders_come_newest_first_a_page_at_a_time(api):
    numbers = [api.order(quantity=1).json()["number"] for _ in range(5)]
    seen, cursor = [], None
    while True:
        page = api.get("/api/v1/buyers/BUY-1/orders", params={"limit": 2, **({"cursor": cursor} if cursor else {})})
        assert page.status_code == 200
        seen += [item["number"] for item in page.json()["items"]]
        cursor = page.json()["next_cursor"]
        if cursor is None:
            break
    assert seen == numbers[::-1]
    assert api.get("/api/v1/buyers/BUY-2/orders").json() == {"items": [], "next_cursor": None}


def test_a_buyer_reads_only_their_own_orders(api):
    number = api.order().json()["number"]
    assert_problem(
        api.get(f"/api/v1/buyers/BUY-2/orders/{number}"),
        404,
        "not-found",
        f"Order {number} is not one of buyer BUY-2's orders.",
    )
    assert_problem(
        api.get(f"/api/v1/buyers/NOBODY/orders/{number}"),
        404,
        "not-found",
        "Buyer NOBODY is not known to the marketplace.",
    )
    before = status_of(api.world, number)
    response = api.post(f"/api/v1/buyers/BUY-2/orders/{number}/cancel", {"reason": "not mine"})
    assert_problem(response, 404, "not-found")
    assert status_of(api.world, number) == before


def test_cancel_confirm_and_complain_go_through_the_lifecycle(api):
    number = api.order().json()["number"]
    cancelled = api.post(f"/api/v1/buyers/BUY-1/orders/{number}/cancel", {"reason": "changed my mind"})
    assert cancelled.status_code == 200
    assert cancelled.json()["status"] == "CANCELLED"
    assert cancelled.json()["failure"]["reason"] == "changed my mind"
    assert api.world.stock() == (100, 0)

    second = api.order().json()["number"]
    seller.accept_order(api.world.store, api.world.pm, second, api.clock.now)
    ship(api.world, second, api.clock.now)
    complained = api.post(f"/api/v1/buyers/BUY-1/orders/{second}/complaints", {"description": "Two bags torn"})
    assert complained.status_code == 201
    assert complained.json()["status"] == "COMPLAINED"
    assert "complaint" in complained.json()["deadlines"]


def test_a_guard_refusal_is_a_409_with_the_sentence_the_seller_ui_shows(api):
    number = api.order().json()["number"]
    response = api.post(f"/api/v1/buyers/BUY-1/orders/{number}/confirm-receipt", {})
    body = assert_problem(response, 409, "step-refused")
    assert number in body["detail"]
    assert status_of(api.world, number) == "PENDING_CONFIRMATION"


def test_the_courier_marks_delivered_and_the_buyer_app_may_not(api):
    number = api.order().json()["number"]
    seller.accept_order(api.world.store, api.world.pm, number, api.clock.now)
    ship(api.world, number, api.clock.now)
    path = f"/api/v1/courier/orders/{number}/delivered"
    assert_problem(api.post(path, {}, token=api.buyer_app), 403, "forbidden")
    delivered = api.post(path, {"proof_reference": "POD-7781"}, token=api.courier)
    assert delivered.status_code == 200 and delivered.json() == {"number": number, "status": "DELIVERED"}
    events = api.get(f"/api/v1/buyers/BUY-1/orders/{number}").json()["events"]
    assert events[-1]["by"] == "courier" and "POD-7781" in events[-1]["reason"]
    assert_problem(api.post(path, {}, token=api.courier), 409, "step-refused")


def test_a_courier_may_not_place_orders_or_read_the_catalogue(api):
    assert_problem(api.get("/api/v1/sellers", token=api.courier), 403, "forbidden")
    response = api.post(
        "/api/v1/buyers/BUY-1/orders",
        {"seller": "ACME01", "warehouse": "JKT-1", "lines": [{"sku": "RICE-5", "quantity": 1}]},
        token=api.courier,
    )
    assert_problem(response, 403, "forbidden")
    assert orders_count(api) == 0


def test_bad_orders_are_refused_with_a_clear_problem_and_nothing_written(api):
    before = catalogue_snapshot(api.world.store)
    cases = [
        ({"lines": [{"sku": "RICE-5", "quantity": -1}]}, 422, "invalid-input", "quantity"),
        ({"lines": [{"sku": "RICE-5", "quantity": 10**9}]}, 422, "invalid-input", "quantity"),
        ({"lines": [{"sku": "RICE-5", "quantity": "5"}]}, 422, "invalid-request", "lines.0.quantity"),
        ({"lines": [{"sku": "RICE-5", "quantity": 1.5}]}, 422, "invalid-request", "lines.0.quantity"),
        ({"lines": [{"sku": "RICE-5", "quantity": 1, "discount": 10}]}, 422, "invalid-request", "lines.0.discount"),
        ({"lines": []}, 422, "invalid-input", "lines"),
        ({"lines": [{"sku": "RICE-5", "quantity": 101}]}, 409, "out-of-stock", None),
        ({"lines": [{"sku": "NOPE-1", "quantity": 1}]}, 404, "not-found", None),
        ({"warehouse": "JKT-9", "lines": [{"sku": "RICE-5", "quantity": 1}]}, 404, "not-found", None),
        ({"seller": "OTHER02", "lines": [{"sku": "OIL-2", "quantity": 1}]}, 404, "not-found", None),
    ]
    for change, status, slug, field in cases:
        body = {"seller": "ACME01", "warehouse": "JKT-1", **change}
        problem = assert_problem(api.post("/api/v1/buyers/BUY-1/orders", body), status, slug)
        if slug == "invalid-request":
            assert problem["errors"][0]["field"] == field
        elif field is not None:
            assert problem["field"] == field
    assert_problem(
        api.order(buyer="BUY-X"), 422, "buyer-not-approved", "Buyer BUY-X is not approved by the bank to order."
    )
    assert_problem(api.order(buyer="NOBODY"), 404, "not-found", "Buyer NOBODY is not known to the marketplace.")
    assert orders_count(api) == 0
    assert catalogue_snapshot(api.world.store) == before
    with api.world.store.reading() as session:
        assert session.scalar(select(func.count(OutboxEvent.id))) == 0


def test_an_order_to_a_closed_warehouse_is_refused(api):
    from tests.builders import add_warehouse

    add_warehouse(api.world, "MKS-1", open_=False)
    response = api.post(
        "/api/v1/buyers/BUY-1/orders",
        {"seller": "ACME01", "warehouse": "MKS-1", "lines": [{"sku": "RICE-5", "quantity": 1}]},
    )
    assert_problem(response, 422, "warehouse-closed", "Warehouse MKS-1 of ACME01 is closed and takes no orders.")
    assert orders_count(api) == 0


def test_typed_text_comes_back_as_the_same_plain_text(api):
    reason = '<a href="https://evil.example">**click**</a>'
    number = api.order().json()["number"]
    body = api.post(f"/api/v1/buyers/BUY-1/orders/{number}/cancel", {"reason": reason}).json()
    assert body["failure"]["reason"] == reason


def test_time_runs_on_the_clock_the_api_is_given(api):
    number = api.order().json()["number"]
    api.clock.advance(days=3)
    response = api.post(f"/api/v1/buyers/BUY-1/orders/{number}/cancel", {})
    assert response.json()["events"][-1]["at"].startswith((api.clock.now - timedelta(0)).date().isoformat())
