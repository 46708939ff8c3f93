"""Idempotency keys in core: the key is recorded in the same transaction as the work, a refusal
leaves no key, another body is refused, and keys are forgotten after 24 hours."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from core.domain import ApiScope
from core.errors import OutOfStock
from core.integration.clients import authenticate, create_client
from core.integration.idempotency import Answer, KeyMissing, KeyReused, answer_once, checked_key, forget_expired
from core.orders.buyer_channel import OrderLine, place_order
from core.store.models import IdempotencyKey, Order
from tests.builders import MONDAY_10


@pytest.fixture
def client(world):
    issued = create_client(world.store, operator="ops", name="app", scope=ApiScope.BUYER_APP, now=MONDAY_10)
    return authenticate(world.store, issued.token)


def _order(world, quantity):
    def work():
        placed = place_order(
            world.store,
            buyer_code="BUY-1",
            company_code="ACME01",
            warehouse_code="JKT-1",
            lines=[OrderLine("RICE-5", quantity)],
            now=MONDAY_10,
        )
        return Answer(201, {"number": placed.order_number})

    return work


def counts(world):
    with world.store.reading() as session:
        return session.scalar(select(func.count(Order.id))), session.scalar(select(func.count(IdempotencyKey.id)))


def test_the_work_runs_once_per_key(world, client):
    first = answer_once(world.store, client, key="k", request_fingerprint="a", now=MONDAY_10, work=_order(world, 1))
    again = answer_once(world.store, client, key="k", request_fingerprint="a", now=MONDAY_10, work=_order(world, 1))
    assert (first.replayed, again.replayed) == (False, True)
    assert again.body == first.body
    assert counts(world) == (1, 1)
    with pytest.raises(KeyReused):
        answer_once(world.store, client, key="k", request_fingerprint="b", now=MONDAY_10, work=_order(world, 1))


def test_a_retry_the_first_answer_s_state_would_refuse_still_gets_the_first_answer(world, client):
    first = answer_once(world.store, client, key="k", request_fingerprint="a", now=MONDAY_10, work=_order(world, 60))
    # 40 units are left: the work itself would now be refused for stock; the key's answer stands.
    again = answer_once(world.store, client, key="k", request_fingerprint="a", now=MONDAY_10, work=_order(world, 60))
    assert (again.replayed, again.body) == (True, first.body)
    assert counts(world) == (1, 1)
    assert world.stock() == (100, 60)
    with pytest.raises(KeyReused):
        answer_once(world.store, client, key="k", request_fingerprint="b", now=MONDAY_10, work=_order(world, 60))


def test_a_refusal_rolls_back_the_key_with_the_work(world, client):
    with pytest.raises(OutOfStock):
        answer_once(world.store, client, key="k", request_fingerprint="a", now=MONDAY_10, work=_order(world, 1000))
    assert counts(world) == (0, 0)


def test_a_failure_after_the_work_undoes_the_work_too(world, client):
    def work():
        _order(world, 1)()
        raise RuntimeError("the answer could not be built")

    with pytest.raises(RuntimeError):
        answer_once(world.store, client, key="k", request_fingerprint="a", now=MONDAY_10, work=work)
    assert counts(world) == (0, 0)
    assert world.stock() == (100, 0)


def test_keys_are_forgotten_after_a_day(world, client):
    answer_once(world.store, client, key="k", request_fingerprint="a", now=MONDAY_10, work=_order(world, 1))
    assert forget_expired(world.store, MONDAY_10 + timedelta(hours=23)) == 0
    assert forget_expired(world.store, MONDAY_10 + timedelta(hours=24, seconds=1)) == 1
    assert counts(world) == (1, 0)


@pytest.mark.parametrize("key", [None, "", "   ", "x" * 256, "naïve", "tab\there"])
def test_a_key_must_be_printable_ascii_of_reasonable_length(key):
    with pytest.raises(KeyMissing):
        checked_key(key)
