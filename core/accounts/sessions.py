"""Login sessions: a row in the store per login; the browser holds only opaque random tokens whose
SHA-256 the row keeps. Logout, a password change, a lockout, a block, a deletion or the company
losing its whitelisting end a session; so do the idle timeout and the absolute lifetime. The user
and the company are reloaded on every check, so a change by the bank takes effect at the user's
next click.

A session has two tokens. The browser tab that logged in holds the session's token in memory; the
HttpOnly cookie, which lets a reload or a second tab find the login again, holds a token of its own.
The server sets that cookie (app/server.py, POST /session/open) in exchange for a one-time ticket
that lives a minute, so no script on the page ever sees a token the cookie carries.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from core.accounts import audit
from core.accounts.policy import (
    BLOCKED_MESSAGE,
    NOT_WHITELISTED_MESSAGE,
    SESSION_ENDED,
    TOUCH_INTERVAL,
    USER_GONE,
    AccountPolicy,
    idle_message,
    lifetime_message,
)
from core.acting import Actor, actor_of
from core.clock import require_aware
from core.config import Settings
from core.domain import UserStatus
from core.i18n import Message, gettext
from core.store.database import Store, rowcount
from core.store.models import Company, LoginSession, User


@dataclass(frozen=True)
class SessionCheck:
    """The state of a browser's session on this request."""

    actor: Actor | None = None
    must_change_password: bool = False
    expires_at: datetime | None = None
    #: Why a session that the browser held no longer works (None if there was none to end), in the
    #: reader's language (core.i18n.using) at the time of the check.
    ended_message: str | None = None


