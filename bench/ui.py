"""The UI as a person experiences it: a real browser (Playwright driving Debian's Chromium) on the
UI process as `make run` starts it (jobs.serve.ui_command: uvicorn serving app/server.py), on a
throw-away data folder with the demo loaded and its analytics snapshot built, logged in as the demo
Product Manager (DEMO01 / pm) and reading the portal in English.

  ui_login_to_dashboard_s  "Log in" clicked -> the Dashboard settled, in a fresh browser context
                           each time (an empty browser cache: Streamlit's scripts, Plotly's 4.7 MB
                           among them, are fetched and compiled again); the first (cold) login is
                           `ui_login_first_s`, the median is of the --tries logins after it.
                           `ui_login_warm_cache_s`: the same in one context, cookies cleared before
                           each login (a person logging in again, the scripts in the browser's cache)
  ui_page_switch_ms_max    a menu entry clicked -> its page settled, for every page of the Product
                           Manager's menu (Dashboard, Product Management, Sales Management,
                           Transaction History, Settings); the largest of the per-page medians
  ui_action_ms_max         in Sales Management, on an order opened from the search: Accept, Mark
                           packed, Mark shipped (proof photo and tracking number given first)
                           clicked -> the success notice shown and the page settled; the largest of
                           the per-action medians. The orders are placed beforehand by a buyer
                           (core.orders.buyer_channel.place_order) in the UI's own SQLite file
  ui_refresh_ms            the Dashboard's "Refresh now" clicked -> "Figures refreshed" shown and the
                           page settled (a `jobs.analytics sync` process runs meanwhile)
  ui_run_cpu_ms_max        the UI process's CPU per script run, from its `ui.run` log lines
                           (app/run_cost.py): --reruns reruns ("r", Streamlit's rerun key) of each of
                           Dashboard, Sales Management, Transaction History and Product Management in
                           one browser session; the largest of the per-page medians of `cpu_ms` (the
                           medians of `ms` and `thread_cpu_ms` are printed beside it);
                           `ui_process_cpu_ms_per_rerun_*`: the process's whole CPU over those reruns
                           (/proc), per rerun: Streamlit's own work around the script included
  ui_login_script_runs     the script runs a login takes, from the click to the session cookie set
                           (the UI process's `ui.run` lines meanwhile; the warm-cache logins)
  ui_rss_mb, ui_peak_rss_mb  the UI process's memory at the end (VmRSS, VmHWM)

Each figure but the run CPU is the median of --tries tries. Settled means what a person waits for,
read in the page itself (a script injected before Streamlit's own): the click, then a script run
(stApp's data-test-script-state changed after it), then Streamlit not running, no element of the
previous run still shown (data-stale), no spinner, every Plotly chart drawn, and the page's own
landmarks shown (its title and its last section, the notice of an action); held for --quiet-ms, and
timed from the click to the moment it first held, both on the browser's clock. The table's last
column says when the click's script run(s) ended as the browser heard it: the rest is the browser
drawing (the browser shares the machine's cores with the UI process, as on a laptop running both).

Goals (issue 16): login -> Dashboard < 1.5 s, a page switch < 400 ms, an action < 500 ms, a refresh
< 1 s, the UI process's CPU per script run <= 60 ms.

    .venv/bin/python bench/ui.py                          # the demo store (180 days of history)
    .venv/bin/python bench/ui.py --tries 3 --reruns 10    # a quicker look
    .venv/bin/python bench/ui.py --orders 100000          # the demo store grown by the bulk generator

Options: --tries (default 5), --reruns (default 20), --orders N (add N orders of the bulk demo,
core.demo.bulk.generate_bulk, before the UI starts; default 0), --demo-days (days of demo history,
default 180 as `make run`), --quiet-ms (how long settled must hold, default 300). Only the UI process
runs (no scheduler: its sweeps would land in the measurements). Needs Debian's chromium
(/usr/bin/chromium); nothing is downloaded. Ends with one JSON line of the figures.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from PIL import Image  # noqa: E402
from playwright.sync_api import Browser, Page, expect, sync_playwright  # noqa: E402

from app.session import COOKIE_NAMES  # noqa: E402
from core.clock import utc_now  # noqa: E402
from core.demo.bulk import generate_bulk  # noqa: E402
from core.demo.seed import DEMO_COMPANY_CODE, DEMO_PASSWORD  # noqa: E402
from core.errors import DomainError  # noqa: E402
from core.orders import buyer_channel as buyers  # noqa: E402
from core.store.database import Store  # noqa: E402
from jobs.serve import ui_command  # noqa: E402
from tests.e2e.conftest import CHROMIUM, LAUNCH_ARGS  # noqa: E402  (the browser tests' own Chromium)

VIEWPORT = {"width": 1366, "height": 850}
TIMEOUT_MS = 60_000
GOALS = {  # figure: (the goal as said, met when)
    "ui_login_to_dashboard_s": ("login -> Dashboard < 1.5 s", lambda v: v < 1.5),
    "ui_page_switch_ms_max": ("page switch < 400 ms", lambda v: v < 400),
    "ui_action_ms_max": ("action < 500 ms", lambda v: v < 500),
    "ui_refresh_ms": ("refresh < 1 s", lambda v: v < 1000),
    "ui_run_cpu_ms_max": ("CPU per script run <= 60 ms", lambda v: v <= 60),
}
HEADING = "h1, h2, h3, h4, h5, h6"
NOTICE = '[data-testid^="stAlert"]'
TEXT = '[data-testid="stMarkdownContainer"], [data-testid="stCaptionContainer"], button, label'


@dataclass(frozen=True)
class Landmarks:
    """What a page shows once it is drawn: (CSS selector, text it contains) pairs, and its charts."""

    shows: tuple[tuple[str, str], ...] = ()
    charts: int = 0

    def spec(self, quiet_ms: int) -> dict:
        shows = [list(landmark) for landmark in self.shows]
        return {"shows": shows, "charts": self.charts, "quietMs": quiet_ms, "timeoutMs": TIMEOUT_MS}

    def plus(self, css: str, text: str) -> Landmarks:
        return Landmarks((*self.shows, (css, text)), self.charts)


@dataclass(frozen=True)
class MenuPage:
    title: str  # the menu entry and the page's title
    address: str  # its url path in the `ui.run` lines ("home" for the first page)
    landmarks: Landmarks

    @property
    def name(self) -> str:
        """Its name in the figures' keys."""
        return self.title.lower().replace(" ", "_")


