"""The scheduler's warning scan on SQLite and PostgreSQL: each warning at its time, in the warehouse's
hours, to the right people, exactly once (two schedulers at once, a restart, a late catch-up), and never
for an order that moved on or whose deadline passed.

The world's JKT-1 works Monday to Friday 08:00-17:00 WIB; an order placed MONDAY_10 (Monday 23 Nov 2026
10:00 WIB) must be confirmed by Tuesday 10:00: half of its 9 business hours are gone at Monday 14:30,
2 are left at Monday 17:00 (the closing time, so that warning waits for Tuesday 08:00)."""

from __future__ import annotations

import json
from datetime import date, time, timedelta

from sqlalchemy import func, select, update

from core.domain import NotificationKind, ProductStatus, Role
from core.notifications import warnings
from core.notifications.kinds import sentence
from core.notifications.warnings import scan_warnings
from core.orders import buyer_channel as buyers
from core.orders import seller
from core.orders.sweep import run_sweep
from core.store.models import (
    Notification,
    NotificationMail,
    NotificationPreference,
    Order,
    Product,
    User,
    Warehouse,
    WarehouseClosure,
)
from tests.builders import MONDAY_10, at_once, items_of, place, ship, wib

K = NotificationKind
HALF_GONE = wib(2026, 11, 23, 14, 30)
TWO_HOURS_LEFT = wib(2026, 11, 23, 17, 0)  # the closing time
TUESDAY_8 = wib(2026, 11, 24, 8, 0)
CONFIRM_BY = wib(2026, 11, 24, 10, 0)


def told(world, kind: NotificationKind) -> list[tuple[str, str | None]]:
    """(user code, order number) of every notification of `kind`, in id order."""
    with world.store.reading() as session:
        return [
            tuple(row)
            for row in session.execute(
                select(User.user_code, Order.order_number)
                .select_from(Notification)
                .join(User, User.id == Notification.user_id)
                .outerjoin(Order, Order.id == Notification.order_id)
                .where(Notification.kind == kind)
                .order_by(Notification.id)
            )
        ]


def scan(world, at) -> dict[str, int]:
    counts = scan_warnings(world.store, at)
    assert "failed_rules" not in counts
    return counts


def order_warnings(counts: dict[str, int]) -> dict[str, int]:
    """The counts of the order warnings that are not zero (the world's OIL-2 is low on stock anyway)."""
    return {name: n for name, n in counts.items() if n and name not in ("low_stock", "closure_tomorrow")}


def facts_and_sentence(world, kind: NotificationKind) -> tuple[dict, str]:
    with world.store.reading() as session:
        row, number = session.execute(
            select(Notification, Order.order_number)
            .outerjoin(Order, Order.id == Notification.order_id)
            .where(Notification.kind == kind)
            .order_by(Notification.id.desc())
            .limit(1)
        ).one()
        facts = json.loads(row.facts)
        return facts, sentence(kind, facts, number)


def set_hours(world, opens: time, closes: time) -> None:
    with world.store.transaction() as session:
        session.execute(
            update(Warehouse)
            .where(Warehouse.company_id == world.pm.company_id, Warehouse.code == "JKT-1")
            .values(opens_at=opens, closes_at=closes)
        )


def close_on(world, day: date, reason: str = "Stock-taking") -> None:
    with world.store.transaction() as session:
        warehouse = session.scalar(
            select(Warehouse).where(Warehouse.company_id == world.pm.company_id, Warehouse.code == "JKT-1")
        )
        session.add(WarehouseClosure(warehouse_id=warehouse.id, day=day, reason=reason))


# --- the time to confirm -----------------------------------------------------------------------------


def test_placing_fixes_when_the_seller_is_warned_in_the_warehouse_s_business_time(world):
    monday = place(world).order_number
    friday = place(world, at=wib(2026, 11, 27, 16, 0)).order_number  # 1 h on Friday, 8 on Monday
    set_hours(world, time(8), time(10))  # a 2-hour working day: no "2 hours left" warning
    short = place(world, at=wib(2026, 11, 25, 9, 0)).order_number
    with world.store.reading() as session:
        warned = {
            number: (deadline, half, last)
            for number, deadline, half, last in session.execute(
                select(Order.order_number, Order.confirm_deadline, Order.confirm_half_at, Order.confirm_last_at)
            )
        }
    assert warned[monday] == (CONFIRM_BY, HALF_GONE, TWO_HOURS_LEFT)
    assert warned[friday] == (wib(2026, 11, 30, 16, 0), wib(2026, 11, 30, 11, 30), wib(2026, 11, 30, 14, 0))
    assert warned[short] == (wib(2026, 11, 26, 9, 0), wib(2026, 11, 25, 10, 0), None)


