"""How core writes money, times and durations in the sentences people read.

Money is integer rupiah with dots between thousands ("Rp1.234.567"); times are a warehouse's local
time with its zone's abbreviation, dates that cannot be misread (26 Nov 2026, never 11/26 or 26/11).
One rule for every date and time a person reads, here and on every page: the day with two digits,
the month's short English name, the year, then the 24-hour time and the zone ("01 Dec 2026 14:05
WIB"); a date alone is "01 Dec 2026". A time that belongs to no warehouse (a login, a lockout) is
shown in the company's first warehouse's zone, or in WIB when it has none (DEFAULT_TIME_ZONE).
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from babel.dates import format_date as babel_date
from babel.dates import format_timedelta

from core.i18n import _, gettext, language
from core.warehouses.business_time import zone_abbreviation

#: "01 Dec 2026": every date a person reads (strftime).
DATE_FORMAT = "%d %b %Y"
#: "14:05": every time of day a person reads, always followed by its zone.
TIME_FORMAT = "%H:%M"
#: The same in Indonesian: "01 Des 2026", "14.05" (Babel's patterns: Indonesian month names, and the
#: dot Indonesians put between hours and minutes).
DATE_PATTERN_ID = "dd MMM yyyy"
TIME_FORMAT_ID = "%H.%M"
#: Where a time belongs to no warehouse and the company has none yet: Western Indonesia (WIB).
DEFAULT_TIME_ZONE = "Asia/Jakarta"


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


def format_date(day: date, code: str | None = None) -> str:
    """`date(2026, 12, 1)` -> `"01 Dec 2026"` (Indonesian `"01 Des 2026"`): a date nobody misreads, in
    the reader's language or `code`."""
    if (code or language()) == "id":
        return babel_date(day, DATE_PATTERN_ID, locale="id")
    return day.strftime(DATE_FORMAT)


def format_wall(local: datetime, abbreviation: str, *, with_date: bool = True, code: str | None = None) -> str:
    """A time already on a warehouse's wall clock, with its zone: `"01 Dec 2026 14:05 WIB"` (`"14:05 WIB"`);
    in Indonesian `"01 Des 2026 14.05 WIB"`."""
    clock = local.strftime(TIME_FORMAT_ID if (code or language()) == "id" else TIME_FORMAT)
    return f"{format_date(local.date(), code)} {clock} {abbreviation}" if with_date else f"{clock} {abbreviation}"


def format_local(moment: datetime | None, time_zone: str, *, with_date: bool = True, code: str | None = None) -> str:
    """An aware moment in a zone's local time: `"01 Dec 2026 14:05 WIB"`; None -> `"—"`."""
    if moment is None:
        return "—"
    local = moment.astimezone(ZoneInfo(time_zone))
    return format_wall(local, zone_abbreviation(time_zone), with_date=with_date, code=code)


def format_relative(delta: timedelta, code: str | None = None) -> str:
    """How far a moment is from now, as people say it: "in 2 hours" / "2 jam lagi", "3 days ago" /
    "3 hari yang lalu" (the unit Babel rounds to, in the reader's language or `code`)."""
    code = code or language()
    duration = format_timedelta(abs(delta), locale=code, threshold=1.0)
    said = _("in {duration}", duration=duration) if delta >= timedelta(0) else _("{duration} ago", duration=duration)
    return said.render(code)


def format_duration(delta: timedelta, code: str | None = None) -> str:
    """How long, in the reader's language or `code`: '2 d 3 h', '45 min', 'overdue by 1 h 5 min'
    (Indonesian '2 hari 3 jam', '45 mnt', 'terlambat 1 jam 5 mnt')."""
    overdue = delta.total_seconds() < 0
    seconds = int(abs(delta.total_seconds()))
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes = rest // 60
    if days:
        said = _("{days} d {hours} h", days=days, hours=hours) if hours else _("{days} d", days=days)
    elif hours:
        said = _("{hours} h {minutes} min", hours=hours, minutes=minutes) if minutes else _("{hours} h", hours=hours)
    elif minutes:
        said = _("{minutes} min", minutes=minutes)
    else:
        said = _("less than a minute")
    if overdue:
        said = _("overdue by {duration}", duration=said)
    return said.render(code)


def format_hours(value: float, code: str | None = None) -> str:
    """Hours with one decimal and a decimal comma: `2.5` -> '2,5 h' (Indonesian '2,5 jam')."""
    return _("{hours} h", hours=f"{value:.1f}".replace(".", ",")).render(code)


def format_price_change(percent: float | None, code: str | None = None) -> str:
    """A price change against the last price: '+12.5%', '+100%' ('+12,5%' in Indonesian); a first
    price, with nothing to compare, is 'new' ('baru')."""
    code = code or language()
    if percent is None:
        return gettext("new", code)
    text = f"{percent:+.1f}%".replace(".0%", "%")
    return text.replace(".", ",") if code == "id" else text


def _grouped(number: int, code: str | None) -> str:
    """1234567 -> '1,234,567' in English, '1.234.567' in Indonesian."""
    text = f"{number:,}"
    return text.replace(",", ".") if (code or language()) == "id" else text


def format_megabytes(size: int, code: str | None = None) -> str:
    """'5.0 MB' ('5,0 MB' in Indonesian)."""
    text = f"{size / 1024 / 1024:.1f} MB"
    return text.replace(".", ",") if (code or language()) == "id" else text


def format_size_against(size: int, limit: int, code: str | None = None) -> tuple[str, str]:
    """A file's size and its limit as a refusal compares them: in bytes too when megabytes would round
    a file just over the limit onto it ("5.0 MB; the limit is 5.0 MB")."""
    if format_megabytes(size, code) == format_megabytes(limit, code):
        in_bytes = _("{size} bytes", size=_grouped(size, code)).render(code)
        limit_in_bytes = _("{size} bytes", size=_grouped(limit, code)).render(code)
        return in_bytes, f"{format_megabytes(limit, code)} ({limit_in_bytes})"
    return format_megabytes(size, code), format_megabytes(limit, code)
