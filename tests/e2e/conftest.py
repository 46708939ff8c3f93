"""Browser tests: a real Streamlit server on a throw-away store, driven by Playwright in Debian's
Chromium (never a downloaded browser). Without Chromium they skip locally and fail with CI=true."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
import uuid
from pathlib import Path

import pytest
from playwright.sync_api import expect, sync_playwright

from app.session import COOKIE_NAME
from core.accounts import bankops
from core.clock import utc_now
from core.config import PROJECT_ROOT
from core.domain import Role
from core.store.database import Store
from jobs.serve import ui_command
from tests.conftest import unavailable

CHROMIUM = "/usr/bin/chromium"
LAUNCH_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SCREENSHOTS = PROJECT_ROOT / "tests" / "e2e" / "screenshots"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class RunningApp:
    def __init__(self, url: str, data_dir: Path, env: dict[str, str]):
        self.url, self.data_dir, self.env = url, data_dir, env


@pytest.fixture(scope="session")
def running_app(tmp_path_factory):
    data_dir = tmp_path_factory.mktemp("e2e-data")
    port = _free_port()
    env = {
        **os.environ,
        "KOPRA_DATA_DIR": str(data_dir),
        "KOPRA_PORT": str(port),
        "KOPRA_BCRYPT_ROUNDS": "4",
        "KOPRA_DEMO_DAYS": "14",
        "PYTHONPATH": str(PROJECT_ROOT),
    }
    env.pop("KOPRA_DATABASE_URL", None)
    prepared = subprocess.run(
        [sys.executable, "-m", "jobs.prepare"], cwd=PROJECT_ROOT, env=env, capture_output=True, text=True, timeout=180
    )
    assert prepared.returncode == 0, prepared.stderr
    log = open(data_dir / "streamlit.log", "w")
    server = subprocess.Popen(
        ui_command("127.0.0.1", port),  # as jobs.serve starts it
        cwd=PROJECT_ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            urllib.request.urlopen(f"{url}/_stcore/health", timeout=2)
            break
        except OSError:
            if server.poll() is not None or time.monotonic() > deadline:
                server.kill()
                pytest.fail(f"the app did not start: {(data_dir / 'streamlit.log').read_text()[-2000:]}")
            time.sleep(0.3)
    yield RunningApp(url, data_dir, env)
    server.terminate()
    try:
        server.wait(timeout=10)
    except subprocess.TimeoutExpired:
        server.kill()
    log.close()


@pytest.fixture(scope="session")
def browser():
    if not Path(CHROMIUM).exists() or shutil.which("chromium") is None:
        unavailable("Debian's chromium is not installed (make test installs it where it may)")

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=LAUNCH_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1366, "height": 850})
    page = context.new_page()
    page.set_default_timeout(20_000)
    yield page
    context.close()


@pytest.fixture(scope="module")
def app_store(running_app):
    """The running app's own store, for setting the scene (a buyer's order) and checking results."""
    store = Store(f"sqlite:///{running_app.data_dir / 'kopra.sqlite3'}")
    yield store
    store.dispose()


def log_in(page, url: str, company: str, user: str, password: str, *, expect_session: bool = True) -> None:
    """Log in through the form. With expect_session, wait for the session cookie and the menu: the
    cookie is set by a component a moment after the first page renders and its answer reruns the
    page, so a click made before it can be lost in that rerun."""
    page.goto(url)
    page.get_by_role("textbox", name="Company ID").fill(company)
    page.get_by_role("textbox", name="User ID").fill(user)
    page.get_by_role("textbox", name="Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    if not expect_session:
        return
    deadline = time.monotonic() + 15
    while not any(c["name"] == COOKIE_NAME for c in page.context.cookies()):
        assert time.monotonic() < deadline, "the session cookie never arrived"
        page.wait_for_timeout(100)
    expect(page.get_by_test_id("stSidebarNavLink").first).to_be_visible(timeout=20_000)


# Headings are checked with `.first`: while Streamlit finishes a rerun (the login's cookie step
# causes one), the previous run's elements can stay on screen beside the new ones.


def screenshot(page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


# --- Product Management in the browser ------------------------------------------------------------


def open_product_management(page) -> None:
    """From the menu (the first page after login is the Dashboard; no need to wait for its charts)."""
    page.get_by_test_id("stSidebarNavLink").filter(has_text="Product Management").click()
    expect(page.get_by_role("heading", name="Product Management").first).to_be_visible(timeout=20_000)
    # The list has loaded, and the run has finished: until then, elements of an earlier run (the
    # login's cookie step reruns the page) may still be on screen beside the new ones.
    expect(page.get_by_text("Open a product")).to_have_count(1, timeout=20_000)
    expect(page.get_by_role("tab", name="Stock & prices")).to_have_count(1, timeout=20_000)


def type_into_grid(page, editor, *, column: int, text: str) -> None:
    """Type into the first row's cell as a person does: select its first cell, move right with the
    arrow keys, open the cell's editor with Enter, type, and press Enter. Each step waits for the
    grid to take the previous one (its hidden accessible table says which cell is selected)."""
    box = editor.bounding_box()
    page.mouse.click(box["x"] + 30, box["y"] + 52)  # below the header row, in the first column
    expect(editor.get_by_test_id("glide-cell-0-0")).to_have_attribute("aria-selected", "true")
    for _ in range(column):
        page.keyboard.press("ArrowRight")
    expect(editor.get_by_test_id(f"glide-cell-{column}-0")).to_have_attribute("aria-selected", "true")
    page.keyboard.press("Enter")
    cell_editor = page.locator("#portal").locator("textarea, input")  # glide's editor opens in a portal
    expect(cell_editor).to_be_focused()
    cell_editor.fill(text)
    cell_editor.press("Enter")


def add_product_in_browser(
    page, *, sku: str, name: str, unit: str, on_hand: int, price: int, shot: str | None = None
) -> None:
    """On Product Management: fill the Add product form for JKT-01 and wait for the confirmation."""
    page.get_by_role("tab", name="Add product").click()
    form = page.get_by_test_id("stForm").filter(has=page.get_by_role("button", name="Add product"))
    form.get_by_role("textbox", name="SKU").fill(sku)
    form.get_by_role("textbox", name="Name").fill(name)
    form.get_by_role("textbox", name="Unit").fill(unit)
    form.get_by_role("textbox", name="On hand at JKT-01").fill(str(on_hand))
    form.get_by_role("textbox", name="Price at JKT-01 (Rp)").fill(str(price))
    if shot:
        screenshot(page, shot)
    form.get_by_role("button", name="Add product").click()
    rupiah = f"Rp{price:,}".replace(",", ".")
    expect(page.get_by_text(f"Added {sku} · {name}, stocked in JKT-01 ({on_hand} at {rupiah}).")).to_be_visible()


# --- users made for one test ------------------------------------------------------------------------


def fresh_user(store: Store, role: Role = Role.PRODUCT_MANAGER) -> tuple[str, str]:
    """A new DEMO01 user with a one-time password: (user_code, password)."""
    user_code = f"e2e-{uuid.uuid4().hex[:8]}"
    otp = bankops.create_user(
        store,
        operator="e2e",
        company_code="DEMO01",
        user_code=user_code,
        display_name="E2E Tester",
        role=role,
        now=utc_now(),
    )
    return user_code, otp.password
