"""`python -m jobs.mailer`: the notification mailer, its own process (started by `make run`).

Every few seconds (KOPRA_MAIL_POLL_S, default 5) it runs a round of core.notifications.mailer: lease the
notification emails that are due, skip those whose user changed or removed their address (or turned
email off for that kind) since, send the rest (one mail per notification, or one digest per user),
and record each outcome; a mail the server did not take is tried again after 1 minute, doubling up to
an hour, for as long as it takes. A mail server that is down delays mail and loses none, and nothing
else in the portal waits for it. Several mailers may run at once: leases keep them off each other's
mails. A mailer that dies after the server accepted a mail and before recording it leaves a lease
that runs out, and the mail goes again, with the same Message-ID (at least once at the SMTP boundary).

Where mail goes: the server of KOPRA_SMTP_URL, or with none, .eml files in $KOPRA_DATA_DIR/outbox/
(any mail client opens them; `--show` prints the newest here).

One JSON line per mail on standard output (the mail's key, user, notifications, outcome, attempt,
error), never the password, the address or the body. SIGTERM or Ctrl-C stops it after the current
mail. `--once` runs one round and exits.
"""

from __future__ import annotations

import argparse
import os
import secrets
import signal
import socket
import threading
from collections.abc import Callable
from datetime import datetime
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import Path

from core.clock import utc_now
from core.config import Settings, load_settings
from core.logs import REQUEST_ID, configure, log_event
from core.notifications import mailer
from core.notifications.mailer import Transport
from core.store.database import Store
from jobs.entry import prepared, run_command, seconds_setting

POLL_S = 5.0


def worker_name() -> str:
    """host:pid, as the log lines say who sent what."""
    return f"{socket.gethostname()[:50]}:{os.getpid()}"


def portal_url(settings: Settings) -> str:
    """The address a mail's "Open Kopra Partnership" button leads to."""
    if settings.public_url:
        return settings.public_url
    shown = "localhost" if settings.bind in ("127.0.0.1", "localhost", "::1", "0.0.0.0") else settings.bind
    return f"http://{shown}:{settings.port}"


def run_round(
    store: Store,
    transport: Transport,
    *,
    worker: str,
    portal: str = "",
    clock: Callable[[], datetime] = utc_now,
) -> int:
    """One round of sending; logs a line per mail and returns how many notification rows it handled."""
    REQUEST_ID.set(f"mailer-{secrets.token_hex(6)}")
    report = mailer.send_due(store, transport, worker=worker, now=clock(), portal_url=portal, clock=clock)
    for line in report["mails"]:
        log_event("notification_mail", **line)
    return report["claimed"]


def _text_of(message: EmailMessage) -> str:
    part = message.get_body(preferencelist=("plain",))
    return part.get_content() if isinstance(part, EmailMessage) else ""


def show(folder: Path, count: int) -> int:
    """Print the newest `count` mails of the file outbox: headers and plain text."""
    files = sorted(folder.glob("*.eml"), key=lambda path: (path.stat().st_mtime, path.name))[-count:]
    if not files:
        print(f"No mail in {folder} yet.")
        return 0
    for path in files:
        with path.open("rb") as handle:
            message = BytesParser(policy=policy.default).parse(handle)
        assert isinstance(message, EmailMessage)
        print(f"=== {path}")
        for header in ("Date", "From", "To", "Subject", "Message-ID"):
            print(f"{header}: {message.get(header, '')}")
        print()
        print(_text_of(message).replace("\u2060", "").rstrip())
        print()
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(
        prog="python -m jobs.mailer", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--once", action="store_true", help="run one round, then exit")
    parser.add_argument(
        "--show",
        nargs="?",
        type=int,
        const=5,
        metavar="N",
        help="print the newest N (default 5) mails written to $KOPRA_DATA_DIR/outbox/, then exit",
    )
    args = parser.parse_args()
    if args.show is not None:
        settings = load_settings()
        return show(settings.mail_outbox_dir, max(1, args.show))
    configure("mailer")
    poll_s = seconds_setting("KOPRA_MAIL_POLL_S", POLL_S)
    settings = load_settings()
    transport = mailer.transport_from_settings(settings)
    wiring = prepared(settings)
    store, worker, portal = wiring.store, worker_name(), portal_url(settings)
    stopping = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stopping.set())
    signal.signal(signal.SIGINT, lambda *_: stopping.set())
    log_event("mailer_started", worker=worker, transport=transport.description, poll_s=poll_s)
    if settings.production and not settings.smtp_url:
        log_event("mailer_without_server", detail="KOPRA_SMTP_URL is not set: notification email goes to files only")
    failed = False
    while True:
        failed = False
        try:
            handled = run_round(store, transport, worker=worker, portal=portal)
        except Exception as exc:  # the store is away, say: keep going, leases make the next round safe
            log_event("mailer_round_failed", error=f"{type(exc).__name__}: {exc}"[:500])
            handled, failed = 0, True
        if args.once or stopping.is_set():
            break
        if handled < mailer.BATCH:  # a full batch means more are probably due: go on at once
            stopping.wait(poll_s)
        if stopping.is_set():
            break
    log_event("mailer_stopped", worker=worker)
    wiring.close()
    return 1 if args.once and failed else 0


if __name__ == "__main__":
    run_command(main)
