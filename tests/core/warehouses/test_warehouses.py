"""Warehouse services on a real store (SQLite and PostgreSQL): the System Administrator's list, add,
modify, close and reopen; the Product Manager's operating settings and closures. Every refusal
names the field and leaves the store unchanged; every change is audited and applies to orders
from then on (stored deadlines never move)."""

from __future__ import annotations

import dataclasses
from datetime import UTC, date, datetime, time, timedelta

import pytest
from sqlalchemy import select, update

from core.accounts import audit
from core.domain import Role, UserStatus, WarehouseStatus
from core.errors import AccessDenied, InvalidInput, NotFound
from core.orders import buyer_channel as buyers
from core.orders.buyer_channel import OrderLine
from core.store.database import Store, migrate
from core.store.models import AuditEntry, Company, Order, StockLevel, User, Warehouse, WarehouseClosure
from core.warehouses import management, operations, records, rules
from core.warehouses.business_time import is_working_day
from core.warehouses.operations import calendar_of
from tests.builders import _user, _warehouse, wib

MONDAY_10 = wib(2026, 11, 23, 10, 0)
NEW_WAREHOUSE = dict(
    code="mks-2",
    name="Gudang Makassar Dua",
    time_zone="Asia/Makassar",
    opens_at=time(8),
    closes_at=time(16),
    operating_days=[0, 1, 2, 3, 4, 5],
    delivery_sla_days=4,
    address="Jl. Kima Raya 2, Makassar",
)
OPERATIONS = dict(
    operating_days=[0, 1, 2, 3, 4], opens_at=time(8), closes_at=time(17), processing_days=2, observe_joint_leave=True
)


def place(world, quantity=2, sku="RICE-5", at=MONDAY_10, warehouse="JKT-1"):
    return buyers.place_order(
        world.store,
        buyer_code="BUY-1",
        company_code="ACME01",
        warehouse_code=warehouse,
        lines=[OrderLine(sku, quantity)],
        now=at,
    )


def snapshot(world) -> tuple:
    """Everything a warehouse service may write, to compare before and after a refusal."""
    with world.store.reading() as session:
        warehouses = [
            (
                w.code,
                w.name,
                w.address,
                w.time_zone,
                w.operating_days,
                w.opens_at,
                w.closes_at,
                w.processing_days,
                w.delivery_sla_days,
                w.observe_joint_leave,
                w.status,
                w.updated_at,
            )
            for w in session.scalars(select(Warehouse).order_by(Warehouse.id))
        ]
        closures = session.execute(
            select(WarehouseClosure.warehouse_id, WarehouseClosure.day, WarehouseClosure.reason).order_by(
                WarehouseClosure.id
            )
        ).all()
        audits = session.scalars(select(AuditEntry.id).order_by(AuditEntry.id)).all()
        return warehouses, closures, audits


def audit_of(world, prefix="warehouse.") -> list[audit.AuditRecord]:
    with world.store.reading() as session:
        return list(reversed(audit.entries(session, company_id=world.admin.company_id, action_prefix=prefix)))


def by_code(views) -> dict[str, rules.WarehouseView]:
    return {view.code: view for view in views}


# --- The list ----------------------------------------------------------------------------------


def test_the_list_shows_zone_hours_days_open_orders_and_reserved_units(world, now):
    place(world, quantity=2)
    place(world, quantity=3, sku="OIL-2")
    [jkt] = management.list_warehouses(world.store, world.admin, now)
    assert (jkt.code, jkt.status, jkt.time_zone, jkt.zone_abbreviation) == (
        "JKT-1",
        WarehouseStatus.OPEN,
        "Asia/Jakarta",
        "WIB",
    )
    assert (jkt.hours_label, jkt.days_label, jkt.processing_days, jkt.delivery_sla_days) == (
        "08:00–17:00 WIB",
        "Mon–Fri",
        2,
        3,
    )
    assert (jkt.open_orders, jkt.reserved_units) == (2, 5)
    assert jkt.zone_label.startswith("WIB · Asia/Jakarta (")


