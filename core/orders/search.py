"""Finding a company's orders: the Sales Management stages, one search over every order whatever its
stage, the counts beside each stage, and paging.

A count and its list always come from the same filters, so they agree. Counts stop at COUNT_CAP
(shown as "more than …"): counting a million rows to print one number would cost more than the
page itself. Open orders sort by the deadline that matters in their status (the lifecycle's
WAITING table); finished orders have none and sort after them, the most recently placed first
(the company's placed-date index serves that; an order's finishing time has no index).

Speed at a million orders (bench/order_search.py: every page under 100 ms on SQLite and PostgreSQL)
comes from the shapes of the queries, each measured: open and finished orders in two queries, a
page's ids sorted from the orders alone before its rows are joined, no status condition for "all",
a search's buyers and products looked up first, and a product search counted from its lines.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import false, func, or_, select
from sqlalchemy.sql import ColumnElement, Select

from core.acting import Actor, acting
from core.domain import FailureKind, OrderStatus, PayoutStatus, Role
from core.errors import InvalidInput
from core.i18n import N_, _, gettext
from core.orders.lifecycle import SELLER_DEADLINES, WAITING
from core.orders.steps import order_number, said_text
from core.orders.views import deadline_that_matters
from core.store.database import Store
from core.store.models import Buyer, Order, OrderItem, Payout, Product, Refund, Shipment, Warehouse
from core.text import clean_text

PM = Role.PRODUCT_MANAGER
SEE_ORDERS = N_("see orders")
S = OrderStatus

#: Counts stop here: "more than 10,000" is all a person needs to know to narrow the search.
COUNT_CAP = 10_000
PAGE_SIZES = (25, 50, 100)
MAX_SEARCH = 100


@dataclass(frozen=True)
class Stage:
    key: str  # stable: it goes into links (?stage=to-ship)
    label: str  # a msgid: translated where shown (gettext)
    statuses: tuple[OrderStatus, ...]
    deadline_label: str | None  # the column heading of the deadline that matters in this stage (a msgid)


#: The Sales Management stages, in the order of the lifecycle; "all" is every order.
STAGES: dict[str, Stage] = {
    stage.key: stage
    for stage in (
        Stage("new", N_("New"), (S.PENDING_CONFIRMATION,), N_("Confirm by")),
        Stage("processing", N_("Processing"), (S.PROCESSING,), N_("Pack by")),
        Stage("to-ship", N_("To ship"), (S.READY_TO_SHIP,), N_("Deliver by")),
        Stage("in-transit", N_("In transit"), (S.SHIPPED, S.DELIVERED), N_("Next deadline")),
        Stage("complaints", N_("Complaints"), (S.COMPLAINED, S.RETURN_REQUESTED), N_("Answer by")),
        Stage("finished", N_("Finished"), (S.COMPLETED, S.REFUNDED), None),
        Stage("failed", N_("Failed"), (S.REJECTED, S.CANCELLED), None),
        Stage("all", N_("All orders"), tuple(OrderStatus), N_("Next deadline")),
    )
}
OPEN_STATUSES = tuple(WAITING)
STAGE_OF_STATUS = {status: stage for stage in STAGES.values() if stage.key != "all" for status in stage.statuses}


class Sort:
    DEADLINE = "deadline"  # soonest deadline first; finished orders after, newest first
    PLACED = "placed"  # newest first
    TOTAL = "total"  # largest first


#: The sorts a person may choose, by key, each with its label (a msgid: translated where shown).
SORTS = {
    Sort.DEADLINE: N_("Deadline, soonest first"),
    Sort.PLACED: N_("Placed, newest first"),
    Sort.TOTAL: N_("Total, largest first"),
}


@dataclass(frozen=True)
class OrderQuery:
    """What the person asked for. Dates are the warehouse's (or WIB's) calendar days, both included."""

    stage: str = "all"
    text: str = ""
    warehouse_code: str | None = None
    placed_from: date | None = None
    placed_to: date | None = None
    sort: str = Sort.DEADLINE
    page: int = 1
    page_size: int = 50
    failure_kind: FailureKind | None = None


@dataclass(frozen=True)
class FoundOrder:
    order_number: str
    status: OrderStatus
    stage: str
    placed_at: datetime
    deadline: datetime | None
    warehouse_code: str
    time_zone: str
    buyer_name: str
    buyer_code: str
    total_amount: int
    item_count: int
    closed_at: datetime | None
    completed_at: datetime | None
    failure_kind: FailureKind | None
    failure_reason: str | None
    courier: str | None = None
    tracking_number: str | None = None
    payout_status: PayoutStatus | None = None
    paid_at: datetime | None = None
    transfer_reference: str | None = None
    refund_amount: int | None = None


@dataclass(frozen=True)
class OrderPage:
    rows: list[FoundOrder]
    total: int  # capped at COUNT_CAP + 1: more than COUNT_CAP
    page: int
    page_size: int
    query: OrderQuery = field(repr=False)

    @property
    def named_order(self) -> str | None:
        """The one order the search text named by its number, if it did (to open it at once)."""
        if len(self.rows) == 1 and self.query.text:
            number = self.rows[0].order_number
            return number if number in numbers_named_by(self.query.text) else None
        return None

    @property
    def more_than_cap(self) -> bool:
        return self.total > COUNT_CAP

    @property
    def pages(self) -> int:
        return max(1, -(-min(self.total, COUNT_CAP) // self.page_size))

    @property
    def first(self) -> int:
        return (self.page - 1) * self.page_size + 1 if self.rows else 0

    @property
    def last(self) -> int:
        return self.first + len(self.rows) - 1 if self.rows else 0


# --- the period presets ----------------------------------------------------------------------------

#: The periods a person may choose: each is its own key and its label (a msgid: gettext where shown).
PRESETS = (N_("Any time"), N_("Today"), N_("Last 7 days"), N_("Last 30 days"), N_("This month"))


def preset_period(preset: str, now: datetime, time_zone: str = "Asia/Jakarta") -> tuple[date | None, date | None]:
    """The calendar days a preset names, in `time_zone` (both ends included)."""
    today = now.astimezone(ZoneInfo(time_zone)).date()
    periods = {
        "Any time": (None, None),
        "Today": (today, today),
        "Last 7 days": (today - timedelta(days=6), today),
        "Last 30 days": (today - timedelta(days=29), today),
        "This month": (today.replace(day=1), today),
    }
    if preset not in periods:
        raise InvalidInput(
            _(
                "Unknown period {period}; choose one of {choices}.",
                period=repr(preset),
                choices=", ".join(gettext(p) for p in PRESETS),
            ),
            field="period",
        )
    return periods[preset]


# --- the filters, shared by the counts and the lists -----------------------------------------------


_KP_NUMBER = re.compile(r"(?i)^(?:kp[\s-]*)?0*(\d{1,8})$")


def numbers_named_by(text: str) -> set[str]:
    """The order numbers `text` names when it is an order number: as typed, or a KP number by its
    digits ("kp 998", "998" for KP-00000998)."""
    numbers = {text.upper()}
    if short := _KP_NUMBER.match(text):
        numbers.add(order_number(int(short.group(1))))
    return numbers


@dataclass(frozen=True)
class _TextMatch:
    """What the search text found, looked up once per request: an order number, or the matching
    buyers and products (ids, or a subquery when there are very many)."""

    by_number: ColumnElement[bool] | None = None
    buyers: list[int] | Select | None = None
    products: list[int] | Select | None = None

    @property
    def lines_only(self) -> bool:
        """Only products matched: the orders are found through their lines."""
        return self.by_number is None and self.buyers is None and self.products is not None

    def condition(self, *, from_lines: bool) -> ColumnElement[bool]:
        """from_lines: the orders among the product's lines (IN), the cheap way for a count or for a
        small set of orders on PostgreSQL; else each order asks for such a line (EXISTS), the cheap way
        for a page walked in its sort order. A UNION of both sides made the store build the whole
        matching set first (0.8 s at 1 M orders)."""
        if self.by_number is not None:
            return self.by_number
        found: list[ColumnElement[bool]] = []
        if self.buyers is not None:
            found.append(Order.buyer_id.in_(self.buyers))
        if self.products is not None:
            if from_lines:
                found.append(Order.id.in_(select(OrderItem.order_id).where(OrderItem.product_id.in_(self.products))))
            else:
                line = select(OrderItem.id).where(
                    OrderItem.order_id == Order.id, OrderItem.product_id.in_(self.products)
                )
                found.append(line.exists())
        return or_(*found) if found else false()


def _text_match(session, actor: Actor, text: str) -> _TextMatch:
    """An order number typed in full (or KP- numbers by their digits) finds that order alone;
    anything else finds orders whose buyer (name or code) or a line's product (SKU or name) matches."""
    by_number = Order.order_number.in_(sorted(numbers_named_by(text)))
    if session.scalar(select(Order.id).where(Order.company_id == actor.company_id, by_number).limit(1)):
        return _TextMatch(by_number=by_number)
    needle = text.lower()
    buyers = list(session.scalars(_buyers_like(needle).limit(MAX_LISTED_IDS + 1)))
    products = list(session.scalars(_products_like(actor, needle).limit(MAX_LISTED_IDS + 1)))
    return _TextMatch(
        buyers=(buyers if len(buyers) <= MAX_LISTED_IDS else _buyers_like(needle)) if buyers else None,
        products=(products if len(products) <= MAX_LISTED_IDS else _products_like(actor, needle)) if products else None,
    )


