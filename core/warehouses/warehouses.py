"""Warehouses: the company's places of business and the operating calendar behind every deadline.

Two roles share them. The System Administrator adds, modifies, closes and reopens warehouses and
sets each one's delivery SLA (calendar days: couriers run every day). The Product Manager sets
how each warehouse works: operating days, opening and closing hours, processing time (business
days to pack), closure dates and whether joint-leave days (cuti bersama) are observed. Both read
the list.

A change applies to orders from then on: a deadline is computed when an order enters the state
it belongs to and is stored on the order, so no change here ever moves a stored deadline.

Every service checks the role first and reaches only the actor's own company's warehouses; another
company's warehouse is "not found". A refusal raises InvalidInput naming the field and why, and
leaves the store unchanged. Every change is written to the audit log in the same transaction.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from core import acting as accounts
from core.accounts import audit
from core.acting import Actor, require_role
from core.warehouses.business_time import INDONESIAN_TIME_ZONES, OperatingCalendar, non_working_days, zone_abbreviation
from core.clock import require_aware
from core.domain import ActorKind, Role, WarehouseStatus
from core.errors import DomainError, InvalidInput, NotFound
from core.orders.lifecycle import OPEN_STATUSES
from core.formats import format_local
from core.store.models import Order, Product, StockLevel, Warehouse, WarehouseClosure
from core.store.database import Store

ADMIN = Role.SYSTEM_ADMINISTRATOR
PM = Role.PRODUCT_MANAGER

# --- The rules, in one place -------------------------------------------------------------------

CODE_PATTERN = re.compile(r"[A-Z0-9][A-Z0-9-]{0,30}[A-Z0-9]")  # 2–32 characters, no dash at either end
MAX_NAME = 200
MAX_ADDRESS = 500
MAX_CLOSURE_REASON = 200
DEFAULT_SLA_DAYS = 3
DEFAULT_PROCESSING_DAYS = 2  # the FAQ's default
SLA_DAYS = (1, 30)  # calendar days
PROCESSING_DAYS = (1, 10)  # business days
#: Closures are planned at most this far ahead, and at most this many days at once: the business-
#: time rules give up after three closed years in a row, and a longer "closure" is a closing.
CLOSURE_HORIZON = timedelta(days=730)
MAX_CLOSURE_SPAN_DAYS = 92
#: How many order numbers / SKUs a refused closing names before "and N more".
NAMED_BLOCKERS = 5

WEEKDAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
ZONE_REGIONS = {
    "Asia/Jakarta": "Java, Sumatra, West and Central Kalimantan",
    "Asia/Makassar": "Bali, Nusa Tenggara, Sulawesi, South, East and North Kalimantan",
    "Asia/Jayapura": "Maluku and Papua",
}
#: Real Indonesian IANA zones the marketplace does not use, and the one to choose instead.
ZONE_ALIASES = {"Asia/Pontianak": "Asia/Jakarta"}
CHANGES_APPLY_FROM_NOW = ("Changes apply to orders from now on: deadlines already set on orders "
                          "(to confirm, pack or deliver) do not move.")


# --- What the pages read -----------------------------------------------------------------------

@dataclass(frozen=True)
class Closure:
    day: date
    reason: str


@dataclass(frozen=True)
class WarehouseView:
    """One warehouse as the lists show it, with what stands in the way of closing it."""

    code: str
    name: str
    address: str
    time_zone: str
    status: WarehouseStatus
    opens_at: time
    closes_at: time
    operating_days: tuple[int, ...]  # 0 = Monday
    processing_days: int
    delivery_sla_days: int
    observe_joint_leave: bool
    open_orders: int
    reserved_units: int
    updated_at: datetime
    closures: tuple[Closure, ...] = ()  # today's and later ones, in the warehouse's local dates

    @property
    def is_open(self) -> bool:
        return self.status == WarehouseStatus.OPEN

    @property
    def zone_abbreviation(self) -> str:
        return zone_abbreviation(self.time_zone)

    @property
    def zone_label(self) -> str:
        return zone_label(self.time_zone)

    @property
    def hours_label(self) -> str:
        """'08:00–17:00 WIB'."""
        return f"{self.opens_at:%H:%M}–{self.closes_at:%H:%M} {self.zone_abbreviation}"

    @property
    def days_label(self) -> str:
        return days_label(self.operating_days)


@dataclass(frozen=True)
class WarehouseUpdate:
    """The warehouse after a change, and what changed, in words: {"delivery SLA": ("3 days", "5 days")}."""

    warehouse: WarehouseView
    changes: dict[str, tuple[str, str]] = field(default_factory=dict)

    @property
    def summary(self) -> str:
        return "; ".join(f"{what} {before} → {after}" for what, (before, after) in self.changes.items())


class ClosingRefused(DomainError):
    """The warehouse still has open orders or reserved stock; the message names them."""

    def __init__(self, message: str, open_orders: list[str], reserved: dict[str, int]):
        super().__init__(message)
        self.open_orders = open_orders
        self.reserved = reserved


def zone_label(time_zone: str) -> str:
    """'WIB · Asia/Jakarta (Java, Sumatra, …)'."""
    return f"{zone_abbreviation(time_zone)} · {time_zone} ({ZONE_REGIONS[time_zone]})"


def days_label(days: tuple[int, ...] | list[int]) -> str:
    """(0, 1, 2, 3, 4) -> 'Mon–Fri'; (0, 2, 4) -> 'Mon, Wed, Fri'; runs of three or more get a dash."""
    runs: list[list[int]] = []
    for day in sorted(days):
        if runs and day == runs[-1][-1] + 1:
            runs[-1].append(day)
        else:
            runs.append([day])
    short = [name[:3] for name in WEEKDAY_NAMES]
    parts = []
    for run in runs:
        if len(run) >= 3:
            parts.append(f"{short[run[0]]}–{short[run[-1]]}")
        else:
            parts.extend(short[d] for d in run)
    return ", ".join(parts)


def format_day(day: date) -> str:
    """'26 Nov 2026': a date nobody misreads."""
    return day.strftime("%d %b %Y")


# --- Checking what people type -----------------------------------------------------------------

def clean_code(code: str) -> str:
    """Warehouse codes are kept in capitals, as they are printed on labels ('jkt-2' is 'JKT-2')."""
    cleaned = (code or "").strip().upper()
    if not cleaned:
        raise InvalidInput("Enter a warehouse code, e.g. JKT-02.", field="code")
    if not CODE_PATTERN.fullmatch(cleaned):
        raise InvalidInput(
            f"The warehouse code {cleaned!r} is not valid: use 2 to 32 letters A–Z, digits and dashes, "
            "starting and ending with a letter or digit (e.g. JKT-02).", field="code")
    return cleaned


def _clean_name(name: str) -> str:
    cleaned = " ".join((name or "").split())
    if not cleaned:
        raise InvalidInput("Enter the warehouse's name; it is shown to your colleagues and in orders.", field="name")
    if len(cleaned) > MAX_NAME:
        raise InvalidInput(f"The warehouse name may be at most {MAX_NAME} characters long.", field="name")
    return cleaned


def _clean_address(address: str) -> str:
    cleaned = (address or "").strip()
    if len(cleaned) > MAX_ADDRESS:
        raise InvalidInput(f"The address may be at most {MAX_ADDRESS} characters long.", field="address")
    return cleaned


def check_time_zone(time_zone: str) -> str:
    zone = (time_zone or "").strip()
    if zone in INDONESIAN_TIME_ZONES:
        return zone
    choices = ", ".join(f"{z} ({a})" for z, a in INDONESIAN_TIME_ZONES.items())
    if not zone:
        raise InvalidInput(f"Choose the warehouse's time zone: {choices}.", field="time_zone")
    if zone in ZONE_ALIASES:
        instead = ZONE_ALIASES[zone]
        raise InvalidInput(f"{zone} keeps the same time as {instead} ({INDONESIAN_TIME_ZONES[instead]}); "
                           f"choose {instead}.", field="time_zone")
    raise InvalidInput(f"{zone} is not an Indonesian time zone; choose one of {choices}.",
                       field="time_zone")


def _check_hours(opens_at: time, closes_at: time) -> None:
    for value, name, label in ((opens_at, "opens_at", "opening time"), (closes_at, "closes_at", "closing time")):
        if not isinstance(value, time) or value.tzinfo is not None:
            raise InvalidInput(f"Enter the {label} as a local time of day, e.g. 08:00.", field=name)
    if not opens_at < closes_at:
        raise InvalidInput(
            f"The opening time ({opens_at:%H:%M}) must be before the closing time ({closes_at:%H:%M}) on the same day.",
            field="opens_at")


def _clean_operating_days(days) -> str:
    """As stored: '0,1,2,3,4' (0 = Monday)."""
    chosen = set(days or ())
    if not all(isinstance(d, int) and not isinstance(d, bool) and 0 <= d <= 6 for d in chosen):
        raise InvalidInput("Operating days are weekdays from Monday to Sunday.", field="operating_days")
    if not chosen:
        raise InvalidInput("Choose at least one operating day: a warehouse that never opens cannot take orders.",
                           field="operating_days")
    return ",".join(str(d) for d in sorted(chosen))


def _check_whole_number(value, bounds: tuple[int, int], field: str, what: str) -> int:
    low, high = bounds
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise InvalidInput(f"The {what} must be a whole number from {low} to {high}; {value!r} is not.", field=field)
    return value


def _check_sla(days) -> int:
    return _check_whole_number(days, SLA_DAYS, "delivery_sla_days", "delivery SLA (calendar days)")


def _check_processing(days) -> int:
    return _check_whole_number(days, PROCESSING_DAYS, "processing_days", "processing time (business days)")


def _check_joint_leave(observe) -> bool:
    if not isinstance(observe, bool):
        raise InvalidInput("Say whether the warehouse observes joint-leave days (yes or no).",
                           field="observe_joint_leave")
    return observe


# --- Reading -----------------------------------------------------------------------------------

def _own_warehouse(session: Session, actor: Actor, code: str, *, lock: bool = False) -> Warehouse:
    query = select(Warehouse).where(Warehouse.company_id == actor.company_id,
                                    func.upper(Warehouse.code) == (code or "").strip().upper())
    if lock:
        query = query.with_for_update()
    warehouse = session.scalar(query)
    if warehouse is None:
        raise NotFound(f"Warehouse {code} was not found among your company's warehouses.")
    return warehouse


def local_today(time_zone: str, now: datetime) -> date:
    """The date it is now at the warehouse (closures are local dates)."""
    return now.astimezone(ZoneInfo(time_zone)).date()


def _views(session: Session, actor: Actor, now: datetime, only_id: int | None = None) -> list[WarehouseView]:
    query = select(Warehouse).where(Warehouse.company_id == actor.company_id).order_by(Warehouse.code)
    if only_id is not None:
        query = query.where(Warehouse.id == only_id)
    warehouses = session.scalars(query).all()
    ids = [w.id for w in warehouses]
    open_orders = dict(session.execute(
        select(Order.warehouse_id, func.count()).where(Order.company_id == actor.company_id,
                                                       Order.warehouse_id.in_(ids), Order.status.in_(OPEN_STATUSES))
        .group_by(Order.warehouse_id)).all())
    reserved = dict(session.execute(
        select(StockLevel.warehouse_id, func.sum(StockLevel.reserved)).where(StockLevel.warehouse_id.in_(ids))
        .group_by(StockLevel.warehouse_id)).all())
    closures: dict[int, list[Closure]] = {}
    for row in session.scalars(select(WarehouseClosure).where(WarehouseClosure.warehouse_id.in_(ids))
                               .order_by(WarehouseClosure.day)):
        closures.setdefault(row.warehouse_id, []).append(Closure(row.day, row.reason))
    return [_view(w, open_orders.get(w.id, 0), int(reserved.get(w.id) or 0), closures.get(w.id, []), now)
            for w in warehouses]


def _view(w: Warehouse, open_orders: int, reserved: int, closures: list[Closure], now: datetime) -> WarehouseView:
    today = local_today(w.time_zone, now)
    return WarehouseView(
        code=w.code, name=w.name, address=w.address or "", time_zone=w.time_zone, status=WarehouseStatus(w.status),
        opens_at=w.opens_at, closes_at=w.closes_at,
        operating_days=tuple(int(d) for d in w.operating_days.split(",") if d != ""),
        processing_days=w.processing_days, delivery_sla_days=w.delivery_sla_days,
        observe_joint_leave=w.observe_joint_leave, open_orders=open_orders, reserved_units=reserved,
        updated_at=w.updated_at, closures=tuple(c for c in closures if c.day >= today),
    )


def _view_of(session: Session, actor: Actor, warehouse: Warehouse, now: datetime) -> WarehouseView:
    session.flush()
    return _views(session, actor, now, only_id=warehouse.id)[0]


def table_rows(views: list[WarehouseView]) -> list[dict[str, object]]:
    """The warehouse list as both menus show it: one row per warehouse, in words, times local."""
    return [{
        "Code": v.code, "Name": v.name, "Status": "Open" if v.is_open else "Closed",
        "Open orders": v.open_orders, "Reserved units": v.reserved_units,
        "Time zone": f"{v.zone_abbreviation} · {v.time_zone}", "Hours": v.hours_label, "Operating days": v.days_label,
        "Processing time": _plural(v.processing_days, "business day"),
        "Delivery SLA": _plural(v.delivery_sla_days, "calendar day"),
        "Cuti bersama": "observed" if v.observe_joint_leave else "not observed",
        "Last changed": format_local(v.updated_at, v.time_zone),
    } for v in views]


def list_warehouses(store: Store, actor: Actor, now: datetime) -> list[WarehouseView]:
    """The company's warehouses by code, open and closed, with open orders and reserved units."""
    require_role(actor, ADMIN, PM, doing="see the warehouse list")
    now = require_aware(now)
    with store.reading() as session:
        accounts.authorize(session, actor, ADMIN, PM, doing="see the warehouse list")
        return _views(session, actor, now)


