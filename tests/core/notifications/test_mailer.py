"""Notification email (core.notifications.mailer) against a real SMTP server on 127.0.0.1 (aiosmtpd), on
SQLite and PostgreSQL: what arrives (subject, recipient, plain and HTML parts, typed text as text),
a server that refuses or cannot be reached and then recovers (nothing lost, nothing doubled), the
digest, mail skipped when the address changed or email was turned off, leases, the .eml files of the
default transport, TLS (STARTTLS and smtps) with URL-encoded credentials, and the settings. The
Notification and NotificationMail rows are written here directly, as core.notifications.notify
queues them."""

from __future__ import annotations

import ipaddress
import itertools
import json
import socket
import ssl
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from sqlalchemy import select

from core.config import ConfigError, Settings, load_settings
from core.domain import MailStatus, NotificationKind, UserStatus
from core.notifications import kinds, mailer
from core.notifications.mailer import (
    FileTransport,
    MailError,
    Notice,
    Recipient,
    SmtpTransport,
    compose,
    send_due,
)
from core.store.models import Notification, NotificationMail, NotificationPreference, Order, User
from tests.builders import at_once, place

NEW_ORDER = NotificationKind.NEW_ORDER
LOW_STOCK = NotificationKind.LOW_STOCK
CLOSURE = NotificationKind.CLOSURE_TOMORROW
PM_MAIL = "dewi@acme.co.id"
ADMIN_MAIL = "budi@acme.co.id"
SUBJECTS = itertools.count(1)
HOSTILE = '<script>alert("x")</script> **bold** [click](https://evil.example/pay) www.evil.example a@evil.example'


# --- a real SMTP server ------------------------------------------------------------------------------------


@dataclass
class Arrival:
    mail_from: str
    rcpt_tos: list[str]
    message: EmailMessage

    @property
    def text(self) -> str:
        part = self.message.get_body(preferencelist=("plain",))
        assert part is not None
        return part.get_content()

    @property
    def html(self) -> str:
        part = self.message.get_body(preferencelist=("html",))
        assert part is not None
        return part.get_content()


@dataclass
class Handler:
    """Accepts mail, or answers what `refuse_data` / `refuse_rcpt` say (an SMTP reply line)."""

    arrivals: list[Arrival] = field(default_factory=list)
    refuse_data: Callable[[], str | None] = lambda: None
    refuse_rcpt: Callable[[str], str | None] = lambda _address: None
    lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        refused = self.refuse_rcpt(address)
        if refused:
            return refused
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        refused = self.refuse_data()
        if refused:
            return refused
        message = BytesParser(policy=policy.default).parsebytes(envelope.content)
        assert isinstance(message, EmailMessage)
        with self.lock:
            self.arrivals.append(Arrival(envelope.mail_from, list(envelope.rcpt_tos), message))
        return "250 2.0.0 Accepted"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class MailServer:
    def __init__(self, **server_kwargs) -> None:
        self.handler = Handler()
        self.port = free_port()
        self.controller = Controller(self.handler, hostname="127.0.0.1", port=self.port, **server_kwargs)
        self.controller.start()

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}"

    @property
    def arrivals(self) -> list[Arrival]:
        return self.handler.arrivals

    def stop(self) -> None:
        self.controller.stop()


@pytest.fixture
def server():
    server = MailServer()
    yield server
    server.stop()


# --- rows as the notification code writes them -------------------------------------------------------------


def verified(world, actor, email: str, at: datetime, *, chosen=None, digest: bool = False) -> None:
    chosen = kinds.kinds_for(actor.role) if chosen is None else chosen
    with world.store.transaction() as session:
        row = session.get(NotificationPreference, actor.user_id)
        if row is None:
            row = NotificationPreference(user_id=actor.user_id, code_attempts=0)
            session.add(row)
        row.email, row.email_verified_at = email, at
        row.email_kinds, row.digest, row.updated_at = ",".join(k.value for k in chosen), digest, at


