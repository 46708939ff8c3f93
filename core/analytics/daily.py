"""The daily figures of a snapshot: what the Dashboard sums instead of one row per order or line.

- `daily_completed`: COMPLETED orders per company, warehouse and local completion day: orders,
  revenue, units, payouts pending and paid (the KPIs, the trend, revenue per warehouse);
- `daily_placed`: orders per company, warehouse, local placing day and current status: the funnel's
  stages, the status counts and the counts behind fulfilment health (the status is in the key, so
  completed, rejected and auto-cancelled orders are the rows of those statuses);
- `daily_products`: completed lines per company, warehouse, local completion day and product: units
  and revenue (top products).

At 1,000,000 orders a year of them is about 365 rows per warehouse (a few thousand per product), so
a 365-day dashboard sums thousands of rows instead of scanning a million orders and 2.7 M lines.

Every figure kept here is a count or a sum: a period's figure is the sum of its days', exactly. The
one figure that is not additive, the median time to accept, is not kept: the Dashboard reads it from
the raw `orders` (a narrow query: two timestamps of the period's accepted orders, which the table's
time order lets DuckDB find by its per-block min/max). An exact median of a period needs every value
of it, so anything stored per day that merges exactly (a sorted list per day, a count per distinct
wait) would hold as many values as the orders themselves; a histogram would make it approximate.
Distinct counts do not arise: every count is of orders, and an order is one row of `orders`.

How the tables stay current (`refresh_daily`): a rebuild builds them whole from the raw tables
(`build_daily`). A sync recomputes, from the raw tables, exactly the groups (company, warehouse,
day) that its orders touched, as they were before the batch went in and as they are after: an order
that changes status moves between status rows of its placing day, one that completes enters its
completion day, a payout paid moves money between pending and paid on its order's completion day.
Recomputing a group rather than adding deltas keeps one definition of each figure (the SQL below,
used by both) and cannot drift. Every order a sync reads counts as touched, changed or not (the
safety window re-reads some): telling them apart cost more than recomputing their groups. The
product groups are those whose lines the sync inserted: lines go in once, when their order is
first seen COMPLETED, and never change (but for a warehouse whose time zone moved, whose groups
are all recomputed).
"""

from __future__ import annotations

import duckdb

DAILY_SCHEMA_SQL = """
CREATE TABLE daily_completed (      -- COMPLETED orders per company, warehouse and local completion day
    company_id BIGINT, warehouse_id BIGINT, day DATE,
    orders BIGINT, revenue BIGINT, units BIGINT, payouts_pending BIGINT, payouts_paid BIGINT
);
CREATE TABLE daily_placed (         -- orders per company, warehouse, local placing day and status
    company_id BIGINT, warehouse_id BIGINT, day DATE, status VARCHAR,
    placed BIGINT, accepted BIGINT, packed BIGINT, shipped BIGINT, delivered BIGINT,
    auto_cancelled BIGINT, packed_on_time BIGINT, delivered_on_time BIGINT, complained BIGINT,
    refunds BIGINT, refund_amount BIGINT
);
CREATE TABLE daily_products (       -- completed lines per company, warehouse, local completion day, product
    company_id BIGINT, warehouse_id BIGINT, day DATE, product_id BIGINT, units BIGINT, revenue BIGINT
);
"""

#: Each daily table: the raw table it sums, its day column there, and its figures (the one definition
#: of each, for the rebuild and the sync alike). Keys are company_id, warehouse_id, day (+ `extra`).
_DAILY: dict[str, dict[str, str]] = {
    "daily_completed": {
        "source": "orders",
        "day": "completed_day",
        "where": "status = 'COMPLETED'",
        "extra": "",
        "figures": """count(*), sum(total_amount), sum(item_count),
            sum(payout_amount) FILTER (WHERE payout_status = 'PENDING'),
            sum(payout_amount) FILTER (WHERE payout_status = 'PAID')""",
    },
    "daily_placed": {
        "source": "orders",
        "day": "placed_day",
        "where": "true",
        "extra": "status",
        "figures": """count(*), count(accepted_at), count(packed_at), count(shipped_at), count(delivered_at),
            count(*) FILTER (WHERE status = 'CANCELLED' AND failure_kind = 'CANCELLED_BY_SYSTEM'),
            count(*) FILTER (WHERE packed_at <= pack_deadline),
            count(*) FILTER (WHERE delivered_at <= delivery_deadline),
            count(*) FILTER (WHERE has_complaint),
            count(refund_amount), sum(refund_amount)""",
    },
    "daily_products": {
        "source": "sales_lines",
        "day": "completed_day",
        "where": "true",
        "extra": "product_id",
        "figures": "sum(quantity), sum(line_total)",
    },
}

#: Which groups a sync touched, per daily table (temporary tables of the writer's connection).
_TOUCHED = {name: f"touched_{name}" for name in _DAILY}


