"""A cluster on one machine (issue 16): on one PostgreSQL database, two UI processes, two schedulers,
two API processes and two webhook workers run side by side under the simulator's traffic, while the
demo Product Manager works orders in both UIs; at the end the store's invariants are checked.

    .venv/bin/python bench/cluster.py                    # the issue's run: 10 minutes
    .venv/bin/python bench/cluster.py --minutes 2        # a shorter one
    .venv/bin/python bench/cluster.py --quick            # 1 minute, for development

The cluster (each process as jobs.serve starts it, each with its own port, all on one database):
  ui1, ui2           jobs.serve.ui_command (uvicorn serving app/server.py)
  api1, api2         jobs.serve.api_command, one worker each
  scheduler1, 2      python -m jobs.scheduler (sweeps every --interval s, then the analytics sync);
                     started together, or the second --stagger s after the first is up
  webhooks1, 2       python -m jobs.webhooks
All share one KOPRA_DATA_DIR, so one analytics folder: as a deployment on one machine has one data
folder, the two schedulers take turns at the snapshot through its writer lock (the one finding it
taken skips that sync) and both UIs read the snapshot its CURRENT.json names. The mailer is not
started: nothing checked here needs it (mail waits in the store, as it would while it is down).

The store is the demo (jobs.prepare, --demo-days of history) in a database of its own on the benches'
server (KOPRA_BENCH_POSTGRES_URL), dropped at the end. Once the cluster is up, orders are seeded
through core with times in the past so that deadlines fall due during the run, at --interval/2-spaced
moments: two orders nobody confirms (1 business day ends then: auto-cancel; only in a warehouse open
at that moment), one delivered 2 days before (auto-complete, then its payout) and one complained about
2 days before (auto-refund). The simulator's buyers and courier (jobs.simulate's own classes, run in
this process: two simulator processes cannot share a store, each rotates the other's API token) send
--rate orders a minute, half through each API, with one webhook receiver. Meanwhile the Product
Manager, in Chromium, accepts, packs and ships the simulator's orders, one step in ui1, the next in ui2.

At the end (traffic stopped, both schedulers past it, webhooks drained, each wait bounded):
  no oversell               every stock row 0 <= reserved <= on_hand, reserved = what open orders hold
  every deadline enforced   nothing overdue by the last sweep, no automatic step twice on an order,
  once                      the system's events = the steps the schedulers logged (none by both),
                            every seeded deadline enforced, each payout disbursed once
  every event delivered     each outbox event since the simulator subscribed DELIVERED to it (none
                            pending or parked), each event id heard by the receiver (duplicates
                            counted), no delivery sent by both workers in the same attempt
  each UI's pages correct   in each UI, a fresh login's Dashboard settles with no error, and Sales
                            Management's stage counts equal core.orders.search.stage_counts
Then the figures: orders, seller steps, automatic steps by scheduler, webhooks, API requests and
errors, each process's CPU seconds and peak memory (/proc), the load average. Logs are kept in
bench/out/cluster-<time>/. Ends with one JSON line; exit code 0 when every invariant holds, 2 if not.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import signal
import socket
import statistics
import sys
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402
from cluster_browser import Seller, read_ui, signed_in  # noqa: E402
from cluster_checks import Check, deadlines_enforced_once, events_delivered, no_oversell, ui_pages  # noqa: E402
from cluster_setup import (  # noqa: E402
    ClusterFailed,
    Process,
    Seeded,
    answers,
    demo_pm,
    logged,
    run_job,
    scratch_database,
    seed_deadlines,
    start,
    wait_for,
)
from playwright.sync_api import sync_playwright  # noqa: E402
from sqlalchemy import text  # noqa: E402
from ui import Browsing, proof_photo  # noqa: E402

from core.clock import utc_now  # noqa: E402
from core.demo.seed import DEMO_COMPANY_CODE  # noqa: E402
from core.store.database import Store  # noqa: E402
from jobs.serve import api_command, ui_command  # noqa: E402
from jobs.simulate import BuyerTraffic, Simulation, connect, run_simulation  # noqa: E402
from tests.e2e.conftest import CHROMIUM, LAUNCH_ARGS  # noqa: E402

START_S = 120  # for every process to be up, a scheduler's first sweep included
DRAIN_S = 180  # for the last webhooks after the schedulers stopped
QUIET_MS = 300  # how long "settled" must hold in the browser (bench/ui.py's default)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def environment(database_url: str, data_dir: Path, args: argparse.Namespace) -> dict[str, str]:
    env = {
        **os.environ,
        "KOPRA_DATABASE_URL": database_url,
        "KOPRA_DATA_DIR": str(data_dir),
        "KOPRA_DEMO_DAYS": str(args.demo_days),
        "KOPRA_SCHEDULER_INTERVAL_S": str(args.interval),
        "KOPRA_LANGUAGE": "en",
        "PYTHONPATH": str(ROOT),
        "PYTHONUNBUFFERED": "1",
    }
    env.pop("KOPRA_ENV", None)  # development: the demo users are what the Product Manager logs in with
    return env


# --- the cluster ---------------------------------------------------------------------------------


@dataclass
class Cluster:
    processes: list[Process] = field(default_factory=list)

    def of(self, role: str) -> list[Process]:
        return [p for p in self.processes if p.role == role]

    def stop(self, role: str | None = None) -> None:
        for process in self.processes:
            if role in (None, process.role):
                process.read_usage()
                process.stop()


def start_cluster(cluster: Cluster, env: dict[str, str], folder: Path, stagger_s: float) -> None:
    """Two of each, then wait for each to be ready: the UIs' /healthz, the APIs' OpenAPI document, each
    scheduler's first sweep (it catches up at once) and each webhook worker's start line. With
    `stagger_s`, the second scheduler starts that long after the first is ready, so that its sweeps fall
    between the first one's; without, both start together and sweep at nearly the same moments."""
    for n in (1, 2):
        ui_port, api_port = _free_port(), _free_port()
        cluster.processes += [
            start(f"ui{n}", "ui", ui_command("127.0.0.1", ui_port), env, folder, f"http://127.0.0.1:{ui_port}"),
            start(f"api{n}", "api", api_command("127.0.0.1", api_port), env, folder, f"http://127.0.0.1:{api_port}"),
            start(f"webhooks{n}", "webhooks", [sys.executable, "-m", "jobs.webhooks"], env, folder),
        ]
        if n == 1 or not stagger_s:
            cluster.processes.append(start(f"scheduler{n}", "scheduler", SCHEDULER, env, folder))
    _wait_ready(cluster)
    if stagger_s:
        time.sleep(stagger_s)  # a phase offset between the two schedulers, chosen: nothing to wait for
        cluster.processes.append(start("scheduler2", "scheduler", SCHEDULER, env, folder))
        _wait_ready(cluster)