def notify(world, actor, kind, at, *, facts=None, order_id=None, due=None, digest=False, subject=None) -> int:
    """A notification and its queued mail; returns the notification's id."""
    with world.store.transaction() as session:
        row = Notification(
            user_id=actor.user_id,
            company_id=actor.company_id,
            kind=kind,
            subject=subject or f"test:{next(SUBJECTS)}",
            order_id=order_id,
            facts=json.dumps(facts or {}),
            created_at=at,
        )
        session.add(row)
        session.flush()
        session.add(
            NotificationMail(
                notification_id=row.id,
                user_id=actor.user_id,
                status=MailStatus.PENDING,
                digest=digest,
                due_at=due or at,
                attempts=0,
                created_at=at,
            )
        )
        return row.id


def mails(store) -> list[NotificationMail]:
    with store.reading() as session:
        return list(session.scalars(select(NotificationMail).order_by(NotificationMail.id)))


def mail_of(store, notification_id) -> NotificationMail:
    with store.reading() as session:
        return session.scalar(select(NotificationMail).where(NotificationMail.notification_id == notification_id))


def order_of(world, at) -> tuple[int, str]:
    number = place(world, at=at).order_number
    with world.store.reading() as session:
        return session.scalar(select(Order.id).where(Order.order_number == number)), number


def smtp(server: MailServer, **kw) -> SmtpTransport:
    return SmtpTransport(server.url, timeout_s=5, **kw)


# --- composing (no store) ----------------------------------------------------------------------------------


def notice(notification_id=1, kind=NEW_ORDER, facts=None, number="KP-00000012", at=None) -> Notice:
    return Notice(
        notification_id=notification_id,
        kind=kind,
        title=kinds.KINDS[kind].title,
        sentence=kinds.sentence(kind, facts or {}, number),
        order_number=number,
        created_at=at or datetime(2026, 11, 25, 3, 0, tzinfo=UTC),
    )


RECIPIENT = Recipient(7, "Dewi <b>Lestari</b>", "PT Maju & Jaya", PM_MAIL)


