"""The transaction history: completed sales, one row per order line, filtered, totalled and paged,
for one company; and the filtered set's SQL that the CSV export (core.analytics.export) shares.
Only a Product Manager in good standing sees it (core.analytics.scope), and every query is filtered
by their company.

Rows are those of orders COMPLETED in the period, by the *local* date of completion at the order's
warehouse (`completed_day`), newest completion first; times come back as aware UTC datetimes with
the warehouse's offset and zone, so callers can show local time. Each row carries its order's
payout: status (`PAYOUT_STATUS_LABELS` says it in words), when it was paid, and the bank's
transfer reference.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from core.acting import Actor, require_role
from core.analytics.scope import (
    MAX_BUYER_CODE,
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
from core.catalogue.rules import MAX_SKU
from core.domain import PayoutStatus, Role
from core.errors import InvalidInput, NotFound
from core.i18n import N_, _, gettext
from core.store.database import Store
from core.text import lookup_text, shown

HISTORY_PAGE_SIZE = 50

#: A payout's status as the seller reads it, on the page and in the CSV export: English msgids,
#: translated where they are shown (`payout_status_label`, or `gettext(label)` for an option list).
PAYOUT_STATUS_LABELS: dict[str, str] = {
    PayoutStatus.PENDING.value: N_("Waiting"),
    PayoutStatus.PAID.value: N_("Paid"),
}


def payout_status_label(status: str | None, code: str | None = None) -> str:
    """`"PAID"` -> `"Paid"` (Indonesian `"Dibayar"`) in the reader's language or `code`; no payout ->
    `""`; a status without words yet reads as it is stored."""
    if status is None:
        return ""
    label = PAYOUT_STATUS_LABELS.get(status)
    return status if label is None else gettext(label, code)


# --------------------------------------------------------------------------- inputs and results


@dataclass(frozen=True)
class HistoryFilters:
    period: Period
    warehouse_code: str | None = None
    product_sku: str | None = None
    buyer_code: str | None = None
    min_total: int | None = None  # order total, rupiah
    max_total: int | None = None
    payout_status: PayoutStatus | None = None

    def __post_init__(self) -> None:
        if self.payout_status is not None:
            try:
                object.__setattr__(self, "payout_status", PayoutStatus(self.payout_status))
            except ValueError:
                raise InvalidInput(_("Choose a payout status from the list."), field="payout_status") from None
        for name in ("min_total", "max_total"):
            value = getattr(self, name)
            if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < 0):
                raise InvalidInput(_("Amounts are whole rupiah, zero or more."), field=name)
        if self.min_total is not None and self.max_total is not None and self.min_total > self.max_total:
            raise InvalidInput(_("The lowest order total must not be above the highest."), field="min_total")


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
    payout_status: str | None  # PayoutStatus's value; None: the order has no payout
    paid_at: datetime | None  # UTC; None until the payout is paid
    transfer_reference: str | None  # typed by the bank: show it as plain text

    def local(self, at: datetime) -> datetime:
        """A UTC time of this row at its warehouse (naive local wall time)."""
        return (at + timedelta(minutes=self.utc_offset_min)).replace(tzinfo=None)


@dataclass(frozen=True)
class HistoryTotals:
    lines: int
    orders: int
    units: int
    amount: int


@dataclass(frozen=True)
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


# --------------------------------------------------------------------------- the filtered set


def history_where(con, company_id: int, filters: HistoryFilters, alias: str = "l") -> tuple[str, dict[str, Any]]:
    """The WHERE clause of one company's filtered set (sales_lines), shared by the page and the export."""
    scope = resolve_scope(con, company_id, filters.warehouse_code)
    return filtered_lines_where(con, scope, filters, alias)