def test_the_confirm_warnings_come_at_half_time_and_with_two_business_hours_left_in_open_hours(world):
    number = place(world).order_number
    assert order_warnings(scan(world, HALF_GONE - timedelta(seconds=1))) == {}
    assert order_warnings(scan(world, HALF_GONE)) == {"confirm_half_gone": 1}
    assert order_warnings(scan(world, HALF_GONE + timedelta(minutes=1))) == {}  # told once
    assert told(world, K.CONFIRM_HALF_GONE) == [("pm", number)]
    # 2 business hours left at Monday's closing time: the warning waits for Tuesday's opening
    assert order_warnings(scan(world, TWO_HOURS_LEFT)) == {}
    assert order_warnings(scan(world, TUESDAY_8 - timedelta(seconds=1))) == {}
    assert order_warnings(scan(world, TUESDAY_8)) == {"confirm_2h_left": 1}
    assert order_warnings(scan(world, CONFIRM_BY - timedelta(seconds=1))) == {}
    assert told(world, K.CONFIRM_2H_LEFT) == [("pm", number)]
    assert facts_and_sentence(world, K.CONFIRM_2H_LEFT)[1] == (
        f"2 business hours are left to confirm order {number} from Toko Makmur (Rp150.000 at JKT-1): accept or "
        "reject it by 24 Nov 2026 10:00 WIB, or the system cancels it."
    )


def test_no_warning_is_told_of_an_order_that_moved_on(world):
    accepted, rejected, cancelled, waiting = (place(world, quantity=1).order_number for _ in range(4))
    seller.accept_order(world.store, world.pm, accepted, MONDAY_10)
    seller.reject_order(world.store, world.pm, rejected, "Out of stock", MONDAY_10)
    buyers.cancel_order(world.store, buyer_code="BUY-1", order_number=cancelled, reason="", now=MONDAY_10)
    scan(world, HALF_GONE)
    assert told(world, K.CONFIRM_HALF_GONE) == [("pm", waiting)]
    seller.accept_order(world.store, world.pm, waiting, HALF_GONE)
    scan(world, TUESDAY_8)
    assert told(world, K.CONFIRM_2H_LEFT) == []


def test_a_late_scan_tells_each_due_warning_once_and_nothing_whose_deadline_passed(world):
    early = place(world, quantity=1).order_number  # to confirm by Tuesday 10:00
    late = place(world, quantity=1, at=wib(2026, 11, 23, 15, 0)).order_number  # by Tuesday 15:00; half at 10:30
    packing = place(world, quantity=1).order_number
    seller.accept_order(world.store, world.pm, packing, MONDAY_10)  # to pack by Wednesday 10:00
    # the scheduler was down from Monday morning until Tuesday 11:00
    catch_up = wib(2026, 11, 24, 11, 0)
    assert order_warnings(scan(world, catch_up)) == {"confirm_half_gone": 1}
    assert told(world, K.CONFIRM_HALF_GONE) == [("pm", late)]  # early's time to confirm has ended
    assert order_warnings(scan(world, catch_up)) == {}  # a restart scans again: nothing new
    run_sweep(world.store, catch_up)  # early is cancelled by the system
    # down again until Wednesday noon: late's time has ended, the packing deadline has passed
    assert order_warnings(scan(world, wib(2026, 11, 25, 12, 0))) == {"pack_overdue": 1}
    assert order_warnings(scan(world, wib(2026, 11, 25, 12, 5))) == {}
    assert told(world, K.CONFIRM_2H_LEFT) == []
    assert told(world, K.PACK_OVERDUE) == [("pm", packing)]
    assert early not in {number for _, number in told(world, K.CONFIRM_HALF_GONE)}


# --- packing and complaints --------------------------------------------------------------------------------


