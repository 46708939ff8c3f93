"""Demo order history that really happened under the rules.

Months of orders are played forward in time through the same functions the product uses: buyers
order through the buyer channel, the Product Manager answers through core.orders, the courier
delivers, and the scheduler's sweep runs at each deadline. Each order gets a plan when it is
placed (accepted quickly, rejected, ignored until the system cancels it, packed late, complained
about, …) drawn from a seeded random generator, so the same seed gives the same history.
Actions planned after `end` are left for real time: the demo ends with orders in every stage.
"""

from __future__ import annotations

import heapq
import itertools
import random
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import select

from core.acting import Actor
from core.catalogue.stock import receive_stock
from core.domain import ComplaintResolution, Role
from core.errors import DomainError
from core.orders import buyer_channel as buyers
from core.orders import seller as orders
from core.orders.sweep import run_sweep
from core.store.database import Store
from core.store.models import Buyer, Company, Order, OrderItem, User, Warehouse
from core.warehouses.business_time import OperatingCalendar, add_business_hours
from core.warehouses.operations import calendar_of

REJECT_REASONS = (
    "Stock damaged in the warehouse",
    "Price listed in error",
    "Cannot deliver to that area",
    "Product discontinued by the supplier",
)
COMPLAINTS = (
    "Two items arrived damaged",
    "Wrong variant delivered",
    "One carton missing",
    "Packaging wet on arrival",
    "Expiry date too close",
)
COURIERS = ("JNE", "J&T Express", "SiCepat", "AnterAja", "Pos Indonesia")


@dataclass(order=True)
class _Planned:
    at: datetime
    seq: int
    run: Callable[[], None] = field(compare=False)


@dataclass
class _Warehouse:
    code: str
    calendar: OperatingCalendar
    sla_days: int
    processing_days: int