def get_warehouse(store: Store, actor: Actor, code: str, now: datetime) -> WarehouseView:
    require_role(actor, ADMIN, PM, doing="see a warehouse")
    now = require_aware(now)
    with store.reading() as session:
        accounts.authorize(session, actor, ADMIN, PM, doing="see a warehouse")
        return _view_of(session, actor, _own_warehouse(session, actor, code), now)


def joint_leave_days(first_day: date, last_day: date) -> list[Closure]:
    """The national joint-leave days (cuti bersama) between two dates, with their names: what a
    warehouse that observes them skips on top of the public holidays."""
    def calendar(observe: bool) -> OperatingCalendar:
        return OperatingCalendar("Asia/Jakarta", frozenset({0}), time(8), time(17), observe_joint_leave=observe)

    days: list[Closure] = []
    for year in range(first_day.year, last_day.year + 1):
        with_leave, without = non_working_days(calendar(True), year), non_working_days(calendar(False), year)
        days += [Closure(d, name) for d, name in with_leave.items() if d not in without and first_day <= d <= last_day]
    return days


# --- Audit and change tracking -----------------------------------------------------------------

def _audit(session: Session, actor: Actor, now: datetime, action: str, code: str, **details) -> None:
    audit.record(session, at=now, actor_kind=ActorKind.USER, actor=actor.label, company_id=actor.company_id,
                 action=action, target=f"warehouse {code}", details=details or None)


