"""Rupiah, dates and times as the pages show them."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from core.formats import format_date, format_local, format_rupiah, format_rupiah_short, format_wall
from core.warehouses.rules import format_day


@pytest.mark.parametrize(
    "amount,text",
    [(0, "Rp0"), (950, "Rp950"), (1_234_567, "Rp1.234.567"), (-5_000, "-Rp5.000"), (1_000_000_000, "Rp1.000.000.000")],
)
def test_format_rupiah(amount, text):
    assert format_rupiah(amount) == text


@pytest.mark.parametrize(
    "amount,text",
    [
        (999_999, "Rp999.999"),
        (1_000_000, "Rp1 jt"),
        (1_234_567, "Rp1,23 jt"),
        (38_412_345, "Rp38,4 jt"),
        (100_000_000, "Rp100 jt"),
        (999_999_999, "Rp1 M"),
        (1_250_000_000, "Rp1,25 M"),
        (2_100_000_000_000, "Rp2,1 T"),
        (-38_412_345, "-Rp38,4 jt"),
    ],
)
def test_format_rupiah_short(amount, text):
    assert format_rupiah_short(amount) == text


@pytest.mark.parametrize("bad", [1.5, "100", True, None])
def test_only_whole_rupiah(bad):
    with pytest.raises(TypeError):
        format_rupiah(bad)
    with pytest.raises(TypeError):
        format_rupiah_short(bad)


# --- Dates and times: one rule everywhere -----------------------------------------------------------


@pytest.mark.parametrize(
    "zone,text",
    [
        ("Asia/Jakarta", "01 Dec 2026 14:05 WIB"),
        ("Asia/Makassar", "01 Dec 2026 15:05 WITA"),
        ("Asia/Jayapura", "01 Dec 2026 16:05 WIT"),
    ],
)
def test_a_moment_reads_in_the_zone_with_its_abbreviation(zone, text):
    moment = datetime(2026, 12, 1, 7, 5, tzinfo=UTC)
    assert format_local(moment, zone) == text
    assert format_local(moment, zone, with_date=False) == text[len("01 Dec 2026 ") :]


def test_a_date_a_wall_time_and_a_local_time_follow_the_same_rule():
    moment = datetime(2026, 11, 30, 7, 5, tzinfo=UTC)
    assert format_date(date(2026, 11, 30)) == "30 Nov 2026"
    assert format_wall(datetime(2026, 11, 30, 14, 5), "WIB") == format_local(moment, "Asia/Jakarta")
    assert format_local(moment, "Asia/Jakarta") == "30 Nov 2026 14:05 WIB"
    assert format_day(date(2026, 12, 1)) == format_date(date(2026, 12, 1)) == "01 Dec 2026"
    assert format_local(None, "Asia/Jakarta") == "—"


def test_the_ui_writes_dates_and_times_through_the_same_rule():
    from app.ui import formats

    moment = datetime(2026, 11, 30, 7, 5, tzinfo=UTC)
    assert formats.local_time(moment, "Asia/Makassar") == "30 Nov 2026 15:05 WITA"
    assert formats.wall_time(datetime(2026, 11, 30, 15, 5), "WITA") == "30 Nov 2026 15:05 WITA"
    assert formats.calendar_day(date(2026, 11, 30)) == "30 Nov 2026"
    assert not hasattr(formats, "utc_time")  # no time a person reads is in UTC
