"""An order's whole journey in a real browser: the Product Manager adds a product with stock and
price, a simulated buyer orders it, the Product Manager accepts it, checks its items off and packs
it, ships it with a proof photo, the buyer confirms receipt, and the order is among the finished
ones. The order stays open through every step: no reload, no picking it again."""

from __future__ import annotations

import re
import uuid

import pytest
from PIL import Image
from playwright.sync_api import expect

from core.clock import utc_now
from core.demo.seed import DEMO_PASSWORD
from core.orders import buyer_channel as buyers
from tests.e2e.conftest import add_product_in_browser, log_in, open_product_management, screenshot

pytestmark = pytest.mark.browser
expect.set_options(timeout=20_000)  # a rerun of this page on a busy 2-core machine can take seconds


def settled(page) -> None:
    """Wait until Streamlit has finished the current run (its status widget goes away)."""
    page.wait_for_timeout(300)
    expect(page.get_by_test_id("stStatusWidget")).to_have_count(0)


def open_stage(page, stage: str) -> None:
    settled(page)
    page.get_by_role("radio", name=re.compile(rf"^{stage} \((\d+|more than [\d,]+)\)$")).click()
    settled(page)


def open_order(page, number: str) -> None:
    """Type the order number into the search, as a person (or a scanner) does: it opens at once."""
    settled(page)
    box = page.get_by_role("textbox", name="Find an order")
    box.fill(number)
    box.press("Enter")
    expect(page.get_by_role("heading", name=re.compile(number)).first).to_be_visible()


def proof_photo(tmp_path) -> str:
    path = tmp_path / "proof.jpg"
    Image.new("RGB", (640, 480), (180, 140, 90)).save(path, format="JPEG")
    return str(path)


def go_to_sales(page) -> None:
    settled(page)
    page.get_by_role("link", name="Sales Management").click()
    expect(page.get_by_role("heading", name="Sales Management").first).to_be_visible()


def test_a_new_product_is_ordered_accepted_packed_shipped_and_leaves_sales_management(
    running_app, page, app_store, tmp_path
):
    sku = f"JRN-{uuid.uuid4().hex[:6].upper()}"
    log_in(page, running_app.url, "DEMO01", "pm", DEMO_PASSWORD)
    open_product_management(page)
    add_product_in_browser(page, sku=sku, name=f"Teh Melati {sku[-6:]}", unit="kotak", on_hand=20, price=12_500)

    number = buyers.place_order(
        app_store,
        buyer_code="LVM-00007",
        company_code="DEMO01",
        warehouse_code="JKT-01",
        lines=[buyers.OrderLine(sku, 2)],
        now=utc_now(),
    ).order_number  # the simulated buyer
    go_to_sales(page)

    open_order(page, number)
    screenshot(page, "sales-new-order")
    page.get_by_role("button", name="Accept", exact=True).click()
    expect(page.get_by_text(f"{number} accepted.")).to_be_visible()

    # Still open, now being packed: tick the item off against the order.
    page.get_by_text(re.compile(rf"2 × {sku}")).click()
    page.get_by_role("button", name="Mark packed").click()
    expect(page.get_by_text(f"{number} is packed")).to_be_visible()

    page.locator("input[type=file]").first.set_input_files(proof_photo(tmp_path))
    page.get_by_role("textbox", name="Tracking number").locator("visible=true").fill("JNE0098765432")
    screenshot(page, "sales-shipping-with-proof")
    page.get_by_role("button", name="Mark shipped").click()
    expect(page.get_by_text(f"{number} is shipped with JNE.")).to_be_visible()

    buyers.confirm_receipt(app_store, buyer_code="LVM-00007", order_number=number, now=utc_now())
    page.reload()
    expect(page.get_by_role("heading", name=re.compile(rf"{number} · completed")).first).to_be_visible()
    open_order(page, number)
    open_stage(page, "Finished")
    expect(page.get_by_text(re.compile(r"Finished: orders 1–1 of 1"))).to_be_visible()
    screenshot(page, "sales-after-completion")
