"""Dashboard and transaction-history queries on the analytics snapshot.

Every public function takes the acting user, checks the role first, and filters every query by
`actor.company_id`: a company sees only its own orders. Dates are *local* calendar dates at each
order's warehouse (WIB, WITA or WIT); timestamps come back as aware UTC datetimes, and the
warehouse's zone travels with them so callers can show local time.

Which date each section filters on:
- revenue, orders, average order value, units, payouts, the daily trend, top products, revenue per
  warehouse and the transaction history: the day the order was COMPLETED (`completed_day`);
- the status funnel and fulfilment health: the day the order was PLACED (`placed_day`).

Health definitions (orders placed in the period):
- acceptance rate = accepted / (accepted + rejected + auto-cancelled), among orders that got a
  decision; accepted = `accepted_at` set; auto-cancelled = CANCELLED with CANCELLED_BY_SYSTEM;
- auto-cancellation rate = auto-cancelled / orders placed;
- on-time packing = `packed_at <= pack_deadline`, over orders packed;
- on-time delivery = `delivered_at <= delivery_deadline`, over orders delivered;
- complaint rate = orders with a complaint / orders shipped;
- refunds = count and amount of refunds; refund rate = refunds / orders shipped;
- median time to accept = median(`accepted_at - placed_at`), in hours.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from typing import Any

import duckdb

from core.orders.lifecycle import SELLER_DEADLINES, WAITING
from core.acting import Actor, acting, require_role
from core.store.database import Store
from core.analytics.snapshots import AnalyticsStore, SnapshotInfo
from core.domain import OrderStatus, Role
from core.errors import InvalidInput, NotFound

MAX_PERIOD_DAYS = 731
TOP_PRODUCTS = 10
NEEDS_ACTION_LIMIT = 10
HISTORY_PAGE_SIZE = 50

#: Targets for fulfilment health, as marketplaces publish them for their sellers.
#: direction "min": the value should be at least the target; "max": at most.
HEALTH_TARGETS: dict[str, tuple[float, str]] = {
    "acceptance_rate": (0.95, "min"),
    "auto_cancellation_rate": (0.02, "max"),
    "on_time_packing_rate": (0.95, "min"),
    "on_time_delivery_rate": (0.95, "min"),
    "complaint_rate": (0.02, "max"),
    "refund_rate": (0.01, "max"),
    "median_hours_to_accept": (4.0, "max"),
}

#: What the seller must do for an open order (the snapshot's open_orders table holds, for each,
#: the deadline that matters: confirm, pack, delivery or complaint deadline; see core.analytics.sync).
ACTION_LABELS: dict[str, str] = {status.value: WAITING[status].next.capitalize() for status in SELLER_DEADLINES}


# --------------------------------------------------------------------------- inputs


@dataclass(frozen=True)
class Period:
    """Local calendar dates, both ends included."""

    start: date
    end: date

    def __post_init__(self) -> None:
        if not isinstance(self.start, date) or not isinstance(self.end, date):
            raise InvalidInput("Choose a start and an end date.", field="period")
        if self.start > self.end:
            raise InvalidInput("The start date must not be after the end date.", field="period")
        if (self.end - self.start).days + 1 > MAX_PERIOD_DAYS:
            raise InvalidInput(f"Choose a period of at most {MAX_PERIOD_DAYS} days.", field="period")

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def previous(self) -> "Period":
        return Period(self.start - timedelta(days=self.days), self.start - timedelta(days=1))


@dataclass(frozen=True)
class HistoryFilters:
    period: Period
    warehouse_code: str | None = None
    product_sku: str | None = None
    buyer_code: str | None = None
    min_total: int | None = None  # order total, rupiah
    max_total: int | None = None

    def __post_init__(self) -> None:
        for name in ("min_total", "max_total"):
            value = getattr(self, name)
            if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < 0):
                raise InvalidInput("Amounts are whole rupiah, zero or more.", field=name)
        if self.min_total is not None and self.max_total is not None and self.min_total > self.max_total:
            raise InvalidInput("The lowest order total must not be above the highest.", field="min_total")


# --------------------------------------------------------------------------- results


@dataclass(frozen=True)
class Kpi:
    key: str
    label: str
    value: int
    previous: int
    unit: str  # "rupiah" or "count"

    @property
    def change(self) -> float | None:
        """Relative change against the previous period; None when there is nothing to compare."""
        if self.previous == 0:
            return None
        return (self.value - self.previous) / self.previous


@dataclass(frozen=True)
class TrendPoint:
    day: date
    revenue: int
    orders: int


@dataclass(frozen=True)
class FunnelStage:
    key: str
    label: str
    count: int


@dataclass(frozen=True)
class ProductSales:
    product_id: int
    sku: str
    name: str
    units: int
    revenue: int


@dataclass(frozen=True)
class WarehouseRevenue:
    code: str
    name: str
    zone_abbr: str
    revenue: int
    orders: int


@dataclass(frozen=True)
class HealthMetric:
    key: str
    label: str
    value: float | None  # a share (0..1) or hours; None when nothing to measure
    target: float
    direction: str  # "min" or "max"
    unit: str  # "share" or "hours"
    numerator: int | None
    denominator: int | None

    @property
    def met(self) -> bool | None:
        if self.value is None:
            return None
        return self.value >= self.target if self.direction == "min" else self.value <= self.target


@dataclass(frozen=True)
class ActionItem:
    order_id: int
    order_number: str
    status: str
    action: str
    deadline: datetime  # UTC
    warehouse_code: str
    time_zone: str
    zone_abbr: str
    buyer_name: str
    total_amount: int

    def overdue(self, now: datetime) -> bool:
        return self.deadline <= now


@dataclass(frozen=True)
class WarehouseOption:
    code: str
    name: str
    zone_abbr: str


@dataclass
class Dashboard:
    info: SnapshotInfo
    period: Period
    previous_period: Period
    warehouse_code: str | None
    kpis: list[Kpi]
    trend: list[TrendPoint]
    funnel: list[FunnelStage]
    status_counts: dict[str, int]
    top_products: list[ProductSales]
    warehouse_revenue: list[WarehouseRevenue]
    health: list[HealthMetric]
    refunds_count: int
    refunds_amount: int
    needs_action: list[ActionItem]
    timings_ms: dict[str, float] = field(default_factory=dict)


#: Where a row sits in the history's order (newest completion first): (completed_at, order_id, item_id).
RowKey = tuple[datetime, int, int]


@dataclass(frozen=True)
class HistoryRow:
    key: RowKey
    order_number: str
    placed_at: datetime  # UTC
    completed_at: datetime  # UTC
    utc_offset_min: int
    zone_abbr: str
    warehouse_code: str
    buyer_code: str
    buyer_name: str
    product_name: str
    sku: str
    quantity: int
    unit_price: int
    line_total: int

    def local(self, at: datetime) -> datetime:
        """A UTC time of this row at its warehouse (naive local wall time)."""
        return (at + timedelta(minutes=self.utc_offset_min)).replace(tzinfo=None)


@dataclass(frozen=True)
class HistoryTotals:
    lines: int
    orders: int
    units: int
    amount: int


@dataclass
class HistoryPage:
    info: SnapshotInfo
    filters: HistoryFilters
    rows: list[HistoryRow]
    totals: HistoryTotals
    page: int  # 1-based
    page_size: int
    timings_ms: dict[str, float] = field(default_factory=dict)

    @property
    def first_key(self) -> RowKey | None:
        return self.rows[0].key if self.rows else None

    @property
    def last_key(self) -> RowKey | None:
        return self.rows[-1].key if self.rows else None

    @property
    def page_count(self) -> int:
        return max(1, -(-self.totals.lines // self.page_size))


@dataclass(frozen=True)
class HistoryOptions:
    warehouses: list[WarehouseOption]
    products: list[tuple[str, str]]  # (sku, name)
    buyers: list[tuple[str, str]]  # (buyer_code, name)


# --------------------------------------------------------------------------- scope


@dataclass(frozen=True)
class Scope:
    """Whose rows a query may see: always one company, optionally one of its warehouses."""

    company_id: int
    warehouse_id: int | None = None

    def where(self, alias: str = "") -> tuple[str, dict[str, Any]]:
        prefix = f"{alias}." if alias else ""
        sql = f"{prefix}company_id = $company_id"
        params: dict[str, Any] = {"company_id": self.company_id}
        if self.warehouse_id is not None:
            sql += f" AND {prefix}warehouse_id = $warehouse_id"
            params["warehouse_id"] = self.warehouse_id
        return sql, params


def resolve_scope(con: duckdb.DuckDBPyConnection, company_id: int, warehouse_code: str | None) -> Scope:
    if not warehouse_code:
        return Scope(company_id)
    row = con.execute("SELECT id FROM warehouses WHERE company_id = $c AND code = $code",
                      {"c": company_id, "code": warehouse_code}).fetchone()
    if row is None:
        raise NotFound(f"There is no warehouse {warehouse_code} in your company.")
    return Scope(company_id, int(row[0]))


def _utc(value: datetime | None) -> datetime | None:
    return value.replace(tzinfo=timezone.utc) if value is not None else None


def _int(value) -> int:
    return int(value) if value is not None else 0


def _timed(timings: dict[str, float], key: str, fn, *args):
    started = time.perf_counter()
    result = fn(*args)
    timings[key] = round((time.perf_counter() - started) * 1000, 3)
    return result


# --------------------------------------------------------------------------- dashboard queries
# Each takes an open snapshot connection and a Scope; bench/analytics.py times them one by one.


def query_kpis(con, scope: Scope, period: Period) -> list[Kpi]:
    where, params = scope.where()
    previous = period.previous()
    params.update(ps=previous.start, pe=previous.end, cs=period.start, ce=period.end)
    row = con.execute(f"""
        SELECT
          sum(total_amount) FILTER (WHERE completed_day >= $cs), count(*) FILTER (WHERE completed_day >= $cs),
          sum(item_count) FILTER (WHERE completed_day >= $cs),
          sum(payout_amount) FILTER (WHERE completed_day >= $cs AND payout_status = 'PENDING'),
          sum(payout_amount) FILTER (WHERE completed_day >= $cs AND payout_status = 'PAID'),
          sum(total_amount) FILTER (WHERE completed_day <= $pe), count(*) FILTER (WHERE completed_day <= $pe),
          sum(item_count) FILTER (WHERE completed_day <= $pe),
          sum(payout_amount) FILTER (WHERE completed_day <= $pe AND payout_status = 'PENDING'),
          sum(payout_amount) FILTER (WHERE completed_day <= $pe AND payout_status = 'PAID')
        FROM orders
        WHERE {where} AND status = 'COMPLETED' AND completed_day BETWEEN $ps AND $ce
    """, params).fetchone()
    cur = [_int(v) for v in row[:5]]
    prev = [_int(v) for v in row[5:]]
    aov = cur[0] // cur[1] if cur[1] else 0
    prev_aov = prev[0] // prev[1] if prev[1] else 0
    return [
        Kpi("revenue", "Completed revenue", cur[0], prev[0], "rupiah"),
        Kpi("orders", "Completed orders", cur[1], prev[1], "count"),
        Kpi("average_order_value", "Average order value", aov, prev_aov, "rupiah"),
        Kpi("units", "Units sold", cur[2], prev[2], "count"),
        Kpi("payouts_pending", "Payouts pending", cur[3], prev[3], "rupiah"),
        Kpi("payouts_paid", "Payouts paid", cur[4], prev[4], "rupiah"),
    ]


def query_trend(con, scope: Scope, period: Period) -> list[TrendPoint]:
    where, params = scope.where()
    params.update(cs=period.start, ce=period.end)
    rows = con.execute(f"""
        SELECT completed_day, sum(total_amount), count(*) FROM orders
        WHERE {where} AND status = 'COMPLETED' AND completed_day BETWEEN $cs AND $ce
        GROUP BY completed_day
    """, params).fetchall()
    by_day = {day: (int(revenue), int(count)) for day, revenue, count in rows}
    return [TrendPoint(day, *by_day.get(day, (0, 0)))
            for day in (period.start + timedelta(days=n) for n in range(period.days))]


_FUNNEL = (("placed", "Placed"), ("accepted", "Accepted"), ("packed", "Packed"), ("shipped", "Shipped"),
           ("delivered", "Delivered"), ("completed", "Completed"))


def query_funnel_health(con, scope: Scope, period: Period) -> tuple[list[FunnelStage], dict[str, int],
                                                                      list[HealthMetric], int, int]:
    where, params = scope.where()
    params.update(s=period.start, e=period.end)
    statuses = [status.value for status in OrderStatus]
    status_sql = ", ".join(f"count(*) FILTER (WHERE status = '{s}')" for s in statuses)
    row = con.execute(f"""
        SELECT count(*), count(accepted_at), count(packed_at), count(shipped_at), count(delivered_at),
               count(*) FILTER (WHERE status = 'COMPLETED'),
               count(*) FILTER (WHERE status = 'REJECTED'),
               count(*) FILTER (WHERE status = 'CANCELLED' AND failure_kind = 'CANCELLED_BY_SYSTEM'),
               count(*) FILTER (WHERE packed_at <= pack_deadline),
               count(*) FILTER (WHERE delivered_at <= delivery_deadline),
               count(*) FILTER (WHERE has_complaint),
               count(refund_amount), sum(refund_amount),
               median(CAST(epoch_us(accepted_at) - epoch_us(placed_at) AS DOUBLE)),
               {status_sql}
        FROM orders
        WHERE {where} AND placed_day BETWEEN $s AND $e
    """, params).fetchone()
    (placed, accepted, packed, shipped, delivered, completed, rejected, auto_cancelled, packed_on_time,
     delivered_on_time, complained, refunds, refund_amount, median_us) = row[:14]
    status_counts = {status: int(count) for status, count in zip(statuses, row[14:])}
    funnel = [FunnelStage(key, label, int(value)) for (key, label), value in
              zip(_FUNNEL, (placed, accepted, packed, shipped, delivered, completed))]

    def share(key: str, label: str, numerator: int, denominator: int) -> HealthMetric:
        target, direction = HEALTH_TARGETS[key]
        value = numerator / denominator if denominator else None
        return HealthMetric(key, label, value, target, direction, "share", int(numerator), int(denominator))

    decided = accepted + rejected + auto_cancelled
    target, direction = HEALTH_TARGETS["median_hours_to_accept"]
    health = [
        share("acceptance_rate", "Acceptance rate", accepted, decided),
        share("auto_cancellation_rate", "Auto-cancellation rate", auto_cancelled, placed),
        share("on_time_packing_rate", "On-time packing rate", packed_on_time, packed),
        share("on_time_delivery_rate", "On-time delivery rate", delivered_on_time, delivered),
        share("complaint_rate", "Complaint rate", complained, shipped),
        share("refund_rate", "Refund rate", refunds, shipped),
        HealthMetric("median_hours_to_accept", "Median time to accept",
                     median_us / 3_600_000_000 if median_us is not None else None, target, direction,
                     "hours", None, int(accepted)),
    ]
    return funnel, status_counts, health, int(refunds), _int(refund_amount)


def query_top_products(con, scope: Scope, period: Period, limit: int = TOP_PRODUCTS) -> list[ProductSales]:
    """By completed revenue; names and SKUs as the catalogue has them now (products are never
    deleted from it, only marked DELETED), the lines' own snapshot if one ever is missing."""
    where, params = scope.where("l")
    params.update(cs=period.start, ce=period.end, n=limit)
    rows = con.execute(f"""
        WITH top AS (
            SELECT product_id, sum(quantity) AS units, sum(line_total) AS revenue
            FROM sales_lines l
            WHERE {where} AND completed_day BETWEEN $cs AND $ce
            GROUP BY product_id
            ORDER BY revenue DESC, product_id
            LIMIT $n
        )
        SELECT top.product_id, p.sku, p.name, units, revenue
        FROM top LEFT JOIN products p ON p.id = top.product_id
        ORDER BY revenue DESC, top.product_id
    """, params).fetchall()
    missing = [pid for pid, sku, *_ in rows if sku is None]
    names = {}
    if missing:
        names = {pid: (sku, name) for pid, sku, name in con.execute(f"""
            SELECT product_id, any_value(sku), any_value(product_name) FROM sales_lines
            WHERE company_id = $c AND product_id IN ({", ".join(str(int(m)) for m in missing)}) GROUP BY product_id
        """, {"c": scope.company_id}).fetchall()}
    return [ProductSales(int(pid), sku or names.get(pid, ("", ""))[0], name or names.get(pid, ("", ""))[1],
                         int(units), int(revenue))
            for pid, sku, name, units, revenue in rows]


