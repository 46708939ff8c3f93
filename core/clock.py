"""The one place that reads the wall clock. Rules never call it: they take `now` as an argument,
so tests and the scheduler's `--now` can move time. Only entry points (pages, jobs) call utc_now()."""

from __future__ import annotations

from datetime import UTC, datetime


def utc_now() -> datetime:
    return datetime.now(UTC)


def require_aware(value: datetime, name: str = "now") -> datetime:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware, got {value!r}")
    return value.astimezone(UTC)