def test_one_notification_is_one_mail_with_the_bank_s_header_and_typed_text_kept_as_text(now):
    mail = compose(
        [notice(facts={"buyer": HOSTILE, "amount": 150_000})],
        RECIPIENT,
        now=now,
        portal_url="https://kopra.bank.example",
    )

    assert mail.subject == "Kopra Partnership: New order (KP-00000012)"
    assert mail.to == PM_MAIL and mail.key == "kopra.notification-1"
    visible = mail.text.replace(mailer.JOINER, "")
    assert HOSTILE in visible and "Rp150.000" in visible and "25 Nov 2026 10:00 WIB" in visible
    assert "Open Kopra Partnership: https://kopra.bank.example" in mail.text  # our own link stays one
    assert "https://evil.example" not in mail.text  # a client makes no link of the typed address
    # HTML: the typed text is escaped, shows as typed, and no client makes a link or markup of it.
    assert "<script" not in mail.html and "<b>" not in mail.html
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; **bold** [click](https" in mail.html
    assert "Dewi &lt;b&gt;Lestari&lt;/b&gt;" in mail.html and "PT Maju &amp; Jaya" in mail.html
    assert mail.html.count("<a ") == 1 and 'href="https://kopra.bank.example"' in mail.html
    assert "evil.example" not in mail.html and "www.evil" not in mail.html and "a@evil" not in mail.html
    assert "background:#003D79" in mail.html and ">Kopra Partnership</div>" in mail.html


def test_a_digest_is_one_mail_listing_each_notification_oldest_first(now):
    notices = [
        notice(3, LOW_STOCK, {"sku": "RICE-5", "warehouse": "JKT-1", "available": 2}, None, now),
        notice(1, NEW_ORDER, {"buyer": "Toko Makmur"}, "KP-00000001", now - timedelta(hours=2)),
        notice(2, NEW_ORDER, {"buyer": "Warung Jaya"}, "KP-00000002", now - timedelta(hours=1)),
    ]
    mail = compose(notices, RECIPIENT, now=now)

    assert mail.subject == "Kopra Partnership: 3 notifications"
    assert mail.key.startswith("kopra.digest-7-")
    assert mail.key == compose(list(reversed(notices)), RECIPIENT, now=now + timedelta(hours=1)).key  # stable
    text = mail.text.replace(mailer.JOINER, "")
    assert text.index("KP-00000001") < text.index("KP-00000002") < text.index("RICE-5")
    assert "1. New order" in text and "3. Low stock" in text
    assert "<a " not in mail.html  # no portal address given: no button
    assert mail.html.count("border-left:4px solid") == 3


# --- sending through a real server -------------------------------------------------------------------------


def test_a_due_mail_reaches_the_server_with_subject_recipient_and_both_parts(world, now, server):
    order_id, number = order_of(world, now - timedelta(hours=1))
    verified(world, world.pm, PM_MAIL, now - timedelta(days=1))
    nid = notify(world, world.pm, NEW_ORDER, now, order_id=order_id, facts={"buyer": HOSTILE, "amount": 150_000})

    report = send_due(world.store, smtp(server), worker="w1", now=now, portal_url="http://localhost:8501")

    assert (report["claimed"], report["sent"], report["failed"], report["skipped"]) == (1, 1, 0, 0)
    (arrival,) = server.arrivals
    assert arrival.rcpt_tos == [PM_MAIL] and arrival.mail_from == "no-reply@kopra.example"
    message = arrival.message
    assert message["To"] == PM_MAIL and message["From"] == "Kopra Partnership <no-reply@kopra.example>"
    assert message["Subject"] == f"Kopra Partnership: New order ({number})"
    assert message["Message-ID"] == f"<kopra.notification-{nid}@kopra.example>"
    assert message["Auto-Submitted"] == "auto-generated"
    assert message.get_content_type() == "multipart/alternative"
    assert HOSTILE in arrival.text.replace(mailer.JOINER, "") and number in arrival.text
    assert "&lt;script&gt;" in arrival.html and "<script" not in arrival.html
    assert arrival.html.count("<a ") == 1 and "**bold**" in arrival.html
    row = mail_of(world.store, nid)
    assert (row.status, row.attempts, row.sent_at, row.lease_until, row.last_error) == (
        MailStatus.SENT,
        1,
        now,
        None,
        None,
    )
    (line,) = report["mails"]
    assert (line["outcome"], line["notifications"], line["attempt"], line["digest"]) == ("sent", [nid], 1, False)
    assert PM_MAIL not in str(report) and "script" not in str(report)  # neither the address nor the body
    assert send_due(world.store, smtp(server), worker="w1", now=now + timedelta(hours=2))["claimed"] == 0
    assert len(server.arrivals) == 1


@pytest.mark.parametrize(
    "refusal",
    [
        pytest.param({"refuse_data": "451 4.3.0 Try again later"}, id="451"),
        pytest.param({"refuse_rcpt": "550 5.1.1 Mailbox unavailable"}, id="550"),
    ],
)
def test_a_refusing_server_delays_the_mail_then_it_goes_once(world, now, server, refusal):
    verified(world, world.pm, PM_MAIL, now - timedelta(days=1))
    nid = notify(world, world.pm, LOW_STOCK, now, facts={"sku": "RICE-5", "available": 2})
    refusing = [True]
    if "refuse_data" in refusal:
        server.handler.refuse_data = lambda: refusal["refuse_data"] if refusing[0] else None
    else:
        server.handler.refuse_rcpt = lambda _a: refusal["refuse_rcpt"] if refusing[0] else None
    transport = smtp(server)

    first = send_due(world.store, transport, worker="w1", now=now)
    assert (first["sent"], first["failed"]) == (0, 1)
    row = mail_of(world.store, nid)
    code = next(iter(refusal.values()))[:3]
    assert (row.status, row.attempts, row.lease_until) == (MailStatus.PENDING, 1, None)
    assert code in row.last_error
    assert timedelta(seconds=60) <= row.due_at - now <= timedelta(seconds=66)  # 1 minute, up to 10% more
    assert first["mails"][0]["outcome"] == "retry" and code in first["mails"][0]["error"]

    assert send_due(world.store, transport, worker="w1", now=now + timedelta(seconds=30))["claimed"] == 0
    second = send_due(world.store, transport, worker="w1", now=now + timedelta(seconds=70))
    assert second["failed"] == 1 and mail_of(world.store, nid).attempts == 2
    assert timedelta(seconds=120) <= mail_of(world.store, nid).due_at - (now + timedelta(seconds=70))

    refusing[0] = False
    third = send_due(world.store, transport, worker="w1", now=now + timedelta(minutes=10))
    assert third["sent"] == 1 and third["mails"][0]["attempt"] == 3
    assert len(server.arrivals) == 1
    row = mail_of(world.store, nid)
    assert (row.status, row.attempts, row.last_error) == (MailStatus.SENT, 3, None)


def test_an_unreachable_server_delays_every_mail_and_loses_none(world, now, server):
    verified(world, world.pm, PM_MAIL, now - timedelta(days=1))
    ids = [notify(world, world.pm, LOW_STOCK, now, facts={"sku": f"SKU-{i}"}) for i in range(3)]
    nobody = SmtpTransport(f"smtp://127.0.0.1:{free_port()}", timeout_s=2)  # nothing listens there

    report = send_due(world.store, nobody, worker="w1", now=now)

    assert (report["sent"], report["failed"]) == (0, 3)
    errors = [line["error"] for line in report["mails"]]
    assert errors[0].startswith("could not talk to the mail server at 127.0.0.1:")
    assert all(error.startswith("not tried: could not talk") for error in errors[1:])  # not tried again
    assert {(m.status, m.attempts) for m in mails(world.store)} == {(MailStatus.PENDING, 1)}

    later = send_due(world.store, smtp(server), worker="w1", now=now + timedelta(minutes=2))
    assert later["sent"] == 3
    assert sorted(a.message["Message-ID"] for a in server.arrivals) == sorted(
        f"<kopra.notification-{i}@kopra.example>" for i in ids
    )
    assert {(m.status, m.attempts) for m in mails(world.store)} == {(MailStatus.SENT, 2)}


def test_the_digest_rows_of_a_user_due_together_go_as_one_mail(world, now, server):
    verified(world, world.pm, PM_MAIL, now - timedelta(days=1), digest=True)
    verified(world, world.admin, ADMIN_MAIL, now - timedelta(days=1), digest=True)
    due = now
    digest = [
        notify(world, world.pm, LOW_STOCK, now - timedelta(hours=h), facts={"sku": f"S{h}"}, due=due, digest=True)
        for h in (3, 2, 1)
    ]
    tomorrow = notify(world, world.pm, LOW_STOCK, now, facts={"sku": "LATER"}, due=now + timedelta(days=1), digest=True)
    at_once_id = notify(world, world.pm, NEW_ORDER, now - timedelta(minutes=5), facts={"buyer": "Toko Makmur"})
    admin_one = notify(
        world, world.admin, CLOSURE, now - timedelta(hours=1), facts={"warehouse": "JKT-1"}, due=due, digest=True
    )

    # A batch of one still takes the whole digest of a user: it never goes out in pieces.
    rounds = [send_due(world.store, smtp(server), worker="w1", now=now, limit=1) for _ in range(4)]

    assert [r["claimed"] for r in rounds] == [1, 3, 1, 0]  # by due time: the one at once, pm's digest, admin's
    by_subject = {(a.rcpt_tos[0], a.message["Subject"]) for a in server.arrivals}
    assert by_subject == {
        (PM_MAIL, "Kopra Partnership: 3 notifications"),
        (PM_MAIL, "Kopra Partnership: New order"),
        (ADMIN_MAIL, "Kopra Partnership: Warehouse closed tomorrow"),
    }
    (pm_digest,) = [a for a in server.arrivals if a.message["Subject"].endswith("3 notifications")]
    text = pm_digest.text
    assert text.index("S3") < text.index("S2") < text.index("S1") and "LATER" not in text
    assert {mail_of(world.store, i).status for i in [*digest, at_once_id, admin_one]} == {MailStatus.SENT}
    assert mail_of(world.store, tomorrow).status == MailStatus.PENDING


def test_mail_queued_for_an_address_that_changed_or_was_stopped_is_skipped(world, now, server):
    verified(world, world.pm, "old@acme.co.id", now - timedelta(days=1))
    verified(world, world.admin, ADMIN_MAIL, now - timedelta(days=1), chosen=[CLOSURE])
    changed = notify(world, world.pm, LOW_STOCK, now - timedelta(minutes=10), facts={"sku": "A"})
    verified(world, world.pm, PM_MAIL, now - timedelta(minutes=5))  # a new address, verified after queueing
    after = notify(world, world.pm, LOW_STOCK, now - timedelta(minutes=1), facts={"sku": "B"})
    kind_off = notify(world, world.admin, NotificationKind.PAYOUT_ACCOUNT_CHANGED, now, facts={"bank": "BCA"})
    stopped_pm = world.other_pm
    verified(world, stopped_pm, "other@other.co.id", now - timedelta(days=1))
    stopped = notify(world, stopped_pm, LOW_STOCK, now - timedelta(minutes=1), facts={"sku": "C"})
    with world.store.transaction() as session:
        row = session.get(NotificationPreference, stopped_pm.user_id)
        row.email = row.email_verified_at = None

    report = send_due(world.store, smtp(server), worker="w1", now=now)

    assert (report["sent"], report["skipped"]) == (1, 3)
    (arrival,) = server.arrivals
    assert arrival.rcpt_tos == [PM_MAIL] and "B" in arrival.text
    reasons = {mail_of(world.store, i).last_error for i in (changed, kind_off, stopped)}
    assert reasons == {mailer.SKIP_ADDRESS_CHANGED, mailer.SKIP_KIND_OFF, mailer.SKIP_NO_ADDRESS}
    assert {mail_of(world.store, i).status for i in (changed, kind_off, stopped)} == {MailStatus.SKIPPED}
    assert mail_of(world.store, after).status == MailStatus.SENT
    assert send_due(world.store, smtp(server), worker="w1", now=now + timedelta(hours=2))["claimed"] == 0


def test_a_blocked_user_gets_no_mail(world, now, server):
    verified(world, world.pm, PM_MAIL, now - timedelta(days=1))
    nid = notify(world, world.pm, LOW_STOCK, now, facts={"sku": "A"})
    with world.store.transaction() as session:
        session.get(User, world.pm.user_id).status = UserStatus.BLOCKED
    assert send_due(world.store, smtp(server), worker="w1", now=now)["skipped"] == 1
    assert mail_of(world.store, nid).last_error == mailer.SKIP_NO_STANDING and not server.arrivals


# --- leases --------------------------------------------------------------------------------------------------


def test_a_claimed_mail_is_nobody_else_s_until_its_lease_runs_out(world, now):
    verified(world, world.pm, PM_MAIL, now - timedelta(days=1))
    nid = notify(world, world.pm, LOW_STOCK, now, facts={"sku": "A"})
    lease = timedelta(minutes=5)
    (first,) = mailer.claim_due(world.store, worker="w1", now=now, lease=lease)
    assert first.notification_id == nid and first.attempt == 1
    assert mailer.claim_due(world.store, worker="w2", now=now + timedelta(minutes=4), lease=lease) == []
    (second,) = mailer.claim_due(world.store, worker="w2", now=now + timedelta(minutes=6), lease=lease)
    # The first worker's late failure changes nothing: the row is the second's now.
    assert mailer.record_failed(world.store, [first], error="late", now=now + timedelta(minutes=7)) == 0
    assert mail_of(world.store, nid).last_error is None
    assert mailer.record_failed(world.store, [second], error="refused", now=now + timedelta(minutes=7)) == 1
    row = mail_of(world.store, nid)
    assert (row.status, row.attempts, row.last_error, row.lease_until) == (MailStatus.PENDING, 1, "refused", None)


def test_a_mailer_that_dies_after_the_server_accepted_sends_it_again_with_the_same_message_id(world, now, server):
    """At least once at the SMTP boundary, said plainly: the server's 250 and the SENT mark are not one
    transaction. The second copy carries the same Message-ID, so clients that deduplicate show one."""
    verified(world, world.pm, PM_MAIL, now - timedelta(days=1))
    notify(world, world.pm, LOW_STOCK, now, facts={"sku": "A"})
    transport = smtp(server)
    (claimed,) = mailer.claim_due(world.store, worker="w1", now=now)
    with world.store.reading() as session:
        plans, _ = mailer._plan(session, [claimed])
    transport.send(mailer.compose(plans[0].notices, plans[0].recipient, now=now))  # ... and the mailer dies here

    assert send_due(world.store, transport, worker="w2", now=now + mailer.LEASE + timedelta(seconds=1))["sent"] == 1
    first, again = server.arrivals
    assert first.message["Message-ID"] == again.message["Message-ID"]


class SlowTransport:
    """Every mail takes 3 minutes of the round's clock."""

    description = "slow"

    def __init__(self, now: datetime) -> None:
        self.now, self.sent = now, []

    def clock(self) -> datetime:
        return self.now

    def send(self, mail) -> None:
        self.sent.append(mail.key)
        self.now += timedelta(minutes=3)


def test_a_round_starts_no_mail_once_half_its_lease_is_gone_and_gives_the_rest_back(world, now):
    verified(world, world.pm, PM_MAIL, now - timedelta(days=1))
    ids = [notify(world, world.pm, LOW_STOCK, now, facts={"sku": f"S{i}"}) for i in range(3)]
    slow = SlowTransport(now)

    report = send_due(world.store, slow, worker="w1", now=now, lease=timedelta(minutes=5), clock=slow.clock)

    assert (report["sent"], report["later"], report["failed"]) == (1, 2, 0)
    assert [line["outcome"] for line in report["mails"]] == ["sent", "later", "later"]
    assert mail_of(world.store, ids[0]).sent_at == now + timedelta(minutes=3)  # stamped by the clock
    rest = [mail_of(world.store, i) for i in ids[1:]]
    assert {(m.status, m.attempts, m.lease_until) for m in rest} == {(MailStatus.PENDING, 0, None)}
    again = send_due(world.store, slow, worker="w1", now=slow.now, lease=timedelta(minutes=10), clock=slow.clock)
    assert again["sent"] == 2 and len(slow.sent) == 3 == len(set(slow.sent))


def test_two_mailers_at_once_claim_each_mail_once(world, now):
    verified(world, world.pm, PM_MAIL, now - timedelta(days=1))
    for i in range(12):
        notify(world, world.pm, LOW_STOCK, now, facts={"sku": f"S{i}"})
    outcomes = at_once(
        world.store.database_url, 3, lambda store, i: mailer.claim_due(store, worker=f"w{i}", now=now, limit=5)
    )
    assert not [o for o in outcomes if isinstance(o, Exception)], outcomes
    claimed = [m.mail_id for got in outcomes for m in got]
    assert len(claimed) == len(set(claimed)) == 12


def test_the_back_off_doubles_from_a_minute_to_an_hour():
    for attempts, minutes in zip((1, 2, 3, 4, 5, 6), (1, 2, 4, 8, 16, 32)):
        waited = mailer.backoff(attempts)
        assert timedelta(minutes=minutes) <= waited <= timedelta(minutes=minutes * 1.1), attempts
    assert all(mailer.backoff(n) == timedelta(hours=1) for n in (7, 20, 500))


# --- the .eml files of `make run` --------------------------------------------------------------------------


def test_without_a_mail_server_mail_is_written_as_eml_files_any_client_reads(world, now, tmp_path):
    verified(world, world.pm, PM_MAIL, now - timedelta(days=1))
    nid = notify(world, world.pm, LOW_STOCK, now, facts={"sku": "RICE-5", "product": HOSTILE})
    settings = Settings(data_dir=tmp_path, database_url=world.store.database_url)
    transport = mailer.transport_from_settings(settings)
    assert isinstance(transport, FileTransport) and transport.folder == tmp_path / "outbox"

    assert send_due(world.store, transport, worker="w1", now=now)["sent"] == 1

    (path,) = (tmp_path / "outbox").glob("*.eml")
    assert path.name == f"20261125T030000-kopra.notification-{nid}.eml"
    message = BytesParser(policy=policy.default).parsebytes(path.read_bytes())
    assert message["To"] == PM_MAIL and message["Subject"] == "Kopra Partnership: Low stock"
    assert HOSTILE in message.get_body(("plain",)).get_content().replace(mailer.JOINER, "")
    assert "&lt;script&gt;" in message.get_body(("html",)).get_content()
    assert not list((tmp_path / "outbox").glob(".writing-*"))


def test_a_folder_that_cannot_be_written_is_a_failure_in_words(world, now, tmp_path):
    verified(world, world.pm, PM_MAIL, now - timedelta(days=1))
    notify(world, world.pm, LOW_STOCK, now, facts={"sku": "A"})
    blocked = tmp_path / "file"
    blocked.write_text("not a folder")
    report = send_due(world.store, FileTransport(blocked / "outbox"), worker="w1", now=now)
    assert report["failed"] == 1 and report["mails"][0]["error"].startswith("could not write ")


# --- TLS and credentials -------------------------------------------------------------------------------------


def _certificate(folder: Path) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1 (cryptography comes with streamlit-authenticator)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])

    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(datetime.now(UTC) - timedelta(days=1))
        .not_valid_after(datetime.now(UTC) + timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), False)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = folder / "cert.pem", folder / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return cert_path, key_path


