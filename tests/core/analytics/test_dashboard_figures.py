"""Every dashboard figure, checked against the same figure computed straight from the store.

The reference (tests/core/analytics/reference.py) reads the transactional store with plain
SQLAlchemy selects and computes in Python; the dashboard reads the DuckDB snapshot. Each runs on
SQLite and on PostgreSQL, for several periods and warehouse filters.
"""

from __future__ import annotations

import json
import random
from datetime import date, timedelta

import duckdb
import pytest
from sqlalchemy import select

from core.analytics.dashboard import HEALTH_TARGETS, company_warehouses, load_dashboard
from core.analytics.history import HistoryFilters, load_history
from core.analytics.scope import Period
from core.analytics.snapshots import SLOTS, AnalyticsNotReady, AnalyticsStore, release_readers
from core.analytics.sync import rebuild, sync
from core.domain import PayoutStatus, Role
from core.errors import AccessDenied, InvalidInput, NotFound
from core.store.models import Order, Payout, Warehouse
from tests.core.analytics import reference
from tests.core.analytics.dataset import advance_randomly, assert_same, contents

# (start offset from now's date, length in days, warehouse)
CASES = [
    (-69, 70, None),  # everything
    (-13, 14, None),  # two weeks, previous two weeks before
    (-29, 30, "JKT-01"),  # one warehouse (WIB)
    (-29, 30, "JYP-01"),  # the other (WIT)
    (-2, 1, None),  # the local day of the midnight edge orders (00:30 WIB, 02:30 WIT)
    (-3, 1, None),  # their UTC day (17:30 UTC): they must not count there
    (-400, 10, None),  # nothing at all
    (-364, 365, None),  # a year (the daily figures summed over 365 days, and the year before)
    (-364, 365, "JYP-01"),  # a year of one warehouse
    (-730, 731, None),  # the longest period there is
]


def _period(now, offset, days):
    start = now.date() + timedelta(days=offset)
    return Period(start, start + timedelta(days=days - 1))


@pytest.mark.parametrize("offset,days,warehouse", CASES)
def test_every_dashboard_figure_matches_the_store(store, analytics, synced, now, offset, days, warehouse):
    assert_matches_the_store(store, analytics, synced.a, _period(now, offset, days), warehouse)


def assert_matches_the_store(store, analytics, company, period, warehouse=None):
    """Every figure of the dashboard equals the reference's, computed from the store."""
    dash = load_dashboard(store, analytics, company.actor(), period, warehouse, remembered=False)

    expected_kpis = reference.kpis(store, company.id, period.start, period.end, warehouse)
    assert {k.key: (k.value, k.previous) for k in dash.kpis} == expected_kpis

    assert [(p.day, p.revenue, p.orders) for p in dash.trend] == reference.trend(
        store, company.id, period.start, period.end, warehouse
    )

    health = reference.funnel_health(store, company.id, period.start, period.end, warehouse)
    assert [stage.count for stage in dash.funnel] == health["funnel"]
    assert {s: n for s, n in dash.status_counts.items() if n} == dict(health["status_counts"])
    for metric in dash.health:
        assert metric.target == HEALTH_TARGETS[metric.key][0]
        if metric.key == "median_hours_to_accept":
            expected = health[metric.key]
            assert (metric.value is None) == (expected is None)
            if expected is not None:
                assert metric.value == pytest.approx(expected, abs=1e-9)
        else:
            value, numerator, denominator = health[metric.key]
            assert (metric.numerator, metric.denominator) == (numerator, denominator), metric.key
            assert metric.value == (pytest.approx(value) if value is not None else None), metric.key
    assert (dash.refunds_count, dash.refunds_amount) == health["refunds"]

    assert [(p.product_id, p.units, p.revenue) for p in dash.top_products] == reference.top_products(
        store, company.id, period.start, period.end, warehouse
    )
    assert {w.code: (w.revenue, w.orders) for w in dash.warehouse_revenue} == reference.warehouse_revenue(
        store, company.id, period.start, period.end, warehouse
    )
    assert [(a.order_id, a.deadline) for a in dash.needs_action] == reference.needs_action(store, company.id, warehouse)


