"""Warehouse Management as the System Administrator sees it (AppTest on a throw-away demo store):
the list, adding, modifying, closing and reopening, every refusal in words and never a traceback."""

from __future__ import annotations

from datetime import time

import pytest
from sqlalchemy import func, select

from core.clock import utc_now
from core.domain import WarehouseStatus
from core.errors import InvalidInput
from core.orders import buyer_channel as buyers
from core.orders.buyer_channel import OrderLine
from core.store.models import Warehouse
from tests.app.screen import run

PAGE = "pages/warehouse_management.py"


@pytest.fixture
def admin_page(app_as):
    app = app_as("admin", page=PAGE)
    assert [t.value for t in app.at.title] == ["Warehouse Management"]
    return app


def shown(at) -> dict[str, list[str]]:
    return {
        "success": [s.value for s in at.success],
        "error": [e.value for e in at.error],
        "info": [i.value for i in at.info],
    }


def rows(at) -> dict[str, dict]:
    return {row["Code"]: row for row in at.dataframe[0].value.to_dict("records")}


def warehouses_in_store(app) -> list[tuple]:
    with app.store.reading() as session:
        return session.execute(
            select(
                Warehouse.code,
                Warehouse.name,
                Warehouse.status,
                Warehouse.delivery_sla_days,
                Warehouse.opens_at,
                Warehouse.closes_at,
            ).order_by(Warehouse.id)
        ).all()


def place_orders(app, count: int, warehouse="JKT-01") -> list[str]:
    return [
        buyers.place_order(
            app.store,
            buyer_code="LVM-00001",
            company_code="DEMO01",
            warehouse_code=warehouse,
            lines=[OrderLine("SPN-0001", 1)],
            now=utc_now(),
        ).order_number
        for _ in range(count)
    ]


def add_key(at, name: str) -> str:
    """The add form's widgets get new keys after each warehouse added (an empty form again)."""
    return f"add_{name}_{at.session_state['add_form_round']}"


def fill_new_warehouse(
    at,
    code="SBY-01",
    name="Gudang Rungkut",
    zone="Asia/Jakarta",
    opens=time(7),
    closes=time(15),
    days=(0, 1, 2, 3, 4, 5),
    sla=4,
):
    at.text_input(key=add_key(at, "code")).input(code)
    at.text_input(key=add_key(at, "name")).input(name)
    at.text_area(key=add_key(at, "address")).input("Jl. Rungkut Industri 3, Surabaya")
    at.selectbox(key=add_key(at, "zone")).select(zone)
    at.time_input(key=add_key(at, "opens")).set_value(opens)
    at.time_input(key=add_key(at, "closes")).set_value(closes)
    at.multiselect(key=add_key(at, "days")).set_value(list(days))
    at.number_input(key=add_key(at, "sla")).set_value(sla)
    next(b for b in at.button if b.label == "Add warehouse").click()


# --- The list ----------------------------------------------------------------------------------


def test_the_list_shows_each_warehouse_with_status_zone_hours_and_open_orders(admin_page):
    place_orders(admin_page, 2)
    at = run(admin_page)
    table = rows(at)
    assert list(table) == ["JKT-01", "JYP-01", "MKS-01"]
    assert {
        k: table["JKT-01"][k]
        for k in ("Status", "Time zone", "Hours", "Operating days", "Open orders", "Reserved units", "Delivery SLA")
    } == {
        "Status": "Open",
        "Time zone": "WIB · Asia/Jakarta",
        "Hours": "08:00–17:00 WIB",
        "Operating days": "Mon–Fri",
        "Open orders": 2,
        "Reserved units": 2,
        "Delivery SLA": "3 calendar days",
    }
    assert table["JYP-01"]["Hours"] == "09:00–17:00 WIT" and table["MKS-01"]["Operating days"] == "Mon–Sat"
    assert table["MKS-01"]["Last changed"].endswith(" WITA")
    assert any("deadlines already set on orders" in c.value for c in at.caption)


# --- Add ---------------------------------------------------------------------------------------


def test_adding_a_warehouse_says_so_and_lists_it(admin_page):
    fill_new_warehouse(admin_page.at, code="sby-01")
    at = run(admin_page)
    assert shown(at)["error"] == []
    assert shown(at)["success"] == [
        "Warehouse SBY-01 (Gudang Rungkut) is added and open for orders: Mon–Sat, 07:00–15:00 WIB, delivery SLA 4 days."
    ]
    assert rows(at)["SBY-01"]["Status"] == "Open"
    assert at.text_input(key=add_key(at, "code")).value == ""  # a fresh form, so it is not added twice
    assert at.number_input(key=add_key(at, "sla")).value == 3
    assert warehouses_in_store(admin_page)[-1] == (
        "SBY-01",
        "Gudang Rungkut",
        WarehouseStatus.OPEN,
        4,
        time(7),
        time(15),
    )


