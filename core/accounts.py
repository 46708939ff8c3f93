"""Accounts: logging in with Company ID + User ID + Password, lockout, server-side login sessions,
the password policy and password changes, and reloading the acting user on every request.

Why this is ours and not streamlit-authenticator's: its login form has two fields, its
failed-attempt counter lives in memory, its cookie is a forgeable JWT of the username that
survives logout, and unknown users answer faster than known ones. Here:

- A login session is a row in the store; the browser only holds an opaque random token whose
  SHA-256 is the row's key. Logout, a password change, a lockout, a block, a deletion or the
  company losing its whitelisting end it; so do the idle timeout and the absolute lifetime.
- The user and the company are reloaded from the store on every check, so a change by the bank
  takes effect at the user's next click.
- Failed passwords are counted per user in the store; the fifth in a row blocks the user.
- Unknown company, unknown user and wrong password answer with the same sentence and spend the
  same bcrypt work, so neither the text nor the time tells which companies or users exist.
- Passwords are only ever hashed (core.passwords); nothing here logs one.

Every rule takes `now` (an aware datetime); only pages and jobs read the clock.
"""
from __future__ import annotations

import hashlib
import secrets
import string
from dataclasses import MISSING, dataclass, fields
from datetime import datetime, timedelta

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from core import audit
from core.access import Actor, require_role
from core.clock import require_aware
from core.config import Settings
from core.domain import ActorKind, Role, UserStatus
from core.errors import AccessDenied, InvalidInput
from core.models import Company, LoginSession, PasswordHistory, User
from core.passwords import burn_verification_time, hash_password, verify_password
from core.store import Store

# --- The rules, in one place -------------------------------------------------------------------

LOCKOUT_THRESHOLD = 5  # consecutive wrong passwords that block a user
PASSWORD_MIN_LENGTH = 10
PASSWORD_MAX_LENGTH = 256
PASSWORD_REUSE_DEPTH = 5  # a new password may not be any of the user's last 5 (the current one included)
#: last_seen_at is written at most this often, so an ordinary rerun does not write to the store.
TOUCH_INTERVAL = timedelta(seconds=60)

PASSWORD_RULES_TEXT = (
    f"At least {PASSWORD_MIN_LENGTH} characters with both letters and digits, not containing your "
    f"User ID, and not one of your last {PASSWORD_REUSE_DEPTH} passwords."
)

# --- What people are told ----------------------------------------------------------------------

INVALID_CREDENTIALS = "The Company ID, User ID or password is not correct."
BLOCKED_MESSAGE = ("Your user ID is blocked. Please contact your Relationship Manager or "
                   "Mandiri Call 14000 to reactivate it.")
NOT_WHITELISTED_MESSAGE = (
    "Your company is not registered for Kopra Partnership: only Kopra Cash Management customers "
    "on the whitelist can use it. Please contact your Relationship Manager to register."
)
MISSING_FIELDS = "Please enter your Company ID, User ID and password."
SESSION_ENDED = "Your session has ended. Please log in again."
USER_GONE = "Your user ID no longer exists. Please contact your Relationship Manager."


