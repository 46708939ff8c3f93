"""A buyer's complaint with a link and an image, in a real browser (issue 15, defect 1): Sales
Management shows the complaint exactly as it was typed, with no link in the page, no image, and no
request leaving the seller's browser for the image's address.

tests/app/test_hostile_text.py checks every page and every kind of markup in AppTest; this is the
check that Chromium, running Streamlit's own Markdown renderer, agrees."""

from __future__ import annotations

import io
import re

import pytest
from PIL import Image
from playwright.sync_api import expect
from sqlalchemy import select

from core.acting import Actor
from core.clock import utc_now
from core.demo.seed import DEMO_COMPANY_CODE, DEMO_PASSWORD
from core.domain import Role
from core.orders import buyer_channel as buyers
from core.orders import seller
from core.store.models import Company, Order, OrderItem, User
from tests.e2e.conftest import log_in, screenshot

pytestmark = pytest.mark.browser
expect.set_options(timeout=20_000)

COMPLAINT = "[Click here to claim your refund](https://evil.example/login) ![px](http://127.0.0.1:9/t.png)"
BUYER = "LVM-00011"


def product_manager(store) -> Actor:
    with store.reading() as session:
        company = session.scalar(select(Company).where(Company.company_code == DEMO_COMPANY_CODE))
        user = session.scalar(select(User).where(User.company_id == company.id, User.user_code == "pm"))
    return Actor(user.id, company.id, DEMO_COMPANY_CODE, "pm", Role.PRODUCT_MANAGER)


def complained_order(store) -> str:
    """An order shipped through core, then complained about by its buyer with COMPLAINT."""
    actor, now = product_manager(store), utc_now()
    number = buyers.place_order(
        store,
        buyer_code=BUYER,
        company_code=DEMO_COMPANY_CODE,
        warehouse_code="JKT-01",
        lines=[buyers.OrderLine("SPN-0003", 1)],
        now=now,
    ).order_number
    seller.accept_order(store, actor, number, now)
    with store.reading() as session:
        items = set(session.scalars(select(OrderItem.id).join(Order).where(Order.order_number == number)))
    seller.mark_packed(store, actor, number, items, now)
    proof = io.BytesIO()
    Image.new("RGB", (64, 48), (180, 140, 90)).save(proof, format="PNG")
    seller.ship_order(
        store,
        actor,
        number,
        courier="JNE",
        tracking_number="JNE55501",
        photo=proof.getvalue(),
        photo_name="p.png",
        now=now,
    )
    buyers.file_complaint(store, buyer_code=BUYER, order_number=number, description=COMPLAINT, now=now)
    return number


def settled(page) -> None:
    """Wait until Streamlit has finished the current run (its status widget goes away)."""
    page.wait_for_timeout(300)
    expect(page.get_by_test_id("stStatusWidget")).to_have_count(0)


def test_a_complaint_with_a_link_and_an_image_shows_as_typed_and_fetches_nothing(running_app, page, app_store):
    number = complained_order(app_store)
    requests: list[str] = []
    page.on("request", lambda request: requests.append(request.url))
    log_in(page, running_app.url, DEMO_COMPANY_CODE, "pm", DEMO_PASSWORD)
    settled(page)
    page.get_by_role("link", name="Sales Management").click()
    expect(page.get_by_role("heading", name="Sales Management").first).to_be_visible()
    settled(page)
    page.get_by_role("radio", name=re.compile(r"^Complaints \(\d+\)$")).click()
    settled(page)
    box = page.get_by_role("textbox", name="Find an order")
    box.fill(number)
    box.press("Enter")  # the number typed in full opens the order
    expect(page.get_by_role("heading", name=re.compile(number)).first).to_be_visible()
    settled(page)
    page.wait_for_timeout(1_000)  # time for an image, had there been one, to be fetched
    screenshot(page, "sales-complaint-typed-text")

    assert [url for url in requests if url.startswith("http://127.0.0.1:9/")] == []
    assert page.locator('img[src^="http://127.0.0.1:9"]').count() == 0
    assert page.locator('a[href^="https://evil.example"]').count() == 0
    shown = page.get_by_test_id("stMarkdownContainer").filter(has_text="Complaint:").first
    # Shown exactly as typed (the word joiners that stop Streamlit's rewrites are invisible).
    assert COMPLAINT in shown.inner_text().replace("\u2060", "")
