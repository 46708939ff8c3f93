"""One JSON line for each thing the people running the portal need to see: a request's outcome, a
login attempt, an error. Each line carries the time (UTC), the event, the process and the id of
the request or script run it belongs to (`REQUEST_ID`), so the lines of one request can be found
together. Nothing that looks like a secret is ever written: keys that look like a password, a
token or a hash are dropped (the audit log refuses the same keys).
"""

from __future__ import annotations

import json
import logging
import sys
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any

from core.accounts.audit import SECRET_KEY_FRAGMENTS

#: The request or script run the current code works for ("req-…", "run-…"), set by the entry point.
REQUEST_ID: ContextVar[str | None] = ContextVar("kopra_request_id", default=None)

EVENTS = "kopra.events"


class JsonLines(logging.Formatter):
    """Formats a record whose message is a dict as one JSON line, with the record's time in UTC."""

    def __init__(self, process: str) -> None:
        super().__init__()
        self.process = process

    def format(self, record: logging.LogRecord) -> str:
        fields = record.msg if isinstance(record.msg, dict) else {"message": record.getMessage()}
        stamp = datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds")
        line = {"ts": stamp, "level": record.levelname.lower(), "process": self.process, **fields}
        return json.dumps(line, default=str, ensure_ascii=False)


def configure(process: str) -> None:
    """Send the event lines of this process (the UI, the scheduler, a command) to standard output."""
    logger = logging.getLogger(EVENTS)
    if any(isinstance(h.formatter, JsonLines) for h in logger.handlers):
        return
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(JsonLines(process))
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    logger.propagate = False


def _safe(key: str) -> bool:
    lowered = key.lower()
    return not any(fragment in lowered for fragment in SECRET_KEY_FRAGMENTS)


def log_event(event: str, *, level: int = logging.INFO, **fields: Any) -> None:
    """One line: `event`, the current request id, and `fields` without any that look like secrets."""
    line = {"event": event, "request_id": REQUEST_ID.get(), **{k: v for k, v in fields.items() if _safe(k)}}
    logging.getLogger(EVENTS).log(level, line)
