"""Tests for core.warehouses.business_time: the warehouse business-day clock."""

from datetime import UTC, date, datetime, time, timedelta, timezone
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from core.warehouses.business_time import (
    INDONESIAN_TIME_ZONES,
    OperatingCalendar,
    add_business_days,
    add_business_hours,
    is_open,
    is_working_day,
    next_opening,
    non_working_days,
    open_hours_between,
    zone_abbreviation,
)

UTC = UTC
WIB = ZoneInfo("Asia/Jakarta")
MON_FRI = frozenset(range(5))


def office(time_zone="Asia/Jakarta", **overrides):
    """The spec's example warehouse: 08:00-17:00, Monday to Friday."""
    fields = dict(time_zone=time_zone, operating_weekdays=MON_FRI, opens=time(8), closes=time(17))
    fields.update(overrides)
    return OperatingCalendar(**fields)


def local(y, m, d, hh=0, mm=0, tz=WIB):
    return datetime(y, m, d, hh, mm, tzinfo=tz)


# --------------------------------------------------------------------------- examples


def test_an_order_placed_at_night_starts_its_clock_when_the_warehouse_opens():
    cal = office()
    tuesday_night = local(2026, 6, 9, 22)
    assert next_opening(cal, tuesday_night) == local(2026, 6, 10, 8)
    assert add_business_days(cal, tuesday_night, 1) == local(2026, 6, 10, 17)


def test_an_order_placed_before_dawn_starts_at_that_mornings_opening():
    cal = office()
    assert add_business_hours(cal, local(2026, 6, 10, 3), 2) == local(2026, 6, 10, 10)


def test_next_opening_is_the_instant_itself_while_open_and_is_returned_in_utc():
    cal = office()
    opening = next_opening(cal, local(2026, 6, 10, 9, 30))
    assert opening == local(2026, 6, 10, 9, 30)
    assert opening.tzinfo is UTC


def test_a_friday_afternoon_order_rolls_over_the_weekend():
    cal = office()
    friday_4pm = local(2026, 6, 12, 16)
    assert friday_4pm.weekday() == 4
    # 1 h on Friday, then 8 h from Monday 08:00.
    assert add_business_days(cal, friday_4pm, 1) == local(2026, 6, 15, 16)


def test_a_public_holiday_is_skipped():
    independence_day = date(2026, 8, 17)
    assert non_working_days(office(), 2026)[independence_day] == "Independence Day"
    assert independence_day.weekday() == 0
    cal = office()
    assert not is_working_day(cal, independence_day)
    assert add_business_days(cal, local(2026, 8, 14, 16), 1) == local(2026, 8, 18, 16)


def test_a_joint_leave_day_is_skipped_when_observed_and_counted_when_not():
    joint_leave, lunar_new_year = date(2026, 2, 16), date(2026, 2, 17)
    names = non_working_days(office(), 2026)
    assert names[joint_leave] == "Lunar New Year Joint Holiday"
    assert names[lunar_new_year] == "Lunar New Year"
    friday_4pm = local(2026, 2, 13, 16)

    observing = office(observe_joint_leave=True)
    # Monday is cuti bersama, Tuesday a public holiday -> Wednesday.
    assert add_business_days(observing, friday_4pm, 1) == local(2026, 2, 18, 16)

    working_through = office(observe_joint_leave=False)
    assert is_working_day(working_through, joint_leave)
    assert joint_leave not in non_working_days(working_through, 2026)
    assert add_business_days(working_through, friday_4pm, 1) == local(2026, 2, 16, 16)


def test_a_warehouse_closure_is_skipped_and_listed_by_name():
    closed_monday = date(2026, 3, 2)
    cal = office(closures=frozenset({closed_monday}))
    assert add_business_days(cal, local(2026, 2, 27, 16), 1) == local(2026, 3, 3, 16)
    assert non_working_days(cal, 2026)[closed_monday] == "Warehouse closure"


