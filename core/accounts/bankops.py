"""The bank's back office: what relationship managers do for seller companies.

Onboard a company, whitelist it for Kopra Partnership or take it off the list, create its users
(with a one-time password), block, unblock, delete, reset a password, and list a company's
users. These are the bank's staff acting, not sellers, so they take an `operator` name instead
of an Actor; every action (reads included) is written to the audit log with who and when.

A change that takes access away (block, delete, reset, de-whitelist) also ends the sessions it
concerns at once; the sessions would be refused at the next click anyway, because every request
reloads the user and the company.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.accounts import audit
from core.accounts.hashing import hash_password
from core.accounts.login import find_company, find_user
from core.accounts.passwords import retire_password
from core.accounts.policy import new_one_time_password
from core.accounts.sessions import revoke_user_sessions
from core.clock import require_aware
from core.domain import ActorKind, Role, UserStatus
from core.errors import InvalidInput, NotFound
from core.store.database import Store
from core.store.models import Company, User
from core.text import clean_text, shown

COMPANY_CODE_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{1,31}")
USER_CODE_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")
MAX_OPERATOR = 100
MAX_COMPANY_NAME = 200
MAX_DISPLAY_NAME = 200
MAX_BLOCK_REASON = 200


@dataclass(frozen=True)
class CompanyRow:
    company_code: str
    name: str
    is_whitelisted: bool


@dataclass(frozen=True)
class UserRow:
    company_code: str
    user_code: str
    display_name: str
    role: Role
    status: str  # ACTIVE, BLOCKED or DELETED
    failed_login_count: int
    must_change_password: bool
    last_login_at: datetime | None


@dataclass(frozen=True)
class OneTimePassword:
    """A password the bank hands to a user for their next login, where they must change it.
    Shown once to the operator; only its hash is stored."""

    company_code: str
    user_code: str
    password: str


# --- Helpers -----------------------------------------------------------------------------------


def _operator(operator: str) -> str:
    return clean_text(
        operator,
        what="operator name",
        field="operator",
        max_length=MAX_OPERATOR,
        required="Say who is acting: an operator name is required.",
    )


def _bank_audit(
    session: Session, operator: str, now: datetime, company: Company, action: str, target: str | None = None, **details
) -> None:
    audit.record(
        session,
        at=now,
        actor_kind=ActorKind.BANK,
        actor=operator,
        company_id=company.id,
        action=f"bank.{action}",
        target=target or company.company_code,
        details=details or None,
    )


def _company(session: Session, company_code: str) -> Company:
    company = find_company(session, company_code)
    if company is None:
        raise NotFound(f"There is no company with Company ID {shown(company_code)!r}.")
    return company


def _user(session: Session, company: Company, user_code: str, *, lock: bool = True) -> User:
    user = find_user(session, company, user_code)
    if user is None or user.deleted_at is not None:
        raise NotFound(f"Company {company.company_code} has no user with User ID {shown(user_code)!r}.")
    if lock:  # the login's failure count is written under the same lock
        session.refresh(user, with_for_update=True)
    return user


def _label(company: Company, user: User) -> str:
    return f"{company.company_code}/{user.user_code}"


def parse_role(text: str) -> Role:
    """'system-administrator', 'SYSTEM_ADMINISTRATOR', 'System Administrator' → Role."""
    key = re.sub(r"[\s-]+", "_", text.strip()).upper()
    try:
        return Role(key)
    except ValueError:
        choices = ", ".join(r.value.lower().replace("_", "-") for r in Role)
        raise InvalidInput(f"There is no role {shown(text)!r}; choose one of {choices}.", field="role") from None


# --- Companies ---------------------------------------------------------------------------------


def create_company(
    store: Store, *, operator: str, company_code: str, name: str, whitelisted: bool, now: datetime
) -> CompanyRow:
    """Onboard a Kopra Cash Management customer as a seller company (whitelisted or not yet)."""
    now, operator = require_aware(now), _operator(operator)
    code = clean_text(company_code, what="Company ID", field="company_code", max_length=None)
    name = clean_text(name, what="company name", field="name", max_length=MAX_COMPANY_NAME)
    if not COMPANY_CODE_PATTERN.fullmatch(code):
        raise InvalidInput(
            "A Company ID has 2 to 32 letters, digits, '-' or '_', starting with a letter or digit.",
            field="company_code",
        )
    if not name:
        raise InvalidInput(f"A company needs a name of 1 to {MAX_COMPANY_NAME} characters.", field="name")
    with store.transaction() as session:
        if find_company(session, code) is not None:
            raise InvalidInput(f"A company with Company ID {code!r} already exists.", field="company_code")
        company = Company(company_code=code, name=name, is_whitelisted=whitelisted, created_at=now, updated_at=now)
        session.add(company)
        session.flush()
        _bank_audit(session, operator, now, company, "create_company", name=name, whitelisted=whitelisted)
        return CompanyRow(company.company_code, company.name, company.is_whitelisted)


def set_whitelisted(store: Store, *, operator: str, company_code: str, whitelisted: bool, now: datetime) -> CompanyRow:
    """Put a company on the Kopra Partnership whitelist or take it off. Taking it off ends its
    users' sessions at once."""
    now, operator = require_aware(now), _operator(operator)
    with store.transaction() as session:
        company = _company(session, company_code)
        was = company.is_whitelisted
        company.is_whitelisted, company.updated_at = whitelisted, now
        ended = 0
        if not whitelisted:
            for user_id in session.scalars(select(User.id).where(User.company_id == company.id)):
                ended += revoke_user_sessions(session, user_id, now, "company not whitelisted")
        _bank_audit(
            session,
            operator,
            now,
            company,
            "whitelist" if whitelisted else "dewhitelist",
            was_whitelisted=was,
            sessions_ended=ended,
        )
        return CompanyRow(company.company_code, company.name, company.is_whitelisted)


