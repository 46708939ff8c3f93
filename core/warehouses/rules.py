"""The rules of a warehouse, in one place: the limits, what the pages read (the views and their
labels) and the checks of what people type. Nothing here touches the store.

A refused value raises InvalidInput naming the field and why.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from functools import cache
from typing import Literal
from zoneinfo import ZoneInfo

from babel.dates import get_day_names

from core.domain import WarehouseStatus
from core.errors import InvalidInput
from core.formats import TIME_FORMAT, TIME_FORMAT_ID, format_date, format_local
from core.i18n import N_, Message, _, _n, gettext, language
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

#: The weekdays in English, 0 = Monday (what a person reads comes from `weekday_name`, in their language).
WEEKDAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
#: Where each zone is, as people know it (marked for the catalogue: `zone_label` translates it).
ZONE_REGIONS = {
    "Asia/Jakarta": N_("Java, Sumatra, West and Central Kalimantan"),
    "Asia/Makassar": N_("Bali, Nusa Tenggara, Sulawesi, South, East and North Kalimantan"),
    "Asia/Jayapura": N_("Maluku and Papua"),
}
#: Real Indonesian IANA zones the marketplace does not use, and the one to choose instead.
ZONE_ALIASES = {"Asia/Pontianak": "Asia/Jakarta"}
#: Shown where warehouse settings change (marked: pages show it with gettext).
CHANGES_APPLY_FROM_NOW = N_(
    "Changes apply to orders from now on: deadlines already set on orders (to confirm, pack or deliver) do not move."
)
#: Whether a warehouse observes cuti bersama, in words (marked: `joint_leave_label` translates it).
OBSERVED = N_("observed")
NOT_OBSERVED = N_("not observed")


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
        """'08:00–17:00 WIB' (Indonesian '08.00–17.00 WIB')."""
        return hours_label(self.opens_at, self.closes_at, self.zone_abbreviation)

    @property
    def days_label(self) -> str:
        return days_label(self.operating_days)

    def closing_sentence(self, now: datetime) -> str:
        """What closing it now does, in one sentence, for the confirmation: "Close JKT-01 (Gudang
        Cakung) from 30 Nov 2026 14:05 WIB: no new orders reach it until it is reopened; its stock
        and settings are kept." With open orders, that they must be finished first."""
        at = format_local(now, self.time_zone)
        if self.open_orders:
            said = _n(
                "Close {code} ({name}) from {at}: no new orders reach it; its {count} open order must be finished "
                "first.",
                "Close {code} ({name}) from {at}: no new orders reach it; its {count} open orders must be finished "
                "first.",
                self.open_orders,
                code=self.code,
                name=self.name,
                at=at,
            )
        else:
            said = _(
                "Close {code} ({name}) from {at}: no new orders reach it until it is reopened; its stock and "
                "settings are kept.",
                code=self.code,
                name=self.name,
                at=at,
            )
        return said.render()


@dataclass(frozen=True)
class WarehouseUpdate:
    """The warehouse after a change, and what changed, in words: {"delivery SLA": ("3 days", "5 days")}
    (`changes`: in English, as the audit log keeps them; `shown`: the same in the reader's language,
    each setting by its name in that language)."""

    warehouse: WarehouseView
    changes: dict[str, tuple[str, str]] = field(default_factory=dict)
    shown: dict[str, tuple[str, str]] = field(default_factory=dict)

    @property
    def summary(self) -> str:
        said = self.shown or self.changes
        return "; ".join(f"{what} {before} → {after}" for what, (before, after) in said.items())


def zone_label(time_zone: str) -> str:
    """'WIB · Asia/Jakarta (Java, Sumatra, …)', the region in the reader's language."""
    return f"{zone_abbreviation(time_zone)} · {time_zone} ({gettext(ZONE_REGIONS[time_zone])})"


@cache
def _day_names(width: Literal["wide", "abbreviated"], code: str) -> tuple[str, ...]:
    """The weekdays' names in `code`, 0 = Monday (Babel's, as Python numbers the days)."""
    names = get_day_names(width, locale=code)
    return tuple(names[day] for day in range(7))


def weekday_name(day: int, code: str | None = None) -> str:
    """0 -> 'Monday' (Indonesian 'Senin'), in the reader's language or `code`."""
    return _day_names("wide", code or language())[day]


def time_of_day(moment: time, code: str | None = None) -> str:
    """time(8) -> '08:00' (Indonesian '08.00'), as core.formats writes a time."""
    return moment.strftime(TIME_FORMAT_ID if (code or language()) == "id" else TIME_FORMAT)


