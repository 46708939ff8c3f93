"""Bahasa Indonesia in a real browser: the switch on the login page, the browser remembering it (the
page's `lang` attribute too), and every page of both roles in Indonesian, with a screenshot of each
(tests/e2e/screenshots/id-*.png)."""

from __future__ import annotations

import time

import pytest
from playwright.sync_api import expect
from sqlalchemy import update

from app.ui.language import COOKIE as LANGUAGE_COOKIE
from core.demo.seed import DEMO_PASSWORD
from core.i18n import gettext
from core.store.models import User
from tests.e2e.conftest import COOKIE_NAME, screenshot

pytestmark = pytest.mark.browser


@pytest.fixture(autouse=True)
def demo_users_read_the_default_again(app_store):
    """Choosing on the login page becomes the user's choice: the demo users read the default again
    after each test here, as the other browser tests expect."""
    yield
    with app_store.transaction() as session:
        session.execute(update(User).where(User.user_code.in_(list(MENUS))).values(language=None))


#: Each role's menu in Indonesian, as the sidebar names it, in the menu's order.
MENUS = {
    "pm": ["Dashboard", "Product Management", "Sales Management", "Transaction History", "Settings"],
    "admin": ["Warehouse Management", "Company Profile"],
}


def _cookie(page, name: str) -> str | None:
    return next((c["value"] for c in page.context.cookies() if c["name"] == name), None)


def _wait_for_cookie(page, name: str, value: str | None = None) -> None:
    deadline = time.monotonic() + 15
    while (found := _cookie(page, name)) is None or (value is not None and found != value):
        assert time.monotonic() < deadline, f"the cookie {name} never arrived"
        page.wait_for_timeout(100)


def _choose_indonesian(page, url: str) -> None:
    page.goto(url)
    expect(page.get_by_text("Seller portal · Kopra by Mandiri")).to_be_visible()
    page.get_by_role("radio", name="Bahasa Indonesia").click()
    expect(page.get_by_text("Portal penjual · Kopra by Mandiri")).to_be_visible()
    _wait_for_cookie(page, LANGUAGE_COOKIE, "id")


def _log_in_indonesian(page, user: str) -> None:
    page.get_by_role("textbox", name="Company ID").fill("DEMO01")
    page.get_by_role("textbox", name="User ID").fill(user)
    page.get_by_role("textbox", name="Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name=gettext("Log in", "id"), exact=True).click()
    _wait_for_cookie(page, COOKIE_NAME)
    expect(page.get_by_test_id("stSidebarNavLink").first).to_be_visible(timeout=20_000)


def test_the_login_page_switches_to_indonesian_and_the_browser_remembers_it(running_app, page):
    _choose_indonesian(page, running_app.url)
    assert page.evaluate("document.documentElement.lang") == "id"
    screenshot(page, "id-login")

    page.reload()  # a new browser session: the cookie brings the language back, before any login
    expect(page.get_by_text("Portal penjual · Kopra by Mandiri")).to_be_visible()
    assert page.evaluate("document.documentElement.lang") == "id"  # the server's own page says so

    page.get_by_role("radio", name="English").click()
    expect(page.get_by_text("Seller portal · Kopra by Mandiri")).to_be_visible()
    _wait_for_cookie(page, LANGUAGE_COOKIE, "en")
    assert page.evaluate("document.documentElement.lang") == "en"


@pytest.mark.parametrize("user", list(MENUS))
def test_every_page_in_indonesian(running_app, page, user):
    _choose_indonesian(page, running_app.url)
    _log_in_indonesian(page, user)
    links = page.get_by_test_id("stSidebarNavLink")
    for title in MENUS[user]:
        shown = gettext(title, "id")
        assert shown != title, f"{title!r} has no Indonesian"
        links.filter(has_text=shown).first.click()
        expect(page.get_by_role("heading", name=shown).first).to_be_visible(timeout=30_000)
        expect(page.get_by_test_id("stStatusWidget")).to_have_count(0, timeout=30_000)  # the run has finished
        screenshot(page, f"id-{user}-{title.lower().replace(' ', '-')}")
    bell = page.get_by_role("link", name=gettext("Notifications", "id"))
    if bell.count():
        bell.first.click()
        expect(page.get_by_role("heading", name=gettext("Notifications", "id")).first).to_be_visible()
        screenshot(page, f"id-{user}-notifications")
