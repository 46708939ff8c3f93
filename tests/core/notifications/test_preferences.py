"""A user's notification choices (core.notifications.preferences), on SQLite and PostgreSQL: which kinds
by email (only their role's), digest or at once, and the address, proven by a 6-digit code: sent to
it (through a real SMTP server on 127.0.0.1 too), kept only as a hash, 15 minutes and 5 tries, a new
code after that; a send that fails changes nothing; a new address needs a new code; stopping email."""

from __future__ import annotations

import hashlib
import re
import socket
from datetime import timedelta
from email import policy
from email.parser import BytesParser

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import select

from core.accounts.audit import AuditEntry
from core.domain import NotificationKind, Role
from core.errors import DomainError, InvalidInput
from core.notifications import kinds
from core.notifications import preferences as prefs
from core.notifications.mailer import OutgoingMail, SmtpTransport
from core.store.models import NotificationPreference

PM_MAIL = "dewi@acme.co.id"
LOW_STOCK = NotificationKind.LOW_STOCK
NEW_ORDER = NotificationKind.NEW_ORDER
CLOSURE = NotificationKind.CLOSURE_TOMORROW


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class MailServer:
    """A real SMTP server on 127.0.0.1 (aiosmtpd) that keeps every message it accepts."""

    def __init__(self) -> None:
        self.arrivals: list = []
        self.port = free_port()
        self.controller = Controller(self, hostname="127.0.0.1", port=self.port)
        self.controller.start()
        self.url = f"smtp://127.0.0.1:{self.port}"

    async def handle_DATA(self, server, session, envelope):
        self.arrivals.append((envelope.rcpt_tos, BytesParser(policy=policy.default).parsebytes(envelope.content)))
        return "250 OK"

    def stop(self) -> None:
        self.controller.stop()


class Outbox:
    """A `send` that keeps what it was given (or raises, when told to)."""

    def __init__(self) -> None:
        self.sent: list[OutgoingMail] = []
        self.failing: Exception | None = None

    def __call__(self, mail: OutgoingMail) -> None:
        if self.failing is not None:
            raise self.failing
        self.sent.append(mail)

    def code(self) -> str:
        found = re.search(r"\b(\d{6})\b", self.sent[-1].text)
        assert found, self.sent[-1].text
        return found.group(1)


@pytest.fixture
def outbox() -> Outbox:
    return Outbox()


def row_of(world, actor) -> NotificationPreference | None:
    with world.store.reading() as session:
        return session.get(NotificationPreference, actor.user_id)


def audit_of(world) -> list[str]:
    with world.store.reading() as session:
        return list(
            session.scalars(
                select(AuditEntry.action).where(AuditEntry.action.like("notifications.%")).order_by(AuditEntry.id)
            )
        )


def verify_address(world, actor, outbox, email, now) -> prefs.Preferences:
    prefs.request_email_code(world.store, actor, email=email, now=now, send=outbox)
    return prefs.verify_email(world.store, actor, code=outbox.code(), now=now + timedelta(minutes=1))


def test_before_any_choice_every_kind_of_the_role_is_offered_and_no_address_is_set(world, now):
    pm = prefs.preferences(world.store, world.pm, now=now)
    admin = prefs.preferences(world.store, world.admin, now=now)
    assert pm.kinds == tuple(kinds.kinds_for(Role.PRODUCT_MANAGER)) and NEW_ORDER in pm.kinds
    assert admin.kinds == (CLOSURE, NotificationKind.PAYOUT_ACCOUNT_CHANGED)
    assert (pm.email, pm.verified, pm.pending_email, pm.digest) == (None, False, None, False)
    assert pm.email_kinds == frozenset(pm.kinds)
    assert row_of(world, world.pm) is None  # a read writes nothing


def test_the_kinds_by_email_and_the_digest_are_saved(world, now):
    saved = prefs.save_preferences(world.store, world.pm, email_kinds={NEW_ORDER, LOW_STOCK}, digest=True, now=now)
    assert saved.email_kinds == {NEW_ORDER, LOW_STOCK} and saved.digest
    assert prefs.preferences(world.store, world.pm, now=now) == saved
    assert row_of(world, world.pm).email_kinds == "NEW_ORDER,LOW_STOCK"
    none = prefs.save_preferences(world.store, world.pm, email_kinds=set(), digest=False, now=now)
    assert none.email_kinds == frozenset() and not none.digest
    assert audit_of(world) == ["notifications.preferences", "notifications.preferences"]


def test_kinds_of_another_role_are_refused(world, now):
    with pytest.raises(InvalidInput, match="does not get these notifications.*Warehouse closed tomorrow"):
        prefs.save_preferences(world.store, world.pm, email_kinds={NEW_ORDER, CLOSURE}, digest=False, now=now)
    with pytest.raises(InvalidInput, match="A System Administrator does not get"):
        prefs.save_preferences(world.store, world.admin, email_kinds={NEW_ORDER}, digest=False, now=now)
    with pytest.raises(InvalidInput, match="Choose notifications from the list"):
        prefs.save_preferences(world.store, world.pm, email_kinds={"NOT_A_KIND"}, digest=False, now=now)
    assert row_of(world, world.pm) is None


