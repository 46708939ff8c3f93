"""A demo store of any size, fast: `python -m jobs.demo --orders 1000000` for benchmarks and for
trying the pages at scale.

Orders are generated a chunk at a time with numpy and written with bulk inserts (ADBC ingest of
Arrow tables: one prepared statement per table and chunk, no Python object per row). Every row is
what the lifecycle would have left: each order gets a fate (accepted fast or slowly, rejected,
ignored until the system cancels it, packed late, cancelled by the buyer past a deadline,
delivered late, complained about and refunded, returned, completed by the buyer or automatically)
and is then cut off at `now`, so the newest orders are still in flight. Deadlines are computed
with the warehouse's real business time (operating days and hours, zone, Indonesian holidays,
cuti bersama, closures) through `BusinessClock`, a vectorised form of core.warehouses.business_time checked
against it in the tests. Items, events, shipments, complaints, refunds and payouts follow; stock
reserved for orders not yet shipped is reserved in stock_levels.

It never runs SQLAlchemy and ADBC on the same SQLite file at the same time in one process: two
SQLite libraries in one process do not see each other's POSIX locks (sqlite.org/howtocorrupt).
"""
from __future__ import annotations

import math
import time
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from typing import Callable
from zoneinfo import ZoneInfo

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from sqlalchemy import func, select, text

from core.warehouses.business_time import OperatingCalendar, is_working_day
from core.domain import ActorKind, ComplaintResolution, FailureKind, OrderStatus, PayoutStatus
from core.store.models import Buyer, Company, Complaint, Order, OrderEvent, OrderItem, Payout, Product, Refund, Shipment, StockLevel, User, Warehouse
from core.orders.effects import UNANSWERED_NOTE
from core.orders.lifecycle import TRANSITIONS as T, Step
from core.orders.sweep import SYSTEM_ID
from core.store.database import Store

US = 1_000_000
HOUR = 3600 * US
DAY = 24 * HOUR
NEVER = np.iinfo(np.int64).max // 2

# A 1x1 PNG: shipments need a proof photo; the bulk demo shares one tiny picture.
PROOF_PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c63f8ffff3f0005fe02fea7d6a4a30000000049454e44ae426082")
REJECT_REASONS = ("Stock damaged in the warehouse", "Price listed in error", "Cannot deliver to that area")
COMPLAINTS = ("Two items arrived damaged", "Wrong variant delivered", "One carton missing")
COURIERS = ("JNE", "J&T Express", "SiCepat", "AnterAja", "Pos Indonesia")


# --------------------------------------------------------------------------- business time, vectorised


class BusinessClock:
    """`add_business_days` for many start times at once, for one warehouse.

    The warehouse's open intervals between `first` and `last` (local dates) are laid end to end;
    "N business days from t" is then a lookup in their running total of open time. Same rules as
    core.warehouses.business_time: the clock starts at t if open, else at the next opening; a deadline that
    uses up a day exactly ends at closing time.
    """

    def __init__(self, calendar: OperatingCalendar, first: date, last: date):
        zone = ZoneInfo(calendar.time_zone)
        opens, closes = [], []
        day = first
        while day <= last:
            if is_working_day(calendar, day):
                opens.append(_us(datetime.combine(day, calendar.opens, zone)))
                closes.append(_us(datetime.combine(day, calendar.closes, zone)))
            day += timedelta(days=1)
        self.opens = np.array(opens, dtype=np.int64)
        self.closes = np.array(closes, dtype=np.int64)
        lengths = self.closes - self.opens
        self.before = np.concatenate(([0], np.cumsum(lengths)[:-1])).astype(np.int64)
        self.after = self.before + lengths
        self.day_us = int(calendar.daily_open_time.total_seconds() * US)

    def clock_start(self, starts: np.ndarray) -> np.ndarray:
        k = np.searchsorted(self.closes, starts, side="right")
        if (k >= len(self.closes)).any():
            raise ValueError("a start time is past the calendar built for the bulk demo")
        return np.maximum(starts, self.opens[k])

    def add_days(self, starts: np.ndarray, days: np.ndarray | float) -> np.ndarray:
        k = np.searchsorted(self.closes, starts, side="right")
        effective = np.maximum(starts, self.opens[k])
        target = self.before[k] + (effective - self.opens[k]) + np.rint(np.asarray(days) * self.day_us).astype(np.int64)
        # The interval where the remaining time runs out; never one before the clock started
        # (with nothing to spend, the deadline is the start itself, not the previous closing).
        j = np.maximum(np.searchsorted(self.after, target, side="left"), k)
        if (j >= len(self.after)).any():
            raise ValueError("a deadline is past the calendar built for the bulk demo")
        return self.opens[j] + (target - self.before[j])


def _us(moment: datetime) -> int:
    delta = moment.astimezone(timezone.utc) - datetime(1970, 1, 1, tzinfo=timezone.utc)
    return (delta.days * 86400 + delta.seconds) * US + delta.microseconds