@pytest.mark.parametrize(
    "change, message",
    [
        ({"code": "jkt-01"}, "Your company already has a warehouse with the code JKT-01; choose another code."),
        (
            {"opens": time(17), "closes": time(8)},
            "The opening time (17:00) must be before the closing time (08:00) on the same day.",
        ),
        ({"days": ()}, "Choose at least one operating day: a warehouse that never opens cannot take orders."),
        (
            {"code": "SBY 01"},
            "The warehouse code 'SBY 01' is not valid: use 2 to 32 letters A–Z, digits and dashes, "
            "starting and ending with a letter or digit (e.g. JKT-02).",
        ),
        ({"name": " "}, "Enter the warehouse's name; it is shown to your colleagues and in orders."),
    ],
    ids=["code-exists", "opens-after-closes", "no-days", "bad-code", "no-name"],
)
def test_a_bad_new_warehouse_is_refused_in_words_and_nothing_is_added(admin_page, change, message):
    before = warehouses_in_store(admin_page)
    fill_new_warehouse(admin_page.at, **change)
    at = run(admin_page)
    assert shown(at)["error"] == [message] and shown(at)["success"] == []
    assert warehouses_in_store(admin_page) == before


# --- Modify ------------------------------------------------------------------------------------


def test_modifying_the_sla_says_what_changed_and_from_when(admin_page):
    at = admin_page.at
    at.selectbox(key="modify_pick").select("MKS-01")
    at = run(admin_page)
    assert at.text_input(key="modify_name_MKS-01").value == "Gudang Makassar"
    at.number_input(key="modify_sla_MKS-01").set_value(6)
    at.text_input(key="modify_name_MKS-01").input("Gudang Kima")
    next(b for b in at.button if b.label == "Save changes").click()
    at = run(admin_page)
    assert shown(at)["success"] == [
        "Warehouse MKS-01 is updated: name Gudang Makassar → Gudang Kima; delivery SLA "
        "4 calendar days → 6 calendar days. This applies to orders from now on."
    ]
    assert rows(at)["MKS-01"]["Delivery SLA"] == "6 calendar days"


def test_saving_without_a_change_says_there_is_nothing_to_save(admin_page):
    before = warehouses_in_store(admin_page)
    next(b for b in admin_page.at.button if b.label == "Save changes").click()
    at = run(admin_page)
    assert shown(at)["info"] == ["Nothing to save: warehouse JKT-01 already has these values."]
    assert warehouses_in_store(admin_page) == before


def test_an_empty_name_is_refused_when_modifying(admin_page):
    before = warehouses_in_store(admin_page)
    admin_page.at.text_input(key="modify_name_JKT-01").input("")
    next(b for b in admin_page.at.button if b.label == "Save changes").click()
    at = run(admin_page)
    assert shown(at)["error"] == ["Enter the warehouse's name; it is shown to your colleagues and in orders."]
    assert warehouses_in_store(admin_page) == before


# --- Close and reopen --------------------------------------------------------------------------


def test_closing_a_warehouse_with_open_orders_is_refused_and_the_orders_are_named(admin_page):
    numbers = place_orders(admin_page, 6)
    at = run(admin_page)
    before = warehouses_in_store(admin_page)
    assert at.checkbox(key="close_sure_JKT-01").label.endswith("; its 6 open orders must be finished first.")
    at.checkbox(key="close_sure_JKT-01").check()
    at.button(key="close_warehouse").click()
    at = run(admin_page)
    assert shown(at)["error"] == [
        f"Warehouse JKT-01 cannot be closed yet: it has 6 open orders ({', '.join(numbers[:5])} and 1 more) and "
        "reserved stock of SPN-0001 (6 units). Finish these orders (or let them end) first, then close it."
    ]
    assert warehouses_in_store(admin_page) == before
    assert rows(at)["JKT-01"]["Status"] == "Open"


def test_closing_needs_the_confirmation_that_says_what_will_happen(admin_page):
    at = admin_page.at
    at.selectbox(key="status_pick").select("JYP-01")
    at = run(admin_page)
    sentence = at.checkbox(key="close_sure_JYP-01").label
    assert sentence.startswith("Close JYP-01 (") and sentence.endswith(
        " WIT: no new orders reach it until it is reopened; its stock and settings are kept."
    )
    before = warehouses_in_store(admin_page)
    at.button(key="close_warehouse").click()
    at = run(admin_page)
    assert [w.value for w in at.warning] == ["Tick the box above to confirm closing JYP-01; nothing has changed."]
    assert shown(at)["success"] == [] and warehouses_in_store(admin_page) == before


def test_an_idle_warehouse_is_closed_then_reopened(admin_page):
    at = admin_page.at
    at.selectbox(key="status_pick").select("JYP-01")
    at = run(admin_page)
    at.checkbox(key="close_sure_JYP-01").check()
    at.button(key="close_warehouse").click()
    at = run(admin_page)
    assert shown(at)["success"] == [
        "Warehouse JYP-01 is closed: it takes no new orders. You can reopen it at any time."
    ]
    assert rows(at)["JYP-01"]["Status"] == "Closed"
    with pytest.raises(InvalidInput, match="is closed and takes no orders"):
        place_orders(admin_page, 1, warehouse="JYP-01")
    at.button(key="reopen_warehouse").click()
    at = run(admin_page)
    assert shown(at)["success"] == ["Warehouse JYP-01 is open again and takes orders."]
    assert rows(at)["JYP-01"]["Status"] == "Open"
    with admin_page.store.reading() as session:
        assert (
            session.scalar(
                select(func.count()).select_from(Warehouse).where(Warehouse.status == WarehouseStatus.CLOSED)
            )
            == 0
        )