def filtered_lines_where(
    con, scope: Scope, filters: HistoryFilters, alias: str = "l", *, orders_table: bool = False
) -> tuple[str, dict[str, Any]]:
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
        sku = lookup_text(filters.product_sku, max_length=MAX_SKU)
        ids = (
            []
            if sku is None
            else [
                row[0]
                for row in con.execute(
                    "SELECT id FROM products WHERE company_id = $c AND sku = $sku", {"c": scope.company_id, "sku": sku}
                ).fetchall()
            ]
        )
        if not ids:
            raise NotFound(_("There is no product with SKU {sku} in your catalogue.", sku=shown(filters.product_sku)))
        where += f" AND {p}product_id IN ({', '.join(str(int(i)) for i in ids)})"
    if filters.buyer_code:
        code = lookup_text(filters.buyer_code, max_length=MAX_BUYER_CODE)
        row = (
            None if code is None else con.execute("SELECT id FROM buyers WHERE buyer_code = $b", {"b": code}).fetchone()
        )
        if row is None:
            raise NotFound(_("There is no buyer {code}.", code=shown(filters.buyer_code)))
        where += f" AND {p}buyer_id = $buyer_id"
        params["buyer_id"] = int(row[0])
    if filters.min_total is not None:
        where += f" AND {total} >= $min_total"
        params["min_total"] = filters.min_total
    if filters.max_total is not None:
        where += f" AND {total} <= $max_total"
        params["max_total"] = filters.max_total
    if filters.payout_status is not None:  # the order's payout, which each of its lines carries too
        where += f" AND {p}payout_status = $payout_status"
        params["payout_status"] = filters.payout_status.value
    return where, params


def query_history_totals(con, where: str, params: dict, *, orders_where: str | None) -> HistoryTotals:
    """Lines, units and amount of the filtered lines; orders counted in the orders table with the
    same order-level filters (cheaper than distinct order ids), or, when a product filter keeps
    only some lines of an order, as the distinct orders of the filtered lines."""
    lines, units, amount, distinct = con.execute(
        f"""
        SELECT count(*), sum(quantity), sum(line_total), {"NULL" if orders_where else "count(DISTINCT order_id)"}
        FROM sales_lines l WHERE {where}
    """,
        params,
    ).fetchone()
    orders = (
        distinct
        if orders_where is None
        else con.execute(f"SELECT count(*) FROM orders o WHERE {orders_where}", params).fetchone()[0]
    )
    return HistoryTotals(as_int(lines), as_int(orders), as_int(units), as_int(amount))


_NEWEST_FIRST = "completed_at DESC, order_id DESC, item_id"
_OLDEST_FIRST = "completed_at, order_id, item_id DESC"
# "After" a key in newest-first order, and "before" it; item_id runs the other way within an order.
_AFTER = (
    "(completed_at < $kc OR (completed_at = $kc AND order_id < $ko)"
    " OR (completed_at = $kc AND order_id = $ko AND item_id > $ki))"
)
_BEFORE = (
    "(completed_at > $kc OR (completed_at = $kc AND order_id > $ko)"
    " OR (completed_at = $kc AND order_id = $ko AND item_id < $ki))"
)


def query_history_rows(
    con,
    where: str,
    params: dict,
    *,
    limit: int,
    offset: int = 0,
    total: int | None = None,
    after: RowKey | None = None,
    before: RowKey | None = None,
) -> list[HistoryRow]:
    """One page, newest completion first. With `after`/`before` (the last/first row of the page
    shown) it seeks from that row (keyset paging: as fast on page 5,000 as on page 1); otherwise
    it skips `offset` rows, from whichever end of the set is nearer."""
    params = {**params, "limit": limit}
    reverse = False
    key = after if after is not None else before
    if key is not None:
        kc, ko, ki = key
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
    rows = con.execute(
        f"""
        SELECT l.completed_at, l.order_id, l.item_id, l.order_number, l.placed_at, l.utc_offset_min, w.zone_abbr,
               w.code, b.buyer_code, b.name, l.product_name, l.sku, l.quantity, l.unit_price, l.line_total,
               l.payout_status, l.payout_paid_at, l.payout_reference
        FROM (SELECT * FROM sales_lines l WHERE {where}
              ORDER BY {_OLDEST_FIRST if reverse else _NEWEST_FIRST} LIMIT $limit OFFSET $offset) l
        LEFT JOIN warehouses w ON w.id = l.warehouse_id
        LEFT JOIN buyers b ON b.id = l.buyer_id
        ORDER BY l.{_NEWEST_FIRST.replace(", ", ", l.")}
    """,
        params,
    ).fetchall()
    return [
        HistoryRow(
            (completed, int(order_id), int(item_id)),
            number,
            as_utc(placed),
            as_utc(completed),
            int(offset_min or 0),
            abbr or "",
            code or "",
            buyer_code or "",
            buyer or "",
            product,
            sku,
            int(qty),
            int(price),
            int(total),
            payout_status,
            None if paid is None else as_utc(paid),
            reference,
        )
        for (
            completed,
            order_id,
            item_id,
            number,
            placed,
            offset_min,
            abbr,
            code,
            buyer_code,
            buyer,
            product,
            sku,
            qty,
            price,
            total,
            payout_status,
            paid,
            reference,
        ) in rows
    ]


