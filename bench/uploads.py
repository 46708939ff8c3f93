"""Peak memory and time of ten uploads checked at once (ten browser sessions), beside the check before issue 15.

Each case runs in a fresh process, which reads the uploads, starts ten threads, then releases them
together to check one upload each as a product image; the figure is the process's peak RSS (VmHWM,
counted from just before the release) above its RSS then. The pictures are flat colours, small on disk
as the defect's 170 KB PNG: what a decode holds depends on the pixels, not on what they show. The old
check runs without core.images imported (its allocator setting would lower the old figures). Linux only
(the peak is read from /proc). The old cases are skipped, and said so, with less than 8 GB available.

  huge_png, huge_jpeg, huge_webp   6320 x 6320 (39.9 MP, the defect's picture): refused from the header
  max_jpeg                         5712 x 4284 (24.5 MP, an iPhone 15's default photo; at most 25 MP)
  max_png                          4608 x 3456 (15.9 MP; a PNG may have at most 16 MP)
  max_png_alpha                    the same with transparency (scaling it down copies it first)
  max_webp                         3264 x 2448 (8.0 MP: the most a WebP may have)
  max_mixed                        the four cases above in turn
  rerun                            one 24.5 MP JPEG checked 20 times in a row, as Streamlit reruns a page
                                   while the file stays in the uploader (milliseconds per check)

  new   core.images.check_image
  old   the check before issue 15, reproduced in `old_check`: any picture up to 40 MP decoded at full
        size, turned upright (a full-size copy), then scaled down, on every rerun

core.images keeps to its CEILING_MB above the baseline with ten uploads at once, whatever they are:

    .venv/bin/python bench/uploads.py              # every case, new and old
    .venv/bin/python bench/uploads.py --skip-old   # the new check only

Ends with one JSON line of the figures.
"""

from __future__ import annotations

import argparse
import io
import json
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from PIL import Image, ImageOps  # noqa: E402

UPLOADS = 10
CASES = {  # name: (format, mode, size)
    "huge_png": ("PNG", "RGB", (6320, 6320)),
    "huge_jpeg": ("JPEG", "RGB", (6320, 6320)),
    "huge_webp": ("WEBP", "RGB", (6320, 6320)),
    "max_jpeg": ("JPEG", "RGB", (5712, 4284)),
    "max_png": ("PNG", "RGB", (4608, 3456)),
    "max_png_alpha": ("PNG", "RGBA", (4608, 3456)),
    "max_webp": ("WEBP", "RGB", (3264, 2448)),
    "max_mixed": None,
}
MIXED = ["max_jpeg", "max_png", "max_png_alpha", "max_webp"]
RERUNS = 20
OLD_NEEDS_GB = 8


def old_check(data: bytes, max_side: int = 1200) -> bytes:
    """What core.images.check_image did to a product image before issue 15 (refusals as exceptions)."""
    image = Image.open(io.BytesIO(data))
    if image.width * image.height > 40_000_000:
        raise ValueError("more than 40 million pixels")
    image.load()
    image = ImageOps.exif_transpose(image)
    image.thumbnail((max_side, max_side))
    out = io.BytesIO()
    if image.mode in ("RGBA", "LA", "P") and image.getextrema()[-1][0] < 255:
        image.convert("RGBA").save(out, format="PNG", optimize=True)
    else:
        image.convert("RGB").save(out, format="JPEG", quality=85, optimize=True)
    return out.getvalue()


def new_check(data: bytes):
    from core import images

    return images.check_image(data, "upload", images.PRODUCT_IMAGE, what="product image")


CHECKS = {"new": new_check, "old": old_check}


def _status_mb(field: str) -> float:
    with open("/proc/self/status") as status:
        return next(int(line.split()[1]) for line in status if line.startswith(field + ":")) / 1024


def reset_peak() -> float:
    """Start counting the peak RSS from now; the RSS now. (Linux keeps ru_maxrss across exec, so a child
    would start with its parent's peak: the peak is VmHWM, reset through clear_refs.)"""
    with open("/proc/self/clear_refs", "w") as clear:
        clear.write("5")
    return _status_mb("VmRSS")


def peak_mb() -> float:
    return _status_mb("VmHWM")


def available_gb() -> float:
    with open("/proc/meminfo") as meminfo:
        return next(int(line.split()[1]) for line in meminfo if line.startswith("MemAvailable:")) / 1024 / 1024


# --- The measuring process ----------------------------------------------------------------------------


