"""Dates, times and relative times in the reader's language (core.formats with core.i18n)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from core.formats import format_date, format_local, format_relative, format_rupiah
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