def test_a_code_goes_to_the_address_and_only_its_hash_is_kept(world, now, outbox):
    prefs.request_email_code(world.store, world.pm, email="  Dewi@ACME.co.id ", now=now, send=outbox)

    (mail,) = outbox.sent
    code = outbox.code()
    assert mail.to == "Dewi@acme.co.id" and mail.subject == "Kopra Partnership: your email verification code"
    assert code in mail.html and "15 minutes" in mail.text and code not in mail.subject
    row = row_of(world, world.pm)
    assert row.code_hash == hashlib.sha256(f"{world.pm.user_id}:{code}".encode()).hexdigest()
    assert code not in row.code_hash and (row.pending_email, row.email) == ("Dewi@acme.co.id", None)
    assert row.code_expires_at == now + timedelta(minutes=15)
    shown = prefs.preferences(world.store, world.pm, now=now)
    assert (shown.email, shown.verified, shown.pending_email) == (None, False, "Dewi@acme.co.id")
    assert shown.code_expires_at == now + timedelta(minutes=15)


def test_the_right_code_verifies_the_address(world, now, outbox):
    verified = verify_address(world, world.pm, outbox, PM_MAIL, now)
    assert (verified.email, verified.verified, verified.pending_email, verified.code_expires_at) == (
        PM_MAIL,
        True,
        None,
        None,
    )
    row = row_of(world, world.pm)
    assert (row.email, row.email_verified_at, row.code_hash, row.code_attempts) == (
        PM_MAIL,
        now + timedelta(minutes=1),
        None,
        0,
    )
    assert audit_of(world) == ["notifications.email.code_sent", "notifications.email.verified"]


@pytest.mark.parametrize(
    "typed, words",
    [
        ("", "Enter the email address"),
        ("dewi", "is not an email address"),
        ("dewi@acme", "is not an email address"),
        ("dewi@@acme.co.id", "is not an email address"),
        ("de wi@acme.co.id", "is not an email address"),
        ("dewi@acme..co.id", "is not an email address"),
        ("<script>@acme.co.id", "is not an email address"),
        ("dewi@acme.co.id\nBcc: x@evil.example", "contains a line break"),
        ("dewi@ácme.co.id", "is not an email address"),
        ("d" * 250 + "@acme.co.id", "at most 254 characters"),
    ],
)
def test_an_address_that_is_not_one_is_refused_in_one_sentence(world, now, outbox, typed, words):
    with pytest.raises(InvalidInput, match=words) as refused:
        prefs.request_email_code(world.store, world.pm, email=typed, now=now, send=outbox)
    assert refused.value.field == "email" and refused.value.message.endswith(".")
    assert not outbox.sent and row_of(world, world.pm) is None


def test_a_wrong_code_uses_up_one_of_five_tries_then_a_new_code_is_needed(world, now, outbox):
    prefs.request_email_code(world.store, world.pm, email=PM_MAIL, now=now, send=outbox)
    right = outbox.code()
    wrong = f"{(int(right) + 1) % 1_000_000:06d}"
    for left in (4, 3, 2, 1):
        with pytest.raises(InvalidInput, match=f"not right; {left} more tr"):
            prefs.verify_email(world.store, world.pm, code=wrong, now=now)
    with pytest.raises(InvalidInput, match="that was the last try"):
        prefs.verify_email(world.store, world.pm, code=wrong, now=now)
    assert row_of(world, world.pm).code_attempts == 5  # each wrong try was kept
    with pytest.raises(InvalidInput, match="Too many wrong codes; ask for a new code"):
        prefs.verify_email(world.store, world.pm, code=right, now=now)
    assert prefs.preferences(world.store, world.pm, now=now).code_expires_at is None

    later = now + timedelta(minutes=2)
    prefs.request_email_code(world.store, world.pm, email=PM_MAIL, now=later, send=outbox)
    assert row_of(world, world.pm).code_attempts == 0
    with pytest.raises(InvalidInput, match="not right"):
        prefs.verify_email(world.store, world.pm, code=right, now=later)  # the old code is gone
    assert prefs.verify_email(world.store, world.pm, code=outbox.code(), now=later).verified


def test_something_that_is_no_code_costs_no_try(world, now, outbox):
    prefs.request_email_code(world.store, world.pm, email=PM_MAIL, now=now, send=outbox)
    with pytest.raises(InvalidInput, match=f"6 digits in the email we sent to {PM_MAIL}"):
        prefs.verify_email(world.store, world.pm, code="12345", now=now)
    assert row_of(world, world.pm).code_attempts == 0
    code = outbox.code()
    assert prefs.verify_email(world.store, world.pm, code=f" {code[:3]} {code[3:]} ", now=now).verified