SCHEDULER = [sys.executable, "-m", "jobs.scheduler"]


def _wait_ready(cluster: Cluster) -> None:
    for p in cluster.processes:
        ready = {
            "ui": lambda p=p: answers(f"{p.url}/healthz"),
            "api": lambda p=p: answers(f"{p.url}/api/openapi.json"),
            "scheduler": lambda p=p: logged(p, "sweep"),
            "webhooks": lambda p=p: logged(p, "webhooks_started"),
        }[p.role]
        wait_for(f"{p.name} ready", ready, START_S, cluster.processes)


# --- the traffic ---------------------------------------------------------------------------------


class Stopped(Exception):
    """The run was told to stop (Ctrl-C, or a failure elsewhere)."""


@dataclass
class Traffic:
    """The simulator's buyers and courier: one BuyerTraffic per API, one receiver for both."""

    simulation: Simulation
    flows: list[BuyerTraffic]
    watermark: int  # the outbox event the subscription starts after
    stop: threading.Event = field(default_factory=threading.Event)
    errors: list[str] = field(default_factory=list)
    threads: list[threading.Thread] = field(default_factory=list)

    def run(self, rate: float, seconds: float) -> None:
        for flow in self.flows:
            thread = threading.Thread(target=self._flow, args=(flow, rate / len(self.flows), seconds), daemon=True)
            thread.start()
            self.threads.append(thread)

    def _flow(self, flow: BuyerTraffic, rate: float, seconds: float) -> None:
        """Run the simulator's loop to the end of the run; an error (an API call that timed out in a
        place the simulator does not catch) is noted, and the loop goes on for the time left."""
        ends = time.monotonic() + seconds

        def sleep(wait_s: float) -> None:
            if self.stop.wait(wait_s):
                raise Stopped

        while (left := ends - time.monotonic()) >= 1:
            try:
                run_simulation(flow, rate_per_minute=rate, duration_s=left, sleep=sleep)
            except Stopped:
                return
            except Exception as exc:  # noted in the report; the traffic goes on
                self.errors.append(f"{type(exc).__name__}: {exc}"[:300])

    def join(self) -> None:
        for thread in self.threads:
            thread.join()

    def counts(self) -> list[Counter[str]]:
        return [flow.counts for flow in self.flows]


