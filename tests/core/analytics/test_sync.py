"""The analytics sync: incremental equals rebuild, late commits are not lost, two writers never
run at once, readers never see a half-written snapshot."""

from __future__ import annotations

import random
import threading
import time
from datetime import timedelta

import duckdb
import pytest
from sqlalchemy import select

from core.analytics.dashboard import load_dashboard
from core.analytics.scope import Period
from core.analytics.snapshots import WRITER_MEMORY_SHARE, AnalyticsBusy, AnalyticsStore, open_writer
from core.analytics.sync import SAFETY_WINDOW, make_sync_rule, rebuild, sync
from core.analytics.tables import ORDER_TABLE_COLUMNS
from core.domain import OrderStatus, PayoutStatus
from core.store.models import Order, Payout
from tests.core.analytics.dataset import advance_randomly, assert_same, contents


def order_row(analytics: AnalyticsStore, order_id: int):
    with analytics.reading() as snap:
        return snap.con.execute(
            "SELECT status, updated_at, payout_status, payout_paid_at, payout_reference FROM orders WHERE id = ?",
            [order_id],
        ).fetchone()


@pytest.mark.slow  # seconds of syncs, threads or a worker process
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_incremental_sync_equals_a_full_rebuild_after_random_changes(store, dataset, analytics, now, tmp_path, seed):
    rng = random.Random(seed)
    clock = now
    sync(store, analytics, clock)
    for _ in range(6):
        clock += timedelta(minutes=rng.choice((1, 5, 30, 240)))
        advance_randomly(store, rng, dataset, clock)
        result = sync(store, analytics, clock)
        assert result.mode == "incremental"
    fresh = AnalyticsStore(tmp_path / "rebuilt")
    rebuild(store, fresh, clock)
    assert_same(contents(analytics), contents(fresh))
    # And the other slot, one switch behind, catches up to the same contents too.
    sync(store, analytics, clock)
    assert_same(contents(analytics), contents(fresh))


def test_a_row_committed_during_a_sync_is_not_lost(store, dataset, analytics, now):
    """A writer reads its clock, then commits only after a sync has read its snapshot: its
    updated_at is older than that sync's watermark. The safety window must still pick it up."""
    sync(store, analytics, now)
    sync(store, analytics, now)
    with store.reading() as s:
        ids = list(
            s.scalars(
                select(Order.id).where(Order.status == OrderStatus.PENDING_CONFIRMATION).order_by(Order.id).limit(2)
            )
        )
    fast, slow = ids
    t1 = now + timedelta(minutes=10)

    def move(order_id, stamp):
        with store.transaction() as s:
            order = s.get(Order, order_id)
            order.status, order.accepted_at, order.updated_at = OrderStatus.PROCESSING, stamp, stamp
            order.pack_deadline = stamp + timedelta(hours=48)

    move(fast, t1)  # committed before the sync: sets the sync's watermark to t1

    def late_commit():  # read its clock 30 s before t1, commits while the sync is running
        move(slow, t1 - timedelta(seconds=30))

    during = sync(store, analytics, t1 + timedelta(seconds=5), after_read=late_commit)
    assert during.watermark >= t1
    assert order_row(analytics, fast)[0] == "PROCESSING"
    assert order_row(analytics, slow)[0] == "PENDING_CONFIRMATION"  # not in that snapshot
    # `updated_at > watermark` would skip it for good: it is older than the watermark.
    with store.reading() as s:
        assert s.get(Order, slow).updated_at < during.watermark
    for _ in range(2):  # both slots, each from its own watermark
        sync(store, analytics, t1 + timedelta(seconds=10))
        assert order_row(analytics, slow)[0] == "PROCESSING"