DASHBOARD = MenuPage(
    "Dashboard",
    "home",
    Landmarks(((HEADING, "Dashboard"), (HEADING, "Fulfilment health"), (HEADING, "Needs action now")), charts=5),
)
PRODUCT_MANAGEMENT = MenuPage(
    "Product Management",
    "product_management",
    Landmarks(((HEADING, "Product Management"), (TEXT, "Open a product"), ('[role="tab"]', "CSV import / export"))),
)
SALES_MANAGEMENT = MenuPage(
    "Sales Management",
    "sales_management",
    Landmarks(((HEADING, "Sales Management"), (TEXT, "Times are the warehouse's local time"))),
)
TRANSACTION_HISTORY = MenuPage(
    "Transaction History",
    "transaction_history",
    Landmarks(((HEADING, "Transaction History"), (TEXT, "Prepare CSV"))),
)
SETTINGS = MenuPage("Settings", "settings", Landmarks(((HEADING, "Settings"), (HEADING, "My password"))))
MENU = (DASHBOARD, PRODUCT_MANAGEMENT, SALES_MANAGEMENT, TRANSACTION_HISTORY, SETTINGS)
RUN_COST_PAGES = (DASHBOARD, SALES_MANAGEMENT, TRANSACTION_HISTORY, PRODUCT_MANAGEMENT)
ACTIONS = ("accept", "pack", "ship")

