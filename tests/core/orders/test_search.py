"""Finding orders (core.orders.search) on a real store: every stage's count agrees with its list, one
search finds an order by number, buyer or product whatever its stage, finished orders carry their
money, and paging, sorting and the period behave."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta

import pytest

from core.domain import ComplaintResolution, FailureKind, OrderStatus, PayoutStatus
from core.errors import InvalidInput
from core.orders import buyer_channel as buyers
from core.orders import search, seller
from core.orders.search import STAGES, OrderQuery, Sort, find_orders, stage_counts
from core.orders.sweep import disburse_payouts
from tests.builders import MONDAY_10, place, ship, status_of, wib

DAY = timedelta(days=1)


def _every_stage(world) -> dict[str, str]:
    """One order in each status a seller sees, placed an hour apart; {status name: order number}."""
    made = {}
    for n, name in enumerate(
        ["new", "processing", "packed", "shipped", "delivered", "complained", "completed", "refunded", "rejected"]
    ):
        at = MONDAY_10 + timedelta(hours=n)
        number = place(world, at=at, quantity=n + 1, sku="OIL-2" if name == "refunded" else "RICE-5").order_number
        made[name] = number
        if name == "rejected":
            seller.reject_order(world.store, world.pm, number, "No stock really", at)
            continue
        if name == "new":
            continue
        seller.accept_order(world.store, world.pm, number, at)
        if name == "processing":
            continue
        if name == "packed":
            from tests.builders import items_of

            seller.mark_packed(world.store, world.pm, number, items_of(world, number), at)
            continue
        ship(world, number, at)
        if name == "shipped":
            continue
        buyers.mark_delivered(world.store, order_number=number, now=at + timedelta(hours=1))
        if name == "delivered":
            continue
        if name == "completed":
            buyers.confirm_receipt(world.store, buyer_code="BUY-1", order_number=number, now=at + timedelta(hours=2))
            continue
        buyers.file_complaint(
            world.store, buyer_code="BUY-1", order_number=number, description="Broken", now=at + timedelta(hours=2)
        )
        if name == "refunded":
            seller.answer_complaint(
                world.store, world.pm, number, ComplaintResolution.REFUND, "Sorry", at + timedelta(hours=3)
            )
    return made


def _all_pages(world, query: OrderQuery) -> list[str]:
    numbers, page = [], 1
    while True:
        found = find_orders(world.store, world.pm, replace(query, page=page))
        numbers += [row.order_number for row in found.rows]
        if page >= found.pages:
            return numbers
        page += 1


def test_every_stage_count_agrees_with_its_list_and_every_order_is_in_one_stage(world):
    made = _every_stage(world)
    counts = stage_counts(world.store, world.pm)
    listed = {key: _all_pages(world, OrderQuery(stage=key, page_size=25)) for key in STAGES}
    assert {key: len(numbers) for key, numbers in listed.items()} == counts
    assert counts == {
        "new": 1,
        "processing": 1,
        "to-ship": 1,
        "in-transit": 2,
        "complaints": 1,
        "finished": 2,
        "failed": 1,
        "all": 9,
    }
    staged = [number for key, numbers in listed.items() if key != "all" for number in numbers]
    assert sorted(staged) == sorted(made.values()) == sorted(listed["all"])  # each in exactly one stage
    assert set(listed["finished"]) == {made["completed"], made["refunded"]}


def test_one_search_finds_an_order_by_number_buyer_or_product_whatever_its_stage(world):
    made = _every_stage(world)
    other_buyer = place(world, buyer="BUY-2").order_number

    def found(text: str) -> set[str]:
        return set(_all_pages(world, OrderQuery(text=text)))

    completed = made["completed"]
    assert found(completed) == {completed}
    assert found(completed.lower().replace("-", " ")) == {completed}
    assert found(str(int(completed[3:]))) == {completed}  # the digits alone
    assert found("warung") == found("buy-2") == {other_buyer}
    assert found("oil-2") == found("product oil") == {made["refunded"]}  # SKU, or the product's name
    assert found("makmur") == set(made.values())
    assert found("100%") == found("_") == set()  # typed wildcards are letters, not patterns
    by_digits = find_orders(world.store, world.pm, OrderQuery(text=str(int(completed[3:]))))
    assert by_digits.named_order == completed
    assert find_orders(world.store, world.pm, OrderQuery(text="oil-2")).named_order is None


def test_finished_orders_carry_payout_and_refund_and_in_transit_the_courier(world):
    made = _every_stage(world)
    disburse_payouts(world.store, MONDAY_10 + 10 * DAY)
    rows = {row.order_number: row for row in find_orders(world.store, world.pm, OrderQuery(stage="finished")).rows}
    paid = rows[made["completed"]]
    assert paid.payout_status == PayoutStatus.PAID and paid.transfer_reference.startswith("KPT-")
    assert paid.paid_at == MONDAY_10 + 10 * DAY
    refunded = rows[made["refunded"]]
    assert refunded.status == OrderStatus.REFUNDED and refunded.refund_amount == 8 * 36_500
    assert refunded.payout_status is None
    shipped = find_orders(world.store, world.pm, OrderQuery(stage="in-transit", text=made["shipped"])).rows[0]
    assert (shipped.courier, shipped.tracking_number) == ("JNE", "JNE-123456")


def test_deadline_sort_puts_open_orders_soonest_first_then_finished_newest_first(world):
    made = _every_stage(world)
    rows = find_orders(world.store, world.pm, OrderQuery(sort=Sort.DEADLINE)).rows
    open_rows = [row for row in rows if row.deadline is not None]
    assert [row.deadline for row in open_rows] == sorted(row.deadline for row in open_rows)
    assert rows[: len(open_rows)] == open_rows  # no finished order before an open one
    finished = [row.order_number for row in rows[len(open_rows) :]]
    assert finished == [made["rejected"], made["refunded"], made["completed"]]  # newest placed first
    by_total = find_orders(world.store, world.pm, OrderQuery(sort=Sort.TOTAL)).rows
    assert [row.total_amount for row in by_total] == sorted((row.total_amount for row in by_total), reverse=True)
    by_placed = find_orders(world.store, world.pm, OrderQuery(sort=Sort.PLACED)).rows
    assert by_placed[0].order_number == made["rejected"]  # placed last of all


def test_paging_through_open_and_finished_orders_shows_each_once(world):
    numbers = [place(world, at=MONDAY_10 + timedelta(minutes=n), quantity=1).order_number for n in range(30)]
    for number in numbers[:12]:
        seller.reject_order(world.store, world.pm, number, "No stock really", MONDAY_10 + timedelta(hours=1))
    first = find_orders(world.store, world.pm, OrderQuery(page_size=25))
    second = find_orders(world.store, world.pm, OrderQuery(page_size=25, page=2))
    assert (first.total, first.pages, len(first.rows), len(second.rows)) == (30, 2, 25, 5)
    assert (second.first, second.last) == (26, 30)
    seen = [row.order_number for row in first.rows + second.rows]
    assert sorted(seen) == sorted(numbers)
    assert [row.status for row in first.rows[:18]] == [OrderStatus.PENDING_CONFIRMATION] * 18


def test_counts_stop_at_the_cap_and_say_more(world, monkeypatch):
    for n in range(5):
        place(world, at=MONDAY_10 + timedelta(minutes=n), quantity=1)
    monkeypatch.setattr(search, "COUNT_CAP", 3)
    page = find_orders(world.store, world.pm, OrderQuery(page_size=25))
    assert page.total == 4 and page.more_than_cap and len(page.rows) == 5
    assert stage_counts(world.store, world.pm)["new"] == 4


def test_the_period_is_the_warehouse_calendar_days_placed_both_included(world):
    monday = place(world, at=wib(2026, 11, 23, 0, 30)).order_number  # 00:30 WIB, Sunday 17:30 UTC
    tuesday = place(world, at=wib(2026, 11, 24, 23, 59)).order_number
    place(world, at=wib(2026, 11, 25, 0, 0))
    query = OrderQuery(placed_from=date(2026, 11, 23), placed_to=date(2026, 11, 24), warehouse_code="JKT-1")
    assert set(_all_pages(world, query)) == {monday, tuesday}
    assert stage_counts(world.store, world.pm, query)["all"] == 2
    assert search.preset_period("Last 7 days", wib(2026, 11, 30, 1, 0)) == (date(2026, 11, 24), date(2026, 11, 30))
    assert search.preset_period("This month", wib(2026, 11, 30, 1, 0)) == (date(2026, 11, 1), date(2026, 11, 30))


def test_failed_orders_filter_by_why_and_the_count_follows(world):
    rejected, cancelled = place(world).order_number, place(world).order_number
    seller.reject_order(world.store, world.pm, rejected, "No stock really", MONDAY_10)
    buyers.cancel_order(world.store, buyer_code="BUY-1", order_number=cancelled, reason="oops", now=MONDAY_10)
    query = OrderQuery(stage="failed", failure_kind=FailureKind.REJECTED_BY_SELLER)
    assert _all_pages(world, query) == [rejected]
    assert stage_counts(world.store, world.pm, query)["failed"] == 1
    assert status_of(world, cancelled) == OrderStatus.CANCELLED


def test_another_company_finds_nothing_and_bad_queries_are_refused_by_name(world):
    number = place(world).order_number
    assert find_orders(world.store, world.other_pm, OrderQuery(text=number)).rows == []
    assert stage_counts(world.store, world.other_pm)["all"] == 0
    with pytest.raises(InvalidInput, match="Warehouse JKT-9 is not one of your company's"):
        find_orders(world.store, world.pm, OrderQuery(warehouse_code="JKT-9"))
    with pytest.raises(InvalidInput, match="Unknown stage"):
        find_orders(world.store, world.pm, OrderQuery(stage="shipping"))
    with pytest.raises(InvalidInput, match="ends before it starts"):
        find_orders(world.store, world.pm, OrderQuery(placed_from=date(2026, 11, 2), placed_to=date(2026, 11, 1)))
    with pytest.raises(InvalidInput, match="control character|not allowed|cannot"):
        find_orders(world.store, world.pm, OrderQuery(text="KP\x0001"))


# --- what needs doing now (the Dashboard's counters) ------------------------------------------------


def test_attention_counts_are_the_seller_statuses_live_and_overdue_only_on_the_sellers_turn(world):
    from core.orders.lifecycle import SELLER_DEADLINES

    made = _every_stage(world)
    before_any_deadline = search.attention_counts(world.store, world.pm, MONDAY_10 + timedelta(hours=9))
    assert before_any_deadline == search.AttentionCounts(
        to_confirm=1, to_pack=1, to_ship=1, complaints_to_answer=1, overdue=0
    )
    # A month on (nobody swept): every open order is past its deadline, but only the four where it
    # is the seller's turn are overdue; the shipped one (the courier's) and the delivered one (the buyer's) are not.
    month_later = MONDAY_10 + 30 * DAY
    rows = find_orders(world.store, world.pm, OrderQuery(page_size=25)).rows
    assert {row.order_number for row in rows if row.deadline and row.deadline < month_later} == {
        made[name] for name in ("new", "processing", "packed", "shipped", "delivered", "complained")
    }
    assert search.attention_counts(world.store, world.pm, month_later).overdue == 4
    # In between: exactly the seller's-turn orders whose deadline that matters has passed.
    at = min(row.deadline for row in rows if row.status in SELLER_DEADLINES) + timedelta(minutes=1)
    late = [row for row in rows if row.status in SELLER_DEADLINES and row.deadline < at]
    assert search.attention_counts(world.store, world.pm, at).overdue == len(late) >= 1


def test_attention_counts_follow_the_orders_and_another_company_sees_zeros(world):
    numbers = [place(world, at=MONDAY_10 + timedelta(minutes=n), quantity=1).order_number for n in range(3)]
    seller.accept_order(world.store, world.pm, numbers[0], MONDAY_10 + timedelta(hours=1))
    seller.reject_order(world.store, world.pm, numbers[1], "No stock really", MONDAY_10 + timedelta(hours=1))
    counts = search.attention_counts(world.store, world.pm, MONDAY_10 + timedelta(hours=2))
    assert (counts.to_confirm, counts.to_pack, counts.to_ship, counts.complaints_to_answer) == (1, 1, 0, 0)
    assert counts.to_confirm == stage_counts(world.store, world.pm)["new"]
    assert search.attention_counts(world.store, world.other_pm, MONDAY_10 + 30 * DAY) == search.AttentionCounts()


def test_a_product_search_counts_through_the_lines_and_agrees_with_its_list_in_every_stage(world):
    made = _every_stage(world)
    place(world, buyer="BUY-2", sku="OIL-2")
    query = OrderQuery(text="rice-5")  # a SKU: counted from the product's order lines
    counts = stage_counts(world.store, world.pm, query)
    for key in STAGES:
        assert counts[key] == len(_all_pages(world, OrderQuery(stage=key, text="rice-5"))), key
    assert counts["all"] == len(made) - 1  # every order but the refunded one, which was of OIL-2
    both = OrderQuery(text="o")  # matches buyers ("Toko", "Warung Jaya") and products ("Product …")
    assert stage_counts(world.store, world.pm, both)["all"] == len(_all_pages(world, both)) == len(made) + 1


def test_very_many_matching_buyers_or_products_go_in_as_a_subquery_with_the_same_result(world, monkeypatch):
    _every_stage(world)
    before = {text: sorted(_all_pages(world, OrderQuery(text=text))) for text in ("toko", "product")}
    monkeypatch.setattr(search, "MAX_LISTED_IDS", 0)
    after = {text: sorted(_all_pages(world, OrderQuery(text=text))) for text in ("toko", "product")}
    assert after == before and all(before.values())
