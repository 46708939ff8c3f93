"""Guessing at the door, slowed down without telling who exists.

- **Per client address.** Every refused login from one address counts; after FREE_FAILURES in a
  window of WINDOW, the address must wait before its next try, twice as long after each further
  failure (1 s, 2 s, 4 s, … at most MAX_WAIT). While it waits, a try is refused without looking at
  the IDs or the password, so it counts towards no user's lockout: one anonymous person cannot lock
  out a whole company cheaply. Each wait is in the audit log. A connection from this machine itself
  (no address) is not throttled: in production a proxy in front forwards each client's address
  (X-Forwarded-For, which the UI server trusts from 127.0.0.1 only).
- **Per typed pair that names nobody.** A Company ID + User ID that names no user is counted like a
  real user's wrong passwords and answers "blocked" from the LOCKOUT_THRESHOLD-th try on, as a real
  user would: the lockout no longer tells which users exist. Only the pair's SHA-256 is kept.
- **Administrators are told.** `recent_lockouts` lists the company's users blocked by wrong
  passwords lately, with when and from where, for the System Administrator's pages.
"""

from __future__ import annotations

import hashlib
import json
import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.accounts import audit
from core.accounts.policy import LOCKOUT_THRESHOLD
from core.acting import Actor, acting
from core.domain import ActorKind, Role
from core.formats import format_duration
from core.i18n import N_, _, _n
from core.store.database import Store
from core.store.models import AuditEntry, LoginThrottle, UnknownLogin
from core.warehouses.records import company_time_zone

FREE_FAILURES = 10
WINDOW = timedelta(minutes=15)
MAX_WAIT = timedelta(minutes=15)


def wait_before_trying(session: Session, address: str | None, now: datetime) -> timedelta | None:
    """How long this address must still wait before a login is looked at, or None."""
    if not address:
        return None
    row = session.get(LoginThrottle, address[:64])
    if row is None or row.next_allowed_at is None or row.next_allowed_at <= now:
        return None
    return row.next_allowed_at - now


def throttled_message(wait: timedelta) -> str:
    """Why a login from this address is not looked at now, in the reader's language."""
    seconds = max(1, math.ceil(wait.total_seconds()))
    if seconds >= 60:
        return _(
            "Too many unsuccessful logins from your connection. Please wait {wait} and try again.",
            wait=format_duration(wait),
        ).render()
    return _n(
        "Too many unsuccessful logins from your connection. Please wait {count} second and try again.",
        "Too many unsuccessful logins from your connection. Please wait {count} seconds and try again.",
        seconds,
    ).render()


def count_refusal(session: Session, address: str | None, now: datetime) -> None:
    """One more refused login from `address`; past FREE_FAILURES in the window it must wait."""
    if not address:
        return
    key = address[:64]
    row = session.get(LoginThrottle, key, with_for_update=True)
    if row is None:
        row = LoginThrottle(address=key, failures=0, window_started_at=now, next_allowed_at=None)
        session.add(row)
    elif now - row.window_started_at > WINDOW and (row.next_allowed_at is None or row.next_allowed_at <= now):
        row.failures, row.window_started_at = 0, now  # a quiet address starts a fresh window
    row.failures += 1
    beyond = row.failures - FREE_FAILURES
    if beyond > 0:
        wait = min(timedelta(seconds=2 ** (beyond - 1)), MAX_WAIT)
        row.next_allowed_at = now + wait


def record_throttled(session: Session, address: str | None, now: datetime, wait: timedelta) -> None:
    audit.record(
        session,
        at=now,
        actor_kind=ActorKind.USER,
        actor=None,
        company_id=None,
        action="login.throttled",
        details={"address": address, "wait_s": int(wait.total_seconds())},
    )


def _pair_hash(company_code: str, user_code: str) -> str:
    typed = f"{company_code.strip().lower()}\x00{user_code.strip().lower()}"
    return hashlib.sha256(typed.encode("utf-8")).hexdigest()


def count_unknown_pair(session: Session, company_code: str, user_code: str, now: datetime) -> bool:
    """One more wrong login for a pair that names nobody; True once it answers "blocked"."""
    key = _pair_hash(company_code, user_code)
    row = session.get(UnknownLogin, key, with_for_update=True)
    if row is None:
        row = UnknownLogin(pair_hash=key, failures=0, last_at=now)
        session.add(row)
    row.failures += 1
    row.last_at = now
    return row.failures >= LOCKOUT_THRESHOLD


@dataclass(frozen=True)
class Lockout:
    """A user of the company blocked after wrong passwords."""

    user: str  # "ACME01/rina"
    at: datetime
    address: str | None
    time_zone: str  # where `at` is shown: the company's first warehouse's zone, else WIB


def recent_lockouts(store: Store, actor: Actor, now: datetime, *, days: int = 7) -> list[Lockout]:
    """The company's lockouts of the last `days`, newest first, for its System Administrators."""
    with acting(store, actor, Role.SYSTEM_ADMINISTRATOR, doing=N_("see lockouts"), now=now, write=False) as (
        session,
        _,
        now,
    ):
        rows = session.scalars(
            select(AuditEntry)
            .where(
                AuditEntry.company_id == actor.company_id,
                AuditEntry.action == "login.lockout",
                AuditEntry.at >= now - timedelta(days=days),
            )
            .order_by(AuditEntry.at.desc(), AuditEntry.id.desc())
            .limit(20)
        ).all()
        zone = company_time_zone(session, actor.company_id)
        return [Lockout(row.actor or "", row.at, _detail(row, "address"), zone) for row in rows]


def _detail(entry: AuditEntry, key: str) -> str | None:
    details = json.loads(entry.details) if entry.details else {}
    value = details.get(key)
    return str(value) if value is not None else None