def _idle_message(policy: "AccountPolicy") -> str:
    minutes = int(policy.session_idle.total_seconds() // 60)
    return f"You were logged out after {minutes} minutes without activity. Please log in again."


def _lifetime_message(policy: "AccountPolicy") -> str:
    hours = int(policy.session_lifetime.total_seconds() // 3600)
    return f"Your session reached its limit of {hours} hours. Please log in again."


# --- Configuration -----------------------------------------------------------------------------

@dataclass(frozen=True)
class AccountPolicy:
    """The configurable part of the rules (see core.config for the variables)."""

    session_idle: timedelta
    session_lifetime: timedelta
    password_max_age: timedelta

    @classmethod
    def of(cls, settings: Settings | None) -> "AccountPolicy":
        """The policy of `settings`, or of the documented defaults when there are none."""
        if settings is None:
            defaults = {f.name: f.default for f in fields(Settings) if f.default is not MISSING}
            idle, lifetime, max_age = (defaults["session_idle_minutes"], defaults["session_lifetime_hours"],
                                       defaults["password_max_age_days"])
        else:
            idle, lifetime, max_age = (settings.session_idle_minutes, settings.session_lifetime_hours,
                                       settings.password_max_age_days)
        return cls(timedelta(minutes=idle), timedelta(hours=lifetime), timedelta(days=max_age))


# --- Results -----------------------------------------------------------------------------------

@dataclass(frozen=True)
class LoginResult:
    """What a login attempt gave: a session token, or the sentence to show instead."""

    token: str | None = None
    message: str | None = None
    must_change_password: bool = False
    expires_at: datetime | None = None
    actor: Actor | None = None

    @property
    def ok(self) -> bool:
        return self.token is not None


@dataclass(frozen=True)
class SessionCheck:
    """The state of a browser's session on this request."""

    actor: Actor | None = None
    must_change_password: bool = False
    expires_at: datetime | None = None
    #: Why a session that the browser held no longer works (None if there was none to end).
    ended_message: str | None = None


@dataclass(frozen=True)
class PasswordChanged:
    """A changed password ends every session of the user; this is the fresh one for the browser
    that made the change, so its user carries on without logging in again."""

    token: str
    expires_at: datetime


@dataclass(frozen=True)
class AccountSummary:
    company_code: str
    company_name: str
    user_code: str
    display_name: str
    role: Role
    last_login_at: datetime | None
    password_changed_at: datetime
    password_expires_at: datetime


# --- Small helpers -----------------------------------------------------------------------------

def token_hash(token: str) -> str:
    """What the store keeps of a session token: its SHA-256, so a copy of the store logs nobody in."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def actor_of(user: User, company: Company) -> Actor:
    return Actor(user_id=user.id, company_id=company.id, company_code=company.company_code,
                 user_code=user.user_code, role=Role(user.role), display_name=user.display_name)


def find_company(session: Session, company_code: str) -> Company | None:
    """Company IDs are matched without regard to case, as people type them."""
    code = company_code.strip().lower()
    return session.scalar(select(Company).where(func.lower(Company.company_code) == code))


def find_user(session: Session, company: Company, user_code: str) -> User | None:
    """User IDs are matched without regard to case (the back office refuses look-alike IDs)."""
    code = user_code.strip().lower()
    return session.scalar(select(User).where(User.company_id == company.id,
                                             func.lower(User.user_code) == code))


def new_one_time_password() -> str:
    """A random password for a first login or a reset, e.g. 'k7Qm-x2Rp-9dTz': easy to read out
    (no 0/O, 1/l/I), letters and digits, 71 bits of randomness."""
    alphabet = "".join(c for c in string.ascii_letters + string.digits if c not in "0O1lI")
    while True:
        chars = [secrets.choice(alphabet) for _ in range(12)]
        if any(c.isdigit() for c in chars) and any(c.isalpha() for c in chars):
            return "-".join("".join(chars[i:i + 4]) for i in (0, 4, 8))


def password_expired(user: User, now: datetime, policy: AccountPolicy) -> bool:
    return now - user.password_changed_at > policy.password_max_age


def _user_audit(session: Session, user: User, now: datetime, action: str, **details) -> None:
    audit.record(session, at=now, actor_kind=ActorKind.USER, actor=f"{user.company.company_code}/{user.user_code}",
                 company_id=user.company_id, action=action, details=details or None)


def revoke_user_sessions(session: Session, user_id: int, now: datetime, reason: str) -> int:
    """End every open session of a user (block, delete, reset, password change). Returns how many."""
    result = session.execute(
        update(LoginSession)
        .where(LoginSession.user_id == user_id, LoginSession.revoked_at.is_(None))
        .values(revoked_at=now, revoked_reason=reason[:64])
    )
    return result.rowcount or 0


def _open_session(session: Session, user: User, now: datetime, policy: AccountPolicy) -> tuple[str, LoginSession]:
    token = secrets.token_urlsafe(32)
    row = LoginSession(token_hash=token_hash(token), user_id=user.id, created_at=now, last_seen_at=now,
                       expires_at=now + policy.session_lifetime)
    session.add(row)
    return token, row


def count_failed_password(session: Session, user: User, now: datetime, where: str) -> bool:
    """One more wrong password in a row; the LOCKOUT_THRESHOLD-th blocks the user and ends their
    sessions. Returns True if the user is now blocked."""
    user.failed_login_count += 1
    if user.failed_login_count >= LOCKOUT_THRESHOLD:
        user.status = UserStatus.BLOCKED
        revoke_user_sessions(session, user.id, now, "locked out")
        _user_audit(session, user, now, "login.lockout", where=where, consecutive_failures=user.failed_login_count)
        return True
    _user_audit(session, user, now, "login.failure", where=where, reason="wrong password",
                consecutive_failures=user.failed_login_count)
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


def login(store: Store, company_code: str, user_code: str, password: str, now: datetime,
          settings: Settings | None = None) -> LoginResult:
    """Check a Company ID + User ID + Password and open a session, or say why not.

    The password is used exactly as typed (whitespace included). Unknown company, unknown user
    and wrong password give the same sentence after the same bcrypt work; a blocked user gets
    the blocked sentence whether the password was right or not; a company that is not
    whitelisted is told so only once the password is right (so the answer reveals nothing to
    someone guessing).
    """
    now = require_aware(now)
    policy = AccountPolicy.of(settings)
    if not company_code.strip() or not user_code.strip() or not password:
        return LoginResult(message=MISSING_FIELDS)
    candidate = _find_candidate(store, company_code, user_code)
    if candidate.user_id is None:
        burn_verification_time(password)
        _record_unknown_login(store, candidate, now)
        return LoginResult(message=INVALID_CREDENTIALS)
    password_ok = verify_password(password, candidate.password_hash)
    return _settle_login(store, candidate, password_ok, now, policy)


def _record_unknown_login(store: Store, candidate: _Candidate, now: datetime) -> None:
    # The typed IDs are not logged: people sometimes type their password into the wrong field.
    reason = "unknown company" if candidate.company_id is None else "unknown user"
    with store.transaction() as session:
        audit.record(session, at=now, actor_kind=ActorKind.USER, actor=None, company_id=candidate.company_id,
                     action="login.failure", details={"reason": reason})


def _settle_login(store: Store, candidate: _Candidate, password_ok: bool, now: datetime,
                  policy: AccountPolicy) -> LoginResult:
    with store.transaction() as session:
        # Locked, so two wrong passwords at the same moment both count.
        user = session.get(User, candidate.user_id, with_for_update=True)
        if user is None or user.deleted_at is not None or user.password_hash != candidate.password_hash:
            # The bank changed the user between our two looks: treat it as a failed attempt.
            audit.record(session, at=now, actor_kind=ActorKind.USER, actor=None, company_id=candidate.company_id,
                         action="login.failure", details={"reason": "user changed during login"})
            return LoginResult(message=INVALID_CREDENTIALS)
        if user.status == UserStatus.BLOCKED:
            _user_audit(session, user, now, "login.refused", reason="user blocked")
            return LoginResult(message=BLOCKED_MESSAGE)
        if not password_ok:
            blocked = count_failed_password(session, user, now, where="login")
            return LoginResult(message=BLOCKED_MESSAGE if blocked else INVALID_CREDENTIALS)
        user.failed_login_count = 0
        company = user.company
        if not company.is_whitelisted:
            _user_audit(session, user, now, "login.refused", reason="company not whitelisted")
            return LoginResult(message=NOT_WHITELISTED_MESSAGE)
        expired = password_expired(user, now, policy)
        if expired:
            user.must_change_password = True
        token, row = _open_session(session, user, now, policy)
        user.last_login_at = now
        _user_audit(session, user, now, "login.success", must_change=user.must_change_password,
                    expired=expired)
        return LoginResult(token=token, must_change_password=user.must_change_password,
                           expires_at=row.expires_at, actor=actor_of(user, company))


# --- Sessions ----------------------------------------------------------------------------------

def _end_reason(row: LoginSession, user: User | None, company: Company | None, now: datetime,
                policy: AccountPolicy) -> tuple[str, str] | None:
    """(revoked_reason, message) if this session may not go on, else None."""
    # Who may no longer act comes first, so a locked-out user is told they are blocked.
    if user is None or user.deleted_at is not None:
        return "user deleted", USER_GONE
    if user.status == UserStatus.BLOCKED:
        return "user blocked", BLOCKED_MESSAGE
    if company is None or not company.is_whitelisted:
        return "company not whitelisted", NOT_WHITELISTED_MESSAGE
    if row.revoked_at is not None:
        return row.revoked_reason or "revoked", SESSION_ENDED
    if now >= row.expires_at:
        return "lifetime over", _lifetime_message(policy)
    if now - row.last_seen_at > policy.session_idle:
        return "idle", _idle_message(policy)
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
        row = session.scalar(select(LoginSession).where(LoginSession.token_hash == token_hash(token)))
        if row is None:
            return SessionCheck(ended_message=SESSION_ENDED)
        user = session.get(User, row.user_id)
        company = session.get(Company, user.company_id) if user is not None else None
        ending = _end_reason(row, user, company, now, policy)
        if ending is None:
            actor = actor_of(user, company)
            must_change, expires_at = user.must_change_password, row.expires_at
            stale = now - row.last_seen_at >= TOUCH_INTERVAL
    if ending is not None:
        reason, message = ending
        if row.revoked_at is None:
            _revoke(store, row.id, now, reason)
        return SessionCheck(ended_message=message)
    if stale:
        with store.transaction() as session:
            session.execute(update(LoginSession)
                            .where(LoginSession.id == row.id, LoginSession.last_seen_at < now)
                            .values(last_seen_at=now))
    return SessionCheck(actor=actor, must_change_password=must_change, expires_at=expires_at)


def actor_for_session(store: Store, token: str | None, now: datetime, settings: Settings | None = None) -> Actor | None:
    """The acting user of a session, or None if the session is unknown, ended, timed out, or its
    user or company may no longer use the service (see check_session)."""
    return check_session(store, token, now, settings).actor


def _revoke(store: Store, session_id: int, now: datetime, reason: str) -> None:
    with store.transaction() as session:
        session.execute(update(LoginSession)
                        .where(LoginSession.id == session_id, LoginSession.revoked_at.is_(None))
                        .values(revoked_at=now, revoked_reason=reason[:64]))


def logout(store: Store, token: str | None, now: datetime) -> None:
    """End the session of this token (if it is still open) and record the logout."""
    now = require_aware(now)
    if not token:
        return
    with store.transaction() as session:
        row = session.scalar(select(LoginSession).where(LoginSession.token_hash == token_hash(token)))
        if row is None or row.revoked_at is not None:
            return
        row.revoked_at, row.revoked_reason = now, "logout"
        user = session.get(User, row.user_id)
        _user_audit(session, user, now, "logout")


# --- Acting users in core services -------------------------------------------------------------

def authorize(session: Session, actor: Actor, *roles: Role, doing: str) -> User:
    """For core services: check the role, then reload the acting user in the service's own unit of
    work and refuse if they or their company may no longer act. Returns the user's row."""
    require_role(actor, *roles, doing=doing)
    # Plain get, no eager join: callers go on to lock this user row (FOR UPDATE), which PostgreSQL
    # refuses on the nullable side of an outer join.
    user = session.get(User, actor.user_id)
    if user is None or user.deleted_at is not None or user.company_id != actor.company_id:
        raise AccessDenied(USER_GONE)
    if user.status == UserStatus.BLOCKED:
        raise AccessDenied(BLOCKED_MESSAGE)
    if not user.company.is_whitelisted:
        raise AccessDenied(NOT_WHITELISTED_MESSAGE)
    return user


ANY_ROLE = tuple(Role)


def account_summary(store: Store, actor: Actor, now: datetime, settings: Settings | None = None) -> AccountSummary:
    """The acting user's own account, for the Settings page."""
    now = require_aware(now)
    policy = AccountPolicy.of(settings)
    with store.reading() as session:
        user = authorize(session, actor, *ANY_ROLE, doing="see your account")
        return AccountSummary(
            company_code=user.company.company_code, company_name=user.company.name, user_code=user.user_code,
            display_name=user.display_name, role=Role(user.role), last_login_at=user.last_login_at,
            password_changed_at=user.password_changed_at,
            password_expires_at=user.password_changed_at + policy.password_max_age,
        )


# --- Passwords ---------------------------------------------------------------------------------

def password_policy_problem(password: str, user_code: str) -> str | None:
    """The first rule a new password breaks (without looking at earlier passwords), or None."""
    if len(password) < PASSWORD_MIN_LENGTH:
        return f"The new password must be at least {PASSWORD_MIN_LENGTH} characters long."
    if len(password) > PASSWORD_MAX_LENGTH:
        return f"The new password may be at most {PASSWORD_MAX_LENGTH} characters long."
    if not any(c.isalpha() for c in password) or not any(c.isdigit() for c in password):
        return "The new password must contain both letters and digits."
    if user_code and user_code.lower() in password.lower():
        return "The new password may not contain your User ID."
    return None


def _earlier_hashes(session: Session, user: User) -> list[str]:
    """The current hash and the ones before it: the last PASSWORD_REUSE_DEPTH passwords."""
    history = session.scalars(
        select(PasswordHistory.password_hash).where(PasswordHistory.user_id == user.id)
        .order_by(PasswordHistory.id.desc()).limit(PASSWORD_REUSE_DEPTH - 1)
    ).all()
    return [user.password_hash, *history]


def check_new_password(new_password: str, repeated_password: str, user_code: str, earlier_hashes: list[str]) -> None:
    """Raise InvalidInput naming the first rule the new password breaks."""
    problem = password_policy_problem(new_password, user_code)
    if problem:
        raise InvalidInput(problem, field="new_password")
    if new_password != repeated_password:
        raise InvalidInput("The two new passwords are not the same.", field="repeated_password")
    if any(verify_password(new_password, earlier) for earlier in earlier_hashes):
        raise InvalidInput(f"The new password may not be one of your last {PASSWORD_REUSE_DEPTH} passwords.",
                           field="new_password")


def retire_password(session: Session, user: User, new_hash: str, now: datetime, *, one_time: bool) -> None:
    """Replace a user's password, keeping the old hash in the history. A one-time password (set by
    the bank) must be changed at the next login."""
    session.add(PasswordHistory(user_id=user.id, password_hash=user.password_hash, created_at=now))
    user.password_hash = new_hash
    user.password_changed_at = now
    user.must_change_password = one_time


def change_password(store: Store, actor: Actor, current_password: str, new_password: str,
                    repeated_password: str, now: datetime, settings: Settings | None = None) -> PasswordChanged:
    """The acting user changes their own password.

    A wrong current password counts towards the lockout like a wrong login (someone at an
    unlocked screen must not get unlimited guesses). On success every session of the user ends,
    other browsers included, and a fresh one is returned for this browser.
    """
    now = require_aware(now)
    policy = AccountPolicy.of(settings)
    with store.reading() as session:
        user = authorize(session, actor, *ANY_ROLE, doing="change your password")
        current_hash, earlier = user.password_hash, _earlier_hashes(session, user)
    if not verify_password(current_password, current_hash):
        _refuse_wrong_current_password(store, actor, now)
    check_new_password(new_password, repeated_password, actor.user_code, earlier)
    new_hash = hash_password(new_password)
    with store.transaction() as session:
        user = session.get(User, actor.user_id, with_for_update=True)
        if user.password_hash != current_hash:
            raise InvalidInput("Your password was changed in the meantime; please try again.", field="current_password")
        forced = user.must_change_password
        retire_password(session, user, new_hash, now, one_time=False)
        user.failed_login_count = 0
        revoke_user_sessions(session, user.id, now, "password changed")
        token, row = _open_session(session, user, now, policy)
        _user_audit(session, user, now, "password.changed", forced=forced)
        return PasswordChanged(token=token, expires_at=row.expires_at)


def _refuse_wrong_current_password(store: Store, actor: Actor, now: datetime) -> None:
    with store.transaction() as session:
        user = session.get(User, actor.user_id, with_for_update=True)
        blocked = count_failed_password(session, user, now, where="password change")
    if blocked:
        raise AccessDenied(BLOCKED_MESSAGE)
    raise InvalidInput("Your current password is not correct.", field="current_password")
