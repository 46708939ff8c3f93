"""No oversell, ever: many buyers racing for fewer units than they ask for, each from its own
connection, all released at the same instant."""

from __future__ import annotations

import pytest

from core.errors import OutOfStock
from core.orders import buyer_channel as buyers
from core.orders.buyer_channel import OrderLine
from tests.builders import MONDAY_10, at_once

pytestmark = pytest.mark.slow  # races dozens of threads, each with its own connections

RACERS = 24  # OIL-2 has 10 units on hand


def order_oil(units: int):
    def place(store, index):
        return buyers.place_order(
            store,
            buyer_code="BUY-1" if index % 2 else "BUY-2",
            company_code="ACME01",
            warehouse_code="JKT-1",
            lines=[OrderLine("OIL-2", units)],
            now=MONDAY_10,
        )

    return place


def test_two_dozen_concurrent_orders_never_take_more_than_is_on_hand(world):
    outcomes = at_once(world.store.database_url, RACERS, order_oil(1))
    won = [o for o in outcomes if isinstance(o, buyers.PlacedOrder)]
    lost = [o for o in outcomes if isinstance(o, OutOfStock)]
    # Anything else (a lock error, say) would be a failure of the store's set-up.
    assert (len(won), len(lost)) == (10, RACERS - 10), outcomes
    assert world.stock("OIL-2") == (10, 10)


def test_racing_orders_of_several_units_fill_the_stock_exactly(world):
    """Orders of 3 units for 10 on hand: at most 3 fit (9 units); the 10th unit stays available."""
    outcomes = at_once(world.store.database_url, 20, order_oil(3))
    assert sum(isinstance(o, buyers.PlacedOrder) for o in outcomes) == 3
    assert all(isinstance(o, (buyers.PlacedOrder, OutOfStock)) for o in outcomes), outcomes
    assert world.stock("OIL-2") == (10, 9)