def query_warehouse_revenue(con, scope: Scope, period: Period) -> list[WarehouseRevenue]:
    where, params = scope.where("o")
    params.update(cs=period.start, ce=period.end)
    warehouse_filter = "AND w.id = $warehouse_id" if scope.warehouse_id is not None else ""
    rows = con.execute(f"""
        WITH totals AS (
            SELECT warehouse_id, sum(total_amount) AS revenue, count(*) AS orders FROM orders o
            WHERE {where} AND status = 'COMPLETED' AND completed_day BETWEEN $cs AND $ce
            GROUP BY warehouse_id
        )
        SELECT w.code, w.name, w.zone_abbr, coalesce(t.revenue, 0), coalesce(t.orders, 0)
        FROM warehouses w LEFT JOIN totals t ON t.warehouse_id = w.id
        WHERE w.company_id = $company_id {warehouse_filter}
        ORDER BY 4 DESC, w.code
    """, params).fetchall()
    return [WarehouseRevenue(code, name, abbr, int(revenue), int(orders)) for code, name, abbr, revenue, orders in rows]


def query_needs_action(con, scope: Scope, limit: int = NEEDS_ACTION_LIMIT) -> list[ActionItem]:
    where, params = scope.where("a")
    params["n"] = limit
    rows = con.execute(f"""
        SELECT a.id, a.order_number, a.status, a.deadline, w.code, w.time_zone, w.zone_abbr,
               coalesce(b.name, ''), a.total_amount
        FROM (SELECT * FROM open_orders a WHERE {where} AND deadline IS NOT NULL
              ORDER BY deadline, id LIMIT $n) a
        LEFT JOIN warehouses w ON w.id = a.warehouse_id
        LEFT JOIN buyers b ON b.id = a.buyer_id
        ORDER BY a.deadline, a.id
    """, params).fetchall()
    return [ActionItem(int(oid), number, status, ACTION_LABELS[status], _utc(deadline), code, zone, abbr,
                       buyer, int(total))
            for oid, number, status, deadline, code, zone, abbr, buyer, total in rows]