#: Injected before Streamlit's own scripts in every page: notes the last click or key press, every
#: change of Streamlit's script state, and `arm(spec)` starts watching for the page to settle after
#: the next click or key press (`pending` then resolves to {ok, ms} or {ok: false, why}).
SETTLE_SCRIPT = """
(() => {
  const kopra = (window.__kopra = { inputAt: -1, changes: [], pending: null });
  const noteInput = () => { kopra.inputAt = performance.now(); };
  addEventListener("click", noteInput, true);
  addEventListener("keydown", noteInput, true);
  new MutationObserver((records) => {
    const at = performance.now();
    for (const record of records) kopra.changes.push([at, record.oldValue]);
  }).observe(document, {
    subtree: true, attributes: true, attributeFilter: ["data-test-script-state"], attributeOldValue: true,
  });

  const seen = (el) => el.getClientRects().length > 0 && !el.closest('[data-stale="true"]');
  const shows = ([css, text]) =>
    [...document.querySelectorAll(css)].some((el) => seen(el) && el.textContent.includes(text));
  const drawn = (chart) => chart.querySelector(".main-svg .gtitle, .main-svg g.trace") !== null;
  const BUSY = '[data-testid="stSpinner"], [data-testid="stSkeleton"], [data-testid="stAppSkeleton"]';

  kopra.missing = (spec, since) => {
    if (since < 0) return "no click or key press yet";
    if (!kopra.changes.some(([at]) => at >= since)) return "no script run since the click";
    const app = document.querySelector('[data-testid="stApp"]');
    const state = app && app.getAttribute("data-test-script-state");
    if (state !== "notRunning") return `the script is ${state}`;
    if (document.querySelector('[data-stale="true"]')) return "elements of the previous run are still shown";
    if (document.querySelector(BUSY)) return "a spinner or a placeholder is shown";
    const charts = [...document.querySelectorAll('[data-testid="stPlotlyChart"]')];
    if (charts.length < spec.charts) return `${charts.length} of ${spec.charts} charts`;
    if (!charts.every(drawn)) return "a chart is not drawn yet";
    const absent = spec.shows.find((landmark) => !shows(landmark));
    return absent ? `not shown: ${absent[1]}` : null;
  };

  kopra.arm = (spec) => {
    const armedAt = performance.now();
    kopra.pending = new Promise((resolve) => {
      let heldFrom = null;
      let confirm = null;
      let observer = null;
      let poll = null;
      let limit = null;
      const since = () => (kopra.inputAt >= armedAt ? kopra.inputAt : -1);
      const finish = (outcome) => {
        observer.disconnect();
        clearInterval(poll);
        clearTimeout(confirm);
        clearTimeout(limit);
        resolve(outcome);
      };
      const check = () => {
        if (kopra.missing(spec, since()) !== null) {
          heldFrom = null;
          clearTimeout(confirm);
          return;
        }
        if (heldFrom !== null) return;
        heldFrom = performance.now();
        confirm = setTimeout(() => {
          if (kopra.missing(spec, since()) !== null) {
            heldFrom = null;
            return;
          }
          const ended = kopra.changes.filter(([at]) => at <= heldFrom).pop();  // the change to notRunning
          finish({ ok: true, ms: heldFrom - since(), runEndedMs: ended[0] - since() });
        }, spec.quietMs);
      };
      observer = new MutationObserver(check);
      observer.observe(document, { subtree: true, childList: true, attributes: true, characterData: true });
      poll = setInterval(check, 50);
      limit = setTimeout(
        () => finish({ ok: false, why: kopra.missing(spec, since()) || "it never stayed settled" }), spec.timeoutMs
      );
    });
  };
})();
"""