def connect_traffic(store: Store, apis: list[Process], seeded: list[Seeded], seed: int, log_path: Path) -> Traffic:
    """The simulator as `python -m jobs.simulate` wires itself (its API clients, its receiver and its
    subscription), with a second flow of the same buyers through the second API. The seeded orders are
    kept from its buyers: their deadlines are the schedulers' to enforce."""
    lock, log = threading.Lock(), open(log_path, "a")

    def write(line: str) -> None:
        with lock:
            log.write(line + "\n")

    simulation = connect(store, apis[0].url, seed=seed, company_code=DEMO_COMPANY_CODE, log=write)
    with simulation.receiver.lock:
        for order in seeded:
            simulation.receiver.orders.pop(order.number, None)
    first = simulation.traffic
    second = BuyerTraffic(
        httpx.Client(base_url=apis[1].url, timeout=30),
        app_token=first.app["Authorization"].removeprefix("Bearer "),
        courier_token=first.courier["Authorization"].removeprefix("Bearer "),
        buyer_codes=first.buyer_codes,
        receiver=simulation.receiver,
        rng=random.Random(seed + 1),
        company_code=DEMO_COMPANY_CODE,
        log=first.log,
    )
    with store.reading() as session:
        watermark = session.scalar(
            text("SELECT fanned_out_to FROM webhook_endpoints WHERE id = :e"), {"e": simulation.endpoint_id}
        )
    return Traffic(simulation, [first, second], watermark)


def drained(store: Store, endpoint_id: int) -> bool:
    """Every outbox event fanned out to the simulator's endpoint and none of its deliveries pending."""
    with store.reading() as session:
        behind, pending = session.execute(
            text(
                """SELECT (SELECT COALESCE(MAX(id), 0) FROM outbox_events) - e.fanned_out_to,
                          (SELECT COUNT(*) FROM webhook_deliveries d
                           WHERE d.endpoint_id = e.id AND d.status = 'PENDING')
                   FROM webhook_endpoints e WHERE e.id = :e"""
            ),
            {"e": endpoint_id},
        ).one()
    return behind == 0 and pending == 0


def swept_past(scheduler: Process, moment: datetime) -> bool:
    return any(
        line.get("event") == "sweep" and datetime.fromisoformat(line["now"]) >= moment for line in scheduler.lines()
    )


class LoadSampler(threading.Thread):
    """The 1-minute load average every few seconds, while the run lasts."""

    def __init__(self) -> None:
        super().__init__(daemon=True)
        self.samples: list[float] = []
        self.stopping = threading.Event()

    def run(self) -> None:
        while not self.stopping.is_set():
            self.samples.append(os.getloadavg()[0])
            self.stopping.wait(5)


# --- one run ---------------------------------------------------------------------------------------


@dataclass
class Run:
    """What a run gathered for its report, and what its clean-up must stop."""

    args: argparse.Namespace
    checks: list[Check] = field(default_factory=list)
    figures: dict = field(default_factory=dict)
    traffic: Traffic | None = None
    seeded: list[Seeded] = field(default_factory=list)


