"""The scheduler's warning scan: what nobody's step causes but time does, told once.

`scan_warnings(store, now)` runs after each deadline sweep (jobs/scheduler.py) and writes:

- CONFIRM_HALF_GONE: an order waiting for confirmation whose `confirm_half_at` has come (and its
  `confirm_last_at` not yet: a scan after an outage sends the more urgent warning only);
- CONFIRM_2H_LEFT: one whose `confirm_last_at` has come (both instants fixed at placing, in the
  warehouse's business time: core.orders.lifecycle.confirm_warnings); both only before its deadline;
- PACK_OVERDUE: an order still being packed past its packing deadline (the buyer may now cancel);
- COMPLAINT_12H_LEFT: a complaint not answered 12 hours before its deadline;
- LOW_STOCK: a product (active) whose available units (on hand - reserved) in an open warehouse are
  below core.catalogue.rules.LOW_STOCK_LEVEL; at most once per stock level and local day (subject
  "stock:<stock level id>:<local date>"). Found here, by the scan, rather than in every step that
  moves stock (placing, shipping, a manual stock edit, a CSV import): one set-based query over
  stock_levels catches every cause, including the ones to come, within one scheduler interval;
- CLOSURE_TOMORROW (System Administrators): a warehouse closure on the warehouse's local tomorrow, when
  the warehouse would otherwise work that day (subject "closure:<closure id>").

Quiet by design: an order hears of each kind at most once (subject "order:<id>"), and a warning waits
while its warehouse is closed (core.warehouses.business_time.is_open), unless its deadline comes
before the warehouse's next opening, in which case it goes now. Nothing is told of an order that has
moved on or whose deadline has passed: the statement that writes the rows checks the order again.

Exactly once however often it runs: candidates are selected set-based (each kind one query, leaving
out what was already told: orders by the (order, kind) index, stock levels and closures by the unique
(user, kind, subject) index), the hours are checked in Python on those few rows, and the rows are
written with one INSERT .. SELECT per batch of 5,000 that re-checks the order's status and deadline and
skips (ON CONFLICT DO NOTHING on the unique (user, kind, subject)) whatever another scheduler wrote
meanwhile.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, Integer, and_, case, cast, exists, literal, literal_column, null, or_, select
from sqlalchemy.orm import Session

from core.catalogue.rules import LOW_STOCK_LEVEL
from core.clock import require_aware
from core.domain import NotificationKind, OrderStatus, ProductStatus, WarehouseStatus
from core.logs import log_event
from core.notifications.kinds import KINDS
from core.notifications.notify import (
    dialect_of,
    facts_json,
    insert_notifications,
    order_rows,
    recipients,
    subject,
    users_t,
    warehouses_t,
)
from core.orders.effects import among
from core.store.database import Store
from core.store.models import (
    Product,
    UtcDateTime,
    Warehouse,
    WarehouseClosure,
    notifications_t,
    orders_t,
    stock_t,
)
from core.warehouses.business_time import (
    INDONESIAN_TIME_ZONES,
    OperatingCalendar,
    is_open,
    is_working_day,
    next_opening,
)
from core.warehouses.operations import calendar_of

K = NotificationKind
#: Rows written by one statement (and ids in one IN list: SQLite takes at most 32,766 parameters).
BATCH_SIZE = 5000
COMPLAINT_WARNING = timedelta(hours=12)

products_t = Product.__table__
closures_t = WarehouseClosure.__table__
o, n = orders_t.c, notifications_t.c


# --- the warehouse's hours ----------------------------------------------------------------------------


class Hours:
    """Whether a warning about a warehouse may go at `now`: while it is open, or at once when the
    deadline comes before its next opening. Calendars are read once per scan, for the warehouses that
    have something to tell."""

    def __init__(self, now: datetime):
        self.now = now
        self.calendars: dict[int, OperatingCalendar | None] = {}
        self._open: dict[int, bool] = {}
        self._next: dict[int, datetime | None] = {}

    def load(self, session: Session, warehouse_ids: Iterable[int]) -> None:
        wanted = sorted(set(warehouse_ids) - set(self.calendars))
        if not wanted:
            return
        for warehouse in session.scalars(select(Warehouse).where(Warehouse.id.in_(wanted))):
            try:
                self.calendars[warehouse.id] = calendar_of(session, warehouse)
            except ValueError:  # a calendar that cannot be built: tell at once rather than never
                self.calendars[warehouse.id] = None

    def calendar(self, warehouse_id: int) -> OperatingCalendar | None:
        return self.calendars.get(warehouse_id)

    def is_open(self, warehouse_id: int) -> bool:
        if warehouse_id not in self._open:
            calendar = self.calendars.get(warehouse_id)
            self._open[warehouse_id] = calendar is None or is_open(calendar, self.now)
        return self._open[warehouse_id]

    def next_opening(self, warehouse_id: int) -> datetime | None:
        if warehouse_id not in self._next:
            calendar = self.calendars.get(warehouse_id)
            try:
                self._next[warehouse_id] = None if calendar is None else next_opening(calendar, self.now)
            except ValueError:  # never opens again within the search horizon
                self._next[warehouse_id] = None
        return self._next[warehouse_id]

    def may_tell(self, warehouse_id: int, deadline: datetime | None) -> bool:
        if self.is_open(warehouse_id):
            return True
        if deadline is None:
            return False
        opening = self.next_opening(warehouse_id)
        return opening is None or deadline < opening


# --- writing ----------------------------------------------------------------------------------------------


def _batches(ids: list[int]) -> Iterable[list[int]]:
    for start in range(0, len(ids), BATCH_SIZE):
        yield ids[start : start + BATCH_SIZE]


def told_subjects(
    session: Session, kind: NotificationKind, company_ids: Iterable[int], subjects: list[str]
) -> set[str]:
    """Which of `subjects` the recipients of `kind` in these companies were already told of: looked up
    through the unique (user, kind, subject) index, user by user, whatever the table's size."""
    if not subjects:
        return set()
    users = list(
        session.scalars(
            select(users_t.c.id).where(
                users_t.c.company_id.in_(sorted(set(company_ids))), users_t.c.role == KINDS[kind].audience.value
            )
        )
    )
    told: set[str] = set()
    for start in range(0, len(subjects), BATCH_SIZE):
        told.update(
            session.scalars(
                select(n.subject).where(
                    n.user_id.in_(users), n.kind == kind.value, n.subject.in_(subjects[start : start + BATCH_SIZE])
                )
            )
        )
    return told


