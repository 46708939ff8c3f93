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
from pathlib import Path

import pytest

from core.config import PROJECT_ROOT
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
        [
            sys.executable,
            "-m",
            "streamlit",
            "run",
            str(PROJECT_ROOT / "app" / "main.py"),
            "--server.port",
            str(port),
            "--server.address",
            "127.0.0.1",
        ],
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
    from playwright.sync_api import sync_playwright

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
    from core.store.database import Store

    store = Store(f"sqlite:///{running_app.data_dir / 'kopra.sqlite3'}")
    yield store
    store.dispose()


def log_in(page, url: str, company: str, user: str, password: str, *, expect_session: bool = True) -> None:
    """Log in through the form. With expect_session, wait for the session cookie and the menu: the
    cookie is set by a component a moment after the first page renders and its answer reruns the
    page, so a click made before it can be lost in that rerun."""
    import time

    from playwright.sync_api import expect

    from app.session import COOKIE_NAME

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