@dataclass
class Timing:
    """From a click to the page settled, and to the end of the script run(s) it caused (Streamlit's
    state back to notRunning, as the browser heard it); the rest is the browser drawing the page. For a
    login also how many script runs it took (its `ui.run` lines, the cookie's arrival included)."""

    ms: float
    run_ended_ms: float
    script_runs: int = 0


class NotSettled(RuntimeError):
    """The page did not settle in time; the message says what was still missing."""


# --- the store and the UI process --------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def ui_environment(data_dir: Path, port: int, demo_days: int) -> dict[str, str]:
    env = {
        **os.environ,
        "KOPRA_DATA_DIR": str(data_dir),
        "KOPRA_PORT": str(port),
        "KOPRA_DEMO_DAYS": str(demo_days),
        "KOPRA_LANGUAGE": "en",
        "PYTHONPATH": str(ROOT),
        "PYTHONUNBUFFERED": "1",
    }
    env.pop("KOPRA_DATABASE_URL", None)  # the SQLite file in the data folder: $KOPRA_DATA_DIR/kopra.sqlite3
    return env


def _run_job(module: list[str], env: dict[str, str]) -> None:
    done = subprocess.run([sys.executable, "-m", *module], cwd=ROOT, env=env, capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"python -m {' '.join(module)} failed: {done.stderr[-2000:]}")


def prepare_store(data_dir: Path, env: dict[str, str], orders: int) -> Store:
    """Migrate and load the demo (jobs.prepare, as `make run` does), grow it with `orders` bulk orders,
    and build the analytics snapshot (`jobs.analytics sync`, what the scheduler and "Refresh now" run)."""
    started = time.perf_counter()
    _run_job(["jobs.prepare"], env)
    store = Store(f"sqlite:///{data_dir / 'kopra.sqlite3'}")
    if orders:
        generate_bulk(store, orders=orders, company_code=DEMO_COMPANY_CODE, seed=2026, now=utc_now())
    _run_job(["jobs.analytics", "sync"], env)
    print(f"store: demo{f' + {orders:,} bulk orders' if orders else ''} ready in {time.perf_counter() - started:.0f} s")
    return store


@dataclass(frozen=True)
class OrderToWork:
    number: str
    sku: str


def place_orders(store: Store, count: int) -> list[OrderToWork]:
    """`count` new one-line orders of the demo company, placed by approved buyers: Sales Management's
    "new" stage, ready to be accepted, packed and shipped in the browser."""
    offers = [o for o in buyers.products_on_sale(store, DEMO_COMPANY_CODE) if o.available >= count]
    if not offers:
        raise SystemExit("no product of DEMO01 has stock enough for the orders")
    offer = next((o for o in offers if o.warehouse_code == "JKT-01"), offers[0])
    placed: list[OrderToWork] = []
    for buyer in buyers.approved_buyers(store):
        if len(placed) == count:
            break
        try:
            order = buyers.place_order(
                store,
                buyer_code=buyer,
                company_code=DEMO_COMPANY_CODE,
                warehouse_code=offer.warehouse_code,
                lines=[buyers.OrderLine(offer.sku, 1)],
                now=utc_now(),
            )
        except DomainError:  # this buyer may not order here (e.g. not approved for the seller): the next one
            continue
        placed.append(OrderToWork(order.order_number, offer.sku))
    if len(placed) < count:
        raise SystemExit(f"only {len(placed)} of {count} orders could be placed")
    return placed


def start_ui(env: dict[str, str], port: int, log_path: Path) -> subprocess.Popen:
    """The UI process as jobs.serve starts it, its output (the `ui.run` lines among it) in `log_path`;
    in a process group of its own, so that stopping it also stops a sync it started."""
    with open(log_path, "w") as log:
        server = subprocess.Popen(
            ui_command("127.0.0.1", port, behind_proxy=True),
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    deadline = time.monotonic() + 60
    while True:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2)
            return server
        except OSError:
            if server.poll() is not None or time.monotonic() > deadline:
                stop_ui(server)
                raise SystemExit(f"the UI did not start: {log_path.read_text()[-2000:]}") from None
            time.sleep(0.3)


