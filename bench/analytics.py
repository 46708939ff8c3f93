"""Analytics at scale: the dashboard, a history page, the CSV export and the sync, each beside the
same work done straight on the transactional store (SQLite) in the same run.

    .venv/bin/python bench/analytics.py                  # 1,000,000 orders (~3 M items)
    .venv/bin/python bench/analytics.py --ten-million    # 10,000,000 orders (slow: ~30 min to generate)
    .venv/bin/python bench/analytics.py --orders 100000  # a quick look

The store is made once by the bulk demo generator (core.demo.bulk) in --dir (default
/tmp/kopra-bench-analytics/<orders>) and reused by later runs; --fresh makes it again. Figures are
medians of repeated runs; the machine is shared, so the load average is printed with them.
Goals at 1,000,000 orders: each dashboard query < 30 ms, all of them < 150 ms, a history page
< 50 ms, export >= 1.5 M rows/s, a sync of 10,000 changed orders < 250 ms, a rebuild < 10 s, the
heaviest dashboard query >= 20x faster than on SQLite. Ends with one JSON line of the figures.

The dashboard sums the snapshot's daily figures (core.analytics.daily, issue 16); for 30 and 365
days each query and the whole dashboard are also timed on the raw rows, as they were read before,
in the same snapshot and run (and must give the same answers). Issue 16's goal: a 365-day dashboard
under 100 ms at 1 M orders (`dashboard_365d_ms_1m`, beside `dashboard_365d_raw_ms_1m`; with
--ten-million the keys end in `_10m`, goal 150 ms).
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import shutil
import sqlite3
import statistics
import sys
import time
from contextlib import ExitStack
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from unittest.mock import patch

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import core.analytics.dashboard as dashboard_module  # noqa: E402
from core.acting import Actor  # noqa: E402
from core.analytics import reader_process as reader_module  # noqa: E402
from core.analytics.dashboard import (  # noqa: E402
    Kpi,
    ProductSales,
    TrendPoint,
    WarehouseRevenue,
    load_dashboard,
    query_funnel_health,
    query_kpis,
    query_needs_action,
    query_top_products,
    query_trend,
    query_warehouse_revenue,
)
from core.analytics.export import export_company_history_csv  # noqa: E402
from core.analytics.history import HistoryFilters, load_history  # noqa: E402
from core.analytics.reader_process import reader_process  # noqa: E402
from core.analytics.scope import Period, Scope, as_int  # noqa: E402
from core.analytics.snapshots import AnalyticsStore, release_readers  # noqa: E402
from core.analytics.sync import rebuild, sync  # noqa: E402
from core.demo.bulk import generate_bulk  # noqa: E402
from core.demo.seed import DEMO_COMPANY_CODE, load_demo  # noqa: E402
from core.domain import OrderStatus, Role  # noqa: E402
from core.store.database import Store, migrate  # noqa: E402

OFFSET_SQL = (
    "CASE w.time_zone WHEN 'Asia/Jakarta' THEN '+7 hours' WHEN 'Asia/Makassar' THEN '+8 hours' "
    "WHEN 'Asia/Jayapura' THEN '+9 hours' ELSE '+0 hours' END"
)


def median_ms(fn, runs: int) -> tuple[float, object]:
    result = None
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        result = fn()
        samples.append((time.perf_counter() - started) * 1000)
    return statistics.median(samples), result


def load_avg() -> float:
    return round(os.getloadavg()[0], 2)


# --------------------------------------------------------------------------- the store


def make_store(folder: Path, orders: int, fresh: bool) -> tuple[Store, datetime]:
    marker = folder / "bench.json"
    if fresh and folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True, exist_ok=True)
    store = Store(f"sqlite:///{folder / 'kopra.sqlite3'}")
    if marker.exists():
        made = json.loads(marker.read_text())
        print(f"store: reusing {folder} ({made['orders']:,} orders made {made['made_at']})")
        return store, datetime.fromisoformat(made["now"])
    now = datetime.now(UTC).replace(microsecond=0)
    migrate(store)
    load_demo(store, seed=2026, now=now - timedelta(days=400), history_days=0)
    started = time.perf_counter()
    result = generate_bulk(
        store,
        orders=orders,
        company_code=DEMO_COMPANY_CODE,
        seed=2026,
        now=now,
        progress=lambda line: print("  " + line, flush=True),
    )
    print(
        f"store: {result.orders:,} orders, {result.items:,} items, {result.events:,} events generated "
        f"in {time.perf_counter() - started:.0f} s"
    )
    marker.write_text(json.dumps({"orders": orders, "now": now.isoformat(), "made_at": datetime.now().isoformat()}))
    return store, now


def pm_actor(path: Path) -> Actor:
    with sqlite3.connect(path) as con:
        (company_id,) = con.execute("SELECT id FROM companies WHERE company_code = ?", (DEMO_COMPANY_CODE,)).fetchone()
        (user_id,) = con.execute(
            "SELECT id FROM users WHERE company_id = ? AND user_code = 'pm'", (company_id,)
        ).fetchone()
    return Actor(user_id, company_id, DEMO_COMPANY_CODE, "pm", Role.PRODUCT_MANAGER)


def has_updated_at_index(path: Path) -> bool:
    with sqlite3.connect(path) as con:
        return any(
            "updated_at" in (sql or "")
            for _, sql in con.execute(
                "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'orders'"
            )
        )


# --------------------------------------------------------------------------- the same queries on SQLite


def ts(at: datetime) -> str:
    return at.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")


def utc_bounds(start: date, end: date) -> tuple[str, str]:
    """A UTC range that holds every local day in [start, end] in any Indonesian zone (for the indexes)."""
    lo = datetime.combine(start, datetime.min.time(), UTC) - timedelta(hours=9)
    hi = datetime.combine(end + timedelta(days=1), datetime.min.time(), UTC)
    return ts(lo), ts(hi)


class SqliteDashboard:
    """The dashboard's queries written for the transactional schema (its own indexes, local days
    computed per row from the warehouse's zone), giving the same figures."""

    def __init__(self, con: sqlite3.Connection, company_id: int, period: Period):
        self.con, self.c, self.period = con, company_id, period

    def kpis(self):
        prev = self.period.previous()
        lo, hi = utc_bounds(prev.start, self.period.end)
        row = self.con.execute(
            f"""
            SELECT sum(CASE WHEN d >= :cs THEN total_amount END), sum(CASE WHEN d >= :cs THEN 1 ELSE 0 END),
                   sum(CASE WHEN d >= :cs THEN item_count END),
                   sum(CASE WHEN d >= :cs AND ps = 'PENDING' THEN pa END),
                   sum(CASE WHEN d >= :cs AND ps = 'PAID' THEN pa END),
                   sum(CASE WHEN d <= :pe THEN total_amount END), sum(CASE WHEN d <= :pe THEN 1 ELSE 0 END),
                   sum(CASE WHEN d <= :pe THEN item_count END),
                   sum(CASE WHEN d <= :pe AND ps = 'PENDING' THEN pa END),
                   sum(CASE WHEN d <= :pe AND ps = 'PAID' THEN pa END)
            FROM (SELECT o.total_amount, o.item_count, date(o.completed_at, {OFFSET_SQL}) AS d, p.status AS ps,
                         p.amount AS pa
                  FROM orders o JOIN warehouses w ON w.id = o.warehouse_id LEFT JOIN payouts p ON p.order_id = o.id
                  WHERE o.company_id = :c AND o.status = 'COMPLETED' AND o.completed_at >= :lo AND o.completed_at < :hi)
            WHERE d BETWEEN :ps_ AND :ce
        """,
            dict(
                c=self.c,
                cs=self.period.start.isoformat(),
                ce=self.period.end.isoformat(),
                pe=prev.end.isoformat(),
                ps_=prev.start.isoformat(),
                lo=lo,
                hi=hi,
            ),
        ).fetchone()
        return [v or 0 for v in row]

    def trend(self):
        lo, hi = utc_bounds(self.period.start, self.period.end)
        return self.con.execute(
            f"""
            SELECT d, sum(total_amount), count(*) FROM (
                SELECT o.total_amount, date(o.completed_at, {OFFSET_SQL}) AS d FROM orders o
                JOIN warehouses w ON w.id = o.warehouse_id
                WHERE o.company_id = :c AND o.status = 'COMPLETED' AND o.completed_at >= :lo AND o.completed_at < :hi)
            WHERE d BETWEEN :s AND :e GROUP BY d ORDER BY d
        """,
            dict(c=self.c, lo=lo, hi=hi, s=self.period.start.isoformat(), e=self.period.end.isoformat()),
        ).fetchall()

    def funnel_health(self):
        lo, hi = utc_bounds(self.period.start, self.period.end)
        base = f"""FROM orders o JOIN warehouses w ON w.id = o.warehouse_id
                   WHERE o.company_id = :c AND o.placed_at >= :lo AND o.placed_at < :hi
                     AND date(o.placed_at, {OFFSET_SQL}) BETWEEN :s AND :e"""
        params = dict(c=self.c, lo=lo, hi=hi, s=self.period.start.isoformat(), e=self.period.end.isoformat())
        row = self.con.execute(
            f"""
            SELECT count(*), count(o.accepted_at), count(o.packed_at), count(o.shipped_at), count(o.delivered_at),
                   sum(o.status = 'COMPLETED'), sum(o.status = 'REJECTED'),
                   sum(o.status = 'CANCELLED' AND o.failure_kind = 'CANCELLED_BY_SYSTEM'),
                   sum(o.packed_at <= o.pack_deadline), sum(o.delivered_at <= o.delivery_deadline),
                   sum(EXISTS (SELECT 1 FROM complaints c WHERE c.order_id = o.id)),
                   count(r.id), sum(r.amount)
            {base.replace("WHERE", "LEFT JOIN refunds r ON r.order_id = o.id WHERE", 1)}
        """,
            params,
        ).fetchone()
        waits = [
            w
            for (w,) in self.con.execute(
                f"SELECT (julianday(o.accepted_at) - julianday(o.placed_at)) * 24 {base} AND o.accepted_at IS NOT NULL",
                params,
            )
        ]
        return row, (statistics.median(waits) if waits else None)

    def top_products(self):
        lo, hi = utc_bounds(self.period.start, self.period.end)
        return self.con.execute(
            f"""
            SELECT i.product_id, sum(i.quantity), sum(i.line_total) AS revenue
            FROM orders o JOIN warehouses w ON w.id = o.warehouse_id JOIN order_items i ON i.order_id = o.id
            WHERE o.company_id = :c AND o.status = 'COMPLETED' AND o.completed_at >= :lo AND o.completed_at < :hi
              AND date(o.completed_at, {OFFSET_SQL}) BETWEEN :s AND :e
            GROUP BY i.product_id ORDER BY revenue DESC, i.product_id LIMIT 10
        """,
            dict(c=self.c, lo=lo, hi=hi, s=self.period.start.isoformat(), e=self.period.end.isoformat()),
        ).fetchall()

    def warehouse_revenue(self):
        lo, hi = utc_bounds(self.period.start, self.period.end)
        return self.con.execute(
            f"""
            SELECT w.code, sum(o.total_amount), count(*) FROM orders o JOIN warehouses w ON w.id = o.warehouse_id
            WHERE o.company_id = :c AND o.status = 'COMPLETED' AND o.completed_at >= :lo AND o.completed_at < :hi
              AND date(o.completed_at, {OFFSET_SQL}) BETWEEN :s AND :e
            GROUP BY w.code ORDER BY 2 DESC
        """,
            dict(c=self.c, lo=lo, hi=hi, s=self.period.start.isoformat(), e=self.period.end.isoformat()),
        ).fetchall()

    def needs_action(self):
        return self.con.execute(
            """
            SELECT o.id, CASE o.status WHEN 'PENDING_CONFIRMATION' THEN o.confirm_deadline
                         WHEN 'PROCESSING' THEN o.pack_deadline WHEN 'READY_TO_SHIP' THEN o.delivery_deadline
                         WHEN 'COMPLAINED' THEN o.complaint_deadline END AS deadline, w.code, b.name
            FROM orders o JOIN warehouses w ON w.id = o.warehouse_id JOIN buyers b ON b.id = o.buyer_id
            WHERE o.company_id = :c
              AND o.status IN ('PENDING_CONFIRMATION', 'PROCESSING', 'READY_TO_SHIP', 'COMPLAINED')
              AND deadline IS NOT NULL
            ORDER BY deadline, o.id LIMIT 10
        """,
            dict(c=self.c),
        ).fetchall()

    HISTORY_FROM = f"""
        FROM orders o JOIN warehouses w ON w.id = o.warehouse_id JOIN order_items i ON i.order_id = o.id
        JOIN buyers b ON b.id = o.buyer_id
        WHERE o.company_id = :c AND o.status = 'COMPLETED' AND o.completed_at >= :lo AND o.completed_at < :hi
          AND date(o.completed_at, {OFFSET_SQL}) BETWEEN :s AND :e"""

    def history_page(self, offset: int, limit: int = 50):
        lo, hi = utc_bounds(self.period.start, self.period.end)
        params = dict(c=self.c, lo=lo, hi=hi, s=self.period.start.isoformat(), e=self.period.end.isoformat())
        totals = self.con.execute(
            f"SELECT count(*), count(DISTINCT o.id), sum(i.quantity), sum(i.line_total) {self.HISTORY_FROM}", params
        ).fetchone()
        rows = self.con.execute(
            f"""
            SELECT o.order_number, o.placed_at, o.completed_at, w.code, b.buyer_code, b.name, i.product_name, i.sku,
                   i.quantity, i.unit_price, i.line_total {self.HISTORY_FROM}
            ORDER BY o.completed_at DESC, o.id DESC, i.id LIMIT :limit OFFSET :offset
        """,
            {**params, "limit": limit, "offset": offset},
        ).fetchall()
        return totals, rows

    def export(self, out: Path) -> int:
        """The export as a Python program over an SQLite cursor would write it."""
        lo, hi = utc_bounds(self.period.start, self.period.end)
        abbr = {"Asia/Jakarta": ("WIB", 7), "Asia/Makassar": ("WITA", 8), "Asia/Jayapura": ("WIT", 9)}

        def cell(value: str) -> str:
            return "'" + value if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value

        def local(text: str | None, zone: str) -> str:
            if text is None:
                return ""
            name, hours = abbr[zone]
            moment = datetime.fromisoformat(text) + timedelta(hours=hours)
            return moment.strftime("%Y-%m-%d %H:%M:%S") + " " + name

        status_words = {"PENDING": "Waiting", "PAID": "Paid"}
        count = 0
        with open(out, "w", newline="", encoding="utf-8-sig") as handle:  # with a BOM, like the export
            writer = csv.writer(handle, lineterminator="\n")
            writer.writerow(
                [
                    "order_number",
                    "placed_at",
                    "completed_at",
                    "warehouse",
                    "buyer_code",
                    "buyer_name",
                    "product_name",
                    "sku",
                    "quantity",
                    "unit_price",
                    "line_total",
                    "payout_status",
                    "paid_at",
                    "transfer_reference",
                ]
            )
            history_from = self.HISTORY_FROM.replace(
                "JOIN buyers b ON b.id = o.buyer_id",
                "JOIN buyers b ON b.id = o.buyer_id LEFT JOIN payouts p ON p.order_id = o.id",
            )
            cursor = self.con.execute(
                f"""
                SELECT o.order_number, o.placed_at, o.completed_at, w.time_zone, w.code, b.buyer_code, b.name,
                       i.product_name, i.sku, i.quantity, i.unit_price, i.line_total,
                       p.status, p.paid_at, p.transfer_reference {history_from}
                ORDER BY o.completed_at, o.id, i.id
            """,
                dict(c=self.c, lo=lo, hi=hi, s=self.period.start.isoformat(), e=self.period.end.isoformat()),
            )
            for (
                number,
                placed,
                completed,
                zone,
                code,
                buyer_code,
                buyer,
                product,
                sku,
                qty,
                price,
                total,
                payout_status,
                paid_at,
                reference,
            ) in cursor:
                writer.writerow(
                    [
                        cell(number),
                        local(placed, zone),
                        local(completed, zone),
                        cell(code),
                        cell(buyer_code),
                        cell(buyer),
                        cell(product),
                        cell(sku),
                        qty,
                        price,
                        total,
                        status_words.get(payout_status, payout_status or ""),
                        local(paid_at, zone),
                        cell(reference or ""),
                    ]
                )
                count += 1
        return count


