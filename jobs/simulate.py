"""`python -m jobs.simulate`: realistic buyer (and courier) traffic against the configured store,
through the buyer channel only, for demos, development and load.

    python -m jobs.simulate --rate 20 --duration 300          # 20 orders a minute for 5 minutes
    python -m jobs.simulate --rate 600 --duration 60 --seed 7  # a load burst

Each second it places orders at the given rate (Poisson arrivals), lets the courier deliver some
shipped orders, buyers confirm or complain about delivered ones, and cancel some unconfirmed or
overdue ones. The seller side is yours, in the UI; the deadlines are the scheduler's. One JSON line
per action, a summary at the end.
"""

from __future__ import annotations

import argparse
import json
import random
import time
from collections import Counter
from collections.abc import Callable
from datetime import datetime

from core.bootstrap import bootstrap
from core.clock import utc_now
from core.domain import OrderStatus
from core.errors import DomainError
from core.orders import buyer_channel as buyers
from core.store.database import Store
from jobs.entry import run_command

#: Per order waiting in a status, the chance per second that its next buyer/courier event happens.
CHANCES = {"deliver": 0.02, "confirm": 0.02, "complain": 0.002, "cancel_pending": 0.001, "cancel_overdue": 0.01}


class BuyerTraffic:
    def __init__(self, store: Store, rng: random.Random, company_code: str | None, log: Callable[[dict], None]):
        self.store, self.rng, self.company_code, self.log = store, rng, company_code, log
        self.counts: Counter[str] = Counter()
        self.buyer_codes = buyers.approved_buyers(store)

    def tick(self, now: datetime, orders_this_second: int) -> None:
        offers = buyers.products_on_sale(self.store, self.company_code) if orders_this_second else []
        for _ in range(orders_this_second):
            self._place(offers, now)
        self._courier_and_buyers(now)

    def _act(self, what: str, call: Callable[[], object], **fields) -> None:
        try:
            call()
            self.counts[what] += 1
            self.log({"event": what, **fields})
        except DomainError as refused:  # e.g. out of stock, or the seller was faster
            self.counts[f"{what} refused"] += 1
            self.log({"event": f"{what} refused", "why": refused.message, **fields})

    def _place(self, offers, now: datetime) -> None:
        if not offers or not self.buyer_codes:
            return
        first = self.rng.choice(offers)
        same_place = [
            o for o in offers if (o.company_code, o.warehouse_code) == (first.company_code, first.warehouse_code)
        ]
        picked = self.rng.sample(same_place, min(len(same_place), self.rng.randint(1, 3)))
        lines = [buyers.OrderLine(o.sku, self.rng.randint(1, max(1, min(6, o.available)))) for o in picked]
        buyer = self.rng.choice(self.buyer_codes)
        self._act(
            "order placed",
            lambda: buyers.place_order(
                self.store,
                buyer_code=buyer,
                company_code=first.company_code,
                warehouse_code=first.warehouse_code,
                lines=lines,
                now=now,
            ),
            buyer=buyer,
            warehouse=first.warehouse_code,
        )

    def _courier_and_buyers(self, now: datetime) -> None:
        waiting = buyers.orders_in_status(
            self.store,
            [
                OrderStatus.PENDING_CONFIRMATION,
                OrderStatus.PROCESSING,
                OrderStatus.READY_TO_SHIP,
                OrderStatus.SHIPPED,
                OrderStatus.DELIVERED,
            ],
            limit=2000,
        )
        for order in waiting:
            number, buyer = order.order_number, order.buyer_code
            roll = self.rng.random()
            if order.status == OrderStatus.SHIPPED and roll < CHANCES["deliver"]:
                self._act(
                    "delivered", lambda: buyers.mark_delivered(self.store, order_number=number, now=now), order=number
                )
            elif order.status == OrderStatus.DELIVERED and roll < CHANCES["confirm"]:
                self._act(
                    "receipt confirmed",
                    lambda: buyers.confirm_receipt(self.store, buyer_code=buyer, order_number=number, now=now),
                    order=number,
                )
            elif order.status == OrderStatus.DELIVERED and roll < CHANCES["confirm"] + CHANCES["complain"]:
                self._act(
                    "complaint filed",
                    lambda: buyers.file_complaint(
                        self.store, buyer_code=buyer, order_number=number, description="Goods arrived damaged", now=now
                    ),
                    order=number,
                )
            elif order.status == OrderStatus.PENDING_CONFIRMATION and roll < CHANCES["cancel_pending"]:
                self._act(
                    "cancelled",
                    lambda: buyers.cancel_order(
                        self.store, buyer_code=buyer, order_number=number, reason="ordered by mistake", now=now
                    ),
                    order=number,
                )
            elif _overdue(order, now) and roll < CHANCES["cancel_overdue"]:
                self._act(
                    "cancelled",
                    lambda: buyers.cancel_order(
                        self.store, buyer_code=buyer, order_number=number, reason="seller too slow", now=now
                    ),
                    order=number,
                )


def _overdue(order: buyers.MarketplaceOrder, now: datetime) -> bool:
    if order.status == OrderStatus.PROCESSING:
        return bool(order.pack_deadline and now > order.pack_deadline)
    if order.status in (OrderStatus.READY_TO_SHIP, OrderStatus.SHIPPED):
        return bool(order.delivery_deadline and now > order.delivery_deadline)
    return False


def run_simulation(
    store: Store,
    *,
    rate_per_minute: float,
    duration_s: float,
    seed: int,
    company_code: str | None = None,
    clock: Callable[[], datetime] = utc_now,
    sleep: Callable[[float], None] = time.sleep,
    log: Callable[[dict], None] = print,
) -> Counter[str]:
    rng = random.Random(seed)
    traffic = BuyerTraffic(store, rng, company_code, log=lambda fields: log(json.dumps(fields)))
    started = time.monotonic()
    ticks = 0
    while ticks < duration_s:
        orders_now = _poisson(rng, rate_per_minute / 60)
        traffic.tick(clock(), orders_now)
        ticks += 1
        sleep(max(0.0, started + ticks - time.monotonic()))
    return traffic.counts


def _poisson(rng: random.Random, mean: float) -> int:
    count, threshold, product = 0, pow(2.718281828459045, -mean), rng.random()
    while product > threshold:
        count += 1
        product *= rng.random()
    return count


def main() -> int:
    parser = argparse.ArgumentParser(
        prog="python -m jobs.simulate", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rate", type=float, default=6.0, help="orders per minute (default 6)")
    parser.add_argument("--duration", type=float, default=300, help="seconds to run (default 300)")
    parser.add_argument("--seed", type=int, default=None, help="random seed (default: a new one each run)")
    parser.add_argument("--company", default=None, help="only order from this seller (Company ID)")
    args = parser.parse_args()
    if args.rate < 0 or args.duration <= 0:
        raise SystemExit("kopra: --rate must be 0 or more and --duration more than 0.")
    store = bootstrap(check_reachable=True).store
    counts = run_simulation(
        store,
        rate_per_minute=args.rate,
        duration_s=args.duration,
        seed=args.seed if args.seed is not None else random.randrange(2**31),
        company_code=args.company,
    )
    print(json.dumps({"event": "simulation_done", **counts}))
    return 0


if __name__ == "__main__":
    run_command(main)
