"""Product Management in a real browser: the Product Manager (DEMO01 / pm) adds a product with
stock and price, then finds it in the list; and a large price change typed into the stock & price
grid is refused until it is explicitly confirmed.

The running app is shared by every browser test: SKUs are unique per run, only products these
tests create are edited, and only the demo pm's correct password is used, so nobody is locked out.
"""

from __future__ import annotations

import uuid

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from core import acting as accounts
from core.catalogue.products import add_product_with_stock
from core.clock import utc_now
from core.demo.seed import DEMO_PASSWORD
from core.store.database import Store
from core.store.models import Company, Product, StockLevel, User
from tests.e2e.conftest import add_product_in_browser, log_in, open_product_management, screenshot, type_into_grid

pytestmark = pytest.mark.browser


def demo_pm(store: Store):
    with store.reading() as session:
        user, company = session.execute(
            select(User, Company)
            .join(Company, Company.id == User.company_id)
            .where(Company.company_code == "DEMO01", User.user_code == "pm")
        ).one()
        return accounts.actor_of(user, company)


def price_of(store: Store, sku: str) -> int:
    with store.reading() as session:
        return session.scalar(
            select(StockLevel.price).join(Product, Product.id == StockLevel.product_id).where(Product.sku == sku)
        )


def test_the_product_manager_adds_a_product_with_stock_and_price_and_sees_it_in_the_list(running_app, page):
    sku = f"E2E-{uuid.uuid4().hex[:6].upper()}"
    name = f"Kopi Toraja 250 g {sku[-6:]}"
    log_in(page, running_app.url, "DEMO01", "pm", DEMO_PASSWORD)
    open_product_management(page)
    screenshot(page, "product-management-list")
    add_product_in_browser(page, sku=sku, name=name, unit="pak", on_hand=48, price=67_500, shot="product-add-form")

    page.get_by_role("tab", name="Products").click()
    search = page.get_by_role("textbox", name="Search SKU or name").first
    search.fill(sku)
    search.press("Enter")
    expect(page.get_by_text("1 product", exact=True)).to_be_visible()
    expect(page.get_by_text(f"{sku} · {name}").first).to_be_visible()  # the product opened below the list
    expect(page.get_by_role("heading", name=f"{sku} · {name}").first).to_be_visible()
    screenshot(page, "product-added-in-list")


def test_a_large_price_change_in_the_grid_is_refused_until_explicitly_confirmed(running_app, page, app_store):
    sku = f"E2E-{uuid.uuid4().hex[:6].upper()}"
    add_product_with_stock(
        app_store,
        demo_pm(app_store),
        sku=sku,
        name="Gula Aren 500 g",
        warehouse_code="JKT-01",
        on_hand=30,
        price=50_000,
        now=utc_now(),
    )
    log_in(page, running_app.url, "DEMO01", "pm", DEMO_PASSWORD)
    open_product_management(page)
    page.get_by_role("tab", name="Stock & prices").click()
    expect(page.get_by_text("Reserved and Available are read-only")).to_be_visible()
    search = page.get_by_role("textbox", name="Search SKU or name").first
    search.fill(sku)
    search.press("Enter")
    # Only JKT-01: other browser tests may add warehouses to the shared app (one row each).
    page.get_by_role("combobox", name="Warehouse").first.click()
    page.get_by_role("option", name="JKT-01").click()
    # The grid draws on a canvas; its accessible cells (hidden) say what it shows.
    editor = page.get_by_test_id("stDataFrame").filter(has=page.locator("canvas")).first
    expect(editor.get_by_test_id("glide-cell-2-0")).to_have_text("JKT-01")
    expect(editor.get_by_test_id("glide-cell-0-0")).to_have_text(sku)  # one row: this product in JKT-01
    expect(editor.get_by_test_id("glide-cell-0-1")).to_have_count(0)
    expect(editor.get_by_test_id("glide-cell-7-0")).to_have_text("Rp50.000")

    type_into_grid(page, editor, column=6, text="80000")  # row 1, column "Price (Rp)"
    expect(page.get_by_text("1 price change is more than 30% against the current price.")).to_be_visible()
    expect(page.get_by_text("Rp80.000", exact=True).first).to_be_attached()  # in the side-by-side table
    screenshot(page, "product-grid-large-price-change")

    page.get_by_role("button", name="Save changes").click()
    expect(page.get_by_text("must be explicitly confirmed")).to_be_visible()
    assert price_of(app_store, sku) == 50_000

    page.get_by_text("I have checked the 1 large price change above and want to apply it").click()
    page.get_by_role("button", name="Save changes").click()
    expect(page.get_by_text("Saved: 0 on-hand figures and 1 price changed")).to_be_visible()
    assert price_of(app_store, sku) == 80_000
    screenshot(page, "product-grid-large-price-change-saved")
