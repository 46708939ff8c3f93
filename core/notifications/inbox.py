"""The acting user's notifications in the portal: how many are unread (the bell on every page), the
newest ones (the Notifications page), and marking them read.

Every user has an inbox of their own, whatever their role: each service works on the acting user's
rows only (and their company's), so another user's notification is "not found" here, never shown,
counted or marked. What a notification says comes from core.notifications.kinds (its title and its
sentence, built from the facts it was written with, in the reader's language when it is read: the rows
keep only the kind and the facts); the rows themselves are written where the thing happened
(core.notifications.notify, the scheduler's warnings).

Every service is one unit of work through `acting`; the reads take no write lock.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, func, select, update

from core.acting import Actor, acting
from core.domain import NotificationKind, Role
from core.errors import NotFound
from core.i18n import N_
from core.notifications import kinds
from core.store.database import Store, rowcount
from core.store.models import Notification, Order
from core.warehouses.records import company_time_zone

log = logging.getLogger("kopra.notifications")

#: Every seller's staff member has an inbox: Product Managers hear of orders, money and stock,
#: System Administrators of warehouse closures and the payout account.
EVERYONE = (Role.SYSTEM_ADMINISTRATOR, Role.PRODUCT_MANAGER)
SEE = N_("see your notifications")
MARK = N_("mark your notifications read")
#: The most a page asks for at once.
MAX_RECENT = 200
NOT_FOUND = N_("This notification was not found among yours.")


@dataclass(frozen=True)
class NotificationView:
    """One notification as the Notifications page shows it."""

    id: int
    kind: NotificationKind
    title: str  # a short label of its kind, in the reader's language
    sentence: str  # plain text in the reader's language: it may quote what someone typed (a product's name)
    order_number: str | None  # the order it is about, if any
    created_at: datetime
    read: bool
    time_zone: str  # the company's zone, for showing created_at


def _mine(actor: Actor):
    """The acting user's own rows (and their company's: a forged actor finds nothing)."""
    return and_(Notification.user_id == actor.user_id, Notification.company_id == actor.company_id)


def _facts(raw: str | None, notification_id: int) -> dict[str, Any]:
    """The facts a notification was written with; a row whose facts cannot be read still shows."""
    try:
        facts = json.loads(raw or "{}")
    except ValueError:
        log.warning("notification %s has facts that are not JSON", notification_id)
        return {}
    return facts if isinstance(facts, dict) else {}


def unread_count(store: Store, actor: Actor, *, now: datetime) -> int:
    """How many of the acting user's notifications are not read yet (the bell)."""
    with acting(store, actor, *EVERYONE, doing=SEE, now=now, write=False) as (session, _, _now):
        query = select(func.count()).select_from(Notification).where(_mine(actor), Notification.read_at.is_(None))
        return session.scalar(query) or 0


def recent(store: Store, actor: Actor, *, now: datetime, limit: int = 50) -> list[NotificationView]:
    """The acting user's newest notifications, newest first, read or not, each with its sentence."""
    limit = max(1, min(int(limit), MAX_RECENT))
    with acting(store, actor, *EVERYONE, doing=SEE, now=now, write=False) as (session, _, _now):
        rows = session.execute(
            select(Notification, Order.order_number)
            .outerjoin(Order, and_(Order.id == Notification.order_id, Order.company_id == actor.company_id))
            .where(_mine(actor))
            .order_by(Notification.created_at.desc(), Notification.id.desc())
            .limit(limit)
        ).all()
        zone = company_time_zone(session, actor.company_id) if rows else ""
        return [
            NotificationView(
                id=row.id,
                kind=row.kind,
                title=kinds.title(row.kind),
                sentence=kinds.sentence(row.kind, _facts(row.facts, row.id), number),
                order_number=number,
                created_at=row.created_at,
                read=row.read_at is not None,
                time_zone=zone,
            )
            for row, number in rows
        ]


def mark_read(store: Store, actor: Actor, notification_id: int, *, now: datetime) -> None:
    """Mark one of the acting user's notifications read (again: no change). NotFound for anyone else's."""
    with acting(store, actor, *EVERYONE, doing=MARK, now=now) as (session, _, now):
        found = session.scalar(select(Notification.id).where(_mine(actor), Notification.id == int(notification_id)))
        if found is None:
            raise NotFound(NOT_FOUND)
        session.execute(
            update(Notification)
            .where(Notification.id == found, Notification.read_at.is_(None))
            .values(read_at=now)
            .execution_options(synchronize_session=False)
        )


def mark_all_read(store: Store, actor: Actor, *, now: datetime, newest_seen: int | None = None) -> int:
    """Mark every unread notification of the acting user read; returns how many. With `newest_seen`
    (the newest notification the page showed), one that arrived after it stays unread."""
    with acting(store, actor, *EVERYONE, doing=MARK, now=now) as (session, _, now):
        condition = [_mine(actor), Notification.read_at.is_(None)]
        if newest_seen is not None:
            condition.append(Notification.id <= int(newest_seen))
        result = session.execute(
            update(Notification).where(*condition).values(read_at=now).execution_options(synchronize_session=False)
        )
        return rowcount(result)
