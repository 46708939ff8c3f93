"""Who is acting, and the one way a core service acts for them.

Every service that acts for a seller's user opens its unit of work with `acting`:

    with acting(store, actor, Role.PRODUCT_MANAGER, doing="accept orders", now=now) as (session, user, now):
        ...

which, before the service touches anything:
- checks the actor's role (before any I/O);
- checks that `now` is timezone-aware (and hands it back in UTC);
- reloads the user and the company in the same transaction and refuses a user who was deleted or
  blocked, whose company lost its whitelisting, or who must still change a one-time or expired
  password: the bank's changes take effect at the user's next click, in core, whatever the caller;
- turns the store's conflicts (an integrity error from a concurrent insert, a lock timeout, a
  deadlock) into `ConcurrentChange` with words the user reads: nothing was saved, try again.

Every query a service runs is then filtered by `actor.company_id`.

`doing` is what the service does, in English ("accept orders"): logs say it as it is, and a refusal
of the role reads it in the reader's language, so callers mark it for the catalogue (`N_`).
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any, NamedTuple, overload

from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session

from core.accounts.policy import BLOCKED_MESSAGE, NOT_WHITELISTED_MESSAGE, PASSWORD_CHANGE_FIRST, USER_GONE
from core.clock import require_aware
from core.domain import Role, UserStatus
from core.errors import AccessDenied, ConcurrentChange
from core.i18n import N_, Message, _
from core.store.database import Store
from core.store.models import Company, User

log = logging.getLogger("kopra.acting")

ANY_ROLE = tuple(Role)

#: What a person reads when the store refused their change because of someone else's.
CONFLICT = N_("Someone changed the same records at the same moment, so nothing was saved. Please try again.")
BUSY = N_("The store was busy with the same records, so nothing was saved. Please try again.")
#: PostgreSQL's deadlock, serialization failure, lock not available, statement cancelled by a timeout.
_BUSY_SQLSTATES = frozenset({"40P01", "40001", "55P03", "57014"})


@dataclass(frozen=True)
class Actor:
    """A logged-in seller user, as loaded from the store on this request."""

    user_id: int
    company_id: int
    company_code: str
    user_code: str
    role: Role
    display_name: str = ""

    @property
    def label(self) -> str:
        """How the user appears in timelines and audit entries."""
        return f"{self.company_code}/{self.user_code}"


def actor_of(user: User, company: Company) -> Actor:
    return Actor(
        user_id=user.id,
        company_id=company.id,
        company_code=company.company_code,
        user_code=user.user_code,
        role=Role(user.role),
        display_name=user.display_name,
    )


def require_role(actor: Actor, *roles: Role, doing: str) -> None:
    """Refuse an actor whose role may not do this (no I/O: the first check of every service)."""
    if not isinstance(actor, Actor):
        raise AccessDenied(_("Only a logged-in user may {doing}.", doing=Message(doing)))
    if actor.role not in roles:
        what, current = Message(doing), Message(actor.role.label)
        first, *others = [Message(role.label) for role in dict.fromkeys(roles)]
        if others:  # there are two roles
            raise AccessDenied(
                _(
                    "Only a {role} or {other} may {doing}; you are logged in as {current}.",
                    role=first,
                    other=others[-1],
                    doing=what,
                    current=current,
                )
            )
        raise AccessDenied(
            _("Only a {role} may {doing}; you are logged in as {current}.", role=first, doing=what, current=current)
        )


def standing_user(session: Session, actor: Actor, *, password_change_pending_ok: bool = False) -> User:
    """The acting user's row, reloaded in `session`, if they and their company may still act."""
    # Plain get, no eager join: callers go on to lock this user row (FOR UPDATE), which PostgreSQL
    # refuses on the nullable side of an outer join.
    user = session.get(User, actor.user_id)
    if user is None or user.deleted_at is not None or user.company_id != actor.company_id:
        raise AccessDenied(USER_GONE)
    if user.status == UserStatus.BLOCKED:
        raise AccessDenied(BLOCKED_MESSAGE)
    if not user.company.is_whitelisted:
        raise AccessDenied(NOT_WHITELISTED_MESSAGE)
    if user.must_change_password and not password_change_pending_ok:
        raise AccessDenied(PASSWORD_CHANGE_FIRST)
    return user


class Acting(NamedTuple):
    session: Session
    user: User
    now: datetime


class Reading(NamedTuple):
    """What `acting` yields when no `now` was given (reads that need no time)."""

    session: Session
    user: User
    now: None


@overload
def acting(
    store: Store,
    actor: Actor,
    *roles: Role,
    doing: str,
    now: datetime,
    write: bool = True,
    conflict: str = CONFLICT,
    password_change_pending_ok: bool = False,
) -> AbstractContextManager[Acting]: ...


@overload
def acting(
    store: Store,
    actor: Actor,
    *roles: Role,
    doing: str,
    now: None = None,
    write: bool = True,
    conflict: str = CONFLICT,
    password_change_pending_ok: bool = False,
) -> AbstractContextManager[Reading]: ...


def acting(
    store: Store,
    actor: Actor,
    *roles: Role,
    doing: str,
    now: datetime | None = None,
    write: bool = True,
    conflict: str = CONFLICT,
    password_change_pending_ok: bool = False,
) -> AbstractContextManager[Any]:
    """One unit of work of `actor` (see the module's docstring). `write=False` for reads: they never
    take the write lock. `conflict` is what the person reads if a concurrent change won."""
    require_role(actor, *roles, doing=doing)
    return _unit_of_work(
        store,
        actor,
        doing=doing,
        now=require_aware(now) if now is not None else None,
        write=write,
        conflict=conflict,
        password_change_pending_ok=password_change_pending_ok,
    )


@contextmanager
def _unit_of_work(
    store: Store,
    actor: Actor,
    *,
    doing: str,
    now: datetime | None,
    write: bool,
    conflict: str,
    password_change_pending_ok: bool,
) -> Iterator[Acting | Reading]:
    unit = store.transaction if write else store.reading
    try:
        with unit() as session:
            user = standing_user(session, actor, password_change_pending_ok=password_change_pending_ok)
            yield Acting(session, user, now) if now is not None else Reading(session, user, None)
    except IntegrityError:
        log.warning("store conflict while trying to %s", doing, exc_info=True)
        raise ConcurrentChange(conflict) from None
    except OperationalError as exc:
        if not _is_busy(exc):
            raise
        log.warning("store busy while trying to %s", doing, exc_info=True)
        raise ConcurrentChange(BUSY) from None


def _is_busy(exc: OperationalError) -> bool:
    code = getattr(exc.orig, "sqlstate", None) or getattr(exc.orig, "pgcode", None)
    return (
        code in _BUSY_SQLSTATES or "database is locked" in str(exc.orig) or "database table is locked" in str(exc.orig)
    )


def authorize(session: Session, actor: Actor, *roles: Role, doing: str) -> User:
    """The checks of `acting` inside a unit of work the caller already holds."""
    require_role(actor, *roles, doing=doing)
    return standing_user(session, actor)