def _write(store: Store, ids: list[int], rows_for: Callable[[Session, list[int]], Any], now: datetime) -> int:
    """Write the rows `rows_for(session, batch)` selects, one transaction per batch; how many were new."""
    written = 0
    for batch in _batches(sorted(ids)):
        with store.transaction() as session:
            written += len(insert_notifications(session, rows_for(session, batch), now))
    return written


# --- the order warnings -------------------------------------------------------------------------------


@dataclass(frozen=True)
class OrderWarning:
    kind: NotificationKind
    due: Callable[[datetime], ColumnElement[bool]]  # which orders are due for it at `now`, in SQL

    @property
    def deadline(self) -> str:
        column = KINDS[self.kind].deadline
        assert column is not None  # every order warning is about a deadline
        return column


ORDER_WARNINGS: tuple[OrderWarning, ...] = (
    OrderWarning(
        K.CONFIRM_HALF_GONE,
        lambda now: and_(
            o.status == OrderStatus.PENDING_CONFIRMATION.value,
            o.confirm_half_at <= now,
            o.confirm_deadline > now,
            or_(o.confirm_last_at.is_(None), o.confirm_last_at > now),
        ),
    ),
    OrderWarning(
        K.CONFIRM_2H_LEFT,
        lambda now: and_(
            o.status == OrderStatus.PENDING_CONFIRMATION.value, o.confirm_last_at <= now, o.confirm_deadline > now
        ),
    ),
    OrderWarning(
        K.PACK_OVERDUE,
        lambda now: and_(o.status == OrderStatus.PROCESSING.value, o.pack_deadline <= now),
    ),
    OrderWarning(
        K.COMPLAINT_12H_LEFT,
        lambda now: and_(
            o.status == OrderStatus.COMPLAINED.value,
            o.complaint_deadline > now,
            o.complaint_deadline <= now + COMPLAINT_WARNING,
        ),
    ),
)


