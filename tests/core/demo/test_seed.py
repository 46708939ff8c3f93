"""Demo data: what the demo promises, loaded once, the same from the same seed."""

from __future__ import annotations

from sqlalchemy import func, select

from core.accounts.hashing import verify_password
from core.demo.seed import DEMO_COMPANY_CODE, DEMO_PASSWORD, DEMO_UNREAD_DAYS, OTHER_COMPANY_CODE, load_demo
from core.domain import Role, UserStatus
from core.store.models import Buyer, Company, Notification, PriceChange, Product, StockLevel, User, Warehouse


def test_the_demo_has_a_whitelisted_company_with_both_roles(store, now):
    assert load_demo(store, seed=7, now=now, history_days=0) is True
    with store.reading() as session:
        company = session.scalar(select(Company).where(Company.company_code == DEMO_COMPANY_CODE))
        assert company.is_whitelisted
        users = {u.user_code: u for u in session.scalars(select(User).where(User.company_id == company.id))}
        assert users["admin"].role == Role.SYSTEM_ADMINISTRATOR
        assert users["pm"].role == Role.PRODUCT_MANAGER
        assert not users["admin"].must_change_password and not users["pm"].must_change_password
        assert verify_password(DEMO_PASSWORD, users["pm"].password_hash)
        assert not verify_password(DEMO_PASSWORD + " ", users["pm"].password_hash)
        assert users["blocked"].status == UserStatus.BLOCKED
        other = session.scalar(select(Company).where(Company.company_code == OTHER_COMPANY_CODE))
        assert not other.is_whitelisted


def test_the_demo_has_three_warehouses_in_different_zones_and_hours(store, now):
    load_demo(store, seed=7, now=now, history_days=0)
    with store.reading() as session:
        warehouses = session.scalars(select(Warehouse)).all()
        assert len(warehouses) == 3
        assert len({w.time_zone for w in warehouses}) >= 2
        assert len({(w.opens_at, w.closes_at) for w in warehouses}) >= 2


def test_every_demo_product_is_stocked_and_priced_in_every_warehouse(store, now):
    load_demo(store, seed=7, now=now, history_days=0)
    with store.reading() as session:
        products = session.scalar(select(func.count(Product.id)))
        warehouses = session.scalar(select(func.count(Warehouse.id)))
        assert 50 <= products <= 70
        levels = session.scalars(select(StockLevel)).all()
        assert len(levels) == products * warehouses
        assert all(level.price > 0 and level.on_hand > 0 and level.reserved == 0 for level in levels)
        assert session.scalar(select(func.count(PriceChange.id))) == len(levels)
        approved = session.scalar(select(func.count(Buyer.id)).where(Buyer.is_approved.is_(True)))
        assert 45 <= approved <= 55


def test_the_demo_is_never_loaded_twice(store, now):
    assert load_demo(store, seed=7, now=now, history_days=0) is True
    with store.reading() as session:
        before = session.scalar(select(func.count(Product.id)))
    assert load_demo(store, seed=7, now=now, history_days=0) is False
    with store.reading() as session:
        assert session.scalar(select(func.count(Product.id))) == before
        assert session.scalar(select(func.count(Company.id))) == 2


def test_the_same_seed_gives_the_same_prices(store, now, tmp_path):
    from core.store.database import Store, migrate

    other = Store(f"sqlite:///{tmp_path / 'other.sqlite3'}")
    migrate(other)
    for target in (store, other):
        load_demo(target, seed=11, now=now, history_days=0)

    def prices(target):
        with target.reading() as session:
            return session.execute(
                select(Product.sku, Warehouse.code, StockLevel.price, StockLevel.on_hand)
                .join(StockLevel.product)
                .join(StockLevel.warehouse)
                .order_by(Product.sku, Warehouse.code)
            ).all()

    assert prices(store) == prices(other)
    other.dispose()


def test_the_demo_staff_have_read_all_but_the_last_days_of_notifications(store, now):
    load_demo(store, seed=3, now=now, history_days=10)
    with store.reading() as session:
        unread_old = session.scalar(
            select(func.count(Notification.id)).where(
                Notification.read_at.is_(None), Notification.created_at < now - DEMO_UNREAD_DAYS
            )
        )
        told = session.scalar(select(func.count(Notification.id)))
    assert told > 0 and unread_old == 0