def _described(w: Warehouse) -> dict[str, str]:
    """Each setting of a warehouse in words, keyed by what people call it."""
    return {
        "name": w.name,
        "address": w.address or "—",
        "time zone": f"{w.time_zone} ({zone_abbreviation(w.time_zone)})",
        "delivery SLA": _plural(w.delivery_sla_days, "calendar day"),
        "operating days": days_label([int(d) for d in w.operating_days.split(",") if d]),
        "hours": f"{w.opens_at:%H:%M}–{w.closes_at:%H:%M}",
        "processing time": _plural(w.processing_days, "business day"),
        "cuti bersama": "observed" if w.observe_joint_leave else "not observed",
    }


def _plural(n: int, unit: str) -> str:
    return f"{n} {unit}" if n == 1 else f"{n} {unit}s"


def _apply(session: Session, actor: Actor, warehouse: Warehouse, values: dict, now: datetime,
           action: str) -> WarehouseUpdate:
    """Set `values` on the warehouse; audit and return what changed (nothing written if nothing did)."""
    before = _described(warehouse)
    for name, value in values.items():
        setattr(warehouse, name, value)
    after = _described(warehouse)
    changes = {what: (before[what], after[what]) for what in before if before[what] != after[what]}
    if changes:
        warehouse.updated_at = now
        _audit(session, actor, now, action, warehouse.code, changes={k: list(v) for k, v in changes.items()})
    return WarehouseUpdate(_view_of(session, actor, warehouse, now), changes)


