"""How a warehouse works, set by the Product Manager: operating days, opening hours, processing
time, cuti bersama and closure dates; and `calendar_of`, the operating calendar the order steps
compute deadlines with.

A change applies to orders from then on: a deadline is computed when an order enters the state
it belongs to and is stored on the order, so no change here ever moves a stored deadline.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, time
from typing import Any, Protocol

from sqlalchemy import ColumnElement, String, bindparam, cast, func, select
from sqlalchemy.orm import Session

from core.acting import Actor, acting, require_role
from core.domain import Role
from core.errors import InvalidInput, NotFound
from core.i18n import N_, _
from core.store.database import Store
from core.store.models import WarehouseClosure, closures_t, warehouses_t
from core.warehouses.business_time import OperatingCalendar, non_working_days
from core.warehouses.records import apply_change, own_warehouse, record
from core.warehouses.rules import (
    Closure,
    WarehouseUpdate,
    check_hours,
    check_joint_leave,
    check_processing,
    clean_closure_reason,
    clean_operating_days,
    closure_days,
    local_today,
    written,
)

PM = Role.PRODUCT_MANAGER


def update_operations(
    store: Store,
    actor: Actor,
    code: str,
    *,
    operating_days,
    opens_at: time,
    closes_at: time,
    processing_days: int,
    observe_joint_leave: bool,
    now: datetime,
) -> WarehouseUpdate:
    """How a warehouse works: the business days behind the deadlines of orders from now on."""
    require_role(actor, PM, doing=N_("change warehouse operations"))
    check_hours(opens_at, closes_at)
    values = {
        "operating_days": clean_operating_days(operating_days),
        "opens_at": opens_at,
        "closes_at": closes_at,
        "processing_days": check_processing(processing_days),
        "observe_joint_leave": check_joint_leave(observe_joint_leave),
    }
    with acting(store, actor, PM, doing=N_("change warehouse operations"), now=now) as (session, _user, now):
        warehouse = own_warehouse(session, actor, code, lock=True)
        return apply_change(session, actor, warehouse, values, now, "warehouse.operations_changed")


# --- Closures ------------------------------------------------------------------------------------


def add_closures(
    store: Store, actor: Actor, code: str, first_day: date, last_day: date | None, reason: str, now: datetime
) -> list[date]:
    """Mark local dates on which the warehouse does not work (stock-taking, renovation, a local
    holiday). Dates already closed are left as they are. Returns the dates added."""
    require_role(actor, PM, doing=N_("plan warehouse closures"))
    reason = clean_closure_reason(reason)
    with acting(store, actor, PM, doing=N_("plan warehouse closures"), now=now) as (session, _user, now):
        warehouse = own_warehouse(session, actor, code, lock=True)
        days = closure_days(first_day, last_day, local_today(warehouse.time_zone, now))
        existing = set(
            session.scalars(
                select(WarehouseClosure.day).where(
                    WarehouseClosure.warehouse_id == warehouse.id, WarehouseClosure.day.in_(days)
                )
            )
        )
        new_days = [d for d in days if d not in existing]
        if not new_days:
            if len(days) == 1:
                said = _("Warehouse {code} is already closed on {day}.", code=warehouse.code, day=written(days[0]))
            else:
                said = _(
                    "Warehouse {code} is already closed on every day from {first} to {last}.",
                    code=warehouse.code,
                    first=written(days[0]),
                    last=written(days[-1]),
                )
            raise InvalidInput(said, field="day")
        session.add_all(WarehouseClosure(warehouse_id=warehouse.id, day=d, reason=reason) for d in new_days)
        warehouse.updated_at = now
        record(
            session,
            actor,
            now,
            "warehouse.closure_added",
            warehouse.code,
            days=[d.isoformat() for d in new_days],
            reason=reason,
        )
        return new_days


def remove_closure(store: Store, actor: Actor, code: str, day: date, now: datetime) -> None:
    """The warehouse works on `day` after all. Past closures stay, as the history of what was."""
    with acting(store, actor, PM, doing=N_("remove warehouse closures"), now=now) as (session, _user, now):
        warehouse = own_warehouse(session, actor, code, lock=True)
        closure = session.scalar(
            select(WarehouseClosure).where(WarehouseClosure.warehouse_id == warehouse.id, WarehouseClosure.day == day)
        )
        if closure is None:
            raise NotFound(_("Warehouse {code} has no closure on {day}.", code=warehouse.code, day=written(day)))
        if day < local_today(warehouse.time_zone, now):
            raise InvalidInput(
                _("The closure on {day} has already passed and is kept as history.", day=written(day)), field="day"
            )
        session.delete(closure)
        warehouse.updated_at = now
        record(
            session, actor, now, "warehouse.closure_removed", warehouse.code, day=day.isoformat(), reason=closure.reason
        )


def joint_leave_days(first_day: date, last_day: date) -> list[Closure]:
    """The national joint-leave days (cuti bersama) between two dates, with their names in the
    reader's language: what a warehouse that observes them skips on top of the public holidays."""

    def calendar(observe: bool) -> OperatingCalendar:
        return OperatingCalendar("Asia/Jakarta", frozenset({0}), time(8), time(17), observe_joint_leave=observe)

    days: list[Closure] = []
    for year in range(first_day.year, last_day.year + 1):
        with_leave, without = non_working_days(calendar(True), year), non_working_days(calendar(False), year)
        days += [Closure(d, name) for d, name in with_leave.items() if d not in without and first_day <= d <= last_day]
    return days


# --- The calendar the business-time rules read ---------------------------------------------------


class CalendarSource(Protocol):
    """What a calendar is made of: a stored Warehouse, or a row of its columns (placing reads one)."""

    @property
    def id(self) -> int: ...
    @property
    def company_id(self) -> int: ...
    @property
    def time_zone(self) -> str: ...
    @property
    def operating_days(self) -> str: ...
    @property
    def opens_at(self) -> time: ...
    @property
    def closes_at(self) -> time: ...
    @property
    def observe_joint_leave(self) -> bool: ...


# On the Table, not the model: a plain Core statement skips the ORM's per-statement work (placing runs it).
_CLOSURES = select(closures_t.c.day).where(closures_t.c.warehouse_id == bindparam("warehouse"))


def calendar_of(session: Session, warehouse: CalendarSource) -> OperatingCalendar:
    """The warehouse's operating calendar as it is now, closures included (read in the caller's
    unit of work)."""
    return calendar_with(warehouse, session.scalars(_CLOSURES, {"warehouse": warehouse.id}))


def calendar_with(warehouse: CalendarSource, closures: Iterable[date]) -> OperatingCalendar:
    """The warehouse's operating calendar with these closures (read by the caller)."""
    return OperatingCalendar(
        time_zone=warehouse.time_zone,
        operating_weekdays=frozenset(int(day) for day in warehouse.operating_days.split(",") if day != ""),
        opens=warehouse.opens_at,
        closes=warehouse.closes_at,
        closures=frozenset(closures),
        observe_joint_leave=warehouse.observe_joint_leave,
    )


def closures_from(day: Any) -> ColumnElement[Any]:
    """The warehouse row's closures on or after `day`, as one text "2026-12-24,2026-12-31" (None when
    there are none), for a query that reads the warehouse and its calendar at once (`parse_closures`)."""
    c = closures_t.c
    listed = select(func.aggregate_strings(cast(c.day, String), ",")).where(
        c.warehouse_id == warehouses_t.c.id, c.day >= day
    )
    return listed.scalar_subquery()


def parse_closures(listed: str | None) -> list[date]:
    return [date.fromisoformat(day) for day in (listed or "").split(",") if day]
