"""Dashboard and Transaction History in a real browser: the numbers appear after a refresh, the
charts render, and the whole filtered history downloads as CSV."""

from __future__ import annotations

import csv
import io
import re

import pytest
from playwright.sync_api import expect

from core.demo.seed import DEMO_PASSWORD
from tests.e2e.conftest import log_in, screenshot

pytestmark = pytest.mark.browser
expect.set_options(timeout=30_000)  # a refresh builds the snapshot in a separate process


def figures_ready(page, content) -> None:
    """Wait for the page to show either its figures or the offer to build them; build them if needed
    (the scheduler, which normally does it, is not running beside these tests)."""
    refresh = page.get_by_role("button", name="Refresh now")
    expect(refresh.or_(content).first).to_be_visible()
    if not content.count():
        refresh.first.click()
    expect(content.first).to_be_visible()


def test_the_dashboard_shows_kpis_and_charts_after_a_refresh(running_app, page):
    log_in(page, running_app.url, "DEMO01", "pm", DEMO_PASSWORD)
    expect(page.get_by_role("heading", name="Dashboard").first).to_be_visible()  # a rerun may briefly show two
    figures_ready(page, page.get_by_role("heading", name="Fulfilment health"))
    expect(page.locator(".js-plotly-plot").first).to_be_visible()
    expect(page.get_by_role("heading", name="Needs action now").first).to_be_visible()
    page.wait_for_timeout(1500)  # let the charts finish drawing for the screenshot
    screenshot(page, "dashboard")


def test_transaction_history_exports_the_filtered_set_as_csv(running_app, page):
    log_in(page, running_app.url, "DEMO01", "pm", DEMO_PASSWORD)
    page.get_by_test_id("stSidebarNavLink").filter(has_text="Transaction History").click()
    expect(page.get_by_role("heading", name="Transaction History").first).to_be_visible()
    prepare = page.get_by_role("button", name="Prepare CSV")
    figures_ready(page, prepare)
    expect(prepare).to_be_enabled()
    screenshot(page, "transaction-history")
    prepare.click()
    download_button = page.get_by_role("button", name=re.compile(r"^Download [0-9.]+ rows"))
    expect(download_button).to_be_visible()
    screenshot(page, "transaction-history-export-ready")
    promised = int(re.search(r"Download ([0-9.]+) rows", download_button.inner_text()).group(1).replace(".", ""))
    with page.expect_download() as info:
        download_button.click()
    text = open(info.value.path(), encoding="utf-8").read()
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0] == [
        "order_number",
        "placed_at",
        "completed_at",
        "warehouse",
        "buyer_code",
        "buyer_name",
        "product_name",
        "sku",
        "quantity",
        "unit_price",
        "line_total",
    ]
    assert len(rows) - 1 == promised > 0  # one row per order line of the whole filtered set
    assert all(len(row) == len(rows[0]) for row in rows)