# --- System Administrator: add, modify, close, reopen ------------------------------------------

def _code_taken(code: str) -> InvalidInput:
    return InvalidInput(f"Your company already has a warehouse with the code {code}; choose another code.",
                        field="code")


def add_warehouse(store: Store, actor: Actor, *, code: str, name: str, time_zone: str, opens_at: time,
                  closes_at: time, operating_days, delivery_sla_days: int = DEFAULT_SLA_DAYS,
                  address: str = "", now: datetime) -> WarehouseView:
    """A new, open warehouse with the default processing time (2 business days); it observes
    cuti bersama until the Product Manager says otherwise."""
    require_role(actor, ADMIN, doing="add warehouses")
    now = require_aware(now)
    code, name, address = clean_code(code), _clean_name(name), _clean_address(address)
    time_zone = check_time_zone(time_zone)
    _check_hours(opens_at, closes_at)
    days, sla = _clean_operating_days(operating_days), _check_sla(delivery_sla_days)
    with store.transaction() as session:
        accounts.authorize(session, actor, ADMIN, doing="add warehouses")
        taken = session.scalar(select(Warehouse.id).where(Warehouse.company_id == actor.company_id,
                                                          func.upper(Warehouse.code) == code))
        if taken is not None:
            raise _code_taken(code)
        warehouse = Warehouse(company_id=actor.company_id, code=code, name=name, address=address, time_zone=time_zone,
                              operating_days=days, opens_at=opens_at, closes_at=closes_at,
                              processing_days=DEFAULT_PROCESSING_DAYS, delivery_sla_days=sla,
                              observe_joint_leave=True, status=WarehouseStatus.OPEN, created_at=now, updated_at=now)
        session.add(warehouse)
        try:
            session.flush()
        except IntegrityError:  # a colleague added the same code a moment ago
            raise _code_taken(code) from None
        _audit(session, actor, now, "warehouse.added", code, settings=_described(warehouse))
        return _view_of(session, actor, warehouse, now)


