"""Rupiah as the pages show it."""

from __future__ import annotations

import pytest

from core.formats import format_rupiah, format_rupiah_short


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
