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
    # The grid's toolbar has no download of its own (it would download only the page on screen).
    grid = page.locator(".st-key-history_rows")
    grid.get_by_test_id("stDataFrame").hover()
    toolbar = grid.get_by_test_id("stElementToolbar")
    expect(toolbar.get_by_role("button", name=re.compile(r"^Search"))).to_be_visible()
    page_download = toolbar.get_by_role("button", name=re.compile(r"^Download as CSV"), include_hidden=True)
    expect(page_download).to_have_count(1)  # Streamlit still draws it (so the style's selector is right)...
    expect(page_download).to_be_hidden()  # ...and the page's style hides it
    screenshot(page, "transaction-history")
    page.get_by_text("Column names for scripts (stable, in English)").click()  # the machine header
    prepare.click()
    download_button = page.get_by_role("button", name=re.compile(r"^Download [0-9.]+ rows"))
    expect(download_button).to_be_visible()
    screenshot(page, "transaction-history-export-ready")
    promised = int(re.search(r"Download ([0-9.]+) rows", download_button.inner_text()).group(1).replace(".", ""))
    with page.expect_download() as info:
        download_button.click()
    raw = open(info.value.path(), "rb").read()
    assert raw.startswith(b"\xef\xbb\xbf")  # UTF-8 with a byte-order mark: Excel reads it as UTF-8
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
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
        "payout_status",
        "paid_at",
        "transfer_reference",
    ]
    assert len(rows) - 1 == promised > 0  # one row per order line of the whole filtered set
    assert all(len(row) == len(rows[0]) for row in rows)