def modify_warehouse(store: Store, actor: Actor, code: str, *, name: str, address: str, time_zone: str,
                     delivery_sla_days: int, now: datetime) -> WarehouseUpdate:
    """Change what the System Administrator owns: name, address, time zone and delivery SLA.
    The code stays: orders, stock and the buyer app refer to the warehouse by it."""
    require_role(actor, ADMIN, doing="modify warehouses")
    now = require_aware(now)
    values = {"name": _clean_name(name), "address": _clean_address(address),
              "time_zone": check_time_zone(time_zone), "delivery_sla_days": _check_sla(delivery_sla_days)}
    with store.transaction() as session:
        accounts.authorize(session, actor, ADMIN, doing="modify warehouses")
        warehouse = _own_warehouse(session, actor, code, lock=True)
        return _apply(session, actor, warehouse, values, now, "warehouse.modified")


def _named(items: list[str], total: int) -> str:
    shown = ", ".join(items[:NAMED_BLOCKERS])
    return f"{shown} and {total - NAMED_BLOCKERS} more" if total > NAMED_BLOCKERS else shown


def _closing_blockers(session: Session, actor: Actor, warehouse: Warehouse) -> tuple[list[str], dict[str, int]]:
    orders = list(session.scalars(
        select(Order.order_number).where(Order.company_id == actor.company_id, Order.warehouse_id == warehouse.id,
                                         Order.status.in_(OPEN_STATUSES))
        .order_by(Order.placed_at, Order.id)))
    reserved = dict(session.execute(
        select(Product.sku, StockLevel.reserved).join(Product, Product.id == StockLevel.product_id)
        .where(StockLevel.warehouse_id == warehouse.id, StockLevel.reserved > 0).order_by(Product.sku)).all())
    return orders, reserved