# --------------------------------------------------------------------------- the dashboard on raw rows
# The dashboard's queries as they were before issue 16, on the snapshot's raw `orders` and
# `sales_lines` (one row per order or line): the same-run baseline of the daily tables.


def raw_kpis(con, scope: Scope, period: Period) -> list[Kpi]:
    where, params = scope.where()
    previous = period.previous()
    params.update(ps=previous.start, pe=previous.end, cs=period.start, ce=period.end)
    row = con.execute(
        f"""
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
    """,
        params,
    ).fetchone()
    return dashboard_module.kpis_of([as_int(v) for v in row[:5]], [as_int(v) for v in row[5:]])


def raw_trend(con, scope: Scope, period: Period) -> list[TrendPoint]:
    where, params = scope.where()
    params.update(cs=period.start, ce=period.end)
    rows = con.execute(
        f"""
        SELECT completed_day, sum(total_amount), count(*) FROM orders
        WHERE {where} AND status = 'COMPLETED' AND completed_day BETWEEN $cs AND $ce
        GROUP BY completed_day
    """,
        params,
    ).fetchall()
    by_day = {day: (int(revenue), int(count)) for day, revenue, count in rows}
    return [
        TrendPoint(day, *by_day.get(day, (0, 0)))
        for day in (period.start + timedelta(days=n) for n in range(period.days))
    ]


