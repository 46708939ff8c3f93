"""How core writes money, times and durations in the sentences people read.

Money is integer rupiah with dots between thousands ("Rp1.234.567"); times are a warehouse's local
time with its zone's abbreviation, dates that cannot be misread (26 Nov 2026, never 11/26 or 26/11).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from core.warehouses.business_time import zone_abbreviation


def format_rupiah(amount: int) -> str:
    """`1234567` -> `"Rp1.234.567"`; negative amounts get a leading minus (`"-Rp5.000"`)."""
    if isinstance(amount, bool) or not isinstance(amount, int):
        raise TypeError(f"rupiah amounts are whole numbers, got {amount!r}")
    sign = "-" if amount < 0 else ""
    return f"{sign}Rp{abs(amount):,}".replace(",", ".")


def format_rupiah_short(amount: int) -> str:
    """A card-sized amount, as Indonesians write it: `"Rp38,4 jt"` (juta), `"Rp1,25 M"` (miliar),
    `"Rp2,1 T"` (triliun); below a million the whole amount (`"Rp950.000"`)."""
    if isinstance(amount, bool) or not isinstance(amount, int):
        raise TypeError(f"rupiah amounts are whole numbers, got {amount!r}")
    sign = "-" if amount < 0 else ""
    value = abs(amount)
    units = ((10**6, "jt"), (10**9, "M"), (10**12, "T"))
    chosen: tuple[float, int, str] | None = None  # (shown, digits, unit)
    for index, (size, unit) in enumerate(units):
        if value < size:
            break
        scaled = value / size
        digits = 2 if scaled < 10 else 1 if scaled < 100 else 0
        shown = round(scaled, digits)
        if shown >= 1000 and index + 1 < len(units):
            chosen = (1, 0, units[index + 1][1])  # 999.999.999 is "Rp1 M", not "Rp1000 jt"
            continue
        chosen = (shown, digits, unit)
    if chosen is None:
        return sign + format_rupiah(value)
    shown, digits, unit = chosen
    text = f"{shown:.{digits}f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return f"{sign}Rp{text.replace('.', ',')} {unit}"


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
