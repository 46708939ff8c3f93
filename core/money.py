"""Money as people read it: integer rupiah with dots between thousands ("Rp1.234.567")."""
from __future__ import annotations


def format_rupiah(amount: int) -> str:
    """`1234567` -> `"Rp1.234.567"`; negative amounts get a leading minus (`"-Rp5.000"`)."""
    if isinstance(amount, bool) or not isinstance(amount, int):
        raise TypeError(f"rupiah amounts are whole numbers, got {amount!r}")
    sign = "-" if amount < 0 else ""
    return f"{sign}Rp{abs(amount):,}".replace(",", ".")


def format_rupiah_short(amount: int) -> str:
    """A card-sized amount, as Indonesians write it: `"Rp38,4 jt"` (juta), `"Rp1,25 M"` (miliar),
    `"Rp2,1 T"` (triliun); below a million the whole amount (`"Rp950.000"`)."""
    if isinstance(amount, bool) or not isinstance(amount, int):
        raise TypeError(f"rupiah amounts are whole numbers, got {amount!r}")
    sign = "-" if amount < 0 else ""
    value = abs(amount)
    units = ((10**6, "jt"), (10**9, "M"), (10**12, "T"))
    chosen = None
    for index, (size, unit) in enumerate(units):
        if value < size:
            break
        scaled = value / size
        digits = 2 if scaled < 10 else 1 if scaled < 100 else 0
        shown = round(scaled, digits)
        if shown >= 1000 and index + 1 < len(units):
            chosen = (1, 0, units[index + 1][1])  # 999.999.999 is "Rp1 M", not "Rp1000 jt"
            continue
        chosen = (shown, digits, unit)
    if chosen is None:
        return sign + format_rupiah(value)
    shown, digits, unit = chosen
    text = f"{shown:.{digits}f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return f"{sign}Rp{text.replace('.', ',')} {unit}"
