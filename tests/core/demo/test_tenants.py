"""Many sellers in one store (core.demo.tenants) on SQLite and PostgreSQL: copies of a seller, each
with its own orders, and a snapshot that keeps each seller's rows together and its figures apart."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from core.acting import Actor
from core.analytics.dashboard import load_dashboard
from core.analytics.scope import Period
from core.analytics.snapshots import AnalyticsStore
from core.analytics.sync import rebuild
from core.demo.bulk import generate_bulk, settle_store
from core.demo.seed import DEMO_COMPANY_CODE, load_demo
from core.demo.tenants import add_sellers
from core.domain import Role
from core.store.models import Company, Order, Product, StockLevel, User, Warehouse, WarehouseClosure
from tests.core.analytics import reference


@pytest.fixture
def sellers(store, now):
    load_demo(store, seed=3, now=now - timedelta(days=400), history_days=0)
    return add_sellers(store, template=DEMO_COMPANY_CODE, count=3, now=now)


def _company(session, code: str) -> Company:
    return session.scalar(select(Company).where(Company.company_code == code))


def test_each_copy_has_the_template_s_warehouses_products_and_stock_of_its_own(store, sellers):
    assert sellers == ["SELLER0001", "SELLER0002", "SELLER0003"]
    with store.reading() as s:
        template = _company(s, DEMO_COMPANY_CODE)

        def shape(company: Company):
            warehouses = s.scalars(select(Warehouse).where(Warehouse.company_id == company.id)).all()
            products = s.scalars(select(Product).where(Product.company_id == company.id)).all()
            stock = s.execute(
                select(Warehouse.code, Product.sku, StockLevel.price, StockLevel.reserved)
                .join(Warehouse, Warehouse.id == StockLevel.warehouse_id)
                .join(Product, Product.id == StockLevel.product_id)
                .where(Warehouse.company_id == company.id, Product.company_id == company.id)
            ).all()
            closures = s.execute(
                select(Warehouse.code, WarehouseClosure.day)
                .join(Warehouse, Warehouse.id == WarehouseClosure.warehouse_id)
                .where(Warehouse.company_id == company.id)
            ).all()
            return (
                sorted((w.code, w.time_zone, w.opens_at, w.closes_at) for w in warehouses),
                sorted(p.sku for p in products),
                sorted((code, sku, price) for code, sku, price, _ in stock),
                sorted(closures),
                {reserved for *_, reserved in stock},
            )

        want = shape(template)
        for code in sellers:
            copy = _company(s, code)
            assert copy.is_whitelisted and copy.id != template.id
            assert s.scalar(select(func.count()).select_from(User).where(User.company_id == copy.id)) == 0
            got = shape(copy)
            assert got[:4] == want[:4]
            assert got[4] == {0}  # nothing reserved: the copy has no orders yet


@pytest.mark.slow  # bulk orders of three sellers and a snapshot
def test_a_rebuilt_snapshot_keeps_each_seller_s_rows_together_and_figures_apart(store, now, sellers, tmp_path):
    for n, code in enumerate([DEMO_COMPANY_CODE, *sellers[:2]]):
        generate_bulk(store, orders=400, company_code=code, seed=20 + n, now=now, days=60, settle=False)
    settle_store(store)
    analytics = AnalyticsStore(tmp_path / "analytics")
    rebuild(store, analytics, now)
    with analytics.reading() as snapshot:
        for table, time_column in (("orders", "placed_at"), ("sales_lines", "completed_at")):
            stored = snapshot.con.execute(f"SELECT company_id, {time_column} FROM {table} ORDER BY rowid").fetchall()
            assert len({company for company, _ in stored}) == 3, table
            # Grouped by company (DuckDB skips the other sellers' blocks), in time order within each.
            assert stored == sorted(stored), table
    with store.reading() as s:
        copy = _company(s, sellers[0])
        assert s.scalar(select(func.count()).select_from(Order).where(Order.company_id == copy.id)) == 400
        pm = s.scalar(select(User).where(User.company_id == _company(s, DEMO_COMPANY_CODE).id, User.user_code == "pm"))
    period = Period(now.date() - timedelta(days=29), now.date())
    # The demo seller sees its own figures, not the copies' (their orders share its products' names).
    demo = Actor(pm.id, pm.company_id, DEMO_COMPANY_CODE, "pm", Role.PRODUCT_MANAGER)
    dash = load_dashboard(store, analytics, demo, period)
    assert {k.key: (k.value, k.previous) for k in dash.kpis} == reference.kpis(
        store, pm.company_id, period.start, period.end
    )
    assert [(p.product_id, p.units, p.revenue) for p in dash.top_products] == reference.top_products(
        store, pm.company_id, period.start, period.end
    )