def query_warehouses(con, company_id: int) -> list[WarehouseOption]:
    rows = con.execute("SELECT code, name, zone_abbr FROM warehouses WHERE company_id = $c ORDER BY code",
                       {"c": company_id}).fetchall()
    return [WarehouseOption(code, name, abbr) for code, name, abbr in rows]


# --------------------------------------------------------------------------- dashboard


def check_may_refresh(store: Store, actor: Actor) -> None:
    """Refuse an actor who may not bring the figures up to date (the UI then runs the writer)."""
    with acting(store, actor, Role.PRODUCT_MANAGER, doing="refresh the analytics", write=False):
        pass


def company_warehouses(analytics: AnalyticsStore, actor: Actor) -> list[WarehouseOption]:
    """The company's warehouses, for the filter."""
    require_role(actor, Role.PRODUCT_MANAGER, doing="see the dashboard")
    with analytics.reading() as snap:
        return query_warehouses(snap.con, actor.company_id)


def load_dashboard(analytics: AnalyticsStore, actor: Actor, period: Period,
                   warehouse_code: str | None = None) -> Dashboard:
    """Every section of the dashboard, from one snapshot (so they agree with each other)."""
    require_role(actor, Role.PRODUCT_MANAGER, doing="see the dashboard")
    timings: dict[str, float] = {}
    with analytics.reading() as snap:
        con = snap.con
        scope = resolve_scope(con, actor.company_id, warehouse_code)
        kpis = _timed(timings, "kpis", query_kpis, con, scope, period)
        trend = _timed(timings, "trend", query_trend, con, scope, period)
        funnel, status_counts, health, refunds, refund_amount = _timed(
            timings, "funnel_health", query_funnel_health, con, scope, period)
        top = _timed(timings, "top_products", query_top_products, con, scope, period)
        per_warehouse = _timed(timings, "warehouse_revenue", query_warehouse_revenue, con, scope, period)
        actions = _timed(timings, "needs_action", query_needs_action, con, scope)
        return Dashboard(
            info=snap.info, period=period, previous_period=period.previous(), warehouse_code=warehouse_code,
            kpis=kpis, trend=trend, funnel=funnel, status_counts=status_counts, top_products=top,
            warehouse_revenue=per_warehouse, health=health, refunds_count=refunds,
            refunds_amount=refund_amount, needs_action=actions, timings_ms=timings,
        )