def test_figures_of_old_days_after_a_sync_changes_their_orders(store, analytics, synced, now):
    """Orders placed weeks ago take their next steps, and payouts of orders completed weeks ago are
    paid without touching the orders: the sync recomputes those old days' figures, in both slots."""
    company, later = synced.a, now + timedelta(hours=2)
    old = Period(now.date() - timedelta(days=69), now.date() - timedelta(days=35))
    before = load_dashboard(store, analytics, company.actor(), old, remembered=False)
    with store.transaction() as s:
        waiting = s.scalars(
            select(Payout)
            .join(Order, Order.id == Payout.order_id)
            .where(Payout.status == PayoutStatus.PENDING, Order.completed_at < now - timedelta(days=35))
        ).all()
        assert waiting  # the dataset has payouts of old orders still to pay
        for payout in waiting:
            payout.status, payout.paid_at, payout.transfer_reference = PayoutStatus.PAID, later, f"TRF-OLD-{payout.id}"
    advance_randomly(store, random.Random(11), synced, later, changes=1000)  # every open order, one step
    for _ in range(2):  # each slot catches up from its own watermark
        assert sync(store, analytics, later).mode == "incremental"
        after = load_dashboard(store, analytics, company.actor(), old, remembered=False)
        assert [k.value for k in after.kpis] != [k.value for k in before.kpis]
        assert [s.count for s in after.funnel] != [s.count for s in before.funnel]
        for period, warehouse in ((old, None), (_period(later, -364, 365), None), (_period(later, -69, 70), "JKT-01")):
            assert_matches_the_store(store, analytics, company, period, warehouse)
            assert_matches_the_store(store, analytics, synced.b, period)


def test_a_warehouse_whose_time_zone_changes_moves_its_days_figures(store, analytics, synced, now, tmp_path):
    """JYP-01's zone becomes UTC: its orders' local days move back nine hours, and with them the daily
    figures of every day of that warehouse (its midnight edge order, 02:30 WIT, goes back a day)."""
    period = _period(now, -69, 70)
    edge_day = _period(now, -2, 1)
    before = load_dashboard(store, analytics, synced.a.actor(), edge_day, "JYP-01", remembered=False)
    with store.transaction() as s:
        s.get(Warehouse, next(w for w, code, _ in synced.a.warehouses if code == "JYP-01")).time_zone = "UTC"
    for _ in range(2):  # both slots
        assert sync(store, analytics, now).mode == "incremental"
        after = load_dashboard(store, analytics, synced.a.actor(), edge_day, "JYP-01", remembered=False)
        assert after.kpis[1].value == before.kpis[1].value - 1  # the edge order left that day
        for days in (period, edge_day, _period(now, -364, 365)):
            for warehouse in (None, "JYP-01"):
                assert_matches_the_store(store, analytics, synced.a, days, warehouse)
    fresh = AnalyticsStore(tmp_path / "rebuilt")
    rebuild(store, fresh, now)
    assert_same(contents(analytics), contents(fresh))


def test_a_snapshot_of_an_older_schema_is_rebuilt_by_the_next_sync(store, analytics, synced, now):
    """Snapshot files from before the daily figures: readers hear "not ready" rather than fail on a
    missing table, and the next sync builds a complete snapshot instead of patching the old one."""
    release_readers(analytics)
    for slot in SLOTS:
        with duckdb.connect(str(analytics.slot_path(slot))) as con:
            con.execute("DROP TABLE daily_completed; DROP TABLE daily_placed; DROP TABLE daily_products")
            con.execute("UPDATE sync_state SET schema_version = 5")
    pointer = analytics.read_pointer()
    analytics.pointer_path.write_text(json.dumps({**pointer, "schema_version": 5}))
    period = _period(now, -364, 365)
    with pytest.raises(AnalyticsNotReady):
        load_dashboard(store, analytics, synced.a.actor(), period)
    assert sync(store, analytics, now).mode == "rebuild"
    assert_matches_the_store(store, analytics, synced.a, period)
    assert sync(store, analytics, now).mode == "incremental"  # the other slot: replaced by the rebuilt one
    assert_matches_the_store(store, analytics, synced.a, period)