def _summed(name: str, join: str = "", where: str = "true") -> str:
    """The SELECT that computes `name`'s rows from its raw table, for the groups `join` keeps (the
    join's table has company_id, warehouse_id and day: the keys are named with the raw table's name)."""
    spec = _DAILY[name]
    source = spec["source"]
    extra = f", {source}.{spec['extra']}" if spec["extra"] else ""
    return f"""
        SELECT {source}.company_id, {source}.warehouse_id, {source}.{spec["day"]}{extra}, {spec["figures"]}
        FROM {source} {join}
        WHERE {spec["where"]} AND {source}.{spec["day"]} IS NOT NULL AND {where}
        GROUP BY ALL
    """


def build_daily(con: duckdb.DuckDBPyConnection) -> None:
    """Fill the (empty) daily tables from the whole of the raw tables: a rebuild's last step."""
    for name in _DAILY:
        con.execute(f"INSERT INTO {name} {_summed(name)} ORDER BY 1, 3, 2")


#: The touched orders' groups, as `orders` holds them at the moment. (Keeping only the orders whose
#: row changed, by comparing every column before and after, cost more than it saved: 228 against
#: 180 ms for 10,000 orders scattered over 1 M.)
_TOUCHED_ROWS = """
    SELECT id, status, company_id, warehouse_id, placed_day, completed_day FROM orders
    WHERE id IN (SELECT id FROM touched_ids)
"""


def remember_touched_before(con: duckdb.DuckDBPyConnection) -> None:
    """Before a sync's batch goes in: the orders it touches (its orders, its payouts' orders) and
    the groups they are in now. Reads the registered `src_orders` and `src_payouts`."""
    con.execute("""
        CREATE OR REPLACE TEMP TABLE touched_ids AS
        SELECT id FROM src_orders UNION SELECT order_id FROM src_payouts
    """)
    con.execute(f"CREATE OR REPLACE TEMP TABLE touched_before AS {_TOUCHED_ROWS}")


def remember_touched_after(con: duckdb.DuckDBPyConnection) -> None:
    """After the batch went in: the groups of every order it touched, before and after, per table."""
    con.execute(f"CREATE OR REPLACE TEMP TABLE touched_after AS {_TOUCHED_ROWS}")
    both = "(SELECT * FROM touched_before UNION ALL SELECT * FROM touched_after)"
    for name, day in (("daily_placed", "placed_day"), ("daily_completed", "completed_day")):
        con.execute(f"""
            CREATE OR REPLACE TEMP TABLE {_TOUCHED[name]} AS
            SELECT DISTINCT company_id, warehouse_id, {day} AS day FROM {both} WHERE {day} IS NOT NULL
        """)
    # Lines went in for the orders that are COMPLETED now and were not before the batch.
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE {_TOUCHED["daily_products"]} AS
        SELECT DISTINCT a.company_id, a.warehouse_id, a.completed_day AS day
        FROM touched_after a LEFT JOIN touched_before b ON b.id = a.id
        WHERE a.status = 'COMPLETED' AND b.status IS DISTINCT FROM 'COMPLETED' AND a.completed_day IS NOT NULL
    """)


def refresh_daily(con: duckdb.DuckDBPyConnection) -> None:
    """Recompute the groups `remember_touched_after` found, from the raw tables (in the caller's
    transaction). Bounded by the groups' first and last day, so DuckDB's per-block min/max skip the
    rest of a raw table (which is in time order) when the touched days are recent."""
    for name, touched in _TOUCHED.items():
        first, last = con.execute(f"SELECT min(day), max(day) FROM {touched}").fetchall()[0]
        if first is None:
            continue
        source, day = _DAILY[name]["source"], _DAILY[name]["day"]
        con.execute(f"""
            DELETE FROM {name} USING {touched} t
            WHERE {name}.company_id = t.company_id AND {name}.warehouse_id = t.warehouse_id AND {name}.day = t.day
        """)
        join = f"""JOIN {touched} t ON t.company_id = {source}.company_id
                   AND t.warehouse_id = {source}.warehouse_id AND t.day = {source}.{day}"""
        bounded = f"{source}.{day} BETWEEN $first AND $last"
        con.execute(f"INSERT INTO {name} {_summed(name, join, bounded)}", {"first": first, "last": last})
    for table in ("touched_ids", "touched_before", "touched_after", *_TOUCHED.values()):
        con.execute(f"DROP TABLE IF EXISTS {table}")


def refresh_warehouses(con: duckdb.DuckDBPyConnection, warehouse_ids: list[int]) -> None:
    """Recompute every group of these warehouses (their time zone moved, and their local days with it)."""
    ids = ", ".join(str(int(i)) for i in warehouse_ids)
    for name in _DAILY:
        con.execute(f"DELETE FROM {name} WHERE warehouse_id IN ({ids})")
        source = _DAILY[name]["source"]
        con.execute(f"INSERT INTO {name} {_summed(name, where=f'{source}.warehouse_id IN ({ids})')}")