def stop_ui(server: subprocess.Popen) -> None:
    if server.poll() is None:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait(timeout=15)


# --- settled: what a person waits for ----------------------------------------------------------------


@dataclass
class Browsing:
    """The browser, where the UI is, how long "settled" must hold, and the UI process's output."""

    browser: Browser
    url: str
    quiet_ms: int
    log_path: Path
    typing_ms: int = 0

    def new_page(self) -> Page:
        context = self.browser.new_context(viewport=VIEWPORT)
        context.add_init_script(SETTLE_SCRIPT)
        page = context.new_page()
        page.set_default_timeout(TIMEOUT_MS)
        return page

    def timed(self, page: Page, landmarks: Landmarks, act: Callable[[], None]) -> Timing:
        """Milliseconds from the click (or key press) `act` makes to the page settled with `landmarks`."""
        page.evaluate("spec => window.__kopra.arm(spec)", landmarks.spec(self.quiet_ms))
        act()
        outcome = page.evaluate("() => window.__kopra.pending")
        if not outcome["ok"]:
            raise NotSettled(f"{page.url}: not settled after {TIMEOUT_MS / 1000:.0f} s: {outcome['why']}")
        return Timing(outcome["ms"], outcome["runEndedMs"])


def login_form(page: Page, url: str) -> None:
    """Open the portal and fill the login form (the login page's own run finished first)."""
    page.goto(url)
    expect(page.locator('[data-testid="stApp"][data-test-script-state="notRunning"]')).to_have_count(1)
    page.get_by_role("textbox", name="Company ID").fill(DEMO_COMPANY_CODE)
    page.get_by_role("textbox", name="User ID").fill("pm")
    page.get_by_role("textbox", name="Password").fill(DEMO_PASSWORD)


def log_in(browsing: Browsing, page: Page) -> Timing:
    """Log in as the demo Product Manager: milliseconds from the click to the Dashboard settled. The
    form is filled at once, then the click waits --typing-ms (default 0) as a person's typing would."""
    login_form(page, browsing.url)
    if browsing.typing_ms:
        page.wait_for_timeout(browsing.typing_ms)
    offset = browsing.log_path.stat().st_size
    timing = browsing.timed(page, DASHBOARD.landmarks, page.get_by_role("button", name="Log in").click)
    # The session cookie comes a moment later; work done before it could be lost in its arrival.
    deadline = time.monotonic() + 60
    while not any(c["name"] in COOKIE_NAMES for c in page.context.cookies()):
        if time.monotonic() > deadline:
            raise NotSettled("the session cookie never arrived")
        page.wait_for_timeout(50)
    timing.script_runs = len(_run_lines(browsing.log_path, offset))
    return timing


def go_to(browsing: Browsing, page: Page, target: MenuPage) -> Timing:
    """Click the menu entry: milliseconds to the page settled."""
    link = page.get_by_test_id("stSidebarNavLink").filter(has_text=target.title)
    return browsing.timed(page, target.landmarks, link.click)


def rerun(browsing: Browsing, page: Page, target: MenuPage) -> Timing:
    """Press "r" (Streamlit's rerun key) with nothing focused: milliseconds to the page settled."""
    page.evaluate("() => document.activeElement && document.activeElement.blur()")
    return browsing.timed(page, target.landmarks, lambda: page.keyboard.press("r"))


# --- the measurements ----------------------------------------------------------------------------------


