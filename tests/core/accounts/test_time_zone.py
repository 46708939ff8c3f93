"""Times that belong to no warehouse (the last login, a lockout) are shown in the company's first
warehouse's zone, or in WIB while it has none: the zone comes with the account summary and with each
lockout (SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import delete, update

from core.accounts import passwords, throttle
from core.accounts.login import login
from core.store.models import StockLevel, Warehouse
from tests.builders import MONDAY_10, add_warehouse


def test_the_account_is_shown_in_the_first_warehouses_zone(world):
    with world.store.transaction() as session:  # ACME01's first warehouse, JKT-1, moves east
        session.execute(update(Warehouse).where(Warehouse.code == "JKT-1").values(time_zone="Asia/Jayapura"))
    add_warehouse(world, "MKS-1", "Asia/Makassar")  # a later one does not change it
    assert passwords.account_summary(world.store, world.pm, MONDAY_10).time_zone == "Asia/Jayapura"


def test_a_company_without_warehouses_is_shown_in_wib(world):
    with world.store.transaction() as session:
        company_warehouses = Warehouse.company_id == world.pm.company_id
        ids = [w.id for w in session.query(Warehouse).where(company_warehouses)]
        session.execute(delete(StockLevel).where(StockLevel.warehouse_id.in_(ids)))
        session.execute(delete(Warehouse).where(company_warehouses))
    assert passwords.account_summary(world.store, world.pm, MONDAY_10).time_zone == "Asia/Jakarta"


def test_a_lockout_comes_with_the_companys_zone(world):
    add_warehouse(world, "MKS-1", "Asia/Makassar")
    with world.store.transaction() as session:  # the first warehouse (JKT-1) now works in WITA too
        session.execute(update(Warehouse).where(Warehouse.code == "JKT-1").values(time_zone="Asia/Makassar"))
    for attempt in range(5):
        login(world.store, "ACME01", "pm", "wrong-password", MONDAY_10 + timedelta(seconds=attempt))
    [lockout] = throttle.recent_lockouts(world.store, world.admin, MONDAY_10 + timedelta(minutes=1))
    assert (lockout.user, lockout.time_zone) == ("ACME01/pm", "Asia/Makassar")