def test_without_the_safety_window_the_late_row_would_be_lost(store, dataset, analytics, now):
    """The same race with a zero window: shows the test above is able to fail."""
    sync(store, analytics, now, window=timedelta(0))
    with store.reading() as s:
        fast, slow = s.scalars(
            select(Order.id).where(Order.status == OrderStatus.PENDING_CONFIRMATION).order_by(Order.id).limit(2)
        )
    t1 = now + timedelta(minutes=10)

    def move(order_id, stamp):
        with store.transaction() as s:
            order = s.get(Order, order_id)
            order.status, order.accepted_at, order.updated_at = OrderStatus.PROCESSING, stamp, stamp

    move(fast, t1)
    sync(store, analytics, t1, window=timedelta(0), after_read=lambda: move(slow, t1 - timedelta(seconds=30)))
    sync(store, analytics, t1, window=timedelta(0))  # the other slot: its old watermark still covers it
    sync(store, analytics, t1, window=timedelta(0))  # back to the slot whose watermark is t1
    assert order_row(analytics, slow)[0] == "PENDING_CONFIRMATION"


def test_a_sweep_run_as_of_an_earlier_time_is_picked_up(store, dataset, analytics, now):
    sync(store, analytics, now)
    sync(store, analytics, now)
    earlier = now - timedelta(days=2)
    with store.transaction() as s:
        order = s.scalars(select(Order).where(Order.status == OrderStatus.PENDING_CONFIRMATION)).first()
        order.status, order.updated_at, order.closed_at = OrderStatus.CANCELLED, earlier, earlier
        order_id = order.id
    sync(store, analytics, earlier)  # the sweep's own clock says two days ago
    assert order_row(analytics, order_id)[0] == "CANCELLED"


def test_a_payout_paid_without_touching_its_order_is_picked_up(store, dataset, analytics, now):
    sync(store, analytics, now)
    sync(store, analytics, now)
    later = now + SAFETY_WINDOW * 10
    with store.transaction() as s:
        payout = s.scalars(select(Payout).where(Payout.status == PayoutStatus.PENDING)).first()
        payout.status, payout.paid_at, payout.transfer_reference = PayoutStatus.PAID, later, "TRF-X"
        order_id = payout.order_id
    for _ in range(2):
        sync(store, analytics, later)
        assert order_row(analytics, order_id)[2:] == ("PAID", later.replace(tzinfo=None), "TRF-X")


def test_a_payout_paid_days_after_its_order_completed_reaches_the_history(store, synced, analytics, now):
    """The disbursement step pays a payout two days after its order completed and leaves the order,
    and so its updated_at (the sync's watermark), alone: the next sync still takes in the payout's
    status, paid time and transfer reference, in both slots."""
    from core.analytics.history import HistoryFilters, load_history
    from core.orders.sweep import disburse_payouts

    actor, filters = synced.a.actor(), HistoryFilters(Period(now.date() - timedelta(days=69), now.date()))

    def history():
        return load_history(store, analytics, actor, filters, page_size=1000).rows

    waiting = {row.key[1] for row in history() if row.payout_status == "PENDING"}
    assert waiting and all(
        row.paid_at is None and row.transfer_reference is None for row in history() if row.key[1] in waiting
    )
    with store.reading() as s:
        stamps = dict(s.execute(select(Order.id, Order.updated_at)).all())
    later = now + timedelta(days=2)
    assert disburse_payouts(store, later) >= len(waiting)
    with store.reading() as s:
        assert dict(s.execute(select(Order.id, Order.updated_at)).all()) == stamps  # orders untouched
        references = dict(s.execute(select(Payout.order_id, Payout.transfer_reference)).all())
    for _ in range(2):  # each slot from its own watermark
        sync(store, analytics, later)
        rows = [row for row in history() if row.key[1] in waiting]
        assert {row.key[1] for row in rows} == waiting
        for row in rows:
            assert (row.payout_status, row.paid_at) == ("PAID", later)
            assert row.transfer_reference == references[row.key[1]] and row.transfer_reference.startswith("KPT-")


def test_each_sync_switches_slots_and_a_rebuild_starts_a_new_epoch(store, dataset, analytics, now):
    first = sync(store, analytics, now)
    second = sync(store, analytics, now)
    third = sync(store, analytics, now)
    assert (first.mode, second.mode, third.mode) == ("rebuild", "incremental", "incremental")
    assert [first.slot, second.slot, third.slot] == ["a", "b", "a"]
    assert [first.generation, second.generation, third.generation] == [1, 2, 3]
    rebuilt = rebuild(store, analytics, now)
    assert rebuilt.slot == "b" and rebuilt.generation == 4
    with analytics.reading() as snap:
        assert (snap.info.epoch, snap.info.mode, snap.info.generation) == (2, "rebuild", 4)
    after = sync(store, analytics, now)  # slot a belongs to the old epoch: it is replaced, not patched
    assert after.slot == "a"
    with duckdb.connect(str(analytics.slot_path("a")), read_only=True) as con:
        assert con.execute("SELECT epoch FROM sync_state").fetchone()[0] == 2