def raw_funnel_health(con, scope: Scope, period: Period):
    where, params = scope.where()
    params.update(s=period.start, e=period.end)
    statuses = [status.value for status in OrderStatus]
    status_sql = ", ".join(f"count(*) FILTER (WHERE status = '{s}')" for s in statuses)
    row = con.execute(
        f"""
        SELECT count(*), count(accepted_at), count(packed_at), count(shipped_at), count(delivered_at),
               count(*) FILTER (WHERE status = 'CANCELLED' AND failure_kind = 'CANCELLED_BY_SYSTEM'),
               count(*) FILTER (WHERE packed_at <= pack_deadline),
               count(*) FILTER (WHERE delivered_at <= delivery_deadline),
               count(*) FILTER (WHERE has_complaint),
               count(refund_amount), sum(refund_amount),
               median(CAST(epoch_us(accepted_at) - epoch_us(placed_at) AS DOUBLE)),
               {status_sql}
        FROM orders
        WHERE {where} AND placed_day BETWEEN $s AND $e
    """,
        params,
    ).fetchone()
    counts = dict(zip(dashboard_module.PLACED_FIGURES, (as_int(v) for v in row[:11])))
    status_counts = {status: int(count) for status, count in zip(statuses, row[12:])}
    return dashboard_module.funnel_health_of(counts, status_counts, row[11])