def _closing_refusal(code: str, orders: list[str], reserved: dict[str, int]) -> ClosingRefused:
    reasons = []
    if orders:
        reasons.append(f"{_plural(len(orders), 'open order')} ({_named(orders, len(orders))})")
    if reserved:
        stock = [f"{sku} ({_plural(units, 'unit')})" for sku, units in reserved.items()]
        reasons.append(f"reserved stock of {_named(stock, len(stock))}")
    return ClosingRefused(
        f"Warehouse {code} cannot be closed yet: it has {' and '.join(reasons)}. Finish these orders (or let them "
        "end) first, then close it.", orders, reserved)


def close_warehouse(store: Store, actor: Actor, code: str, now: datetime) -> WarehouseView:
    """Close a warehouse: it takes no new orders. Refused while it has open orders or reserved stock."""
    require_role(actor, ADMIN, doing="close warehouses")
    now = require_aware(now)
    with store.transaction() as session:
        accounts.authorize(session, actor, ADMIN, doing="close warehouses")
        # Locked so two administrators, or a close and a reopen, cannot interleave.
        warehouse = _own_warehouse(session, actor, code, lock=True)
        if warehouse.status == WarehouseStatus.CLOSED:
            raise InvalidInput(f"Warehouse {warehouse.code} is already closed.", field="status")
        orders, reserved = _closing_blockers(session, actor, warehouse)
        if orders or reserved:
            raise _closing_refusal(warehouse.code, orders, reserved)
        warehouse.status, warehouse.updated_at = WarehouseStatus.CLOSED, now
        _audit(session, actor, now, "warehouse.closed", warehouse.code)
        return _view_of(session, actor, warehouse, now)


def reopen_warehouse(store: Store, actor: Actor, code: str, now: datetime) -> WarehouseView:
    """A closed warehouse takes orders again, with the settings it had."""
    require_role(actor, ADMIN, doing="reopen warehouses")
    now = require_aware(now)
    with store.transaction() as session:
        accounts.authorize(session, actor, ADMIN, doing="reopen warehouses")
        warehouse = _own_warehouse(session, actor, code, lock=True)
        if warehouse.status == WarehouseStatus.OPEN:
            raise InvalidInput(f"Warehouse {warehouse.code} is already open.", field="status")
        warehouse.status, warehouse.updated_at = WarehouseStatus.OPEN, now
        _audit(session, actor, now, "warehouse.reopened", warehouse.code)
        return _view_of(session, actor, warehouse, now)


# --- Product Manager: operating settings and closures ------------------------------------------

def update_operations(store: Store, actor: Actor, code: str, *, operating_days, opens_at: time, closes_at: time,
                      processing_days: int, observe_joint_leave: bool, now: datetime) -> WarehouseUpdate:
    """How a warehouse works: the business days behind the deadlines of orders from now on."""
    require_role(actor, PM, doing="change warehouse operations")
    now = require_aware(now)
    _check_hours(opens_at, closes_at)
    values = {"operating_days": _clean_operating_days(operating_days), "opens_at": opens_at, "closes_at": closes_at,
              "processing_days": _check_processing(processing_days),
              "observe_joint_leave": _check_joint_leave(observe_joint_leave)}
    with store.transaction() as session:
        accounts.authorize(session, actor, PM, doing="change warehouse operations")
        warehouse = _own_warehouse(session, actor, code, lock=True)
        return _apply(session, actor, warehouse, values, now, "warehouse.operations_changed")


def _clean_reason(reason: str) -> str:
    cleaned = " ".join((reason or "").split())
    if not cleaned:
        raise InvalidInput("Say why the warehouse is closed (e.g. stock-taking); your colleagues see it.",
                           field="reason")
    if len(cleaned) > MAX_CLOSURE_REASON:
        raise InvalidInput(f"The reason may be at most {MAX_CLOSURE_REASON} characters long.", field="reason")
    return cleaned


