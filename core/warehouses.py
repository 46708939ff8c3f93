"""Warehouses: their operating calendar as the business-time rules read it."""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.business_time import OperatingCalendar
from core.models import Warehouse, WarehouseClosure


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