def test_all_three_time_zones_give_the_same_local_deadline_at_different_utc_instants():
    deadlines = {}
    for zone_name in INDONESIAN_TIME_ZONES:
        zone = ZoneInfo(zone_name)
        deadline = add_business_days(office(zone_name), local(2026, 6, 10, 10, tz=zone), 1)
        assert deadline.astimezone(zone).replace(tzinfo=None) == datetime(2026, 6, 11, 10)
        deadlines[zone_name] = deadline
    assert deadlines["Asia/Jakarta"] == datetime(2026, 6, 11, 3, tzinfo=UTC)
    assert deadlines["Asia/Makassar"] == datetime(2026, 6, 11, 2, tzinfo=UTC)
    assert deadlines["Asia/Jayapura"] == datetime(2026, 6, 11, 1, tzinfo=UTC)


def test_the_start_instant_may_be_given_in_any_time_zone():
    cal = office()
    wednesday_10_wib = datetime(2026, 6, 10, 3, tzinfo=UTC)
    assert add_business_days(cal, wednesday_10_wib, 1) == local(2026, 6, 11, 10)


def test_a_deadline_landing_exactly_on_closing_time_stays_at_closing_time():
    cal = office()
    assert add_business_days(cal, local(2026, 6, 10, 8), 1) == local(2026, 6, 10, 17)
    assert add_business_hours(cal, local(2026, 6, 12, 15), 2) == local(2026, 6, 12, 17)


def test_work_arriving_at_closing_time_starts_at_the_next_opening():
    cal = office()
    assert not is_open(cal, local(2026, 6, 10, 17))
    assert is_open(cal, local(2026, 6, 10, 8))
    assert next_opening(cal, local(2026, 6, 10, 17)) == local(2026, 6, 11, 8)


def test_two_business_days_the_default_packing_time_spans_two_operating_days():
    cal = office()
    assert add_business_days(cal, local(2026, 6, 8, 10), 2) == local(2026, 6, 10, 10)
    assert add_business_days(cal, local(2026, 6, 11, 10), 2) == local(2026, 6, 15, 10)


def test_fractional_days_are_fractions_of_the_daily_open_hours():
    cal = office()
    assert add_business_days(cal, local(2026, 6, 10, 8), 0.5) == local(2026, 6, 10, 12, 30)
    # 1.5 days = 13.5 h: 4 h Wednesday, 9 h Thursday, 0.5 h Friday.
    assert add_business_days(cal, local(2026, 6, 10, 13), Decimal("1.5")) == local(2026, 6, 12, 8, 30)


def test_zero_business_days_is_the_moment_the_clock_starts():
    cal = office()
    assert add_business_days(cal, local(2026, 6, 13, 12), 0) == local(2026, 6, 15, 8)


def test_a_naive_datetime_is_rejected():
    with pytest.raises(ValueError, match="timezone-aware"):
        add_business_days(office(), datetime(2026, 6, 10, 10), 1)
    with pytest.raises(ValueError, match="timezone-aware"):
        open_hours_between(office(), local(2026, 6, 10, 10), datetime(2026, 6, 11, 10))


def test_a_time_zone_outside_indonesia_is_rejected():
    with pytest.raises(ValueError, match="unsupported time zone 'Asia/Singapore'"):
        office("Asia/Singapore")
    with pytest.raises(ValueError, match="unsupported time zone"):
        zone_abbreviation("UTC")


@pytest.mark.parametrize(
    "overrides, message",
    [
        (dict(opens=time(17), closes=time(8)), "must be earlier than closes"),
        (dict(opens=time(9), closes=time(9)), "must be earlier than closes"),
        (dict(operating_weekdays=frozenset()), "must not be empty"),
        (dict(operating_weekdays=frozenset({7})), "0 \\(Monday\\)..6 \\(Sunday\\)"),
    ],
)
def test_an_inconsistent_calendar_is_rejected(overrides, message):
    with pytest.raises(ValueError, match=message):
        office(**overrides)


def test_negative_or_non_finite_amounts_are_rejected():
    for bad in (-1, float("nan"), float("inf"), Decimal("-0.5")):
        with pytest.raises(ValueError):
            add_business_days(office(), local(2026, 6, 10, 10), bad)


