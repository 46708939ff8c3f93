"""Notifications in a real browser (issue 13): the simulator places an order; the bell shows 1 without
a reload, and so does the tab's title (under the server's Content-Security-Policy, which refuses
nothing on the way); clicking it leads to the notification, which opens the order in Sales
Management; then nothing is unread. A fresh Product Manager of DEMO01, so the count starts
at 0 whatever other tests did to the demo users."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect
from sqlalchemy import select, update

from api.app import create_app
from core.accounts.hashing import hash_password
from core.demo.seed import DEMO_PASSWORD
from core.store.models import Notification, User
from jobs.simulate import connect
from tests.builders import api_wiring, serve_asgi
from tests.e2e.conftest import fresh_user, log_in, screenshot

pytestmark = pytest.mark.browser
expect.set_options(timeout=20_000)  # a rerun on a busy 2-core machine can take seconds
#: The bell counts again every 10 s by itself; one full period and a slow rerun on top.
BELL_WAIT_MS = 25_000


def settled(page) -> None:
    """Wait until Streamlit has finished the current run (its status widget goes away)."""
    page.wait_for_timeout(300)
    expect(page.get_by_test_id("stStatusWidget")).to_have_count(0)


def ready_product_manager(store) -> str:
    """A new Product Manager of DEMO01 who may log in with the demo password at once."""
    user_code, _ = fresh_user(store)
    with store.transaction() as session:
        session.execute(
            update(User)
            .where(User.user_code == user_code)
            .values(password_hash=hash_password(DEMO_PASSWORD), must_change_password=False)
        )
    return user_code


def the_simulator_places_an_order(store) -> str:
    """The buyer simulator, as `python -m jobs.simulate` runs it: an order over the HTTP API."""
    with serve_asgi(create_app(api_wiring(store))) as url:
        simulation = connect(store, url, seed=7, company_code="DEMO01", log=lambda _line: None)
        try:
            number = simulation.traffic.place(simulation.traffic.offers())
        finally:
            simulation.close()
    assert number is not None, "the simulator's order was refused"
    return number


def bell(page, label: str):
    return page.get_by_test_id("stSidebar").get_by_role("link", name=re.compile(rf"^\S*\s*{re.escape(label)}$"))


def test_a_new_order_rings_the_bell_without_a_reload_and_the_bell_opens_the_order(running_app, page, app_store):
    user_code = ready_product_manager(app_store)
    refused_by_the_csp = []  # the title comes without a script: the Content-Security-Policy refuses nothing
    page.on("console", lambda m: refused_by_the_csp.append(m.text) if "Content Security Policy" in m.text else None)
    log_in(page, running_app.url, "DEMO01", user_code, DEMO_PASSWORD)
    expect(page.get_by_role("heading", name="Dashboard").first).to_be_visible()
    expect(bell(page, "Notifications")).to_be_visible()
    expect(page).to_have_title("Kopra Partnership")
    settled(page)
    # Anything the page keeps in memory: gone if the page were loaded again.
    page.evaluate("window.kopraStillTheSamePage = true")

    number = the_simulator_places_an_order(app_store)
    with app_store.reading() as session:  # the order told this Product Manager (core.notifications.notify)
        told = session.scalars(
            select(Notification.kind).join(User, User.id == Notification.user_id).where(User.user_code == user_code)
        ).all()
    assert [str(kind) for kind in told] == ["NEW_ORDER"]

    # Nobody touches the page: the bell's own refresh brings it, and the tab's title with it.
    expect(bell(page, "Notifications (1)")).to_be_visible(timeout=BELL_WAIT_MS)
    expect(page).to_have_title("(1) Kopra Partnership")
    assert page.evaluate("window.kopraStillTheSamePage === true"), "the page was reloaded"
    expect(page.get_by_role("heading", name="Dashboard").first).to_be_visible()  # still where the person was
    screenshot(page, "notifications-bell-1440")

    bell(page, "Notifications (1)").click()
    expect(page.get_by_role("heading", name="Notifications").first).to_be_visible()
    card = page.get_by_test_id("stVerticalBlock").filter(has_text=f"New order {number}").last
    expect(card).to_contain_text("unread")
    screenshot(page, "notifications-page-1440")
    page.get_by_role("button", name=f"Open order {number}").click()

    expect(page.get_by_role("heading", name="Sales Management").first).to_be_visible()
    expect(page.get_by_role("heading", name=re.compile(number)).first).to_be_visible()
    assert f"order={number}" in page.url
    expect(bell(page, "Notifications")).to_be_visible()  # read now: nothing unread
    screenshot(page, "notifications-opened-order-1440")

    bell(page, "Notifications").click()
    expect(page.get_by_role("heading", name="Notifications").first).to_be_visible()
    expect(page).to_have_title("Kopra Partnership")
    expect(page.get_by_text("0 unread among your latest 1, newest first.")).to_be_visible()
    assert refused_by_the_csp == []
