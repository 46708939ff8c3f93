"""The median time to accept, found through `daily_waits` (core.analytics.dashboard), equals DuckDB's
`median` over every wait of the period, to the last bit: odd and even counts, many orders in one
band, the middle pair split over two bands, waits at a band's edges, negative and multi-day waits,
one warehouse, no accepted order at all. Built on a bare snapshot schema (no store) so that many shapes are cheap."""

from __future__ import annotations

import random
from datetime import date, datetime, timedelta

import duckdb
import pytest

from core.analytics.daily import WAIT_BAND_US, build_daily, wait_range
from core.analytics.dashboard import query_median_us_to_accept
from core.analytics.scope import Period, Scope
from core.analytics.tables import SCHEMA_SQL

START = date(2026, 1, 1)
MINUTE_US = 60_000_000
BAND = WAIT_BAND_US


def snapshot(orders: list[tuple[int, int, date, int | None]]) -> duckdb.DuckDBPyConnection:
    """A snapshot holding `orders` as (company, warehouse, placing day, wait in µs or None), its daily
    figures built as a rebuild builds them."""
    con = duckdb.connect()
    con.execute(SCHEMA_SQL)
    rows = []
    for n, (company, warehouse, day, wait) in enumerate(orders):
        placed = datetime.combine(day, datetime.min.time()) + timedelta(hours=3)
        accepted = None if wait is None else placed + timedelta(microseconds=wait)
        rows.append((n + 1, company, warehouse, "ACCEPTED", placed, accepted, day, wait))
    con.executemany(
        """INSERT INTO orders (id, company_id, warehouse_id, status, placed_at, accepted_at, placed_day,
                               accept_wait_us) VALUES (?, ?, ?, ?, ?, ?, ?, ?)""",
        rows,
    )
    build_daily(con)
    return con


def every_wait_median(con, scope: Scope, period: Period) -> float | None:
    where, params = scope.where()
    params.update(s=period.start, e=period.end)
    return con.execute(
        f"""SELECT median(CAST(epoch_us(accepted_at) - epoch_us(placed_at) AS DOUBLE)) FROM orders
            WHERE {where} AND placed_day BETWEEN $s AND $e AND accepted_at IS NOT NULL""",
        params,
    ).fetchone()[0]


def random_wait(rng: random.Random) -> int | None:
    shape = rng.random()
    if shape < 0.1:
        return None  # not accepted
    if shape < 0.4:
        return 7 * BAND + rng.randrange(BAND)  # crowds into one band
    if shape < 0.45:
        return rng.choice([0, -rng.randrange(1, 3 * BAND)])  # clocks that disagree
    if shape < 0.5:
        return rng.choice([12 * BAND, 12 * BAND - 1, BAND - 1, -BAND, -BAND + 1])  # edges, many times
    return int(rng.expovariate(1 / (3 * 3_600_000_000)))  # up to days


@pytest.mark.parametrize("seed", range(12))
def test_the_median_equals_the_median_of_every_wait(seed):
    rng = random.Random(seed)
    orders = [
        (rng.choice([1, 2]), rng.choice([10, 11, 20]), START + timedelta(days=rng.randrange(20)), random_wait(rng))
        for _ in range(rng.randrange(1, 400))
    ]
    con = snapshot(orders)
    for scope in (Scope(1), Scope(2), Scope(1, 10), Scope(2, 11)):
        for first, days in ((0, 20), (0, 1), (rng.randrange(20), rng.randrange(1, 8)), (30, 5)):
            period = Period(START + timedelta(days=first), START + timedelta(days=first + days - 1))
            assert query_median_us_to_accept(con, scope, period) == every_wait_median(con, scope, period), (
                scope,
                period,
            )


@pytest.mark.parametrize(
    ("waits", "median_us"),
    [
        ([5 * MINUTE_US], 5 * MINUTE_US),
        ([BAND - 1, BAND], BAND - 0.5),  # the middle pair in two bands
        ([1, 2, 3, 10 * MINUTE_US], 2.5),  # both in the first band
        ([3, 1, 2], 2),
        ([-BAND * 2, -1, 4 * BAND], -1),  # a negative wait in band 0
        ([-BAND * 3, -BAND, 4 * BAND], -BAND),  # and in band -1
        ([-BAND - 1, 2 * BAND - 1, 2 * BAND], 2 * BAND - 1),
        ([None, None], None),
    ],
)
def test_known_medians(waits, median_us):
    con = snapshot([(1, 10, START, wait) for wait in waits])
    assert query_median_us_to_accept(con, Scope(1), Period(START, START)) == median_us


@pytest.mark.parametrize("band", [-3, -1, 0, 1, 7])
def test_a_bands_range_holds_exactly_its_waits(band):
    """wait_range inverts the band's integer division, which rounds toward zero (band 0 is twice as wide)."""
    least, greatest = wait_range(band, band)
    con = duckdb.connect()
    bands = con.execute(
        "SELECT w // $width FROM (VALUES ($l - 1), ($l), ($g), ($g + 1)) AS t(w)",
        {"width": WAIT_BAND_US, "l": least, "g": greatest},
    ).fetchall()
    assert [b for (b,) in bands] == [band - 1, band, band, band + 1]
