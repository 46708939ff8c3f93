"""A user's notification choices: which kinds also come by email (the portal always shows every one),
at once or in a daily digest, and the address they come to, proven by a code sent there.

The address: the user asks for a code for it (`request_email_code`); a 6-digit code goes to that
address and only its hash is kept (SHA-256, salted with the user's id), valid for 15 minutes and for
at most 5 wrong tries, after which a new code must be asked for. The right code makes it the user's
verified address (`verify_email`); until then no notification email goes there (an address verified
before keeps getting them meanwhile). A new address needs a new code; `stop_email` forgets the
address, and email stops at once (mail already queued is skipped by the mailer).

Every service acts for the logged-in user on their own preferences, whatever their role, through
`acting`. Sending the code happens outside any transaction (a slow mail server never holds the
store's write lock), and only once it went out is the code kept: a send that fails changes nothing.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import re
import secrets
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from core.accounts import audit
from core.acting import Actor, acting, require_role
from core.domain import NotificationKind, Role
from core.errors import DomainError, InvalidInput
from core.i18n import N_, Message, _, _n, gettext, language
from core.notifications import kinds
from core.notifications.mailer import OutgoingMail, compose_code
from core.notifications.queue import email_kinds as stored_kinds
from core.store.database import Store
from core.store.models import NotificationPreference
from core.text import clean_text, shown

log = logging.getLogger("kopra.notifications")

EVERYONE = (Role.SYSTEM_ADMINISTRATOR, Role.PRODUCT_MANAGER)

CODE_DIGITS = 6
CODE_VALID = timedelta(minutes=15)
MAX_CODE_TRIES = 5
#: The least time between two codes for one user: a page that is clicked twice sends one code, and
#: nobody can use the portal to flood an address with mail.
CODE_INTERVAL = timedelta(seconds=60)
MAX_EMAIL = 254

_LOCAL = re.compile(r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*")
_LABEL = re.compile(r"[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?")
_CODE = re.compile(r"\d{6}")

TOO_SOON = N_("A code was sent less than a minute ago; check your inbox (and spam folder), or ask again in a minute.")
NO_CODE = N_("Ask for a code first: enter your email address and send the code.")
USED_UP = N_("Too many wrong codes; ask for a new code.")
WRONG_LAST = N_("That code is not right, and that was the last try; ask for a new code.")


@dataclass(frozen=True)
class Preferences:
    """What the notification settings show."""

    email: str | None  # the verified address notifications go to, if any
    verified: bool
    pending_email: str | None  # an address a code was sent to, not verified yet
    code_expires_at: datetime | None  # when the pending code stops working (None: no code to enter)
    email_kinds: frozenset[NotificationKind]  # the kinds that also come by email
    digest: bool  # in one daily digest rather than at once
    kinds: tuple[NotificationKind, ...]  # what this user's role hears of and may choose for email


def kinds_by_email(role: Role) -> tuple[NotificationKind, ...]:
    """The kinds a role hears of that may go by email, in the table's order."""
    return tuple(kind for kind in kinds.kinds_for(role) if kinds.KINDS[kind].by_email)


def _stored(chosen: Iterable[NotificationKind]) -> str:
    order = list(NotificationKind)
    return ",".join(kind.value for kind in sorted(set(chosen), key=order.index))


def _view(row: NotificationPreference | None, role: Role, now: datetime) -> Preferences:
    offered = kinds_by_email(role)
    if row is None:
        return Preferences(None, False, None, None, frozenset(offered), False, offered)
    live_code = row.code_hash is not None and row.code_expires_at is not None and row.code_expires_at > now
    return Preferences(
        email=row.email if row.email_verified_at is not None else None,
        verified=row.email is not None and row.email_verified_at is not None,
        pending_email=row.pending_email,
        code_expires_at=row.code_expires_at if live_code and row.code_attempts < MAX_CODE_TRIES else None,
        email_kinds=frozenset(stored_kinds(row.email_kinds)) & frozenset(offered),
        digest=row.digest,
        kinds=offered,
    )


