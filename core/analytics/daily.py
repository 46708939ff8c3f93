"""The daily figures of a snapshot: what the Dashboard sums instead of one row per order or line.

- `daily_completed`: COMPLETED orders per company, warehouse and local completion day: orders,
  revenue, units, payouts pending and paid (the KPIs, the trend, revenue per warehouse);
- `daily_placed`: orders per company, warehouse, local placing day and current status: the funnel's
  stages, the status counts and the counts behind fulfilment health (the status is in the key, so
  completed, rejected and auto-cancelled orders are the rows of those statuses);
- `daily_products`: completed lines per company, warehouse, local completion day and product: units
  and revenue (top products);
- `daily_waits`: accepted orders per company, warehouse, local placing day and band of five minutes
  of their time to accept (`orders.accept_wait_us`): where the median time to accept is found.

At 1,000,000 orders a year of them is about 365 rows per warehouse (a few thousand per product, up
to a few hundred per wait band), so a 365-day dashboard sums thousands of rows instead of scanning
a million orders and 2.7 M lines.

Every figure kept here is a count or a sum: a period's figure is the sum of its days', exactly. The
one figure of the Dashboard that is not additive, the median time to accept, is found in two steps
(core.analytics.dashboard.query_median_us_to_accept): the period's count per wait band, summed from
`daily_waits`, says which band holds the middle order(s) and how many waits lie below it; then only
that band's waits are read from `orders`, by a filter over one stored column. The result is exact
(the same as the median of every wait: the tests compare them). The median of every wait, as it
was computed before, took 141 ms for a year at 10 M orders (9.4 M waits), this 26 ms
(bench/analytics.py). Distinct counts do not arise: every count is of orders, and an order is one
row of `orders`.

How the tables stay current: a rebuild builds them whole from the raw tables (`build_daily`). A
sync adds to each group (company, warehouse, day) what its batch changed there (`remember_before`,
`add_changes`): the touched orders' rows of `orders` are kept as they were before the batch went in
and read again after it, and each group gains the figures of its orders after and loses those of
before (an order that changes status moves between status rows of its placing day, one that
completes enters its completion day, a payout paid moves money between pending and paid on its
order's completion day); `daily_products` gains the lines the sync inserted (lines go in once, when
their order is first seen COMPLETED, and never change). Both sides are computed by the same SQL
as the rebuild's (`_summed`), so there is still one definition of each figure, and adding them is
exact because every figure is a count or a sum of integers: the result is what recomputing the group
from the raw rows gives (the tests compare a synced snapshot with a rebuilt one, row by row). A
group whose order count falls to zero is deleted, as a rebuild would not have it; sums are
`coalesce`d to 0 (an empty sum is 0 for the Dashboard too), so that a group's sum is the same
whether it was added up or built. Recomputing the touched groups from the raw tables, as this did
first, cost 32 ms for 10,000 recent orders and 88 ms for 10,000 scattered over a year at 1 M orders
(every day's groups, from a million orders). Every order a sync reads counts as touched, changed
or not (the safety window re-reads some): its before and after simply cancel. A warehouse whose time
zone moved has all its groups recomputed (`refresh_warehouses`).
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
CREATE TABLE daily_waits (          -- accepted orders per company, warehouse, local placing day and wait band
    company_id BIGINT, warehouse_id BIGINT, day DATE, wait_band BIGINT, orders BIGINT
);
"""

#: The width of a wait band of `daily_waits`: five minutes of an order's time to accept. At 10 M orders
#: a band of one minute kept 998,060 rows (7.4 ms to sum a year of them), of five 271,903 (2.0 ms);
#: reading the middle band's waits costs the same either way (a pass over one column, 17 ms).
WAIT_BAND_US = 5 * 60_000_000

#: The band of an order's time to accept (`orders.accept_wait_us`) that `daily_waits` counts it in.
#: Integer division keeps the order of the waits (every wait of a band is above every wait of the
#: bands below it), so the n-th wait of a period is the right one of its band. It rounds toward
#: zero: band 0 holds the waits shorter than a band either way (a negative one is a clock's error).
WAIT_BAND = f"orders.accept_wait_us // {WAIT_BAND_US}"