def test_the_dataset_exercises_every_figure(store, analytics, synced, now):
    """Guard against a vacuous comparison: the full period has something in every section."""
    dash = load_dashboard(store, analytics, synced.a.actor(), _period(now, -69, 70))
    assert all(k.value > 0 for k in dash.kpis if k.key != "payouts_pending") and dash.kpis[4].value > 0
    assert all(m.value not in (None, 0) for m in dash.health)
    assert dash.refunds_count > 0 and dash.needs_action and len(dash.top_products) == 4
    # The two orders completed at 17:30 UTC count on the next (local) day, in WIB and in WIT alike.
    utc_day = (now - timedelta(days=3)).date()
    edge_orders = {"ORD-000201", "ORD-000202"}
    local = load_history(
        store,
        analytics,
        synced.a.actor(),
        HistoryFilters(Period(utc_day + timedelta(days=1), utc_day + timedelta(days=1))),
    )
    assert edge_orders <= {row.order_number for row in local.rows}
    same_utc_day = load_history(store, analytics, synced.a.actor(), HistoryFilters(Period(utc_day, utc_day)))
    assert not edge_orders & {row.order_number for row in same_utc_day.rows}


def test_a_company_sees_only_its_own_figures(store, analytics, synced, now):
    period = _period(now, -69, 70)
    a = load_dashboard(store, analytics, synced.a.actor(), period)
    b = load_dashboard(store, analytics, synced.b.actor(), period)
    assert {k.key: (k.value, k.previous) for k in b.kpis} == reference.kpis(
        store, synced.b.id, period.start, period.end
    )
    assert {w.code for w in a.warehouse_revenue} == {"JKT-01", "JYP-01"}
    assert {w.code for w in b.warehouse_revenue} == {"MKS-01"}
    assert {p.sku for p in b.top_products} <= {"B-001"}
    assert set(a.status_counts) == set(b.status_counts)
    assert [w.code for w in company_warehouses(store, analytics, synced.b.actor())] == ["MKS-01"]
    with pytest.raises(NotFound):
        load_dashboard(store, analytics, synced.a.actor(), period, "MKS-01")  # B's warehouse, asked by A


def test_only_a_product_manager_may_see_the_dashboard(store, analytics, synced, now):
    with pytest.raises(AccessDenied):
        load_dashboard(store, analytics, synced.a.actor(Role.SYSTEM_ADMINISTRATOR), _period(now, -6, 7))
    with pytest.raises(AccessDenied):
        load_dashboard(store, analytics, None, _period(now, -6, 7))


def test_figures_checked_by_hand_on_three_orders(store, analytics, now):
    """Three orders whose figures are worked out here, independent of both implementations."""
    import random

    from core.analytics.sync import sync
    from core.store.models import Buyer
    from tests.core.analytics.dataset import _company, add_order

    with store.transaction() as s:
        company = _company(s, "HAND01", now, [("JKT-01", "Asia/Jakarta")], [("H-1", "Teh", 10_000)])
        buyer = Buyer(buyer_code="LVM-99999", name="Toko Satu", created_at=now)
        s.add(buyer)
        s.flush()
        rng = random.Random(1)
        placed = now - timedelta(days=5)
        done = add_order(s, rng, company, buyer.id, placed, "completed_paid", number="H-1")
        waiting = add_order(s, rng, company, buyer.id, placed, "completed_pending_payout", number="H-2")
        rejected = add_order(s, rng, company, buyer.id, placed, "rejected", number="H-3")
        for order in (done, waiting):
            order.completed_at = now - timedelta(days=1)
        expected_revenue = done.total_amount + waiting.total_amount
        expected_units = done.item_count + waiting.item_count
    sync(store, analytics, now)
    period = Period(now.date() - timedelta(days=6), now.date())
    dash = load_dashboard(store, analytics, company.actor(), period)
    figures = {k.key: k.value for k in dash.kpis}
    assert figures["revenue"] == expected_revenue and figures["orders"] == 2
    assert figures["average_order_value"] == expected_revenue // 2
    assert figures["units"] == expected_units
    assert figures["payouts_paid"] == done.total_amount and figures["payouts_pending"] == waiting.total_amount
    health = {m.key: m for m in dash.health}
    assert (health["acceptance_rate"].numerator, health["acceptance_rate"].denominator) == (2, 3)
    assert health["auto_cancellation_rate"].value == 0
    assert [s.count for s in dash.funnel] == [3, 2, 2, 2, 2, 2]
    assert rejected.status == "REJECTED"


