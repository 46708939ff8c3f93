"""The warehouse list as a table, the same in Warehouse Management and in Settings: one row per
warehouse, in words, times in the warehouse's local time."""

from __future__ import annotations

from app.ui.formats import local_time
from core.warehouses.rules import WarehouseView, plural


def warehouse_rows(views: list[WarehouseView]) -> list[dict[str, object]]:
    """One row per warehouse, keyed by the column headings both menus show."""
    return [
        {
            "Code": v.code,
            "Name": v.name,
            "Status": "Open" if v.is_open else "Closed",
            "Open orders": v.open_orders,
            "Reserved units": v.reserved_units,
            "Time zone": f"{v.zone_abbreviation} · {v.time_zone}",
            "Hours": v.hours_label,
            "Operating days": v.days_label,
            "Processing time": plural(v.processing_days, "business day"),
            "Delivery SLA": plural(v.delivery_sla_days, "calendar day"),
            "Cuti bersama": "observed" if v.observe_joint_leave else "not observed",
            "Last changed": local_time(v.updated_at, v.time_zone),
        }
        for v in views
    ]