def warn_orders(store: Store, warning: OrderWarning, now: datetime) -> int:
    """Tell each order due for `warning` at `now`, once; returns how many notifications were written."""
    deadline = o[warning.deadline]
    hours = Hours(now)
    with store.reading() as session:
        candidates = session.execute(
            select(o.id, o.warehouse_id, deadline).where(
                warning.due(now), ~exists().where(n.order_id == o.id, n.kind == warning.kind.value)
            )
        ).all()
        hours.load(session, {row.warehouse_id for row in candidates})
    ids = [row.id for row in candidates if hours.may_tell(row.warehouse_id, row[2])]

    def rows(session: Session, batch: list[int]) -> Any:
        # Orders already told were left out above; one told meanwhile by another scheduler is skipped by
        # ON CONFLICT. (A per-user NOT EXISTS here lets PostgreSQL plan on stale statistics of a
        # notifications table that this very scan grows: a merge anti join that is quadratic.)
        return order_rows(session, warning.kind, and_(among(o.id, batch, dialect_of(session)), warning.due(now)), now)

    return _write(store, ids, rows, now)


# --- low stock ----------------------------------------------------------------------------------------------


def local_dates(now: datetime, days: int = 0) -> dict[str, date]:
    """Each Indonesian zone's local date at `now` (plus `days`)."""
    return {zone: (now.astimezone(ZoneInfo(zone)) + timedelta(days=days)).date() for zone in INDONESIAN_TIME_ZONES}


def warn_low_stock(store: Store, now: datetime) -> int:
    """Tell the Product Managers of each stock level now below the low-stock level, once per local day,
    while its warehouse is open."""
    s, p, w = stock_t.c, products_t.c, warehouses_t.c
    low = and_(
        s.on_hand - s.reserved < LOW_STOCK_LEVEL,
        p.status == ProductStatus.ACTIVE.value,
        p.deleted_at.is_(None),
        w.status == WarehouseStatus.OPEN.value,
    )
    levels = stock_t.join(products_t, p.id == s.product_id).join(warehouses_t, w.id == s.warehouse_id)
    kind = K.LOW_STOCK
    dates = {zone: day.isoformat() for zone, day in local_dates(now).items()}
    hours = Hours(now)
    with store.reading() as session:
        candidates = session.execute(
            select(s.id, s.warehouse_id, w.time_zone, p.company_id).select_from(levels).where(low)
        ).all()
        hours.load(session, {row.warehouse_id for row in candidates})
        due = {
            row.id: (row.company_id, f"stock:{row.id}:{dates.get(row.time_zone, now.date().isoformat())}")
            for row in candidates
            if hours.may_tell(row.warehouse_id, None)
        }
        told = told_subjects(session, kind, {c for c, _ in due.values()}, [subject for _, subject in due.values()])
    ids = [level_id for level_id, (_, subject_of) in due.items() if subject_of not in told]
    today = case(dates, value=w.time_zone, else_=now.date().isoformat())
    subject_of = subject("stock", s.id) + literal(":") + today

    def rows(session: Session, batch: list[int]) -> Any:
        dialect = dialect_of(session)
        facts = facts_json(
            dialect,
            sku=p.sku,
            product=p.name,
            unit=p.unit,
            warehouse=w.code,
            available=s.on_hand - s.reserved,
            level=literal_column(str(int(LOW_STOCK_LEVEL))),
        )
        return (
            select(
                users_t.c.id,
                p.company_id,
                literal(kind.value),
                subject_of,
                cast(null(), Integer),
                facts,
                literal(now, UtcDateTime()),
            )
            .select_from(levels.join(users_t, recipients(KINDS[kind].audience, p.company_id)))
            .where(among(s.id, batch, dialect), low)
            .order_by(s.id, users_t.c.id)
        )

    return _write(store, ids, rows, now)