def _closure_days(first_day: date, last_day: date | None, today: date) -> list[date]:
    last_day = first_day if last_day is None else last_day
    for value in (first_day, last_day):
        if not isinstance(value, date) or isinstance(value, datetime):
            raise InvalidInput("Choose the closure dates from the calendar.", field="day")
    if last_day < first_day:
        raise InvalidInput(f"The last closure day ({format_day(last_day)}) is before the first "
                           f"({format_day(first_day)}).", field="day")
    if first_day < today:
        raise InvalidInput(f"{format_day(first_day)} has already passed in the warehouse's time zone; "
                           "closures are for today or later.", field="day")
    if last_day > today + CLOSURE_HORIZON:
        raise InvalidInput(f"Closures can be planned up to {format_day(today + CLOSURE_HORIZON)}; "
                           f"{format_day(last_day)} is later.", field="day")
    span = (last_day - first_day).days + 1
    if span > MAX_CLOSURE_SPAN_DAYS:
        raise InvalidInput(f"One closure may cover at most {MAX_CLOSURE_SPAN_DAYS} days ({span} chosen); "
                           "for longer, the System Administrator closes the warehouse.", field="day")
    return [first_day + timedelta(days=n) for n in range(span)]


def add_closures(store: Store, actor: Actor, code: str, first_day: date, last_day: date | None, reason: str,
                 now: datetime) -> list[date]:
    """Mark local dates on which the warehouse does not work (stock-taking, renovation, a local
    holiday). Dates already closed are left as they are. Returns the dates added."""
    require_role(actor, PM, doing="plan warehouse closures")
    now = require_aware(now)
    reason = _clean_reason(reason)
    with store.transaction() as session:
        accounts.authorize(session, actor, PM, doing="plan warehouse closures")
        warehouse = _own_warehouse(session, actor, code, lock=True)
        days = _closure_days(first_day, last_day, local_today(warehouse.time_zone, now))
        existing = set(session.scalars(select(WarehouseClosure.day).where(
            WarehouseClosure.warehouse_id == warehouse.id, WarehouseClosure.day.in_(days))))
        new_days = [d for d in days if d not in existing]
        if not new_days:
            when = (format_day(days[0]) if len(days) == 1
                    else f"every day from {format_day(days[0])} to {format_day(days[-1])}")
            raise InvalidInput(f"Warehouse {warehouse.code} is already closed on {when}.", field="day")
        session.add_all(WarehouseClosure(warehouse_id=warehouse.id, day=d, reason=reason) for d in new_days)
        warehouse.updated_at = now
        _audit(session, actor, now, "warehouse.closure_added", warehouse.code,
               days=[d.isoformat() for d in new_days], reason=reason)
        return new_days


def remove_closure(store: Store, actor: Actor, code: str, day: date, now: datetime) -> None:
    """The warehouse works on `day` after all. Past closures stay, as the history of what was."""
    require_role(actor, PM, doing="remove warehouse closures")
    now = require_aware(now)
    with store.transaction() as session:
        accounts.authorize(session, actor, PM, doing="remove warehouse closures")
        warehouse = _own_warehouse(session, actor, code, lock=True)
        closure = session.scalar(select(WarehouseClosure).where(WarehouseClosure.warehouse_id == warehouse.id,
                                                                WarehouseClosure.day == day))
        if closure is None:
            raise NotFound(f"Warehouse {warehouse.code} has no closure on {format_day(day)}.")
        if day < local_today(warehouse.time_zone, now):
            raise InvalidInput(f"The closure on {format_day(day)} has already passed and is kept as history.",
                               field="day")
        session.delete(closure)
        warehouse.updated_at = now
        _audit(session, actor, now, "warehouse.closure_removed", warehouse.code, day=day.isoformat(),
               reason=closure.reason)


# --- The calendar the business-time rules read -------------------------------------------------

def calendar_of(session: Session, warehouse: Warehouse) -> OperatingCalendar:
    closures = session.scalars(select(WarehouseClosure.day).where(WarehouseClosure.warehouse_id == warehouse.id))
    return OperatingCalendar(
        time_zone=warehouse.time_zone,
        operating_weekdays=frozenset(int(day) for day in warehouse.operating_days.split(",") if day != ""),
        opens=warehouse.opens_at,
        closes=warehouse.closes_at,
        closures=frozenset(closures),
        observe_joint_leave=warehouse.observe_joint_leave,
    )
