"""A seller's working day in Sales Management, in a real browser: the place (stage and open order)
survives every action and a reload, an order just acted on stays open as it now is, counts and
lists refresh by themselves with the waiting count in the tab title, a stage's count agrees with
its list, finished orders (refunded ones too) are there with their money, and the papers print.

Each test names the defect of the issue it guards; on the old page (tabs whose state the app did
not control) each failed as its docstring says."""

from __future__ import annotations

import io
import re

import pypdfium2
import pytest
from playwright.sync_api import expect
from pypdf import PdfReader
from sqlalchemy import select

from core.acting import Actor
from core.clock import utc_now
from core.demo.seed import DEMO_PASSWORD
from core.domain import ComplaintResolution, Role
from core.orders import buyer_channel as buyers
from core.orders import seller
from core.store.models import Company, Order, OrderItem, User
from tests.e2e.conftest import SCREENSHOTS, log_in, screenshot

pytestmark = pytest.mark.browser
expect.set_options(timeout=20_000)  # a rerun on a busy 2-core machine can take seconds


def settled(page) -> None:
    """Wait until Streamlit has finished the current run (its status widget goes away)."""
    page.wait_for_timeout(300)
    expect(page.get_by_test_id("stStatusWidget")).to_have_count(0)


def place(store, quantity: int = 1) -> str:
    return buyers.place_order(
        store,
        buyer_code="LVM-00003",
        company_code="DEMO01",
        warehouse_code="JKT-01",
        lines=[buyers.OrderLine("SPN-0001", quantity)],
        now=utc_now(),
    ).order_number


def pm(store) -> Actor:
    with store.reading() as session:
        company = session.scalar(select(Company).where(Company.company_code == "DEMO01"))
        user = session.scalar(select(User).where(User.company_id == company.id, User.user_code == "pm"))
        return Actor(user.id, company.id, "DEMO01", "pm", Role.PRODUCT_MANAGER)


def accepted(store) -> str:
    number = place(store)
    seller.accept_order(store, pm(store), number, utc_now())
    return number


def go_to_sales(page, url: str) -> None:
    log_in(page, url, "DEMO01", "pm", DEMO_PASSWORD)
    settled(page)
    page.get_by_role("link", name="Sales Management").click()
    expect(page.get_by_role("heading", name="Sales Management").first).to_be_visible()


def stage_button(page, label: str):
    return page.get_by_role("radio", name=re.compile(rf"^{label} \((\d+|more than [\d,]+)\)$"))


def open_stage(page, label: str) -> None:
    settled(page)
    stage_button(page, label).click()
    settled(page)


def find(page, text: str) -> None:
    """Type into the search and press Enter, as a person (or a barcode scanner) does."""
    settled(page)
    box = page.get_by_role("textbox", name="Find an order")
    box.fill(text)
    box.press("Enter")
    settled(page)


def order_is_open(page, number: str) -> None:
    expect(page.get_by_role("heading", name=re.compile(number)).first).to_be_visible()


def test_the_stage_and_the_order_survive_an_action_and_a_reload(running_app, page, app_store):
    """Defects 1 and 2: after packing, the old page jumped back to the New tab, and the packed order
    picked in Shipping showed its number but no detail and no ship form until a reload."""
    number = accepted(app_store)
    go_to_sales(page, running_app.url)
    find(page, number)  # typed in full: it opens at once, found among all orders
    order_is_open(page, number)
    assert "stage=all" in page.url
    open_stage(page, "Processing")  # the open order stays open
    order_is_open(page, number)
    assert "stage=processing" in page.url and f"order={number}" in page.url
    with app_store.reading() as session:
        skus = session.scalars(select(OrderItem.sku).join(Order).where(Order.order_number == number)).all()
    for sku in skus:
        page.get_by_text(re.compile(rf"× {sku}")).click()  # tick each item off against the order
    page.get_by_role("button", name="Mark packed").click()
    expect(page.get_by_text(f"{number} is packed")).to_be_visible()
    order_is_open(page, number)
    expect(page.get_by_role("button", name="Mark shipped")).to_be_visible()  # no reload needed
    assert "stage=processing" in page.url and f"order={number}" in page.url
    screenshot(page, "sales-order-1440")
    page.reload()
    order_is_open(page, number)
    expect(page.get_by_role("button", name="Mark shipped")).to_be_visible()
    expect(stage_button(page, "Processing")).to_have_attribute("aria-checked", "true")


def test_counts_and_the_tab_title_refresh_by_themselves(running_app, page, app_store):
    """Defect 3: four orders placed while the page was open, and after 75 s it still said "New (1)"."""
    go_to_sales(page, running_app.url)
    settled(page)
    before = int(re.search(r"\((\d+)\)", stage_button(page, "New").inner_text()).group(1))
    expect(page).to_have_title(f"({before}) New orders · Kopra" if before else "Sales Management · Kopra")
    place(app_store)
    place(app_store)
    # Nobody touches the page: the list's own refresh (every 30 s) brings them.
    expect(stage_button(page, "New")).to_have_text(f"New ({before + 2})", timeout=45_000)
    expect(page).to_have_title(f"({before + 2}) New orders · Kopra")


