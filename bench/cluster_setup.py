"""The cluster bench's machinery (bench/cluster.py): its own PostgreSQL database, the processes it
starts on it (each with its log file and its own process group, so stopping one stops what it
started), what /proc says of their CPU and memory, and the orders seeded through core, in the past,
so that their deadlines fall due while both schedulers run."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from io import BytesIO
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from PIL import Image  # noqa: E402
from sqlalchemy import create_engine, select, text  # noqa: E402

from core.acting import Actor, actor_of  # noqa: E402
from core.demo.seed import DEMO_COMPANY_CODE  # noqa: E402
from core.errors import DomainError  # noqa: E402
from core.orders import buyer_channel, seller  # noqa: E402
from core.store.database import Store  # noqa: E402
from core.store.models import Company, User, Warehouse  # noqa: E402
from core.warehouses.business_time import OperatingCalendar, add_business_days, is_open  # noqa: E402
from core.warehouses.operations import calendar_of  # noqa: E402

POSTGRES_URL = os.environ.get("KOPRA_BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
POLL_S = 0.25  # how often a wait looks again at what it waits for


class ClusterFailed(RuntimeError):
    """The cluster could not be started or run as planned; the message says what and where."""


# --- the database ----------------------------------------------------------------------------------


@contextmanager
def scratch_database() -> Iterator[str]:
    """A database of its own on the benches' PostgreSQL server, dropped at the end whatever happens."""
    name = f"kopra_bench_cluster_{uuid.uuid4().hex[:8]}"
    admin = create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield POSTGRES_URL.rsplit("/", 1)[0] + f"/{name}"
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def run_job(module: list[str], env: dict[str, str]) -> None:
    """`python -m <module>` to its end, as `make run` runs jobs.prepare; its error ends the bench."""
    done = subprocess.run([sys.executable, "-m", *module], cwd=ROOT, env=env, capture_output=True, text=True)
    if done.returncode != 0:
        raise ClusterFailed(f"python -m {' '.join(module)} failed: {(done.stderr or done.stdout)[-2000:]}")


# --- the processes ---------------------------------------------------------------------------------


@dataclass
class Process:
    """One process of the cluster: what it is, its log file, and its figures read before it stopped."""

    name: str
    role: str  # ui, api, scheduler, webhooks
    popen: subprocess.Popen
    log_path: Path
    url: str | None = None
    usage: dict[str, float] = field(default_factory=dict)

    def alive(self) -> bool:
        return self.popen.poll() is None

    def lines(self) -> list[dict]:
        """Its JSON log lines (core.logs) so far; other output is left out."""
        found = []
        for line in self.log_path.read_text(errors="replace").splitlines():
            if line.startswith("{"):
                try:
                    found.append(json.loads(line))
                except json.JSONDecodeError:  # a line cut short while being written
                    continue
        return found

    def tail(self) -> str:
        return self.log_path.read_text(errors="replace")[-1500:]

    def read_usage(self) -> dict[str, float]:
        """CPU seconds of the process and everything under it, and its peak memory: kept, because
        /proc forgets a process once it has ended."""
        if self.alive():
            self.usage = tree_usage(self.popen.pid)
        return self.usage

    def stop(self) -> None:
        """SIGTERM to its process group (what it started goes too), SIGKILL if it lingers."""
        if not self.alive():
            return
        os.killpg(self.popen.pid, signal.SIGTERM)
        try:
            self.popen.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(self.popen.pid, signal.SIGKILL)
            self.popen.wait(timeout=10)