#: Matching buyers or products listed by id in the query up to this many; more go in as a subquery.
MAX_LISTED_IDS = 2_000


def _buyers_like(needle: str):
    return select(Buyer.id).where(
        or_(func.lower(Buyer.name).contains(needle, autoescape=True), func.lower(Buyer.buyer_code) == needle)
    )


def _products_like(actor: Actor, needle: str):
    return select(Product.id).where(
        Product.company_id == actor.company_id,
        or_(func.lower(Product.sku) == needle, func.lower(Product.name).contains(needle, autoescape=True)),
    )


def _placed_bounds(query: OrderQuery, time_zone: str) -> tuple[datetime | None, datetime | None]:
    zone = ZoneInfo(time_zone)
    start = datetime.combine(query.placed_from, time(0), zone).astimezone(UTC) if query.placed_from else None
    end = (
        datetime.combine(query.placed_to + timedelta(days=1), time(0), zone).astimezone(UTC)
        if query.placed_to
        else None
    )
    return start, end


def _check(query: OrderQuery) -> OrderQuery:
    if query.stage not in STAGES:
        raise InvalidInput(_("Unknown stage {stage}.", stage=repr(query.stage)), field="stage")
    if query.sort not in SORTS:
        raise InvalidInput(
            _("Unknown sort {sort}; choose one of {choices}.", sort=repr(query.sort), choices=", ".join(SORTS)),
            field="sort",
        )
    if query.page < 1 or query.page_size not in PAGE_SIZES:
        raise InvalidInput(
            _("Pages hold {sizes} orders and start at 1.", sizes=", ".join(map(str, PAGE_SIZES))), field="page"
        )
    if query.placed_from and query.placed_to and query.placed_from > query.placed_to:
        raise InvalidInput(_("The period ends before it starts: choose a 'from' date on or before the 'to' date."))
    text = clean_text(query.text, what=N_("search"), field="text", max_length=MAX_SEARCH, collapse_spaces=True)
    return replace(query, text=text)