USER, PASSWORD = "kopra@bank.example", "p@ss/w:rd#1"
ENCODED = "kopra%40bank.example:p%40ss%2Fw%3Ard%231"


def _authenticator(logins: list):
    def check(server, session, envelope, mechanism, auth_data):
        ok = isinstance(auth_data, LoginPassword) and (auth_data.login, auth_data.password) == (
            USER.encode(),
            PASSWORD.encode(),
        )
        logins.append((mechanism, ok))
        return AuthResult(success=ok, handled=False)

    return check


@pytest.fixture
def tls(tmp_path):
    cert, key = _certificate(tmp_path)
    server_side = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_side.load_cert_chain(cert, key)
    client_side = ssl.create_default_context(cafile=str(cert))
    return server_side, client_side


def _one_mail() -> mailer.OutgoingMail:
    return mailer.compose([notice()], RECIPIENT, now=datetime(2026, 11, 25, 3, tzinfo=UTC))


def test_starttls_with_url_encoded_credentials(tls):
    server_side, client_side = tls
    logins: list = []
    server = MailServer(tls_context=server_side, require_starttls=True, authenticator=_authenticator(logins))
    try:
        url = f"smtp://{ENCODED}@127.0.0.1:{server.port}?starttls=require"
        transport = SmtpTransport(url, timeout_s=5, ssl_context=client_side)
        assert PASSWORD not in repr(transport) and "p%40ss" not in repr(transport)
        assert transport.description == f"smtp://kopra%40bank.example:***@127.0.0.1:{server.port}?starttls=require"
        transport.send(_one_mail())
    finally:
        server.stop()
    assert [ok for _, ok in logins] == [True]
    assert len(server.arrivals) == 1


