"""The warehouse list as a table, the same in Warehouse Management and in Settings: one row per
warehouse, in words in the reader's language, times in the warehouse's local time."""

from __future__ import annotations

from app.ui.formats import local_time
from core.i18n import gettext
from core.warehouses.rules import WarehouseView, business_days, calendar_days, joint_leave_label


def warehouse_rows(views: list[WarehouseView]) -> list[dict[str, object]]:
    """One row per warehouse, keyed by the column headings both menus show (in the reader's language)."""
    return [
        {
            gettext("Code"): v.code,
            gettext("Name"): v.name,
            gettext("Status"): gettext("Open") if v.is_open else gettext("Closed"),
            gettext("Open orders"): v.open_orders,
            gettext("Reserved units"): v.reserved_units,
            gettext("Time zone"): f"{v.zone_abbreviation} · {v.time_zone}",
            gettext("Hours"): v.hours_label,
            gettext("Operating days"): v.days_label,
            gettext("Processing time"): business_days(v.processing_days).render(),
            gettext("Delivery SLA"): calendar_days(v.delivery_sla_days).render(),
            gettext("Cuti bersama"): joint_leave_label(v.observe_joint_leave),
            gettext("Last changed"): local_time(v.updated_at, v.time_zone),
        }
        for v in views
    ]