@dataclass(frozen=True)
class _Filters:
    """A query's conditions, resolved once per request (the warehouse looked up, the period turned into
    UTC bounds, the search text matched); each count and list adds only its statuses."""

    common: tuple[ColumnElement[bool], ...]
    match: _TextMatch | None

    def where(self, statuses: tuple[OrderStatus, ...], *, from_lines: bool = False) -> list[ColumnElement[bool]]:
        """The WHERE clauses of one count or list (the text's as a count or a page needs it:
        `_TextMatch.condition`)."""
        where = list(self.common)
        if set(statuses) != set(OrderStatus):  # every status: no condition (it would steer the planner wrong)
            where.append(Order.status.in_(statuses))
        if self.match is not None:
            where.append(self.match.condition(from_lines=from_lines))
        return where


def _filters_of(session, actor: Actor, query: OrderQuery) -> _Filters:
    common: list[ColumnElement[bool]] = [Order.company_id == actor.company_id]
    time_zone = "Asia/Jakarta"
    if query.warehouse_code:
        warehouse = session.scalar(
            select(Warehouse).where(Warehouse.company_id == actor.company_id, Warehouse.code == query.warehouse_code)
        )
        if warehouse is None:
            raise InvalidInput(
                _("Warehouse {code} is not one of your company's.", code=query.warehouse_code), field="warehouse"
            )
        common.append(Order.warehouse_id == warehouse.id)
        time_zone = warehouse.time_zone
    start, end = _placed_bounds(query, time_zone)
    if start:
        common.append(Order.placed_at >= start)
    if end:
        common.append(Order.placed_at < end)
    if query.failure_kind:
        common.append(Order.failure_kind == query.failure_kind)
    return _Filters(tuple(common), _text_match(session, actor, query.text) if query.text else None)


