"""No oversell, ever: many buyers racing for fewer units than they ask for, each from its own
connection, all released at the same instant."""
from __future__ import annotations

import threading

from core import buyer_channel as buyers
from core.buyer_channel import OrderLine
from core.errors import OutOfStock
from core.store import Store
from tests.core.test_orders import MONDAY_10

RACERS = 24  # OIL-2 has 10 units on hand


def test_two_dozen_concurrent_orders_never_take_more_than_is_on_hand(world):
    stores = [Store(world.store.database_url) for _ in range(RACERS)]
    barrier = threading.Barrier(RACERS)
    won, lost, broken = [], [], []

    def race(store, index):
        barrier.wait()
        try:
            buyers.place_order(store, buyer_code="BUY-1" if index % 2 else "BUY-2", company_code="ACME01",
                               warehouse_code="JKT-1", lines=[OrderLine("OIL-2", 1)], now=MONDAY_10)
            won.append(index)
        except OutOfStock:
            lost.append(index)
        except Exception as exc:  # anything else (a lock error, say) is a failure of the store set-up
            broken.append(repr(exc))

    threads = [threading.Thread(target=race, args=(store, i)) for i, store in enumerate(stores)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    for store in stores:
        store.dispose()
    assert broken == []
    assert (len(won), len(lost)) == (10, RACERS - 10)
    assert world.stock("OIL-2") == (10, 10)


def test_racing_orders_of_several_units_fill_the_stock_exactly(world):
    """Orders of 3 units for 10 on hand: at most 3 fit (9 units); the 10th unit stays available."""
    stores = [Store(world.store.database_url) for _ in range(20)]
    barrier = threading.Barrier(len(stores))
    won = []

    def race(store):
        barrier.wait()
        try:
            buyers.place_order(store, buyer_code="BUY-1", company_code="ACME01", warehouse_code="JKT-1",
                               lines=[OrderLine("OIL-2", 3)], now=MONDAY_10)
            won.append(1)
        except OutOfStock:
            pass

    threads = [threading.Thread(target=race, args=(s,)) for s in stores]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    for store in stores:
        store.dispose()
    assert len(won) == 3
    assert world.stock("OIL-2") == (10, 9)
