"""Emails queued for new notifications, in the transaction that wrote them.

`queue_mails` gives each new notification one `NotificationMail` when its user has a verified address
(`email` and `email_verified_at` set) and chose its kind for email (`email_kinds`): due at once, or,
for a user who chose the daily digest, at the digest time: the next opening of the company's open
warehouses (`digest_due_at`). Sending is the mailer's (core.notifications.mailer); the mail row is
unique per notification, so it is queued exactly once.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import and_, insert, literal_column, select
from sqlalchemy.orm import Session

from core.domain import MailStatus, NotificationKind, WarehouseStatus
from core.formats import DEFAULT_TIME_ZONE
from core.notifications.kinds import KINDS
from core.store.models import Notification, Warehouse, mails_t, preferences_t
from core.warehouses.business_time import OperatingCalendar, is_open, next_opening
from core.warehouses.operations import calendar_of

#: Ids read at once (SQLite takes at most 32,766 parameters in one statement).
CHUNK = 5000
#: When a company has no open warehouse, its digest goes at this local time (WIB).
FALLBACK_DIGEST_TIME = time(8)


def email_kinds(raw: str | None) -> frozenset[NotificationKind]:
    """The kinds a preference's comma-separated `email_kinds` names (unknown values are ignored)."""
    values = {part.strip() for part in (raw or "").split(",")}
    return frozenset(NotificationKind(value) for value in values if value in NotificationKind.__members__)


def next_opening_after(calendar: OperatingCalendar, now: datetime) -> datetime:
    """The warehouse's next opening strictly after `now`: today's if it has not opened yet, else the
    next working day's (a warehouse open now has already opened today)."""
    start = next_opening(calendar, now)
    if start > now or not is_open(calendar, now):
        return start
    zone = ZoneInfo(calendar.time_zone)
    closing = datetime.combine(now.astimezone(zone).date(), calendar.closes, zone)
    return next_opening(calendar, closing)


def digest_due_at(session: Session, company_id: int, now: datetime) -> datetime:
    """When a digest user of the company gets what arrived after `now`: the earliest next opening of its
    open warehouses (the working day starts), or 08:00 WIB tomorrow-or-today when it has none."""
    warehouses = session.scalars(
        select(Warehouse).where(Warehouse.company_id == company_id, Warehouse.status == WarehouseStatus.OPEN)
    ).all()
    times = []
    for warehouse in warehouses:
        try:
            times.append(next_opening_after(calendar_of(session, warehouse), now))
        except ValueError:  # a calendar that never opens: the other warehouses decide
            continue
    if times:
        return min(times)
    zone = ZoneInfo(DEFAULT_TIME_ZONE)
    local = now.astimezone(zone)
    due = datetime.combine(local.date(), FALLBACK_DIGEST_TIME, zone)
    return due if due > now else due + timedelta(days=1)


def _chunks(ids: list[int]) -> Iterable[list[int]]:
    for start in range(0, len(ids), CHUNK):
        yield ids[start : start + CHUNK]


def queue_mails(session: Session, notification_ids: Iterable[int], now: datetime) -> int:
    """Queue the email of each of these (new) notifications whose user wants it by email; returns how
    many were queued. In the caller's transaction, beside the notifications themselves."""
    ids = sorted(set(notification_ids))
    rows: list[Any] = []
    for chunk in _chunks(ids):
        rows += session.execute(
            select(
                Notification.id,
                Notification.user_id,
                Notification.company_id,
                Notification.kind,
                *email_choice(),
            ).where(Notification.id.in_(chunk))
        ).all()
    return queue_new(session, rows, now)


_p = preferences_t.c


def email_choice() -> list[Any]:
    """The email choice of a notification's user, where they verified an address: (kinds, digest), each
    None when they did not. Columns for a notifications INSERT's RETURNING (so a new notification comes
    back with what `queue_new` needs) or for a SELECT of notifications. The notification's user is named
    as text: SQLAlchemy does not correlate a subquery in RETURNING, and SQLite takes RETURNING's own
    columns unqualified."""
    verified = and_(
        _p.user_id == literal_column("notifications.user_id"), _p.email.is_not(None), _p.email_verified_at.is_not(None)
    )
    return [
        select(_p.email_kinds).where(verified).scalar_subquery().label("email_kinds"),
        select(_p.digest).where(verified).scalar_subquery().label("digest"),
    ]


def queue_new(session: Session, notifications: Iterable[Any], now: datetime) -> int:
    """`queue_mails` for notifications the caller has just written, as (id, user_id, company_id, kind,
    email_kinds, digest) rows: what their INSERT returned, with `email_choice`."""
    digest_times: dict[int, datetime] = {}
    mails = []
    for notification_id, user_id, company_id, kind, chosen, digest in notifications:
        kind = NotificationKind(kind)
        if chosen is None or not KINDS[kind].by_email or kind not in email_kinds(chosen):
            continue
        if digest and company_id not in digest_times:
            digest_times[company_id] = digest_due_at(session, company_id, now)
        mails.append(
            {
                "notification_id": notification_id,
                "user_id": user_id,
                "status": MailStatus.PENDING.value,
                "digest": bool(digest),
                "due_at": digest_times[company_id] if digest else now,
                "attempts": 0,
                "created_at": now,
            }
        )
    if mails:
        session.execute(insert(mails_t), mails)
    return len(mails)