def hours_label(opens_at: time, closes_at: time, abbreviation: str | None = None, code: str | None = None) -> str:
    """'08:00–17:00 WIB' (Indonesian '08.00–17.00 WIB'); without a zone '08:00–17:00'."""
    hours = f"{time_of_day(opens_at, code)}–{time_of_day(closes_at, code)}"
    return f"{hours} {abbreviation}" if abbreviation else hours


def joint_leave_label(observe: bool, code: str | None = None) -> str:
    """Whether cuti bersama is observed, in words: 'observed' / 'not observed'."""
    return gettext(OBSERVED if observe else NOT_OBSERVED, code)


def days_label(days: tuple[int, ...] | list[int], code: str | None = None) -> str:
    """(0, 1, 2, 3, 4) -> 'Mon–Fri'; (0, 2, 4) -> 'Mon, Wed, Fri'; runs of three or more get a dash
    (Indonesian 'Sen–Jum'), in the reader's language or `code`."""
    runs: list[list[int]] = []
    for day in sorted(days):
        if runs and day == runs[-1][-1] + 1:
            runs[-1].append(day)
        else:
            runs.append([day])
    short = _day_names("abbreviated", code or language())
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


class Written(Message):
    """A date or a time of day as a value of a sentence, written the way the language the sentence is
    read in writes it ('01 Dec 2026' / '01 Des 2026', '08:00' / '08.00'): `written(day)`."""

    def render(self, code: str | None = None) -> str:
        value = self.values["value"]
        return time_of_day(value, code) if isinstance(value, time) else format_date(value, code)


def written(value: date | time) -> Written:
    """A date or a time of day for a refusal's sentence, written when the sentence is read."""
    return Written("", {"value": value})


def business_days(n: int) -> Message:
    """'1 business day', '2 business days'."""
    return _n("{count} business day", "{count} business days", n)


def calendar_days(n: int) -> Message:
    """'1 calendar day', '2 calendar days'."""
    return _n("{count} calendar day", "{count} calendar days", n)


def local_today(time_zone: str, now: datetime) -> date:
    """The date it is now at the warehouse (closures are local dates)."""
    return now.astimezone(ZoneInfo(time_zone)).date()


# --- Checking what people type -------------------------------------------------------------------


def clean_code(code: str) -> str:
    """Warehouse codes are kept in capitals, as they are printed on labels ('jkt-2' is 'JKT-2')."""
    cleaned = clean_text(code, what=N_("warehouse code"), field="code", max_length=None).upper()
    if not cleaned:
        raise InvalidInput(_("Enter a warehouse code, e.g. JKT-02."), field="code")
    if not CODE_PATTERN.fullmatch(cleaned):
        raise InvalidInput(
            _(
                "The warehouse code {code} is not valid: use 2 to {most} letters A–Z, digits and dashes, "
                "starting and ending with a letter or digit (e.g. JKT-02).",
                code=repr(shown(cleaned)),
                most=MAX_CODE,
            ),
            field="code",
        )
    return cleaned


def clean_name(name: str) -> str:
    return clean_text(
        name,
        what=N_("warehouse name"),
        field="name",
        max_length=MAX_NAME,
        collapse_spaces=True,
        required=N_("Enter the warehouse's name; it is shown to your colleagues and in orders."),
    )


def clean_address(address: str) -> str:
    """Several lines, as written on an envelope."""
    return clean_text(address, what=N_("address"), field="address", max_length=MAX_ADDRESS, multiline=True)


def check_time_zone(time_zone: str) -> str:
    zone = shown(time_zone, limit=60)  # one of a few names: anything else is refused, quoted safely
    if zone in INDONESIAN_TIME_ZONES:
        return zone
    choices = ", ".join(f"{z} ({a})" for z, a in INDONESIAN_TIME_ZONES.items())
    if not zone:
        raise InvalidInput(_("Choose the warehouse's time zone: {choices}.", choices=choices), field="time_zone")
    if zone in ZONE_ALIASES:
        instead = ZONE_ALIASES[zone]
        raise InvalidInput(
            _(
                "{zone} keeps the same time as {instead} ({abbreviation}); choose {instead}.",
                zone=zone,
                instead=instead,
                abbreviation=INDONESIAN_TIME_ZONES[instead],
            ),
            field="time_zone",
        )
    raise InvalidInput(
        _("{zone} is not an Indonesian time zone; choose one of {choices}.", zone=zone, choices=choices),
        field="time_zone",
    )