def test_two_writers_never_run_at_once(store, dataset, analytics, now):
    sync(store, analytics, now)
    with analytics.writer_lock():
        with pytest.raises(AnalyticsBusy):
            sync(store, analytics, now, lock_wait_s=0.2)
        with pytest.raises(AnalyticsBusy):
            rebuild(store, analytics, now)
    assert sync(store, analytics, now).mode == "incremental"


@pytest.mark.slow  # seconds of syncs, threads or a worker process
def test_readers_never_see_a_half_written_snapshot(store, dataset, analytics, now):
    """Threads read the dashboard while the writer syncs changes: every read succeeds, and each
    sees a whole snapshot (completed revenue always equals pending + paid payouts)."""
    sync(store, analytics, now)
    rng = random.Random(5)
    errors: list[BaseException] = []
    reads = []
    stop = threading.Event()
    period = Period(now.date() - timedelta(days=80), now.date() + timedelta(days=10))

    def reader():
        while not stop.is_set():
            try:
                dash = load_dashboard(store, analytics, dataset.a.actor(), period)
                k = {x.key: x.value for x in dash.kpis}
                assert k["revenue"] == k["payouts_pending"] + k["payouts_paid"]
                reads.append(dash.info.generation)
            except BaseException as exc:  # noqa: BLE001 - collected and re-raised below
                errors.append(exc)
                return

    threads = [threading.Thread(target=reader) for _ in range(3)]
    for thread in threads:
        thread.start()
    clock = now
    try:
        for _ in range(8):
            clock += timedelta(minutes=3)
            advance_randomly(store, rng, dataset, clock, changes=10)
            sync(store, analytics, clock)
    finally:
        stop.set()
        for thread in threads:
            thread.join(timeout=60)
    assert not errors, errors[0]
    assert reads and max(reads) >= 8


def test_the_sweep_rule_syncs_and_skips_while_another_writer_holds_the_lock(store, dataset, tmp_path, now):
    actions = []
    analytics = AnalyticsStore(tmp_path / "elsewhere" / "analytics")
    rule = make_sync_rule(analytics)
    applied = rule(store, now, actions.append)
    assert applied > 0 and actions[-1]["action"] == "analytics_synced"
    assert analytics.exists()
    with analytics.writer_lock():
        assert rule(store, now, actions.append) == 0  # busy: skipped, the next sweep retries
    assert actions[-1]["action"] == "analytics_sync_skipped"


@pytest.mark.slow  # seconds of syncs, threads or a worker process
def test_a_rebuild_in_the_worker_process_equals_one_in_process(store, synced, analytics, now, tmp_path):
    rebuild(store, analytics, now, use_worker=True)
    other = AnalyticsStore(tmp_path / "in-process")
    rebuild(store, other, now, use_worker=False)
    assert_same(contents(analytics), contents(other))


def test_an_idle_readers_connection_does_not_keep_the_writer_out(store, dataset, analytics, now):
    """Readers keep one connection per process; once the pointer moves on, it is let go (by the
    janitor if nobody reads again), so the writer can take that slot at the next sync."""
    sync(store, analytics, now)  # slot a
    with analytics.reading() as snap:
        assert snap.info.generation == 1  # this process now holds slot a open
    sync(store, analytics, now, claim_wait_s=5)  # writes slot b: free
    started = time.monotonic()
    result = sync(store, analytics, now, claim_wait_s=5)  # wants slot a back
    assert result.slot == "a" and time.monotonic() - started < 4


