"""The reader process: large incremental reads of a SQLite store through ADBC, in a child process.

SQLite only: PostgreSQL is read through ADBC in the syncing process itself.
"""

from __future__ import annotations

import random
import shutil
from datetime import timedelta

import pytest
from sqlalchemy import select

from core.analytics import reader_process as rp
from core.analytics.batches import TABLE_NAMES, read_batch
from core.analytics.snapshots import AnalyticsStore
from core.analytics.sync import rebuild, sync
from core.store.database import Store
from core.store.models import Order, Payout
from tests.core.analytics.dataset import advance_randomly, assert_same, build_dataset, contents

pytestmark = pytest.mark.slow  # starts and stops reader processes


@pytest.fixture
def sqlite_store(_sqlite_template, tmp_path):
    path = tmp_path / "kopra.sqlite3"
    shutil.copy(_sqlite_template, path)
    store = Store(f"sqlite:///{path}")
    yield store
    store.dispose()


@pytest.fixture
def reader():
    """A reader process of the test's own, stopped afterwards."""
    process = rp.ReaderProcess()
    yield process
    process.stop()


def _sorted(table):
    key = "id" if "id" in table.schema.names else "order_id"
    return table.sort_by(key)


def test_the_reader_process_reads_the_same_batch_as_this_process(sqlite_store, now, reader):
    build_dataset(sqlite_store, now)
    with sqlite_store.reading() as session:
        stamps = sorted(session.scalars(select(Order.updated_at)))
        pending = list(session.scalars(select(Payout.id)))
    bound = stamps[len(stamps) // 2]

    there = reader.read_batch(sqlite_store.database_url, bound, pending)
    here = read_batch(sqlite_store.database_url, bound, pending)

    assert there.orders.num_rows > 0
    for name in TABLE_NAMES:
        assert _sorted(getattr(there, name)).equals(_sorted(getattr(here, name))), name


def test_a_sync_with_many_changes_reads_through_the_reader_process_and_equals_a_rebuild(
    sqlite_store, now, tmp_path, monkeypatch, reader
):
    monkeypatch.setattr(rp, "READER_PROCESS_FROM", 1)
    monkeypatch.setattr(rp, "_READER", reader)
    dataset = build_dataset(sqlite_store, now)
    analytics = AnalyticsStore(tmp_path / "analytics")
    rng = random.Random(11)
    clock = now
    sync(sqlite_store, analytics, clock)
    for _ in range(4):
        clock += timedelta(minutes=rng.choice((1, 30, 240)))
        advance_randomly(sqlite_store, rng, dataset, clock)
        assert sync(sqlite_store, analytics, clock).mode == "incremental"
    assert reader.running  # the changes went through the child

    fresh = AnalyticsStore(tmp_path / "rebuilt")
    rebuild(sqlite_store, fresh, clock)
    assert_same(contents(analytics), contents(fresh))


def test_few_changes_are_read_in_this_process(sqlite_store, now, tmp_path, monkeypatch, reader):
    monkeypatch.setattr(rp, "_READER", reader)
    build_dataset(sqlite_store, now)
    analytics = AnalyticsStore(tmp_path / "analytics")
    sync(sqlite_store, analytics, now)
    sync(sqlite_store, analytics, now + timedelta(hours=1))

    assert not reader.running


def test_a_reader_process_that_died_is_replaced_on_the_next_read(sqlite_store, now, reader):
    build_dataset(sqlite_store, now)
    bound = now - timedelta(days=3)
    first = reader.read_batch(sqlite_store.database_url, bound)
    reader._child.kill()
    reader._child.wait()

    again = reader.read_batch(sqlite_store.database_url, bound)

    assert reader.running
    assert again.orders.num_rows == first.orders.num_rows > 0


def test_a_read_that_fails_in_the_reader_process_is_reported_with_its_cause(tmp_path, now, reader):
    missing = tmp_path / "no-such-folder" / "kopra.sqlite3"

    with pytest.raises(rp.ReaderProcessFailed, match="could not read the store"):
        reader.read_batch(f"sqlite:///{missing}", now)
    assert reader.running  # the child reported the error and waits for the next request


def test_the_reader_process_exits_when_its_parent_lets_go(sqlite_store, now, reader):
    build_dataset(sqlite_store, now)
    reader.read_batch(sqlite_store.database_url, now - timedelta(days=1))
    child = reader._child

    reader.stop()

    assert child.returncode == 0
    assert not reader.running
