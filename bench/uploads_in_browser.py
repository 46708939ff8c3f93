"""Peak memory of the UI process while ten browser sessions upload a product image at once.

bench/uploads.py measures core.images alone; this one measures what the defect was reported on: the
process that serves the UI (uvicorn running app/server.py, as `make run` starts it), with ten real
Chromium sessions logged in as the demo Product Manager, each on Product Management with the first
product's "Product image" open. For each case the ten pages are given the same file one after the
other, as fast as Playwright can, and the figure is the process's peak RSS (VmHWM, reset just before)
above its RSS then, until all ten pages show the preview or the refusal.

  small        ten 1200 x 900 JPEGs (1.1 MP): the same-run baseline, a picture that needs no scaling
               (measured after one untimed round of it: the first check imports and warms caches)
  huge_png     ten 6320 x 6320 PNGs (39.9 MP, the defect's picture, 0.2 MB on disk): refused from the header
  huge_jpeg    the same as JPEGs: refused from the header
  max_jpeg     ten 5712 x 4284 JPEGs (24.5 MP, an iPhone 15's default photo): accepted, scaled down
  max_png      ten 4608 x 3456 PNGs with transparency (15.9 MP, the most a PNG may have): accepted

    .venv/bin/python bench/uploads_in_browser.py

Needs Debian's chromium (/usr/bin/chromium) and Linux (/proc). Ends with one JSON line of the figures.
"""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from PIL import Image  # noqa: E402
from playwright.sync_api import expect, sync_playwright  # noqa: E402

from app.session import COOKIE_NAMES  # noqa: E402
from core.demo.seed import DEMO_PASSWORD  # noqa: E402
from core.images import CEILING_MB  # noqa: E402

SESSIONS = int(os.environ.get("BENCH_SESSIONS", "10"))
CHROMIUM = "/usr/bin/chromium"
CASES = {  # name: (format, mode, size)
    "small": ("JPEG", "RGB", (1200, 900)),
    "huge_png": ("PNG", "RGB", (6320, 6320)),
    "huge_jpeg": ("JPEG", "RGB", (6320, 6320)),
    "max_jpeg": ("JPEG", "RGB", (5712, 4284)),
    "max_png": ("PNG", "RGBA", (4608, 3456)),
}
#: A first upload (not reported) so the first case does not pay for imports and caches; a file of
#: its own, so that every reported case is a content the process has not checked before.
WARM_UP = ("JPEG", "RGB", (800, 600))
#: What a page shows once the upload has been checked: the preview, or the refusal.
ANSWERED = re.compile("Preview, as it will be stored|may have at most")


def _mb(pid: int, field: str) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no {field} for process {pid}")


def _reset_peak(pid: int) -> None:
    Path(f"/proc/{pid}/clear_refs").write_text("5")  # VmHWM starts again from the current RSS


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _picture(folder: Path, name: str) -> Path:
    fmt, mode, size = CASES.get(name, WARM_UP)
    path = folder / f"{name}.{fmt.lower()}"
    Image.new(mode, size, (200, 120, 40, 255)[: len(mode)]).save(path, format=fmt)
    return path


def _start_ui(data_dir: Path) -> tuple[subprocess.Popen, str]:
    port = _free_port()
    env = {
        **os.environ,
        "KOPRA_DATA_DIR": str(data_dir),
        "KOPRA_PORT": str(port),
        "KOPRA_DEMO_DAYS": "14",
        "PYTHONPATH": str(ROOT),
    }
    env.pop("KOPRA_DATABASE_URL", None)
    subprocess.run([sys.executable, "-m", "jobs.prepare"], cwd=ROOT, env=env, check=True, capture_output=True)
    log = open(data_dir / "ui.log", "w")
    server = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "app.server:app", "--host", "127.0.0.1", "--port", str(port)]
        + ["--no-access-log"],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            urllib.request.urlopen(f"{url}/healthz", timeout=2)
            return server, url
        except OSError:
            if server.poll() is not None or time.monotonic() > deadline:
                server.kill()
                raise SystemExit(f"the UI did not start: {(data_dir / 'ui.log').read_text()[-2000:]}") from None
            time.sleep(0.3)