@dataclass
class Samples:
    """Figures by name, in the unit the name ends with; for the timed ones also when the run ended."""

    values: dict[str, list[float]] = field(default_factory=dict)
    run_ended: dict[str, list[float]] = field(default_factory=dict)

    def add(self, name: str, value: float) -> None:
        self.values.setdefault(name, []).append(value)

    def add_timing(self, name: str, timing: Timing) -> None:
        scale = 1000 if name.endswith("_s") else 1
        self.add(name, timing.ms / scale)
        self.run_ended.setdefault(name, []).append(timing.run_ended_ms / scale)

    def median(self, name: str) -> float:
        return statistics.median(self.values[name])


def measure_logins(browsing: Browsing, tries: int, samples: Samples) -> None:
    """A fresh browser context for each login: the first is the UI process's first (cold) one."""
    for attempt in range(tries + 1):
        page = browsing.new_page()
        try:
            timing = log_in(browsing, page)
        finally:
            page.context.close()
        samples.add_timing("ui_login_first_s" if attempt == 0 else "ui_login_to_dashboard_s", timing)


def measure_logins_warm(browsing: Browsing, tries: int, samples: Samples) -> None:
    """The same login in one browser context, its cookies cleared before each: a person logging in
    again, with Streamlit's scripts already in the browser's cache."""
    page = browsing.new_page()
    try:
        for _ in range(tries):
            page.context.clear_cookies()
            timing = log_in(browsing, page)
            samples.add_timing("ui_login_warm_cache_s", timing)
            samples.add("ui_login_script_runs", timing.script_runs)
    finally:
        page.context.close()


def measure_page_switches(browsing: Browsing, page: Page, tries: int, samples: Samples) -> None:
    """Round the menu `tries` times; each page is reached from the one before it."""
    for _ in range(tries):
        for target in (*MENU[1:], MENU[0]):
            samples.add_timing(f"ui_page_switch_ms_{target.name}", go_to(browsing, page, target))


def measure_refresh(browsing: Browsing, page: Page, tries: int, samples: Samples) -> None:
    refreshed = DASHBOARD.landmarks.plus(NOTICE, "Figures refreshed")
    for _ in range(tries):
        rerun(browsing, page, DASHBOARD)  # a run of its own: the last refresh's notice goes
        button = page.get_by_role("button", name="Refresh now")
        samples.add_timing("ui_refresh_ms", browsing.timed(page, refreshed, button.click))


def proof_photo(folder: Path) -> Path:
    path = folder / "proof.jpg"
    Image.new("RGB", (640, 480), (180, 140, 90)).save(path, format="JPEG")
    return path


def open_order(browsing: Browsing, page: Page, order: OrderToWork) -> None:
    """Type the order number into the search and press Enter, as a person (or a scanner) does."""
    box = page.get_by_role("textbox", name="Find an order")
    box.fill(order.number)
    opened = SALES_MANAGEMENT.landmarks.plus(HEADING, order.number)
    browsing.timed(page, opened, lambda: box.press("Enter"))


def work_one_order(browsing: Browsing, page: Page, order: OrderToWork, photo: Path, samples: Samples) -> None:
    """Accept, pack and ship one new order, each click timed to its notice on the settled page."""
    number, sales = order.number, SALES_MANAGEMENT.landmarks
    open_order(browsing, page, order)
    accept = page.get_by_role("button", name="Accept", exact=True)
    accepted = sales.plus(NOTICE, f"{number} accepted.")
    samples.add_timing("ui_action_ms_accept", browsing.timed(page, accepted, accept.click))

    item = page.get_by_text(re.compile(rf"1 × {re.escape(order.sku)}"))
    browsing.timed(page, sales.plus(HEADING, number), item.click)  # ticked off against the order
    packed = sales.plus(NOTICE, f"{number} is packed")
    mark_packed = page.get_by_role("button", name="Mark packed")
    samples.add_timing("ui_action_ms_pack", browsing.timed(page, packed, mark_packed.click))

    page.locator("input[type=file]").first.set_input_files(str(photo))
    expect(page.get_by_test_id("stFileChip")).to_be_visible()  # uploaded when its spinner has gone
    expect(page.get_by_test_id("stFileChipIconSpinner")).to_have_count(0)
    tracking = page.get_by_role("textbox", name="Tracking number").locator("visible=true")
    tracking.fill("JNE" + re.sub(r"[^0-9A-Za-z]", "", number))
    shipped = sales.plus(NOTICE, f"{number} is shipped with JNE.")
    mark_shipped = page.get_by_role("button", name="Mark shipped")
    samples.add_timing("ui_action_ms_ship", browsing.timed(page, shipped, mark_shipped.click))