def token_hash(token: str) -> str:
    """What the store keeps of a session token: its SHA-256, so a copy of the store logs nobody in."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def revoke_user_sessions(session: Session, user_id: int, now: datetime, reason: str) -> int:
    """End every open session of a user (block, delete, reset, password change). Returns how many."""
    result = session.execute(
        update(LoginSession)
        .where(LoginSession.user_id == user_id, LoginSession.revoked_at.is_(None))
        .values(revoked_at=now, revoked_reason=reason[:64])
    )
    return rowcount(result) or 0


def open_session(session: Session, user: User, now: datetime, policy: AccountPolicy) -> tuple[str, LoginSession]:
    token = secrets.token_urlsafe(32)
    row = LoginSession(
        token_hash=token_hash(token),
        user_id=user.id,
        created_at=now,
        last_seen_at=now,
        expires_at=now + policy.session_lifetime,
    )
    session.add(row)
    return token, row


# --- Sessions ----------------------------------------------------------------------------------


def _end_reason(
    row: LoginSession, user: User | None, company: Company | None, now: datetime, policy: AccountPolicy
) -> tuple[str, Message] | None:
    """(revoked_reason, message) if this session may not go on, else None."""
    # Who may no longer act comes first, so a locked-out user is told they are blocked.
    if user is None or user.deleted_at is not None:
        return "user deleted", Message(USER_GONE)
    if user.status == UserStatus.BLOCKED:
        return "user blocked", Message(BLOCKED_MESSAGE)
    if company is None or not company.is_whitelisted:
        return "company not whitelisted", Message(NOT_WHITELISTED_MESSAGE)
    if row.revoked_at is not None:
        return row.revoked_reason or "revoked", Message(SESSION_ENDED)
    if now >= row.expires_at:
        return "lifetime over", lifetime_message(policy)
    if now - row.last_seen_at > policy.session_idle:
        return "idle", idle_message(policy)
    return None


def check_session(store: Store, token: str | None, now: datetime, settings: Settings | None = None) -> SessionCheck:
    """Resolve a browser's session token to the acting user, reloaded from the store.

    Ends the session (in the store) when it may not go on, and says why. Marks it as seen at
    most once per TOUCH_INTERVAL, so ordinary reruns only read.
    """
    now = require_aware(now)
    if not token:
        return SessionCheck()
    policy = AccountPolicy.of(settings)
    with store.reading() as session:
        row = _session_of(session, token)
        if row is None:
            return SessionCheck(ended_message=gettext(SESSION_ENDED))
        user = session.get(User, row.user_id)
        company = session.get(Company, user.company_id) if user is not None else None
        ending = _end_reason(row, user, company, now, policy)
        if ending is None:
            assert user is not None and company is not None  # _end_reason ends a session without either
            actor = actor_of(user, company)
            must_change, expires_at = user.must_change_password, row.expires_at
            stale = now - row.last_seen_at >= TOUCH_INTERVAL
    if ending is not None:
        reason, message = ending
        if row.revoked_at is None:
            _revoke(store, row.id, now, reason)
        return SessionCheck(ended_message=message.render())
    if stale:
        with store.transaction() as session:
            session.execute(
                update(LoginSession)
                .where(LoginSession.id == row.id, LoginSession.last_seen_at < now)
                .values(last_seen_at=now)
            )
    return SessionCheck(actor=actor, must_change_password=must_change, expires_at=expires_at)


def actor_for_session(store: Store, token: str | None, now: datetime, settings: Settings | None = None) -> Actor | None:
    """The acting user of a session, or None if the session is unknown, ended, timed out, or its
    user or company may no longer use the service (see check_session)."""
    return check_session(store, token, now, settings).actor


def _revoke(store: Store, session_id: int, now: datetime, reason: str) -> None:
    with store.transaction() as session:
        session.execute(
            update(LoginSession)
            .where(LoginSession.id == session_id, LoginSession.revoked_at.is_(None))
            .values(revoked_at=now, revoked_reason=reason[:64])
        )


def _session_of(session: Session, token: str) -> LoginSession | None:
    """The session a tab's token or a cookie's token belongs to."""
    digest = token_hash(token)
    return session.scalar(
        select(LoginSession).where(or_(LoginSession.token_hash == digest, LoginSession.cookie_token_hash == digest))
    )


def logout(store: Store, token: str | None, now: datetime) -> None:
    """End the session of this token (the tab's or the cookie's), if it is still open, and record
    the logout."""
    now = require_aware(now)
    if not token:
        return
    with store.transaction() as session:
        row = _session_of(session, token)
        if row is None or row.revoked_at is not None:
            return
        row.revoked_at, row.revoked_reason = now, "logout"
        user = session.get_one(User, row.user_id)
        audit.record_by_user(session, user, now, "logout")


# --- The HttpOnly cookie: a one-time ticket for a token of its own ------------------------------

#: How long the tab has to exchange its ticket for the cookie.
TICKET_LIFETIME = timedelta(minutes=1)


@dataclass(frozen=True)
class CookieGrant:
    """What the server sets as the session cookie, and until when."""

    token: str
    expires_at: datetime


def issue_cookie_ticket(store: Store, token: str, now: datetime) -> str | None:
    """A one-time ticket for the cookie of the session this tab's `token` opened, valid for
    TICKET_LIFETIME; a newer ticket replaces an older one. None if the session is not open."""
    now = require_aware(now)
    ticket = secrets.token_urlsafe(32)
    with store.transaction() as session:
        result = session.execute(
            update(LoginSession)
            .where(LoginSession.token_hash == token_hash(token), LoginSession.revoked_at.is_(None))
            .values(ticket_hash=token_hash(ticket), ticket_expires_at=now + TICKET_LIFETIME)
        )
    return ticket if rowcount(result) == 1 else None


def redeem_cookie_ticket(store: Store, ticket: str, now: datetime) -> CookieGrant | None:
    """Exchange a ticket, once, for the cookie's token (a new one each time, its hash kept on the
    session). None if the ticket is unknown, used, expired, or its session has ended."""
    now = require_aware(now)
    if not ticket:
        return None
    cookie_token = secrets.token_urlsafe(32)
    with store.transaction() as session:
        row = session.scalar(
            select(LoginSession).where(LoginSession.ticket_hash == token_hash(ticket)).with_for_update()
        )
        if row is None:
            return None
        fresh = row.ticket_expires_at is not None and now < row.ticket_expires_at
        row.ticket_hash, row.ticket_expires_at = None, None  # used or not, it never works twice
        if not fresh or row.revoked_at is not None or now >= row.expires_at:
            return None
        row.cookie_token_hash = token_hash(cookie_token)
        return CookieGrant(cookie_token, row.expires_at)