def wait_range(first: int, last: int) -> tuple[int, int]:
    """The least and the greatest wait in microseconds of the bands `first` to `last` (WAIT_BAND): a
    filter on the stored waits themselves reads them at twice the speed of one on their band."""
    least = first * WAIT_BAND_US if first > 0 else (first - 1) * WAIT_BAND_US + 1
    greatest = (last + 1) * WAIT_BAND_US - 1 if last >= 0 else last * WAIT_BAND_US
    return least, greatest


#: Each daily table: the raw table it sums, its day column there, and its figures (the one definition
#: of each, for the rebuild and the sync alike). Keys are company_id, warehouse_id, day (+ `extra`, an
#: expression over the raw table);
#: `count` is the figure that says whether the group has any row at all (none for daily_products,
#: whose groups only ever grow).
_DAILY: dict[str, dict[str, str]] = {
    "daily_completed": {
        "count": "orders",
        "source": "orders",
        "day": "completed_day",
        "where": "status = 'COMPLETED'",
        "extra": "",
        "figures": """count(*), coalesce(sum(total_amount), 0), coalesce(sum(item_count), 0),
            coalesce(sum(payout_amount) FILTER (WHERE payout_status = 'PENDING'), 0),
            coalesce(sum(payout_amount) FILTER (WHERE payout_status = 'PAID'), 0)""",
    },
    "daily_placed": {
        "count": "placed",
        "source": "orders",
        "day": "placed_day",
        "where": "true",
        "extra": "orders.status",
        "figures": """count(*), count(accepted_at), count(packed_at), count(shipped_at), count(delivered_at),
            count(*) FILTER (WHERE status = 'CANCELLED' AND failure_kind = 'CANCELLED_BY_SYSTEM'),
            count(*) FILTER (WHERE packed_at <= pack_deadline),
            count(*) FILTER (WHERE delivered_at <= delivery_deadline),
            count(*) FILTER (WHERE has_complaint),
            count(refund_amount), coalesce(sum(refund_amount), 0)""",
    },
    "daily_products": {
        "count": "",
        "source": "sales_lines",
        "day": "completed_day",
        "where": "true",
        "extra": "sales_lines.product_id",
        "figures": "coalesce(sum(quantity), 0), coalesce(sum(line_total), 0)",
    },
    "daily_waits": {
        "count": "orders",
        "source": "orders",
        "day": "placed_day",
        "where": "accept_wait_us IS NOT NULL",
        "extra": WAIT_BAND,
        "figures": "count(*)",
    },
}


def _summed(name: str, where: str = "true", *, rows: str | None = None) -> str:
    """The SELECT that computes `name`'s rows from its raw table, or from `rows` (a table with the raw
    table's columns, e.g. some orders as they were before a sync), for the rows `where` keeps."""
    spec = _DAILY[name]
    source = spec["source"]
    extra = f", {spec['extra']}" if spec["extra"] else ""
    table = f"{rows} AS {source}" if rows else source
    return f"""
        SELECT {source}.company_id, {source}.warehouse_id, {source}.{spec["day"]}{extra}, {spec["figures"]}
        FROM {table}
        WHERE {spec["where"]} AND {source}.{spec["day"]} IS NOT NULL AND {where}
        GROUP BY ALL
    """


#: The figures of `daily_placed` (all but its key), in its columns' order: what the Dashboard's funnel
#: and fulfilment health are made of (core.analytics.dashboard reads them by these names).
PLACED_FIGURES = (
    "placed",
    "accepted",
    "packed",
    "shipped",
    "delivered",
    "auto_cancelled",
    "packed_on_time",
    "delivered_on_time",
    "complained",
    "refunds",
    "refund_amount",
)

#: Each daily table's key columns and figure columns, in the order of DAILY_SCHEMA_SQL.
_COLUMNS: dict[str, tuple[list[str], list[str]]] = {
    "daily_completed": (
        ["company_id", "warehouse_id", "day"],
        ["orders", "revenue", "units", "payouts_pending", "payouts_paid"],
    ),
    "daily_placed": (
        ["company_id", "warehouse_id", "day", "status"],
        list(PLACED_FIGURES),
    ),
    "daily_products": (["company_id", "warehouse_id", "day", "product_id"], ["units", "revenue"]),
    "daily_waits": (["company_id", "warehouse_id", "day", "wait_band"], ["orders"]),
}