# --------------------------------------------------------------------------- transaction history


def history_where(con, actor: Actor, filters: HistoryFilters, alias: str = "l") -> tuple[str, dict[str, Any]]:
    """The WHERE clause of the filtered set (sales_lines), shared by the page and the export."""
    scope = resolve_scope(con, actor.company_id, filters.warehouse_code)
    return filtered_lines_where(con, scope, filters, alias)


def filtered_lines_where(con, scope: Scope, filters: HistoryFilters, alias: str = "l", *,
                         orders_table: bool = False) -> tuple[str, dict[str, Any]]:
    """The history's filters as SQL on sales_lines, or (`orders_table`) the same order-level
    filters on the orders table (there is no product filter on an order)."""
    where, params = scope.where(alias)
    p = f"{alias}." if alias else ""
    total = f"{p}total_amount" if orders_table else f"{p}order_total"
    where += f" AND {p}completed_day BETWEEN $hs AND $he"
    if orders_table:
        where += f" AND {p}status = 'COMPLETED'"
    params.update(hs=filters.period.start, he=filters.period.end)
    if filters.product_sku:
        if orders_table:
            raise ValueError("a product filter selects lines, not orders")
        ids = [row[0] for row in con.execute(
            "SELECT id FROM products WHERE company_id = $c AND sku = $sku",
            {"c": scope.company_id, "sku": filters.product_sku}).fetchall()]
        if not ids:
            raise NotFound(f"There is no product with SKU {filters.product_sku} in your catalogue.")
        where += f" AND {p}product_id IN ({', '.join(str(int(i)) for i in ids)})"
    if filters.buyer_code:
        row = con.execute("SELECT id FROM buyers WHERE buyer_code = $b", {"b": filters.buyer_code}).fetchone()
        if row is None:
            raise NotFound(f"There is no buyer {filters.buyer_code}.")
        where += f" AND {p}buyer_id = $buyer_id"
        params["buyer_id"] = int(row[0])
    if filters.min_total is not None:
        where += f" AND {total} >= $min_total"
        params["min_total"] = filters.min_total
    if filters.max_total is not None:
        where += f" AND {total} <= $max_total"
        params["max_total"] = filters.max_total
    return where, params


