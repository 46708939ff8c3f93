"""The Dashboard opens on what needs doing, in a real browser: its counters (to confirm, to pack, to
ship, complaints to answer, overdue) are links, and the "to pack" one lands on Sales Management with
the Processing stage chosen and in the address, holding as many orders as the counter said. Then the
whole Dashboard, figures and charts drawn, at desktop and at phone width."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from core.demo.seed import DEMO_PASSWORD
from tests.e2e.conftest import log_in, screenshot

pytestmark = pytest.mark.browser
expect.set_options(timeout=30_000)  # a rerun on a busy 2-core machine can take seconds; a refresh longer


def settled(page) -> None:
    """Wait until Streamlit has finished the current run (its status widget goes away)."""
    expect(page.get_by_test_id("stStatusWidget")).to_have_count(0)


COUNTERS = {  # label: the key of its card
    "To confirm": "to_confirm",
    "To pack": "to_pack",
    "To ship": "to_ship",
    "Complaints to answer": "complaints_to_answer",
    "Overdue": "overdue",
}


def counter(page, label: str):
    """The bordered card of one counter (keyed by the page): its figure and its link."""
    card = page.locator(f".st-key-counter_{COUNTERS[label]}")
    expect(card.get_by_test_id("stMetricLabel")).to_have_text(label)
    return card


def figures_drawn(page) -> None:
    """The figures are there (built first if the scheduler, not running beside these tests, has not)
    and the health chart has written its rates."""
    health = page.get_by_role("heading", name="Fulfilment health")
    refresh = page.get_by_role("button", name="Refresh now")
    expect(refresh.or_(health).first).to_be_visible()
    if not health.count():
        refresh.first.click()
    expect(health.first).to_be_visible()
    rates = page.locator(".js-plotly-plot").filter(has_text="Rates (%)")
    expect(rates.locator("text", has_text=re.compile(r"^(\d+,\d%|—)$")).first).to_be_visible()
    settled(page)


def test_the_to_pack_counter_opens_sales_management_on_processing(running_app, page):
    log_in(page, running_app.url, "DEMO01", "pm", DEMO_PASSWORD)
    expect(page.get_by_role("heading", name="Dashboard").first).to_be_visible()
    settled(page)
    for label in COUNTERS:
        expect(counter(page, label).get_by_role("link")).to_have_count(1)
    to_pack = counter(page, "To pack")
    shown = int(to_pack.get_by_test_id("stMetricValue").inner_text().replace(".", ""))
    link = to_pack.get_by_role("link", name="Processing")
    expect(link).to_have_attribute("href", "sales_management?stage=processing")  # a real link, same origin

    link.click()

    expect(page.get_by_role("heading", name="Sales Management").first).to_be_visible()
    processing = page.get_by_role("radio", name=re.compile(r"^Processing \(\d+\)$"))
    expect(processing).to_have_attribute("aria-checked", "true")
    expect(page).to_have_url(re.compile(r"[?&]stage=processing(&|$)"))
    expect(processing).to_have_text(f"Processing ({shown})")  # the counter said as many


@pytest.mark.parametrize("width", [1440, 390])
def test_the_dashboard_at_desktop_and_phone_width(running_app, browser, width):
    # Tall enough for the whole page: Streamlit scrolls inside its own container, not the window.
    context = browser.new_context(viewport={"width": width, "height": 3200 if width > 800 else 6400})
    page = context.new_page()
    page.set_default_timeout(30_000)
    try:
        log_in(
            page,
            running_app.url,
            "DEMO01",
            "pm",
            DEMO_PASSWORD,
        )
        expect(page.get_by_role("heading", name="Dashboard").first).to_be_visible()
        expect(counter(page, "Overdue").get_by_role("link")).to_be_visible()
        figures_drawn(page)
        screenshot(page, f"dashboard-{width}")
    finally:
        context.close()