class HistoryPlayer:
    """Plays buyers, the seller's staff, the courier and the scheduler forward in time."""

    def __init__(self, store: Store, *, company_code: str, seed: int, start: datetime, end: datetime):
        self.store, self.company_code, self.end = store, company_code, end
        self.rng = random.Random(seed)
        self.queue: list[_Planned] = []
        self.seq = itertools.count()
        self.now = start
        self.counts: Counter[str] = Counter()
        self.sweep_times: set[datetime] = set()
        self.pm, self.warehouses = self._load_seller(company_code)
        self.buyer_codes = buyers.approved_buyers(store)

    def _load_seller(self, company_code: str) -> tuple[Actor, list[_Warehouse]]:
        with self.store.reading() as session:
            company = session.scalar(select(Company).where(Company.company_code == company_code))
            if company is None:
                raise ValueError(f"there is no company {company_code}; load the demo first")
            user = session.scalar(
                select(User).where(User.company_id == company.id, User.role == Role.PRODUCT_MANAGER).order_by(User.id)
            )
            if user is None:
                raise ValueError(f"company {company_code} has no product manager to play the seller's staff")
            actor = Actor(user.id, company.id, company.company_code, user.user_code, user.role, user.display_name)
            warehouses = [
                _Warehouse(w.code, calendar_of(session, w), w.delivery_sla_days, w.processing_days)
                for w in session.scalars(select(Warehouse).where(Warehouse.company_id == company.id))
            ]
        return actor, warehouses

    # --- the clock ---------------------------------------------------------------------------

    def plan(self, at: datetime, run: Callable[[], None]) -> None:
        if at <= self.end:
            heapq.heappush(self.queue, _Planned(at, next(self.seq), run))

    def plan_sweep(self, due: datetime | None) -> None:
        if due is None:
            return
        at = (due + timedelta(seconds=30)).replace(second=30, microsecond=0)  # the scheduler's next tick
        if at not in self.sweep_times:
            self.sweep_times.add(at)
            self.plan(at, lambda: self._sweep())

    def play(self, orders_per_weekday: int) -> Counter[str]:
        day = self.now.replace(hour=0, minute=0, second=0, microsecond=0)
        while day < self.end:
            self._plan_day(day, orders_per_weekday)
            day += timedelta(days=1)
        while self.queue:
            planned = heapq.heappop(self.queue)
            self.now = planned.at
            try:
                planned.run()
            except DomainError:  # a planned action that lost to someone else: just as in real life
                self.counts["actions lost to an earlier change"] += 1
        self._sweep_at(self.end)
        return self.counts

    def _plan_day(self, day: datetime, orders_per_weekday: int) -> None:
        weekday = (day + timedelta(hours=7)).weekday()
        count = (
            self.rng.randint(orders_per_weekday // 2, orders_per_weekday)
            if weekday < 5
            else self.rng.randint(0, orders_per_weekday // 3)
        )
        for _ in range(count):
            # Buyers order around the clock, mostly in the (western Indonesian) day.
            at = day + timedelta(
                hours=self.rng.choice([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 23]),
                minutes=self.rng.randint(0, 59),
                seconds=self.rng.randint(0, 59),
            )
            if at >= self.now:
                self.plan(at, self._place_order)
        if weekday == 0:
            self.plan(day + timedelta(hours=2), self._restock)

    def _sweep(self) -> None:
        self._sweep_at(self.now)

    def _sweep_at(self, now: datetime) -> None:
        for rule, count in run_sweep(self.store, now)["by_rule"].items():
            self.counts[f"system: {rule}"] += count

    # --- buyers --------------------------------------------------------------------------------

    def _place_order(self) -> None:
        warehouse = self.rng.choice(self.warehouses)
        offers = [
            o
            for o in buyers.products_on_sale(self.store, self.company_code)
            if o.warehouse_code == warehouse.code and o.available >= 12
        ]
        if not offers:
            return
        lines = [
            buyers.OrderLine(o.sku, self.rng.randint(1, 12))
            for o in self.rng.sample(offers, min(len(offers), self.rng.randint(1, 4)))
        ]
        placed = buyers.place_order(
            self.store,
            buyer_code=self.rng.choice(self.buyer_codes),
            company_code=self.company_code,
            warehouse_code=warehouse.code,
            lines=lines,
            now=self.now,
        )
        self.counts["orders placed"] += 1
        self._plan_confirmation(placed, warehouse)

    def _plan_confirmation(self, placed: buyers.PlacedOrder, warehouse: _Warehouse) -> None:
        number, roll = placed.order_number, self.rng.random()
        if roll < 0.84:
            at = add_business_hours(warehouse.calendar, self.now, self.rng.uniform(0.2, 6.5))
            self.plan(min(at, placed.confirm_deadline - timedelta(minutes=5)), lambda: self._accept(number, warehouse))
        elif roll < 0.90:
            at = add_business_hours(warehouse.calendar, self.now, self.rng.uniform(0.2, 5))
            reason = self.rng.choice(REJECT_REASONS)
            self.plan(
                min(at, placed.confirm_deadline - timedelta(minutes=5)),
                lambda: self._seller(orders.reject_order, number, reason, counter="orders rejected"),
            )
        elif roll < 0.93:
            self.plan(self.now + timedelta(minutes=self.rng.randint(10, 300)), lambda: self._buyer_cancel(number))
        self.plan_sweep(placed.confirm_deadline)  # the rest are left to the system

    def _buyer_cancel(self, number: str) -> None:
        buyers.cancel_order(
            self.store,
            buyer_code=self._buyer_code(number),
            order_number=number,
            reason="ordered by mistake",
            now=self.now,
        )
        self.counts["orders cancelled by the buyer"] += 1

    def _buyer_code(self, number: str) -> str:
        with self.store.reading() as session:
            return session.scalars(
                select(Buyer.buyer_code).join(Order, Order.buyer_id == Buyer.id).where(Order.order_number == number)
            ).one()

    # --- the seller's staff ----------------------------------------------------------------------

    def _seller(self, action, number: str, *args, counter: str) -> None:
        action(self.store, self.pm, number, *args, self.now)
        self.counts[counter] += 1

    def _accept(self, number: str, warehouse: _Warehouse) -> None:
        orders.accept_order(self.store, self.pm, number, self.now)
        self.counts["orders accepted"] += 1
        daily_hours = warehouse.processing_days * _open_hours(warehouse.calendar)
        late = self.rng.random() < 0.06
        hours = daily_hours + self.rng.uniform(2, 20) if late else self.rng.uniform(0.5, daily_hours * 0.9)
        self.plan(add_business_hours(warehouse.calendar, self.now, hours), lambda: self._pack(number, warehouse))
        if late and self.rng.random() < 0.5:  # the buyer gives up once the packing deadline passed
            deadline = add_business_hours(warehouse.calendar, self.now, daily_hours)
            self.plan(deadline + timedelta(hours=self.rng.uniform(0.5, 2)), lambda: self._buyer_cancel(number))

    def _pack(self, number: str, warehouse: _Warehouse) -> None:
        with self.store.reading() as session:
            items = set(session.scalars(select(OrderItem.id).join(Order).where(Order.order_number == number)))
        orders.mark_packed(self.store, self.pm, number, items, self.now)
        self.counts["orders packed"] += 1
        self.plan(
            add_business_hours(warehouse.calendar, self.now, self.rng.uniform(0.3, 5)),
            lambda: self._ship(number, warehouse),
        )

    def _ship(self, number: str, warehouse: _Warehouse) -> None:
        courier = self.rng.choice(COURIERS)
        orders.ship_order(
            self.store,
            self.pm,
            number,
            courier=courier,
            tracking_number=f"{courier[:3].upper().replace('&', '')}{self.rng.randint(10**9, 10**10)}",
            photo=_proof_photo(),
            photo_name="proof.jpg",
            now=self.now,
        )
        self.counts["orders shipped"] += 1
        late = self.rng.random() < 0.05
        days = (
            warehouse.sla_days + self.rng.uniform(0.3, 2) if late else self.rng.uniform(0.4, warehouse.sla_days - 0.2)
        )
        self.plan(self.now + timedelta(days=days), lambda: self._deliver(number))
        if late and self.rng.random() < 0.3:
            self.plan(self.now + timedelta(days=warehouse.sla_days, hours=1), lambda: self._buyer_cancel(number))

    def _answer_complaint(self, number: str) -> None:
        roll = self.rng.random()
        if roll < 0.45:
            self._seller(
                orders.answer_complaint,
                number,
                ComplaintResolution.REFUND,
                "Refunded, sorry",
                counter="complaints answered with a refund",
            )
        elif roll < 0.80:
            self._seller(
                orders.answer_complaint,
                number,
                ComplaintResolution.RETURN,
                "Please send the goods back",
                counter="complaints answered with a return",
            )
            fit = self.rng.random() < 0.75
            self.plan(self.now + timedelta(days=self.rng.uniform(2, 5)), lambda: self._receive_return(number, fit))

    def _receive_return(self, number: str, fit: bool) -> None:
        orders.receive_return(self.store, self.pm, number, fit_to_sell=fit, now=self.now)
        self.counts["returns received"] += 1

    def _restock(self) -> None:
        for offer in buyers.products_on_sale(self.store, self.company_code):
            if offer.available < 80:
                receive_stock(self.store, self.pm, offer.sku, offer.warehouse_code, 250, self.now)
                self.counts["stock receipts"] += 1

    # --- courier and buyer after shipping ------------------------------------------------------

    def _deliver(self, number: str) -> None:
        buyers.mark_delivered(self.store, order_number=number, now=self.now)
        self.counts["orders delivered"] += 1
        roll = self.rng.random()
        if roll < 0.62:
            self.plan(self.now + timedelta(hours=self.rng.uniform(1, 40)), lambda: self._confirm(number))
        elif roll < 0.69:
            self.plan(self.now + timedelta(hours=self.rng.uniform(1, 30)), lambda: self._complain(number))
        self.plan_sweep(self.now + timedelta(days=2))

    def _confirm(self, number: str) -> None:
        buyers.confirm_receipt(self.store, buyer_code=self._buyer_code(number), order_number=number, now=self.now)
        self.counts["receipts confirmed by the buyer"] += 1
        self.plan_sweep(self.now)  # the next sweep disburses the payout

    def _complain(self, number: str) -> None:
        deadline = buyers.file_complaint(
            self.store,
            buyer_code=self._buyer_code(number),
            order_number=number,
            description=self.rng.choice(COMPLAINTS),
            now=self.now,
        )
        self.counts["complaints filed"] += 1
        if self.rng.random() < 0.8:
            self.plan(self.now + timedelta(hours=self.rng.uniform(2, 40)), lambda: self._answer_complaint(number))
        self.plan_sweep(deadline)


def _open_hours(calendar: OperatingCalendar) -> float:
    opens = calendar.opens.hour + calendar.opens.minute / 60
    closes = calendar.closes.hour + calendar.closes.minute / 60
    return closes - opens


_PROOF: bytes | None = None


def _proof_photo() -> bytes:
    """A small generated photo standing in for the packer's phone picture."""
    global _PROOF
    if _PROOF is None:
        import io

        from PIL import Image, ImageDraw

        image = Image.new("RGB", (320, 240), (196, 164, 120))
        draw = ImageDraw.Draw(image)
        draw.rectangle((60, 50, 260, 190), outline=(90, 60, 30), width=6)
        draw.line((60, 120, 260, 120), fill=(230, 220, 200), width=10)
        out = io.BytesIO()
        image.save(out, format="JPEG", quality=80)
        _PROOF = out.getvalue()
    return _PROOF


def make_history(
    store: Store, *, company_code: str, seed: int, end: datetime, days: int, orders_per_weekday: int = 14
) -> Counter[str]:
    player = HistoryPlayer(store, company_code=company_code, seed=seed, start=end - timedelta(days=days), end=end)
    return player.play(orders_per_weekday)
