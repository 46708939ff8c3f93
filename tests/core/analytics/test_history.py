"""Transaction history: rows, totals and paging of the filtered set, checked against the store."""

from __future__ import annotations

from datetime import timedelta

import pytest

from core.analytics.history import HistoryFilters, history_options, load_history, payout_status_label
from core.analytics.scope import Period
from core.domain import PayoutStatus, Role
from core.errors import AccessDenied, InvalidInput, NotFound
from tests.core.analytics import reference


def _all_pages(store, analytics, actor, filters, page_size):
    first = load_history(store, analytics, actor, filters, page=1, page_size=page_size)
    rows = list(first.rows)
    for page in range(2, first.page_count + 1):
        rows += load_history(store, analytics, actor, filters, page=page, page_size=page_size).rows
    return first, rows


FILTERS = [
    dict(),
    dict(warehouse_code="JYP-01"),
    dict(product_sku="A-002"),
    dict(buyer_code="LVM-00003"),
    dict(min_total=100_000, max_total=400_000),
    dict(warehouse_code="JKT-01", product_sku="A-001", min_total=50_000),
    dict(payout_status=PayoutStatus.PENDING),
    dict(payout_status=PayoutStatus.PAID, product_sku="A-003"),
]


@pytest.mark.parametrize("extra", FILTERS, ids=lambda d: ",".join(d) or "none")
def test_history_rows_and_totals_match_the_store(store, analytics, synced, now, extra):
    period = Period(now.date() - timedelta(days=69), now.date())
    filters = HistoryFilters(period, **extra)
    first, rows = _all_pages(store, analytics, synced.a.actor(), filters, page_size=7)
    expected = reference.history_lines(
        store,
        synced.a.id,
        period.start,
        period.end,
        warehouse_code=extra.get("warehouse_code"),
        sku=extra.get("product_sku"),
        buyer_code=extra.get("buyer_code"),
        min_total=extra.get("min_total"),
        max_total=extra.get("max_total"),
        payout_status=extra.get("payout_status"),
    )
    assert expected, "the filter should select something"
    assert [
        (
            r.order_number,
            r.sku,
            r.quantity,
            r.unit_price,
            r.line_total,
            r.warehouse_code,
            r.buyer_code,
            r.local(r.completed_at),
            r.local(r.placed_at),
            r.payout_status,
            r.paid_at,
            r.transfer_reference,
        )
        for r in rows
    ] == [
        (
            e["order_number"],
            e["sku"],
            e["quantity"],
            e["unit_price"],
            e["line_total"],
            e["warehouse"],
            e["buyer_code"],
            e["completed_local"],
            e["placed_local"],
            e["payout_status"],
            e["paid_at"],
            e["transfer_reference"],
        )
        for e in expected
    ]
    assert first.totals.lines == len(expected)
    assert first.totals.orders == len({e["order_id"] for e in expected})
    assert first.totals.units == sum(e["quantity"] for e in expected)
    assert first.totals.amount == sum(e["line_total"] for e in expected)
    assert first.page_count == -(-len(expected) // 7)
    assert {r.zone_abbr for r in rows} <= {"WIB", "WIT"}


def test_each_line_carries_its_orders_payout(store, analytics, synced, now):
    """Waiting payouts have no paid time or reference; paid ones have both, the time in the warehouse's zone."""
    period = Period(now.date() - timedelta(days=69), now.date())
    rows = _all_pages(store, analytics, synced.a.actor(), HistoryFilters(period), 100)[1]
    expected = {
        (e["order_id"], e["item_id"]): e for e in reference.history_lines(store, synced.a.id, period.start, period.end)
    }
    assert {r.payout_status for r in rows} == {"PENDING", "PAID"}
    for row in rows:
        e = expected[row.key[1:]]
        if row.payout_status == "PAID":
            assert row.paid_at == e["paid_at"] and row.paid_at.tzinfo is not None
            assert row.local(row.paid_at) == e["paid_local"]
            assert row.transfer_reference == e["transfer_reference"] == f"TRF-{row.key[1]:08d}"
        else:
            assert row.paid_at is None and row.transfer_reference is None
    assert [payout_status_label(s) for s in ("PENDING", "PAID", None)] == ["Waiting", "Paid", ""]


def test_the_payout_filter_counts_orders_and_lines_of_that_status(store, analytics, synced, now):
    period = Period(now.date() - timedelta(days=69), now.date())
    actor = synced.a.actor()
    every = load_history(store, analytics, actor, HistoryFilters(period)).totals
    waiting = load_history(store, analytics, actor, HistoryFilters(period, payout_status=PayoutStatus.PENDING)).totals
    paid = load_history(store, analytics, actor, HistoryFilters(period, payout_status="PAID")).totals
    assert waiting.orders and paid.orders
    assert (waiting.orders + paid.orders, waiting.lines + paid.lines, waiting.amount + paid.amount) == (
        every.orders,
        every.lines,
        every.amount,
    )


def test_a_page_past_the_end_shows_the_last_page(store, analytics, synced, now):
    filters = HistoryFilters(Period(now.date() - timedelta(days=69), now.date()))
    page = load_history(store, analytics, synced.a.actor(), filters, page=10_000, page_size=50)
    assert page.page == page.page_count and page.rows


def test_history_is_only_the_companys_own(store, analytics, synced, now):
    period = Period(now.date() - timedelta(days=69), now.date())
    a_rows = _all_pages(store, analytics, synced.a.actor(), HistoryFilters(period), 100)[1]
    b_rows = _all_pages(store, analytics, synced.b.actor(), HistoryFilters(period), 100)[1]
    assert {r.sku for r in a_rows}.isdisjoint({r.sku for r in b_rows})
    assert len(b_rows) == len(reference.history_lines(store, synced.b.id, period.start, period.end))
    with pytest.raises(NotFound):
        load_history(store, analytics, synced.a.actor(), HistoryFilters(period, product_sku="B-001"))
    with pytest.raises(NotFound):
        load_history(store, analytics, synced.a.actor(), HistoryFilters(period, warehouse_code="MKS-01"))
    options = history_options(store, analytics, synced.b.actor())
    assert [w.code for w in options.warehouses] == ["MKS-01"] and [s for s, _ in options.products] == ["B-001"]


def test_history_refuses_the_wrong_role_and_bad_input(store, analytics, synced, now):
    period = Period(now.date() - timedelta(days=6), now.date())
    with pytest.raises(AccessDenied):
        load_history(store, analytics, synced.a.actor(Role.SYSTEM_ADMINISTRATOR), HistoryFilters(period))
    with pytest.raises(InvalidInput):
        HistoryFilters(period, min_total=10, max_total=5)
    with pytest.raises(InvalidInput):
        HistoryFilters(period, min_total=-1)
    with pytest.raises(InvalidInput):
        HistoryFilters(period, payout_status="LOST")
    with pytest.raises(InvalidInput):
        load_history(store, analytics, synced.a.actor(), HistoryFilters(period), page=0)


@pytest.mark.parametrize("extra", [dict(), dict(product_sku="A-001")], ids=["all", "one product"])
def test_paging_by_seeking_gives_the_same_pages_as_counting(store, analytics, synced, now, extra):
    """Next/Previous seek from the edge row of the page on screen; First/Last/any page count rows."""
    filters = HistoryFilters(Period(now.date() - timedelta(days=69), now.date()), **extra)
    actor = synced.a.actor()
    counted = [
        load_history(store, analytics, actor, filters, page=p, page_size=6)
        for p in range(1, load_history(store, analytics, actor, filters, page_size=6).page_count + 1)
    ]
    assert len(counted) > 3
    page = counted[0]
    for expected in counted[1:]:  # forwards
        page = load_history(store, analytics, actor, filters, page=page.page + 1, page_size=6, after=page.last_key)
        assert [r.key for r in page.rows] == [r.key for r in expected.rows]
    for expected in reversed(counted[:-1]):  # and back
        page = load_history(store, analytics, actor, filters, page=page.page - 1, page_size=6, before=page.first_key)
        assert [r.key for r in page.rows] == [r.key for r in expected.rows]
    keys = [r.key for p in counted for r in p.rows]
    assert keys == sorted(keys, key=lambda k: (-k[0].timestamp(), -k[1], k[2]))  # newest first, no gaps
    assert len(keys) == len(set(keys)) == counted[0].totals.lines
