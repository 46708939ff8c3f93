"""The people of the cluster bench (bench/cluster.py), in Chromium: the demo Product Manager logged in
to both UIs, accepting, packing and shipping the simulator's orders in one UI, then the other, and
at the end each UI's Dashboard and Sales Management read as a person sees them. The page helpers
(logging in, "settled", the menu) are bench/ui.py's."""

from __future__ import annotations

import re
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import Page, expect
from sqlalchemy import case, select
from ui import HEADING, SALES_MANAGEMENT, Browsing, NotSettled, go_to, log_in

from core.acting import Actor
from core.demo.seed import DEMO_COMPANY_CODE
from core.i18n import gettext
from core.orders.search import STAGES, stage_counts
from core.store.database import Store
from core.store.models import companies_t, items_t, orders_t

SALES = SALES_MANAGEMENT.landmarks
NEXT_STEP = {"READY_TO_SHIP": "ship", "PROCESSING": "pack", "PENDING_CONFIRMATION": "accept"}
BUTTON = {"accept": "Accept", "pack": "Mark packed", "ship": "Mark shipped"}
SUCCESS = {"accept": "{number} accepted.", "pack": "{number} is packed", "ship": "{number} is shipped with"}
TRIES = 2  # an order whose step failed or was refused this often is left alone
NOTICE_WAIT_MS = 15_000
#: Waits for the action's notice (it comes with the run after the click: rerun_saying) or a refusal.
NOTICE_OR_REFUSAL = """
([success]) => [...document.querySelectorAll('[data-testid^="stAlert"]')].some((el) =>
  !el.closest('[data-stale="true"]') && (el.textContent.includes(success) ||
  el.querySelector('[data-testid="stAlertContentError"], [data-testid="stAlertContentWarning"]')))
"""
ERRORS = '[data-testid="stException"], [data-testid="stAlertContentError"]'


class NotOffered(RuntimeError):
    """The UI does not offer the step the store says is next (the order moved meanwhile, or a defect)."""


@dataclass(frozen=True)
class Task:
    number: str
    step: str  # accept, pack, ship
    items: tuple[tuple[int, str], ...]  # (quantity, SKU) of each line: what packing checks off


def next_task(store: Store, since: datetime, skip: set[str]) -> Task | None:
    """The simulator's order furthest along that waits for the seller (read-only): ship before pack
    before accept, oldest first, so orders go all the way through."""
    furthest = case({"READY_TO_SHIP": 0, "PROCESSING": 1}, value=orders_t.c.status, else_=2)
    query = (
        select(orders_t.c.id, orders_t.c.order_number, orders_t.c.status)
        .join(companies_t, companies_t.c.id == orders_t.c.company_id)
        .where(
            companies_t.c.company_code == DEMO_COMPANY_CODE,
            orders_t.c.placed_at >= since,
            orders_t.c.status.in_(list(NEXT_STEP)),
            orders_t.c.order_number.not_in(skip or {""}),
        )
        .order_by(furthest, orders_t.c.id)
        .limit(1)
    )
    with store.reading() as session:
        row = session.execute(query).first()
        if row is None:
            return None
        lines = session.execute(
            select(items_t.c.quantity, items_t.c.sku).where(items_t.c.order_id == row.id).order_by(items_t.c.id)
        ).all()
    return Task(row.order_number, NEXT_STEP[row.status], tuple((q, sku) for q, sku in lines))


@dataclass
class Seller:
    """The Product Manager working in both UIs in turn: each step in the UI whose turn it is."""

    uis: list[tuple[Browsing, Page]]
    store: Store
    since: datetime
    photo: Path
    skip: set[str] = field(default_factory=set)
    outcomes: Counter[str] = field(default_factory=Counter)  # "ui1 accept done", "ui2 pack refused" ...
    failures: list[str] = field(default_factory=list)  # refused, or the page did not settle
    stale: list[str] = field(default_factory=list)  # the step not offered until the page was loaded afresh
    tries: Counter[str] = field(default_factory=Counter)
    seconds: list[float] = field(default_factory=list)  # each step done: open, clicks and notice

    def work_until(self, until: float) -> None:
        turn = 0
        while time.monotonic() < until:
            task = next_task(self.store, self.since, self.skip)
            if task is None:  # new orders come by themselves: look again shortly
                time.sleep(1.0)
                continue
            index = turn % len(self.uis)
            turn += 1
            outcome = self.act(index, task)
            self.outcomes[f"ui{index + 1} {task.step} {outcome}"] += 1
            if not outcome.startswith("done"):
                self.tries[task.number] += 1
                if self.tries[task.number] >= TRIES:
                    self.skip.add(task.number)

    def act(self, index: int, task: Task) -> str:
        """One step in one UI: 'done', 'done after reload', 'refused' (core said why), 'not offered'
        or 'failed' (the page did not settle)."""
        browsing, page = self.uis[index]
        started = time.perf_counter()
        try:
            try:
                outcome = self.step(browsing, page, task)
            except NotOffered as stale:
                # The session offers the steps of the order as it first saw it; a new one sees it as it is.
                self.stale.append(f"ui{index + 1} {task.step} {task.number}: {stale}"[:400])
                recover(browsing, page)
                outcome = self.step(browsing, page, task)
                outcome = "done after reload" if outcome == "done" else outcome
        except (NotSettled, NotOffered, PlaywrightError, AssertionError) as failed:
            self.failures.append(f"ui{index + 1} {task.step} {task.number}: {type(failed).__name__}: {failed}"[:400])
            recover(browsing, page)
            return "not offered" if isinstance(failed, NotOffered) else "failed"
        if outcome.startswith("done"):
            self.seconds.append(time.perf_counter() - started)
            return outcome
        self.failures.append(f"ui{index + 1} {task.step} {task.number}: {outcome}"[:400])
        return "refused"

    def step(self, browsing: Browsing, page: Page, task: Task) -> str:
        open_order(browsing, page, task.number)
        button = page.get_by_role("button", name=BUTTON[task.step], exact=True)
        if button.count() == 0:
            raise NotOffered(f"no {BUTTON[task.step]!r} button; the page says: {' | '.join(alerts(page))}")
        if task.step == "pack":
            check_off(browsing, page, task)
        elif task.step == "ship":
            attach_proof(page, task.number, self.photo)
        browsing.timed(page, SALES.plus(HEADING, task.number), button.click)
        return notice_of(page, SUCCESS[task.step].format(number=task.number))