def measure_actions(browsing: Browsing, page: Page, orders: list[OrderToWork], folder: Path, samples: Samples) -> None:
    go_to(browsing, page, SALES_MANAGEMENT)
    photo = proof_photo(folder)
    for order in orders:
        work_one_order(browsing, page, order, photo, samples)


def _run_lines(log_path: Path, offset: int) -> list[dict]:
    with open(log_path, "rb") as log:
        log.seek(offset)
        raw = log.read().decode("utf-8", errors="replace")
    lines = []
    for line in raw.splitlines():
        if line.startswith("{") and '"ui.run"' in line:
            lines.append(json.loads(line))
    return lines


def _wait_for_runs(log_path: Path, offset: int, address: str, count: int) -> list[dict]:
    """The `ui.run` lines of `address` written after `offset`, once there are `count` of them."""
    deadline = time.monotonic() + 30
    while True:
        runs = [r for r in _run_lines(log_path, offset) if r.get("page") == address]
        if len(runs) >= count or time.monotonic() > deadline:
            return runs
        time.sleep(0.05)


def process_cpu_ms(pid: int) -> float:
    """User + system CPU of a process so far, in ms (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return 1000 * (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def process_memory_mb(pid: int) -> dict[str, float]:
    """The process's resident memory now and its peak (VmRSS, VmHWM), in MB."""
    status = dict(line.split(":", 1) for line in Path(f"/proc/{pid}/status").read_text().splitlines() if ":" in line)
    return {name: round(int(status[field].split()[0]) / 1024, 1) for name, field in MEMORY.items()}


MEMORY = {"ui_rss_mb": "VmRSS", "ui_peak_rss_mb": "VmHWM"}


def measure_run_cost(
    browsing: Browsing, page: Page, log_path: Path, reruns: int, samples: Samples, ui_pid: int
) -> None:
    """`reruns` reruns of each page in this one session (the "r" key, with nothing focused), each
    waited for settled in the browser and for its `ui.run` line in the UI process's output. Beside the
    runs' own figures, the UI process's whole CPU over the reruns (from /proc), per rerun: what
    Streamlit does around the script (its garbage collection after each run, the websocket) included."""
    for target in RUN_COST_PAGES:
        go_to(browsing, page, target)
        offset = log_path.stat().st_size
        cpu_before = process_cpu_ms(ui_pid)
        for done in range(1, reruns + 1):
            samples.add_timing(f"ui_rerun_ms_{target.name}", rerun(browsing, page, target))
            _wait_for_runs(log_path, offset, target.address, done)
        samples.add(f"ui_process_cpu_ms_per_rerun_{target.name}", (process_cpu_ms(ui_pid) - cpu_before) / reruns)
        runs = _wait_for_runs(log_path, offset, target.address, reruns)
        for run in runs:
            for figure in ("ms", "cpu_ms", "thread_cpu_ms"):
                samples.add(f"ui_run_{figure}_{target.name}", float(run[figure]))


# --- the report --------------------------------------------------------------------------------------


def summary(samples: Samples) -> dict[str, float]:
    figures = {name: round(samples.median(name), 3 if name.endswith("_s") else 1) for name in samples.values}
    for prefix in ("ui_page_switch_ms", "ui_action_ms", "ui_run_cpu_ms"):
        figures[f"{prefix}_max"] = max(v for k, v in figures.items() if k.startswith(prefix + "_"))
    return figures


