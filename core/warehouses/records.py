"""Finding, showing and changing a warehouse inside a unit of work the caller already holds.

Every helper here takes the caller's `session` first and reaches only the actor's own company's
warehouses: another company's warehouse is "not found". Every change is audited in the same
transaction, in words ("delivery SLA: 3 calendar days → 5 calendar days").
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core.accounts import audit
from core.acting import Actor
from core.domain import WarehouseStatus
from core.errors import NotFound
from core.formats import DEFAULT_TIME_ZONE
from core.i18n import N_, _, gettext, language
from core.orders.lifecycle import OPEN_STATUSES
from core.store.models import Order, StockLevel, Warehouse, WarehouseClosure
from core.text import lookup_text, shown
from core.warehouses.business_time import zone_abbreviation
from core.warehouses.rules import (
    MAX_CODE,
    Closure,
    WarehouseUpdate,
    WarehouseView,
    business_days,
    calendar_days,
    days_label,
    hours_label,
    joint_leave_label,
    local_today,
)

#: Each setting of a warehouse by what people call it: the audit log's keys (English), and the name
#: a person reads (marked for the catalogue).
SETTING_NAMES = {
    "name": N_("name"),
    "address": N_("address"),
    "time zone": N_("time zone"),
    "delivery SLA": N_("delivery SLA"),
    "operating days": N_("operating days"),
    "hours": N_("hours"),
    "processing time": N_("processing time"),
    "cuti bersama": N_("cuti bersama"),
}


def company_time_zone(session: Session, company_id: int) -> str:
    """The zone a company's times that belong to no warehouse are shown in (a login, a lockout): its
    first warehouse's (the first one added), or WIB while it has none."""
    zone = session.scalar(
        select(Warehouse.time_zone).where(Warehouse.company_id == company_id).order_by(Warehouse.id).limit(1)
    )
    return zone or DEFAULT_TIME_ZONE


def own_warehouse(session: Session, actor: Actor, code: str, *, lock: bool = False) -> Warehouse:
    """The actor's company's warehouse with this code (any case), or NotFound (also for a code no
    warehouse can have)."""
    typed = lookup_text(code, max_length=MAX_CODE)
    warehouse = None
    if typed is not None:
        query = select(Warehouse).where(
            Warehouse.company_id == actor.company_id, func.upper(Warehouse.code) == typed.upper()
        )
        if lock:
            query = query.with_for_update()
        warehouse = session.scalar(query)
    if warehouse is None:
        raise NotFound(_("Warehouse {code} was not found among your company's warehouses.", code=shown(code)))
    return warehouse


def open_orders_by_warehouse(company_id: int):
    """Each warehouse's open orders, counted from the (company, status, warehouse) index alone: no
    order's row is read (at a million orders, reading them cost the Settings page 0.75 s). Not
    filtered by warehouse: a filter on warehouse_id lets SQLite pick the warehouse index and read rows."""
    return (
        select(Order.warehouse_id, func.count())
        .where(Order.company_id == company_id, Order.status.in_(OPEN_STATUSES))
        .group_by(Order.warehouse_id)
    )


def views_of(session: Session, actor: Actor, now: datetime, only_id: int | None = None) -> list[WarehouseView]:
    """The company's warehouses by code (or just one), with open orders, reserved units and the
    closures from today on."""
    query = select(Warehouse).where(Warehouse.company_id == actor.company_id).order_by(Warehouse.code)
    if only_id is not None:
        query = query.where(Warehouse.id == only_id)
    warehouses = session.scalars(query).all()
    ids = [w.id for w in warehouses]
    open_orders = dict(session.execute(open_orders_by_warehouse(actor.company_id)).all())
    reserved = dict(
        session.execute(
            select(StockLevel.warehouse_id, func.sum(StockLevel.reserved))
            .where(StockLevel.warehouse_id.in_(ids))
            .group_by(StockLevel.warehouse_id)
        ).all()
    )
    closures: dict[int, list[Closure]] = {}
    for row in session.scalars(
        select(WarehouseClosure).where(WarehouseClosure.warehouse_id.in_(ids)).order_by(WarehouseClosure.day)
    ):
        closures.setdefault(row.warehouse_id, []).append(Closure(row.day, row.reason))
    return [
        _view(w, open_orders.get(w.id, 0), int(reserved.get(w.id) or 0), closures.get(w.id, []), now)
        for w in warehouses
    ]


def _view(w: Warehouse, open_orders: int, reserved: int, closures: list[Closure], now: datetime) -> WarehouseView:
    today = local_today(w.time_zone, now)
    return WarehouseView(
        code=w.code,
        name=w.name,
        address=w.address or "",
        time_zone=w.time_zone,
        status=WarehouseStatus(w.status),
        opens_at=w.opens_at,
        closes_at=w.closes_at,
        operating_days=tuple(int(d) for d in w.operating_days.split(",") if d != ""),
        processing_days=w.processing_days,
        delivery_sla_days=w.delivery_sla_days,
        observe_joint_leave=w.observe_joint_leave,
        open_orders=open_orders,
        reserved_units=reserved,
        updated_at=w.updated_at,
        closures=tuple(c for c in closures if c.day >= today),
    )


def view_of(session: Session, actor: Actor, warehouse: Warehouse, now: datetime) -> WarehouseView:
    """One warehouse as the lists show it, with the session's pending changes in it."""
    session.flush()
    return views_of(session, actor, now, only_id=warehouse.id)[0]


def record(session: Session, actor: Actor, now: datetime, action: str, code: str, **details) -> None:
    """The audit entry of a change to warehouse `code`."""
    audit.record_by_actor(session, actor, now, action, f"warehouse {code}", **details)


def described(w: Warehouse, code: str = "en") -> dict[str, str]:
    """Each setting of a warehouse in words, keyed by what people call it (SETTING_NAMES), in `code`:
    English by default, as the audit log keeps them."""
    return {
        "name": w.name,
        "address": w.address or "—",
        "time zone": f"{w.time_zone} ({zone_abbreviation(w.time_zone)})",
        "delivery SLA": calendar_days(w.delivery_sla_days).render(code),
        "operating days": days_label([int(d) for d in w.operating_days.split(",") if d], code),
        "hours": hours_label(w.opens_at, w.closes_at, code=code),
        "processing time": business_days(w.processing_days).render(code),
        "cuti bersama": joint_leave_label(w.observe_joint_leave, code),
    }


def apply_change(
    session: Session, actor: Actor, warehouse: Warehouse, values: dict, now: datetime, action: str
) -> WarehouseUpdate:
    """Set `values` on the warehouse; audit and return what changed (nothing written if nothing did):
    in English for the audit log, and in the reader's language for the page."""
    reader = language()
    before, before_read = described(warehouse), described(warehouse, reader)
    for name, value in values.items():
        setattr(warehouse, name, value)
    after, after_read = described(warehouse), described(warehouse, reader)
    changes = {what: (before[what], after[what]) for what in before if before[what] != after[what]}
    shown_changes = {gettext(SETTING_NAMES[what], reader): (before_read[what], after_read[what]) for what in changes}
    if changes:
        warehouse.updated_at = now
        record(session, actor, now, action, warehouse.code, changes={k: list(v) for k, v in changes.items()})
    return WarehouseUpdate(view_of(session, actor, warehouse, now), changes, shown_changes)