def test_smtps_is_tls_from_the_first_byte(tls):
    server_side, client_side = tls
    logins: list = []
    server = MailServer(ssl_context=server_side, authenticator=_authenticator(logins), auth_require_tls=False)
    try:
        transport = SmtpTransport(f"smtps://{ENCODED}@127.0.0.1:{server.port}", timeout_s=5, ssl_context=client_side)
        transport.send(_one_mail())
        untrusted = SmtpTransport(f"smtps://127.0.0.1:{server.port}", timeout_s=5)  # the system's CAs only
        with pytest.raises(MailError, match="TLS with 127.0.0.1"):
            untrusted.send(_one_mail())
    finally:
        server.stop()
    assert len(server.arrivals) == 1 and [ok for _, ok in logins] == [True]


def test_starttls_required_of_a_server_that_does_not_offer_it_sends_nothing(server):
    with pytest.raises(MailError, match="does not offer STARTTLS") as refused:
        SmtpTransport(f"{server.url}?starttls=require", timeout_s=5).send(_one_mail())
    assert refused.value.server_down and not server.arrivals


def test_a_wrong_password_is_reported_without_the_password():
    logins: list = []
    server = MailServer(authenticator=_authenticator(logins), auth_require_tls=False)
    try:
        wrong = "s3cret%2Fwrong"
        with pytest.raises(MailError) as refused:
            SmtpTransport(f"smtp://kopra:{wrong}@127.0.0.1:{server.port}", timeout_s=5).send(_one_mail())
    finally:
        server.stop()
    assert "refused the user name or password" in refused.value.message
    assert "s3cret" not in refused.value.message and not server.arrivals