def query_history_totals(con, where: str, params: dict, *, orders_where: str | None) -> HistoryTotals:
    """Lines, units and amount of the filtered lines; orders counted in the orders table with the
    same order-level filters (cheaper than distinct order ids), or, when a product filter keeps
    only some lines of an order, as the distinct orders of the filtered lines."""
    lines, units, amount, distinct = con.execute(f"""
        SELECT count(*), sum(quantity), sum(line_total), {"NULL" if orders_where else "count(DISTINCT order_id)"}
        FROM sales_lines l WHERE {where}
    """, params).fetchone()
    orders = distinct if orders_where is None else con.execute(
        f"SELECT count(*) FROM orders o WHERE {orders_where}", params).fetchone()[0]
    return HistoryTotals(_int(lines), _int(orders), _int(units), _int(amount))


_NEWEST_FIRST = "completed_at DESC, order_id DESC, item_id"
_OLDEST_FIRST = "completed_at, order_id, item_id DESC"
# "After" a key in newest-first order, and "before" it; item_id runs the other way within an order.
_AFTER = ("(completed_at < $kc OR (completed_at = $kc AND order_id < $ko)"
          " OR (completed_at = $kc AND order_id = $ko AND item_id > $ki))")
_BEFORE = ("(completed_at > $kc OR (completed_at = $kc AND order_id > $ko)"
           " OR (completed_at = $kc AND order_id = $ko AND item_id < $ki))")