def _open_product_image(page, url: str) -> None:
    page.goto(url)
    page.get_by_role("textbox", name="Company ID").fill("DEMO01")
    page.get_by_role("textbox", name="User ID").fill("pm")
    page.get_by_role("textbox", name="Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    # The session cookie's arrival reruns the page; a file given before it could be dropped.
    deadline = time.monotonic() + 60
    while not any(c["name"] in COOKIE_NAMES for c in page.context.cookies()):
        if time.monotonic() > deadline:
            raise SystemExit("the session cookie never arrived")
        page.wait_for_timeout(100)
    page.get_by_test_id("stSidebarNavLink").filter(has_text="Product Management").click()
    expect(page.get_by_text("Open a product")).to_have_count(1, timeout=60_000)
    page.get_by_text("Product image", exact=True).click()
    expect(page.get_by_text("New image: PNG, JPEG or WebP")).to_be_visible(timeout=60_000)


def _uploader(page):
    return page.get_by_test_id("stFileUploader").filter(has_text="New image")


def _measure(pid: int, pages: list, picture: Path) -> dict[str, float]:
    before = _mb(pid, "VmRSS")
    _reset_peak(pid)
    started = time.perf_counter()
    for page in pages:
        _uploader(page).locator("input[type=file]").set_input_files(str(picture))
    for page in pages:
        expect(page.get_by_text(ANSWERED).first).to_be_visible(timeout=120_000)
    seconds = time.perf_counter() - started
    peak = _mb(pid, "VmHWM")
    for page in pages:  # take the file out of the uploader, as a person would before the next one
        _uploader(page).get_by_test_id("stFileChipDeleteBtn").click()
        expect(page.get_by_text(ANSWERED)).to_have_count(0, timeout=60_000)
    return {"before_mb": before, "peak_above_mb": peak - before, "seconds": seconds}


def main() -> int:
    if not Path(CHROMIUM).exists() or not Path("/proc/self/clear_refs").exists():
        print("Needs Debian's chromium and Linux's /proc; nothing measured.")
        return 1
    figures: dict[str, float] = {}
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        pictures = {name: _picture(folder, name) for name in CASES}
        server, url = _start_ui(folder)
        try:
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(
                    executable_path=CHROMIUM, args=["--headless", "--no-sandbox", "--disable-gpu"]
                )
                pages = []
                for _ in range(SESSIONS):
                    page = browser.new_context(viewport={"width": 1366, "height": 850}).new_page()
                    page.set_default_timeout(60_000)
                    _open_product_image(page, url)
                    pages.append(page)
                _measure(server.pid, pages, _picture(folder, "warm_up"))
                idle = _mb(server.pid, "VmRSS")
                print(f"UI process with {SESSIONS} sessions on Product Management: {idle:,.0f} MB")
                print(
                    f"{'case':<10} {'on disk':>9} {'RSS before':>11} {'peak above':>11} "
                    f"{f'all {SESSIONS} answered':>17}"
                )
                for name, picture in pictures.items():
                    result = _measure(server.pid, pages, picture)
                    size_mb = picture.stat().st_size / 1024 / 1024
                    print(
                        f"{name:<10} {size_mb:>6.1f} MB {result['before_mb']:>8,.0f} MB "
                        f"{result['peak_above_mb']:>8,.1f} MB {result['seconds']:>15.1f} s"
                    )
                    figures[f"{name}_peak_above_mb"] = round(result["peak_above_mb"], 1)
                    figures[f"{name}_seconds"] = round(result["seconds"], 2)
                browser.close()
        finally:
            server.terminate()
            server.wait(timeout=20)
    worst = max(v for k, v in figures.items() if k.endswith("_peak_above_mb"))
    print(
        f"Worst peak above the RSS before: {worst:,.1f} MB; ceiling {CEILING_MB} MB: "
        f"{'holds' if worst <= CEILING_MB else 'EXCEEDED'}"
    )
    figures["ceiling_mb"] = CEILING_MB
    print(json.dumps(figures))
    return 0 if worst <= CEILING_MB else 2


if __name__ == "__main__":
    raise SystemExit(main())