# --- warehouse closures ----------------------------------------------------------------------------------


def warn_closures(store: Store, now: datetime) -> int:
    """Tell the System Administrators of each open warehouse closed tomorrow (its local tomorrow) that
    would otherwise work that day, once per closure."""
    c, w = closures_t.c, warehouses_t.c
    tomorrow = local_dates(now, days=1)
    hours = Hours(now)
    with store.reading() as session:
        candidates = session.execute(
            select(c.id, c.warehouse_id, c.day, w.time_zone, w.company_id)
            .join(warehouses_t, w.id == c.warehouse_id)
            .where(w.status == WarehouseStatus.OPEN.value, c.day.in_(sorted(set(tomorrow.values()))))
        ).all()
        hours.load(session, {row.warehouse_id for row in candidates})
        due: dict[int, int] = {}  # closure id: company id
        for closure_id, warehouse_id, day, zone, company_id in candidates:
            calendar = hours.calendar(warehouse_id)
            if zone not in tomorrow or day != tomorrow[zone]:
                continue
            if calendar is not None and not is_working_day(replace(calendar, closures=calendar.closures - {day}), day):
                continue  # closed that day anyway: the closure changes nothing
            if hours.may_tell(warehouse_id, datetime.combine(day, time.min, ZoneInfo(zone))):
                due[closure_id] = company_id
        kind = K.CLOSURE_TOMORROW
        told = told_subjects(session, kind, set(due.values()), [f"closure:{closure_id}" for closure_id in due])
    ids = [closure_id for closure_id in due if f"closure:{closure_id}" not in told]
    subject_of = subject("closure", c.id)

    def rows(session: Session, batch: list[int]) -> Any:
        dialect = dialect_of(session)
        facts = facts_json(dialect, warehouse=w.code, warehouse_name=w.name, day=c.day, reason=c.reason)
        return (
            select(
                users_t.c.id,
                w.company_id,
                literal(kind.value),
                subject_of,
                cast(null(), Integer),
                facts,
                literal(now, UtcDateTime()),
            )
            .select_from(
                closures_t.join(warehouses_t, w.id == c.warehouse_id).join(
                    users_t, recipients(KINDS[kind].audience, w.company_id)
                )
            )
            .where(among(c.id, batch, dialect), w.status == WarehouseStatus.OPEN.value)
            .order_by(c.id, users_t.c.id)
        )

    return _write(store, ids, rows, now)


# --- the scan -------------------------------------------------------------------------------------------------


def _order_rule(warning: OrderWarning) -> Callable[[Store, datetime], int]:
    return lambda store, now: warn_orders(store, warning, now)


#: (name, rule) in the order a scan runs them; a rule takes (store, now) and returns how many
#: notifications it wrote.
SCAN_RULES: list[tuple[str, Callable[[Store, datetime], int]]] = [
    *((w.kind.value.lower(), _order_rule(w)) for w in ORDER_WARNINGS),
    (K.LOW_STOCK.value.lower(), warn_low_stock),
    (K.CLOSURE_TOMORROW.value.lower(), warn_closures),
]


def scan_warnings(store: Store, now: datetime) -> dict[str, int]:
    """Every warning due at `now`, each told once: {rule name ("confirm_half_gone", ...): notifications
    written}. A rule that fails is logged and counted under "failed_rules"; the others still run."""
    now = require_aware(now)
    counts: dict[str, int] = {}
    failed = 0
    for name, rule in SCAN_RULES:
        try:
            counts[name] = rule(store, now)
        except Exception as exc:  # one rule failing must not stop the others; the next scan retries
            failed += 1
            log_event(
                "warning_scan_rule_failed", level=logging.ERROR, rule=name, error=f"{type(exc).__name__}: {exc}"[:300]
            )
    if failed:
        counts["failed_rules"] = failed
    return counts
