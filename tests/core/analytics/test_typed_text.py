"""The analytics filters with a code that cannot exist (a NUL byte, an invisible character, far too
long): not found, in a sentence without the hidden character, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta

import pytest

from core.analytics.dashboard import load_dashboard
from core.analytics.history import HistoryFilters, load_history
from core.analytics.scope import Period
from core.errors import NotFound


@pytest.mark.parametrize(
    "extra",
    [
        dict(product_sku="A-001\x00"),
        dict(product_sku="A-\u200b001"),
        dict(buyer_code="LVM-\x0000003"),
        dict(buyer_code="L" * 500),
        dict(warehouse_code="JKT-01\x00"),
        dict(warehouse_code="JKT-01\u202e"),
    ],
    ids=lambda d: f"{next(iter(d))}-{len(next(iter(d.values())))}",
)
def test_a_filter_that_cannot_exist_is_not_found(store, analytics, synced, now, extra):
    filters = HistoryFilters(Period(now.date() - timedelta(days=69), now.date()), **extra)
    with pytest.raises(NotFound) as refused:
        load_history(store, analytics, synced.a.actor(), filters)
    message = refused.value.message
    assert "\x00" not in message and "\u200b" not in message and "\u202e" not in message
    assert len(message) < 200


def test_a_dashboard_warehouse_that_cannot_exist_is_not_found(store, analytics, synced, now):
    period = Period(now.date() - timedelta(days=6), now.date())
    with pytest.raises(NotFound) as refused:
        load_dashboard(store, analytics, synced.a.actor(), period, warehouse_code="JKT-01\x00")
    assert "\x00" not in refused.value.message
