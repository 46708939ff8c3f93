"""The rules of a warehouse, in one place: the limits, what the pages read (the views and their
labels) and the checks of what people type. Nothing here touches the store.

A refused value raises InvalidInput naming the field and why.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from core.domain import WarehouseStatus
from core.errors import InvalidInput
from core.formats import format_date, format_local
from core.text import clean_text, shown
from core.warehouses.business_time import INDONESIAN_TIME_ZONES, zone_abbreviation

# --- The limits ----------------------------------------------------------------------------------

CODE_PATTERN = re.compile(r"[A-Z0-9][A-Z0-9-]{0,30}[A-Z0-9]")  # 2–32 characters, no dash at either end
MAX_CODE = 32
MAX_NAME = 200
MAX_ADDRESS = 500
MAX_CLOSURE_REASON = 200
DEFAULT_SLA_DAYS = 3
DEFAULT_PROCESSING_DAYS = 2  # the FAQ's default
SLA_DAYS = (1, 30)  # calendar days
PROCESSING_DAYS = (1, 10)  # business days
#: Closures are planned at most this far ahead, and at most this many days at once: the business-
#: time rules give up after three closed years in a row, and a longer "closure" is a closing.
CLOSURE_HORIZON = timedelta(days=730)
MAX_CLOSURE_SPAN_DAYS = 92
#: How many order numbers / SKUs a refused closing names before "and N more".
NAMED_BLOCKERS = 5

WEEKDAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
ZONE_REGIONS = {
    "Asia/Jakarta": "Java, Sumatra, West and Central Kalimantan",
    "Asia/Makassar": "Bali, Nusa Tenggara, Sulawesi, South, East and North Kalimantan",
    "Asia/Jayapura": "Maluku and Papua",
}
#: Real Indonesian IANA zones the marketplace does not use, and the one to choose instead.
ZONE_ALIASES = {"Asia/Pontianak": "Asia/Jakarta"}
CHANGES_APPLY_FROM_NOW = (
    "Changes apply to orders from now on: deadlines already set on orders (to confirm, pack or deliver) do not move."
)


# --- What the pages read -------------------------------------------------------------------------


@dataclass(frozen=True)
class Closure:
    day: date
    reason: str


@dataclass(frozen=True)
class WarehouseView:
    """One warehouse as the lists show it, with what stands in the way of closing it."""

    code: str
    name: str
    address: str
    time_zone: str
    status: WarehouseStatus
    opens_at: time
    closes_at: time
    operating_days: tuple[int, ...]  # 0 = Monday
    processing_days: int
    delivery_sla_days: int
    observe_joint_leave: bool
    open_orders: int
    reserved_units: int
    updated_at: datetime
    closures: tuple[Closure, ...] = ()  # today's and later ones, in the warehouse's local dates

    @property
    def is_open(self) -> bool:
        return self.status == WarehouseStatus.OPEN

    @property
    def zone_abbreviation(self) -> str:
        return zone_abbreviation(self.time_zone)

    @property
    def zone_label(self) -> str:
        return zone_label(self.time_zone)

    @property
    def hours_label(self) -> str:
        """'08:00–17:00 WIB'."""
        return f"{self.opens_at:%H:%M}–{self.closes_at:%H:%M} {self.zone_abbreviation}"

    @property
    def days_label(self) -> str:
        return days_label(self.operating_days)

    def closing_sentence(self, now: datetime) -> str:
        """What closing it now does, in one sentence, for the confirmation: "Close JKT-01 (Gudang
        Cakung) from 30 Nov 2026 14:05 WIB: no new orders reach it until it is reopened; its stock
        and settings are kept." With open orders, that they must be finished first."""
        start = f"Close {self.code} ({self.name}) from {format_local(now, self.time_zone)}: no new orders reach it"
        if self.open_orders:
            return f"{start}; its {plural(self.open_orders, 'open order')} must be finished first."
        return f"{start} until it is reopened; its stock and settings are kept."


@dataclass(frozen=True)
class WarehouseUpdate:
    """The warehouse after a change, and what changed, in words: {"delivery SLA": ("3 days", "5 days")}."""

    warehouse: WarehouseView
    changes: dict[str, tuple[str, str]] = field(default_factory=dict)

    @property
    def summary(self) -> str:
        return "; ".join(f"{what} {before} → {after}" for what, (before, after) in self.changes.items())


def zone_label(time_zone: str) -> str:
    """'WIB · Asia/Jakarta (Java, Sumatra, …)'."""
    return f"{zone_abbreviation(time_zone)} · {time_zone} ({ZONE_REGIONS[time_zone]})"


def days_label(days: tuple[int, ...] | list[int]) -> str:
    """(0, 1, 2, 3, 4) -> 'Mon–Fri'; (0, 2, 4) -> 'Mon, Wed, Fri'; runs of three or more get a dash."""
    runs: list[list[int]] = []
    for day in sorted(days):
        if runs and day == runs[-1][-1] + 1:
            runs[-1].append(day)
        else:
            runs.append([day])
    short = [name[:3] for name in WEEKDAY_NAMES]
    parts = []
    for run in runs:
        if len(run) >= 3:
            parts.append(f"{short[run[0]]}–{short[run[-1]]}")
        else:
            parts.extend(short[d] for d in run)
    return ", ".join(parts)


def format_day(day: date) -> str:
    """'26 Nov 2026': a date nobody misreads (core.formats.format_date, the one rule for dates)."""
    return format_date(day)


def plural(n: int, unit: str) -> str:
    """'1 business day', '2 business days'."""
    return f"{n} {unit}" if n == 1 else f"{n} {unit}s"


