"""Dates, times and relative times in the reader's language (core.formats with core.i18n)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from core.formats import (
    format_date,
    format_duration,
    format_hours,
    format_local,
    format_megabytes,
    format_price_change,
    format_relative,
    format_rupiah,
    format_size_against,
)
from core.i18n import using

AT = datetime(2026, 11, 30, 7, 5, tzinfo=UTC)  # 14:05 in Jakarta, 15:05 in Makassar, 16:05 in Jayapura


def test_a_moment_reads_with_indonesian_month_names_and_a_dot_between_hours_and_minutes():
    assert format_local(AT, "Asia/Jakarta", code="id") == "30 Nov 2026 14.05 WIB"
    assert format_local(AT, "Asia/Jakarta", code="en") == "30 Nov 2026 14:05 WIB"
    assert format_local(AT, "Asia/Jayapura", code="id", with_date=False) == "16.05 WIT"
    with using("id"):
        assert format_local(AT, "Asia/Makassar") == "30 Nov 2026 15.05 WITA"
    assert format_local(AT, "Asia/Makassar") == "30 Nov 2026 15:05 WITA"  # outside: the default, English


@pytest.mark.parametrize(
    "day, indonesian, english",
    [
        (date(2026, 5, 1), "01 Mei 2026", "01 May 2026"),
        (date(2026, 8, 17), "17 Agu 2026", "17 Aug 2026"),
        (date(2026, 10, 2), "02 Okt 2026", "02 Oct 2026"),
        (date(2026, 12, 25), "25 Des 2026", "25 Dec 2026"),
    ],
)
def test_months_are_named_in_each_language(day, indonesian, english):
    assert (format_date(day, "id"), format_date(day, "en")) == (indonesian, english)


@pytest.mark.parametrize(
    "delta, indonesian, english",
    [
        (timedelta(hours=2), "2 jam lagi", "in 2 hours"),
        (timedelta(minutes=-45), "45 menit yang lalu", "45 minutes ago"),
        (timedelta(days=3, hours=1), "3 hari lagi", "in 3 days"),
    ],
)
def test_relative_times_read_as_people_say_them(delta, indonesian, english):
    assert (format_relative(delta, "id"), format_relative(delta, "en")) == (indonesian, english)


def test_rupiah_reads_the_same_in_both_languages():
    assert format_rupiah(1_234_567) == "Rp1.234.567"


@pytest.mark.parametrize(
    "delta, indonesian, english",
    [
        (timedelta(days=2, hours=3), "2 hari 3 jam", "2 d 3 h"),
        (timedelta(days=1, minutes=30), "1 hari", "1 d"),
        (timedelta(hours=1, minutes=5), "1 jam 5 mnt", "1 h 5 min"),
        (timedelta(minutes=45), "45 mnt", "45 min"),
        (timedelta(seconds=20), "kurang dari 1 menit", "less than a minute"),
        (timedelta(hours=-1, minutes=-5), "terlambat 1 jam 5 mnt", "overdue by 1 h 5 min"),
    ],
)
def test_durations_read_in_each_language(delta, indonesian, english):
    assert (format_duration(delta, "id"), format_duration(delta, "en")) == (indonesian, english)
    with using("id"):
        assert format_duration(delta) == indonesian
    assert format_duration(delta) == english  # outside: the default, English


def test_hours_price_changes_and_sizes_read_in_each_language():
    assert (format_hours(2.5, "id"), format_hours(2.5, "en")) == ("2,5 jam", "2,5 h")
    assert (format_price_change(None, "id"), format_price_change(None, "en")) == ("baru", "new")
    assert (format_price_change(12.5, "id"), format_price_change(12.5, "en")) == ("+12,5%", "+12.5%")
    assert format_price_change(100.0, "id") == "+100%"
    just_over = 5 * 2**20 + 3
    assert format_size_against(just_over, 5 * 2**20, "id") == ("5.242.883 byte", "5,0 MB (5.242.880 byte)")
    assert format_size_against(just_over, 5 * 2**20, "en") == ("5,242,883 bytes", "5.0 MB (5,242,880 bytes)")
    assert format_megabytes(3 * 2**20, "id") == "3,0 MB"
