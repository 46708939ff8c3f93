"""What the dashboard and the transaction history share: who may read the figures, the period they
ask for, whose rows a query sees (`Scope`: one company, optionally one of its warehouses), the
company's warehouses for the filters, and small conversions of DuckDB values.

Who may read: a Product Manager in good standing, checked on every call in the transactional store
(`check_product_manager`) before the snapshot is opened; every query is then filtered by the
actor's company.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import duckdb

from core.acting import Actor, acting
from core.domain import Role
from core.errors import InvalidInput, NotFound
from core.i18n import N_, _
from core.store.database import Store
from core.text import lookup_text, shown
from core.warehouses.rules import MAX_CODE as MAX_WAREHOUSE_CODE

MAX_PERIOD_DAYS = 731
#: The longest buyer code there is (a longer filter is simply not found).
MAX_BUYER_CODE = 32


# --------------------------------------------------------------------------- who may read


def check_product_manager(store: Store, actor: Actor, *, doing: str) -> None:
    """Refuse an actor who is not a Product Manager in good standing (the checks of `acting`).

    A unit of work of its own, ended before the caller opens the snapshot: the figures come from
    DuckDB, and an export of millions of lines must not hold a store connection (nor, on SQLite, a
    read snapshot that keeps the WAL from being checkpointed) while it runs."""
    with acting(store, actor, Role.PRODUCT_MANAGER, doing=doing, write=False):
        pass


def check_may_refresh(store: Store, actor: Actor) -> None:
    """Refuse an actor who may not bring the figures up to date (the UI then runs the writer)."""
    check_product_manager(store, actor, doing=N_("refresh the analytics"))


# --------------------------------------------------------------------------- inputs


@dataclass(frozen=True)
class Period:
    """Local calendar dates, both ends included."""

    start: date
    end: date

    def __post_init__(self) -> None:
        if not isinstance(self.start, date) or not isinstance(self.end, date):
            raise InvalidInput(_("Choose a start and an end date."), field="period")
        if self.start > self.end:
            raise InvalidInput(_("The start date must not be after the end date."), field="period")
        if (self.end - self.start).days + 1 > MAX_PERIOD_DAYS:
            raise InvalidInput(_("Choose a period of at most {days} days.", days=MAX_PERIOD_DAYS), field="period")

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def previous(self) -> Period:
        return Period(self.start - timedelta(days=self.days), self.start - timedelta(days=1))


# --------------------------------------------------------------------------- scope


@dataclass(frozen=True)
class Scope:
    """Whose rows a query may see: always one company, optionally one of its warehouses."""

    company_id: int
    warehouse_id: int | None = None

    def where(self, alias: str = "") -> tuple[str, dict[str, Any]]:
        prefix = f"{alias}." if alias else ""
        sql = f"{prefix}company_id = $company_id"
        params: dict[str, Any] = {"company_id": self.company_id}
        if self.warehouse_id is not None:
            sql += f" AND {prefix}warehouse_id = $warehouse_id"
            params["warehouse_id"] = self.warehouse_id
        return sql, params


def resolve_scope(con: duckdb.DuckDBPyConnection, company_id: int, warehouse_code: str | None) -> Scope:
    if not warehouse_code:
        return Scope(company_id)
    code = lookup_text(warehouse_code, max_length=MAX_WAREHOUSE_CODE)
    row = (
        None
        if code is None
        else con.execute(
            "SELECT id FROM warehouses WHERE company_id = $c AND code = $code", {"c": company_id, "code": code}
        ).fetchone()
    )
    if row is None:
        raise NotFound(_("There is no warehouse {code} in your company.", code=shown(warehouse_code)))
    return Scope(company_id, int(row[0]))


@dataclass(frozen=True)
class WarehouseOption:
    code: str
    name: str
    zone_abbr: str


def query_warehouses(con, company_id: int) -> list[WarehouseOption]:
    rows = con.execute(
        "SELECT code, name, zone_abbr FROM warehouses WHERE company_id = $c ORDER BY code", {"c": company_id}
    ).fetchall()
    return [WarehouseOption(code, name, abbr) for code, name, abbr in rows]


# --------------------------------------------------------------------------- DuckDB values


def as_utc(value: datetime) -> datetime:
    """A snapshot timestamp (naive, holding UTC) as an aware UTC datetime."""
    return value.replace(tzinfo=UTC)


def as_int(value) -> int:
    """A sum or count, 0 where SQL gives NULL (a sum over no rows)."""
    return int(value) if value is not None else 0


def timed(timings: dict[str, float], key: str, fn, *args):
    """`fn(*args)`, its milliseconds recorded in `timings[key]` (bench/analytics.py reads them)."""
    started = time.perf_counter()
    result = fn(*args)
    timings[key] = round((time.perf_counter() - started) * 1000, 3)
    return result