def test_a_passed_packing_deadline_is_told_at_once_even_after_closing_time(world):
    number = place(world, at=wib(2026, 11, 23, 6, 0)).order_number
    seller.accept_order(world.store, world.pm, number, wib(2026, 11, 23, 7, 0))  # the clock starts at 08:00
    with world.store.reading() as session:
        assert session.scalar(select(Order.pack_deadline)) == wib(2026, 11, 24, 17, 0)  # 2 business days
    assert order_warnings(scan(world, wib(2026, 11, 24, 16, 59))) == {}
    assert order_warnings(scan(world, wib(2026, 11, 24, 17, 0))) == {"pack_overdue": 1}  # the buyer may cancel now
    assert facts_and_sentence(world, K.PACK_OVERDUE)[1] == (
        f"The packing deadline of order {number} from Toko Makmur (Rp150.000 at JKT-1) passed at 24 Nov 2026 17:00 "
        "WIB: pack it now; the buyer may cancel it from now on."
    )
    other = place(world, at=wib(2026, 11, 23, 6, 0)).order_number
    seller.accept_order(world.store, world.pm, other, wib(2026, 11, 23, 7, 0))
    seller.mark_packed(world.store, world.pm, other, items_of(world, other), wib(2026, 11, 24, 9, 0))
    scan(world, wib(2026, 11, 25, 9, 0))
    assert told(world, K.PACK_OVERDUE) == [("pm", number)]  # the packed one is never told


def _complained(world, filed) -> str:
    number = place(world, quantity=1).order_number
    seller.accept_order(world.store, world.pm, number, MONDAY_10)
    ship(world, number, MONDAY_10)
    buyers.file_complaint(world.store, buyer_code="BUY-1", order_number=number, description="Wet", now=filed)
    return number


def test_twelve_hours_before_a_complaint_s_deadline_the_warning_waits_for_opening_time(world):
    number = _complained(world, wib(2026, 11, 23, 14, 0))  # to answer by Wednesday 14:00
    assert order_warnings(scan(world, wib(2026, 11, 25, 1, 59))) == {}
    assert order_warnings(scan(world, wib(2026, 11, 25, 2, 0))) == {}  # 12 h left, but the warehouse is closed
    assert order_warnings(scan(world, wib(2026, 11, 25, 8, 0))) == {"complaint_12h_left": 1}
    assert order_warnings(scan(world, wib(2026, 11, 25, 9, 0))) == {}
    assert told(world, K.COMPLAINT_12H_LEFT) == [("pm", number)]
    assert facts_and_sentence(world, K.COMPLAINT_12H_LEFT)[1] == (
        f"12 hours are left to answer the complaint about order {number} from Toko Makmur (Rp75.000 at JKT-1): "
        "answer it by 25 Nov 2026 14:00 WIB, or the system refunds the buyer."
    )


def test_a_complaint_due_before_the_warehouse_opens_again_is_warned_of_at_once(world):
    number = _complained(world, wib(2026, 11, 27, 20, 0))  # Friday night: to answer by Sunday 20:00
    assert order_warnings(scan(world, wib(2026, 11, 29, 8, 0))) == {"complaint_12h_left": 1}  # closed on Sunday
    assert told(world, K.COMPLAINT_12H_LEFT) == [("pm", number)]


# --- low stock ----------------------------------------------------------------------------------------------


def test_low_stock_is_told_to_the_product_managers_once_a_day_while_the_warehouse_is_open(world):
    # OIL-2 has 10 units (below 20), RICE-5 100; OTHER02's RICE-5 has 50
    assert scan(world, MONDAY_10)["low_stock"] == 1
    assert scan(world, MONDAY_10 + timedelta(hours=1))["low_stock"] == 0
    assert told(world, K.LOW_STOCK) == [("pm", None)]
    facts, said = facts_and_sentence(world, K.LOW_STOCK)
    assert facts == {
        "sku": "OIL-2",
        "product": "Product OIL-2",
        "unit": "pcs",
        "warehouse": "JKT-1",
        "available": 10,
        "level": 20,
    }
    assert (
        said
        == "Low stock at JKT-1: only 10 pcs of Product OIL-2 (OIL-2) left to sell, below the low-stock level of 20."
    )
    place(world, quantity=85)  # RICE-5: 15 available
    assert scan(world, MONDAY_10 + timedelta(hours=2))["low_stock"] == 1
    assert scan(world, wib(2026, 11, 24, 7, 0))["low_stock"] == 0  # a new day, but not open yet
    assert scan(world, TUESDAY_8)["low_stock"] == 2  # the next local day: told again
    assert scan(world, wib(2026, 11, 28, 10, 0))["low_stock"] == 0  # Saturday: closed
    with world.store.transaction() as session:
        session.execute(update(Product).where(Product.sku == "OIL-2").values(status=ProductStatus.INACTIVE))
    assert scan(world, wib(2026, 11, 30, 9, 0))["low_stock"] == 1  # only RICE-5: OIL-2 is off sale
    assert {code for code, _ in told(world, K.LOW_STOCK)} == {"pm"}


# --- closures ---------------------------------------------------------------------------------------------