def query_history_rows(con, where: str, params: dict, *, limit: int, offset: int = 0, total: int | None = None,
                       after: RowKey | None = None, before: RowKey | None = None) -> list[HistoryRow]:
    """One page, newest completion first. With `after`/`before` (the last/first row of the page
    shown) it seeks from that row (keyset paging: as fast on page 5,000 as on page 1); otherwise
    it skips `offset` rows, from whichever end of the set is nearer."""
    params = {**params, "limit": limit}
    reverse = False
    if after is not None or before is not None:
        kc, ko, ki = after if after is not None else before
        params.update(kc=kc.replace(tzinfo=None) if kc.tzinfo else kc, ko=ko, ki=ki)
        where = f"{where} AND {_AFTER if after is not None else _BEFORE}"
        reverse = before is not None
        params["offset"] = 0
    elif total is not None and offset > total // 2:
        reverse = True
        params["offset"] = max(0, total - offset - limit)
        params["limit"] = min(limit, total - offset)
    else:
        params["offset"] = offset
    rows = con.execute(f"""
        SELECT l.completed_at, l.order_id, l.item_id, l.order_number, l.placed_at, l.utc_offset_min, w.zone_abbr,
               w.code, b.buyer_code, b.name, l.product_name, l.sku, l.quantity, l.unit_price, l.line_total
        FROM (SELECT * FROM sales_lines l WHERE {where}
              ORDER BY {_OLDEST_FIRST if reverse else _NEWEST_FIRST} LIMIT $limit OFFSET $offset) l
        LEFT JOIN warehouses w ON w.id = l.warehouse_id
        LEFT JOIN buyers b ON b.id = l.buyer_id
        ORDER BY l.{_NEWEST_FIRST.replace(", ", ", l.")}
    """, params).fetchall()
    return [HistoryRow((completed, int(order_id), int(item_id)), number, _utc(placed), _utc(completed),
                       int(offset_min or 0), abbr or "", code or "", buyer_code or "", buyer or "", product, sku,
                       int(qty), int(price), int(total))
            for (completed, order_id, item_id, number, placed, offset_min, abbr, code, buyer_code, buyer, product,
                 sku, qty, price, total) in rows]