# --- Users -------------------------------------------------------------------------------------


def create_user(
    store: Store, *, operator: str, company_code: str, user_code: str, display_name: str, role: Role, now: datetime
) -> OneTimePassword:
    """Create a user with a one-time password, which they must change at their first login."""
    now, operator = require_aware(now), _operator(operator)
    code = clean_text(user_code, what="User ID", field="user_code", max_length=None)
    display_name = clean_text(display_name, what="user's name", field="display_name", max_length=MAX_DISPLAY_NAME)
    if not USER_CODE_PATTERN.fullmatch(code):
        raise InvalidInput(
            "A User ID has 1 to 64 letters, digits, '.', '-' or '_', starting with a letter or digit.",
            field="user_code",
        )
    if not display_name:
        raise InvalidInput(f"A user needs a name of 1 to {MAX_DISPLAY_NAME} characters.", field="display_name")
    password = new_one_time_password()
    password_hash = hash_password(password)  # before the write lock: bcrypt is slow on purpose
    with store.transaction() as session:
        company = _company(session, company_code)
        existing = find_user(session, company, code)
        if existing is not None:
            gone = " (deleted; its ID cannot be reused)" if existing.deleted_at is not None else ""
            raise InvalidInput(
                f"Company {company.company_code} already has a user with User ID {existing.user_code!r}{gone}.",
                field="user_code",
            )
        user = User(
            company_id=company.id,
            user_code=code,
            display_name=display_name,
            role=role,
            password_hash=password_hash,
            status=UserStatus.ACTIVE,
            failed_login_count=0,
            password_changed_at=now,
            must_change_password=True,
            created_at=now,
        )
        session.add(user)
        session.flush()
        _bank_audit(session, operator, now, company, "create_user", _label(company, user), role=role.value)
        return OneTimePassword(company.company_code, user.user_code, password)