def test_a_calendar_that_never_opens_raises_instead_of_looping_forever():
    sundays = frozenset(date(2026, 1, 4) + timedelta(weeks=n) for n in range(52 * 5))
    cal = office(operating_weekdays=frozenset({6}), closures=sundays)
    with pytest.raises(ValueError, match="no working day found"):
        add_business_days(cal, local(2026, 1, 1, 10), 1)


def test_zone_abbreviations_are_wib_wita_and_wit():
    zones = ("Asia/Jakarta", "Asia/Makassar", "Asia/Jayapura")
    assert [zone_abbreviation(z) for z in zones] == ["WIB", "WITA", "WIT"]


def test_open_hours_between_round_trips_with_add_business_hours():
    cal = office(closures=frozenset({date(2026, 6, 15)}))
    start = local(2026, 6, 11, 19, 45)
    for hours in (0.25, 1, 9, 20.5, 47):
        deadline = add_business_hours(cal, start, hours)
        assert open_hours_between(cal, start, deadline) == timedelta(hours=hours)


def test_open_hours_between_is_negative_once_the_deadline_has_passed():
    cal = office()
    deadline, now = local(2026, 6, 12, 16), local(2026, 6, 15, 9)
    assert open_hours_between(cal, now, deadline) == -timedelta(hours=2)


def test_open_hours_between_ignores_time_outside_open_hours():
    cal = office()
    assert open_hours_between(cal, local(2026, 6, 12, 17), local(2026, 6, 15, 8)) == timedelta(0)


# --------------------------------------------------------------------------- properties

ZONES = list(INDONESIAN_TIME_ZONES)


def _clock(seconds):
    return time(seconds // 3600, seconds // 60 % 60, seconds % 60)


@st.composite
def calendars(draw):
    opens_s = draw(st.integers(0, 86_398))
    closes_s = draw(st.integers(opens_s + 1, 86_399))
    return OperatingCalendar(
        time_zone=draw(st.sampled_from(ZONES)),
        operating_weekdays=draw(st.frozensets(st.integers(0, 6), min_size=1)),
        opens=_clock(opens_s),
        closes=_clock(closes_s),
        closures=draw(st.frozensets(st.dates(date(2025, 1, 1), date(2028, 6, 30)), max_size=30)),
        observe_joint_leave=draw(st.booleans()),
    )


start_instants = st.datetimes(
    min_value=datetime(2025, 1, 1),
    max_value=datetime(2027, 12, 31, 23, 59, 59),
    timezones=st.sampled_from([UTC, *map(ZoneInfo, ZONES), timezone(timedelta(hours=-5))]),
)

day_amounts = st.one_of(
    st.floats(min_value=0, max_value=5, exclude_min=True, allow_nan=False),
    st.decimals(min_value=Decimal("0.001"), max_value=5, places=3),
    st.integers(1, 5),
)


@settings(max_examples=200, deadline=None)
@given(cal=calendars(), start=start_instants, days=day_amounts)
def test_every_deadline_falls_inside_open_hours_after_the_start_and_spends_exactly_the_days(cal, start, days):
    deadline = add_business_days(cal, start, days)

    assert deadline.tzinfo is UTC
    assert deadline >= start
    wall = deadline.astimezone(ZoneInfo(cal.time_zone))
    assert is_working_day(cal, wall.date())
    assert cal.opens <= wall.time().replace(tzinfo=None) <= cal.closes

    expected = cal.daily_open_time * float(days)
    assert abs(open_hours_between(cal, start, deadline) - expected) <= timedelta(seconds=1)


@settings(max_examples=200, deadline=None)
@given(cal=calendars(), start=start_instants)
def test_the_clock_starts_at_an_open_instant_never_before_the_arrival(cal, start):
    opening = next_opening(cal, start)
    assert opening >= start
    assert is_open(cal, opening)
    assert open_hours_between(cal, start, opening) == timedelta(0)
