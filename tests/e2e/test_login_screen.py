"""The login screen in a real browser."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import screenshot

pytestmark = pytest.mark.browser


def test_the_login_screen_shows_three_fields_in_a_real_browser(running_app, page):
    page.goto(running_app.url)
    expect(page.get_by_role("textbox", name="Company ID")).to_be_visible()
    expect(page.get_by_role("textbox", name="User ID")).to_be_visible()
    expect(page.get_by_role("textbox", name="Password")).to_be_visible()
    screenshot(page, "login")
