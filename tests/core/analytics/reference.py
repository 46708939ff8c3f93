"""The dashboard's figures computed a second way: plain SQLAlchemy selects on the transactional
store and Python arithmetic, with nothing shared with core.analytics. Tests compare the two.

Local dates come from zoneinfo here (core.analytics uses fixed minute offsets in DuckDB).
"""

from __future__ import annotations

import statistics
from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select

from core.store.database import Store
from core.store.models import Buyer, Complaint, Order, OrderItem, Payout, Product, Refund, Warehouse


@dataclass
class Row:
    order: Order
    zone: str
    code: str

    def local_day(self, at: datetime | None) -> date | None:
        return at.astimezone(ZoneInfo(self.zone)).date() if at else None


def load(store: Store, company_id: int, warehouse_code: str | None = None):
    with store.reading() as s:
        warehouses = {w.id: w for w in s.scalars(select(Warehouse).where(Warehouse.company_id == company_id))}
        query = select(Order).where(Order.company_id == company_id)
        orders = [
            Row(o, warehouses[o.warehouse_id].time_zone, warehouses[o.warehouse_id].code) for o in s.scalars(query)
        ]
        if warehouse_code:
            orders = [r for r in orders if r.code == warehouse_code]
        ids = {r.order.id for r in orders}
        items = [i for i in s.scalars(select(OrderItem)) if i.order_id in ids]
        complaints = {c.order_id for c in s.scalars(select(Complaint)) if c.order_id in ids}
        refunds = {r.order_id: r for r in s.scalars(select(Refund)) if r.order_id in ids}
        payouts = {p.order_id: p for p in s.scalars(select(Payout)) if p.order_id in ids}
        products = {p.id: p for p in s.scalars(select(Product))}
        buyers = {b.id: b for b in s.scalars(select(Buyer))}
    return orders, items, complaints, refunds, payouts, warehouses, products, buyers


def completed_in(rows, start: date, end: date):
    return [r for r in rows if r.order.status == "COMPLETED" and start <= r.local_day(r.order.completed_at) <= end]


def placed_in(rows, start: date, end: date):
    return [r for r in rows if start <= r.local_day(r.order.placed_at) <= end]


def kpis(store, company_id, start, end, warehouse_code=None) -> dict[str, tuple[int, int]]:
    rows, items, _, _, payouts, *_ = load(store, company_id, warehouse_code)
    units_by_order = Counter()
    for item in items:
        units_by_order[item.order_id] += item.quantity
    days = (end - start).days + 1
    result = {}
    periods = ((start, end), (start - timedelta(days=days), start - timedelta(days=1)))
    figures = []
    for s, e in periods:
        done = completed_in(rows, s, e)
        revenue = sum(r.order.total_amount for r in done)
        count = len(done)
        figures.append(
            {
                "revenue": revenue,
                "orders": count,
                "average_order_value": revenue // count if count else 0,
                "units": sum(units_by_order[r.order.id] for r in done),
                "payouts_pending": sum(
                    payouts[r.order.id].amount
                    for r in done
                    if r.order.id in payouts and payouts[r.order.id].status == "PENDING"
                ),
                "payouts_paid": sum(
                    payouts[r.order.id].amount
                    for r in done
                    if r.order.id in payouts and payouts[r.order.id].status == "PAID"
                ),
            }
        )
    for key in figures[0]:
        result[key] = (figures[0][key], figures[1][key])
    return result


def trend(store, company_id, start, end, warehouse_code=None) -> list[tuple[date, int, int]]:
    rows, *_ = load(store, company_id, warehouse_code)
    revenue, count = Counter(), Counter()
    for r in completed_in(rows, start, end):
        day = r.local_day(r.order.completed_at)
        revenue[day] += r.order.total_amount
        count[day] += 1
    return [
        (start + timedelta(days=n), revenue[start + timedelta(days=n)], count[start + timedelta(days=n)])
        for n in range((end - start).days + 1)
    ]


def funnel_health(store, company_id, start, end, warehouse_code=None) -> dict:
    rows, _, complaints, refunds, *_ = load(store, company_id, warehouse_code)
    placed = [r.order for r in placed_in(rows, start, end)]
    accepted = [o for o in placed if o.accepted_at is not None]
    rejected = [o for o in placed if o.status == "REJECTED"]
    auto = [o for o in placed if o.status == "CANCELLED" and o.failure_kind == "CANCELLED_BY_SYSTEM"]
    packed = [o for o in placed if o.packed_at is not None]
    shipped = [o for o in placed if o.shipped_at is not None]
    delivered = [o for o in placed if o.delivered_at is not None]
    completed = [o for o in placed if o.status == "COMPLETED"]
    refunded = [o for o in placed if o.id in refunds]
    waits = [(o.accepted_at - o.placed_at).total_seconds() / 3600 for o in accepted]

    def ratio(n, d):
        return (n / d if d else None, n, d)

    return {
        "funnel": [len(placed), len(accepted), len(packed), len(shipped), len(delivered), len(completed)],
        "status_counts": Counter(o.status for o in placed),
        "acceptance_rate": ratio(len(accepted), len(accepted) + len(rejected) + len(auto)),
        "auto_cancellation_rate": ratio(len(auto), len(placed)),
        "on_time_packing_rate": ratio(
            sum(1 for o in packed if o.pack_deadline and o.packed_at <= o.pack_deadline), len(packed)
        ),
        "on_time_delivery_rate": ratio(
            sum(1 for o in delivered if o.delivery_deadline and o.delivered_at <= o.delivery_deadline), len(delivered)
        ),
        "complaint_rate": ratio(sum(1 for o in placed if o.id in complaints), len(shipped)),
        "refund_rate": ratio(len(refunded), len(shipped)),
        "refunds": (len(refunded), sum(refunds[o.id].amount for o in refunded)),
        "median_hours_to_accept": statistics.median(waits) if waits else None,
    }


