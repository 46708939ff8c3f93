"""Logging in with Company ID + User ID + Password, and the lockout.

Why this is ours and not streamlit-authenticator's: its login form has two fields, its
failed-attempt counter lives in memory, its cookie is a forgeable JWT of the username that
survives logout, and unknown users answer faster than known ones. Here failed passwords are
counted per user in the store (the fifth in a row blocks the user), and unknown company, unknown
user and wrong password answer with the same sentence and spend the same bcrypt work, so neither
the text nor the time tells which companies or users exist; a pair that names nobody is blocked at
the fifth try like a real user. Refused logins are counted per client address too, which must then
wait (core.accounts.throttle). Passwords are only ever hashed (core.accounts.hashing); nothing here
logs one. Every rule takes `now` (an aware datetime). Each attempt is one JSON log line (core.logs).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core.accounts import audit
from core.accounts.hashing import burn_verification_time, verify_password
from core.accounts.policy import (
    BLOCKED_MESSAGE,
    INVALID_CREDENTIALS,
    LOCKOUT_THRESHOLD,
    MAX_COMPANY_CODE,
    MAX_USER_CODE,
    MISSING_FIELDS,
    NOT_WHITELISTED_MESSAGE,
    AccountPolicy,
    password_expired,
)
from core.accounts.sessions import open_session, revoke_user_sessions
from core.accounts.throttle import (
    count_refusal,
    count_unknown_pair,
    record_throttled,
    throttled_message,
    wait_before_trying,
)
from core.acting import Actor, actor_of
from core.clock import require_aware
from core.config import Settings
from core.domain import ActorKind, UserStatus
from core.i18n import gettext
from core.logs import log_event
from core.store.database import Store
from core.store.models import Company, User
from core.text import lookup_text


@dataclass(frozen=True)
class LoginResult:
    """What a login attempt gave: a session token, or the sentence to show instead (in the reader's
    language, core.i18n.using, at the time of the attempt)."""

    token: str | None = None
    message: str | None = None
    must_change_password: bool = False
    expires_at: datetime | None = None
    actor: Actor | None = None
    #: Why it was refused, for the log line (English, never shown).
    reason: str | None = None

    @property
    def ok(self) -> bool:
        return self.token is not None


def _refused(said: str) -> LoginResult:
    """A refusal saying `said` (one of core.accounts.policy's sentences) in the reader's language."""
    return LoginResult(message=gettext(said), reason=_reason(said))


def find_company(session: Session, company_code: str) -> Company | None:
    """Company IDs are matched without regard to case, as people type them. An ID no company can
    have (a control or invisible character, too long) is simply not found."""
    code = lookup_text(company_code, max_length=MAX_COMPANY_CODE)
    if code is None:
        return None
    return session.scalar(select(Company).where(func.lower(Company.company_code) == code.lower()))


def find_user(session: Session, company: Company, user_code: str) -> User | None:
    """User IDs are matched without regard to case (the back office refuses look-alike IDs). An ID
    no user can have is simply not found."""
    code = lookup_text(user_code, max_length=MAX_USER_CODE)
    if code is None:
        return None
    return session.scalar(select(User).where(User.company_id == company.id, func.lower(User.user_code) == code.lower()))


def count_failed_password(session: Session, user: User, now: datetime, where: str, address: str | None = None) -> bool:
    """One more wrong password in a row; the LOCKOUT_THRESHOLD-th blocks the user and ends their
    sessions (the company's administrators see it: core.accounts.throttle.recent_lockouts). Returns
    True if the user is now blocked."""
    user.failed_login_count += 1
    if user.failed_login_count >= LOCKOUT_THRESHOLD:
        user.status = UserStatus.BLOCKED
        revoke_user_sessions(session, user.id, now, "locked out")
        audit.record_by_user(
            session,
            user,
            now,
            "login.lockout",
            where=where,
            consecutive_failures=user.failed_login_count,
            **({"address": address} if address else {}),
        )
        return True
    audit.record_by_user(
        session,
        user,
        now,
        "login.failure",
        where=where,
        reason="wrong password",
        consecutive_failures=user.failed_login_count,
    )
    return False


# --- Login -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Candidate:
    """The user a login names, read before bcrypt runs (bcrypt never runs inside a write lock)."""

    company_id: int | None
    user_id: int | None
    password_hash: str | None


def _find_candidate(store: Store, company_code: str, user_code: str) -> _Candidate:
    with store.reading() as session:
        company = find_company(session, company_code)
        if company is None:
            return _Candidate(None, None, None)
        user = find_user(session, company, user_code)
        if user is None or user.deleted_at is not None:
            return _Candidate(company.id, None, None)
        return _Candidate(company.id, user.id, user.password_hash)


def login(
    store: Store,
    company_code: str,
    user_code: str,
    password: str,
    now: datetime,
    settings: Settings | None = None,
    *,
    address: str | None = None,
) -> LoginResult:
    """Check a Company ID + User ID + Password and open a session, or say why not.

    The password is used exactly as typed (whitespace included). Unknown company, unknown user
    and wrong password give the same sentence after the same bcrypt work, and the fifth try of a
    pair that names nobody answers "blocked" as a real user's would; a blocked user gets the blocked
    sentence whether the password was right or not; a company that is not whitelisted is told so
    only once the password is right (so the answer reveals nothing to someone guessing). `address`
    is the client's (None: this machine); an address that must wait is refused before anything else.
    """
    now = require_aware(now)
    policy = AccountPolicy.of(settings)
    if not company_code.strip() or not user_code.strip() or not password:
        return _refused(MISSING_FIELDS)
    with store.reading() as session:
        wait = wait_before_trying(session, address, now)
    if wait is not None:
        with store.transaction() as session:
            record_throttled(session, address, now, wait)
        log_event("login", outcome="throttled", address=address, wait_s=int(wait.total_seconds()))
        return LoginResult(message=throttled_message(wait), reason="throttled")
    candidate = _find_candidate(store, company_code, user_code)
    if candidate.user_id is None:
        burn_verification_time(password)
        return _refuse_unknown(store, candidate, company_code, user_code, now, address)
    assert candidate.password_hash is not None  # read with the user's id
    password_ok = verify_password(password, candidate.password_hash)
    result = _settle_login(store, candidate, password_ok, now, policy, address)
    log_event(
        "login",
        outcome="opened" if result.ok else "refused",
        reason=None if result.ok else result.reason,
        company_id=candidate.company_id,
        user_id=candidate.user_id,
        address=address,
    )
    return result


def _reason(said: str) -> str:
    return {
        BLOCKED_MESSAGE: "blocked",
        NOT_WHITELISTED_MESSAGE: "company not whitelisted",
        MISSING_FIELDS: "missing fields",
    }.get(said, "wrong password")


def _refuse_unknown(
    store: Store, candidate: _Candidate, company_code: str, user_code: str, now: datetime, address: str | None
) -> LoginResult:
    # The typed IDs are not logged: people sometimes type their password into the wrong field.
    reason = "unknown company" if candidate.company_id is None else "unknown user"
    with store.transaction() as session:
        blocked = count_unknown_pair(session, company_code, user_code, now)
        count_refusal(session, address, now)
        audit.record(
            session,
            at=now,
            actor_kind=ActorKind.USER,
            actor=None,
            company_id=candidate.company_id,
            action="login.failure",
            details={"reason": reason, **({"address": address} if address else {})},
        )
    log_event("login", outcome="refused", reason=reason, company_id=candidate.company_id, address=address)
    return _refused(BLOCKED_MESSAGE if blocked else INVALID_CREDENTIALS)


def _settle_login(
    store: Store, candidate: _Candidate, password_ok: bool, now: datetime, policy: AccountPolicy, address: str | None
) -> LoginResult:
    with store.transaction() as session:
        # Locked, so two wrong passwords at the same moment both count.
        user = session.get(User, candidate.user_id, with_for_update=True)
        if user is None or user.deleted_at is not None or user.password_hash != candidate.password_hash:
            # The bank changed the user between our two looks: treat it as a failed attempt.
            audit.record(
                session,
                at=now,
                actor_kind=ActorKind.USER,
                actor=None,
                company_id=candidate.company_id,
                action="login.failure",
                details={"reason": "user changed during login"},
            )
            count_refusal(session, address, now)
            return _refused(INVALID_CREDENTIALS)
        if user.status == UserStatus.BLOCKED:
            audit.record_by_user(session, user, now, "login.refused", reason="user blocked")
            count_refusal(session, address, now)
            return _refused(BLOCKED_MESSAGE)
        if not password_ok:
            blocked = count_failed_password(session, user, now, where="login", address=address)
            count_refusal(session, address, now)
            return _refused(BLOCKED_MESSAGE if blocked else INVALID_CREDENTIALS)
        user.failed_login_count = 0
        company = user.company
        if not company.is_whitelisted:
            audit.record_by_user(session, user, now, "login.refused", reason="company not whitelisted")
            return _refused(NOT_WHITELISTED_MESSAGE)
        expired = password_expired(user, now, policy)
        if expired:
            user.must_change_password = True
        token, row = open_session(session, user, now, policy)
        user.last_login_at = now
        audit.record_by_user(
            session, user, now, "login.success", must_change=user.must_change_password, expired=expired
        )
        return LoginResult(
            token=token,
            must_change_password=user.must_change_password,
            expires_at=row.expires_at,
            actor=actor_of(user, company),
        )
