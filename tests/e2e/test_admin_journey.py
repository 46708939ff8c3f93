"""The System Administrator's journey in a real browser: log in, add a warehouse, edit the company
profile with a logo (previewed, then saved). Screenshots of each page go to tests/e2e/screenshots/.

The running app is shared by every browser test: this one adds a warehouse under a code of its
own and leaves the demo users as they were."""

from __future__ import annotations

import re
import uuid

import pytest
from PIL import Image
from playwright.sync_api import expect
from sqlalchemy import select

from core.demo.seed import DEMO_PASSWORD
from core.store.database import Store
from core.store.models import Company, Warehouse
from tests.e2e.conftest import log_in, screenshot

pytestmark = pytest.mark.browser


def one(locator):
    """The locator once exactly one element matches: while Streamlit redraws, the old element
    can linger next to the new one for a moment."""
    expect(locator).to_have_count(1)
    return locator


def whole_page(page, name: str) -> None:
    """A screenshot of the whole page: Streamlit scrolls inside its own container, so a full-page
    screenshot shows only the window; the window is made as tall as the content for a moment
    (measured twice: tables draw themselves once they are in view)."""
    size = page.viewport_size
    for _ in range(2):
        height = page.evaluate(
            "() => Math.max(...[...document.querySelectorAll('[data-testid=stMain] *')].map(e => e.scrollHeight), 850)"
        )
        page.set_viewport_size({"width": size["width"], "height": min(height + 150, 6000)})
        page.wait_for_timeout(700)
    screenshot(page, name)
    page.set_viewport_size(size)


def stored(running_app):
    """The app's own store (SQLite in its data folder), to check what the browser did."""
    return Store(f"sqlite:///{running_app.data_dir / 'kopra.sqlite3'}")


def test_the_admin_adds_a_warehouse_and_edits_the_company_profile_with_a_logo(running_app, page, tmp_path):
    code = f"E2E-{uuid.uuid4().hex[:6].upper()}"
    log_in(page, running_app.url, "DEMO01", "admin", DEMO_PASSWORD)
    expect(page.get_by_role("heading", name="Warehouse Management").first).to_be_visible()
    whole_page(page, "admin_warehouse_management")

    # Add a warehouse (the first tab).
    add_form = one(page.get_by_role("tabpanel", name="Add a warehouse"))
    add_form.get_by_role("textbox", name="Code").fill(code)
    add_form.get_by_role("textbox", name="Name").fill("Gudang Uji Peramban")
    add_form.get_by_role("textbox", name="Address").fill("Jl. Percobaan 1, Jakarta")
    add_form.get_by_role("button", name="Add warehouse").click()
    expect(page.get_by_text(f"Warehouse {code} (Gudang Uji Peramban) is added and open for orders")).to_be_visible()
    whole_page(page, "admin_warehouse_added")

    # Company Profile: description, then a logo previewed before it is saved.
    page.get_by_role("link", name="Company Profile").click()
    expect(page.get_by_role("heading", name="Company Profile").first).to_be_visible()
    whole_page(page, "admin_company_profile")
    one(page.get_by_role("textbox", name="Description")).fill(
        "Distributor of groceries and household goods for retail merchants across Indonesia."
    )
    page.get_by_role("button", name="Save profile").click()
    expect(page.get_by_text("The profile is saved.")).to_be_visible()

    logo = tmp_path / "logo.png"
    Image.new("RGB", (640, 240), (0, 82, 155)).save(logo, format="PNG")
    one(page.locator("input[type=file]")).set_input_files(str(logo))
    expect(page.get_by_text("Preview, as it will be stored: 512×192 pixels. Not saved yet.")).to_be_visible()
    whole_page(page, "admin_company_profile_logo_preview")
    page.get_by_role("button", name="Save this logo").click()
    expect(page.get_by_text("The new logo is saved.")).to_be_visible()
    expect(page.get_by_text("Current logo")).to_be_visible()
    whole_page(page, "admin_company_profile_saved")

    store = stored(running_app)
    try:
        with store.reading() as session:
            company = session.scalar(select(Company).where(Company.company_code == "DEMO01"))
            warehouse = session.scalar(
                select(Warehouse).where(Warehouse.company_id == company.id, Warehouse.code == code)
            )
            assert warehouse is not None and warehouse.name == "Gudang Uji Peramban"
            assert company.logo and company.logo_mime == "image/jpeg"
            assert company.description.startswith("Distributor of groceries")
    finally:
        store.dispose()


def test_the_product_manager_sees_warehouse_operations_in_settings(running_app, page):
    log_in(page, running_app.url, "DEMO01", "pm", DEMO_PASSWORD)
    page.get_by_role("link", name="Settings").click()
    expect(page.get_by_role("heading", name="Settings").first).to_be_visible()
    expect(page.get_by_text("Changes apply to orders from now on")).to_be_visible()
    expect(page.get_by_role("button", name="Save operations")).to_be_visible()
    expect(page.get_by_role("heading", name="Company information").first).to_be_visible()
    whole_page(page, "pm_settings")


def test_the_refusal_to_close_a_busy_warehouse_is_said_in_the_tab_where_close_was_clicked(running_app, page):
    """Defect 1 of "The seller's working day" reported the refusal drawn in a tab the rerun had
    switched away from. The tabs are now keyed (their state survives every rerun); this test guards
    the outcome: the refusal is in sight and the tab stays open. (Run against the page with unkeyed
    tabs it also passed, so it does not reproduce the reported switch by itself.)"""
    log_in(page, running_app.url, "DEMO01", "admin", DEMO_PASSWORD)
    expect(page.get_by_role("heading", name="Warehouse Management").first).to_be_visible()
    page.get_by_role("tab", name="Close or reopen").click()
    panel = one(page.get_by_role("tabpanel", name="Close or reopen"))
    panel.get_by_role("combobox", name="Warehouse").click()  # another test may have added one before it
    page.get_by_role("option", name=re.compile(r"^JKT-01 · ")).click()
    panel.get_by_text(re.compile(r"^Close JKT-01 .*must be finished first")).click()  # the confirmation
    panel.get_by_role("button", name=re.compile(r"^Close warehouse JKT-01")).click()
    expect(page.get_by_text(re.compile(r"Warehouse JKT-01 cannot be closed yet: it has"))).to_be_visible()
    expect(page.get_by_role("tab", name="Close or reopen")).to_have_attribute("aria-selected", "true")
