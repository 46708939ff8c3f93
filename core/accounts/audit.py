"""The audit log: who did what, when, to what — logins, logouts, password changes and every
back-office action of the bank.

An entry is written inside the caller's unit of work, so it commits (or rolls back) together
with the change it describes. Times are UTC. Details are JSON and must never carry a secret:
`record` refuses keys that look like one (a password, a token, a hash), because a log is read by
more people than the store and is kept longer.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.acting import Actor
from core.clock import require_aware
from core.domain import ActorKind
from core.store.models import AuditEntry, User

#: Fragments of detail keys that would hold a secret; such a key is a programming error.
SECRET_KEY_FRAGMENTS = ("password", "token", "secret", "hash", "one_time")


class SecretInAuditLog(ValueError):
    """Someone tried to put a secret into the audit log."""


def _details_json(details: dict[str, Any] | None) -> str | None:
    if not details:
        return None
    for key in details:
        lowered = str(key).lower()
        if any(fragment in lowered for fragment in SECRET_KEY_FRAGMENTS):
            raise SecretInAuditLog(f"audit details may not hold {key!r}: it looks like a secret")
    return json.dumps(details, sort_keys=True, default=str, ensure_ascii=False)


def record(
    session: Session,
    *,
    at: datetime,
    actor_kind: ActorKind,
    actor: str | None,
    company_id: int | None,
    action: str,
    target: str | None = None,
    details: dict[str, Any] | None = None,
) -> AuditEntry:
    """Add one entry to the audit log in the caller's unit of work."""
    entry = AuditEntry(
        at=require_aware(at, "at"),
        actor_kind=actor_kind,
        actor=actor[:200] if actor else actor,
        company_id=company_id,
        action=action,
        target=target[:200] if target else target,
        details=_details_json(details),
    )
    session.add(entry)
    return entry


@dataclass(frozen=True)
class AuditRecord:
    """One audit entry as read back, with its details decoded."""

    at: datetime
    actor_kind: ActorKind
    actor: str | None
    company_id: int | None
    action: str
    target: str | None
    details: dict[str, Any]


def entries(
    session: Session, *, company_id: int | None = None, action_prefix: str | None = None, limit: int = 200
) -> list[AuditRecord]:
    """The newest entries first, optionally of one company and/or one family of actions
    (e.g. "login."). For the back office and for tests; sellers never read the audit log."""
    query = select(AuditEntry).order_by(AuditEntry.id.desc()).limit(limit)
    if company_id is not None:
        query = query.where(AuditEntry.company_id == company_id)
    if action_prefix:
        query = query.where(AuditEntry.action.startswith(action_prefix, autoescape=True))
    return [
        AuditRecord(
            e.at, e.actor_kind, e.actor, e.company_id, e.action, e.target, json.loads(e.details) if e.details else {}
        )
        for e in session.scalars(query)
    ]


def record_by_user(session: Session, user: User, now: datetime, action: str, **details: Any) -> AuditEntry:
    """An entry whose actor is a seller's user (logins, logouts, password changes)."""
    return record(
        session,
        at=now,
        actor_kind=ActorKind.USER,
        actor=f"{user.company.company_code}/{user.user_code}",
        company_id=user.company_id,
        action=action,
        details=details or None,
    )


def record_by_actor(
    session: Session, actor: Actor, now: datetime, action: str, target: str, **details: Any
) -> AuditEntry:
    """An entry for what a service did for the acting user, to `target` ("warehouse JKT-01")."""
    return record(
        session,
        at=now,
        actor_kind=ActorKind.USER,
        actor=actor.label,
        company_id=actor.company_id,
        action=action,
        target=target,
        details=details or None,
    )