@pytest.mark.slow  # seconds of syncs, threads or a worker process
def test_a_reader_still_reading_the_old_slot_holds_the_writer_back_until_it_is_done(store, dataset, analytics, now):
    sync(store, analytics, now)  # a
    sync(store, analytics, now)  # b
    with analytics.reading() as snap:  # reading b
        sync(store, analytics, now)  # writes a, switches to a; b stays readable meanwhile
        assert snap.con.execute("SELECT generation FROM sync_state").fetchone()[0] == 2
        with pytest.raises(AnalyticsBusy):
            sync(store, analytics, now, claim_wait_s=0.5)  # wants b: still being read
    assert sync(store, analytics, now, claim_wait_s=5).slot == "b"
    with analytics.reading() as snap:
        assert snap.info.generation == 4


def test_the_prepared_order_rows_name_every_column_of_the_analytics_orders_table(store, synced, analytics):
    with analytics.reading() as snap:
        columns = [row[0] for row in snap.con.execute("DESCRIBE orders").fetchall()]
    assert tuple(columns) == ORDER_TABLE_COLUMNS


def test_sales_lines_are_written_once_because_no_step_leaves_completed():
    """The sync inserts an order's lines only when it first sees the order COMPLETED: should a
    step ever leave COMPLETED, the sync must delete and re-insert lines again."""
    from core.orders.lifecycle import TRANSITIONS

    leaving = [step for step, transition in TRANSITIONS.items() if OrderStatus.COMPLETED in transition.sources]
    assert leaving == []


def test_a_completed_order_synced_again_keeps_one_copy_of_each_line(store, synced, analytics, now):
    with store.transaction() as session:
        order = session.scalars(select(Order).where(Order.status == OrderStatus.COMPLETED)).first()
        order.updated_at = now + timedelta(minutes=1)
        order_id = order.id
    for _ in range(3):
        sync(store, analytics, now + timedelta(minutes=2))
    with analytics.reading() as snap:
        lines, distinct = snap.con.execute(
            "SELECT count(*), count(DISTINCT item_id) FROM sales_lines WHERE order_id = ?", [order_id]
        ).fetchone()
        orders = snap.con.execute("SELECT count(*) FROM orders WHERE id = ?", [order_id]).fetchone()[0]
    assert lines == distinct > 0
    assert orders == 1


def test_a_sync_that_changes_old_days_leaves_the_daily_figures_a_rebuild_gives(store, synced, analytics, now, tmp_path):
    """The daily figures are added to, not recomputed (core.analytics.daily): payouts paid on days long
    past, orders re-read unchanged, and an old order that moves to another status all leave the same
    rows as a rebuild, in both slots (each adds its own changes since its own watermark)."""
    from core.orders.sweep import disburse_payouts

    later = now + timedelta(days=2)
    assert disburse_payouts(store, later) > 0  # payouts of orders completed days ago, orders untouched
    with store.transaction() as s:
        oldest = list(s.scalars(select(Order).order_by(Order.placed_at).limit(6)))
        for order in oldest[:5]:
            order.updated_at = later  # re-read, unchanged
        moved = oldest[5]
        moved.status, moved.updated_at = OrderStatus.CANCELLED.value, later
    before = contents(analytics)["daily_placed"]
    for _ in range(2):
        assert sync(store, analytics, later).mode == "incremental"
        fresh = AnalyticsStore(tmp_path / "rebuilt")
        rebuild(store, fresh, later)
        assert_same(contents(analytics), contents(fresh))
    assert contents(analytics)["daily_placed"] != before  # the old order moved between status rows


def _gib(size: str) -> float:
    number, unit = size.split()
    return float(number) * {"KiB": 2**-20, "MiB": 2**-10, "GiB": 1, "TiB": 2**10}[unit]


def test_a_writer_s_duckdb_is_held_to_its_share_of_the_memory(tmp_path):
    """A rebuild holds the store read as Arrow beside DuckDB: DuckDB's own default (80% of the memory)
    left too little for both at 10,000,000 orders, so a writer spills to disk past its share."""
    setting = "SELECT current_setting('memory_limit')"
    writer = open_writer(tmp_path / "w.duckdb")
    try:
        capped = _gib(writer.execute(setting).fetchone()[0])
    finally:
        writer.close()
    default = _gib(duckdb.connect().execute(setting).fetchone()[0])
    assert capped == pytest.approx(default * WRITER_MEMORY_SHARE / 0.8, rel=0.05)
