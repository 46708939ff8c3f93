"""Showing times as a warehouse's staff read them: local time with the zone's abbreviation,
dates that cannot be misread (26 Nov 2026, never 11/26 or 26/11)."""
from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from core.business_time import zone_abbreviation


def format_local(moment: datetime | None, time_zone: str, *, with_date: bool = True) -> str:
    if moment is None:
        return "—"
    local = moment.astimezone(ZoneInfo(time_zone))
    text = local.strftime("%d %b %Y %H:%M") if with_date else local.strftime("%H:%M")
    return f"{text} {zone_abbreviation(time_zone)}"


def format_duration(delta: timedelta) -> str:
    """'2 d 3 h', '45 min', 'overdue by 1 h 5 min'."""
    overdue = delta.total_seconds() < 0
    seconds = int(abs(delta.total_seconds()))
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes = rest // 60
    parts = [f"{days} d"] if days else []
    if hours:
        parts.append(f"{hours} h")
    if minutes and not days:
        parts.append(f"{minutes} min")
    text = " ".join(parts) or "less than a minute"
    return f"overdue by {text}" if overdue else text