def load_history(analytics: AnalyticsStore, actor: Actor, filters: HistoryFilters, page: int = 1,
                 page_size: int = HISTORY_PAGE_SIZE, *, after: RowKey | None = None,
                 before: RowKey | None = None) -> HistoryPage:
    """One page of completed sales (one row per order line) and the totals of the whole filtered set.

    `page` is the page's number; for the page after (before) the one on screen pass also its last
    (first) row's key as `after` (`before`): the page is then found by seeking, not by counting rows.
    """
    require_role(actor, Role.PRODUCT_MANAGER, doing="see the transaction history")
    if page < 1:
        raise InvalidInput("Pages are numbered from 1.", field="page")
    if not 1 <= page_size <= 1000:
        raise InvalidInput("A page holds between 1 and 1,000 rows.", field="page_size")
    if after is not None and before is not None:
        raise InvalidInput("Page from one side at a time.", field="page")
    timings: dict[str, float] = {}
    with analytics.reading() as snap:
        con = snap.con
        scope = resolve_scope(con, actor.company_id, filters.warehouse_code)
        where, params = filtered_lines_where(con, scope, filters)
        orders_where = None if filters.product_sku else filtered_lines_where(con, scope, filters, "o",
                                                                             orders_table=True)[0]
        totals = _timed(timings, "totals", lambda: query_history_totals(con, where, params,
                                                                        orders_where=orders_where))
        page_count = max(1, -(-totals.lines // page_size))
        if page > page_count:
            page, after, before = page_count, None, None
        started = time.perf_counter()
        rows = query_history_rows(con, where, params, limit=page_size, offset=(page - 1) * page_size,
                                  total=totals.lines, after=after, before=before)
        timings["rows"] = round((time.perf_counter() - started) * 1000, 3)
        return HistoryPage(info=snap.info, filters=filters, rows=rows, totals=totals, page=page,
                           page_size=page_size, timings_ms=timings)


def history_options(analytics: AnalyticsStore, actor: Actor) -> HistoryOptions:
    """What the history filters offer: the company's warehouses, products, and buyers it sold to."""
    require_role(actor, Role.PRODUCT_MANAGER, doing="see the transaction history")
    with analytics.reading() as snap:
        con = snap.con
        products = con.execute("SELECT sku, name FROM products WHERE company_id = $c ORDER BY name, sku",
                               {"c": actor.company_id}).fetchall()
        buyers = con.execute("""
            SELECT buyer_code, name FROM buyers
            WHERE id IN (SELECT DISTINCT buyer_id FROM orders WHERE company_id = $c AND status = 'COMPLETED')
            ORDER BY name, buyer_code
        """, {"c": actor.company_id}).fetchall()
        return HistoryOptions(query_warehouses(con, actor.company_id),
                              [(s, n) for s, n in products], [(c, n) for c, n in buyers])