# --------------------------------------------------------------------------- the page


def load_history(
    store: Store,
    analytics: AnalyticsStore,
    actor: Actor,
    filters: HistoryFilters,
    page: int = 1,
    page_size: int = HISTORY_PAGE_SIZE,
    *,
    after: RowKey | None = None,
    before: RowKey | None = None,
    remembered: bool = True,
) -> HistoryPage:
    """One page of completed sales (one row per order line) and the totals of the whole filtered set.

    `page` is the page's number; for the page after (before) the one on screen pass also its last
    (first) row's key as `after` (`before`): the page is then found by seeking, not by counting rows.
    The person's right is checked on every call; a page is read once per snapshot (`remembered=False`:
    read again, for the benchmarks).
    """
    require_role(actor, Role.PRODUCT_MANAGER, doing=N_("see the transaction history"))
    if page < 1:
        raise InvalidInput(_("Pages are numbered from 1."), field="page")
    if not 1 <= page_size <= 1000:
        raise InvalidInput(_("A page holds between 1 and 1,000 rows."), field="page_size")
    if after is not None and before is not None:
        raise InvalidInput(_("Page from one side at a time."), field="page")
    check_product_manager(store, actor, doing=N_("see the transaction history"))
    company_id = actor.company_id
    with analytics.reading() as snap:

        def read() -> HistoryPage:
            return _read_history(snap, company_id, filters, page, page_size, after, before)

        if not remembered:
            return read()
        return snap.remembered(("history", company_id, filters, page, page_size, after, before), read)


def _read_history(
    snap: Snapshot,
    company_id: int,
    filters: HistoryFilters,
    page: int,
    page_size: int,
    after: RowKey | None,
    before: RowKey | None,
) -> HistoryPage:
    timings: dict[str, float] = {}
    con = snap.con
    scope = resolve_scope(con, company_id, filters.warehouse_code)
    where, params = filtered_lines_where(con, scope, filters)
    orders_where = None if filters.product_sku else filtered_lines_where(con, scope, filters, "o", orders_table=True)[0]
    totals = timed(timings, "totals", lambda: query_history_totals(con, where, params, orders_where=orders_where))
    page_count = max(1, -(-totals.lines // page_size))
    if page > page_count:
        page, after, before = page_count, None, None
    started = time.perf_counter()
    rows = query_history_rows(
        con,
        where,
        params,
        limit=page_size,
        offset=(page - 1) * page_size,
        total=totals.lines,
        after=after,
        before=before,
    )
    timings["rows"] = round((time.perf_counter() - started) * 1000, 3)
    return HistoryPage(
        info=snap.info,
        filters=filters,
        rows=rows,
        totals=totals,
        page=page,
        page_size=page_size,
        timings_ms=timings,
    )


def history_options(store: Store, analytics: AnalyticsStore, actor: Actor) -> HistoryOptions:
    """What the history filters offer: the company's warehouses, products, and buyers it sold to."""
    check_product_manager(store, actor, doing=N_("see the transaction history"))
    company_id = actor.company_id
    with analytics.reading() as snap:
        return snap.remembered(("history_options", company_id), lambda: _read_options(snap.con, company_id))


def _read_options(con, company_id: int) -> HistoryOptions:
    products = con.execute(
        "SELECT sku, name FROM products WHERE company_id = $c ORDER BY name, sku", {"c": company_id}
    ).fetchall()
    buyers = con.execute(
        """
        SELECT buyer_code, name FROM buyers
        WHERE id IN (SELECT DISTINCT buyer_id FROM orders WHERE company_id = $c AND status = 'COMPLETED')
        ORDER BY name, buyer_code
    """,
        {"c": company_id},
    ).fetchall()
    return HistoryOptions(query_warehouses(con, company_id), [(s, n) for s, n in products], [(c, n) for c, n in buyers])
