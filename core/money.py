"""Money as people read it: integer rupiah with dots between thousands ("Rp1.234.567")."""
from __future__ import annotations


def format_rupiah(amount: int) -> str:
    """`1234567` -> `"Rp1.234.567"`; negative amounts get a leading minus (`"-Rp5.000"`)."""
    if isinstance(amount, bool) or not isinstance(amount, int):
        raise TypeError(f"rupiah amounts are whole numbers, got {amount!r}")
    sign = "-" if amount < 0 else ""
    return f"{sign}Rp{abs(amount):,}".replace(",", ".")