def test_a_closure_tomorrow_is_told_to_the_administrators_once(world):
    close_on(world, date(2026, 11, 24))
    close_on(world, date(2026, 11, 29), "Sunday anyway")  # not a working day: nothing changes
    close_on(world, date(2026, 12, 1), "Renovation")
    assert scan(world, MONDAY_10)["closure_tomorrow"] == 1
    assert scan(world, MONDAY_10 + timedelta(hours=3))["closure_tomorrow"] == 0
    assert told(world, K.CLOSURE_TOMORROW) == [("admin", None)]
    facts, said = facts_and_sentence(world, K.CLOSURE_TOMORROW)
    assert facts == {"warehouse": "JKT-1", "warehouse_name": "JKT-1", "day": "2026-11-24", "reason": "Stock-taking"}
    assert said == (
        "Warehouse JKT-1 is closed tomorrow, 24 Nov 2026 (Stock-taking): that day counts no business hours, so order "
        "deadlines there move on to its next opening."
    )
    assert scan(world, wib(2026, 11, 28, 10, 0))["closure_tomorrow"] == 0
    # Monday 30 Nov 07:00 is before opening: the 1 Dec closure is told when the warehouse opens at 08:00
    assert scan(world, wib(2026, 11, 30, 7, 0))["closure_tomorrow"] == 0
    assert scan(world, wib(2026, 11, 30, 8, 0))["closure_tomorrow"] == 1


def test_a_closure_after_a_weekend_is_told_before_the_weekend_is_over(world):
    close_on(world, date(2026, 11, 30))  # Monday; the warehouse next opens on Tuesday
    assert scan(world, wib(2026, 11, 29, 10, 0))["closure_tomorrow"] == 1  # Sunday: closed, but told at once


# --- exactly once ----------------------------------------------------------------------------------------


def test_two_schedulers_scanning_at_once_tell_each_warning_and_queue_each_email_once(world):
    with world.store.transaction() as session:
        session.add(
            NotificationPreference(
                user_id=world.pm.user_id,
                email="pm@acme.co.id",
                email_verified_at=MONDAY_10,
                email_kinds="CONFIRM_HALF_GONE",
                updated_at=MONDAY_10,
            )
        )
    for i in range(30):
        place(world, quantity=1, at=MONDAY_10 + timedelta(seconds=i))
    results = at_once(
        world.store.database_url, 2, lambda store, _i: scan_warnings(store, HALF_GONE + timedelta(minutes=1))
    )
    assert all(isinstance(result, dict) and "failed_rules" not in result for result in results), results
    assert sum(result["confirm_half_gone"] for result in results) == 30
    assert len(told(world, K.CONFIRM_HALF_GONE)) == 30
    with world.store.reading() as session:
        assert session.scalar(select(func.count(NotificationMail.id))) == 30


def test_the_scheduler_scans_after_each_sweep_and_a_failing_scan_leaves_the_sweep_standing(world, monkeypatch):
    from jobs import scheduler

    place(world)
    summary = scheduler.sweep_once(world.store, HALF_GONE)
    assert summary["warnings"]["confirm_half_gone"] == 1

    def broken(store, now):
        raise RuntimeError("the scan broke")

    monkeypatch.setattr(scheduler, "scan_warnings", broken)
    summary = scheduler.sweep_once(world.store, CONFIRM_BY)
    assert summary["by_rule"]["auto_cancel"] == 1 and summary["warnings_failed"] == "RuntimeError: the scan broke"


def test_a_failing_rule_is_counted_and_the_others_still_run(world, monkeypatch):
    def broken(store, now):
        raise RuntimeError("broken")

    monkeypatch.setattr(warnings, "SCAN_RULES", [("broken", broken), *warnings.SCAN_RULES])
    counts = scan_warnings(world.store, MONDAY_10)
    assert counts["failed_rules"] == 1 and counts["low_stock"] == 1


def test_administrators_hear_of_closures_only_and_another_company_of_nothing(world):
    place(world)
    close_on(world, date(2026, 11, 24))
    scan(world, HALF_GONE)
    with world.store.reading() as session:
        heard = set(
            session.execute(
                select(User.company_id, User.role, Notification.kind).join(User, User.id == Notification.user_id)
            )
        )
    acme = world.pm.company_id
    assert heard == {
        (acme, Role.PRODUCT_MANAGER, K.NEW_ORDER),
        (acme, Role.PRODUCT_MANAGER, K.CONFIRM_HALF_GONE),
        (acme, Role.PRODUCT_MANAGER, K.LOW_STOCK),
        (acme, Role.SYSTEM_ADMINISTRATOR, K.CLOSURE_TOMORROW),
    }