def test_each_warehouses_open_orders_are_counted_from_an_index_alone(tmp_path):
    """At a million orders, reading each open order's row cost the Settings page 0.75 s. Asked of
    SQLite, whose planner picks by the query's shape when it has no statistics."""
    store = Store(f"sqlite:///{tmp_path / 'k.sqlite3'}")
    migrate(store)
    sql = str(records.open_orders_by_warehouse(1).compile(store.engine, compile_kwargs={"literal_binds": True}))
    with store.engine.connect() as conn:
        plan = " ".join(row[-1] for row in conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {sql}"))
    store.dispose()
    assert "COVERING INDEX ix_orders_company_status_warehouse" in plan


def test_the_product_manager_reads_the_same_list_and_never_another_companys(world, now):
    assert [v.code for v in management.list_warehouses(world.store, world.pm, now)] == ["JKT-1"]
    place(world)
    assert management.list_warehouses(world.store, world.other_pm, now)[0].open_orders == 0


def test_days_are_named_in_runs(world):
    assert rules.days_label((0, 1, 2, 3, 4)) == "Mon–Fri"
    assert rules.days_label((0, 2, 4)) == "Mon, Wed, Fri"
    assert rules.days_label((5, 6)) == "Sat, Sun"
    assert rules.days_label((0, 1, 3, 4, 5, 6)) == "Mon, Tue, Thu–Sun"


# --- Add ---------------------------------------------------------------------------------------


def test_an_administrator_adds_an_open_warehouse_with_the_default_processing_time(world, now):
    added = management.add_warehouse(world.store, world.admin, **NEW_WAREHOUSE, now=now)
    assert (added.code, added.name, added.zone_abbreviation, added.hours_label, added.days_label) == (
        "MKS-2",
        "Gudang Makassar Dua",
        "WITA",
        "08:00–16:00 WITA",
        "Mon–Sat",
    )
    assert (added.status, added.processing_days, added.delivery_sla_days, added.observe_joint_leave) == (
        WarehouseStatus.OPEN,
        2,
        4,
        True,
    )
    assert [v.code for v in management.list_warehouses(world.store, world.admin, now)] == ["JKT-1", "MKS-2"]
    [entry] = audit_of(world)
    assert (entry.action, entry.actor, entry.target) == ("warehouse.added", "ACME01/admin", "warehouse MKS-2")
    assert entry.details["settings"]["delivery SLA"] == "4 calendar days"


def test_the_same_name_cannot_be_given_to_two_warehouses(world, now):
    management.add_warehouse(world.store, world.admin, **NEW_WAREHOUSE, now=now)
    with pytest.raises(InvalidInput) as refused:  # the same name in other letters and spacing
        management.add_warehouse(
            world.store, world.admin, **{**NEW_WAREHOUSE, "code": "MKS-3", "name": "gudang  makassar DUA"}, now=now
        )
    assert refused.value.field == "name"
    assert refused.value.message == (
        "Your warehouse MKS-2 is already named gudang makassar DUA; give this one a name of its own."
    )
    with pytest.raises(InvalidInput, match="Your warehouse MKS-2 is already named"):
        management.modify_warehouse(
            world.store,
            world.admin,
            "JKT-1",
            name="Gudang Makassar Dua",
            address="",
            time_zone="Asia/Jakarta",
            delivery_sla_days=3,
            now=now,
        )
    assert [v.code for v in management.list_warehouses(world.store, world.admin, now)] == ["JKT-1", "MKS-2"]
    renamed = management.modify_warehouse(  # keeping its own name is no clash
        world.store,
        world.admin,
        "MKS-2",
        name="Gudang Makassar Dua",
        address="",
        time_zone="Asia/Makassar",
        delivery_sla_days=5,
        now=now,
    )
    assert renamed.changes


def test_a_new_warehouse_takes_orders_at_once(world, now):
    management.add_warehouse(world.store, world.admin, **NEW_WAREHOUSE, now=now)
    with world.store.transaction() as session:  # the catalogue's job; here only to place an order
        jkt_level = session.scalar(select(StockLevel).limit(1))
        mks = session.scalar(select(Warehouse).where(Warehouse.code == "MKS-2"))
        session.add(
            StockLevel(
                product_id=jkt_level.product_id,
                warehouse_id=mks.id,
                on_hand=5,
                reserved=0,
                price=80_000,
                updated_at=now,
            )
        )
    placed = place(world, quantity=1, warehouse="MKS-2", at=now)
    assert placed.confirm_deadline > now


@pytest.mark.parametrize("code", ["JKT-1", "jkt-1", " Jkt-1 "])
def test_a_code_the_company_already_uses_is_refused(world, now, code):
    before = snapshot(world)
    with pytest.raises(InvalidInput) as refused:
        management.add_warehouse(world.store, world.admin, **{**NEW_WAREHOUSE, "code": code}, now=now)
    assert refused.value.field == "code"
    assert refused.value.message == ("Your company already has a warehouse with the code JKT-1; choose another code.")
    assert snapshot(world) == before


def test_another_company_may_use_the_same_code(world, now):
    with world.store.transaction() as session:
        other = session.scalar(select(Company).where(Company.company_code == "OTHER02"))
        other_admin = _user(session, other, "admin", Role.SYSTEM_ADMINISTRATOR, now)
    added = management.add_warehouse(world.store, other_admin, **{**NEW_WAREHOUSE, "code": "MKS-2"}, now=now)
    assert added.code == "MKS-2"
    management.add_warehouse(world.store, world.admin, **{**NEW_WAREHOUSE, "code": "MKS-2"}, now=now)


BAD_NEW_WAREHOUSES = [
    ({"code": ""}, "code", "Enter a warehouse code"),
    ({"code": "J"}, "code", "2 to 32 letters"),
    ({"code": "JKT_2"}, "code", "not valid"),
    ({"code": "-JKT"}, "code", "not valid"),
    ({"code": "X" * 33}, "code", "not valid"),
    ({"name": "   "}, "name", "Enter the warehouse's name"),
    ({"name": "N" * 201}, "name", "at most 200"),
    ({"address": "A" * 501}, "address", "at most 500"),
    ({"time_zone": "Europe/London"}, "time_zone", "Europe/London is not an Indonesian time zone"),
    ({"time_zone": "Asia/Pontianak"}, "time_zone", "choose Asia/Jakarta"),
    ({"time_zone": "WIB"}, "time_zone", "not an Indonesian time zone"),
    ({"time_zone": ""}, "time_zone", "Choose the warehouse's time zone"),
    (
        {"opens_at": time(17), "closes_at": time(8)},
        "opens_at",
        "The opening time (17:00) must be before the closing time (08:00)",
    ),
    ({"opens_at": time(9), "closes_at": time(9)}, "opens_at", "must be before the closing time"),
    ({"opens_at": "08:00"}, "opens_at", "local time of day"),
    ({"operating_days": []}, "operating_days", "at least one operating day"),
    ({"operating_days": [7]}, "operating_days", "Monday to Sunday"),
    ({"delivery_sla_days": 0}, "delivery_sla_days", "from 1 to 30; 0 is not"),
    ({"delivery_sla_days": 31}, "delivery_sla_days", "from 1 to 30; 31 is not"),
    ({"delivery_sla_days": "3"}, "delivery_sla_days", "whole number"),
    ({"delivery_sla_days": True}, "delivery_sla_days", "whole number"),
]


@pytest.mark.parametrize(
    "change, field, words",
    BAD_NEW_WAREHOUSES,
    ids=[f"{field}-{i}" for i, (_, field, _) in enumerate(BAD_NEW_WAREHOUSES)],
)
def test_a_bad_new_warehouse_is_refused_naming_the_field_and_nothing_is_stored(world, now, change, field, words):
    before = snapshot(world)
    with pytest.raises(InvalidInput) as refused:
        management.add_warehouse(world.store, world.admin, **{**NEW_WAREHOUSE, **change}, now=now)
    assert refused.value.field == field
    assert words in refused.value.message
    assert snapshot(world) == before


# --- Modify ------------------------------------------------------------------------------------


def test_modifying_changes_name_address_zone_and_sla_and_records_what_changed(world, now):
    later = now + timedelta(hours=1)
    result = management.modify_warehouse(
        world.store,
        world.admin,
        "jkt-1",
        name="Gudang Cakung",
        address="Jl. Cakung 1",
        time_zone="Asia/Jakarta",
        delivery_sla_days=5,
        now=later,
    )
    assert (result.warehouse.name, result.warehouse.address, result.warehouse.delivery_sla_days) == (
        "Gudang Cakung",
        "Jl. Cakung 1",
        5,
    )
    assert result.warehouse.updated_at == later
    assert result.changes == {
        "name": ("JKT-1", "Gudang Cakung"),
        "address": ("—", "Jl. Cakung 1"),
        "delivery SLA": ("3 calendar days", "5 calendar days"),
    }
    assert "delivery SLA 3 calendar days → 5 calendar days" in result.summary
    [entry] = audit_of(world)
    assert entry.action == "warehouse.modified"
    assert entry.details["changes"]["delivery SLA"] == ["3 calendar days", "5 calendar days"]


def test_modifying_nothing_writes_nothing(world, now):
    before = snapshot(world)
    result = management.modify_warehouse(
        world.store,
        world.admin,
        "JKT-1",
        name="JKT-1",
        address="",
        time_zone="Asia/Jakarta",
        delivery_sla_days=3,
        now=now,
    )
    assert result.changes == {} and result.summary == ""
    assert snapshot(world) == before


def test_a_bad_modification_is_refused_and_nothing_is_stored(world, now):
    before = snapshot(world)
    with pytest.raises(InvalidInput) as refused:
        management.modify_warehouse(
            world.store,
            world.admin,
            "JKT-1",
            name="Gudang",
            address="",
            time_zone="Asia/Tokyo",
            delivery_sla_days=3,
            now=now,
        )
    assert refused.value.field == "time_zone"
    with pytest.raises(InvalidInput) as refused:
        management.modify_warehouse(
            world.store,
            world.admin,
            "JKT-1",
            name="Gudang",
            address="",
            time_zone="Asia/Jakarta",
            delivery_sla_days=45,
            now=now,
        )
    assert refused.value.field == "delivery_sla_days"
    assert snapshot(world) == before


def test_a_new_sla_applies_to_orders_packed_from_then_on(world, now):
    from core.orders import seller as orders

    number = place(world).order_number
    orders.accept_order(world.store, world.pm, number, MONDAY_10 + timedelta(minutes=5))
    management.modify_warehouse(
        world.store,
        world.admin,
        "JKT-1",
        name="JKT-1",
        address="",
        time_zone="Asia/Jakarta",
        delivery_sla_days=7,
        now=MONDAY_10 + timedelta(minutes=10),
    )
    with world.store.reading() as session:
        items = session.scalars(select(Order).where(Order.order_number == number)).one().items
        item_ids = {item.id for item in items}
    packed_at = MONDAY_10 + timedelta(hours=1)
    orders.mark_packed(world.store, world.pm, number, item_ids, packed_at)
    with world.store.reading() as session:
        deadline = session.scalar(select(Order.delivery_deadline).where(Order.order_number == number))
    assert deadline == packed_at + timedelta(days=7)


def test_another_companys_warehouse_is_not_found(world, now):
    with world.store.transaction() as session:
        other = session.scalar(select(Company).where(Company.company_code == "OTHER02"))
        _warehouse(session, other, "SBY-9", now)
    before = snapshot(world)
    for call in (
        lambda: management.close_warehouse(world.store, world.admin, "SBY-9", now),
        lambda: management.reopen_warehouse(world.store, world.admin, "SBY-9", now),
        lambda: management.modify_warehouse(
            world.store,
            world.admin,
            "SBY-9",
            name="x",
            address="",
            time_zone="Asia/Jakarta",
            delivery_sla_days=3,
            now=now,
        ),
        lambda: operations.update_operations(world.store, world.pm, "SBY-9", **OPERATIONS, now=now),
        lambda: operations.add_closures(world.store, world.pm, "SBY-9", date(2026, 12, 1), None, "x", now),
        lambda: management.get_warehouse(world.store, world.pm, "SBY-9", now),
    ):
        with pytest.raises(NotFound, match="SBY-9 was not found among your company's warehouses"):
            call()
    assert snapshot(world) == before


# --- Close and reopen --------------------------------------------------------------------------


def test_closing_is_refused_while_orders_are_open_and_the_message_names_them(world, now):
    numbers = [place(world, quantity=1, at=MONDAY_10 + timedelta(minutes=i)).order_number for i in range(7)]
    before = snapshot(world)
    with pytest.raises(management.ClosingRefused) as refused:
        management.close_warehouse(world.store, world.admin, "JKT-1", now)
    message = refused.value.message
    assert message == (
        f"Warehouse JKT-1 cannot be closed yet: it has 7 open orders ({', '.join(numbers[:5])} and "
        "2 more) and reserved stock of RICE-5 (7 units). Finish these orders (or let them end) "
        "first, then close it."
    )
    assert refused.value.open_orders == numbers and refused.value.reserved == {"RICE-5": 7}
    assert snapshot(world) == before


def test_reserved_stock_alone_also_blocks_closing(world, now):
    with world.store.transaction() as session:
        session.execute(update(StockLevel).values(reserved=1))
    with pytest.raises(
        management.ClosingRefused, match=r"it has reserved stock of OIL-2 \(1 unit\), RICE-5 \(1 unit\)\."
    ):
        management.close_warehouse(world.store, world.admin, "JKT-1", now)


def test_finished_orders_do_not_block_closing(world, now):
    number = place(world).order_number
    buyers.cancel_order(
        world.store,
        buyer_code="BUY-1",
        order_number=number,
        reason="changed my mind",
        now=MONDAY_10 + timedelta(minutes=1),
    )
    closed = management.close_warehouse(world.store, world.admin, "JKT-1", now)
    assert closed.status == WarehouseStatus.CLOSED and not closed.is_open


def test_a_closed_warehouse_takes_no_new_orders_and_can_be_reopened(world, now):
    management.close_warehouse(world.store, world.admin, "JKT-1", now)
    with pytest.raises(InvalidInput, match="JKT-1 of ACME01 is closed and takes no orders"):
        place(world, at=now)
    reopened = management.reopen_warehouse(world.store, world.admin, "JKT-1", now + timedelta(minutes=1))
    assert reopened.status == WarehouseStatus.OPEN
    assert place(world, at=now + timedelta(minutes=2)).order_number
    assert [e.action for e in audit_of(world)] == ["warehouse.closed", "warehouse.reopened"]


def test_closing_a_closed_or_reopening_an_open_warehouse_is_refused(world, now):
    with pytest.raises(InvalidInput, match="Warehouse JKT-1 is already open."):
        management.reopen_warehouse(world.store, world.admin, "JKT-1", now)
    management.close_warehouse(world.store, world.admin, "JKT-1", now)
    before = snapshot(world)
    with pytest.raises(InvalidInput, match="Warehouse JKT-1 is already closed."):
        management.close_warehouse(world.store, world.admin, "JKT-1", now)
    assert snapshot(world) == before


# --- Roles and standing ------------------------------------------------------------------------

ADMIN_CALLS = {
    "add": lambda w, a, now: management.add_warehouse(w.store, a, **NEW_WAREHOUSE, now=now),
    "modify": lambda w, a, now: management.modify_warehouse(
        w.store, a, "JKT-1", name="x", address="", time_zone="Asia/Jakarta", delivery_sla_days=3, now=now
    ),
    "close": lambda w, a, now: management.close_warehouse(w.store, a, "JKT-1", now),
    "reopen": lambda w, a, now: management.reopen_warehouse(w.store, a, "JKT-1", now),
}
PM_CALLS = {
    "operations": lambda w, a, now: operations.update_operations(w.store, a, "JKT-1", **OPERATIONS, now=now),
    "add closure": lambda w, a, now: operations.add_closures(
        w.store, a, "JKT-1", date(2026, 12, 1), None, "stock", now
    ),
    "remove closure": lambda w, a, now: operations.remove_closure(w.store, a, "JKT-1", date(2026, 12, 1), now),
}


@pytest.mark.parametrize("name", list(ADMIN_CALLS))
def test_only_a_system_administrator_adds_modifies_closes_and_reopens(world, now, name):
    with pytest.raises(AccessDenied, match="Only a System Administrator may"):
        ADMIN_CALLS[name](world, world.pm, now)


@pytest.mark.parametrize("name", list(PM_CALLS))
def test_only_a_product_manager_sets_operations_and_closures(world, now, name):
    with pytest.raises(AccessDenied, match="Only a Product Manager may"):
        PM_CALLS[name](world, world.admin, now)


@pytest.mark.parametrize("name", list(ADMIN_CALLS) + list(PM_CALLS))
def test_a_blocked_user_or_a_forged_actor_is_refused(world, now, name):
    call = {**ADMIN_CALLS, **PM_CALLS}[name]
    actor = world.admin if name in ADMIN_CALLS else world.pm
    forged = dataclasses.replace(actor, company_id=world.other_pm.company_id)
    before = snapshot(world)
    with pytest.raises(AccessDenied):
        call(world, forged, now)
    with world.store.transaction() as session:
        session.execute(update(User).where(User.id == actor.user_id).values(status=UserStatus.BLOCKED.value))
    with pytest.raises(AccessDenied, match="blocked"):
        call(world, actor, now)
    assert snapshot(world)[:2] == before[:2]


# --- Product Manager: operations ---------------------------------------------------------------


def test_the_product_manager_sets_days_hours_processing_time_and_cuti_bersama(world, now):
    result = operations.update_operations(
        world.store,
        world.pm,
        "JKT-1",
        operating_days=[0, 1, 2, 3, 4, 5],
        opens_at=time(7, 30),
        closes_at=time(16),
        processing_days=3,
        observe_joint_leave=False,
        now=now,
    )
    view = result.warehouse
    assert (view.days_label, view.hours_label, view.processing_days, view.observe_joint_leave) == (
        "Mon–Sat",
        "07:30–16:00 WIB",
        3,
        False,
    )
    assert result.changes == {
        "operating days": ("Mon–Fri", "Mon–Sat"),
        "hours": ("08:00–17:00", "07:30–16:00"),
        "processing time": ("2 business days", "3 business days"),
        "cuti bersama": ("observed", "not observed"),
    }
    [entry] = audit_of(world)
    assert (entry.action, entry.actor) == ("warehouse.operations_changed", "ACME01/pm")


BAD_OPERATIONS = [
    ({"operating_days": []}, "operating_days", "at least one operating day"),
    ({"opens_at": time(18)}, "opens_at", "The opening time (18:00) must be before the closing time (17:00)"),
    ({"processing_days": 0}, "processing_days", "processing time (business days) must be a whole number from 1 to 10"),
    ({"processing_days": 11}, "processing_days", "from 1 to 10; 11 is not"),
    ({"processing_days": 2.5}, "processing_days", "whole number"),
    ({"observe_joint_leave": "yes"}, "observe_joint_leave", "joint-leave"),
]


@pytest.mark.parametrize(
    "change, field, words", BAD_OPERATIONS, ids=[b[1] + str(i) for i, b in enumerate(BAD_OPERATIONS)]
)
def test_bad_operations_are_refused_naming_the_field_and_nothing_is_stored(world, now, change, field, words):
    before = snapshot(world)
    with pytest.raises(InvalidInput) as refused:
        operations.update_operations(world.store, world.pm, "JKT-1", **{**OPERATIONS, **change}, now=now)
    assert refused.value.field == field and words in refused.value.message
    assert snapshot(world) == before


def test_new_operations_never_move_a_stored_deadline_but_shape_the_next_ones(world):
    first = place(world, at=MONDAY_10)
    assert first.confirm_deadline == wib(2026, 11, 24, 10, 0)  # one business day of 08:00–17:00
    changed_at = MONDAY_10 + timedelta(minutes=30)
    operations.update_operations(
        world.store,
        world.pm,
        "JKT-1",
        operating_days=[0, 1, 2, 3, 4],
        opens_at=time(8),
        closes_at=time(12),
        processing_days=2,
        observe_joint_leave=True,
        now=changed_at,
    )
    with world.store.reading() as session:
        stored = session.scalar(select(Order.confirm_deadline).where(Order.order_number == first.order_number))
    assert stored == first.confirm_deadline
    second = place(world, at=wib(2026, 11, 23, 11, 0))
    assert second.confirm_deadline == wib(2026, 11, 24, 11, 0)  # 1 h on Monday + 3 h on Tuesday


# --- Product Manager: closures and joint leave -------------------------------------------------


def test_a_closure_range_is_added_with_its_reason_and_the_calendar_skips_it(world, now):
    added = operations.add_closures(
        world.store, world.pm, "JKT-1", date(2026, 12, 1), date(2026, 12, 3), "  Stock-taking  ", now
    )
    assert added == [date(2026, 12, 1), date(2026, 12, 2), date(2026, 12, 3)]
    view = management.get_warehouse(world.store, world.pm, "JKT-1", now)
    assert [(c.day, c.reason) for c in view.closures] == [(d, "Stock-taking") for d in added]
    with world.store.reading() as session:
        jkt = session.scalar(
            select(Warehouse).where(Warehouse.code == "JKT-1", Warehouse.company_id == world.pm.company_id)
        )
        calendar = calendar_of(session, jkt)
    assert not is_working_day(calendar, date(2026, 12, 2)) and is_working_day(calendar, date(2026, 12, 4))
    [entry] = audit_of(world)
    assert entry.details == {"days": ["2026-12-01", "2026-12-02", "2026-12-03"], "reason": "Stock-taking"}


def test_days_already_closed_are_kept_and_only_new_ones_added(world, now):
    operations.add_closures(world.store, world.pm, "JKT-1", date(2026, 12, 2), None, "audit", now)
    added = operations.add_closures(
        world.store, world.pm, "JKT-1", date(2026, 12, 1), date(2026, 12, 3), "renovation", now
    )
    assert added == [date(2026, 12, 1), date(2026, 12, 3)]
    reasons = {c.day: c.reason for c in management.get_warehouse(world.store, world.pm, "JKT-1", now).closures}
    assert reasons[date(2026, 12, 2)] == "audit"
    before = snapshot(world)
    with pytest.raises(InvalidInput, match="already closed on every day from 01 Dec 2026 to 03 Dec 2026"):
        operations.add_closures(world.store, world.pm, "JKT-1", date(2026, 12, 1), date(2026, 12, 3), "again", now)
    assert snapshot(world) == before


BAD_CLOSURES = [
    ((date(2026, 11, 24), None, "x"), "day", "24 Nov 2026 has already passed"),
    ((date(2026, 12, 5), date(2026, 12, 1), "x"), "day", "is before the first"),
    ((date(2029, 1, 1), None, "x"), "day", "up to 24 Nov 2028"),
    ((date(2026, 12, 1), date(2027, 3, 31), "x"), "day", "at most 92 days"),
    ((date(2026, 12, 1), None, "   "), "reason", "Say why"),
    ((date(2026, 12, 1), None, "r" * 201), "reason", "at most 200"),
    ((datetime(2026, 12, 1, tzinfo=UTC), None, "x"), "day", "from the calendar"),
]


@pytest.mark.parametrize("args, field, words", BAD_CLOSURES, ids=[f"{b[1]}{i}" for i, b in enumerate(BAD_CLOSURES)])
def test_bad_closures_are_refused_naming_the_field_and_nothing_is_stored(world, now, args, field, words):
    before = snapshot(world)
    with pytest.raises(InvalidInput) as refused:
        operations.add_closures(world.store, world.pm, "JKT-1", *args, now)
    assert refused.value.field == field and words in refused.value.message
    assert snapshot(world) == before


def test_today_counts_in_the_warehouses_own_time_zone(world):
    late_evening_utc = datetime(2026, 11, 30, 18, 0, tzinfo=UTC)  # already 1 Dec 01:00 in Jakarta
    assert operations.add_closures(world.store, world.pm, "JKT-1", date(2026, 12, 1), None, "x", late_evening_utc)
    with pytest.raises(InvalidInput, match="30 Nov 2026 has already passed"):
        operations.add_closures(world.store, world.pm, "JKT-1", date(2026, 11, 30), None, "x", late_evening_utc)


def test_a_closure_is_removed_but_a_past_one_stays_as_history(world, now):
    operations.add_closures(world.store, world.pm, "JKT-1", date(2026, 11, 26), date(2026, 11, 27), "audit", now)
    operations.remove_closure(world.store, world.pm, "JKT-1", date(2026, 11, 27), now)
    closures = management.get_warehouse(world.store, world.pm, "JKT-1", now).closures
    assert [c.day for c in closures] == [date(2026, 11, 26)]
    with pytest.raises(NotFound, match="no closure on 27 Nov 2026"):
        operations.remove_closure(world.store, world.pm, "JKT-1", date(2026, 11, 27), now)
    a_week_later = now + timedelta(days=7)
    # the list shows what is ahead
    assert management.get_warehouse(world.store, world.pm, "JKT-1", a_week_later).closures == ()
    before = snapshot(world)
    with pytest.raises(InvalidInput, match="has already passed and is kept as history"):
        operations.remove_closure(world.store, world.pm, "JKT-1", date(2026, 11, 26), a_week_later)
    assert snapshot(world) == before
    assert [e.action for e in audit_of(world)] == ["warehouse.closure_added", "warehouse.closure_removed"]


def test_joint_leave_days_are_listed_by_name():
    days = operations.joint_leave_days(date(2026, 12, 1), date(2026, 12, 31))
    assert [(c.day, c.reason) for c in days] == [(date(2026, 12, 24), "Christmas Joint Holiday")]


def test_a_warehouse_that_does_not_observe_cuti_bersama_works_on_those_days(world, now):
    christmas_eve = date(2026, 12, 24)
    operations.update_operations(
        world.store, world.pm, "JKT-1", **{**OPERATIONS, "observe_joint_leave": False}, now=now
    )
    with world.store.reading() as session:
        warehouse = session.scalar(select(Warehouse).where(Warehouse.company_id == world.pm.company_id))
        assert is_working_day(calendar_of(session, warehouse), christmas_eve)
