"""The dashboard: sales, payouts, fulfilment health and the orders waiting for the seller, for one
company and a period, optionally one warehouse, all from one snapshot. Only a Product Manager in
good standing sees it (core.analytics.scope), and every query is filtered by their company.

Dates are *local* calendar dates at each order's warehouse (WIB, WITA or WIT); timestamps come back
as aware UTC datetimes, and the warehouse's zone travels with them so callers can show local time.

Which date each section filters on:
- revenue, orders, average order value, units, payouts, the daily trend, top products and revenue
  per warehouse: the day the order was COMPLETED (`completed_day`), as the transaction history;
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

Labels (a KPI's, a funnel stage's, a health metric's, an open order's action) are the English
msgids, marked for the catalogue here and translated where they are shown (`gettext(label)`), so a
Dashboard holds no text of one reader's language.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from babel.dates import format_date as babel_date

from core.acting import Actor
from core.analytics.daily import PLACED_FIGURES, wait_range
from core.analytics.scope import (
    Period,
    Scope,
    WarehouseOption,
    as_int,
    as_utc,
    check_product_manager,
    query_warehouses,
    resolve_scope,
    timed,
)
from core.analytics.snapshots import AnalyticsStore, Snapshot, SnapshotInfo
from core.domain import OrderStatus
from core.i18n import N_, language
from core.orders.lifecycle import SELLER_DEADLINES
from core.store.database import Store

TOP_PRODUCTS = 10
NEEDS_ACTION_LIMIT = 10

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
#: the deadline that matters: confirm, pack, delivery or complaint deadline; see core.analytics.tables),
#: in the words of core.orders.lifecycle.WAITING. Every status of SELLER_DEADLINES has its words (a
#: new one fails here, at import, until it has).
_ACTIONS: dict[OrderStatus, str] = {
    OrderStatus.PENDING_CONFIRMATION: N_("Accept or reject"),
    OrderStatus.PROCESSING: N_("Pack"),
    OrderStatus.READY_TO_SHIP: N_("Ship"),
    OrderStatus.COMPLAINED: N_("Answer the complaint"),
}
ACTION_LABELS: dict[str, str] = {status.value: _ACTIONS[status] for status in SELLER_DEADLINES}


# --------------------------------------------------------------------------- results


@dataclass(frozen=True)
class Kpi:
    key: str
    label: str  # an English msgid: gettext(label) shows it
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
    label: str  # an English msgid: gettext(label) shows it
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
    label: str  # an English msgid: gettext(label) shows it
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
    action: str  # what the seller must do, an English msgid: gettext(action) shows it
    deadline: datetime  # UTC
    warehouse_code: str
    time_zone: str
    zone_abbr: str
    buyer_name: str
    total_amount: int

    def overdue(self, now: datetime) -> bool:
        return self.deadline <= now


@dataclass(frozen=True)
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


# --------------------------------------------------------------------------- dashboard queries
# Each takes an open snapshot connection and a Scope; bench/analytics.py times them one by one.
# They sum the snapshot's daily figures (core.analytics.daily: a year is a few thousand rows, not a
# million orders), but for the median time to accept, read from the raw orders, and the open orders.


def query_kpis(con, scope: Scope, period: Period) -> list[Kpi]:
    where, params = scope.where()
    previous = period.previous()
    params.update(ps=previous.start, pe=previous.end, cs=period.start, ce=period.end)
    row = con.execute(
        f"""
        SELECT
          sum(revenue) FILTER (WHERE day >= $cs), sum(orders) FILTER (WHERE day >= $cs),
          sum(units) FILTER (WHERE day >= $cs), sum(payouts_pending) FILTER (WHERE day >= $cs),
          sum(payouts_paid) FILTER (WHERE day >= $cs),
          sum(revenue) FILTER (WHERE day <= $pe), sum(orders) FILTER (WHERE day <= $pe),
          sum(units) FILTER (WHERE day <= $pe), sum(payouts_pending) FILTER (WHERE day <= $pe),
          sum(payouts_paid) FILTER (WHERE day <= $pe)
        FROM daily_completed
        WHERE {where} AND day BETWEEN $ps AND $ce
    """,
        params,
    ).fetchone()
    return kpis_of([as_int(v) for v in row[:5]], [as_int(v) for v in row[5:]])


def kpis_of(cur: list[int], prev: list[int]) -> list[Kpi]:
    """The KPIs from (revenue, orders, units, payouts pending, payouts paid) of a period and the one before."""
    aov = cur[0] // cur[1] if cur[1] else 0
    prev_aov = prev[0] // prev[1] if prev[1] else 0
    return [
        Kpi("revenue", N_("Completed revenue"), cur[0], prev[0], "rupiah"),
        Kpi("orders", N_("Completed orders"), cur[1], prev[1], "count"),
        Kpi("average_order_value", N_("Average order value"), aov, prev_aov, "rupiah"),
        Kpi("units", N_("Units sold"), cur[2], prev[2], "count"),
        Kpi("payouts_pending", N_("Payouts pending"), cur[3], prev[3], "rupiah"),
        Kpi("payouts_paid", N_("Payouts paid"), cur[4], prev[4], "rupiah"),
    ]


def query_trend(con, scope: Scope, period: Period) -> list[TrendPoint]:
    where, params = scope.where()
    params.update(cs=period.start, ce=period.end)
    rows = con.execute(
        f"""
        SELECT day, sum(revenue), sum(orders) FROM daily_completed
        WHERE {where} AND day BETWEEN $cs AND $ce
        GROUP BY day
    """,
        params,
    ).fetchall()
    by_day = {day: (int(revenue), int(count)) for day, revenue, count in rows}
    return [
        TrendPoint(day, *by_day.get(day, (0, 0)))
        for day in (period.start + timedelta(days=n) for n in range(period.days))
    ]


_FUNNEL = (
    ("placed", N_("Placed")),
    ("accepted", N_("Accepted")),
    ("packed", N_("Packed")),
    ("shipped", N_("Shipped")),
    ("delivered", N_("Delivered")),
    ("completed", N_("Completed")),
)


def query_funnel_health(
    con, scope: Scope, period: Period
) -> tuple[list[FunnelStage], dict[str, int], list[HealthMetric], int, int]:
    where, params = scope.where()
    params.update(s=period.start, e=period.end)
    sums = ", ".join(f"sum({name})" for name in PLACED_FIGURES)
    rows = con.execute(
        f"""
        SELECT status, {sums} FROM daily_placed
        WHERE {where} AND day BETWEEN $s AND $e
        GROUP BY status
    """,
        params,
    ).fetchall()
    counts = {name: sum(as_int(row[n + 1]) for row in rows) for n, name in enumerate(PLACED_FIGURES)}
    by_status = {row[0]: as_int(row[1]) for row in rows}
    status_counts = {status.value: by_status.get(status.value, 0) for status in OrderStatus}
    return funnel_health_of(counts, status_counts, query_median_us_to_accept(con, scope, period))


def query_median_us_to_accept(con, scope: Scope, period: Period) -> float | None:
    """The median of `accepted_at - placed_at` in microseconds over the orders placed in the period
    (as DuckDB's `median` of them all: the mean of the two middle waits when their number is even).

    A median is not a sum of daily figures, so it is found in two steps (core.analytics.daily): the
    period's orders per wait band say which band holds the middle wait(s) and how many waits lie
    below; then only the waits of that band (or the two bands) are read and sorted."""
    where, params = scope.where()
    params.update(s=period.start, e=period.end)
    bands = con.execute(  # sum() is a HUGEINT; a BIGINT comes back to Python 4 ms sooner at 10 M orders
        f"""
        SELECT wait_band, CAST(sum(orders) AS BIGINT) FROM daily_waits
        WHERE {where} AND day BETWEEN $s AND $e
        GROUP BY wait_band ORDER BY wait_band
    """,
        params,
    ).fetchall()
    total = sum(n for _, n in bands)
    if not total:
        return None
    low, high = (total - 1) // 2, total // 2  # the middle positions, counted from 0
    first_band, below = _band_holding(low, bands)
    last_band, _ = _band_holding(high, bands)
    least, greatest = wait_range(first_band, last_band)
    params.update(least=least, greatest=greatest, skip=low - below, take=high - low + 1)
    waits = [
        float(wait)
        for (wait,) in con.execute(
            f"""
            SELECT accept_wait_us FROM orders
            WHERE {where} AND placed_day BETWEEN $s AND $e
              AND accept_wait_us BETWEEN $least AND $greatest
            ORDER BY accept_wait_us LIMIT $take OFFSET $skip
        """,
            params,
        ).fetchall()
    ]
    # DuckDB's median interpolates between the middle two this way; the same float arithmetic keeps
    # the answer equal to it to the last bit (bench/analytics.py compares them with ==).
    return waits[0] + (waits[-1] - waits[0]) * 0.5


def _band_holding(position: int, bands: list[tuple[int, int]]) -> tuple[int, int]:
    """The wait band holding the `position`-th wait (from 0) of (band, orders) in band order, and the
    number of waits in the bands below it."""
    below = 0
    for band, n in bands:
        if below + n > position:
            return band, below
        below += n
    raise ValueError(f"no wait at position {position} of {below}")


def funnel_health_of(
    counts: dict[str, int], status_counts: dict[str, int], median_us: float | None
) -> tuple[list[FunnelStage], dict[str, int], list[HealthMetric], int, int]:
    """The funnel, status counts, health metrics and refunds from the period's PLACED_FIGURES."""
    completed = status_counts.get(OrderStatus.COMPLETED.value, 0)
    rejected = status_counts.get(OrderStatus.REJECTED.value, 0)
    funnel = [
        FunnelStage(key, label, value)
        for (key, label), value in zip(
            _FUNNEL,
            (counts["placed"], counts["accepted"], counts["packed"], counts["shipped"], counts["delivered"], completed),
        )
    ]

    def share(key: str, label: str, numerator: int, denominator: int) -> HealthMetric:
        target, direction = HEALTH_TARGETS[key]
        value = numerator / denominator if denominator else None
        return HealthMetric(key, label, value, target, direction, "share", numerator, denominator)

    accepted, auto_cancelled, shipped = counts["accepted"], counts["auto_cancelled"], counts["shipped"]
    decided = accepted + rejected + auto_cancelled
    target, direction = HEALTH_TARGETS["median_hours_to_accept"]
    health = [
        share("acceptance_rate", N_("Acceptance rate"), accepted, decided),
        share("auto_cancellation_rate", N_("Auto-cancellation rate"), auto_cancelled, counts["placed"]),
        share("on_time_packing_rate", N_("On-time packing rate"), counts["packed_on_time"], counts["packed"]),
        share("on_time_delivery_rate", N_("On-time delivery rate"), counts["delivered_on_time"], counts["delivered"]),
        share("complaint_rate", N_("Complaint rate"), counts["complained"], shipped),
        share("refund_rate", N_("Refund rate"), counts["refunds"], shipped),
        HealthMetric(
            "median_hours_to_accept",
            N_("Median time to accept"),
            median_us / 3_600_000_000 if median_us is not None else None,
            target,
            direction,
            "hours",
            None,
            accepted,
        ),
    ]
    return funnel, status_counts, health, counts["refunds"], counts["refund_amount"]


def query_top_products(con, scope: Scope, period: Period, limit: int = TOP_PRODUCTS) -> list[ProductSales]:
    """By completed revenue; names and SKUs as the catalogue has them now (products are never
    deleted from it, only marked DELETED), the lines' own snapshot if one ever is missing."""
    where, params = scope.where("d")
    params.update(cs=period.start, ce=period.end, n=limit)
    rows = con.execute(
        f"""
        WITH top AS (
            SELECT product_id, sum(units) AS units, sum(revenue) AS revenue
            FROM daily_products d
            WHERE {where} AND day BETWEEN $cs AND $ce
            GROUP BY product_id
            ORDER BY revenue DESC, product_id
            LIMIT $n
        )
        SELECT top.product_id, p.sku, p.name, units, revenue
        FROM top LEFT JOIN products p ON p.id = top.product_id
        ORDER BY revenue DESC, top.product_id
    """,
        params,
    ).fetchall()
    missing = [pid for pid, sku, *_ in rows if sku is None]
    names = {}
    if missing:
        names = {
            pid: (sku, name)
            for pid, sku, name in con.execute(
                f"""
            SELECT product_id, any_value(sku), any_value(product_name) FROM sales_lines
            WHERE company_id = $c AND product_id IN ({", ".join(str(int(m)) for m in missing)}) GROUP BY product_id
        """,
                {"c": scope.company_id},
            ).fetchall()
        }
    return [
        ProductSales(
            int(pid), sku or names.get(pid, ("", ""))[0], name or names.get(pid, ("", ""))[1], int(units), int(revenue)
        )
        for pid, sku, name, units, revenue in rows
    ]


def query_warehouse_revenue(con, scope: Scope, period: Period) -> list[WarehouseRevenue]:
    where, params = scope.where("d")
    params.update(cs=period.start, ce=period.end)
    warehouse_filter = "AND w.id = $warehouse_id" if scope.warehouse_id is not None else ""
    rows = con.execute(
        f"""
        WITH totals AS (
            SELECT warehouse_id, sum(revenue) AS revenue, sum(orders) AS orders FROM daily_completed d
            WHERE {where} AND day BETWEEN $cs AND $ce
            GROUP BY warehouse_id
        )
        SELECT w.code, w.name, w.zone_abbr, coalesce(t.revenue, 0), coalesce(t.orders, 0)
        FROM warehouses w LEFT JOIN totals t ON t.warehouse_id = w.id
        WHERE w.company_id = $company_id {warehouse_filter}
        ORDER BY 4 DESC, w.code
    """,
        params,
    ).fetchall()
    return [WarehouseRevenue(code, name, abbr, int(revenue), int(orders)) for code, name, abbr, revenue, orders in rows]


def query_needs_action(con, scope: Scope, limit: int = NEEDS_ACTION_LIMIT) -> list[ActionItem]:
    where, params = scope.where("a")
    params["n"] = limit
    rows = con.execute(
        f"""
        SELECT a.id, a.order_number, a.status, a.deadline, w.code, w.time_zone, w.zone_abbr,
               coalesce(b.name, ''), a.total_amount
        FROM (SELECT * FROM open_orders a WHERE {where} AND deadline IS NOT NULL
              ORDER BY deadline, id LIMIT $n) a
        LEFT JOIN warehouses w ON w.id = a.warehouse_id
        LEFT JOIN buyers b ON b.id = a.buyer_id
        ORDER BY a.deadline, a.id
    """,
        params,
    ).fetchall()
    return [
        ActionItem(
            int(oid), number, status, ACTION_LABELS[status], as_utc(deadline), code, zone, abbr, buyer, int(total)
        )
        for oid, number, status, deadline, code, zone, abbr, buyer, total in rows
    ]


# --------------------------------------------------------------------------- the trend's date axis

#: Babel's locale of each language, for the month and day names of a chart's dates.
CHART_LOCALES = {"id": "id_ID", "en": "en"}
#: At most this many dates stand under a chart's date axis.
MAX_DAY_TICKS = 8
#: A period longer than this many days is labelled by month ("Agu 2026"), not by day ("5 Agu").
DAILY_TICKS_UP_TO = 92


def _locale(code: str | None) -> str:
    return CHART_LOCALES.get(code or language(), "en")


def day_ticks(days: Sequence[date], code: str | None = None, most: int = MAX_DAY_TICKS) -> tuple[list[date], list[str]]:
    """Where a daily chart's date axis writes its dates, and what it writes, in the reader's language
    or `code`: "5 Agu" ("5 Aug") every day, 2nd day, week or fortnight from the first day; for a
    period of more than three months the first of every month or every few months ("Agu 2026").

    Plotly names months and days in English unless its locale script is loaded in the browser (it
    is not: the app runs offline), so the page gives the axis these as `tickvals` and `ticktext`."""
    if not days:
        return [], []
    if len(days) <= DAILY_TICKS_UP_TO:
        step = next((s for s in (1, 2, 7, 14) if -(-len(days) // s) <= most), 28)
        picked, pattern = list(days[::step]), "d MMM"
    else:
        firsts = [day for day in days if day.day == 1]
        picked, pattern = firsts[:: max(1, -(-len(firsts) // most))], "MMM yyyy"
    locale = _locale(code)
    return picked, [babel_date(day, pattern, locale=locale) for day in picked]


def day_name(day: date, code: str | None = None) -> str:
    """A day with its weekday, for a chart's hover text: "Rab, 05 Agu 2026" ("Wed, 05 Aug 2026")."""
    return babel_date(day, "EEE, dd MMM yyyy", locale=_locale(code))


# --------------------------------------------------------------------------- the dashboard


def company_warehouses(store: Store, analytics: AnalyticsStore, actor: Actor) -> list[WarehouseOption]:
    """The company's warehouses, for the filter (read once per snapshot)."""
    check_product_manager(store, actor, doing=N_("see the dashboard"))
    with analytics.reading() as snap:
        company_id = actor.company_id
        return snap.remembered(("warehouses", company_id), lambda: query_warehouses(snap.con, company_id))


def load_dashboard(
    store: Store,
    analytics: AnalyticsStore,
    actor: Actor,
    period: Period,
    warehouse_code: str | None = None,
    *,
    remembered: bool = True,
) -> Dashboard:
    """Every section of the dashboard, from one snapshot (so they agree with each other). The person's
    right to see it is checked on every call; the figures are read once per snapshot, company, period
    and warehouse (`remembered=False`: read again, for the benchmarks)."""
    check_product_manager(store, actor, doing=N_("see the dashboard"))
    company_id = actor.company_id
    with analytics.reading() as snap:
        if not remembered:
            return _read_dashboard(snap, company_id, period, warehouse_code)
        question = ("dashboard", company_id, period, warehouse_code)
        return snap.remembered(question, lambda: _read_dashboard(snap, company_id, period, warehouse_code))


def _read_dashboard(snap: Snapshot, company_id: int, period: Period, warehouse_code: str | None) -> Dashboard:
    timings: dict[str, float] = {}
    con = snap.con
    scope = resolve_scope(con, company_id, warehouse_code)
    kpis = timed(timings, "kpis", query_kpis, con, scope, period)
    trend = timed(timings, "trend", query_trend, con, scope, period)
    funnel, status_counts, health, refunds, refund_amount = timed(
        timings, "funnel_health", query_funnel_health, con, scope, period
    )
    top = timed(timings, "top_products", query_top_products, con, scope, period)
    per_warehouse = timed(timings, "warehouse_revenue", query_warehouse_revenue, con, scope, period)
    actions = timed(timings, "needs_action", query_needs_action, con, scope)
    return Dashboard(
        info=snap.info,
        period=period,
        previous_period=period.previous(),
        warehouse_code=warehouse_code,
        kpis=kpis,
        trend=trend,
        funnel=funnel,
        status_counts=status_counts,
        top_products=top,
        warehouse_revenue=per_warehouse,
        health=health,
        refunds_count=refunds,
        refunds_amount=refund_amount,
        needs_action=actions,
        timings_ms=timings,
    )