def _row(session: Session, actor: Actor, now: datetime) -> NotificationPreference:
    """The actor's preferences, locked for a change; made (every kind of their role by email, at once)
    the first time."""
    row = session.get(NotificationPreference, actor.user_id, with_for_update=True)
    if row is None:
        row = NotificationPreference(
            user_id=actor.user_id,
            email_kinds=_stored(kinds_by_email(actor.role)),
            digest=False,
            code_attempts=0,
            updated_at=now,
        )
        session.add(row)
        session.flush()
    return row


def _record(session: Session, actor: Actor, now: datetime, action: str, **details) -> None:
    audit.record_by_actor(session, actor, now, f"notifications.{action}", f"user {actor.label}", **details)


def preferences(store: Store, actor: Actor, *, now: datetime) -> Preferences:
    """The acting user's notification choices."""
    with acting(store, actor, *EVERYONE, doing=N_("see your notification settings"), now=now, write=False) as (
        session,
        _user,
        now,
    ):
        return _view(session.get(NotificationPreference, actor.user_id), actor.role, now)


def save_preferences(
    store: Store, actor: Actor, *, email_kinds: set[NotificationKind], digest: bool, now: datetime
) -> Preferences:
    """Which kinds also come by email, and whether at once or in a daily digest (from the next
    notification on: mail already queued keeps its time)."""
    doing = N_("change your notification settings")
    require_role(actor, *EVERYONE, doing=doing)  # before reading the actor's role
    offered = kinds_by_email(actor.role)
    try:
        chosen = {NotificationKind(kind) for kind in email_kinds}
    except ValueError:
        raise InvalidInput(_("Choose notifications from the list."), field="email_kinds") from None
    if foreign := sorted(chosen - set(offered), key=list(NotificationKind).index):
        titles = ", ".join(kinds.title(kind) for kind in foreign)
        raise InvalidInput(
            _(
                "A {role} does not get these notifications, so they cannot come by email: {titles}.",
                role=gettext(actor.role.label),
                titles=titles,
            ),
            field="email_kinds",
        )
    with acting(store, actor, *EVERYONE, doing=doing, now=now) as (session, _user, now):
        row = _row(session, actor, now)
        row.email_kinds, row.digest, row.updated_at = _stored(chosen), bool(digest), now
        _record(session, actor, now, "preferences", email_kinds=row.email_kinds or "none", digest=row.digest)
        return _view(row, actor.role, now)


def check_email(typed: str) -> str:
    """An email address as it is kept (its domain in lower case), or InvalidInput in one sentence."""
    text = clean_text(
        typed,
        what=N_("email address"),
        field="email",
        max_length=MAX_EMAIL,
        required=N_("Enter the email address notifications should go to."),
    )
    local, at, domain = text.rpartition("@")
    labels = domain.split(".")
    if (
        not at
        or not text.isascii()
        or len(local) > 64
        or not _LOCAL.fullmatch(local)
        or len(labels) < 2
        or not all(_LABEL.fullmatch(label) for label in labels)
        or labels[-1].isdigit()
    ):
        raise InvalidInput(
            _("{typed} is not an email address; write it like name@company.co.id.", typed=repr(shown(typed, 60))),
            field="email",
        )
    return f"{local}@{domain.lower()}"


def _code_hash(user_id: int, code: str) -> str:
    return hashlib.sha256(f"{user_id}:{code}".encode()).hexdigest()