# --- settings ------------------------------------------------------------------------------------------------


def test_the_mail_settings_default_to_files_and_never_show_the_password(tmp_path):
    settings = load_settings({"KOPRA_DATA_DIR": str(tmp_path)})
    assert (settings.smtp_url, settings.mail_from) == ("", "Kopra Partnership <no-reply@kopra.example>")
    url = "smtp://kopra:s3cr%40t@mail.bank.example:587"
    settings = load_settings({"KOPRA_DATA_DIR": str(tmp_path), "KOPRA_SMTP_URL": url, "KOPRA_MAIL_FROM": "a@b.example"})
    assert settings.smtp_url == url and settings.mail_from == "a@b.example"
    assert "s3cr" not in repr(settings) and "s3cr" not in settings.safe_smtp_url()
    transport = mailer.transport_from_settings(settings)
    assert isinstance(transport, SmtpTransport)
    assert (transport.host, transport.port, transport.user, transport.implicit_tls) == (
        "mail.bank.example",
        587,
        "kopra",
        False,
    )
    assert SmtpTransport("smtps://mail.bank.example").port == 465 and SmtpTransport("smtp://m.example").port == 25


@pytest.mark.parametrize(
    "env, words",
    [
        ({"KOPRA_SMTP_URL": "http://kopra:s3cret@mail.example"}, "must start with smtp://"),
        ({"KOPRA_SMTP_URL": "smtp://kopra:s3cret@mail.example:99999"}, "is not a valid mail server URL"),
        ({"KOPRA_SMTP_URL": "smtp://kopra:s3cret@"}, "must name the mail server's host"),
        ({"KOPRA_SMTP_URL": "smtp://kopra:s3cret@mail.example?starttls=maybe"}, "starttls option must be require"),
        ({"KOPRA_SMTP_URL": "smtps://kopra:s3cret@mail.example?starttls=require"}, "smtp:// only"),
        ({"KOPRA_MAIL_FROM": "Kopra Partnership"}, "KOPRA_MAIL_FROM must be an email address"),
    ],
)
def test_a_bad_mail_setting_is_one_sentence_without_the_password(tmp_path, env, words):
    with pytest.raises(ConfigError, match=words) as caught:
        load_settings({"KOPRA_DATA_DIR": str(tmp_path), **env})
    message = str(caught.value)
    assert "\n" not in message and message.endswith(".") and "s3cret" not in message


def test_the_mail_date_is_the_round_s_time(now):
    message = mailer.build_message(_one_mail(), "Kopra <no-reply@bank.example>")
    assert message["Date"].datetime == datetime(2026, 11, 25, 3, tzinfo=UTC)
    assert message["Message-ID"] == "<kopra.notification-1@bank.example>"
