"""The store: migrations, SQLite set-up for two writers, UTC times, and the rules the schema enforces."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, time, timedelta, timezone

import pytest
from sqlalchemy import inspect, select, text
from sqlalchemy.exc import IntegrityError, OperationalError

from core.domain import OrderStatus, PayoutStatus, Role
from core.store import database
from core.store.database import Store, current_revision, downgrade, head_revision, migrate
from core.store.models import Buyer, Company, Order, Payout, Product, Refund, StockLevel, User, Warehouse

WIB = timezone(timedelta(hours=7))


def make_company(session, now, code="ACME01"):
    company = Company(company_code=code, name=f"{code} Ltd", is_whitelisted=True, created_at=now, updated_at=now)
    session.add(company)
    session.flush()
    return company


def make_warehouse(session, company, now, code="W1"):
    warehouse = Warehouse(
        company_id=company.id,
        code=code,
        name=code,
        time_zone="Asia/Jakarta",
        opens_at=time(8),
        closes_at=time(17),
        created_at=now,
        updated_at=now,
    )
    session.add(warehouse)
    session.flush()
    return warehouse


def make_order(session, now, number="KP-1"):
    company = make_company(session, now, code=f"C-{number}")
    warehouse = make_warehouse(session, company, now)
    buyer = Buyer(buyer_code=f"B-{number}", name="Toko", created_at=now)
    session.add(buyer)
    session.flush()
    order = Order(
        order_number=number,
        company_id=company.id,
        warehouse_id=warehouse.id,
        buyer_id=buyer.id,
        status=OrderStatus.COMPLETED,
        total_amount=150_000,
        placed_at=now,
        updated_at=now,
    )
    session.add(order)
    session.flush()
    return order


def test_migrations_bring_an_empty_store_to_the_newest_schema(store):
    assert current_revision(store) == head_revision(store)
    tables = set(inspect(store.engine).get_table_names())
    for table in (
        "companies",
        "users",
        "warehouses",
        "warehouse_closures",
        "products",
        "stock_levels",
        "price_changes",
        "buyers",
        "orders",
        "order_items",
        "order_events",
        "shipments",
        "complaints",
        "refunds",
        "payouts",
        "audit_log",
        "login_sessions",
    ):
        assert table in tables


def test_migrations_can_go_down_to_empty_and_up_again(store):
    downgrade(store, "base")
    assert "orders" not in inspect(store.engine).get_table_names()
    migrate(store)
    assert current_revision(store) == head_revision(store)
    assert "orders" in inspect(store.engine).get_table_names()


def test_migrating_twice_changes_nothing(store):
    migrate(store)
    migrate(store)
    assert current_revision(store) == head_revision(store)


def test_times_go_in_with_any_offset_and_come_out_in_utc(store, now):
    local = datetime(2026, 11, 25, 10, 0, tzinfo=WIB)
    with store.transaction() as session:
        company = make_company(session, local)
        company_id = company.id
    with store.reading() as session:
        stored = session.get(Company, company_id).created_at
    assert stored.tzinfo is not None and stored.utcoffset() == timedelta(0)
    assert stored == datetime(2026, 11, 25, 3, 0, tzinfo=UTC)


def test_a_naive_time_is_refused_and_nothing_is_written(store):
    with pytest.raises(Exception, match="naive datetime"):
        with store.transaction() as session:
            make_company(session, datetime(2026, 11, 25, 10, 0))
    with store.reading() as session:
        assert session.scalar(select(Company.id)) is None


def test_a_unit_of_work_that_fails_leaves_the_store_unchanged(store, now):
    with pytest.raises(RuntimeError):
        with store.transaction() as session:
            make_company(session, now)
            raise RuntimeError("boom half-way")
    with store.reading() as session:
        assert session.scalars(select(Company)).all() == []


def test_an_order_can_have_only_one_payout(store, now):
    with store.transaction() as session:
        order = make_order(session, now)
        session.add(
            Payout(
                order_id=order.id,
                company_id=order.company_id,
                amount=150_000,
                status=PayoutStatus.PENDING,
                trigger="buyer_confirmed",
                created_at=now,
            )
        )
        order_id, company_id = order.id, order.company_id
    with pytest.raises(IntegrityError):
        with store.transaction() as session:
            session.add(
                Payout(
                    order_id=order_id,
                    company_id=company_id,
                    amount=150_000,
                    status=PayoutStatus.PENDING,
                    trigger="retry",
                    created_at=now,
                )
            )
    with store.reading() as session:
        assert len(session.scalars(select(Payout)).all()) == 1


def test_an_order_can_have_only_one_refund(store, now):
    with store.transaction() as session:
        order = make_order(session, now)
        session.add(
            Refund(order_id=order.id, company_id=order.company_id, amount=150_000, reason="complaint", created_at=now)
        )
        order_id, company_id = order.id, order.company_id
    with pytest.raises(IntegrityError):
        with store.transaction() as session:
            session.add(
                Refund(order_id=order_id, company_id=company_id, amount=150_000, reason="again", created_at=now)
            )


def test_a_sku_is_unique_within_a_company_but_not_across_companies(store, now):
    with store.transaction() as session:
        first, second = make_company(session, now, "A1"), make_company(session, now, "B2")
        for company in (first, second):
            session.add(Product(company_id=company.id, sku="SKU-1", name="Rice", created_at=now, updated_at=now))
        first_id = first.id
    with pytest.raises(IntegrityError):
        with store.transaction() as session:
            session.add(Product(company_id=first_id, sku="SKU-1", name="Rice again", created_at=now, updated_at=now))


@pytest.mark.parametrize("on_hand, reserved, price", [(5, 6, 1000), (-1, 0, 1000), (5, 0, 0), (5, 0, -5)])
def test_the_schema_refuses_impossible_stock_and_prices(store, now, on_hand, reserved, price):
    with store.transaction() as session:
        company = make_company(session, now)
        warehouse = make_warehouse(session, company, now)
        product = Product(company_id=company.id, sku="S", name="N", created_at=now, updated_at=now)
        session.add(product)
        session.flush()
        ids = product.id, warehouse.id
    with pytest.raises(IntegrityError):
        with store.transaction() as session:
            session.add(
                StockLevel(
                    product_id=ids[0],
                    warehouse_id=ids[1],
                    on_hand=on_hand,
                    reserved=reserved,
                    price=price,
                    updated_at=now,
                )
            )


def test_a_user_id_is_unique_within_its_company(store, now):
    with store.transaction() as session:
        company = make_company(session, now)
        for _ in range(2):
            session.add(
                User(
                    company_id=company.id,
                    user_code="pm",
                    display_name="PM",
                    role=Role.PRODUCT_MANAGER,
                    password_hash="x",
                    password_changed_at=now,
                    created_at=now,
                )
            )
        with pytest.raises(IntegrityError):
            session.flush()
        session.rollback()


def test_foreign_keys_are_enforced(store, now):
    with pytest.raises(IntegrityError):
        with store.transaction() as session:
            session.add(
                Warehouse(
                    company_id=999,
                    code="X",
                    name="X",
                    time_zone="Asia/Jakarta",
                    opens_at=time(8),
                    closes_at=time(17),
                    created_at=now,
                    updated_at=now,
                )
            )


def test_sqlite_runs_in_wal_mode_with_a_busy_timeout(tmp_path):
    store = Store(f"sqlite:///{tmp_path / 'k.sqlite3'}")
    with store.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() >= 5000
        assert conn.exec_driver_sql("PRAGMA cache_size").scalar() == -64 * 1024  # KiB: 64 MB, not 2
    store.dispose()


def test_a_sqlite_write_transaction_takes_the_write_lock_up_front(tmp_path):
    path = tmp_path / "k.sqlite3"
    store = Store(f"sqlite:///{path}")
    migrate(store)
    with store.transaction() as session:
        session.execute(text("SELECT count(*) FROM companies"))  # only a read so far
        other = sqlite3.connect(path, timeout=0, isolation_level=None)
        with pytest.raises(sqlite3.OperationalError, match="locked"):
            other.execute("BEGIN IMMEDIATE")
        other.close()
    store.dispose()


def test_a_sqlite_reader_does_not_wait_for_a_writer(tmp_path, now):
    path = tmp_path / "k.sqlite3"
    store = Store(f"sqlite:///{path}")
    migrate(store)
    with store.transaction() as session:
        make_company(session, now)
        session.flush()
        reader = Store(f"sqlite:///{path}")
        with reader.reading() as read_session:  # WAL: sees the last committed state, at once
            assert read_session.scalars(select(Company)).all() == []
        reader.dispose()
    store.dispose()


def test_sqlite_commits_inside_checkpoint_at_end_leave_the_file_alone_until_the_block_ends(tmp_path):
    """Each commit of 2,000 pages stays in the write-ahead log inside the block (the file does not
    grow), is copied into the file once when the block ends, and the connections lent inside it go
    back to SQLite's default: the next large commit outside copies its pages at once."""
    path = tmp_path / "k.sqlite3"
    store = Store(f"sqlite:///{path}")
    with store.transaction() as session:
        session.execute(text("CREATE TABLE filler (body BLOB)"))
    size = path.stat().st_size

    def fill() -> None:
        with store.transaction() as session:
            session.execute(text("INSERT INTO filler VALUES (randomblob(8000))"), [{}] * 1000)

    with store.checkpoint_at_end():
        fill()
        fill()
        assert path.stat().st_size == size
    grown = path.stat().st_size
    assert grown > size + 15_000_000
    fill()
    assert path.stat().st_size > grown + 7_000_000
    with store.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA wal_autocheckpoint").scalar() == 1000
    store.dispose()


