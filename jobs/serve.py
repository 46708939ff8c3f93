"""`python -m jobs.serve` (what `make run` starts): prepare the store, then run the scheduler
process, the Streamlit UI, the HTTP API, the webhook worker and the notification mailer side by side.
Ctrl-C (or SIGTERM) stops them all; if one of them dies, the others are stopped too and the exit code
says so."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

from core.bootstrap import bootstrap
from core.config import PROJECT_ROOT, Settings
from core.demo.seed import DEMO_LOGINS, DEMO_PASSWORD
from core.notifications.mailer import transport_from_settings
from jobs.entry import run_command
from jobs.prepare import prepare


def ui_command(host: str, port: int, *, behind_proxy: bool = False) -> list[str]:
    """How the UI process starts: app/main.py served through app/server.py (st.App on uvicorn), which
    sets the HttpOnly session cookie and the security headers. With `behind_proxy`, X-Forwarded-Proto
    is trusted from a proxy on this machine only, so "over HTTPS" means what the proxy in front says.
    On asyncio and h11 by name: uvloop and httptools, there for the API, are not what the UI was
    tested on."""
    command = [sys.executable, "-m", "uvicorn", "app.server:app", "--host", host, "--port", str(port)]
    command += ["--loop", "asyncio", "--http", "h11", "--no-server-header"]
    command += ["--no-access-log"]  # app/server.py writes one JSON line per request instead
    return command + (_PROXY if behind_proxy else [])


def api_command(host: str, port: int, *, behind_proxy: bool = False, workers: int = 1) -> list[str]:
    """How an API process starts (api/app.py's factory on uvicorn), on uvloop and httptools: the event
    loop and HTTP parser in C took about a twentieth off an order's CPU (bench/api.py). `workers`:
    uvicorn's worker processes, each a copy of the API (several only on PostgreSQL)."""
    command = [sys.executable, "-m", "uvicorn", "api.app:build", "--factory", "--host", host, "--port", str(port)]
    command += ["--loop", "uvloop", "--http", "httptools", "--no-server-header", "--workers", str(workers)]
    command += ["--no-access-log"]  # api/guard.py writes one JSON line per request instead
    return command + (_PROXY if behind_proxy else [])


_PROXY = ["--proxy-headers", "--forwarded-allow-ips", "127.0.0.1"]


def _children_env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(PROJECT_ROOT), env.get("PYTHONPATH")]))
    env.setdefault("PYTHONUNBUFFERED", "1")
    return env


def _print_logins(settings: Settings) -> None:
    shown = "localhost" if settings.bind in ("127.0.0.1", "localhost", "::1") else settings.bind
    address = settings.public_url or f"http://{shown}:{settings.port}"
    print(f"\nKopra Partnership is starting on {address} (listening on {settings.bind}:{settings.port})")
    if not settings.production:
        print(f"Demo logins (password {DEMO_PASSWORD}):")
        for login in DEMO_LOGINS:
            print(f"  Company ID {login.company_code:<8} User ID {login.user_code:<8} {login.role:<21} {login.note}")
    print(f"The HTTP API for the buyer app and couriers: {address.rsplit(':', 1)[0]}:{settings.api_port}/api/docs")
    print(f"Notification email goes to {transport_from_settings(settings).description}.")
    print("Ctrl-C stops the UI, the API, the scheduler, the webhook worker and the mailer.\n", flush=True)


def _stop(processes: list[subprocess.Popen]) -> None:
    for process in processes:
        if process.poll() is None:
            process.terminate()
    deadline = time.monotonic() + 10
    for process in processes:
        try:
            process.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            process.kill()


def main() -> int:
    wiring = bootstrap(check_reachable=True)
    try:
        prepare(wiring)
    finally:
        wiring.close()
    settings = wiring.settings
    env = _children_env()
    scheduler = subprocess.Popen([sys.executable, "-m", "jobs.scheduler"], cwd=PROJECT_ROOT, env=env)
    # The UI (app/server.py), and the HTTP API for the buyer app and couriers on its own port (api/app.py)
    ui = subprocess.Popen(ui_command(settings.bind, settings.port, behind_proxy=True), cwd=PROJECT_ROOT, env=env)
    # The worker that delivers the webhooks from the outbox (jobs/webhooks.py).
    api = subprocess.Popen(api_command(settings.bind, settings.api_port, behind_proxy=True), cwd=PROJECT_ROOT, env=env)
    webhooks = subprocess.Popen([sys.executable, "-m", "jobs.webhooks"], cwd=PROJECT_ROOT, env=env)
    # The notification mailer (jobs/mailer.py): email leaves through it, never from the UI's requests.
    mailer = subprocess.Popen([sys.executable, "-m", "jobs.mailer"], cwd=PROJECT_ROOT, env=env)
    processes = [scheduler, ui, api, webhooks, mailer]
    _print_logins(settings)

    stopping = False

    def _on_signal(*_):
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, _on_signal)
    signal.signal(signal.SIGTERM, _on_signal)
    try:
        while not stopping:
            for name, process in (
                ("scheduler", scheduler),
                ("UI", ui),
                ("API", api),
                ("webhook worker", webhooks),
                ("mailer", mailer),
            ):
                if process.poll() is not None:
                    print(
                        f"kopra: the {name} stopped (exit code {process.returncode}); stopping the rest.",
                        file=sys.stderr,
                    )
                    return process.returncode or 1
            time.sleep(0.5)
        return 0
    finally:
        _stop(processes)


if __name__ == "__main__":
    run_command(main)
