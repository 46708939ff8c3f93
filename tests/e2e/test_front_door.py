"""The front door in a real browser: the session cookie is HttpOnly and SameSite=Strict and set by
the server, every response carries the security headers, the operations endpoints answer and the
metrics do not, and the reason a user was logged out stays on the login page."""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request

import pytest
from playwright.sync_api import expect

from core.accounts import bankops, policy
from core.clock import utc_now
from core.demo.seed import DEMO_PASSWORD
from tests.e2e.conftest import fresh_user, log_in

pytestmark = pytest.mark.browser

COOKIE = "kopra_session"


def cookie_of(page) -> dict | None:
    return next((c for c in page.context.cookies() if c["name"] == COOKIE), None)


def wait_for_cookie(page, *, present: bool, within_s: float = 10.0) -> dict | None:
    """The server sets or clears the cookie a moment after the page renders (a fetch from the page)."""
    deadline = time.monotonic() + within_s
    while (cookie_of(page) is not None) != present:
        assert time.monotonic() < deadline, f"the session cookie was {'never set' if present else 'never cleared'}"
        page.wait_for_timeout(100)
    return cookie_of(page)


def test_the_session_cookie_is_httponly_and_strict_and_no_script_can_read_it(running_app, page):
    log_in(page, running_app.url, "DEMO01", "pm", DEMO_PASSWORD)
    cookie = wait_for_cookie(page, present=True)
    assert cookie["httpOnly"] is True
    assert cookie["sameSite"] == "Strict"
    assert cookie["path"] == "/"
    assert cookie["secure"] is False  # served over plain http here; over HTTPS it is __Host- and Secure
    assert COOKIE not in page.evaluate("document.cookie")
    page.reload()  # a new browser session finds the login through the cookie
    expect(page.get_by_role("heading", name="Dashboard").first).to_be_visible()


def test_every_response_carries_the_security_headers(running_app, page):
    response = page.goto(running_app.url)
    headers = response.headers
    policy_header = headers["content-security-policy"]
    assert "frame-ancestors 'none'" in policy_header
    assert "img-src 'self' data: blob:" in policy_header  # no picture from another site, ever
    assert "script-src 'self' 'sha256-" in policy_header and "'unsafe-inline'" not in policy_header.split(";")[1]
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["referrer-policy"] == "same-origin"
    assert headers["x-frame-options"] == "DENY"
    assert headers["x-request-id"].startswith("req-")  # the same id as the request's log line
    assert "strict-transport-security" not in headers  # only over HTTPS
    expect(page.get_by_role("textbox", name="Company ID")).to_be_visible()  # and the app still works under it


def test_the_login_page_loads_the_chart_library_within_the_security_policy(running_app, page):
    """The preload script (app/server.py) is allowed by the page's own policy and fetches Plotly's chunk
    before anyone logs in."""
    refused: list[str] = []
    page.on("console", lambda message: refused.append(message.text) if "Security Policy" in message.text else None)
    page.goto(running_app.url)
    expect(page.get_by_role("textbox", name="Company ID")).to_be_visible()
    page.wait_for_function(
        """() => ['/preload/charts.js', '/static/js/PlotlyChart.'].every(
            part => performance.getEntriesByType('resource').some(e => e.name.includes(part) && e.responseEnd > 0))"""
    )
    assert refused == []


def _get(url: str) -> tuple[int, dict | str]:
    try:
        with urllib.request.urlopen(url, timeout=10) as answer:
            body = answer.read().decode()
            return answer.status, json.loads(body) if answer.headers.get_content_type() == "application/json" else body
    except urllib.error.HTTPError as refused:
        body = refused.read().decode()
        return refused.code, json.loads(body) if refused.headers.get_content_type() == "application/json" else body


def test_health_and_readiness_answer_and_the_metrics_do_not(running_app):
    assert _get(f"{running_app.url}/healthz") == (200, {"status": "ok"})
    status, body = _get(f"{running_app.url}/readyz")
    assert status in (200, 503) and set(body["checks"]) == {"store", "schema", "scheduler", "analytics"}
    assert body["checks"]["store"]["ok"] and body["checks"]["schema"]["ok"]
    assert _get(f"{running_app.url}/_stcore/metrics")[0] == 404


def test_the_reason_a_user_was_logged_out_stays_on_the_login_page(running_app, page, app_store):
    user_code, one_time = fresh_user(app_store)
    log_in(page, running_app.url, "DEMO01", user_code, one_time, expect_session=False)
    expect(page.get_by_role("heading", name="Change your password").first).to_be_visible()
    wait_for_cookie(page, present=True)
    bankops.block_user(
        app_store, operator="e2e", company_code="DEMO01", user_code=user_code, now=utc_now(), reason="left the company"
    )
    page.get_by_role("textbox", name="Current password").fill(one_time)
    page.get_by_role("button", name="Change password").click()  # the next click meets the block
    expect(page.get_by_text(policy.BLOCKED_MESSAGE).first).to_be_visible()
    # The cookie is cleared after the notice is drawn; that used to rerun the page and wipe the notice.
    wait_for_cookie(page, present=False)
    expect(page.get_by_role("textbox", name="Company ID").first).to_be_visible()
    expect(page.get_by_text(policy.BLOCKED_MESSAGE).first).to_be_visible()


def test_a_link_to_a_page_leads_through_the_login_to_that_page_without_page_not_found(running_app, page):
    page.goto(f"{running_app.url}/transaction_history")
    expect(page.get_by_role("textbox", name="Company ID")).to_be_visible()
    expect(page.get_by_text("Page not found")).to_have_count(0)
    page.get_by_role("textbox", name="Company ID").fill("DEMO01")
    page.get_by_role("textbox", name="User ID").fill("pm")
    page.get_by_role("textbox", name="Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", name="Transaction History").first).to_be_visible()
    assert page.url.endswith("/transaction_history")
    wait_for_cookie(page, present=True)
    page.goto(f"{running_app.url}/warehouse_management")  # not a Product Manager's page: their first one
    expect(page.get_by_role("heading", name="Dashboard").first).to_be_visible()
    expect(page.get_by_text("Page not found")).to_have_count(0)
    page.goto(f"{running_app.url}/dashboard")  # their first page, served at "/": its own name leads there too
    expect(page.get_by_role("heading", name="Dashboard").first).to_be_visible()
    expect(page.get_by_text("Page not found")).to_have_count(0)
