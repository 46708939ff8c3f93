"""Business-time arithmetic for warehouses: the clock behind every order deadline.

A *business day* is a warehouse's own operating time: its operating weekdays and opening
hours, in its own Indonesian time zone (WIB, WITA or WIT), minus Indonesian public holidays,
minus the joint-leave days (cuti bersama) when the warehouse observes them, minus the
warehouse's own closure dates. "N business days from t" means N x (closes - opens) of open
time, counted only inside open hours, starting at t or at the next opening if t is outside
open hours.

Everything here is pure computation (the `holidays` package is the only data source), so it
can be used by the UI, the scheduler and benchmarks alike. All inputs must be timezone-aware;
all returned datetimes are aware and in UTC.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import ROUND_HALF_EVEN, Decimal
from functools import cache
from zoneinfo import ZoneInfo

import holidays
from holidays.constants import GOVERNMENT, PUBLIC

from core.i18n import N_, gettext, language

__all__ = [
    "INDONESIAN_TIME_ZONES",
    "OperatingCalendar",
    "add_business_days",
    "add_business_hours",
    "is_open",
    "is_working_day",
    "next_opening",
    "non_working_days",
    "open_hours_between",
    "zone_abbreviation",
]

INDONESIAN_TIME_ZONES: dict[str, str] = {
    "Asia/Jakarta": "WIB",
    "Asia/Makassar": "WITA",
    "Asia/Jayapura": "WIT",
}

# Search horizon for the next working day; beyond it the calendar is treated as "never open"
# rather than looping forever (e.g. every operating weekday listed as a closure).
MAX_CLOSED_DAYS = 366 * 3

# Holiday names depend on the process locale unless pinned (holidays reads LANG), so pin it: the
# names come in the reader's language (HOLIDAY_LANGUAGES), English where a language has none.
HOLIDAY_LANGUAGE = "en_US"
#: The `holidays` package's language for each of the portal's languages (core.i18n.LANGUAGES).
HOLIDAY_LANGUAGES = {"id": "id", "en": HOLIDAY_LANGUAGE}
CLOSURE_NAME = N_("Warehouse closure")

_UTC = UTC
_ZONES = {name: ZoneInfo(name) for name in INDONESIAN_TIME_ZONES}
_ONE_MICROSECOND = timedelta(microseconds=1)


@dataclass(frozen=True)
class OperatingCalendar:
    """When one warehouse works: weekdays, daily hours (local), zone, and days off."""

    time_zone: str
    operating_weekdays: frozenset[int]
    opens: time
    closes: time
    closures: frozenset[date] = frozenset()
    observe_joint_leave: bool = True

    def __post_init__(self) -> None:
        if self.time_zone not in INDONESIAN_TIME_ZONES:
            allowed = ", ".join(f"{z} ({a})" for z, a in INDONESIAN_TIME_ZONES.items())
            raise ValueError(f"unsupported time zone {self.time_zone!r}; expected one of {allowed}")
        # Accept any iterable but store frozensets, so the calendar stays hashable.
        weekdays = frozenset(self.operating_weekdays)
        closures = frozenset(self.closures)
        if not weekdays:
            raise ValueError("operating_weekdays must not be empty")
        if not all(isinstance(d, int) and 0 <= d <= 6 for d in weekdays):
            raise ValueError(f"operating_weekdays must be integers 0 (Monday)..6 (Sunday), got {sorted(weekdays)}")
        if self.opens.tzinfo is not None or self.closes.tzinfo is not None:
            raise ValueError("opens/closes are local wall-clock times and must not carry a tzinfo")
        if not self.opens < self.closes:
            raise ValueError(f"opens ({self.opens}) must be earlier than closes ({self.closes}) on the same day")
        if not all(isinstance(d, date) and not isinstance(d, datetime) for d in closures):
            raise ValueError("closures must contain datetime.date values (local dates)")
        object.__setattr__(self, "operating_weekdays", weekdays)
        object.__setattr__(self, "closures", closures)

    @property
    def daily_open_time(self) -> timedelta:
        """Length of one business day (closes - opens)."""
        return datetime.combine(date.min, self.closes) - datetime.combine(date.min, self.opens)


# --------------------------------------------------------------------------- holidays


@cache
def _holiday_names(year: int, observe_joint_leave: bool, holiday_language: str = HOLIDAY_LANGUAGE) -> dict[date, str]:
    """National days off for one year, named in `holiday_language` (cached by year and language:
    building a holidays object is slow)."""
    categories = (PUBLIC, GOVERNMENT) if observe_joint_leave else (PUBLIC,)
    days = holidays.country_holidays("ID", years=year, categories=categories, language=holiday_language)
    return dict(sorted(days.items()))


@cache
def _holiday_dates(year: int, observe_joint_leave: bool) -> frozenset[date]:
    return frozenset(_holiday_names(year, observe_joint_leave))


def non_working_days(cal: OperatingCalendar, year: int, code: str | None = None) -> dict[date, str]:
    """Every skipped date of `year` with its name, in the reader's language or `code` (weekly days
    off are not listed).

    When a warehouse closure coincides with a holiday, the holiday name is kept.
    """
    code = code or language()
    closure = gettext(CLOSURE_NAME, code)
    names = {d: closure for d in cal.closures if d.year == year}
    names.update(_holiday_names(year, cal.observe_joint_leave, HOLIDAY_LANGUAGES.get(code, HOLIDAY_LANGUAGE)))
    return dict(sorted(names.items()))


def is_working_day(cal: OperatingCalendar, local_day: date) -> bool:
    """True if the warehouse opens at all on this local date."""
    return (
        local_day.weekday() in cal.operating_weekdays
        and local_day not in cal.closures
        and local_day not in _holiday_dates(local_day.year, cal.observe_joint_leave)
    )


# --------------------------------------------------------------------------- conversions


def zone_abbreviation(time_zone: str) -> str:
    """'Asia/Jakarta' -> 'WIB', 'Asia/Makassar' -> 'WITA', 'Asia/Jayapura' -> 'WIT'."""
    try:
        return INDONESIAN_TIME_ZONES[time_zone]
    except KeyError:
        expected = sorted(INDONESIAN_TIME_ZONES)
        raise ValueError(f"unsupported time zone {time_zone!r}; expected one of {expected}") from None


def _require_aware(at: datetime) -> None:
    if at.tzinfo is None or at.utcoffset() is None:
        raise ValueError(f"datetime must be timezone-aware (got naive {at!r}); attach a tzinfo, e.g. UTC")


def _to_local(cal: OperatingCalendar, at: datetime) -> datetime:
    """Aware instant -> naive local wall time. Indonesian zones have no DST, so this is lossless."""
    _require_aware(at)
    return at.astimezone(_ZONES[cal.time_zone]).replace(tzinfo=None)


def _to_utc(cal: OperatingCalendar, local: datetime) -> datetime:
    return local.replace(tzinfo=_ZONES[cal.time_zone]).astimezone(_UTC)


def _scale(unit: timedelta, factor: float | Decimal | int) -> timedelta:
    """unit x factor, rounded to the microsecond; Decimal stays exact until that rounding."""
    if isinstance(factor, bool):
        raise ValueError("business time amount must be a number, not a bool")
    if isinstance(factor, Decimal):
        if not factor.is_finite():
            raise ValueError(f"business time amount must be finite, got {factor}")
        micros = (factor * (unit // _ONE_MICROSECOND)).to_integral_value(ROUND_HALF_EVEN)
        scaled = timedelta(microseconds=int(micros))
    else:
        as_float = float(factor)
        if not math.isfinite(as_float):
            raise ValueError(f"business time amount must be finite, got {factor}")
        scaled = unit * factor if isinstance(factor, int) else unit * as_float
    if scaled < timedelta(0):
        raise ValueError(f"business time amount must not be negative, got {factor}")
    return scaled


# --------------------------------------------------------------------------- core walk


def _advance(cal: OperatingCalendar, local: datetime, remaining: timedelta) -> datetime:
    """Spend `remaining` open time from naive local `local`; returns naive local deadline.

    With remaining == 0 this is "when does the clock start": `local` if open, else next opening.
    A deadline that uses up a day exactly ends at closing time, not at the next opening.
    """
    day = local.date()
    cursor = local
    closed_streak = 0
    while True:
        if is_working_day(cal, day):
            closed_streak = 0
            open_at = datetime.combine(day, cal.opens)
            close_at = datetime.combine(day, cal.closes)
            cursor = max(cursor, open_at)
            # The closing instant itself offers no open time, so work can't start there.
            if cursor < close_at:
                available = close_at - cursor
                if remaining <= available:
                    return cursor + remaining
                remaining -= available
        else:
            closed_streak += 1
            if closed_streak > MAX_CLOSED_DAYS:
                first_closed = day - timedelta(days=MAX_CLOSED_DAYS)
                raise ValueError(
                    f"no working day found in {MAX_CLOSED_DAYS} consecutive days from {first_closed}; "
                    "check operating_weekdays and closures"
                )
        day += timedelta(days=1)
        cursor = datetime.combine(day, time.min)


def is_open(cal: OperatingCalendar, at: datetime) -> bool:
    """True if the warehouse is open at `at` (opens inclusive, closes exclusive)."""
    local = _to_local(cal, at)
    return is_working_day(cal, local.date()) and cal.opens <= local.time() < cal.closes


def next_opening(cal: OperatingCalendar, at: datetime) -> datetime:
    """When the clock starts for something arriving at `at`: `at` itself if open, else next opening (UTC)."""
    return _to_utc(cal, _advance(cal, _to_local(cal, at), timedelta(0)))


def add_business_hours(cal: OperatingCalendar, start: datetime, hours: float | Decimal | int) -> datetime:
    """Deadline `hours` of open time after `start` (aware UTC)."""
    duration = _scale(timedelta(hours=1), hours)
    return _to_utc(cal, _advance(cal, _to_local(cal, start), duration))


def add_business_days(cal: OperatingCalendar, start: datetime, days: float | Decimal | int) -> datetime:
    """Deadline `days` business days after `start` (aware UTC); one day = closes - opens of open time."""
    duration = _scale(cal.daily_open_time, days)
    return _to_utc(cal, _advance(cal, _to_local(cal, start), duration))


def open_hours_between(cal: OperatingCalendar, start: datetime, end: datetime) -> timedelta:
    """Open time between two instants; negative if `end` is before `start` (an overdue deadline)."""
    local_start, local_end = _to_local(cal, start), _to_local(cal, end)
    if local_end < local_start:
        return -open_hours_between(cal, end, start)
    total = timedelta(0)
    day = local_start.date()
    while day <= local_end.date():
        if is_working_day(cal, day):
            lo = max(local_start, datetime.combine(day, cal.opens))
            hi = min(local_end, datetime.combine(day, cal.closes))
            if hi > lo:
                total += hi - lo
        day += timedelta(days=1)
    return total
