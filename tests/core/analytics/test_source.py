"""Reading the transactional store for the analytics sync: every value arrives as it was stored.

On SQLite the rows travel as one quoted text line each (core.analytics.source), so text that looks
like the transport itself (quotes, commas, line breaks, the word NULL, an empty string) is the
case to prove; on PostgreSQL they come as Arrow from ADBC. Both must give the same values.
"""

from __future__ import annotations

from datetime import UTC, timedelta

import pyarrow as pa
from sqlalchemy import select

from core.analytics.batches import TABLE_NAMES, read_batch
from core.analytics.source import SCHEMAS
from core.domain import PayoutStatus
from core.store.models import Buyer, Order, Payout, Product

AWKWARD_NAMES = [
    "O'Brien's \"best\" beans, 1 kg",
    "Line one\nline two\r\nline three",
    "NULL",
    "",
    "'quoted'",
    "Kopi Luwak ☕ — 250 g, ‘premium’",
    ",,,'',,,",
]


def test_awkward_text_arrives_exactly_as_stored(store, dataset):
    with store.transaction() as session:
        products = session.scalars(select(Product).order_by(Product.id).limit(len(AWKWARD_NAMES))).all()
        for product, name in zip(products, AWKWARD_NAMES):
            product.name = name
        buyer = session.scalars(select(Buyer).order_by(Buyer.id)).first()
        buyer.city = "Line\nbreak, 'and' \"quotes\""
        wanted_products = {product.id: name for product, name in zip(products, AWKWARD_NAMES)}
        wanted_city = (buyer.id, buyer.city)

    batch = read_batch(store.database_url, None)

    names = dict(zip(batch.products.column("id").to_pylist(), batch.products.column("name").to_pylist()))
    assert {product_id: names[product_id] for product_id in wanted_products} == wanted_products
    cities = dict(zip(batch.buyers.column("id").to_pylist(), batch.buyers.column("city").to_pylist()))
    assert cities[wanted_city[0]] == wanted_city[1]


def test_each_table_comes_in_the_canonical_schema_with_nulls_kept(store, dataset, now):
    batch = read_batch(store.database_url, None)

    for name in TABLE_NAMES:
        assert getattr(batch, name).schema == SCHEMAS[name], name
    orders = batch.orders.to_pylist()
    with store.reading() as session:
        stored = {order.id: order for order in session.scalars(select(Order))}
    assert len(orders) == len(stored)
    for row in orders:
        order = stored[row["id"]]
        assert row["order_number"] == order.order_number
        assert row["total_amount"] == order.total_amount
        # Timestamps: naive UTC, microseconds kept; a NULL stays NULL.
        for column in ("placed_at", "accepted_at", "completed_at", "complaint_deadline", "updated_at"):
            value = getattr(order, column)
            expected = None if value is None else value.astimezone(UTC).replace(tzinfo=None)
            assert row[column] == expected, (order.id, column)
        assert row["failure_kind"] == (str(order.failure_kind) if order.failure_kind else None)


def test_an_incremental_read_takes_only_orders_changed_since_the_bound_and_their_lines(store, dataset, now):
    with store.reading() as session:
        newest = session.scalars(select(Order).order_by(Order.updated_at.desc()).limit(5)).all()
        bound = newest[-1].updated_at

    batch = read_batch(store.database_url, bound)

    with store.reading() as session:
        expected = set(session.scalars(select(Order.id).where(Order.updated_at >= bound)))
    assert set(batch.orders.column("id").to_pylist()) == expected
    completed = {row["id"] for row in batch.orders.to_pylist() if row["status"] == "COMPLETED"}
    assert set(batch.items.column("order_id").to_pylist()) <= completed
    assert batch.items.schema == SCHEMAS["items"]


def test_an_empty_read_is_an_empty_table_of_the_right_shape(store, dataset, now):
    batch = read_batch(store.database_url, now + timedelta(days=365))

    assert batch.orders.num_rows == 0
    assert batch.orders.schema == SCHEMAS["orders"]
    assert batch.items.num_rows == 0
    assert isinstance(batch.items, pa.Table)


def test_a_payouts_transfer_reference_arrives_as_stored_and_none_stays_none(store, dataset):
    references = ["NULL", "TRF 'quoted', \"double\"", '=HYPERLINK("x")', "Bank Ñandú 北京"]
    with store.transaction() as session:
        paid = session.scalars(select(Payout).where(Payout.status == PayoutStatus.PAID).order_by(Payout.id)).all()
        for payout, text in zip(paid, references):
            payout.transfer_reference = text
        wanted = {payout.id: payout.transfer_reference for payout in session.scalars(select(Payout))}
    assert None in wanted.values()

    batch = read_batch(store.database_url, None)

    assert batch.payouts.schema == SCHEMAS["payouts"]
    assert (
        dict(zip(batch.payouts.column("id").to_pylist(), batch.payouts.column("transfer_reference").to_pylist()))
        == wanted
    )