def local_today(time_zone: str, now: datetime) -> date:
    """The date it is now at the warehouse (closures are local dates)."""
    return now.astimezone(ZoneInfo(time_zone)).date()


# --- Checking what people type -------------------------------------------------------------------


def clean_code(code: str) -> str:
    """Warehouse codes are kept in capitals, as they are printed on labels ('jkt-2' is 'JKT-2')."""
    cleaned = clean_text(code, what="warehouse code", field="code", max_length=None).upper()
    if not cleaned:
        raise InvalidInput("Enter a warehouse code, e.g. JKT-02.", field="code")
    if not CODE_PATTERN.fullmatch(cleaned):
        raise InvalidInput(
            f"The warehouse code {shown(cleaned)!r} is not valid: use 2 to {MAX_CODE} letters A–Z, digits and dashes, "
            "starting and ending with a letter or digit (e.g. JKT-02).",
            field="code",
        )
    return cleaned


def clean_name(name: str) -> str:
    return clean_text(
        name,
        what="warehouse name",
        field="name",
        max_length=MAX_NAME,
        collapse_spaces=True,
        required="Enter the warehouse's name; it is shown to your colleagues and in orders.",
    )


def clean_address(address: str) -> str:
    """Several lines, as written on an envelope."""
    return clean_text(address, what="address", field="address", max_length=MAX_ADDRESS, multiline=True)


def check_time_zone(time_zone: str) -> str:
    zone = shown(time_zone, limit=60)  # one of a few names: anything else is refused, quoted safely
    if zone in INDONESIAN_TIME_ZONES:
        return zone
    choices = ", ".join(f"{z} ({a})" for z, a in INDONESIAN_TIME_ZONES.items())
    if not zone:
        raise InvalidInput(f"Choose the warehouse's time zone: {choices}.", field="time_zone")
    if zone in ZONE_ALIASES:
        instead = ZONE_ALIASES[zone]
        raise InvalidInput(
            f"{zone} keeps the same time as {instead} ({INDONESIAN_TIME_ZONES[instead]}); choose {instead}.",
            field="time_zone",
        )
    raise InvalidInput(f"{zone} is not an Indonesian time zone; choose one of {choices}.", field="time_zone")


def check_hours(opens_at: time, closes_at: time) -> None:
    for value, name, label in ((opens_at, "opens_at", "opening time"), (closes_at, "closes_at", "closing time")):
        if not isinstance(value, time) or value.tzinfo is not None:
            raise InvalidInput(f"Enter the {label} as a local time of day, e.g. 08:00.", field=name)
    if not opens_at < closes_at:
        raise InvalidInput(
            f"The opening time ({opens_at:%H:%M}) must be before the closing time ({closes_at:%H:%M}) on the same day.",
            field="opens_at",
        )


def clean_operating_days(days) -> str:
    """As stored: '0,1,2,3,4' (0 = Monday)."""
    chosen = set(days or ())
    if not all(isinstance(d, int) and not isinstance(d, bool) and 0 <= d <= 6 for d in chosen):
        raise InvalidInput("Operating days are weekdays from Monday to Sunday.", field="operating_days")
    if not chosen:
        raise InvalidInput(
            "Choose at least one operating day: a warehouse that never opens cannot take orders.",
            field="operating_days",
        )
    return ",".join(str(d) for d in sorted(chosen))


def _check_whole_number(value, bounds: tuple[int, int], field: str, what: str) -> int:
    low, high = bounds
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise InvalidInput(f"The {what} must be a whole number from {low} to {high}; {value!r} is not.", field=field)
    return value


def check_sla(days) -> int:
    return _check_whole_number(days, SLA_DAYS, "delivery_sla_days", "delivery SLA (calendar days)")


def check_processing(days) -> int:
    return _check_whole_number(days, PROCESSING_DAYS, "processing_days", "processing time (business days)")


def check_joint_leave(observe) -> bool:
    if not isinstance(observe, bool):
        raise InvalidInput(
            "Say whether the warehouse observes joint-leave days (yes or no).", field="observe_joint_leave"
        )
    return observe


def clean_closure_reason(reason: str) -> str:
    return clean_text(
        reason,
        what="closure reason",
        field="reason",
        max_length=MAX_CLOSURE_REASON,
        collapse_spaces=True,
        required="Say why the warehouse is closed (e.g. stock-taking); your colleagues see it.",
    )


def closure_days(first_day: date, last_day: date | None, today: date) -> list[date]:
    """Every date from `first_day` to `last_day` (or just `first_day`), if they are today or later at
    the warehouse, within the planning horizon and not too many at once."""
    last_day = first_day if last_day is None else last_day
    for value in (first_day, last_day):
        if not isinstance(value, date) or isinstance(value, datetime):
            raise InvalidInput("Choose the closure dates from the calendar.", field="day")
    if last_day < first_day:
        raise InvalidInput(
            f"The last closure day ({format_day(last_day)}) is before the first ({format_day(first_day)}).", field="day"
        )
    if first_day < today:
        raise InvalidInput(
            f"{format_day(first_day)} has already passed in the warehouse's time zone; "
            "closures are for today or later.",
            field="day",
        )
    if last_day > today + CLOSURE_HORIZON:
        raise InvalidInput(
            f"Closures can be planned up to {format_day(today + CLOSURE_HORIZON)}; {format_day(last_day)} is later.",
            field="day",
        )
    span = (last_day - first_day).days + 1
    if span > MAX_CLOSURE_SPAN_DAYS:
        raise InvalidInput(
            f"One closure may cover at most {MAX_CLOSURE_SPAN_DAYS} days ({span} chosen); "
            "for longer, the System Administrator closes the warehouse.",
            field="day",
        )
    return [first_day + timedelta(days=n) for n in range(span)]
