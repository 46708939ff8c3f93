"""The demo's order history is played through the real services, and it shows every path."""

from __future__ import annotations

from collections import defaultdict

import pytest
from sqlalchemy import func, select

from core.demo.seed import load_demo
from core.domain import ComplaintResolution, FailureKind, OrderStatus
from core.orders.lifecycle import RESERVING_STATUSES
from core.store.models import Complaint, Order, OrderEvent, OrderItem, Payout, StockLevel


@pytest.mark.slow  # plays months of orders
def test_the_demo_history_is_consistent_and_shows_every_path(store, now):
    """One history per database (playing it takes seconds), then every property below."""
    load_demo(store, seed=2026, now=now, history_days=28, orders_per_weekday=16)
    reaches_every_ending_and_leaves_orders_in_flight(store)
    every_order_has_an_unbroken_event_chain_ending_in_its_status(store)
    reserved_stock_is_exactly_what_open_orders_hold(store)
    payouts_exist_exactly_for_completed_orders(store)


def reaches_every_ending_and_leaves_orders_in_flight(history):
    with history.reading() as session:
        statuses = set(session.scalars(select(Order.status).distinct()))
        kinds = set(session.scalars(select(Order.failure_kind).where(Order.failure_kind.is_not(None)).distinct()))
        resolutions = set(session.scalars(select(Complaint.resolution).distinct()))
        triggers = set(session.scalars(select(Payout.trigger).distinct()))
    assert {OrderStatus.COMPLETED, OrderStatus.CANCELLED, OrderStatus.REJECTED, OrderStatus.REFUNDED} <= statuses
    assert statuses & {
        OrderStatus.PENDING_CONFIRMATION,
        OrderStatus.PROCESSING,
        OrderStatus.SHIPPED,
        OrderStatus.DELIVERED,
        OrderStatus.READY_TO_SHIP,
    }
    assert kinds == {FailureKind.CANCELLED_BY_SYSTEM, FailureKind.CANCELLED_BY_BUYER, FailureKind.REJECTED_BY_SELLER}
    assert {ComplaintResolution.AUTO_REFUND, ComplaintResolution.REFUND} <= resolutions
    assert triggers == {"BUYER_CONFIRMED", "AUTO_AFTER_DELIVERY"}


def every_order_has_an_unbroken_event_chain_ending_in_its_status(history):
    with history.reading() as session:
        chains = defaultdict(list)
        for order_id, source, target in session.execute(
            select(OrderEvent.order_id, OrderEvent.from_status, OrderEvent.to_status).order_by(OrderEvent.id)
        ):
            chains[order_id].append((source, target))
        status = dict(session.execute(select(Order.id, Order.status)).all())
    assert len(status) > 100
    for order_id, chain in chains.items():
        assert chain[0][0] is None
        assert all(chain[i][1] == chain[i + 1][0] for i in range(len(chain) - 1)), chain
        assert chain[-1][1] == status[order_id]


def reserved_stock_is_exactly_what_open_orders_hold(history):
    with history.reading() as session:
        held = dict(
            session.execute(
                select(StockLevel.id, func.coalesce(func.sum(OrderItem.quantity), 0))
                .select_from(StockLevel)
                .outerjoin(
                    Order, (Order.warehouse_id == StockLevel.warehouse_id) & Order.status.in_(list(RESERVING_STATUSES))
                )
                .outerjoin(
                    OrderItem, (OrderItem.order_id == Order.id) & (OrderItem.product_id == StockLevel.product_id)
                )
                .group_by(StockLevel.id)
            ).all()
        )
        reserved = dict(session.execute(select(StockLevel.id, StockLevel.reserved)).all())
    assert reserved == held


def payouts_exist_exactly_for_completed_orders(history):
    with history.reading() as session:
        completed = set(session.scalars(select(Order.id).where(Order.status == OrderStatus.COMPLETED)))
        paid = set(session.scalars(select(Payout.order_id)))
        totals = dict(session.execute(select(Order.id, Order.total_amount).where(Order.id.in_(completed))).all())
        amounts = dict(session.execute(select(Payout.order_id, Payout.amount)).all())
    assert paid == completed
    assert amounts == totals  # the full amount, no fees
