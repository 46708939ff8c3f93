"""How the UI writes figures and times, the same on every page.

Built on core's own formats (core.formats, the catalogue's counts and price changes, the
warehouses' days: core needs them for its own sentences), so a figure reads the same in a page's
table and in core's messages: rupiah with dots between thousands ("Rp1.234.567", "—" when there
is none), short rupiah for cards ("Rp38,4 jt"), counts with dots ("1.234"), percentages and hours
with a decimal comma ("95,2%", "2,5 h"), price changes ("+12.5%", "new"), times in a warehouse's
local time with its zone ("26 Nov 2026 14:05 WIB"), days ("26 Nov 2026"), durations ("2 d 3 h")
and the time left before a deadline; every word and date in the reader's language (core.i18n:
"2 hari 3 jam", "baru", "26 Nov 2026 14.05 WIB"). One rule for dates and times (core.formats): no
page writes a strftime pattern of its own. Rupiah in an editable grid: RUPIAH_COLUMN, the number
column's format.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from core.catalogue.rules import format_count
from core.formats import (
    format_date,
    format_duration,
    format_hours,
    format_local,
    format_price_change,
    format_rupiah,
    format_rupiah_short,
    format_wall,
)

NONE = "—"  # a figure or a time that does not exist (yet)


# --- Money -----------------------------------------------------------------------------------------


def rupiah(amount: int | None) -> str:
    """`1234567` -> `"Rp1.234.567"`; None (no price yet) -> `"—"`."""
    return NONE if amount is None else format_rupiah(amount)


#: A number column of rupiah in st.dataframe / st.data_editor (`NumberColumn(format=RUPIAH_COLUMN)`):
#: its cells read like `rupiah` ("Rp1.234.567"), while the cell's value stays the whole number typed.
#: A printf format of Streamlit's grid: "'." pads with "." (never used: no width), and "," then
#: groups the thousands with that character instead of a comma.
RUPIAH_COLUMN = "Rp%'.,d"


def rupiah_short(amount: int) -> str:
    """A card-sized amount: `"Rp38,4 jt"`, `"Rp1,25 M"`; below a million the whole amount."""
    return format_rupiah_short(amount)


# --- Counts and shares -----------------------------------------------------------------------------


def count(number: int) -> str:
    """Quantities as Indonesian readers group them: `12500` -> `"12.500"`."""
    return format_count(number)


def percent(share: float, *, digits: int = 1) -> str:
    """A share with a decimal comma: `0.952` -> `"95,2%"` (`digits=0`: `"95%"`)."""
    return f"{share:.{digits}%}".replace(".", ",")


def percent_change(change: float) -> str:
    """A change against the previous period, signed, with a decimal comma: `0.123` -> `"+12,3%"`."""
    return f"{change:+.1%}".replace(".", ",")


def price_change(change_percent: float | None) -> str:
    """A price change as the catalogue writes it: `"+12.5%"`, `"+100%"`; a first price is `"new"`
    (in Indonesian `"+12,5%"`, `"baru"`)."""
    return format_price_change(change_percent)


def hours(value: float | None) -> str:
    """Hours with a decimal comma: `2.5` -> `"2,5 h"` (Indonesian `"2,5 jam"`); None -> `"—"`."""
    return NONE if value is None else format_hours(value)


# --- Times -----------------------------------------------------------------------------------------


def local_time(moment: datetime | None, time_zone: str, *, with_date: bool = True) -> str:
    """A UTC moment in a warehouse's local time with its zone: `"26 Nov 2026 14:05 WIB"`; None -> `"—"`."""
    return format_local(moment, time_zone, with_date=with_date)


def wall_time(local: datetime, zone_abbreviation: str) -> str:
    """A time already on the warehouse's wall clock (the analytics rows), with its zone's abbreviation."""
    return format_wall(local, zone_abbreviation)


def calendar_day(value: date) -> str:
    """A date nobody misreads: `"26 Nov 2026"`."""
    return format_date(value)


#: How every st.date_input shows the date it holds. Streamlit's date picker offers only numeric
#: formats; year first is the one nobody reads as month/day or day/month.
DATE_INPUT_FORMAT = "YYYY-MM-DD"


def duration(delta: timedelta) -> str:
    """`"2 d 3 h"`, `"45 min"`, `"overdue by 1 h 5 min"` (Indonesian `"2 hari 3 jam"`, `"45 mnt"`,
    `"terlambat 1 jam 5 mnt"`)."""
    return format_duration(delta)


def time_left(deadline: datetime | None, now: datetime) -> str:
    """How long until `deadline` (`"overdue by …"` once passed); no deadline -> `"—"`."""
    return NONE if deadline is None else format_duration(deadline - now)