def print_table(samples: Samples) -> None:
    """Each figure's median, min, max and count; for a timed one also the median of when its script
    run ended as the browser heard it (the rest, up to the median, is mostly the browser drawing)."""
    print(f"\n{'figure':<42} {'median':>9} {'min':>9} {'max':>9} {'n':>4} {'run ended':>10}")
    for name, values in samples.values.items():
        digits = 3 if name.endswith("_s") else 1
        low, middle, high = min(values), statistics.median(values), max(values)
        ended = f"{statistics.median(samples.run_ended[name]):>10.{digits}f}" if name in samples.run_ended else ""
        print(f"{name:<42} {middle:>9.{digits}f} {low:>9.{digits}f} {high:>9.{digits}f} {len(values):>4} {ended}")


def goals(figures: dict[str, float]) -> dict[str, bool]:
    met = {}
    for name, (said, holds) in GOALS.items():
        met[said] = holds(figures[name])
        print(f"goal {said:<30} {figures[name]:>9} {'met' if met[said] else 'NOT MET'}")
    return met


# --- main ----------------------------------------------------------------------------------------------


def measure(args: argparse.Namespace, folder: Path, samples: Samples, memory: dict[str, float]) -> None:
    port = _free_port()
    env = ui_environment(folder, port, args.demo_days)
    store = prepare_store(folder, env, args.orders)
    try:
        orders = place_orders(store, args.tries)
    finally:
        store.dispose()
    log_path = folder / "ui.log"
    server = start_ui(env, port, log_path)
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=LAUNCH_ARGS)
            try:
                browsing = Browsing(browser, f"http://127.0.0.1:{port}", args.quiet_ms, log_path, args.typing_ms)
                print("measuring: logins", flush=True)
                measure_logins(browsing, args.tries, samples)
                measure_logins_warm(browsing, args.tries, samples)
                page = browsing.new_page()
                log_in(browsing, page)
                print("measuring: page switches, refresh, order actions", flush=True)
                measure_page_switches(browsing, page, args.tries, samples)
                measure_refresh(browsing, page, args.tries, samples)
                measure_actions(browsing, page, orders, folder, samples)
                print("measuring: script runs", flush=True)
                measure_run_cost(browsing, page, log_path, args.reruns, samples, server.pid)
                memory.update(process_memory_mb(server.pid))
            finally:
                browser.close()
    finally:
        stop_ui(server)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tries", type=int, default=5, help="tries of each timed step (default 5)")
    parser.add_argument("--reruns", type=int, default=20, help="reruns of each page for its CPU (default 20)")
    parser.add_argument("--orders", type=int, default=0, help="bulk orders added to the demo (default 0)")
    parser.add_argument("--demo-days", type=int, default=180, help="days of demo history (default 180)")
    parser.add_argument("--quiet-ms", type=int, default=300, help="how long settled must hold (default 300)")
    parser.add_argument(
        "--typing-ms", type=int, default=0, help="wait before clicking Log in, as a person typing (default 0)"
    )
    args = parser.parse_args()
    if not Path(CHROMIUM).exists():
        print("Needs Debian's chromium (/usr/bin/chromium); nothing measured.")
        return 1
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # the finally blocks stop what was started
    samples, memory = Samples(), {}
    with tempfile.TemporaryDirectory(prefix="kopra-bench-ui-") as tmp:
        measure(args, Path(tmp), samples, memory)
    print_table(samples)
    print(f"UI process memory at the end: {memory}")
    figures = summary(samples) | memory
    met = goals(figures)
    figures |= {
        "goals": met,
        "tries": args.tries,
        "reruns": args.reruns,
        "typing_ms": args.typing_ms,
        "orders": args.orders,
        "date": date.today().isoformat(),
        "load_average": round(os.getloadavg()[0], 2),
    }
    print(json.dumps(figures))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