def calendar_of_warehouse(warehouse: Warehouse) -> OperatingCalendar:
    return OperatingCalendar(
        time_zone=warehouse.time_zone,
        operating_weekdays=frozenset(int(d) for d in warehouse.operating_days.split(",") if d.strip()),
        opens=warehouse.opens_at, closes=warehouse.closes_at,
        closures=frozenset(c.day for c in warehouse.closures),
        observe_joint_leave=warehouse.observe_joint_leave,
    )


# --------------------------------------------------------------------------- what the generator needs


@dataclass
class _Warehouse:
    id: int
    code: str
    zone: str
    clock: BusinessClock
    processing_days: int
    sla_days: int
    weight: float


@dataclass
class _Context:
    company_id: int
    company_code: str
    user_label: str
    user_id: int
    warehouses: list[_Warehouse]
    product_ids: np.ndarray
    product_skus: list[str]
    product_names: list[str]
    prices: np.ndarray  # [warehouse index, product index]
    buyer_ids: np.ndarray
    bank: tuple[str | None, str | None, str | None]


@dataclass(frozen=True)
class BulkResult:
    orders: int
    items: int
    events: int
    payouts: int
    refunds: int
    complaints: int
    seconds: float
    by_status: dict[str, int]


def _prepare(store: Store, company_code: str, first_day: date, last_day: date, buyers_wanted: int,
             now: datetime) -> _Context:
    with store.transaction() as session:
        company = session.scalar(select(Company).where(Company.company_code == company_code))
        if company is None:
            raise ValueError(f"there is no company {company_code}; load the demo first")
        warehouses = list(session.scalars(select(Warehouse).where(Warehouse.company_id == company.id)
                                          .order_by(Warehouse.id)))
        products = list(session.scalars(select(Product).where(Product.company_id == company.id)
                                        .order_by(Product.id)))
        if not warehouses or not products:
            raise ValueError(f"company {company_code} needs warehouses and products for orders")
        prices = np.zeros((len(warehouses), len(products)), dtype=np.int64)
        index = {p.id: n for n, p in enumerate(products)}
        for level in session.scalars(select(StockLevel).where(StockLevel.product_id.in_(list(index)))):
            for w, warehouse in enumerate(warehouses):
                if warehouse.id == level.warehouse_id:
                    prices[w, index[level.product_id]] = level.price
        fallback = np.maximum(prices.max(axis=0), 10_000)
        prices = np.where(prices > 0, prices, fallback)
        have = session.scalar(select(func.count()).select_from(Buyer).where(Buyer.is_approved.is_(True))) or 0
        if have < buyers_wanted:
            start = (session.scalar(select(func.max(Buyer.id))) or 0) + 1
            rng = np.random.default_rng(len(products) + have)
            session.add_all([Buyer(buyer_code=f"LVB-{n:07d}", name=f"Toko Grosir {n:07d}", city="Jakarta",
                                   address=f"Jl. Pasar Baru No. {n % 200 + 1}", is_approved=True,
                                   created_at=now - timedelta(days=int(rng.integers(400, 900))))
                             for n in range(start, start + buyers_wanted - have)])
            session.flush()
        buyer_ids = np.array(list(session.scalars(select(Buyer.id).where(Buyer.is_approved.is_(True))
                                                  .order_by(Buyer.id))), dtype=np.int64)
        user = session.scalar(select(User).where(User.company_id == company.id).order_by(User.id))
        weights = [0.55, 0.30, 0.15] + [0.1] * max(0, len(warehouses) - 3)
        result = []
        for n, warehouse in enumerate(warehouses):
            clock = BusinessClock(calendar_of_warehouse(warehouse), first_day, last_day)
            result.append(_Warehouse(warehouse.id, warehouse.code, warehouse.time_zone, clock,
                                     warehouse.processing_days, warehouse.delivery_sla_days, weights[n]))
        total = sum(w.weight for w in result)
        for w in result:
            w.weight /= total
        return _Context(
            company_id=company.id, company_code=company.company_code,
            user_label=f"{company.company_code}/{user.user_code}" if user else company.company_code,
            user_id=user.id if user else None, warehouses=result,
            product_ids=np.array([p.id for p in products], dtype=np.int64),
            product_skus=[p.sku for p in products], product_names=[p.name for p in products],
            prices=prices, buyer_ids=buyer_ids,
            bank=(company.payout_bank_name, company.payout_account_number, company.payout_account_holder),
        )


def _next_ids(store: Store) -> dict[str, int]:
    with store.reading() as session:
        return {model.__tablename__: (session.scalar(select(func.max(model.id))) or 0) + 1
                for model in (Order, OrderItem, OrderEvent, Payout, Refund, Complaint, Shipment)}


# --------------------------------------------------------------------------- one chunk of orders