def test_a_code_expires_after_15_minutes(world, now, outbox):
    prefs.request_email_code(world.store, world.pm, email=PM_MAIL, now=now, send=outbox)
    with pytest.raises(InvalidInput, match="expired"):
        prefs.verify_email(world.store, world.pm, code=outbox.code(), now=now + timedelta(minutes=15))
    assert prefs.preferences(world.store, world.pm, now=now + timedelta(minutes=15)).code_expires_at is None
    assert prefs.verify_email(world.store, world.pm, code=outbox.code(), now=now + timedelta(minutes=14)).verified


def test_no_code_to_verify_and_codes_asked_too_often(world, now, outbox):
    with pytest.raises(InvalidInput, match="Ask for a code first"):
        prefs.verify_email(world.store, world.pm, code="123456", now=now)
    prefs.request_email_code(world.store, world.pm, email=PM_MAIL, now=now, send=outbox)
    with pytest.raises(InvalidInput, match="less than a minute ago"):
        prefs.request_email_code(
            world.store, world.pm, email="other@acme.co.id", now=now + timedelta(seconds=30), send=outbox
        )
    assert len(outbox.sent) == 1 and row_of(world, world.pm).pending_email == PM_MAIL


def test_a_send_that_fails_changes_nothing(world, now, outbox):
    verify_address(world, world.pm, outbox, PM_MAIL, now)
    before = row_of(world, world.pm)
    outbox.failing = ConnectionRefusedError(111, "Connection refused")
    later = now + timedelta(minutes=5)
    with pytest.raises(DomainError) as refused:
        prefs.request_email_code(world.store, world.pm, email="new@acme.co.id", now=later, send=outbox)
    assert refused.value.message == (
        "Could not send the code to new@acme.co.id: the mail server did not answer; try again in a few minutes."
    )
    after = row_of(world, world.pm)
    assert (after.email, after.pending_email, after.code_hash, after.updated_at) == (
        before.email,
        None,
        None,
        before.updated_at,
    )


def test_a_new_address_needs_its_own_code_and_the_old_one_serves_meanwhile(world, now, outbox):
    verify_address(world, world.pm, outbox, PM_MAIL, now)
    with pytest.raises(InvalidInput, match="already your verified address"):
        prefs.request_email_code(world.store, world.pm, email=PM_MAIL, now=now + timedelta(minutes=5), send=outbox)
    later = now + timedelta(minutes=10)
    prefs.request_email_code(world.store, world.pm, email="new@acme.co.id", now=later, send=outbox)
    waiting = prefs.preferences(world.store, world.pm, now=later)
    assert (waiting.email, waiting.verified, waiting.pending_email) == (PM_MAIL, True, "new@acme.co.id")
    changed = prefs.verify_email(world.store, world.pm, code=outbox.code(), now=later)
    assert (changed.email, changed.pending_email) == ("new@acme.co.id", None)
    assert row_of(world, world.pm).email_verified_at == later


def test_stopping_email_forgets_the_address_and_any_code(world, now, outbox):
    verify_address(world, world.pm, outbox, PM_MAIL, now)
    prefs.request_email_code(world.store, world.pm, email="new@acme.co.id", now=now + timedelta(minutes=5), send=outbox)
    stopped = prefs.stop_email(world.store, world.pm, now=now + timedelta(minutes=6))
    assert (stopped.email, stopped.verified, stopped.pending_email, stopped.code_expires_at) == (
        None,
        False,
        None,
        None,
    )
    row = row_of(world, world.pm)
    assert (row.email, row.email_verified_at, row.code_hash) == (None, None, None)
    assert prefs.stop_email(world.store, world.admin, now=now).email is None  # nothing to stop: fine
    assert audit_of(world)[-1] == "notifications.email.stopped"


def test_each_user_has_their_own_code(world, now, outbox):
    prefs.request_email_code(world.store, world.pm, email=PM_MAIL, now=now, send=outbox)
    with pytest.raises(InvalidInput, match="Ask for a code first"):
        prefs.verify_email(world.store, world.admin, code=outbox.code(), now=now)


def test_the_code_travels_through_a_real_mail_server(world, now):
    server = MailServer()
    try:
        transport = SmtpTransport(server.url, timeout_s=5)
        prefs.request_email_code(world.store, world.pm, email=PM_MAIL, now=now, send=transport.send)
    finally:
        server.stop()
    ((rcpt_tos, message),) = server.arrivals
    assert rcpt_tos == [PM_MAIL]
    code = re.search(r"\b(\d{6})\b", message.get_body(("plain",)).get_content()).group(1)
    assert code in message.get_body(("html",)).get_content()
    assert prefs.verify_email(world.store, world.pm, code=code, now=now).email == PM_MAIL


def test_a_mail_server_that_is_down_refuses_the_code_in_words(world, now):
    transport = SmtpTransport(f"smtp://127.0.0.1:{free_port()}", timeout_s=2)
    with pytest.raises(DomainError, match="Could not send the code to dewi@acme.co.id: the mail server did not"):
        prefs.request_email_code(world.store, world.pm, email=PM_MAIL, now=now, send=transport.send)
    assert row_of(world, world.pm) is None