def start(name: str, role: str, command: list[str], env: dict[str, str], folder: Path, url: str | None = None):
    log_path = folder / f"{name}.log"
    with open(log_path, "w") as log:
        popen = subprocess.Popen(
            command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
    return Process(name, role, popen, log_path, url)


def wait_for(what: str, ready: Callable[[], bool], timeout_s: float, watched: list[Process] = ()) -> None:
    """Poll `ready` until it holds; fail with the log of a watched process that ended meanwhile."""
    deadline = time.monotonic() + timeout_s
    while not ready():
        for process in watched:
            if not process.alive():
                raise ClusterFailed(f"{process.name} ended while waiting for {what}:\n{process.tail()}")
        if time.monotonic() > deadline:
            raise ClusterFailed(f"no {what} after {timeout_s:.0f} s")
        time.sleep(POLL_S)


def answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return response.status == 200
    except OSError:
        return False


def logged(process: Process, event: str) -> bool:
    return any(line.get("event") == event for line in process.lines())


# --- /proc -------------------------------------------------------------------------------------------


def _stat(pid: int) -> list[str]:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return []


def _peak_rss_mb(pid: int) -> float:
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return 0.0
    for line in status.splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


def _descendants(root: int) -> set[int]:
    parents = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and (fields := _stat(int(entry.name))):
            parents[int(entry.name)] = int(fields[1])
    tree = {root}
    while grown := {pid for pid, parent in parents.items() if parent in tree} - tree:
        tree |= grown
    return tree


def tree_usage(root: int) -> dict[str, float]:
    """CPU seconds (user + system) of `root`, its live descendants and the children that ended, and
    the peak resident memory (VmHWM) of `root` plus that of its live descendants, in MB."""
    ticks, peak = 0, 0.0
    for pid in _descendants(root):
        fields = _stat(pid)
        if fields:
            ticks += int(fields[11]) + int(fields[12]) + int(fields[13]) + int(fields[14])
            peak += _peak_rss_mb(pid)
    return {"cpu_s": round(ticks / os.sysconf("SC_CLK_TCK"), 1), "peak_rss_mb": round(peak, 1)}


# --- deadlines that fall due during the run ------------------------------------------------------------

RULES = ("auto_cancel", "auto_complete", "auto_refund")


@dataclass(frozen=True)
class Seeded:
    """An order placed (and moved) through core with times in the past, so that the deadline its
    automatic step waits for falls due during the run."""

    number: str
    rule: str
    deadline: datetime


def demo_pm(store: Store) -> Actor:
    """The demo Product Manager (DEMO01 / pm) as core's services take it."""
    with store.reading() as session:
        user, company = session.execute(
            select(User, Company)
            .join(Company, Company.id == User.company_id)
            .where(Company.company_code == DEMO_COMPANY_CODE, User.user_code == "pm")
        ).one()
        return actor_of(user, company)


def placed_for_confirm_deadline(calendar: OperatingCalendar, target: datetime) -> datetime | None:
    """When an order must be placed for its time to confirm (1 business day) to end at `target`, or
    None when the warehouse is closed then (a business deadline only falls in open hours). The deadline
    only grows with the placing time, so a bisection finds it."""
    if not is_open(calendar, target):
        return None
    low, high = target - timedelta(days=21), target
    while high - low > timedelta(milliseconds=1):
        middle = low + (high - low) / 2
        if add_business_days(calendar, middle, 1) >= target:
            high = middle
        else:
            low = middle
    return high


def proof_jpeg() -> bytes:
    out = BytesIO()
    Image.new("RGB", (640, 480), (180, 140, 90)).save(out, format="JPEG")
    return out.getvalue()


class Seeder:
    """Places the orders with core's own services (buyer channel, seller, courier), as the demo's
    history does: the cluster's processes then find them as they would any order."""

    def __init__(self, store: Store):
        self.store, self.pm, self.photo = store, demo_pm(store), proof_jpeg()
        self.buyers = buyer_channel.approved_buyers(store)
        self.turn = 0
        with store.reading() as session:
            warehouses = session.scalars(
                select(Warehouse).join(Company).where(Company.company_code == DEMO_COMPANY_CODE).order_by(Warehouse.id)
            ).all()
            self.calendars = {w.code: calendar_of(session, w) for w in warehouses}
        self.skus: dict[str, str] = {}
        for offer in buyer_channel.products_on_sale(store, DEMO_COMPANY_CODE):
            if offer.available >= 20 and offer.warehouse_code in self.calendars:
                self.skus.setdefault(offer.warehouse_code, offer.sku)

    def place(self, warehouse: str, now: datetime) -> buyer_channel.PlacedOrder:
        """One unit of the warehouse's product, by the next buyer that may order (a refusal: the next)."""
        last: DomainError | None = None
        for _ in range(len(self.buyers)):
            buyer = self.buyers[self.turn % len(self.buyers)]
            self.turn += 1
            try:
                return buyer_channel.place_order(
                    self.store,
                    buyer_code=buyer,
                    company_code=DEMO_COMPANY_CODE,
                    warehouse_code=warehouse,
                    lines=[buyer_channel.OrderLine(self.skus[warehouse], 1)],
                    now=now,
                )
            except DomainError as refused:
                last = refused
        raise ClusterFailed(f"no buyer could order from {warehouse}: {last}")

    def unconfirmed(self, target: datetime) -> Seeded | None:
        """An order nobody confirms, whose 1 business day ends at `target` (auto-cancel), in a
        warehouse open then; None if every warehouse is closed at `target`."""
        codes = sorted(self.skus)
        turn = self.turn % len(codes)
        for code in codes[turn:] + codes[:turn]:  # spread over the warehouses
            placed_at = placed_for_confirm_deadline(self.calendars[code], target)
            if placed_at is not None:
                placed = self.place(code, placed_at)
                return Seeded(placed.order_number, "auto_cancel", placed.confirm_deadline)
        return None

    def shipped(self, target: datetime, rule: str) -> Seeded:
        """An order accepted, packed and shipped two days before `target`, then delivered
        (auto-complete) or complained about (auto-refund) exactly 2 calendar days before it."""
        code = sorted(self.skus)[self.turn % len(self.skus)]
        begun = target - timedelta(days=2, hours=1)
        placed = self.place(code, begun)
        number = placed.order_number
        seller.accept_order(self.store, self.pm, number, begun + timedelta(minutes=1))
        packed = seller.pack_orders(self.store, self.pm, [number], begun + timedelta(minutes=2))
        if packed.refused:
            raise ClusterFailed(f"seeding: {packed.refused}")
        seller.ship_order(
            self.store,
            self.pm,
            number,
            courier="JNE",
            tracking_number="JNE" + "".join(c for c in number if c.isdigit()),
            photo=self.photo,
            photo_name="proof.jpg",
            now=begun + timedelta(minutes=3),
        )
        at = target - timedelta(days=2)
        if rule == "auto_complete":
            buyer_channel.mark_delivered(self.store, order_number=number, now=at)
        else:
            buyer_channel.file_complaint(
                self.store, buyer_code=placed.buyer, order_number=number, description="Arrived damaged", now=at
            )
        return Seeded(number, rule, target)


def seed_deadlines(store: Store, first: datetime, last: datetime, slots: int) -> tuple[list[Seeded], int]:
    """At each of `slots` moments from `first` to `last`: two orders falling due for auto-cancel (two
    at one instant, so the two schedulers' sweeps meet on them), one for auto-complete and one for
    auto-refund. Returns the seeded orders and how many auto-cancels found every warehouse closed."""
    seeder, seeded, closed = Seeder(store), [], 0
    if not seeder.skus:
        raise ClusterFailed("no product of the demo company has stock to seed orders with")
    for index in range(slots):
        target = first + (last - first) * (index / max(1, slots - 1))
        for _ in range(2):
            order = seeder.unconfirmed(target)
            closed += order is None
            seeded += [order] if order else []
        seeded += [seeder.shipped(target, "auto_complete"), seeder.shipped(target, "auto_refund")]
    return seeded, closed