def top_products(store, company_id, start, end, warehouse_code=None, limit=10) -> list[tuple[int, int, int]]:
    rows, items, *_ = load(store, company_id, warehouse_code)
    done = {r.order.id for r in completed_in(rows, start, end)}
    units, revenue = Counter(), Counter()
    for item in items:
        if item.order_id in done:
            units[item.product_id] += item.quantity
            revenue[item.product_id] += item.line_total
    ranked = sorted(revenue, key=lambda pid: (-revenue[pid], pid))[:limit]
    return [(pid, units[pid], revenue[pid]) for pid in ranked]


def warehouse_revenue(store, company_id, start, end, warehouse_code=None) -> dict[str, tuple[int, int]]:
    rows, _, _, _, _, warehouses, *_ = load(store, company_id, warehouse_code)
    result = {w.code: (0, 0) for w in warehouses.values() if not warehouse_code or w.code == warehouse_code}
    for r in completed_in(rows, start, end):
        revenue, count = result[r.code]
        result[r.code] = (revenue + r.order.total_amount, count + 1)
    return result


ACTION_DEADLINE = {
    "PENDING_CONFIRMATION": "confirm_deadline",
    "PROCESSING": "pack_deadline",
    "READY_TO_SHIP": "delivery_deadline",
    "COMPLAINED": "complaint_deadline",
}


def needs_action(store, company_id, warehouse_code=None, limit=10) -> list[tuple[int, datetime]]:
    rows, *_ = load(store, company_id, warehouse_code)
    open_orders = [
        (getattr(r.order, ACTION_DEADLINE[r.order.status]), r.order.id)
        for r in rows
        if r.order.status in ACTION_DEADLINE and getattr(r.order, ACTION_DEADLINE[r.order.status])
    ]
    return [(oid, deadline) for deadline, oid in sorted(open_orders)[:limit]]


def history_lines(
    store,
    company_id,
    start,
    end,
    *,
    warehouse_code=None,
    sku=None,
    buyer_code=None,
    min_total=None,
    max_total=None,
    payout_status=None,
) -> list[dict]:
    """The filtered history, one dict per line, newest completion first (the page's order), with
    its order's payout (status, paid time in the warehouse's zone, transfer reference)."""
    rows, items, _, _, payouts, warehouses, products, buyers = load(store, company_id, warehouse_code)
    by_id = {r.order.id: r for r in completed_in(rows, start, end)}
    result = []
    for item in items:
        r = by_id.get(item.order_id)
        if r is None:
            continue
        o = r.order
        if sku and products[item.product_id].sku != sku:
            continue
        if buyer_code and buyers[o.buyer_id].buyer_code != buyer_code:
            continue
        if min_total is not None and o.total_amount < min_total:
            continue
        if max_total is not None and o.total_amount > max_total:
            continue
        payout = payouts.get(o.id)
        if payout_status is not None and (payout is None or payout.status != payout_status):
            continue
        zone = ZoneInfo(r.zone)
        paid_at = payout.paid_at if payout else None
        result.append(
            {
                "order_id": o.id,
                "item_id": item.id,
                "order_number": o.order_number,
                "placed_local": o.placed_at.astimezone(zone).replace(tzinfo=None),
                "completed_local": o.completed_at.astimezone(zone).replace(tzinfo=None),
                "completed_at": o.completed_at,
                "zone": r.zone,
                "warehouse": r.code,
                "buyer_code": buyers[o.buyer_id].buyer_code,
                "buyer_name": buyers[o.buyer_id].name,
                "product_name": item.product_name,
                "sku": item.sku,
                "quantity": item.quantity,
                "unit_price": item.unit_price,
                "line_total": item.line_total,
                "payout_status": payout.status if payout else None,
                "paid_at": paid_at,
                "paid_local": paid_at.astimezone(zone).replace(tzinfo=None) if paid_at else None,
                "transfer_reference": payout.transfer_reference if payout else None,
            }
        )
    result.sort(key=lambda d: (-d["completed_at"].timestamp(), -d["order_id"], d["item_id"]))
    return result