def _count(session, filters: _Filters, statuses: tuple[OrderStatus, ...], *, cap: bool) -> int:
    """How many orders the filters find (at most COUNT_CAP + 1 with `cap`). A search that matched only
    products counts from their order lines: it stops after COUNT_CAP + 1 orders instead of first
    collecting every line of a product sold a hundred thousand times."""
    match = filters.match
    if match is not None and match.products is not None and match.lines_only:
        base = replace(filters, match=None).where(statuses)
        ids = select(OrderItem.order_id).where(OrderItem.product_id.in_(match.products))
        if len(base) > 1:  # more than the company (the products are its own, and so are their orders)
            ids = ids.join(Order, Order.id == OrderItem.order_id).where(*base)
        if not (isinstance(match.products, list) and len(match.products) == 1):
            ids = ids.distinct()  # one line per product per order (placing refuses a SKU twice)
    else:
        ids = select(Order.id).where(*filters.where(statuses, from_lines=True))
    counted = ids.limit(COUNT_CAP + 1) if cap else ids
    return session.scalar(select(func.count()).select_from(counted.subquery())) or 0


# --- the services ----------------------------------------------------------------------------------


def stage_counts(store: Store, actor: Actor, query: OrderQuery | None = None) -> dict[str, int]:
    """How many orders each stage holds under the same filters as its list (capped at COUNT_CAP + 1)."""
    query = _check(query or OrderQuery())
    with acting(store, actor, PM, doing=SEE_ORDERS, write=False) as (session, _user, _now):
        filters = _filters_of(session, actor, query)
        return {key: _count(session, filters, stage.statuses, cap=True) for key, stage in STAGES.items()}


def find_orders(store: Store, actor: Actor, query: OrderQuery) -> OrderPage:
    """One page of the orders `query` asks for, with its (capped) count from the same filters."""
    query = _check(query)
    stage = STAGES[query.stage]
    with acting(store, actor, PM, doing=SEE_ORDERS, write=False) as (session, _user, _now):
        filters = _filters_of(session, actor, query)
        total = _count(session, filters, stage.statuses, cap=True)
        offset = (query.page - 1) * query.page_size
        if query.sort == Sort.DEADLINE:
            rows = _by_deadline(session, filters, stage, offset, query.page_size)
        else:
            key = Order.placed_at.desc() if query.sort == Sort.PLACED else Order.total_amount.desc()
            rows = _page_rows(session, filters.where(stage.statuses), (key, Order.id.desc()), offset, query.page_size)
        found = _with_money_and_shipping(session, list(rows))
    return OrderPage(found, total, query.page, query.page_size, query)


def _page_rows(session, where, order_by: tuple, offset: int, limit: int) -> list:
    """The page's orders: their ids sorted and cut from the orders alone, then the rows to show for
    those few (joining warehouses and buyers before the sort cost PostgreSQL 70 ms at 1 M orders)."""
    ids = list(session.scalars(select(Order.id).where(*where).order_by(*order_by).offset(offset).limit(limit)))
    if not ids:
        return []
    place = {order_id: index for index, order_id in enumerate(ids)}
    rows = session.execute(_listing([Order.id.in_(ids)])).all()
    return sorted(rows, key=lambda row: place[row[0].id])


def _listing(where) -> Select:
    return (
        select(
            Order,
            deadline_that_matters().label("deadline"),
            Warehouse.code,
            Warehouse.time_zone,
            Buyer.name,
            Buyer.buyer_code,
        )
        .join(Warehouse, Warehouse.id == Order.warehouse_id)
        .join(Buyer, Buyer.id == Order.buyer_id)
        .where(*where)
    )


def _by_deadline(session, filters: _Filters, stage: Stage, offset: int, page_size: int) -> list:
    """Open orders by their deadline, then finished ones newest first: two index-friendly queries
    instead of one sort over every order of the company."""
    open_statuses = tuple(s for s in stage.statuses if s in OPEN_STATUSES)
    done_statuses = tuple(s for s in stage.statuses if s not in OPEN_STATUSES)
    rows: list = []
    open_count = 0
    if open_statuses:
        # The open orders are few; PostgreSQL finds those with a matching line fastest from the lines,
        # SQLite by asking each (bench/order_search.py: 96 ms against 197 ms, and 114 ms against 27 ms).
        postgres = session.get_bind().dialect.name == "postgresql"
        open_where = filters.where(open_statuses, from_lines=postgres)
        deadline = deadline_that_matters()
        rows = _page_rows(session, open_where, (deadline.is_(None), deadline.asc(), Order.id), offset, page_size)
        if rows:  # the page holds the last open ones, or only open ones: it says how many there are
            open_count = offset + len(rows)
        elif done_statuses and offset:  # a page past the open ones: count them to know where it starts
            open_count = _count(session, filters, open_statuses, cap=False)
    room = page_size - len(rows)
    if done_statuses and room > 0:
        done_where = filters.where(done_statuses)
        newest = (Order.placed_at.desc(), Order.id.desc())
        rows += _page_rows(session, done_where, newest, max(0, offset - open_count), room)
    return rows


