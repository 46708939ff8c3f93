"""The large demo generator: fast business time that agrees with core.warehouses.business_time, and rows
consistent with the lifecycle (on SQLite and PostgreSQL), which the dashboard then reads right."""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import UTC, date, datetime, time, timedelta

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from core.acting import Actor
from core.analytics.dashboard import load_dashboard
from core.analytics.scope import Period
from core.analytics.sync import sync
from core.demo.bulk import generate_bulk
from core.demo.bulk_clock import BusinessClock, to_micros
from core.demo.seed import DEMO_COMPANY_CODE, load_demo
from core.domain import Role
from core.store.models import (
    Company,
    Complaint,
    Order,
    OrderEvent,
    OrderItem,
    Payout,
    Refund,
    Shipment,
    StockLevel,
    User,
    Warehouse,
)
from core.warehouses.business_time import OperatingCalendar, add_business_days
from core.warehouses.operations import calendar_of
from tests.core.analytics import reference

CALENDARS = [
    OperatingCalendar("Asia/Jakarta", frozenset({0, 1, 2, 3, 4}), time(8), time(17)),
    OperatingCalendar(
        "Asia/Makassar",
        frozenset({0, 1, 2, 3, 4, 5}),
        time(8),
        time(16),
        closures=frozenset({date(2026, 3, 2), date(2026, 8, 18)}),
    ),
    OperatingCalendar("Asia/Jayapura", frozenset({0, 1, 2, 3, 4}), time(9), time(17), observe_joint_leave=False),
]
CLOCKS = [BusinessClock(cal, date(2025, 12, 1), date(2027, 3, 1)) for cal in CALENDARS]
START = datetime(2026, 1, 1, tzinfo=UTC)


def _from_us(value: int) -> datetime:
    return datetime(1970, 1, 1, tzinfo=UTC) + timedelta(microseconds=int(value))


@settings(max_examples=300, deadline=None)
@given(
    which=st.integers(0, 2),
    offset_s=st.integers(0, 360 * 86400),
    micros=st.integers(0, 999_999),
    days=st.sampled_from([0, 0.5, 1, 2, 3, 5]),
)
def test_the_vectorised_business_clock_agrees_with_business_time(which, offset_s, micros, days):
    start = START + timedelta(seconds=offset_s, microseconds=micros)
    got = CLOCKS[which].add_days(np.array([to_micros(start)], dtype=np.int64), days)[0]
    assert _from_us(got) == add_business_days(CALENDARS[which], start, days)


def test_the_business_clock_agrees_on_opening_and_closing_instants():
    for cal, clock in zip(CALENDARS, CLOCKS):
        for day in (date(2026, 3, 2), date(2026, 3, 6), date(2026, 3, 7), date(2026, 12, 24)):
            for moment in (cal.opens, cal.closes, time(0), time(23, 59, 59)):
                from zoneinfo import ZoneInfo

                start = datetime.combine(day, moment, ZoneInfo(cal.time_zone))
                for days in (0, 1, 2):
                    got = clock.add_days(np.array([to_micros(start)], dtype=np.int64), days)[0]
                    assert _from_us(got) == add_business_days(cal, start, days), (cal.time_zone, start, days)


@pytest.fixture
def bulk(store, now):
    load_demo(store, seed=3, now=now - timedelta(days=400), history_days=0)
    return generate_bulk(store, orders=3000, company_code=DEMO_COMPANY_CODE, seed=11, now=now, days=60, chunk_size=1000)