def test_checkpoint_at_end_changes_nothing_a_unit_of_work_does(store, now):
    with store.checkpoint_at_end():
        with store.transaction() as session:
            make_company(session, now)
        with pytest.raises(RuntimeError), store.transaction() as session:
            make_company(session, now, code="ROLLED")
            raise RuntimeError("rolled back")
    with store.reading() as session:
        assert [c.company_code for c in session.scalars(select(Company))] == ["ACME01"]


def test_the_migrations_build_exactly_the_schema_the_models_describe(store):
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext

    from core.store.models import Base

    with store.engine.connect() as conn:
        differences = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), Base.metadata)
    assert differences == []


# --- PostgreSQL's pool: a connection that sat idle is tried before it is lent ---------------------


def _pooled_backend_killed(postgres_url) -> Store:
    """A fresh Store whose one pooled connection's server process has just been terminated."""
    store = Store(postgres_url)
    with store.reading() as session:
        pid = session.scalar(text("SELECT pg_backend_pid()"))
    admin = Store(postgres_url)
    try:
        with admin.engine.connect() as connection:  # waits until the process has ended
            assert connection.scalar(text("SELECT pg_terminate_backend(:pid, 5000)"), {"pid": pid})
    finally:
        admin.dispose()
    return store


def test_an_idle_connection_the_database_dropped_is_replaced_unnoticed(postgres_url, monkeypatch):
    monkeypatch.setattr(database, "PING_AFTER_IDLE_S", 0.0)
    store = _pooled_backend_killed(postgres_url)
    try:
        with store.reading() as session:
            assert session.scalar(text("SELECT 1")) == 1
        with store.transaction() as session:
            assert session.scalar(text("SELECT 2")) == 2
    finally:
        store.dispose()


def test_a_connection_used_a_moment_ago_is_lent_without_a_ping(postgres_url, monkeypatch):
    # The other side of the trade: no round trip first, so a connection dropped within the idle
    # window fails the statement that meets it (the API's client retries with its Idempotency-Key).
    monkeypatch.setattr(database, "PING_AFTER_IDLE_S", 3600.0)
    store = _pooled_backend_killed(postgres_url)
    try:
        with pytest.raises(OperationalError), store.reading() as session:
            session.scalar(text("SELECT 1"))
        with store.reading() as session:  # the pool has let the dead connection go
            assert session.scalar(text("SELECT 1")) == 1
    finally:
        store.dispose()