def test_a_period_must_be_a_real_range():
    with pytest.raises(InvalidInput):
        Period(date(2026, 11, 2), date(2026, 11, 1))
    assert Period(date(2026, 11, 1), date(2026, 11, 7)).previous() == Period(date(2026, 10, 25), date(2026, 10, 31))


def test_no_snapshot_yet_is_said_in_one_sentence(store, analytics, dataset, now):
    with pytest.raises(AnalyticsNotReady) as raised:
        load_dashboard(store, analytics, dataset.a.actor(), _period(now, -6, 7))
    assert "not ready yet" in raised.value.message


def test_the_trend_dates_are_named_in_the_readers_language():
    """Plotly names months in English offline: the page labels the date axis with these."""
    from core.analytics.dashboard import day_name, day_ticks
    from core.i18n import using

    august = [date(2026, 8, 1) + timedelta(days=n) for n in range(31)]
    days, texts = day_ticks(august, "id")
    assert days == august[::7] and texts == ["1 Agu", "8 Agu", "15 Agu", "22 Agu", "29 Agu"]
    assert day_ticks(august[:5], "en") == (august[:5], ["1 Aug", "2 Aug", "3 Aug", "4 Aug", "5 Aug"])
    year = [date(2026, 1, 1) + timedelta(days=n) for n in range(365)]
    days, texts = day_ticks(year, "id")
    assert len(days) <= 8 and all(d.day == 1 for d in days) and texts[:2] == ["Jan 2026", "Mar 2026"]
    assert "Mei 2026" in texts and day_ticks([], "id") == ([], [])
    with using("id"):
        assert day_name(date(2026, 8, 5)) == "Rab, 05 Agu 2026"
    assert day_name(date(2026, 8, 5)) == "Wed, 05 Aug 2026"


def test_the_refusals_read_as_whole_sentences_in_either_language():
    with pytest.raises(InvalidInput) as raised:
        Period(date(2026, 12, 2), date(2026, 12, 1))
    assert raised.value.message == "The start date must not be after the end date."
    assert raised.value.text("id") == "Tanggal mulai tidak boleh setelah tanggal akhir."
    with pytest.raises(InvalidInput) as raised:
        Period(date(2024, 1, 1), date(2026, 12, 1))
    assert raised.value.text("id") == "Pilih periode paling lama 731 hari."
    with pytest.raises(InvalidInput) as raised:
        HistoryFilters(Period(date(2026, 11, 1), date(2026, 11, 30)), min_total=10, max_total=5)
    assert raised.value.text("id") == "Total pesanan terendah tidak boleh lebih tinggi dari yang tertinggi."


def test_figures_are_read_once_per_snapshot_and_afresh_after_a_sync(store, analytics, synced, now):
    """A run again, or a colleague asking the same, gets the snapshot's answer without reading it
    again; another company, period or warehouse is another question; a sync's new snapshot is read."""
    period = _period(now, -69, 70)
    first = load_dashboard(store, analytics, synced.a.actor(), period)
    assert load_dashboard(store, analytics, synced.a.actor(), period) is first
    assert load_dashboard(store, analytics, synced.a.actor(), period, "JKT-01") is not first
    assert load_dashboard(store, analytics, synced.b.actor(), period).kpis != first.kpis
    assert load_dashboard(store, analytics, synced.a.actor(), period, remembered=False) is not first

    advance_randomly(store, random.Random(3), synced, now, changes=40)
    sync(store, analytics, now + timedelta(minutes=1))
    after = load_dashboard(store, analytics, synced.a.actor(), period)
    assert after is not first and after.info.generation > first.info.generation
    assert {k.key: (k.value, k.previous) for k in after.kpis} == reference.kpis(
        store, synced.a.id, period.start, period.end
    )
    with pytest.raises(AccessDenied):  # the right to see them is checked on every call, remembered or not
        load_dashboard(store, analytics, synced.a.actor(Role.SYSTEM_ADMINISTRATOR), period)