def request_email_code(
    store: Store, actor: Actor, *, email: str, now: datetime, send: Callable[[OutgoingMail], None]
) -> None:
    """Send a 6-digit code to `email`; the user proves the address is theirs with `verify_email`. If the
    mail cannot be sent, nothing changes (DomainError says so)."""
    doing = N_("set the address of your notification email")
    require_role(actor, *EVERYONE, doing=doing)
    address = check_email(email)
    with acting(store, actor, *EVERYONE, doing=doing, now=now, write=False) as (session, user, now):
        row = session.get(NotificationPreference, actor.user_id)
        _may_send_code(row, address, now)
        # The code mail reads in the language the user chose, else in the one they read the page in.
        name, reads = user.display_name, user.language or language()
    code = f"{secrets.randbelow(10**CODE_DIGITS):0{CODE_DIGITS}d}"
    mail = compose_code(
        address,
        code,
        user_id=actor.user_id,
        name=name,
        now=now,
        valid_minutes=int(CODE_VALID.total_seconds() // 60),
        language=reads,
    )
    try:
        send(mail)
    except Exception as exc:  # whatever the transport raised: the person reads one sentence
        log.warning("could not send an email code for user %s: %s", actor.user_id, exc)
        raise DomainError(
            _(
                "Could not send the code to {email}: the mail server did not answer; try again in a few minutes.",
                email=address,
            )
        ) from None
    with acting(store, actor, *EVERYONE, doing=doing, now=now) as (session, _user, now):
        row = _row(session, actor, now)
        _may_send_code(row, address, now)  # again, under the lock: a second click that raced this one
        row.pending_email, row.code_hash = address, _code_hash(actor.user_id, code)
        row.code_expires_at, row.code_attempts, row.updated_at = now + CODE_VALID, 0, now
        _record(session, actor, now, "email.code_sent", email=address)


def _may_send_code(row: NotificationPreference | None, address: str, now: datetime) -> None:
    if row is None:
        return
    if row.email == address and row.email_verified_at is not None:
        raise InvalidInput(
            _("{email} is already your verified address; notifications go there.", email=address), field="email"
        )
    if row.code_expires_at is not None and row.code_expires_at - CODE_VALID + CODE_INTERVAL > now:
        raise InvalidInput(TOO_SOON, field="email")


def verify_email(store: Store, actor: Actor, *, code: str, now: datetime) -> Preferences:
    """The code from the email: right, and the pending address is the user's verified address from now
    on (mail queued for an earlier address is not sent); wrong, and one of the 5 tries is used up."""
    typed = "".join(str(code or "").split())
    doing = N_("verify your notification email address")
    with acting(store, actor, *EVERYONE, doing=doing, now=now) as (session, _user, now):
        row = session.get(NotificationPreference, actor.user_id, with_for_update=True)
        if row is None or row.pending_email is None or row.code_hash is None or row.code_expires_at is None:
            raise InvalidInput(NO_CODE, field="code")
        if row.code_attempts >= MAX_CODE_TRIES:
            raise InvalidInput(USED_UP, field="code")
        if now >= row.code_expires_at:
            raise InvalidInput(
                _(
                    "The code has expired (a code is valid for {minutes} minutes); ask for a new one.",
                    minutes=int(CODE_VALID.total_seconds() // 60),
                ),
                field="code",
            )
        if not _CODE.fullmatch(typed):
            raise InvalidInput(
                _("The code is the 6 digits in the email we sent to {email}.", email=row.pending_email), field="code"
            )
        if not hmac.compare_digest(row.code_hash, _code_hash(actor.user_id, typed)):
            # Counted, and kept: the refusal is raised once this unit of work has committed it.
            row.code_attempts += 1
            row.updated_at = now
            left = MAX_CODE_TRIES - row.code_attempts
            _record(session, actor, now, "email.wrong_code", email=row.pending_email, tries_left=left)
            wrong = (
                _n(
                    "That code is not right; {count} more try before you must ask for a new code.",
                    "That code is not right; {count} more tries before you must ask for a new code.",
                    left,
                )
                if left
                else Message(WRONG_LAST)
            )
        else:
            wrong = None
            row.email, row.email_verified_at = row.pending_email, now
            row.pending_email = row.code_hash = row.code_expires_at = None
            row.code_attempts, row.updated_at = 0, now
            _record(session, actor, now, "email.verified", email=row.email)
        view = _view(row, actor.role, now)
    if wrong is not None:
        raise InvalidInput(wrong, field="code")
    return view


def stop_email(store: Store, actor: Actor, *, now: datetime) -> Preferences:
    """No more notification email: the address (and any code waiting for one) is forgotten; mail
    already queued is not sent. The portal keeps showing every notification."""
    doing = N_("stop your notification email")
    with acting(store, actor, *EVERYONE, doing=doing, now=now) as (session, _user, now):
        row = session.get(NotificationPreference, actor.user_id, with_for_update=True)
        if row is not None:
            had = row.email
            row.email = row.email_verified_at = row.pending_email = None
            row.code_hash = row.code_expires_at = None
            row.code_attempts, row.updated_at = 0, now
            _record(session, actor, now, "email.stopped", email=had or "none")
        return _view(row, actor.role, now)