def seed_window(args: argparse.Namespace) -> tuple[datetime, datetime, int]:
    """Deadlines from 30 s after now to one interval (and a margin) before the traffic ends, at
    moments half an interval apart."""
    now = utc_now()
    first = now + timedelta(seconds=30)
    last = max(first, now + timedelta(seconds=args.minutes * 60 - args.interval - 15))
    slots = max(1, int((last - first).total_seconds() // (args.interval / 2)) + 1)
    return first, last, slots


def drive(run: Run, store: Store, cluster: Cluster, uis: list[Browsing], logs: Path) -> tuple[Seller, datetime]:
    """Log the Product Manager in to both UIs, seed the deadlines, then the simulator's traffic and the
    seller's steps for the run's minutes. Returns the seller and when the traffic began."""
    args = run.args
    pages = [signed_in(browsing) for browsing in uis]
    first, last, slots = seed_window(args)
    run.seeded, closed = seed_deadlines(store, first, last, slots)
    print(
        f"seeded {len(run.seeded)} deadlines from {first:%H:%M:%S} to {last:%H:%M:%S} UTC"
        + (f" ({closed} auto-cancels left out: every warehouse closed then)" if closed else ""),
        flush=True,
    )
    run.traffic = connect_traffic(store, cluster.of("api"), run.seeded, args.seed, logs / "simulator.log")
    began = utc_now()
    run.traffic.run(args.rate, args.minutes * 60)
    seller = Seller(list(zip(uis, pages)), store, began, proof_photo(logs))
    seller.work_until(time.monotonic() + args.minutes * 60)
    run.traffic.join()
    return seller, began


def wind_down(run: Run, store: Store, cluster: Cluster) -> datetime:
    """Both schedulers sweep once past the end of the traffic, then stop; the webhook workers deliver
    what is left, then stop. Returns when the schedulers stopped."""
    ended = utc_now()
    print("traffic done; waiting for both schedulers to sweep past it", flush=True)
    for scheduler in cluster.of("scheduler"):
        swept = lambda s=scheduler: swept_past(s, ended)  # noqa: E731
        wait_for(f"a sweep of {scheduler.name} after the traffic", swept, 2 * run.args.interval + 60, [scheduler])
    cluster.stop("scheduler")
    stopped = utc_now()
    endpoint = run.traffic.simulation.endpoint_id
    try:
        wait_for("the last webhooks delivered", lambda: drained(store, endpoint), DRAIN_S)
    except ClusterFailed as late:  # the check says what is left
        print(f"note: {late}", flush=True)
    cluster.stop("webhooks")
    return stopped


def check(run: Run, store: Store, cluster: Cluster, since: datetime, stopped: datetime, ui_results) -> list[Check]:
    traffic = run.traffic
    schedulers, workers = cluster.of("scheduler"), cluster.of("webhooks")
    return [
        no_oversell(store),
        deadlines_enforced_once(store, schedulers, run.seeded, since, run.args.interval, stopped),
        events_delivered(
            store, workers, traffic.simulation.endpoint_id, traffic.watermark, traffic.simulation.receiver
        ),
        ui_pages(ui_results),
    ]


def run_cluster(run: Run, database_url: str, data_dir: Path, logs: Path) -> None:
    env = environment(database_url, data_dir, run.args)
    began = time.perf_counter()
    run_job(["jobs.prepare"], env)  # migrate and load the demo, as make run does
    run_job(["jobs.analytics", "sync"], env)  # the Dashboard's first snapshot
    run.figures["prepare_s"] = round(time.perf_counter() - began, 1)
    store, cluster, sampler = Store(database_url), Cluster(), LoadSampler()
    try:
        since = utc_now()
        start_cluster(cluster, env, logs, run.args.stagger)
        print("cluster up: " + ", ".join(f"{p.name} {p.url or p.popen.pid}" for p in cluster.processes), flush=True)
        sampler.start()
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=LAUNCH_ARGS)
            uis = [Browsing(browser, p.url, QUIET_MS, p.log_path) for p in cluster.of("ui")]
            seller, traffic_began = drive(run, store, cluster, uis, logs)
            stopped = wind_down(run, store, cluster)
            pm = demo_pm(store)
            ui_results = [read_ui(browsing, store, pm) for browsing in uis]
            browser.close()
        cluster.stop()
        sampler.stopping.set()
        run.checks = check(run, store, cluster, since, stopped, ui_results)
        run.figures |= gather_figures(store, cluster, run, seller, traffic_began, sampler, ui_results)
    finally:
        sampler.stopping.set()
        if run.traffic is not None:
            run.traffic.stop.set()
            run.traffic.join()
            run.traffic.simulation.close()
        cluster.stop()
        store.dispose()


# --- the figures and the report ------------------------------------------------------------------


def api_requests(apis: list[Process]) -> dict[str, dict[str, int]]:
    """Each API's requests by status class, from its one JSON line per request (api/guard.py)."""
    found = {}
    for api in apis:
        statuses = Counter(f"{line['status'] // 100}xx" for line in api.lines() if line.get("event") == "api.request")
        found[api.name] = {"requests": sum(statuses.values()), **dict(sorted(statuses.items()))}
    return found


def analytics_syncs(schedulers: list[Process]) -> dict[str, dict[str, int]]:
    """Per scheduler, the analytics syncs it made and skipped (the other held the writer lock)."""
    return {
        s.name: dict(Counter(line["action"] for line in s.lines() if line.get("rule") == "analytics_sync"))
        for s in schedulers
    }


def gather_figures(store, cluster, run, seller, traffic_began, sampler, ui_results) -> dict:
    traffic = run.traffic
    with store.reading() as session:
        placed = session.scalar(
            text(
                """SELECT COUNT(*) FROM orders o JOIN companies c ON c.id = o.company_id
                   WHERE c.company_code = :c AND o.placed_at >= :t"""
            ),
            {"c": DEMO_COMPANY_CODE, "t": traffic_began},
        )
    flows = traffic.counts()
    seller_done = sum(n for what, n in seller.outcomes.items() if " done" in what)
    return {
        "orders_placed": placed,
        "simulator": {f"via_api{i}": dict(sorted(c.items())) for i, c in enumerate(flows, 1)},
        "simulator_errors": traffic.errors,
        "webhooks_heard": dict(sorted(traffic.simulation.receiver.counts.items())),
        "seeded": dict(Counter(s.rule for s in run.seeded)),
        "seller_steps": seller_done,
        "seller_outcomes": dict(sorted(seller.outcomes.items())),
        "seller_step_s_median": round(statistics.median(seller.seconds), 2) if seller.seconds else None,
        "seller_failures": seller.failures,
        "seller_stale_panels": len(seller.stale),
        "seller_stale_examples": seller.stale[:3],
        "api": api_requests(cluster.of("api")),
        "analytics_syncs": analytics_syncs(cluster.of("scheduler")),
        "processes": {p.name: p.usage for p in cluster.processes},
        "bench_process_cpu_s": round(time.process_time(), 1),
        "load_average": {
            "min": round(min(sampler.samples, default=0), 2),
            "mean": round(statistics.fmean(sampler.samples), 2) if sampler.samples else None,
            "max": round(max(sampler.samples, default=0), 2),
        },
        "ui_pages": ui_results,
    }


def _said(value) -> str:
    if value == {}:
        return "none"
    if isinstance(value, dict):
        return ", ".join(f"{k} {_said(v)}" for k, v in value.items())
    return str(value)


def report(run: Run) -> dict:
    print(f"\n{'invariant':<32} {'result':<6} numbers")
    for check in run.checks:
        print(f"{check.name:<32} {'PASS' if check.ok else 'FAIL':<6} {_said(check.figures)}")
        for line in check.evidence:
            print(f"{'':<39}! {line}")
    f = run.figures
    print(f"\norders placed {f['orders_placed']} ({_said(f['simulator'])})")
    print(f"webhooks heard by the receiver: {_said(f['webhooks_heard'])}")
    print(f"seller steps in the UIs: {_said(f['seller_outcomes'])}; median {f['seller_step_s_median']} s a step")
    for failure in f["seller_failures"]:
        print(f"  ! {failure}")
    if f["seller_stale_panels"]:
        print(f"  {f['seller_stale_panels']} steps not offered until Sales Management was loaded afresh, e.g.:")
        for example in f["seller_stale_examples"]:
            print(f"  ! {example}")
    print(f"API requests: {_said(f['api'])}")
    print(f"analytics syncs: {_said(f['analytics_syncs'])}")
    print(f"\n{'process':<12} {'cpu s':>8} {'peak MB':>8}")
    for name, usage in f["processes"].items():
        print(f"{name:<12} {usage.get('cpu_s', 0):>8.1f} {usage.get('peak_rss_mb', 0):>8.1f}")
    print(
        f"load average (1 min) {_said(f['load_average'])}; "
        f"this process (simulator, browser driver) {f['bench_process_cpu_s']} s CPU"
    )
    deadlines = next(c for c in run.checks if c.name.startswith("every deadline")).figures
    events = next(c for c in run.checks if c.name.startswith("every event")).figures
    return {
        "cluster_minutes": run.args.minutes,
        "cluster_rate_per_min": run.args.rate,
        "cluster_orders": f["orders_placed"],
        "cluster_seeded_deadlines": sum(f["seeded"].values()),
        "cluster_seller_steps": f["seller_steps"],
        "cluster_auto_steps_by_scheduler": deadlines["auto_steps_by_scheduler"],
        "cluster_webhooks_delivered": events["delivered"],
        "cluster_webhook_duplicates": events["duplicates_received"],
        "cluster_api_requests": {name: api["requests"] for name, api in f["api"].items()},
        "cluster_api_errors": sum(api.get("5xx", 0) + api.get("0xx", 0) for api in f["api"].values()),
        "cluster_invariants_ok": all(c.ok for c in run.checks),
        **{f"cluster_{c.name.replace(' ', '_').replace(chr(39), '')}": c.ok for c in run.checks},
        "cluster_processes": f["processes"],
        "scheduler_interval_s": run.args.interval,
        "scheduler_stagger_s": run.args.stagger,
        "demo_days": run.args.demo_days,
        "prepare_s": f["prepare_s"],
        "load_average_mean": f["load_average"]["mean"],
        "load_average_max": f["load_average"]["max"],
        "date": date.today().isoformat(),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=10, help="minutes of traffic (default 10, the issue's run)")
    parser.add_argument("--rate", type=float, default=12, help="orders a minute, both APIs together (default 12)")
    parser.add_argument("--quick", action="store_true", help="1 minute, 30 days of demo history")
    parser.add_argument("--interval", type=int, default=30, help="seconds between sweeps (default 30, as deployed)")
    parser.add_argument(
        "--stagger", type=float, default=0, help="seconds the second scheduler starts after the first (default 0)"
    )
    parser.add_argument("--demo-days", type=int, default=180, help="days of demo history (default 180, as make run)")
    parser.add_argument("--seed", type=int, default=2026, help="the simulator's random seed")
    args = parser.parse_args()
    if args.quick:
        args.minutes, args.demo_days = 1, 30
    if not Path(CHROMIUM).exists():
        print(f"Needs Debian's chromium ({CHROMIUM}); nothing run.")
        return 1
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # the finally blocks stop what was started
    logs = ROOT / "bench" / "out" / f"cluster-{datetime.now():%Y%m%d-%H%M%S}"
    logs.mkdir(parents=True)
    run = Run(args)
    print(f"cluster: {args.minutes:g} min at {args.rate:g} orders/min; logs in {logs}", flush=True)
    with scratch_database() as database_url, tempfile.TemporaryDirectory(prefix="kopra-cluster-") as data_dir:
        run_cluster(run, database_url, Path(data_dir), logs)
    figures = report(run)
    (logs / "report.json").write_text(json.dumps({"figures": run.figures, "summary": figures}, default=str, indent=1))
    print(json.dumps(figures, default=str))
    return 0 if figures["cluster_invariants_ok"] else 2


if __name__ == "__main__":
    raise SystemExit(main())
