"""The nightly rebuild: when it is due (a rule of time, no database), and what it leaves behind (the
snapshot's pointer says when it was last built whole; syncs keep that)."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

import pytest

from core.analytics.sync import RELAYOUT_ZONE, rebuild, relayout_due, sync

AT = time(2, 0)


def wib(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 11, day, hour, minute, tzinfo=RELAYOUT_ZONE)


@pytest.mark.parametrize(
    ("rebuilt_at", "now", "due"),
    [
        (wib(25, 2, 10), wib(26, 1, 59), False),  # not 02:00 yet: last night's rebuild stands
        (wib(25, 2, 10), wib(26, 2, 0), True),  # 02:00: due
        (wib(25, 2, 10), wib(26, 5, 59), True),  # still within the four hours after 02:00
        (wib(25, 2, 10), wib(26, 6, 0), False),  # the window passed: not in the working day
        (wib(26, 2, 1), wib(26, 2, 30), False),  # done tonight already
        (wib(26, 1, 0), wib(26, 2, 1), True),  # rebuilt by hand before 02:00: tonight's is still due
        (None, wib(26, 3, 0), True),  # never rebuilt (or before this was recorded)
        (None, wib(26, 12, 0), False),  # ... but not at noon
        (wib(25, 2, 10), wib(26, 2, 0).astimezone(UTC), True),  # any zone in, the same moment
    ],
)
def test_the_nightly_rebuild_is_due_once_a_night_within_four_hours_of_its_time(rebuilt_at, now, due):
    assert relayout_due(rebuilt_at, now, AT) is due


def test_another_time_of_day_moves_the_window():
    assert relayout_due(wib(25, 23, 0), wib(26, 23, 30), time(23, 15))
    assert not relayout_due(wib(25, 23, 0), wib(26, 3, 16), time(23, 15))  # 4 h 1 min after it
    assert relayout_due(wib(25, 23, 20), wib(26, 1, 0), time(23, 15)) is False  # done last night
    assert relayout_due(wib(24, 23, 20), wib(26, 1, 0), time(23, 15))  # 1:45 after last night's 23:15


def test_a_rebuild_records_when_it_ran_and_syncs_keep_it(store, dataset, analytics, now):
    assert analytics.rebuilt_at() is None
    sync(store, analytics, now)  # the first sync builds the snapshot whole
    assert analytics.rebuilt_at() == now
    later = now + timedelta(hours=3)
    sync(store, analytics, later)
    sync(store, analytics, later + timedelta(minutes=1))
    assert analytics.rebuilt_at() == now
    one_pm = time(13, 0)  # WIB: 3 hours after `now`, 10:00 WIB
    assert relayout_due(analytics.rebuilt_at(), later + timedelta(hours=1), one_pm)
    rebuild(store, analytics, later + timedelta(hours=1))
    assert analytics.rebuilt_at() == later + timedelta(hours=1)
    assert not relayout_due(analytics.rebuilt_at(), later + timedelta(hours=1, minutes=5), one_pm)