def _a_time_of_day(value: object) -> bool:
    return isinstance(value, time) and value.tzinfo is None


def check_hours(opens_at: time, closes_at: time) -> None:
    if not _a_time_of_day(opens_at):
        raise InvalidInput(_("Enter the opening time as a local time of day, e.g. 08:00."), field="opens_at")
    if not _a_time_of_day(closes_at):
        raise InvalidInput(_("Enter the closing time as a local time of day, e.g. 08:00."), field="closes_at")
    if not opens_at < closes_at:
        raise InvalidInput(
            _(
                "The opening time ({opens}) must be before the closing time ({closes}) on the same day.",
                opens=written(opens_at),
                closes=written(closes_at),
            ),
            field="opens_at",
        )


def clean_operating_days(days) -> str:
    """As stored: '0,1,2,3,4' (0 = Monday)."""
    chosen = set(days or ())
    if not all(isinstance(d, int) and not isinstance(d, bool) and 0 <= d <= 6 for d in chosen):
        raise InvalidInput(_("Operating days are weekdays from Monday to Sunday."), field="operating_days")
    if not chosen:
        raise InvalidInput(
            _("Choose at least one operating day: a warehouse that never opens cannot take orders."),
            field="operating_days",
        )
    return ",".join(str(d) for d in sorted(chosen))


def _a_whole_number(value, bounds: tuple[int, int]) -> bool:
    low, high = bounds
    return not isinstance(value, bool) and isinstance(value, int) and low <= value <= high


def check_sla(days) -> int:
    if not _a_whole_number(days, SLA_DAYS):
        low, high = SLA_DAYS
        raise InvalidInput(
            _(
                "The delivery SLA (calendar days) must be a whole number from {low} to {high}; {value} is not.",
                low=low,
                high=high,
                value=repr(days),
            ),
            field="delivery_sla_days",
        )
    return days


def check_processing(days) -> int:
    if not _a_whole_number(days, PROCESSING_DAYS):
        low, high = PROCESSING_DAYS
        raise InvalidInput(
            _(
                "The processing time (business days) must be a whole number from {low} to {high}; {value} is not.",
                low=low,
                high=high,
                value=repr(days),
            ),
            field="processing_days",
        )
    return days


def check_joint_leave(observe) -> bool:
    if not isinstance(observe, bool):
        raise InvalidInput(
            _("Say whether the warehouse observes joint-leave days (yes or no)."), field="observe_joint_leave"
        )
    return observe


def clean_closure_reason(reason: str) -> str:
    return clean_text(
        reason,
        what=N_("closure reason"),
        field="reason",
        max_length=MAX_CLOSURE_REASON,
        collapse_spaces=True,
        required=N_("Say why the warehouse is closed (e.g. stock-taking); your colleagues see it."),
    )


def closure_days(first_day: date, last_day: date | None, today: date) -> list[date]:
    """Every date from `first_day` to `last_day` (or just `first_day`), if they are today or later at
    the warehouse, within the planning horizon and not too many at once."""
    last_day = first_day if last_day is None else last_day
    for value in (first_day, last_day):
        if not isinstance(value, date) or isinstance(value, datetime):
            raise InvalidInput(_("Choose the closure dates from the calendar."), field="day")
    if last_day < first_day:
        raise InvalidInput(
            _(
                "The last closure day ({last}) is before the first ({first}).",
                last=written(last_day),
                first=written(first_day),
            ),
            field="day",
        )
    if first_day < today:
        raise InvalidInput(
            _(
                "{day} has already passed in the warehouse's time zone; closures are for today or later.",
                day=written(first_day),
            ),
            field="day",
        )
    if last_day > today + CLOSURE_HORIZON:
        raise InvalidInput(
            _(
                "Closures can be planned up to {latest}; {last} is later.",
                latest=written(today + CLOSURE_HORIZON),
                last=written(last_day),
            ),
            field="day",
        )
    span = (last_day - first_day).days + 1
    if span > MAX_CLOSURE_SPAN_DAYS:
        raise InvalidInput(
            _(
                "One closure may cover at most {most} days ({chosen} chosen); "
                "for longer, the System Administrator closes the warehouse.",
                most=MAX_CLOSURE_SPAN_DAYS,
                chosen=span,
            ),
            field="day",
        )
    return [first_day + timedelta(days=n) for n in range(span)]