class _Chunk:
    """The columns of one chunk of orders and everything that hangs off them (int64 µs times)."""

    def __init__(self, ctx: _Context, rng: np.random.Generator, placed: np.ndarray, first_id: int, now_us: int):
        n = len(placed)
        self.n = n
        self.now_us = now_us
        self.ids = np.arange(first_id, first_id + n, dtype=np.int64)
        w_index = rng.choice(len(ctx.warehouses), size=n, p=[w.weight for w in ctx.warehouses])
        self.w_index = w_index
        # Buyers: a long tail; a few regulars order most.
        self.buyer = ctx.buyer_ids[np.minimum((rng.pareto(1.2, n) * len(ctx.buyer_ids) / 20).astype(np.int64),
                                              len(ctx.buyer_ids) - 1)]
        self.placed = placed

        def per_warehouse(fn):
            out = np.empty(n, dtype=np.int64)
            for w, warehouse in enumerate(ctx.warehouses):
                mask = w_index == w
                if mask.any():
                    out[mask] = fn(warehouse, mask)
            return out

        u = rng.random((12, n))
        start = per_warehouse(lambda wh, m: wh.clock.clock_start(placed[m]))
        self.confirm_deadline = per_warehouse(lambda wh, m: wh.clock.add_days(placed[m], 1))
        window = self.confirm_deadline - start
        fate = u[0]
        rejected = fate < 0.03
        auto_cancelled = (fate >= 0.03) & (fate < 0.045)
        buyer_cancelled = (fate >= 0.045) & (fate < 0.055)
        accepted = fate >= 0.055
        # An automatic step takes effect at its deadline; the sweep records it up to 30 s later.
        self.sweep_lag = (u[1] * 30 * US).astype(np.int64)
        decided_at = np.where(
            auto_cancelled, self.confirm_deadline,
            start + np.minimum(rng.exponential(1.6 * HOUR, n).astype(np.int64), (window * 0.97).astype(np.int64)))
        decided_at = np.where(buyer_cancelled, placed + (u[1] * (self.confirm_deadline - placed) * 0.9).astype(np.int64),
                              decided_at)
        decided = decided_at <= now_us

        accepted_at = np.where(accepted & decided, decided_at, NEVER)
        is_accepted = accepted & decided
        self.pack_deadline = np.where(is_accepted, per_warehouse(
            lambda wh, m: wh.clock.add_days(np.minimum(decided_at[m], now_us + 30 * DAY), wh.processing_days)), NEVER)
        late_pack = u[2] < 0.06
        cancel_late_pack = late_pack & (u[3] < 0.15)
        packed_at = np.where(late_pack, self.pack_deadline + (10 * 60 * US + u[4] * 20 * HOUR).astype(np.int64),
                             accepted_at + ((0.1 + 0.85 * u[4]) * (self.pack_deadline - accepted_at)).astype(np.int64))
        packed_at = np.where(cancel_late_pack, NEVER, packed_at)
        late_cancel_at = np.where(cancel_late_pack, self.pack_deadline + (HOUR + u[5] * 9 * HOUR).astype(np.int64), NEVER)
        packed_at = np.where(is_accepted, packed_at, NEVER)
        late_cancel_at = np.where(is_accepted, late_cancel_at, NEVER)
        is_packed = packed_at <= now_us
        sla = np.array([w.sla_days for w in ctx.warehouses], dtype=np.int64)[w_index]
        self.delivery_deadline = np.where(is_packed, packed_at + sla * DAY, NEVER)
        shipped_at = np.where(is_packed, packed_at + (HOUR // 2 + u[6] * 8 * HOUR).astype(np.int64), NEVER)
        late_delivery = u[7] < 0.05
        delivered_at = np.where(
            late_delivery, self.delivery_deadline + (HOUR + u[8] * 48 * HOUR).astype(np.int64),
            shipped_at + ((0.3 + 0.65 * u[8]) * (self.delivery_deadline - shipped_at)).astype(np.int64))
        is_shipped = shipped_at <= now_us
        delivered_at = np.where(is_shipped, delivered_at, NEVER)
        # A few late deliveries are cancelled by the buyer once the delivery deadline has passed.
        cancel_late_delivery = late_delivery & (u[9] < 0.08) & is_shipped
        late_cancel_at = np.where(cancel_late_delivery, self.delivery_deadline + HOUR, late_cancel_at)
        delivered_at = np.where(cancel_late_delivery, NEVER, delivered_at)
        is_delivered = delivered_at <= now_us
        complained = (u[10] < 0.02) & is_delivered
        filed_at = np.where(complained, delivered_at + (HOUR + u[11] * 40 * HOUR).astype(np.int64), NEVER)
        is_filed = filed_at <= now_us
        resolution = rng.random(n)
        res_refund, res_return = resolution < 0.6, (resolution >= 0.6) & (resolution < 0.85)
        self.complaint_deadline = np.where(is_filed, filed_at + 2 * DAY, NEVER)
        answered_at = np.where(res_refund | res_return, filed_at + (HOUR + resolution * 40 * HOUR).astype(np.int64),
                               self.complaint_deadline)
        received_at = np.where(res_return, answered_at + 3 * DAY, NEVER)
        refunded_at = np.where(res_return, received_at, answered_at)
        self.complete_deadline = np.where(is_delivered, delivered_at + 2 * DAY, NEVER)
        buyer_confirms = rng.random(n) < 0.65
        completed_at = np.where(buyer_confirms, delivered_at + (HOUR + rng.random(n) * 46 * HOUR).astype(np.int64),
                                self.complete_deadline)
        completed_at = np.where(is_delivered & ~complained, completed_at, NEVER)
        is_completed = completed_at <= now_us
        paid_at = completed_at + self.sweep_lag + (30 * US + rng.random(n) * 270 * US).astype(np.int64)

        # The state at `now`, furthest stage reached first.
        status = np.full(n, OrderStatus.PENDING_CONFIRMATION.value, dtype=object)
        status[decided & rejected] = OrderStatus.REJECTED.value
        status[decided & (auto_cancelled | buyer_cancelled)] = OrderStatus.CANCELLED.value
        status[is_accepted] = OrderStatus.PROCESSING.value
        status[is_packed] = OrderStatus.READY_TO_SHIP.value
        status[is_shipped] = OrderStatus.SHIPPED.value
        status[is_delivered] = OrderStatus.DELIVERED.value
        status[is_filed] = OrderStatus.COMPLAINED.value
        returning = is_filed & res_return & (answered_at <= now_us)
        status[returning] = OrderStatus.RETURN_REQUESTED.value
        is_refunded = is_filed & (refunded_at <= now_us)
        status[is_refunded] = OrderStatus.REFUNDED.value
        status[is_completed] = OrderStatus.COMPLETED.value
        is_late_cancelled = late_cancel_at <= now_us
        status[is_late_cancelled] = OrderStatus.CANCELLED.value
        self.status = status

        def when(mask, values):
            return np.where(mask, values, NEVER)

        self.accepted_at = accepted_at
        self.packed_at = when(is_packed, packed_at)
        self.shipped_at = when(is_shipped, shipped_at)
        self.delivered_at = when(is_delivered, delivered_at)
        self.completed_at = when(is_completed, completed_at)
        closed = np.full(n, NEVER, dtype=np.int64)
        closed = np.where(decided & (rejected | auto_cancelled | buyer_cancelled), decided_at, closed)
        closed = np.where(is_late_cancelled, late_cancel_at, closed)
        closed = np.where(is_refunded, refunded_at, closed)
        self.closed_at = closed
        self.pack_deadline = when(is_accepted, self.pack_deadline)
        self.delivery_deadline = when(is_packed, self.delivery_deadline)
        self.complete_deadline = when(is_delivered, self.complete_deadline)
        self.complaint_deadline = when(is_filed, self.complaint_deadline)
        failure = np.full(n, None, dtype=object)
        failure[decided & rejected] = FailureKind.REJECTED_BY_SELLER.value
        failure[decided & auto_cancelled] = FailureKind.CANCELLED_BY_SYSTEM.value
        failure[(decided & buyer_cancelled) | is_late_cancelled] = FailureKind.CANCELLED_BY_BUYER.value
        self.failure = failure
        self.masks = dict(decided=decided, rejected=rejected & decided, auto_cancelled=auto_cancelled & decided,
                          buyer_cancelled=buyer_cancelled & decided, accepted=is_accepted, packed=is_packed,
                          shipped=is_shipped, delivered=is_delivered, filed=is_filed, returning=returning,
                          return_answered=is_filed & res_return & (answered_at <= now_us), refunded=is_refunded,
                          completed=is_completed, late_cancelled=is_late_cancelled,
                          late_cancel_from_shipped=is_late_cancelled & cancel_late_delivery,
                          paid=is_completed & (paid_at <= now_us), auto_refund=~(res_refund | res_return),
                          buyer_confirms=buyer_confirms)
        self.res_refund, self.res_return = res_refund, res_return
        self.res_auto = ~(res_refund | res_return)
        self.decided_at, self.filed_at, self.answered_at = decided_at, filed_at, answered_at
        self.refunded_at, self.received_at, self.paid_at = refunded_at, received_at, paid_at
        stamps = np.stack([placed, self.accepted_at, self.packed_at, self.shipped_at, self.delivered_at,
                           self.completed_at, self.closed_at, np.where(is_filed, filed_at, NEVER),
                           np.where(returning, answered_at, NEVER)])
        stamps = np.where(stamps >= NEVER, np.iinfo(np.int64).min, stamps)
        self.updated_at = np.maximum(stamps.max(axis=0), placed)

        # Lines: 1..6 distinct products, popular ones more often; prices as listed at the warehouse.
        lines = np.minimum(1 + rng.binomial(5, 0.4, n), len(ctx.product_ids))
        self.line_order = np.repeat(np.arange(n), lines)
        position = np.arange(len(self.line_order)) - np.repeat(np.cumsum(lines) - lines, lines)
        count = len(ctx.product_ids)
        strides = np.array([s for s in range(1, count + 1) if math.gcd(s, count) == 1] or [1])
        base = np.minimum((rng.pareto(1.0, n) * count / 8).astype(np.int64), count - 1)
        stride = strides[rng.integers(0, len(strides), n)]
        self.line_product = (base[self.line_order] + position * stride[self.line_order]) % count
        self.line_quantity = np.minimum(rng.geometric(0.35, len(self.line_order)), 24).astype(np.int64)
        self.line_price = ctx.prices[w_index[self.line_order], self.line_product]
        self.line_total = self.line_quantity * self.line_price
        starts = np.concatenate(([0], np.cumsum(lines)[:-1]))
        self.total = np.add.reduceat(self.line_total, starts)
        self.units = np.add.reduceat(self.line_quantity, starts)


# --------------------------------------------------------------------------- Arrow tables


def _ts(values: np.ndarray, backend: str) -> pa.Array:
    mask = values >= NEVER
    array = pa.array(np.where(mask, 0, values).astype("datetime64[us]"), pa.timestamp("us"), mask=mask)
    if backend == "sqlite":
        # SQLAlchemy's SQLite storage format (text, compared as text): Arrow's %S carries the microseconds.
        return pc.strftime(array, format="%Y-%m-%d %H:%M:%S")
    return array.cast(pa.timestamp("us", tz="UTC"))


def _table(columns: dict[str, object]) -> pa.Table:
    return pa.table(columns)


def _order_tables(ctx: _Context, chunk: _Chunk, ids: dict[str, int], backend: str) -> dict[str, pa.Table]:
    n = chunk.n
    ts = lambda values: _ts(values, backend)  # noqa: E731
    local_days = np.empty(n, dtype="datetime64[D]")
    for w, warehouse in enumerate(ctx.warehouses):
        mask = chunk.w_index == w
        offset = datetime(2026, 1, 1, tzinfo=ZoneInfo(warehouse.zone)).utcoffset().total_seconds() * US
        local_days[mask] = (chunk.placed[mask] + int(offset)).astype("datetime64[us]").astype("datetime64[D]")
    day_text = np.char.replace(np.datetime_as_string(local_days, unit="D"), "-", "")
    numbers = [f"{ctx.company_code}-{d}-{i:08d}" for d, i in zip(day_text.tolist(), chunk.ids.tolist())]
    reasons = np.full(n, None, dtype=object)
    reasons[chunk.masks["rejected"]] = REJECT_REASONS[0]
    reasons[chunk.masks["auto_cancelled"]] = T[Step.AUTO_CANCEL].failure_reason
    reasons[chunk.masks["buyer_cancelled"] | chunk.masks["late_cancelled"]] = "Cancelled by the buyer"
    orders = _table({
        "id": chunk.ids, "order_number": pa.array(numbers, pa.string()),
        "company_id": np.full(n, ctx.company_id, dtype=np.int64),
        "warehouse_id": np.array([w.id for w in ctx.warehouses], dtype=np.int64)[chunk.w_index],
        "buyer_id": chunk.buyer, "status": pa.array(chunk.status.tolist(), pa.string()),
        "total_amount": chunk.total, "item_count": chunk.units,
        "placed_at": ts(chunk.placed), "accepted_at": ts(chunk.accepted_at), "packed_at": ts(chunk.packed_at),
        "shipped_at": ts(chunk.shipped_at), "delivered_at": ts(chunk.delivered_at),
        "completed_at": ts(chunk.completed_at), "closed_at": ts(chunk.closed_at),
        "confirm_deadline": ts(chunk.confirm_deadline), "pack_deadline": ts(chunk.pack_deadline),
        "delivery_deadline": ts(chunk.delivery_deadline), "complaint_deadline": ts(chunk.complaint_deadline),
        "complete_deadline": ts(chunk.complete_deadline),
        "failure_kind": pa.array(chunk.failure.tolist(), pa.string()),
        "failure_reason": pa.array(reasons.tolist(), pa.string()),
        "updated_at": ts(chunk.updated_at),
    })
    line_count = len(chunk.line_order)
    never = np.full(line_count, NEVER, dtype=np.int64)
    checked = np.where(chunk.packed_at[chunk.line_order] < NEVER, chunk.packed_at[chunk.line_order], never)
    items = _table({
        "id": np.arange(ids["order_items"], ids["order_items"] + line_count, dtype=np.int64),
        "order_id": chunk.ids[chunk.line_order], "product_id": ctx.product_ids[chunk.line_product],
        "sku": pa.array(np.array(ctx.product_skus, dtype=object)[chunk.line_product].tolist(), pa.string()),
        "product_name": pa.array(np.array(ctx.product_names, dtype=object)[chunk.line_product].tolist(), pa.string()),
        "quantity": chunk.line_quantity.astype(np.int64), "unit_price": chunk.line_price,
        "line_total": chunk.line_total, "checked_at": ts(checked),
    })
    ids["order_items"] += line_count

    # Events: one row per transition that happened, in the lifecycle's vocabulary.
    m = chunk.masks
    user, pm = ActorKind.USER.value, ctx.user_label
    S = OrderStatus
    lag = chunk.sweep_lag
    event_specs = [
        (np.ones(n, bool), None, S.PENDING_CONFIRMATION, ActorKind.BUYER.value, None, chunk.placed,
         T[Step.PLACE].reason, 0),
        (m["accepted"], S.PENDING_CONFIRMATION, S.PROCESSING, user, pm, chunk.accepted_at, T[Step.ACCEPT].reason, 0),
        (m["rejected"], S.PENDING_CONFIRMATION, S.REJECTED, user, pm, chunk.decided_at, REJECT_REASONS[0], 0),
        (m["auto_cancelled"], S.PENDING_CONFIRMATION, S.CANCELLED, ActorKind.SYSTEM.value, SYSTEM_ID, chunk.decided_at,
         T[Step.AUTO_CANCEL].reason, lag),
        (m["buyer_cancelled"], S.PENDING_CONFIRMATION, S.CANCELLED, ActorKind.BUYER.value, None, chunk.decided_at,
         "Cancelled by the buyer", 0),
        (m["packed"], S.PROCESSING, S.READY_TO_SHIP, user, pm, chunk.packed_at, T[Step.MARK_PACKED].reason, 0),
        (m["late_cancelled"] & ~m["late_cancel_from_shipped"], S.PROCESSING, S.CANCELLED, ActorKind.BUYER.value,
         None, chunk.closed_at, "Cancelled by the buyer after the packing deadline", 0),
        (m["shipped"], S.READY_TO_SHIP, S.SHIPPED, user, pm, chunk.shipped_at, None, 0),
        (m["late_cancel_from_shipped"], S.SHIPPED, S.CANCELLED, ActorKind.BUYER.value, None, chunk.closed_at,
         "Cancelled by the buyer after the delivery deadline", 0),
        (m["delivered"], S.SHIPPED, S.DELIVERED, ActorKind.COURIER.value, "courier", chunk.delivered_at,
         T[Step.MARK_DELIVERED].reason, 0),
        (m["filed"], S.DELIVERED, S.COMPLAINED, ActorKind.BUYER.value, None, chunk.filed_at, COMPLAINTS[0], 0),
        (m["return_answered"], S.COMPLAINED, S.RETURN_REQUESTED, user, pm, chunk.answered_at,
         T[Step.ANSWER_WITH_RETURN].reason, 0),
        (m["refunded"] & chunk.res_auto, S.COMPLAINED, S.REFUNDED, ActorKind.SYSTEM.value, SYSTEM_ID,
         chunk.refunded_at, T[Step.AUTO_REFUND].reason, lag),
        (m["refunded"] & chunk.res_refund, S.COMPLAINED, S.REFUNDED, user, pm, chunk.refunded_at,
         T[Step.ANSWER_WITH_REFUND].reason, 0),
        (m["refunded"] & chunk.res_return, S.RETURN_REQUESTED, S.REFUNDED, user, pm, chunk.refunded_at,
         "returned goods received, restocked", 0),
        (m["completed"] & m["buyer_confirms"], S.DELIVERED, S.COMPLETED, ActorKind.BUYER.value, None,
         chunk.completed_at, T[Step.CONFIRM_RECEIPT].reason, 0),
        (m["completed"] & ~m["buyer_confirms"], S.DELIVERED, S.COMPLETED, ActorKind.SYSTEM.value, SYSTEM_ID,
         chunk.completed_at, T[Step.AUTO_COMPLETE].reason, lag),
    ]
    parts = []
    for mask, source, target, kind, actor_id, at, reason, recorded_lag in event_specs:
        k = int(mask.sum())
        if k:
            recorded = at[mask] + (recorded_lag[mask] if isinstance(recorded_lag, np.ndarray) else 0)
            parts.append((k, chunk.ids[mask], source.value if source else None, target.value, kind, actor_id,
                          reason, at[mask], recorded))

    def repeated(position: int) -> pa.Array:
        return pa.concat_arrays([pa.repeat(pa.scalar(p[position], pa.string()), p[0]) for p in parts])

    event_count = sum(p[0] for p in parts)
    events = _table({
        "id": np.arange(ids["order_events"], ids["order_events"] + event_count, dtype=np.int64),
        "order_id": np.concatenate([p[1] for p in parts]),
        "from_status": repeated(2), "to_status": repeated(3), "actor_kind": repeated(4), "actor_id": repeated(5),
        "reason": repeated(6), "at": ts(np.concatenate([p[7] for p in parts])),
        "recorded_at": ts(np.concatenate([p[8] for p in parts])),
    })
    ids["order_events"] += event_count

    shipped = m["shipped"]
    k = int(shipped.sum())
    shipments = _table({
        "id": np.arange(ids["shipments"], ids["shipments"] + k, dtype=np.int64),
        "order_id": chunk.ids[shipped],
        "courier": pa.array([COURIERS[i % len(COURIERS)] for i in chunk.ids[shipped].tolist()], pa.string()),
        "tracking_number": pa.array([f"TRK{i:010d}" for i in chunk.ids[shipped].tolist()], pa.string()),
        "proof_photo": pa.repeat(pa.scalar(PROOF_PNG, pa.binary()), k),
        "proof_mime": pa.repeat(pa.scalar("image/png", pa.string()), k),
        "shipped_by_user_id": pa.repeat(pa.scalar(ctx.user_id, pa.int64()), k),
        "shipped_at": ts(chunk.shipped_at[shipped]),
    })
    ids["shipments"] += k

    filed = m["filed"]
    k = int(filed.sum())
    # Answered: the seller chose refund or return (answered_at), or the system refunded at the deadline.
    seller_answered = filed & (chunk.res_refund | chunk.res_return) & (chunk.answered_at <= chunk.now_us)
    system_answered = filed & chunk.res_auto & m["refunded"]
    resolution = np.full(chunk.n, None, dtype=object)
    resolution[seller_answered & chunk.res_refund] = ComplaintResolution.REFUND.value
    resolution[seller_answered & chunk.res_return] = ComplaintResolution.RETURN.value
    resolution[system_answered] = ComplaintResolution.AUTO_REFUND.value
    answered_at = np.where(seller_answered | system_answered, chunk.answered_at, NEVER)
    received = filed & chunk.res_return & m["refunded"]
    complaints = _table({
        "id": np.arange(ids["complaints"], ids["complaints"] + k, dtype=np.int64),
        "order_id": chunk.ids[filed],
        "description": pa.array([COMPLAINTS[i % len(COMPLAINTS)] for i in chunk.ids[filed].tolist()], pa.string()),
        "filed_at": ts(chunk.filed_at[filed]), "answer_deadline": ts(chunk.complaint_deadline[filed]),
        "resolution": pa.array(resolution[filed].tolist(), pa.string()),
        "answer_note": pa.array(np.where(system_answered, UNANSWERED_NOTE, None)[filed].tolist(), pa.string()),
        "answered_at": ts(answered_at[filed]),
        "answered_by_user_id": pa.array([ctx.user_id if a else None for a in seller_answered[filed].tolist()],
                                        pa.int64()),
        "return_received_at": ts(np.where(received, chunk.received_at, NEVER)[filed]),
        "restocked": pa.array([False] * k, pa.bool_()) if backend != "sqlite" else pa.array([0] * k, pa.int64()),
    })
    ids["complaints"] += k

    refunded = m["refunded"]
    k = int(refunded.sum())
    refunds = _table({
        "id": np.arange(ids["refunds"], ids["refunds"] + k, dtype=np.int64),
        "order_id": chunk.ids[refunded], "company_id": np.full(k, ctx.company_id, dtype=np.int64),
        "amount": chunk.total[refunded],
        "reason": pa.array(np.select([chunk.res_auto, chunk.res_refund], [T[Step.AUTO_REFUND].refund_reason,
                                                                          T[Step.ANSWER_WITH_REFUND].refund_reason],
                                     T[Step.RECEIVE_RETURN].refund_reason)[refunded].tolist(), pa.string()),
        "created_at": ts(chunk.refunded_at[refunded]),
    })
    ids["refunds"] += k

    completed = m["completed"]
    k = int(completed.sum())
    paid = m["paid"][completed]
    payout_ids = np.arange(ids["payouts"], ids["payouts"] + k, dtype=np.int64)
    bank, account, holder = ctx.bank
    payouts = _table({
        "id": payout_ids, "order_id": chunk.ids[completed], "company_id": np.full(k, ctx.company_id, dtype=np.int64),
        "amount": chunk.total[completed], "bank_name": pa.array([bank] * k, pa.string()),
        "account_number": pa.array([account] * k, pa.string()), "account_holder": pa.array([holder] * k, pa.string()),
        "status": pa.array(np.where(paid, PayoutStatus.PAID.value, PayoutStatus.PENDING.value).tolist(), pa.string()),
        "trigger": pa.array(np.where(m["buyer_confirms"][completed], T[Step.CONFIRM_RECEIPT].payout_trigger,
                                     T[Step.AUTO_COMPLETE].payout_trigger).tolist(),
                            pa.string()),
        "created_at": ts(chunk.completed_at[completed]),
        "paid_at": ts(np.where(paid, chunk.paid_at[completed], NEVER)),
        "transfer_reference": pa.array([f"TRF{i:012d}" if p else None for i, p in zip(payout_ids.tolist(), paid.tolist())],
                                       pa.string()),
    })
    ids["payouts"] += k
    return {"orders": orders, "order_items": items, "order_events": events, "shipments": shipments,
            "complaints": complaints, "refunds": refunds, "payouts": payouts}


# --------------------------------------------------------------------------- the generator


def _placed_times(rng: np.random.Generator, count: int, now_us: int, days: int, zones: list[str]) -> np.ndarray:
    """Order times over `days` up to now: growing volume, busiest in local business hours."""
    age_days = days * (1 - np.sqrt(rng.random(count)))  # density rises towards now
    day_start = now_us - (age_days.astype(np.int64) + 1) * DAY
    hour = np.clip(rng.normal(13.0, 3.2, count), 0, 23.99)
    offset = datetime(2026, 1, 1, tzinfo=ZoneInfo(zones[0])).utcoffset().total_seconds() * US
    local_midnight = ((day_start + int(offset)) // DAY) * DAY - int(offset)
    placed = local_midnight + (hour * HOUR).astype(np.int64) + rng.integers(0, 60 * US, count)
    placed = np.minimum(placed, now_us - rng.integers(1, 3600 * US, count))
    return np.sort(placed)


def generate_bulk(store: Store, *, orders: int, company_code: str, seed: int, now: datetime,
                  days: int = 365, chunk_size: int = 200_000,
                  progress: Callable[[str], None] = lambda _m: None) -> BulkResult:
    """Add `orders` orders of `company_code` placed over the last `days` days before `now`."""
    if orders < 1:
        raise ValueError("orders must be at least 1")
    started = time.perf_counter()
    rng = np.random.default_rng(seed)
    now_us = _us(now)
    first_day = (now - timedelta(days=days + 3)).date()
    last_day = (now + timedelta(days=120)).date()
    ctx = _prepare(store, company_code, first_day, last_day, buyers_wanted=max(52, min(20_000, orders // 200)),
                   now=now)
    ids = _next_ids(store)
    backend = store.backend
    placed_all = _placed_times(rng, orders, now_us, days, [w.zone for w in ctx.warehouses])
    store.dispose()  # no SQLAlchemy connection to the file while ADBC writes it (see the docstring)
    totals = dict(orders=0, items=0, events=0, payouts=0, refunds=0, complaints=0)
    by_status: dict[str, int] = {}
    reserved: dict[tuple[int, int], int] = {}
    connection = _adbc_connect(store)
    try:
        with connection.cursor() as cursor:
            for begin in range(0, orders, chunk_size):
                placed = placed_all[begin:begin + chunk_size]
                chunk = _Chunk(ctx, rng, placed, ids["orders"], now_us)
                ids["orders"] += chunk.n
                tables = _order_tables(ctx, chunk, ids, backend)
                for name in ("orders", "order_items", "order_events", "shipments", "complaints", "refunds", "payouts"):
                    if tables[name].num_rows:
                        cursor.adbc_ingest(name, _as_columns_of(name, tables[name], backend), mode="append")
                connection.commit()
                totals["orders"] += chunk.n
                totals["items"] += tables["order_items"].num_rows
                totals["events"] += tables["order_events"].num_rows
                totals["payouts"] += tables["payouts"].num_rows
                totals["refunds"] += tables["refunds"].num_rows
                totals["complaints"] += tables["complaints"].num_rows
                for status, count in zip(*np.unique(chunk.status.astype(str), return_counts=True)):
                    by_status[status] = by_status.get(status, 0) + int(count)
                open_mask = np.isin(chunk.status[chunk.line_order].astype(str), [
                    OrderStatus.PENDING_CONFIRMATION.value, OrderStatus.PROCESSING.value,
                    OrderStatus.READY_TO_SHIP.value])
                for w, p, q in zip(chunk.w_index[chunk.line_order][open_mask].tolist(),
                                   chunk.line_product[open_mask].tolist(), chunk.line_quantity[open_mask].tolist()):
                    key = (ctx.warehouses[w].id, int(ctx.product_ids[p]))
                    reserved[key] = reserved.get(key, 0) + q
                progress(f"{totals['orders']:,} of {orders:,} orders written ({time.perf_counter() - started:.0f} s)")
    finally:
        connection.close()
    _finish(store, reserved, now)
    return BulkResult(seconds=round(time.perf_counter() - started, 1), by_status=by_status, **totals)


def _arrow_type(column, backend: str) -> pa.DataType:
    from sqlalchemy import BigInteger, Boolean, DateTime, Integer, LargeBinary

    kind = column.type
    impl = getattr(kind, "impl", kind)
    if isinstance(impl, BigInteger):
        return pa.int64()
    if isinstance(impl, Integer):
        return pa.int32()
    if isinstance(impl, Boolean):
        return pa.int64() if backend == "sqlite" else pa.bool_()
    if isinstance(impl, DateTime):
        return pa.string() if backend == "sqlite" else pa.timestamp("us", tz="UTC")
    if isinstance(impl, LargeBinary):
        return pa.binary()
    return pa.string()


def _as_columns_of(name: str, table: pa.Table, backend: str) -> pa.Table:
    """The exact column types of the store's table (PostgreSQL's binary COPY accepts nothing else)."""
    from core.store.models import Base

    columns = Base.metadata.tables[name].columns
    schema = pa.schema([(c.name, _arrow_type(columns[c.name], backend)) for c in table.schema])
    return table.cast(schema)


def _adbc_connect(store: Store):
    from core.analytics.source import adbc_target

    backend, target = adbc_target(store.database_url)
    if backend == "sqlite":
        import adbc_driver_sqlite.dbapi as driver

        connection = driver.connect(target)
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA busy_timeout = 30000")
            cursor.execute("PRAGMA foreign_keys = ON")
        return connection
    import adbc_driver_postgresql.dbapi as driver

    return driver.connect(target)


def _finish(store: Store, reserved: dict[tuple[int, int], int], now: datetime) -> None:
    """Reserve stock for orders not yet shipped; let PostgreSQL's sequences and planner catch up."""
    with store.transaction() as session:
        for (warehouse_id, product_id), quantity in reserved.items():
            level = session.scalar(select(StockLevel).where(StockLevel.warehouse_id == warehouse_id,
                                                            StockLevel.product_id == product_id))
            if level is None:
                continue
            level.reserved = level.reserved + quantity
            level.on_hand = max(level.on_hand, level.reserved + 50)
            level.updated_at = now
        if store.backend == "postgresql":
            for table in ("orders", "order_items", "order_events", "payouts", "refunds", "complaints", "shipments",
                          "buyers"):
                session.execute(text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                                     f"coalesce((SELECT max(id) FROM {table}), 1))"))
    with store.engine.connect() as connection:
        if store.backend == "postgresql":
            connection.execution_options(isolation_level="AUTOCOMMIT").exec_driver_sql("ANALYZE")
        else:
            connection.exec_driver_sql("ANALYZE")
            connection.commit()