def _with_money_and_shipping(session, rows: list) -> list[FoundOrder]:
    """Add each listed order's shipment, payout and refund: three small lookups for the page's orders."""
    ids = [order.id for order, *_ in rows]
    shipments = {  # columns, not the entity: the proof photo stays in the store
        s.order_id: s
        for s in session.execute(
            select(Shipment.order_id, Shipment.courier, Shipment.tracking_number).where(Shipment.order_id.in_(ids))
        )
    }
    payouts = {
        p.order_id: p
        for p in session.execute(
            select(Payout.order_id, Payout.status, Payout.paid_at, Payout.transfer_reference).where(
                Payout.order_id.in_(ids)
            )
        )
    }
    refunds = dict(session.execute(select(Refund.order_id, Refund.amount).where(Refund.order_id.in_(ids))).all())
    found = []
    for order, deadline, code, zone, buyer_name, buyer_code in rows:
        shipment, payout = shipments.get(order.id), payouts.get(order.id)
        found.append(
            FoundOrder(
                order_number=order.order_number,
                status=order.status,
                stage=STAGE_OF_STATUS[order.status].key,
                placed_at=order.placed_at,
                deadline=deadline,
                warehouse_code=code,
                time_zone=zone,
                buyer_name=buyer_name,
                buyer_code=buyer_code,
                total_amount=order.total_amount,
                item_count=order.item_count,
                closed_at=order.closed_at,
                completed_at=order.completed_at,
                failure_kind=order.failure_kind,
                failure_reason=said_text(order.failure_reason),  # in the reader's language if recorded
                courier=shipment.courier if shipment else None,
                tracking_number=shipment.tracking_number if shipment else None,
                payout_status=payout.status if payout else None,
                paid_at=payout.paid_at if payout else None,
                transfer_reference=payout.transfer_reference if payout else None,
                refund_amount=refunds.get(order.id),
            )
        )
    return found


# --- what needs doing now (the Dashboard's counters) ------------------------------------------------


@dataclass(frozen=True)
class AttentionCounts:
    """How many of the company's orders wait for the seller's staff, read live from the store: each
    figure is the count of one Sales Management stage's status, and `overdue` the orders whose
    deadline passed while it was still the seller's turn (they are late now, and the scheduler will
    act on them at its next sweep)."""

    to_confirm: int = 0  # waiting for confirmation: stage "new"
    to_pack: int = 0  # accepted, to pack: stage "processing"
    to_ship: int = 0  # packed, to hand to the courier: stage "to-ship"
    complaints_to_answer: int = 0  # complaints the seller must answer: stage "complaints"
    overdue: int = 0  # the seller's turn, past the deadline that matters: stage "all", by deadline


#: Which status each counter counts (the counter's own stage holds it).
ATTENTION_STATUSES: dict[str, OrderStatus] = {
    "to_confirm": S.PENDING_CONFIRMATION,
    "to_pack": S.PROCESSING,
    "to_ship": S.READY_TO_SHIP,
    "complaints_to_answer": S.COMPLAINED,
}


def attention_counts(store: Store, actor: Actor, now: datetime) -> AttentionCounts:
    """What needs doing now: the company's orders in each status where the seller must act, and how
    many of those are past their deadline at `now`. Two small queries on the (company, status) index,
    live from the store (not the analytics snapshot)."""
    with acting(store, actor, PM, doing=SEE_ORDERS, now=now, write=False) as (session, _user, now):
        by_status = dict(
            session.execute(
                select(Order.status, func.count())
                .where(Order.company_id == actor.company_id, Order.status.in_(list(ATTENTION_STATUSES.values())))
                .group_by(Order.status)
            ).all()
        )
        overdue = session.scalar(
            select(func.count())
            .select_from(Order)
            .where(
                Order.company_id == actor.company_id,
                Order.status.in_(list(SELLER_DEADLINES)),
                deadline_that_matters() < now,
            )
        )
    return AttentionCounts(
        **{name: by_status.get(status, 0) for name, status in ATTENTION_STATUSES.items()}, overdue=overdue or 0
    )
