"""The fates of one chunk of bulk demo orders, drawn with numpy: each order accepted fast or slowly,
rejected, ignored until the system cancels it at its deadline, packed late, cancelled by the buyer
past a deadline, delivered late, complained about and refunded, returned, completed by the buyer or
automatically, and then cut off at `now`, so the newest orders are still in flight. Deadlines come
from each warehouse's `BusinessClock`; an automatic step takes effect at its deadline and is
recorded by the sweep up to 30 s later (`sweep_lag`), as core.orders.lifecycle says."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from core.demo.bulk_clock import DAY, HOUR, NEVER, US, BusinessClock
from core.domain import FailureKind, OrderStatus


@dataclass
class WarehouseFacts:
    id: int
    code: str
    zone: str
    clock: BusinessClock
    processing_days: int
    sla_days: int
    weight: float


@dataclass
class Context:
    company_id: int
    company_code: str
    user_label: str
    user_id: int | None  # the company's first user, who ships and answers; None if it has none
    warehouses: list[WarehouseFacts]
    product_ids: np.ndarray
    product_skus: list[str]
    product_names: list[str]
    prices: np.ndarray  # [warehouse index, product index]
    buyer_ids: np.ndarray  # ascending
    #: Each buyer's registered name, phone, address and city (aligned with buyer_ids), which an
    #: order keeps as its ship-to address: orders column -> object array.
    buyer_ship_to: dict[str, np.ndarray]
    bank: tuple[str | None, str | None, str | None]


class Chunk:
    """The columns of one chunk of orders and everything that hangs off them (int64 µs times)."""

    def __init__(self, ctx: Context, rng: np.random.Generator, placed: np.ndarray, first_id: int, now_us: int):
        n = len(placed)
        self.n = n
        self.now_us = now_us
        self.ids = np.arange(first_id, first_id + n, dtype=np.int64)
        w_index = rng.choice(len(ctx.warehouses), size=n, p=[w.weight for w in ctx.warehouses])
        self.w_index = w_index
        # Buyers: a long tail; a few regulars order most.
        self.buyer = ctx.buyer_ids[
            np.minimum((rng.pareto(1.2, n) * len(ctx.buyer_ids) / 20).astype(np.int64), len(ctx.buyer_ids) - 1)
        ]
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
            auto_cancelled,
            self.confirm_deadline,
            start + np.minimum(rng.exponential(1.6 * HOUR, n).astype(np.int64), (window * 0.97).astype(np.int64)),
        )
        decided_at = np.where(
            buyer_cancelled, placed + (u[1] * (self.confirm_deadline - placed) * 0.9).astype(np.int64), decided_at
        )
        decided = decided_at <= now_us

        accepted_at = np.where(accepted & decided, decided_at, NEVER)
        is_accepted = accepted & decided
        self.pack_deadline = np.where(
            is_accepted,
            per_warehouse(
                lambda wh, m: wh.clock.add_days(np.minimum(decided_at[m], now_us + 30 * DAY), wh.processing_days)
            ),
            NEVER,
        )
        late_pack = u[2] < 0.06
        cancel_late_pack = late_pack & (u[3] < 0.15)
        packed_at = np.where(
            late_pack,
            self.pack_deadline + (10 * 60 * US + u[4] * 20 * HOUR).astype(np.int64),
            accepted_at + ((0.1 + 0.85 * u[4]) * (self.pack_deadline - accepted_at)).astype(np.int64),
        )
        packed_at = np.where(cancel_late_pack, NEVER, packed_at)
        late_cancel_at = np.where(
            cancel_late_pack, self.pack_deadline + (HOUR + u[5] * 9 * HOUR).astype(np.int64), NEVER
        )
        packed_at = np.where(is_accepted, packed_at, NEVER)
        late_cancel_at = np.where(is_accepted, late_cancel_at, NEVER)
        is_packed = packed_at <= now_us
        sla = np.array([w.sla_days for w in ctx.warehouses], dtype=np.int64)[w_index]
        self.delivery_deadline = np.where(is_packed, packed_at + sla * DAY, NEVER)
        shipped_at = np.where(is_packed, packed_at + (HOUR // 2 + u[6] * 8 * HOUR).astype(np.int64), NEVER)
        late_delivery = u[7] < 0.05
        delivered_at = np.where(
            late_delivery,
            self.delivery_deadline + (HOUR + u[8] * 48 * HOUR).astype(np.int64),
            shipped_at + ((0.3 + 0.65 * u[8]) * (self.delivery_deadline - shipped_at)).astype(np.int64),
        )
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
        answered_at = np.where(
            res_refund | res_return,
            filed_at + (HOUR + resolution * 40 * HOUR).astype(np.int64),
            self.complaint_deadline,
        )
        received_at = np.where(res_return, answered_at + 3 * DAY, NEVER)
        refunded_at = np.where(res_return, received_at, answered_at)
        self.complete_deadline = np.where(is_delivered, delivered_at + 2 * DAY, NEVER)
        buyer_confirms = rng.random(n) < 0.65
        completed_at = np.where(
            buyer_confirms, delivered_at + (HOUR + rng.random(n) * 46 * HOUR).astype(np.int64), self.complete_deadline
        )
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
        self.masks = dict(
            decided=decided,
            rejected=rejected & decided,
            auto_cancelled=auto_cancelled & decided,
            buyer_cancelled=buyer_cancelled & decided,
            accepted=is_accepted,
            packed=is_packed,
            shipped=is_shipped,
            delivered=is_delivered,
            filed=is_filed,
            returning=returning,
            return_answered=is_filed & res_return & (answered_at <= now_us),
            refunded=is_refunded,
            completed=is_completed,
            late_cancelled=is_late_cancelled,
            late_cancel_from_shipped=is_late_cancelled & cancel_late_delivery,
            paid=is_completed & (paid_at <= now_us),
            auto_refund=~(res_refund | res_return),
            buyer_confirms=buyer_confirms,
        )
        self.res_refund, self.res_return = res_refund, res_return
        self.res_auto = ~(res_refund | res_return)
        self.decided_at, self.filed_at, self.answered_at = decided_at, filed_at, answered_at
        self.refunded_at, self.received_at, self.paid_at = refunded_at, received_at, paid_at
        stamps = np.stack(
            [
                placed,
                self.accepted_at,
                self.packed_at,
                self.shipped_at,
                self.delivered_at,
                self.completed_at,
                self.closed_at,
                np.where(is_filed, filed_at, NEVER),
                np.where(returning, answered_at, NEVER),
            ]
        )
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