def block_user(
    store: Store, *, operator: str, company_code: str, user_code: str, now: datetime, reason: str = ""
) -> UserRow:
    """Block a user: they cannot log in, and their open sessions end now."""
    now, operator = require_aware(now), _operator(operator)
    reason = clean_text(reason, what="reason", field="reason", max_length=MAX_BLOCK_REASON)
    with store.transaction() as session:
        company = _company(session, company_code)
        user = _user(session, company, user_code)
        user.status = UserStatus.BLOCKED
        ended = revoke_user_sessions(session, user.id, now, "user blocked")
        _bank_audit(
            session,
            operator,
            now,
            company,
            "block_user",
            _label(company, user),
            reason=reason or None,
            sessions_ended=ended,
        )
        return _user_row(company, user)


def unblock_user(store: Store, *, operator: str, company_code: str, user_code: str, now: datetime) -> UserRow:
    """Reactivate a blocked user (what the FAQ's Relationship Manager does); the count of failed
    passwords starts again from zero."""
    now, operator = require_aware(now), _operator(operator)
    with store.transaction() as session:
        company = _company(session, company_code)
        user = _user(session, company, user_code)
        was = UserStatus(user.status).value
        user.status, user.failed_login_count = UserStatus.ACTIVE, 0
        _bank_audit(session, operator, now, company, "unblock_user", _label(company, user), was=was)
        return _user_row(company, user)


def reset_password(store: Store, *, operator: str, company_code: str, user_code: str, now: datetime) -> OneTimePassword:
    """Give a user a new one-time password (to change at the next login); their sessions end.
    A blocked user stays blocked: unblocking is its own, deliberate step."""
    now, operator = require_aware(now), _operator(operator)
    password = new_one_time_password()
    password_hash = hash_password(password)
    with store.transaction() as session:
        company = _company(session, company_code)
        user = _user(session, company, user_code)
        retire_password(session, user, password_hash, now, one_time=True)
        ended = revoke_user_sessions(session, user.id, now, "password reset")
        _bank_audit(session, operator, now, company, "reset_password", _label(company, user), sessions_ended=ended)
        return OneTimePassword(company.company_code, user.user_code, password)


def delete_user(store: Store, *, operator: str, company_code: str, user_code: str, now: datetime) -> UserRow:
    """Remove a user from the service (kept in the store for the audit trail and order history)."""
    now, operator = require_aware(now), _operator(operator)
    with store.transaction() as session:
        company = _company(session, company_code)
        user = _user(session, company, user_code)
        user.deleted_at = now
        ended = revoke_user_sessions(session, user.id, now, "user deleted")
        _bank_audit(session, operator, now, company, "delete_user", _label(company, user), sessions_ended=ended)
        return _user_row(company, user)


def list_users(store: Store, *, operator: str, company_code: str, now: datetime) -> list[UserRow]:
    """A company's users with status and last login (deleted users included, marked as such)."""
    now, operator = require_aware(now), _operator(operator)
    with store.transaction() as session:  # a write: looking at a company's users is audited too
        company = _company(session, company_code)
        users = session.scalars(select(User).where(User.company_id == company.id).order_by(User.user_code)).all()
        _bank_audit(session, operator, now, company, "list_users", count=len(users))
        return [_user_row(company, user) for user in users]


def _user_row(company: Company, user: User) -> UserRow:
    status = "DELETED" if user.deleted_at is not None else UserStatus(user.status).value
    return UserRow(
        company.company_code,
        user.user_code,
        user.display_name,
        Role(user.role),
        status,
        user.failed_login_count,
        user.must_change_password,
        user.last_login_at,
    )


def list_companies(store: Store, *, operator: str, now: datetime) -> list[CompanyRow]:
    """Every seller company with its whitelisting."""
    now, operator = require_aware(now), _operator(operator)
    with store.transaction() as session:
        companies = session.scalars(select(Company).order_by(Company.company_code)).all()
        audit.record(
            session,
            at=now,
            actor_kind=ActorKind.BANK,
            actor=operator,
            company_id=None,
            action="bank.list_companies",
            details={"count": len(companies)},
        )
        return [CompanyRow(c.company_code, c.name, c.is_whitelisted) for c in companies]
