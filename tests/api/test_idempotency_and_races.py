"""Idempotency keys and races over real HTTP, on SQLite and PostgreSQL: a retried POST gets the first
answer, 100 identical requests at once make one order, and 50 buyers racing for the last 10 units
never oversell."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import func, select, update

from core.store.models import IdempotencyKey, Order, OrderEvent, StockLevel
from tests.api.conftest import hammer
from tests.api.test_orders import assert_problem

ORDER = {"seller": "ACME01", "warehouse": "JKT-1", "lines": [{"sku": "RICE-5", "quantity": 2}]}


def count(api, column) -> int:
    with api.world.store.reading() as session:
        return session.scalar(select(func.count(column)))


def test_the_same_key_and_body_give_the_first_answer_again(api):
    first = api.post("/api/v1/buyers/BUY-1/orders", ORDER, key="order-1")
    again = api.post("/api/v1/buyers/BUY-1/orders", ORDER, key="order-1")
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert again.headers["idempotent-replayed"] == "true"
    assert again.headers["location"] == first.headers["location"]
    assert count(api, Order.id) == 1
    assert api.world.stock() == (100, 2)


def test_a_retried_cancel_gets_its_first_answer_not_a_refusal(api):
    number = api.order().json()["number"]
    path = f"/api/v1/buyers/BUY-1/orders/{number}/cancel"
    first = api.post(path, {"reason": "ordered twice"}, key="cancel-1")
    again = api.post(path, {"reason": "ordered twice"}, key="cancel-1")
    assert first.status_code == again.status_code == 200
    assert again.json() == first.json()
    assert again.headers["idempotent-replayed"] == "true"
    # a new key is a new request: the order is cancelled already
    assert api.post(path, {"reason": "ordered twice"}, key="cancel-2").status_code == 409


def test_the_same_key_with_another_body_is_refused(api):
    api.post("/api/v1/buyers/BUY-1/orders", ORDER, key="order-1")
    other = {**ORDER, "lines": [{"sku": "RICE-5", "quantity": 3}]}
    assert_problem(api.post("/api/v1/buyers/BUY-1/orders", other, key="order-1"), 422, "idempotency-key-reused")
    assert count(api, Order.id) == 1


def test_keys_are_per_client_and_per_path(api):
    api.post("/api/v1/buyers/BUY-1/orders", ORDER, key="k")
    number = api.order().json()["number"]
    refused = api.post(f"/api/v1/buyers/BUY-1/orders/{number}/cancel", {}, key="k")
    assert_problem(refused, 422, "idempotency-key-reused")


def test_a_post_without_a_key_is_refused_and_does_nothing(api):
    response = api.http.post("/api/v1/buyers/BUY-1/orders", json=ORDER, headers=api.headers())
    assert_problem(response, 400, "idempotency-key-missing")
    assert count(api, Order.id) == 0


def test_a_refusal_is_not_remembered_so_a_retry_runs_again(api):
    too_many = {**ORDER, "lines": [{"sku": "RICE-5", "quantity": 101}]}
    assert_problem(api.post("/api/v1/buyers/BUY-1/orders", too_many, key="big"), 409, "out-of-stock")
    assert count(api, IdempotencyKey.id) == 0
    with api.world.store.transaction() as session:
        session.execute(update(StockLevel).values(on_hand=StockLevel.on_hand + 1))
    assert api.post("/api/v1/buyers/BUY-1/orders", too_many, key="big").status_code == 201


@pytest.mark.slow
def test_a_hundred_identical_requests_at_once_make_one_order(api):
    key = str(uuid.uuid4())
    headers = api.headers(key=key)
    responses = hammer(
        api.url, 100, lambda http, _i: http.post("/api/v1/buyers/BUY-1/orders", json=ORDER, headers=headers)
    )
    assert {r.status_code for r in responses} == {201}, {r.status_code for r in responses}
    assert len({r.json()["number"] for r in responses}) == 1
    assert count(api, Order.id) == 1
    assert api.world.stock() == (100, 2)


@pytest.mark.slow
def test_fifty_buyers_racing_for_the_last_ten_units_never_oversell(api):
    with api.world.store.transaction() as session:
        session.execute(update(StockLevel).values(on_hand=10, reserved=0))
    one = {**ORDER, "lines": [{"sku": "RICE-5", "quantity": 1}]}

    def buy(http, index):
        headers = api.headers(key=f"race-{index}")
        return http.post("/api/v1/buyers/BUY-1/orders", json=one, headers=headers)

    responses = hammer(api.url, 50, buy)
    statuses = sorted(r.status_code for r in responses)
    assert statuses.count(201) == 10, statuses
    assert set(statuses) == {201, 409}
    for refused in (r for r in responses if r.status_code == 409):
        assert refused.json()["type"] == "/api/v1/problems/out-of-stock"
    with api.world.store.reading() as session:
        on_hand, reserved = session.execute(
            select(StockLevel.on_hand, StockLevel.reserved).where(StockLevel.product_id == 1)
        ).one()
        assert session.scalar(select(func.count(Order.id))) == 10
        assert session.scalar(select(func.count(OrderEvent.id))) == 10
    assert (on_hand, reserved) == (10, 10)


@pytest.mark.slow
def test_orders_sharing_products_in_opposite_order_queue_instead_of_deadlocking(api):
    forward = {**ORDER, "lines": [{"sku": "OIL-2", "quantity": 1}, {"sku": "RICE-5", "quantity": 1}]}
    backward = {**ORDER, "lines": [{"sku": "RICE-5", "quantity": 1}, {"sku": "OIL-2", "quantity": 1}]}

    def buy(http, index):
        headers = api.headers(key=f"both-{index}")
        return http.post("/api/v1/buyers/BUY-1/orders", json=forward if index % 2 else backward, headers=headers)

    responses = hammer(api.url, 10, buy)
    assert [r.status_code for r in responses] == [201] * 10, [r.text for r in responses if r.status_code != 201]
    assert api.world.stock("OIL-2") == (10, 10)