def open_order(browsing: Browsing, page: Page, number: str) -> None:
    """Type the order number into the search and press Enter: the order opens below the list."""
    box = page.get_by_role("textbox", name="Find an order")
    if box.input_value() == number:  # the same search again would change nothing: clear it first
        box.fill("")
        browsing.timed(page, SALES, lambda: box.press("Enter"))
    box.fill(number)
    browsing.timed(page, SALES.plus(HEADING, number), lambda: box.press("Enter"))


def check_off(browsing: Browsing, page: Page, task: Task) -> None:
    """Tick each line off against the order, as packing asks (each tick is a script run)."""
    for quantity, sku in task.items:
        item = page.get_by_text(re.compile(rf"^{quantity} × {re.escape(sku)} — ")).first
        browsing.timed(page, SALES.plus(HEADING, task.number), item.click)


def attach_proof(page: Page, number: str, photo: Path) -> None:
    page.locator("input[type=file]").first.set_input_files(str(photo))
    expect(page.get_by_test_id("stFileChip")).to_be_visible()  # uploaded when its spinner has gone
    expect(page.get_by_test_id("stFileChipIconSpinner")).to_have_count(0)
    tracking = page.get_by_role("textbox", name="Tracking number").locator("visible=true")
    tracking.fill("JNE" + "".join(c for c in number if c.isdigit()))


def notice_of(page: Page, success: str) -> str:
    """'done' when the step's notice shows; else what the page said instead (core's refusal)."""
    page.wait_for_function(NOTICE_OR_REFUSAL, arg=[success], timeout=NOTICE_WAIT_MS)
    said = alerts(page)
    return "done" if any(success in text for text in said) else "; ".join(said)


def alerts(page: Page) -> list[str]:
    """The alerts the page shows now, each once (Streamlit nests several stAlert elements in one)."""
    texts = page.locator('[data-testid="stAlert"]').all_inner_texts()
    return list(dict.fromkeys(text.strip() for text in texts if text.strip()))


def recover(browsing: Browsing, page: Page) -> None:
    """After a failure, load Sales Management afresh (a new Streamlit session, the same login)."""
    try:
        page.goto(f"{browsing.url}/sales_management")
        expect(page.locator('[data-testid="stApp"][data-test-script-state="notRunning"]')).to_have_count(1)
        expect(page.get_by_role("heading", name="Sales Management")).to_be_visible()
    except (PlaywrightError, AssertionError):
        pass  # the next step's own wait says what is wrong


def signed_in(browsing: Browsing) -> Page:
    """A browser of its own, logged in as the demo Product Manager, on Sales Management."""
    page = browsing.new_page()
    log_in(browsing, page)
    go_to(browsing, page, SALES_MANAGEMENT)
    return page


# --- the end: each UI's pages against core ------------------------------------------------------


STAGE_BUTTON = re.compile(r"^(.+) \((more than )?([\d.,]+)\)$")


def shown_stage_counts(page: Page) -> dict[str, int]:
    """The stage buttons' counts as the page shows them, by stage key ("New (12)" -> {"new": 12})."""
    keys = {gettext(stage.label, "en"): key for key, stage in STAGES.items()}  # the UIs read in English
    counts = {}
    for label in page.get_by_role("radio").all_inner_texts():
        if (matched := STAGE_BUTTON.match(label.strip())) and matched.group(1) in keys:
            number = int(re.sub(r"\D", "", matched.group(3)))
            counts[keys[matched.group(1)]] = number + (1 if matched.group(2) else 0)
    return counts


def read_ui(browsing: Browsing, store: Store, pm: Actor) -> dict:
    """Log in afresh (the Dashboard must settle, with its charts, and show no error), then Sales
    Management's stage counts beside the ones core counts at that moment (nothing moves by then)."""
    page = browsing.new_page()
    result: dict = {"url": browsing.url}
    try:
        log_in(browsing, page)
        result["dashboard_errors"] = page.locator(ERRORS).all_inner_texts()
        result["dashboard_ok"] = not result["dashboard_errors"]
        go_to(browsing, page, SALES_MANAGEMENT)
        result["shown"] = shown_stage_counts(page)
        result["core"] = stage_counts(store, pm)
        result["sales_errors"] = page.locator(ERRORS).all_inner_texts()
    except (NotSettled, PlaywrightError) as failed:
        result["failed"] = f"{type(failed).__name__}: {failed}"[:500]
    finally:
        page.context.close()
    result["counts_ok"] = bool(result.get("shown")) and result.get("shown") == result.get("core")
    result["ok"] = result.get("dashboard_ok", False) and result["counts_ok"] and not result.get("sales_errors")
    return result