def build_daily(con: duckdb.DuckDBPyConnection) -> None:
    """Fill the (empty) daily tables from the whole of the raw tables: a rebuild's last step."""
    for name in _DAILY:
        con.execute(f"INSERT INTO {name} {_summed(name)} ORDER BY 1, 3, 2")


#: The columns of `orders` the figures of daily_completed, daily_placed and daily_waits read (and `id`).
ORDER_FIGURE_INPUTS = (
    "id",
    "company_id",
    "warehouse_id",
    "placed_day",
    "completed_day",
    "status",
    "total_amount",
    "item_count",
    "payout_status",
    "payout_amount",
    "accepted_at",
    "packed_at",
    "shipped_at",
    "delivered_at",
    "failure_kind",
    "pack_deadline",
    "delivery_deadline",
    "has_complaint",
    "refund_amount",
    "accept_wait_us",
)


def remember_before(con: duckdb.DuckDBPyConnection) -> None:
    """Before a sync's batch goes in: the orders it touches (its orders, its payouts' orders) as
    `orders` holds them now, every column, in the temporary table `touched_before` (the sync also
    updates only what changed: core.analytics.tables). Reads the registered `src_orders` and
    `src_payouts`."""
    con.execute("""
        CREATE OR REPLACE TEMP TABLE touched_before AS
        SELECT * FROM orders
        WHERE id IN (SELECT id FROM src_orders UNION ALL SELECT order_id FROM src_payouts)
    """)


def add_changes(con: duckdb.DuckDBPyConnection, after: str, new_lines: str) -> None:
    """After the batch went in (in the caller's transaction): each group gains the figures of the
    touched orders as they are now (`after`: a SELECT of their rows, with ORDER_FIGURE_INPUTS, as the
    batch left them in `orders`) and loses them as they were (`remember_before`); `daily_products`
    gains the lines in the table `new_lines` (those the sync inserted, with sales_lines' columns)."""
    con.execute(f"CREATE OR REPLACE TEMP TABLE touched_after AS {after}")
    for name in (name for name, spec in _DAILY.items() if spec["source"] == "orders"):
        keys, figures = _COLUMNS[name]
        both = f"""
            SELECT * FROM ({_summed(name, rows="touched_after")}) AS a({", ".join(keys + figures)})
            UNION ALL
            SELECT {", ".join(keys + [f"-{f}" for f in figures])}
            FROM ({_summed(name, rows="touched_before")}) AS b({", ".join(keys + figures)})
        """
        _add(con, name, both)
    _add(con, "daily_products", _summed("daily_products", rows=new_lines))
    for table in ("touched_before", "touched_after", "daily_change"):
        con.execute(f"DROP TABLE IF EXISTS {table}")


def _add(con: duckdb.DuckDBPyConnection, name: str, rows: str) -> None:
    """Add `rows` (the daily table's columns, several rows per group allowed) to the daily table
    `name`, group by group; drop the groups left without a row (their count is zero)."""
    keys, figures = _COLUMNS[name]
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE daily_change AS
        SELECT {", ".join(keys)}, {", ".join(f"sum({f}) AS {f}" for f in figures)}
        FROM ({rows}) AS r({", ".join(keys + figures)})
        GROUP BY ALL
        HAVING {" OR ".join(f"sum({f}) <> 0" for f in figures)}
    """)
    same_group = " AND ".join(f"{name}.{k} IS NOT DISTINCT FROM c.{k}" for k in keys)
    con.execute(f"""
        MERGE INTO {name} USING daily_change AS c ON {same_group}
        WHEN MATCHED THEN UPDATE SET {", ".join(f"{f} = {name}.{f} + c.{f}" for f in figures)}
        WHEN NOT MATCHED THEN INSERT BY NAME
    """)
    count = _DAILY[name]["count"]
    if count:
        con.execute(f"DELETE FROM {name} WHERE {count} = 0")


def refresh_warehouses(con: duckdb.DuckDBPyConnection, warehouse_ids: list[int]) -> None:
    """Recompute every group of these warehouses (their time zone moved, and their local days with it)."""
    ids = ", ".join(str(int(i)) for i in warehouse_ids)
    for name in _DAILY:
        con.execute(f"DELETE FROM {name} WHERE warehouse_id IN ({ids})")
        source = _DAILY[name]["source"]
        con.execute(f"INSERT INTO {name} {_summed(name, where=f'{source}.warehouse_id IN ({ids})')}")