@pytest.mark.slow  # generates a bulk store
def test_bulk_orders_are_consistent_with_the_lifecycle(store, now, bulk):
    with store.reading() as s:
        orders = {o.id: o for o in s.scalars(select(Order))}
        items = defaultdict(list)
        for item in s.scalars(select(OrderItem)):
            items[item.order_id].append(item)
        events = defaultdict(list)
        for event in s.scalars(select(OrderEvent).order_by(OrderEvent.id)):
            events[event.order_id].append(event)
        payouts = {p.order_id: p for p in s.scalars(select(Payout))}
        refunds = {r.order_id: r for r in s.scalars(select(Refund))}
        complaints = {c.order_id: c for c in s.scalars(select(Complaint))}
        shipments = set(s.scalars(select(Shipment.order_id)))
        warehouses = {w.id: w for w in s.scalars(select(Warehouse))}
        calendars = {w.id: calendar_of(s, w) for w in warehouses.values()}
        stock = {(lvl.warehouse_id, lvl.product_id): lvl for lvl in s.scalars(select(StockLevel))}
    assert len(orders) == bulk.orders == 3000
    assert Counter(str(o.status) for o in orders.values()) == Counter(bulk.by_status)
    assert {"COMPLETED", "CANCELLED", "REJECTED", "PROCESSING", "SHIPPED", "DELIVERED", "REFUNDED"} <= set(
        bulk.by_status
    )
    reserved = Counter()
    for n, o in enumerate(orders.values()):
        lines = items[o.id]
        assert lines and o.total_amount == sum(i.line_total for i in lines)
        assert o.item_count == sum(i.quantity for i in lines)
        assert all(i.line_total == i.quantity * i.unit_price for i in lines)
        assert len({i.product_id for i in lines}) == len(lines)
        stamps = [
            t
            for t in (o.placed_at, o.accepted_at, o.packed_at, o.shipped_at, o.delivered_at, o.completed_at)
            if t is not None
        ]
        assert stamps == sorted(stamps) and max(stamps) <= now
        assert o.updated_at == max(t for t in (*stamps, o.closed_at) if t is not None) or o.status in (
            "COMPLAINED",
            "RETURN_REQUESTED",
        )
        cal = calendars[o.warehouse_id]
        if n % 10 == 0:  # business-time deadlines, checked with core.warehouses.business_time itself
            assert o.confirm_deadline == add_business_days(cal, o.placed_at, 1)
            if o.accepted_at:
                assert o.accepted_at <= o.confirm_deadline
                assert o.pack_deadline == add_business_days(
                    cal, o.accepted_at, warehouses[o.warehouse_id].processing_days
                )
        if o.packed_at:
            assert o.delivery_deadline == o.packed_at + timedelta(days=warehouses[o.warehouse_id].delivery_sla_days)
        if o.delivered_at:
            assert o.complete_deadline == o.delivered_at + timedelta(days=2)
        assert (o.status == "COMPLETED") == (o.id in payouts)
        if o.id in payouts:
            assert payouts[o.id].amount == o.total_amount
            assert (
                (payouts[o.id].status == "PAID")
                == (payouts[o.id].paid_at is not None)
                == (payouts[o.id].transfer_reference is not None)
            )
        assert (o.status == "REFUNDED") == (o.id in refunds)
        if o.id in refunds:
            assert refunds[o.id].amount == o.total_amount and refunds[o.id].created_at == o.closed_at
        assert (o.status in ("COMPLAINED", "RETURN_REQUESTED", "REFUNDED")) == (o.id in complaints)
        assert (o.shipped_at is not None) == (o.id in shipments)
        if o.status in ("REJECTED", "CANCELLED"):
            assert o.failure_kind is not None and o.closed_at is not None
        else:
            assert o.failure_kind is None
        trail = events[o.id]
        assert trail[0].from_status is None and trail[0].to_status == "PENDING_CONFIRMATION"
        assert trail[0].at == o.placed_at and trail[-1].to_status == o.status
        assert all(a.to_status == b.from_status for a, b in zip(trail, trail[1:]))
        if o.status in ("PENDING_CONFIRMATION", "PROCESSING", "READY_TO_SHIP"):
            for i in lines:
                reserved[(o.warehouse_id, i.product_id)] += i.quantity
    for key, level in stock.items():
        assert level.reserved == reserved.get(key, 0) and level.on_hand >= level.reserved


@pytest.mark.slow  # generates a bulk store
def test_the_dashboard_reads_bulk_orders_as_the_store_has_them(store, now, bulk, tmp_path):
    from core.analytics.snapshots import AnalyticsStore

    analytics = AnalyticsStore(tmp_path / "analytics")
    sync(store, analytics, now)
    with store.reading() as s:
        company = s.scalar(select(Company).where(Company.company_code == DEMO_COMPANY_CODE))
        user = s.scalar(select(User).where(User.company_id == company.id, User.user_code == "pm"))
    actor = Actor(user.id, company.id, DEMO_COMPANY_CODE, "pm", Role.PRODUCT_MANAGER)
    period = Period(now.date() - timedelta(days=29), now.date())
    dash = load_dashboard(store, analytics, actor, period)
    assert {k.key: (k.value, k.previous) for k in dash.kpis} == reference.kpis(
        store, company.id, period.start, period.end
    )
    health = reference.funnel_health(store, company.id, period.start, period.end)
    assert [s.count for s in dash.funnel] == health["funnel"]
    for metric in dash.health:
        if metric.numerator is not None:
            assert (metric.numerator, metric.denominator) == health[metric.key][1:], metric.key
    assert [(p.product_id, p.units, p.revenue) for p in dash.top_products] == reference.top_products(
        store, company.id, period.start, period.end
    )
