"""Business time for the bulk demo, vectorised: `BusinessClock` gives deadlines for a whole numpy
array of start times at once, by the same rules as core.warehouses.business_time (checked against
it, property by property, in tests/core/demo/test_bulk.py). Times are int64 microseconds since the
epoch (UTC), `NEVER` for a moment that did not come."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import numpy as np

from core.warehouses.business_time import OperatingCalendar, is_working_day

US = 1_000_000
HOUR = 3600 * US
DAY = 24 * HOUR
NEVER = np.iinfo(np.int64).max // 2


class BusinessClock:
    """`add_business_days` for many start times at once, for one warehouse.

    The warehouse's open intervals between `first` and `last` (local dates) are laid end to end;
    "N business days from t" is then a lookup in their running total of open time. Same rules as
    core.warehouses.business_time: the clock starts at t if open, else at the next opening; a deadline that
    uses up a day exactly ends at closing time.
    """

    def __init__(self, calendar: OperatingCalendar, first: date, last: date):
        zone = ZoneInfo(calendar.time_zone)
        opens, closes = [], []
        day = first
        while day <= last:
            if is_working_day(calendar, day):
                opens.append(to_micros(datetime.combine(day, calendar.opens, zone)))
                closes.append(to_micros(datetime.combine(day, calendar.closes, zone)))
            day += timedelta(days=1)
        self.opens = np.array(opens, dtype=np.int64)
        self.closes = np.array(closes, dtype=np.int64)
        lengths = self.closes - self.opens
        self.before = np.concatenate(([0], np.cumsum(lengths)[:-1])).astype(np.int64)
        self.after = self.before + lengths
        self.day_us = int(calendar.daily_open_time.total_seconds() * US)

    def clock_start(self, starts: np.ndarray) -> np.ndarray:
        k = np.searchsorted(self.closes, starts, side="right")
        if (k >= len(self.closes)).any():
            raise ValueError("a start time is past the calendar built for the bulk demo")
        return np.maximum(starts, self.opens[k])

    def add_days(self, starts: np.ndarray, days: np.ndarray | float) -> np.ndarray:
        k = np.searchsorted(self.closes, starts, side="right")
        effective = np.maximum(starts, self.opens[k])
        target = self.before[k] + (effective - self.opens[k]) + np.rint(np.asarray(days) * self.day_us).astype(np.int64)
        # The interval where the remaining time runs out; never one before the clock started
        # (with nothing to spend, the deadline is the start itself, not the previous closing).
        j = np.maximum(np.searchsorted(self.after, target, side="left"), k)
        if (j >= len(self.after)).any():
            raise ValueError("a deadline is past the calendar built for the bulk demo")
        return self.opens[j] + (target - self.before[j])


def zone_offset_us(zone: str) -> int:
    """The zone's offset from UTC in microseconds, as on 1 January 2026 (Indonesia has no summer time)."""
    offset = datetime(2026, 1, 1, tzinfo=ZoneInfo(zone)).utcoffset()
    assert offset is not None  # an aware datetime has one
    return int(offset.total_seconds() * US)


def to_micros(moment: datetime) -> int:
    delta = moment.astimezone(UTC) - datetime(1970, 1, 1, tzinfo=UTC)
    return (delta.days * 86400 + delta.seconds) * US + delta.microseconds
