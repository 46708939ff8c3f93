"""Changing one's own password, and the account summary the Settings page shows.

A wrong current password counts towards the lockout like a wrong login; a change ends every
session of the user (other browsers included) and opens a fresh one for the browser that made it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.accounts import audit
from core.accounts.hashing import hash_password, verify_password
from core.accounts.login import count_failed_password
from core.accounts.policy import BLOCKED_MESSAGE, PASSWORD_REUSE_DEPTH, AccountPolicy, password_policy_problem
from core.accounts.sessions import open_session, revoke_user_sessions
from core.acting import ANY_ROLE, Actor, acting
from core.config import Settings
from core.domain import Role
from core.errors import AccessDenied, InvalidInput
from core.i18n import N_, _
from core.store.database import Store
from core.store.models import PasswordHistory, User
from core.warehouses.records import company_time_zone


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
    #: The zone the user's own times are shown in: their company's first warehouse's, else WIB.
    time_zone: str


def account_summary(store: Store, actor: Actor, now: datetime, settings: Settings | None = None) -> AccountSummary:
    """The acting user's own account, for the Settings page."""
    policy = AccountPolicy.of(settings)
    with acting(
        store, actor, *ANY_ROLE, doing=N_("see your account"), now=now, write=False, password_change_pending_ok=True
    ) as (session, user, now):
        return AccountSummary(
            company_code=user.company.company_code,
            company_name=user.company.name,
            user_code=user.user_code,
            display_name=user.display_name,
            role=Role(user.role),
            last_login_at=user.last_login_at,
            password_changed_at=user.password_changed_at,
            password_expires_at=user.password_changed_at + policy.password_max_age,
            time_zone=company_time_zone(session, user.company_id),
        )


def _earlier_hashes(session: Session, user: User) -> list[str]:
    """The current hash and the ones before it: the last PASSWORD_REUSE_DEPTH passwords."""
    history = session.scalars(
        select(PasswordHistory.password_hash)
        .where(PasswordHistory.user_id == user.id)
        .order_by(PasswordHistory.id.desc())
        .limit(PASSWORD_REUSE_DEPTH - 1)
    ).all()
    return [user.password_hash, *history]


def check_new_password(new_password: str, repeated_password: str, user_code: str, earlier_hashes: list[str]) -> None:
    """Raise InvalidInput naming the first rule the new password breaks."""
    problem = password_policy_problem(new_password, user_code)
    if problem:
        raise InvalidInput(problem, field="new_password")
    if new_password != repeated_password:
        raise InvalidInput(_("The two new passwords are not the same."), field="repeated_password")
    if any(verify_password(new_password, earlier) for earlier in earlier_hashes):
        raise InvalidInput(
            _("The new password may not be one of your last {depth} passwords.", depth=PASSWORD_REUSE_DEPTH),
            field="new_password",
        )


def retire_password(session: Session, user: User, new_hash: str, now: datetime, *, one_time: bool) -> None:
    """Replace a user's password, keeping the old hash in the history. A one-time password (set by
    the bank) must be changed at the next login."""
    session.add(PasswordHistory(user_id=user.id, password_hash=user.password_hash, created_at=now))
    user.password_hash = new_hash
    user.password_changed_at = now
    user.must_change_password = one_time


def change_password(
    store: Store,
    actor: Actor,
    current_password: str,
    new_password: str,
    repeated_password: str,
    now: datetime,
    settings: Settings | None = None,
) -> PasswordChanged:
    """The acting user changes their own password.

    A wrong current password counts towards the lockout like a wrong login (someone at an
    unlocked screen must not get unlimited guesses). On success every session of the user ends,
    other browsers included, and a fresh one is returned for this browser.
    """
    policy = AccountPolicy.of(settings)
    doing = N_("change your password")
    with acting(store, actor, *ANY_ROLE, doing=doing, now=now, write=False, password_change_pending_ok=True) as (
        session,
        user,
        now,
    ):
        current_hash, earlier = user.password_hash, _earlier_hashes(session, user)
    if not verify_password(current_password, current_hash):
        _refuse_wrong_current_password(store, actor, now)
    check_new_password(new_password, repeated_password, actor.user_code, earlier)
    new_hash = hash_password(new_password)
    with acting(store, actor, *ANY_ROLE, doing=doing, now=now, password_change_pending_ok=True) as (session, _u, now):
        user = session.get_one(User, actor.user_id, with_for_update=True)
        if user.password_hash != current_hash:
            raise InvalidInput(
                _("Your password was changed in the meantime; please try again."), field="current_password"
            )
        forced = user.must_change_password
        retire_password(session, user, new_hash, now, one_time=False)
        user.failed_login_count = 0
        revoke_user_sessions(session, user.id, now, "password changed")
        token, row = open_session(session, user, now, policy)
        audit.record_by_user(session, user, now, "password.changed", forced=forced)
        return PasswordChanged(token=token, expires_at=row.expires_at)


def _refuse_wrong_current_password(store: Store, actor: Actor, now: datetime) -> None:
    with store.transaction() as session:
        user = session.get_one(User, actor.user_id, with_for_update=True)
        blocked = count_failed_password(session, user, now, where="password change")
    if blocked:
        raise AccessDenied(BLOCKED_MESSAGE)
    raise InvalidInput(_("Your current password is not correct."), field="current_password")