def at_once(check, uploads: list[bytes]) -> dict:
    """Check every upload on its own thread, all released together; the peak RSS above the baseline."""
    start = threading.Barrier(len(uploads) + 1)
    outcomes: list[str] = []

    def session(data: bytes) -> None:
        start.wait()
        try:
            check(data)
            outcomes.append("accepted")
        except Exception:  # noqa: BLE001 - a refusal, whichever check made it
            outcomes.append("refused")

    threads = [threading.Thread(target=session, args=(data,)) for data in uploads]
    for thread in threads:
        thread.start()
    baseline = reset_peak()
    started = time.perf_counter()
    start.wait()
    for thread in threads:
        thread.join()
    return {
        "peak_mb": round(peak_mb() - baseline, 1),
        "baseline_mb": round(baseline, 1),
        "s": round(time.perf_counter() - started, 2),
        "accepted": outcomes.count("accepted"),
        "refused": outcomes.count("refused"),
    }


def one_after_another(check, data: bytes) -> dict:
    times = []
    for _ in range(RERUNS):
        started = time.perf_counter()
        check(data)
        times.append(time.perf_counter() - started)
    return {"first_ms": round(times[0] * 1000, 1), "rerun_ms": round(statistics.median(times[1:]) * 1000, 2)}


def child(check_name: str, mode: str, files: list[str]) -> None:
    uploads = [Path(name).read_bytes() for name in files]
    check = CHECKS[check_name]
    if check_name == "new":
        import core.images  # noqa: F401 - imported before the baseline, as the UI process has it
    result = at_once(check, uploads) if mode == "at_once" else one_after_another(check, uploads[0])
    print(json.dumps(result))


# --- The driver -----------------------------------------------------------------------------------------


def make_uploads(folder: Path, case: str, count: int) -> list[str]:
    names = []
    for n in range(count):  # a colour each: ten sessions upload ten different files
        fmt, mode, size = CASES[case] or CASES[MIXED[n % len(MIXED)]]
        colour = (20 + n * 20, 120, 200 - n * 10, 128)[: len(mode)]
        out = folder / f"{case}-{n}.{fmt.lower()}"
        Image.new(mode, size, colour).save(out, format=fmt)
        names.append(str(out))
    return names


def measure(check_name: str, mode: str, files: list[str]) -> dict:
    done = subprocess.run(
        [sys.executable, __file__, "--child", check_name, mode, *files], capture_output=True, text=True, check=True
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--uploads", type=int, default=UPLOADS, help="uploads checked at once")
    parser.add_argument("--skip-old", action="store_true", help="measure the new check only")
    parser.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        check_name, mode, *files = args.child
        child(check_name, mode, files)
        return
    from core.images import CEILING_MB

    checks = ["new"] if args.skip_old else ["new", "old"]
    figures: dict = {"uploads_at_once": args.uploads, "ceiling_mb": CEILING_MB}
    print(f"{args.uploads} product images checked at once, each case in a fresh process", flush=True)
    print(f"{'case':<15}{'check':<7}{'peak above baseline':>21}{'time':>9}   accepted / refused", flush=True)
    with tempfile.TemporaryDirectory(prefix="kopra-bench-uploads-") as folder:
        for case in CASES:
            files = make_uploads(Path(folder), case, args.uploads)
            size_kb = Path(files[0]).stat().st_size / 1024
            for check_name in checks:
                if check_name == "old" and available_gb() < OLD_NEEDS_GB:
                    print(f"{case:<15}old    skipped: less than {OLD_NEEDS_GB} GB available", flush=True)
                    continue
                seen = measure(check_name, "at_once", files)
                figures[f"{case}_{check_name}_peak_mb"] = seen["peak_mb"]
                figures[f"{case}_{check_name}_s"] = seen["s"]
                print(
                    f"{case:<15}{check_name:<7}{seen['peak_mb']:>18,.0f} MB{seen['s']:>7.2f} s   "
                    f"{seen['accepted']} / {seen['refused']}   ({size_kb:,.0f} KB a file; baseline "
                    f"{seen['baseline_mb']:,.0f} MB)",
                    flush=True,
                )
        files = make_uploads(Path(folder), "max_jpeg", 1)
        for check_name in checks:
            seen = measure(check_name, "reruns", files)
            figures[f"rerun_{check_name}_ms"] = seen["rerun_ms"]
            figures[f"first_check_{check_name}_ms"] = seen["first_ms"]
            print(
                f"{'rerun':<15}{check_name:<7}first check {seen['first_ms']:,.0f} ms, then "
                f"{seen['rerun_ms']:,.2f} ms a rerun (median of {RERUNS - 1})",
                flush=True,
            )
    worst = max(value for key, value in figures.items() if key.endswith("_new_peak_mb"))
    figures["worst_new_peak_mb"] = worst
    figures["ceiling_holds"] = worst <= CEILING_MB
    print(
        f"ceiling: {CEILING_MB} MB above the baseline with {args.uploads} at once; the new check's worst case "
        f"is {worst:,.0f} MB: {'holds' if worst <= CEILING_MB else 'BROKEN'}",
        flush=True,
    )
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