def test_a_stage_count_agrees_with_its_list_and_refunds_are_in_finished(running_app, page, app_store):
    """Defects 4 and 5: the Failed tab said 188 and showed 24; refunded orders appeared nowhere."""
    number = accepted(app_store)
    actor = pm(app_store)
    with app_store.reading() as session:
        items = set(session.scalars(select(OrderItem.id).join(Order).where(Order.order_number == number)))
    seller.mark_packed(app_store, actor, number, items, utc_now())
    seller.ship_order(
        app_store,
        actor,
        number,
        courier="JNE",
        tracking_number="JNE0011223344",
        photo=_photo(),
        photo_name="proof.png",
        now=utc_now(),
    )
    buyers.file_complaint(
        app_store, buyer_code="LVM-00003", order_number=number, description="Sack torn", now=utc_now()
    )
    seller.answer_complaint(app_store, actor, number, ComplaintResolution.REFUND, "Sorry", utc_now())

    go_to_sales(page, running_app.url)
    open_stage(page, "Failed")
    count = int(re.search(r"\((\d+)\)", stage_button(page, "Failed").inner_text()).group(1))
    shown = min(count, 50)
    expect(page.get_by_text(re.compile(rf"Failed: orders 1–{shown} of {count:,}"))).to_be_visible()
    find(page, number)
    order_is_open(page, number)
    open_stage(page, "Finished")
    expect(page.get_by_text(re.compile(r"Refund:\s*Rp"))).to_be_visible()
    expect(page.get_by_text(re.compile(r"Finished: orders 1–1 of 1"))).to_be_visible()


def test_the_papers_of_an_order_print_as_pdfs_holding_its_lines(running_app, page, app_store):
    number = accepted(app_store)
    go_to_sales(page, running_app.url)
    find(page, number)
    order_is_open(page, number)
    for label, name in (
        ("Packing list (PDF)", "paper-packing-list"),
        ("Invoice (PDF)", "paper-invoice"),
        ("Shipping label (PDF)", "paper-shipping-label"),
    ):
        with page.expect_download() as download:
            page.get_by_role("button", name=label).click()
        data = open(download.value.path(), "rb").read()
        text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(data)).pages)
        assert number in text
        if not label.startswith("Shipping"):
            assert "SPN-0001" in text  # the line to pick, and to bill
        pdf = pypdfium2.PdfDocument(data)
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        pdf[0].render(scale=1.5).to_pil().save(SCREENSHOTS / f"{name}.png")
        pdf.close()


@pytest.mark.parametrize("width", [1440, 390])
def test_sales_screens_at_desktop_and_phone_width(running_app, browser, app_store, width):
    number = accepted(app_store)
    context = browser.new_context(viewport={"width": width, "height": 900})
    page = context.new_page()
    page.set_default_timeout(20_000)
    try:
        log_in(page, running_app.url, "DEMO01", "pm", DEMO_PASSWORD)
        page.goto(f"{running_app.url}/sales_management")  # a link: at phone width the menu is folded
        expect(page.get_by_role("heading", name="Sales Management").first).to_be_visible()
        settled(page)
        screenshot(page, f"sales-management-{width}")
        find(page, number)
        order_is_open(page, number)
        screenshot(page, f"sales-order-{width}")
    finally:
        context.close()


def _photo() -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (120, 90), (30, 90, 160)).save(out, format="PNG")
    return out.getvalue()


PHONE = (
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/156.0.0.0 Mobile Safari/537.36"
)


def test_on_a_phone_the_menu_closes_after_choosing_a_page(running_app, browser):
    """Streamlit folds the menu after a choice on a phone (it asks the device, not the width: a
    desktop window made 390 px narrow keeps it open)."""
    context = browser.new_context(
        viewport={"width": 390, "height": 844}, user_agent=PHONE, is_mobile=True, has_touch=True
    )
    page = context.new_page()
    page.set_default_timeout(20_000)
    try:
        log_in(page, running_app.url, "DEMO01", "pm", DEMO_PASSWORD)
        menu = page.get_by_test_id("stSidebar")
        page.get_by_test_id("stExpandSidebarButton").click()
        expect(page.get_by_role("link", name="Sales Management")).to_be_in_viewport()
        page.get_by_role("link", name="Sales Management").click()
        expect(page.get_by_role("heading", name="Sales Management").first).to_be_visible()
        expect(page.get_by_role("link", name="Sales Management")).not_to_be_in_viewport()
        assert menu.bounding_box()["x"] < 0
        settled(page)
        screenshot(page, "sales-management-phone")
    finally:
        context.close()
