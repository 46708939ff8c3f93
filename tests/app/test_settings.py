"""Settings as the Product Manager sees it (AppTest on a throw-away demo store): per-warehouse
operations, closure dates and cuti bersama, each said to apply from now on; read-only company
information and warehouse list; the password form stays. Refusals in words, store unchanged."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select, update

from app.ui.formats import DATE_INPUT_FORMAT
from core.clock import utc_now
from core.store.models import User, Warehouse, WarehouseClosure
from tests.app.screen import errors, run, successes, texts

PAGE = "pages/settings.py"


@pytest.fixture
def pm_page(app_as):
    app = app_as("pm", page=PAGE)
    assert [t.value for t in app.at.title] == ["Settings"]
    return app


def click(at, label: str) -> None:
    next(b for b in at.button if b.label == label).click()


def warehouse_row(app, code="JKT-01") -> tuple:
    with app.store.reading() as session:
        w = session.scalar(select(Warehouse).where(Warehouse.code == code))
        closures = session.execute(
            select(WarehouseClosure.day, WarehouseClosure.reason)
            .where(WarehouseClosure.warehouse_id == w.id)
            .order_by(WarehouseClosure.day)
        ).all()
        return (
            w.operating_days,
            w.opens_at,
            w.closes_at,
            w.processing_days,
            w.observe_joint_leave,
            w.updated_at,
            closures,
        )


def jakarta_today() -> date:
    return utc_now().astimezone(ZoneInfo("Asia/Jakarta")).date()


def test_the_page_says_changes_apply_from_now_on_and_shows_company_and_warehouses_read_only(pm_page):
    at = pm_page.at
    subheaders = [h.value for h in at.subheader]
    assert subheaders == ["Warehouse operations", "Company information", "Warehouse list", "My password"]
    assert [i.value for i in at.info] == [
        "Changes apply to orders from now on: deadlines already set on orders "
        "(to confirm, pack or deliver) do not move."
    ]
    assert "PT Sumber Pangan Nusantara" in texts(at) and "Payout account: Bank Mandiri •••••••••7890" in texts(at)
    assert "1230004567890" not in texts(at)
    table = at.dataframe[-1].value
    assert list(table["Code"]) == ["JKT-01", "JYP-01", "MKS-01"]
    assert list(table["Hours"]) == ["08:00–17:00 WIB", "09:00–17:00 WIT", "08:00–16:00 WITA"]
    assert not any(b.label in ("Add warehouse", "Save profile", "Change payout account") for b in at.button)
    assert at.text_input(key="settings_password_current")  # the password form is still here


def test_saving_operations_says_what_changed_and_that_stored_deadlines_stay(pm_page):
    at = pm_page.at
    at.selectbox(key="ops_pick").select("MKS-01")
    at = run(pm_page)
    assert at.multiselect(key="ops_days_MKS-01").value == [0, 1, 2, 3, 4, 5]
    at.multiselect(key="ops_days_MKS-01").set_value([0, 1, 2, 3, 4])
    at.time_input(key="ops_opens_MKS-01").set_value(time(7, 30))
    at.number_input(key="ops_processing_MKS-01").set_value(3)
    at.checkbox(key="ops_joint_leave_MKS-01").uncheck()
    click(at, "Save operations")
    at = run(pm_page)
    assert errors(at) == []
    assert successes(at) == [
        "Operations of MKS-01 are saved: operating days Mon–Sat → Mon–Fri; hours 08:00–16:00 → "
        "07:30–16:00; processing time 2 business days → 3 business days; cuti bersama observed → "
        "not observed. They apply to orders from now on; deadlines already set do not move."
    ]
    assert warehouse_row(pm_page, "MKS-01")[:5] == ("0,1,2,3,4", time(7, 30), time(16), 3, False)


def test_saving_unchanged_operations_says_there_is_nothing_to_save(pm_page):
    before = warehouse_row(pm_page)
    click(pm_page.at, "Save operations")
    at = run(pm_page)
    assert [i.value for i in at.info][-1] == "Nothing to save: warehouse JKT-01 already works this way."
    assert warehouse_row(pm_page) == before


@pytest.mark.parametrize(
    "change, message",
    [
        (
            {"ops_opens_JKT-01": time(18)},
            "The opening time (18:00) must be before the closing time (17:00) on the same day.",
        ),
        (
            {"ops_days_JKT-01": []},
            "Choose at least one operating day: a warehouse that never opens cannot take orders.",
        ),
    ],
    ids=["opens-after-closes", "no-days"],
)
def test_bad_operations_are_refused_in_words_and_nothing_is_saved(pm_page, change, message):
    before = warehouse_row(pm_page)
    at = pm_page.at
    for key, value in change.items():
        (at.time_input if isinstance(value, time) else at.multiselect)(key=key).set_value(value)
    click(at, "Save operations")
    at = run(pm_page)
    assert errors(at) == [message] and successes(at) == []
    assert warehouse_row(pm_page) == before


def test_a_closure_is_added_listed_and_removed(pm_page):
    first = jakarta_today() + timedelta(days=10)
    at = pm_page.at
    at.date_input(key="closure_first_JKT-01").set_value(first)
    at.date_input(key="closure_last_JKT-01").set_value(first + timedelta(days=1))
    at.text_input(key="closure_reason_JKT-01").input("Stock-taking")
    click(at, "Add closure")
    at = run(pm_page)
    listed = f"{first:%d %b %Y}, {first + timedelta(days=1):%d %b %Y}"
    assert successes(at) == [f"JKT-01 is closed on {listed} (Stock-taking). Orders from now on skip these days."]
    closures = at.dataframe[0].value
    assert list(closures["Date"]) == [f"{first:%d %b %Y}", f"{first + timedelta(days=1):%d %b %Y}"]
    assert list(closures["Reason"]) == ["Stock-taking", "Stock-taking"]
    click(at, "Remove closure")
    at = run(pm_page)
    assert successes(at) == [f"JKT-01 works on {first:%d %b %Y} after all (if it is an operating day)."]
    assert warehouse_row(pm_page)[-1] == [(first + timedelta(days=1), "Stock-taking")]


@pytest.mark.parametrize(
    "days_ahead, reason, message",
    [
        (3, "  ", "Say why the warehouse is closed (e.g. stock-taking); your colleagues see it."),
        (-2, "Too late", "has already passed in the warehouse's time zone; closures are for today or later."),
    ],
    ids=["no-reason", "past-date"],
)
def test_a_bad_closure_is_refused_in_words_and_nothing_is_saved(pm_page, days_ahead, reason, message):
    before = warehouse_row(pm_page)
    day = jakarta_today() + timedelta(days=days_ahead)
    at = pm_page.at
    at.date_input(key="closure_first_JKT-01").set_value(day)
    at.date_input(key="closure_last_JKT-01").set_value(day)
    at.text_input(key="closure_reason_JKT-01").input(reason)
    click(at, "Add closure")
    at = run(pm_page)
    assert len(errors(at)) == 1 and message in errors(at)[0]
    assert warehouse_row(pm_page) == before


def test_the_joint_leave_days_ahead_are_named(pm_page):
    assert "Joint-leave days in the coming year:" in texts(pm_page.at)
    assert "Joint Holiday" in texts(pm_page.at)


def test_the_last_login_is_shown_in_the_first_warehouses_zone_never_in_utc(pm_page):
    at = pm_page.at
    with pm_page.store.transaction() as session:
        session.execute(
            update(User).where(User.user_code == "pm").values(last_login_at=datetime(2026, 11, 30, 7, 5, tzinfo=UTC))
        )
    at = run(pm_page)
    assert "last login 30 Nov 2026 14:05 WIB" in texts(at) and "UTC" not in texts(at)
    with pm_page.store.transaction() as session:  # the company's first warehouse (JKT-01) moves to Papua
        session.execute(update(Warehouse).where(Warehouse.code == "JKT-01").values(time_zone="Asia/Jayapura"))
    at = run(pm_page)
    assert "last login 30 Nov 2026 16:05 WIT" in texts(at)


def test_the_closure_dates_are_picked_year_first(pm_page):
    assert pm_page.at.date_input(key="closure_first_JKT-01").proto.format == DATE_INPUT_FORMAT == "YYYY-MM-DD"