def raw_median_us_to_accept(con, scope: Scope, period: Period) -> float | None:
    """The median time to accept as it was read before daily_waits: DuckDB's median of every wait."""
    where, params = scope.where()
    params.update(s=period.start, e=period.end)
    return con.execute(
        f"""
        SELECT median(CAST(accept_wait_us AS DOUBLE)) FROM orders
        WHERE {where} AND placed_day BETWEEN $s AND $e AND accept_wait_us IS NOT NULL
    """,
        params,
    ).fetchone()[0]


def raw_top_products(con, scope: Scope, period: Period, limit: int = 10) -> list[ProductSales]:
    where, params = scope.where("l")
    params.update(cs=period.start, ce=period.end, n=limit)
    rows = con.execute(
        f"""
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
    """,
        params,
    ).fetchall()
    return [
        ProductSales(int(pid), sku or "", name or "", int(units), int(revenue))
        for pid, sku, name, units, revenue in rows
    ]


def raw_warehouse_revenue(con, scope: Scope, period: Period) -> list[WarehouseRevenue]:
    where, params = scope.where("o")
    params.update(cs=period.start, ce=period.end)
    warehouse_filter = "AND w.id = $warehouse_id" if scope.warehouse_id is not None else ""
    rows = con.execute(
        f"""
        WITH totals AS (
            SELECT warehouse_id, sum(total_amount) AS revenue, count(*) AS orders FROM orders o
            WHERE {where} AND status = 'COMPLETED' AND completed_day BETWEEN $cs AND $ce
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


#: Each dashboard query and its raw-row form (needs_action reads open_orders either way).
RAW_QUERIES = {
    "query_kpis": raw_kpis,
    "query_trend": raw_trend,
    "query_funnel_health": raw_funnel_health,
    "query_top_products": raw_top_products,
    "query_warehouse_revenue": raw_warehouse_revenue,
}


def on_raw_rows(fn):
    """`fn()` with the dashboard reading the raw rows, as before issue 16."""
    with ExitStack() as stack:
        for name, raw in RAW_QUERIES.items():
            stack.enter_context(patch.object(dashboard_module, name, raw))
        return fn()


def size_tag(orders: int) -> str:
    """1m, 10m, 100k: how the JSON keys of figures measured at one store size name it."""
    return f"{orders // 1_000_000}m" if orders % 1_000_000 == 0 else f"{orders // 1000}k"


def daily_against_raw(store, analytics, actor, period: Period, runs: int) -> dict[str, tuple[float, float]]:
    """Each dashboard query and the whole dashboard on the daily figures and on the raw rows (the
    same snapshot, the same run): {name: (daily ms, raw ms)}, medians; the answers must be equal."""
    timings: dict[str, tuple[float, float]] = {}
    with analytics.reading() as snap:
        con, scope = snap.con, Scope(actor.company_id)
        for name, raw in RAW_QUERIES.items():
            daily = getattr(dashboard_module, name)
            daily(con, scope, period), raw(con, scope, period)  # warm
            daily_ms, daily_result = median_ms(lambda fn=daily: fn(con, scope, period), runs)
            raw_ms, raw_result = median_ms(lambda fn=raw: fn(con, scope, period), runs)
            assert daily_result == raw_result, (name, daily_result, raw_result)
            timings[name.removeprefix("query_")] = (daily_ms, raw_ms)
        median, by_bands = median_ms(lambda: dashboard_module.query_median_us_to_accept(con, scope, period), runs)
        every, of_every = median_ms(lambda: raw_median_us_to_accept(con, scope, period), runs)
        assert by_bands == of_every, (by_bands, of_every)
        timings["funnel_health.median"] = (median, every)
        needs, _ = median_ms(lambda: query_needs_action(con, scope), runs)
        timings["needs_action"] = (needs, needs)

    def whole() -> object:
        return load_dashboard(store, analytics, actor, period, remembered=False)

    whole(), on_raw_rows(whole)  # warm
    daily_ms, daily_dash = median_ms(whole, runs)
    raw_ms, raw_dash = median_ms(lambda: on_raw_rows(whole), runs)
    assert replace(daily_dash, timings_ms={}) == replace(raw_dash, timings_ms={})
    timings["whole dashboard"] = (daily_ms, raw_ms)
    return timings


# --------------------------------------------------------------------------- the run


#: What the bench times after the rebuild (`--only` picks some: a quick loop on one of them).
PARTS = ("dashboard", "history", "export", "sync")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--orders", type=int, default=1_000_000)
    parser.add_argument("--ten-million", action="store_true", help="10,000,000 orders")
    parser.add_argument("--dir", help="where the bench store lives (default /tmp/kopra-bench-analytics/<orders>)")
    parser.add_argument("--fresh", action="store_true", help="generate the store again")
    parser.add_argument("--runs", type=int, default=15, help="runs per DuckDB figure (median)")
    parser.add_argument("--baseline-runs", type=int, default=5, help="runs per SQLite figure (median)")
    parser.add_argument(
        "--skip-sqlite-rebuild",
        action="store_true",
        help="do not time the in-process sqlite3 rebuild (the slow alternative)",
    )
    parser.add_argument(
        "--only",
        default=",".join(PARTS),
        help=f"comma-separated parts to time after the rebuild (default all: {','.join(PARTS)})",
    )
    args = parser.parse_args()
    parts = set(args.only.split(","))
    if not parts <= set(PARTS):
        parser.error(f"--only takes parts among {', '.join(PARTS)}")
    orders = 10_000_000 if args.ten_million else args.orders
    folder = Path(args.dir or f"/tmp/kopra-bench-analytics/{orders}")
    store, made_at = make_store(folder, orders, args.fresh)
    path = folder / "kopra.sqlite3"
    analytics = AnalyticsStore(folder / "analytics")
    shutil.rmtree(analytics.directory, ignore_errors=True)
    actor = pm_actor(path)
    if has_updated_at_index(path):
        print("note: the store has an index on orders.updated_at")
    figures: dict[str, object] = {"orders": orders}
    print(f"load average at start: {load_avg()}  (2 cores, shared)")

    # -- rebuild ------------------------------------------------------------------------------
    now = datetime.now(UTC)
    built = rebuild(store, analytics, now)
    figures["rebuild_s"] = round(built.total_ms / 1000, 2)
    figures["rebuild_read_s"] = round(built.read_ms / 1000, 2)
    print(
        f"\nfull rebuild (ADBC worker + DuckDB): {figures['rebuild_s']} s "
        f"(read {figures['rebuild_read_s']} s), {built.changed_orders:,} orders, {built.sales_lines:,} lines"
    )
    if not args.skip_sqlite_rebuild:
        other = AnalyticsStore(folder / "analytics-sqlite3")
        shutil.rmtree(other.directory, ignore_errors=True)
        slow = rebuild(store, other, now, use_worker=False)
        shutil.rmtree(other.directory, ignore_errors=True)
        figures["rebuild_sqlite3_s"] = round(slow.total_ms / 1000, 2)
        print(
            f"  same rebuild reading with Python's sqlite3 in-process: {figures['rebuild_sqlite3_s']} s "
            f"(ratio {slow.total_ms / built.total_ms:.1f}x)"
        )
    sync(store, analytics, now)  # fill the other slot (a file copy) so both are current
    figures["snapshot_file_mb"] = round(analytics.slot_path(built.slot).stat().st_size / 2**20, 1)

    today = made_at.date()
    period = Period(today - timedelta(days=29), today)
    sqlite_con = sqlite3.connect(path)
    baseline = SqliteDashboard(sqlite_con, actor.company_id, period)

    # -- dashboard queries --------------------------------------------------------------------
    if "dashboard" in parts:
        cold, warm = [], []
        for _ in range(args.runs):
            release_readers()  # as just after a switch: this process opens the new slot
            started = time.perf_counter()
            with analytics.reading() as snap:
                snap.con.execute("SELECT 1").fetchall()
            cold.append((time.perf_counter() - started) * 1000)
            started = time.perf_counter()
            with analytics.reading() as snap:
                snap.con.execute("SELECT 1").fetchall()
            warm.append((time.perf_counter() - started) * 1000)
        figures["snapshot_open_ms"] = round(statistics.median(cold), 2)
        figures["snapshot_cursor_ms"] = round(statistics.median(warm), 2)
        rows = []
        with analytics.reading() as snap:
            con = snap.con
            scope = Scope(actor.company_id)
            pairs = {
                "kpis": (lambda: query_kpis(con, scope, period), baseline.kpis),
                "trend": (lambda: query_trend(con, scope, period), baseline.trend),
                "funnel_health": (lambda: query_funnel_health(con, scope, period), baseline.funnel_health),
                "top_products": (lambda: query_top_products(con, scope, period), baseline.top_products),
                "warehouse_revenue": (lambda: query_warehouse_revenue(con, scope, period), baseline.warehouse_revenue),
                "needs_action": (lambda: query_needs_action(con, scope), baseline.needs_action),
            }
            for name, (duck, lite) in pairs.items():
                duck()  # warm
                duck_ms, duck_result = median_ms(duck, args.runs)
                lite_ms, lite_result = median_ms(lite, args.baseline_runs)
                rows.append((name, duck_ms, lite_ms))
                _check_same(name, duck_result, lite_result)
        print(f"\ndashboard queries, {period.start}..{period.end} (30 days), all warehouses — median ms")
        print(f"  {'query':<20}{'DuckDB':>10}{'SQLite':>12}{'ratio':>9}")
        for name, duck_ms, lite_ms in rows:
            print(f"  {name:<20}{duck_ms:>10.2f}{lite_ms:>12.1f}{lite_ms / duck_ms:>8.0f}x")
            figures[f"dashboard_{name}_ms"] = round(duck_ms, 2)
            figures[f"dashboard_{name}_sqlite_ms"] = round(lite_ms, 1)
        figures["dashboard_query_max_ms"] = round(max(r[1] for r in rows), 2)
        figures["dashboard_queries_sum_ms"] = round(sum(r[1] for r in rows), 2)
        heaviest = max(rows, key=lambda r: r[2])
        figures["heaviest_query"] = heaviest[0]
        figures["heaviest_vs_sqlite_ratio"] = round(heaviest[2] / heaviest[1], 1)
        load_dashboard(store, analytics, actor, period)
        whole_ms, _ = median_ms(lambda: load_dashboard(store, analytics, actor, period, remembered=False), args.runs)
        figures["dashboard_total_ms"] = round(whole_ms, 2)

        def first_after_switch():
            release_readers()
            return load_dashboard(store, analytics, actor, period, remembered=False)

        cold_ms, _ = median_ms(first_after_switch, max(3, args.runs // 3))
        figures["dashboard_total_first_run_after_switch_ms"] = round(cold_ms, 2)
        figures["dashboard_total_sqlite_ms"] = round(sum(r[2] for r in rows), 1)
        print(
            f"  {'whole dashboard':<20}{whole_ms:>10.2f}{figures['dashboard_total_sqlite_ms']:>12.1f}"
            f"{figures['dashboard_total_sqlite_ms'] / whole_ms:>8.0f}x   (DuckDB: open the snapshot + every query)"
        )
        print(
            f"  a script run's cursor on this process's connection: {figures['snapshot_cursor_ms']} ms; "
            f"opening the new slot after a switch: {figures['snapshot_open_ms']} ms"
        )
        print(f"  whole dashboard, first run after a switch (cold connection): {cold_ms:.1f} ms")
        tag = size_tag(orders)
        for days in (30, 365):
            span = Period(today - timedelta(days=days - 1), today)
            print(
                f"\ndashboard, {span.start}..{span.end} ({days} days), all warehouses: daily figures against the "
                f"raw rows (the queries before issue 16) in the same snapshot — median ms (load {load_avg()})"
            )
            print(f"  {'query':<22}{'daily':>10}{'raw rows':>10}{'ratio':>8}")
            for name, (daily_ms, raw_ms) in daily_against_raw(store, analytics, actor, span, args.runs).items():
                print(f"  {name:<22}{daily_ms:>10.2f}{raw_ms:>10.2f}{raw_ms / daily_ms:>7.1f}x")
                key = name.replace(" ", "_").replace(".", "_")
                figures[f"dashboard_{days}d_{key}_ms"] = round(daily_ms, 2)
                figures[f"dashboard_{days}d_{key}_raw_ms"] = round(raw_ms, 2)
            figures[f"dashboard_{days}d_ms_{tag}"] = figures.pop(f"dashboard_{days}d_whole_dashboard_ms")
            figures[f"dashboard_{days}d_raw_ms_{tag}"] = figures.pop(f"dashboard_{days}d_whole_dashboard_raw_ms")

    # -- history ------------------------------------------------------------------------------
    if "history" in parts:
        filters = HistoryFilters(period)
        load_history(store, analytics, actor, filters, page=1)
        page_ms, first = median_ms(
            lambda: load_history(store, analytics, actor, filters, page=1, remembered=False), args.runs
        )
        deep = max(2, first.page_count // 2)
        deep_ms, before_deep = median_ms(
            lambda: load_history(store, analytics, actor, filters, page=deep - 1, remembered=False), args.runs
        )
        seek_ms, _ = median_ms(
            lambda: load_history(
                store, analytics, actor, filters, page=deep, after=before_deep.last_key, remembered=False
            ),
            args.runs,
        )
        lite_page_ms, (lite_totals, _) = median_ms(lambda: baseline.history_page(0), args.baseline_runs)
        lite_deep_ms, _ = median_ms(lambda: baseline.history_page((deep - 2) * 50), args.baseline_runs)
        assert (first.totals.lines, first.totals.orders, first.totals.units, first.totals.amount) == tuple(lite_totals)
        figures.update(
            history_page_ms=round(page_ms, 2),
            history_deep_page_ms=round(deep_ms, 2),
            history_next_page_deep_ms=round(seek_ms, 2),
            history_page_sqlite_ms=round(lite_page_ms, 1),
            history_deep_page_sqlite_ms=round(lite_deep_ms, 1),
            history_lines_30d=first.totals.lines,
        )
        print(f"\nhistory, 30 days ({first.totals.lines:,} lines, {first.page_count:,} pages of 50) — median ms")
        print(
            f"  page 1 with totals        {page_ms:>8.2f}  SQLite {lite_page_ms:>9.1f}  ({lite_page_ms / page_ms:.0f}x)"
        )
        print(
            f"  page {deep - 1:<6,} by number   {deep_ms:>8.2f}  SQLite {lite_deep_ms:>9.1f}  "
            f"({lite_deep_ms / deep_ms:.0f}x)"
            f"   (counting rows from the nearer end)"
        )
        print(
            f"  page {deep:<6,} by Next     {seek_ms:>8.2f}  SQLite {lite_deep_ms:>9.1f}  "
            f"({lite_deep_ms / seek_ms:.0f}x)"
            f"   (seeking from the previous page's last row)"
        )

    # -- export -------------------------------------------------------------------------------
    if "export" in parts:
        everything = HistoryFilters(Period(today - timedelta(days=729), today))
        out = folder / "export.csv"
        started = time.perf_counter()
        exported = export_company_history_csv(analytics, DEMO_COMPANY_CODE, everything, out)
        export_s = time.perf_counter() - started
        started = time.perf_counter()
        lite_rows = SqliteDashboard(sqlite_con, actor.company_id, everything.period).export(
            folder / "export-sqlite.csv"
        )
        lite_export_s = time.perf_counter() - started
        assert lite_rows == exported.rows
        same = _same_lines(out, folder / "export-sqlite.csv")
        figures.update(
            export_rows=exported.rows,
            export_s=round(export_s, 2),
            export_rows_per_s=round(exported.rows / export_s),
            export_sqlite_s=round(lite_export_s, 2),
            export_sqlite_rows_per_s=round(lite_rows / lite_export_s),
            export_mb=round(out.stat().st_size / 2**20, 1),
        )
        print(
            f"\nfull CSV export: {exported.rows:,} rows ({figures['export_mb']} MB) in {export_s:.2f} s = "
            f"{figures['export_rows_per_s']:,} rows/s; csv module over SQLite {lite_export_s:.2f} s = "
            f"{figures['export_sqlite_rows_per_s']:,} rows/s ({lite_export_s / export_s:.1f}x); same lines: {same} "
            f"(load {load_avg()})"
        )
        for leftover in (out, folder / "export-sqlite.csv"):
            leftover.unlink()

    # -- incremental sync of 10,000 changed orders ----------------------------------------------
    if "sync" in parts:
        figures["updated_at_index"] = has_updated_at_index(path)
        print(
            f"\nincremental sync of 10,000 changed orders with their lines (index on orders.updated_at: "
            f"{figures['updated_at_index']}); median of 6 syncs (3 rounds x both slots)"
        )
        created = False
        if not figures["updated_at_index"]:
            figures["sync_10k_without_index_ms"], plain = sync_rounds(store, analytics, path, recent=True)
            print(
                f"  as migrated today (no index on updated_at: every sync scans orders): "
                f"{figures['sync_10k_without_index_ms']} ms {plain['ms']}"
            )
            with sqlite3.connect(path) as con:
                con.execute("CREATE INDEX ix_orders_updated_at ON orders (updated_at)")
            created = True
        try:
            reader_process().stop()  # so the first large sync below starts it, as after a scheduler start
            figures["sync_10k_ms"], recent = sync_rounds(store, analytics, path, recent=True)
            figures["sync_10k_first_ms"] = recent["ms"][0]
            figures["sync_10k_scattered_ms"], scattered = sync_rounds(store, analytics, path, recent=False)
            with patch.object(reader_module, "READER_PROCESS_FROM", 10**12):
                figures["sync_10k_in_process_ms"], in_process = sync_rounds(store, analytics, path, recent=True)
        finally:
            if created:
                with sqlite3.connect(path) as con:
                    con.execute("DROP INDEX ix_orders_updated_at")
        label = " (with ix_orders_updated_at, created for this measurement)" if created else ""
        print(
            f"  10,000 of the newest 50,000 orders{label}: {figures['sync_10k_ms']} ms {recent['ms']} "
            f"(load {recent['load']})"
        )
        print(f"      steps (median ms): {recent['steps']}")
        print(f"      the first of them started the reader process: {figures['sync_10k_first_ms']} ms")
        print(
            f"  the same, read in this process with sqlite3 instead of the reader process: "
            f"{figures['sync_10k_in_process_ms']} ms {in_process['ms']} "
            f"(ratio {figures['sync_10k_in_process_ms'] / figures['sync_10k_ms']:.2f}x)"
        )
        print(f"      steps (median ms): {in_process['steps']}")
        print(
            f"  10,000 orders scattered over all {orders:,}{label}: "
            f"{figures['sync_10k_scattered_ms']} ms {scattered['ms']} (load {scattered['load']})"
        )
        print(f"      steps (median ms): {scattered['steps']}")

    figures["load_avg_end"] = load_avg()
    print(
        "\ngoals at 1,000,000 orders: query < 30 ms, dashboard < 150 ms, history page < 50 ms, "
        "export >= 1.5 M rows/s, sync 10k < 250 ms, rebuild < 10 s, heaviest >= 20x"
    )
    sqlite_con.close()
    store.dispose()
    print(json.dumps(figures))
    return 0


def sync_rounds(store: Store, analytics: AnalyticsStore, path: Path, *, recent: bool, rounds: int = 3):
    """Each round: a one-row change an hour later (so the previous round's rows leave the safety
    window), both slots synced; then 10,000 orders changed an hour after that, and both slots
    synced, each timed. `recent`: the orders are among the newest 50,000 (orders change while
    they are in flight); otherwise anywhere in the store (the worst case for locality)."""
    import random

    with sqlite3.connect(path) as con:
        max_id, latest = con.execute("SELECT max(id), max(updated_at) FROM orders").fetchone()
    clock = datetime.fromisoformat(latest).replace(tzinfo=UTC) + timedelta(hours=1)
    rng = random.Random(5)
    ms, steps = [], []
    for _ in range(rounds):
        clock += timedelta(hours=1)
        with sqlite3.connect(path) as con:
            con.execute("UPDATE orders SET updated_at = ? WHERE id = ?", (ts(clock), rng.randint(1, max_id)))
        sync(store, analytics, clock)
        sync(store, analytics, clock)
        clock += timedelta(hours=1)
        ids = rng.sample(range(max(1, max_id - 50_000) if recent else 1, max_id + 1), 10_000)
        with sqlite3.connect(path) as con:
            con.executemany("UPDATE orders SET updated_at = ? WHERE id = ?", [(ts(clock), i) for i in ids])
        for _ in range(2):
            result = sync(store, analytics, clock)
            assert result.changed_orders >= 10_000
            ms.append(round(result.total_ms, 1))
            steps.append(result.steps_ms)
    median_steps = {key: round(statistics.median(s[key] for s in steps), 1) for key in steps[0]}
    if os.environ.get("KOPRA_BENCH_VERBOSE"):
        for s in steps:
            print("   sync steps", s)
    return round(statistics.median(ms), 1), {"ms": ms, "steps": median_steps, "load": load_avg()}


def _check_same(name: str, duck, lite) -> None:
    """The two implementations must agree, or the comparison means nothing."""
    if name == "kpis":
        values = [k.value for k in duck]
        assert [values[0], values[1], values[3], values[4], values[5]] == lite[:5], (values, lite)
        assert [k.previous for k in duck if k.key != "average_order_value"] == lite[5:], (duck, lite)
    elif name == "trend":
        got = [(p.day.isoformat(), p.revenue, p.orders) for p in duck if p.orders]
        assert got == [tuple(r) for r in lite], name
    elif name == "funnel_health":
        funnel, _, health, refunds, _ = duck
        row, median_hours = lite
        assert [s.count for s in funnel] == list(row[:6]), name
        assert refunds == row[11], name
        got = next(m.value for m in health if m.key == "median_hours_to_accept")
        assert median_hours is None or abs(got - median_hours) < 1e-3, (got, median_hours)
    elif name == "top_products":
        assert [(p.product_id, p.units, p.revenue) for p in duck] == [tuple(r) for r in lite], name
    elif name == "warehouse_revenue":
        assert {w.code: (w.revenue, w.orders) for w in duck if w.orders} == {r[0]: (r[1], r[2]) for r in lite}
    elif name == "needs_action":
        assert [a.order_id for a in duck] == [r[0] for r in lite], name


def _same_lines(a: Path, b: Path) -> bool:
    """Both files hold the same lines (the DuckDB export keeps the snapshot's order, the baseline sorts)."""
    import hashlib

    def digest(path: Path) -> tuple[int, int]:
        total, count = 0, 0
        with open(path, "rb") as handle:
            for line in handle:
                total = (total + int.from_bytes(hashlib.blake2b(line, digest_size=8).digest(), "big")) % (1 << 64)
                count += 1
        return total, count

    return digest(a) == digest(b)


if __name__ == "__main__":
    sys.exit(main())
