"""Notification email: composing it, the transports that carry it, and the rounds of the mailer
process (`python -m jobs.mailer`) that send what is due.

A notification's email is a `NotificationMail` row, queued PENDING with its `due_at` (at once, or the
user's digest time) when the notification is written (core.notifications.notify). The mailer runs
rounds of `send_due`:

1. `claim_due`: lease the due rows for a while, so no other mailer sends them meanwhile (a digest's
   rows are claimed together: one user, one digest mail).
2. Each row is checked against the user's preferences as they are *now*: no verified address any more,
   an address verified after the row was queued (a changed address), email turned off for its kind, or
   a user who may no longer log in: SKIPPED, never sent.
3. One mail per notification, or one per user for the digest rows due together; the transport hands it
   to the mail server (`SmtpTransport`) or writes it as an .eml file (`FileTransport`, the default for
   `make run`).
4. `record_sent` once the server accepted it; `record_failed` otherwise: tried again after 1 minute,
   doubling up to an hour, for as long as it takes (a server that is down delays mail, loses none).

Exactly once per notification, user and address, with one honest exception at the SMTP boundary: a
mailer that dies between the server's "250 accepted" and `record_sent` leaves a lease that runs out,
and the mail is sent again. Every mail carries a Message-ID that is stable per notification (per set
of notifications for a digest), so mail clients and servers that deduplicate on it show it once.

A mail is written in its recipient's language: the one the user chose (users.language), else the
default (core.i18n.chosen); a code mail in the language of the page that asked for it when the user
never chose. The notifications table keeps only kinds and facts, so each mail says them afresh.

Core reads no environment: `transport_from_settings` gets the settings from the caller. Every value a
mail shows is escaped in the HTML part (`html.escape`), and text that reads like an address or a link
gets an invisible word joiner (U+2060) so that mail clients do not make a link of it: what someone
typed stays text, never markup or a link they created.
"""

from __future__ import annotations

import hashlib
import html
import json
import logging
import os
import random
import re
import secrets
import smtplib
import socket
import ssl
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.policy import SMTP as SMTP_POLICY
from email.utils import format_datetime, parseaddr
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import parse_qs, quote, unquote, urlsplit

from sqlalchemy import and_, or_, select, update
from sqlalchemy.orm import Session

from core.clock import require_aware
from core.config import DEFAULT_MAIL_FROM, Settings, check_smtp_url, safe_smtp_url
from core.domain import MailStatus, NotificationKind, UserStatus
from core.formats import DEFAULT_TIME_ZONE, format_local
from core.i18n import _, _n, chosen, gettext, using
from core.i18n import language as active_language
from core.notifications import kinds
from core.notifications.queue import email_kinds
from core.orders.effects import among
from core.store.database import Store
from core.store.models import Company, Notification, NotificationMail, NotificationPreference, Order, User
from core.warehouses.records import company_time_zone

log = logging.getLogger("kopra.mailer")

PRODUCT = "Kopra Partnership"
#: How long a mailer holds the rows it claimed. A round sends at most BATCH mails one after another,
#: each bounded by the transport's timeout, and stops trying after the first server that does not
#: answer: well inside the lease.
LEASE = timedelta(minutes=5)
BATCH = 10
SMTP_TIMEOUT_S = 15.0
FIRST_BACKOFF_S = 60
MAX_BACKOFF_S = 3600
MAX_ERROR = 300
#: The bank's blue (.streamlit/config.toml) and the portal's quiet greys.
BLUE = "#003D79"
TEXT = "#1B2430"
MUTED = "#5B6675"
PANEL = "#F2F5F9"

SKIP_NO_ADDRESS = "skipped: the user has no verified email address"
SKIP_ADDRESS_CHANGED = "skipped: the email address changed after the mail was queued"
SKIP_KIND_OFF = "skipped: email for this kind of notification was turned off"
SKIP_NO_STANDING = "skipped: the user may no longer use the portal"


class MailError(Exception):
    """The transport could not hand a mail over; the message says why in words, never a password.
    `server_down`: the server could not be reached or talked to at all (not one mail's refusal), so the
    rest of the round is not tried."""

    def __init__(self, message: str, *, server_down: bool = False):
        super().__init__(message)
        self.message = message
        self.server_down = server_down


# --- what a mail is ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class OutgoingMail:
    """One email, as composed: the transport adds the sender and turns it into MIME."""

    to: str
    subject: str
    text: str = field(repr=False)  # a code mail's text holds the code
    html: str = field(repr=False)
    #: Stable per notification (per set of notifications for a digest): the Message-ID's left part.
    key: str
    date: datetime


@dataclass(frozen=True)
class Recipient:
    user_id: int
    name: str
    company_name: str
    email: str
    time_zone: str = DEFAULT_TIME_ZONE  # where the mail's times are shown (the company's zone)
    #: The language the user chose ("id", "en"), or None: the mail reads in core.i18n.chosen(language).
    language: str | None = None


@dataclass(frozen=True)
class Notice:
    """One notification as a mail tells it (its title and sentence in the recipient's language)."""

    notification_id: int
    kind: NotificationKind
    title: str
    sentence: str  # plain text; it may quote what someone typed
    order_number: str | None
    created_at: datetime


def facts_of(raw: str | None) -> dict[str, Any]:
    """A notification's facts; a row whose facts cannot be read still goes out with what is known."""
    try:
        facts = json.loads(raw or "{}")
    except ValueError:
        return {}
    return facts if isinstance(facts, dict) else {}


def notice_of(notification: Notification, order_number: str | None) -> Notice:
    """The notification as a mail tells it, in the reader's language (core.i18n.using)."""
    kind = NotificationKind(notification.kind)
    return Notice(
        notification_id=notification.id,
        kind=kind,
        title=kinds.title(kind),
        sentence=kinds.sentence(kind, facts_of(notification.facts), order_number),
        order_number=order_number,
        created_at=notification.created_at,
    )


# --- composing -----------------------------------------------------------------------------------------

JOINER = "\u2060"
#: What mail clients make links of: schemes ("https:", "mailto:"), "www.", addresses (@) and host
#: names (a dot between a letter or digit and a letter: "evil.example", not "Rp 1.250.000").
_LINKISH = (
    (re.compile(r"(?i)(?<=[a-z]):(?=/|[a-z])"), ":" + JOINER),
    (re.compile(r"@"), "@" + JOINER),
    (re.compile(r"(?<=[A-Za-z0-9])\.(?=[A-Za-z])"), "." + JOINER),
)


def as_text(value: object) -> str:
    """A value as mail text: no line breaks where one line belongs, and nothing a client links."""
    text = " ".join(str(value).split()) if value is not None else ""
    for pattern, replacement in _LINKISH:
        text = pattern.sub(replacement, text)
    return text


def as_html(value: object) -> str:
    """A value as HTML text: escaped (markup shows as typed) and linked by no client."""
    return html.escape(as_text(value), quote=True).replace(JOINER, "&#8288;")


def _portal(url: str) -> str:
    """The portal's address for a link of our own: only an http(s) URL, else none."""
    parts = urlsplit(url.strip())
    return url.strip() if parts.scheme in ("http", "https") and parts.hostname else ""


def _subject(notices: Sequence[Notice]) -> str:
    if len(notices) == 1:
        (notice,) = notices
        number = notice.order_number
        if number and number not in notice.title:
            said = _("{product}: {title} ({number})", product=PRODUCT, title=notice.title, number=number)
        else:
            said = _("{product}: {title}", product=PRODUCT, title=notice.title)
        return " ".join(str(said).split())
    return str(_n("{product}: {count} notification", "{product}: {count} notifications", len(notices), product=PRODUCT))


def _key(notices: Sequence[Notice], user: Recipient) -> str:
    if len(notices) == 1:
        return f"kopra.notification-{notices[0].notification_id}"
    ids = ",".join(str(n.notification_id) for n in sorted(notices, key=lambda n: n.notification_id))
    return f"kopra.digest-{user.user_id}-{hashlib.sha256(ids.encode()).hexdigest()[:20]}"


def _footer(company: str) -> str:
    return _(
        "You receive this email because you asked for these notifications by email in {product} ({company}). "
        "Choose which ones come by email, and whether at once or in a daily digest, in the portal's "
        "notification settings; the portal always shows every one.",
        product=PRODUCT,
        company=company,
    ).render()


def _hello(name: str) -> str:
    return _("Hello {name},", name=as_text(name)).render() if name.strip() else gettext("Hello,")


def compose(notifications: Sequence[Notice], user: Recipient, *, now: datetime, portal_url: str = "") -> OutgoingMail:
    """One mail to `user`: a single notification, or a digest listing several (oldest first), in the
    user's language (`Recipient.language`; the notices are in it already: `notice_of`)."""
    if not notifications:
        raise ValueError("a mail tells of at least one notification")
    with using(chosen(user.language)) as code:
        return _compose(notifications, user, now=now, portal_url=portal_url, code=code)


def _compose(
    notifications: Sequence[Notice], user: Recipient, *, now: datetime, portal_url: str, code: str
) -> OutgoingMail:
    notices = sorted(notifications, key=lambda n: (n.created_at, n.notification_id))
    subject = _subject(notices)
    portal = _portal(portal_url)
    single = len(notices) == 1
    intro = (
        ""
        if single
        else _n(
            "Here is your {count} notification from {product}.",
            "Here are your {count} notifications from {product}.",
            len(notices),
            product=PRODUCT,
        ).render()
    )
    footer = _footer(as_text(user.company_name))
    seller_portal = gettext("Seller portal")

    hello = _hello(user.name)
    lines = [f"{PRODUCT}", "", hello, ""]
    if intro:
        lines += [intro, ""]
    for number, notice in enumerate(notices, 1):
        when = format_local(notice.created_at, user.time_zone)
        head = as_text(notice.title) if single else f"{number}. {as_text(notice.title)}"
        lines += [head, as_text(notice.sentence), when, ""]
    if portal:
        lines += [_("Open {product}: {address}", product=PRODUCT, address=portal).render(), ""]
    lines += ["-- ", footer, ""]
    text = "\n".join(lines)

    items = "".join(
        f'<tr><td style="padding:12px 16px;border-left:4px solid {BLUE};background:{PANEL};">'
        f'<div style="font-weight:bold;font-size:15px;">{as_html(n.title)}</div>'
        f'<div style="margin-top:4px;font-size:15px;line-height:1.45;">{as_html(n.sentence)}</div>'
        f'<div style="margin-top:6px;font-size:12px;color:{MUTED};">'
        f"{as_html(format_local(n.created_at, user.time_zone))}</div>"
        f'</td></tr><tr><td style="height:10px;line-height:10px;font-size:0;">&nbsp;</td></tr>'
        for n in notices
    )
    open_portal = as_html(_("Open {product}", product=PRODUCT))
    button = (
        f'<p style="margin:20px 0 0;"><a href="{html.escape(portal, quote=True)}" '
        f'style="display:inline-block;background:{BLUE};color:#FFFFFF;text-decoration:none;'
        f'padding:10px 18px;border-radius:4px;font-weight:bold;">{open_portal}</a></p>'
        if portal
        else ""
    )
    intro_html = f'<p style="margin:0 0 16px;">{as_html(intro)}</p>' if intro else ""
    body = (
        f'<!DOCTYPE html><html lang="{code}"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{as_html(subject)}</title></head>"
        f'<body style="margin:0;padding:0;background:{PANEL};font-family:Arial,Helvetica,sans-serif;color:{TEXT};">'
        f'<table role="presentation" width="100%" cellspacing="0" cellpadding="0" style="background:{PANEL};">'
        '<tr><td align="center" style="padding:24px 8px;">'
        '<table role="presentation" width="600" cellspacing="0" cellpadding="0" '
        'style="max-width:600px;width:100%;background:#FFFFFF;border-radius:6px;">'
        f'<tr><td style="background:{BLUE};color:#FFFFFF;padding:18px 24px;border-radius:6px 6px 0 0;">'
        f'<div style="font-size:20px;font-weight:bold;letter-spacing:0.3px;">{PRODUCT}</div>'
        f'<div style="font-size:13px;opacity:0.85;">{as_html(seller_portal)}</div></td></tr>'
        f'<tr><td style="padding:24px;font-size:15px;line-height:1.45;">'
        f'<p style="margin:0 0 16px;">{html.escape(hello).replace(JOINER, "&#8288;")}</p>{intro_html}'
        f'<table role="presentation" width="100%" cellspacing="0" cellpadding="0">{items}</table>'
        f"{button}</td></tr>"
        f'<tr><td style="padding:16px 24px;border-top:1px solid #E3E8EF;font-size:12px;color:{MUTED};">'
        f"{html.escape(footer, quote=True).replace(JOINER, '&#8288;')}</td></tr>"
        "</table></td></tr></table></body></html>"
    )
    return OutgoingMail(to=user.email, subject=subject, text=text, html=body, key=_key(notices, user), date=now)


def compose_code(
    to: str,
    code: str,
    *,
    user_id: int,
    name: str,
    now: datetime,
    valid_minutes: int,
    language: str | None = None,
) -> OutgoingMail:
    """The mail with the 6-digit code that proves `to` is the user's address, in `language` (None: the
    reader's language, core.i18n.using)."""
    with using(chosen(language or active_language())) as reads:
        return _compose_code(to, code, user_id=user_id, name=name, now=now, valid_minutes=valid_minutes, reads=reads)


def _compose_code(
    to: str, code: str, *, user_id: int, name: str, now: datetime, valid_minutes: int, reads: str
) -> OutgoingMail:
    subject = _("{product}: your email verification code", product=PRODUCT).render()
    sentence = _n(
        "Enter this code in {product} within {count} minute to receive your notifications at this address:",
        "Enter this code in {product} within {count} minutes to receive your notifications at this address:",
        valid_minutes,
        product=PRODUCT,
    ).render()
    ignore = gettext("If you did not ask for it, ignore this email: nothing changes without the code.")
    hello, seller_portal = _hello(name), as_html(gettext("Seller portal"))
    text = "\n".join([PRODUCT, "", hello, "", sentence, "", f"    {code}", "", ignore, ""])
    body = (
        f'<!DOCTYPE html><html lang="{reads}"><head><meta charset="utf-8">'
        f"<title>{as_html(subject)}</title></head>"
        f'<body style="margin:0;padding:0;background:{PANEL};font-family:Arial,Helvetica,sans-serif;color:{TEXT};">'
        f'<table role="presentation" width="100%" cellspacing="0" cellpadding="0" style="background:{PANEL};">'
        '<tr><td align="center" style="padding:24px 8px;">'
        '<table role="presentation" width="600" cellspacing="0" cellpadding="0" '
        'style="max-width:600px;width:100%;background:#FFFFFF;border-radius:6px;">'
        f'<tr><td style="background:{BLUE};color:#FFFFFF;padding:18px 24px;border-radius:6px 6px 0 0;">'
        f'<div style="font-size:20px;font-weight:bold;">{PRODUCT}</div>'
        f'<div style="font-size:13px;opacity:0.85;">{seller_portal}</div></td></tr>'
        '<tr><td style="padding:24px;font-size:15px;line-height:1.45;">'
        f'<p style="margin:0 0 16px;">{html.escape(hello).replace(JOINER, "&#8288;")}</p>'
        f'<p style="margin:0 0 16px;">{as_html(sentence)}</p>'
        f'<p style="margin:0 0 16px;font-size:28px;font-weight:bold;letter-spacing:6px;color:{BLUE};">'
        f"{html.escape(code)}</p>"
        f'<p style="margin:0;color:{MUTED};font-size:13px;">{as_html(ignore)}</p></td></tr>'
        "</table></td></tr></table></body></html>"
    )
    return OutgoingMail(
        to=to, subject=subject, text=text, html=body, key=f"kopra.code-{user_id}-{secrets.token_hex(8)}", date=now
    )


def _domain(sender: str) -> str:
    address = parseaddr(sender)[1]
    domain = address.rpartition("@")[2].strip().lower()
    return domain if re.fullmatch(r"[a-z0-9.-]+", domain or "-") else "kopra.example"


def build_message(mail: OutgoingMail, sender: str) -> EmailMessage:
    """The MIME message: plain text, and the same as HTML as its alternative."""
    message = EmailMessage()
    message["From"] = sender
    message["To"] = mail.to
    message["Subject"] = mail.subject
    message["Date"] = format_datetime(require_aware(mail.date, "date"))
    message["Message-ID"] = f"<{mail.key}@{_domain(sender)}>"
    message["Auto-Submitted"] = "auto-generated"  # RFC 3834: no vacation auto-replies to it
    message["X-Auto-Response-Suppress"] = "All"
    message.set_content(mail.text)
    message.add_alternative(mail.html, subtype="html")
    return message


# --- transports -----------------------------------------------------------------------------------------


class Transport(Protocol):
    #: Where mail goes, for logs: never a password.
    description: str

    def send(self, mail: OutgoingMail) -> None:
        """Hand one mail over, or raise MailError."""


class FileTransport:
    """Mail written as .eml files (one per mail) into a folder: the default when no mail server is set.
    Any mail client opens them; `python -m jobs.mailer --show` prints the newest."""

    def __init__(self, folder: Path, *, sender: str = DEFAULT_MAIL_FROM):
        self.folder = Path(folder)
        self.sender = sender
        self.description = f"files in {self.folder}"

    def __repr__(self) -> str:
        return f"FileTransport({self.description})"

    def path_for(self, mail: OutgoingMail) -> Path:
        stamp = require_aware(mail.date, "date").strftime("%Y%m%dT%H%M%S")
        return self.folder / f"{stamp}-{mail.key}.eml"

    def send(self, mail: OutgoingMail) -> None:
        data = build_message(mail, self.sender).as_bytes(policy=SMTP_POLICY)
        path = self.path_for(mail)
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            # Whole or not at all: written beside it, then renamed into place.
            with tempfile.NamedTemporaryFile(dir=self.folder, prefix=".writing-", delete=False) as out:
                out.write(data)
            os.replace(out.name, path)
        except OSError as exc:
            raise MailError(f"could not write {path}: {exc.strerror or exc}", server_down=True) from None


def _is_loopback(host: str) -> bool:
    return host in ("localhost", "::1") or host.startswith("127.")


class SmtpTransport:
    """Mail through a mail server: `smtp://[user:pass@]host[:port][?starttls=require]` (port 25 unless
    given; STARTTLS whenever the server offers it, and with starttls=require a server that does not is
    refused) or `smtps://[user:pass@]host[:port]` (TLS from the first byte, port 465 unless given).
    The user name and password are URL-decoded; the password is sent only over TLS (or to this machine),
    and never appears in a message, a log line or repr."""

    def __init__(
        self,
        url: str,
        *,
        sender: str = DEFAULT_MAIL_FROM,
        timeout_s: float = SMTP_TIMEOUT_S,
        ssl_context: ssl.SSLContext | None = None,
    ):
        check_smtp_url(url)
        parts = urlsplit(url)
        self.implicit_tls = parts.scheme == "smtps"
        self.host = parts.hostname or ""
        self.port = parts.port or (465 if self.implicit_tls else 25)
        self.require_starttls = parse_qs(parts.query).get("starttls", ["auto"])[0] == "require"
        self.user = unquote(parts.username) if parts.username else None
        self._password = unquote(parts.password) if parts.password is not None else None
        self.sender = sender
        self.timeout_s = timeout_s
        self._ssl_context = ssl_context
        self.description = safe_smtp_url(url)

    def __repr__(self) -> str:
        return f"SmtpTransport({self.description})"

    @property
    def where(self) -> str:
        return f"{self.host}:{self.port}"

    def _scrub(self, text: str) -> str:
        if self._password:
            for secret in {self._password, quote(self._password, safe="")}:
                text = text.replace(secret, "***")
        return " ".join(text.split())[:MAX_ERROR]

    def send(self, mail: OutgoingMail) -> None:
        message = build_message(mail, self.sender)
        try:
            self._send(message, mail.to)
        except MailError as exc:
            raise MailError(self._scrub(exc.message), server_down=exc.server_down) from None
        except smtplib.SMTPRecipientsRefused as exc:
            code, said = next(iter(exc.recipients.values()), (0, b""))
            raise MailError(self._scrub(f"the mail server refused the recipient: {code} {_said(said)}")) from None
        except smtplib.SMTPAuthenticationError as exc:
            raise MailError(
                self._scrub(
                    f"the mail server refused the user name or password: {exc.smtp_code} {_said(exc.smtp_error)}"
                ),
                server_down=True,
            ) from None
        except smtplib.SMTPResponseException as exc:
            raise MailError(
                self._scrub(f"the mail server answered {exc.smtp_code} {_said(exc.smtp_error)}"),
                server_down=exc.smtp_code == 421,
            ) from None
        except (smtplib.SMTPServerDisconnected, smtplib.SMTPNotSupportedError) as exc:
            raise MailError(self._scrub(f"the mail server at {self.where} hung up: {exc}"), server_down=True) from None
        except TimeoutError:
            raise MailError(
                f"the mail server at {self.where} did not answer within {self.timeout_s:g} s", server_down=True
            ) from None
        except ssl.SSLError as exc:
            raise MailError(self._scrub(f"TLS with {self.where} failed: {exc}"), server_down=True) from None
        except (OSError, smtplib.SMTPException, UnicodeError) as exc:
            reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc) or type(exc).__name__
            raise MailError(
                self._scrub(f"could not talk to the mail server at {self.where}: {reason}"), server_down=True
            ) from None

    def _send(self, message: EmailMessage, to: str) -> None:
        context = self._ssl_context or ssl.create_default_context()
        local = socket.gethostname() or "localhost"  # not getfqdn(): no reverse DNS lookup per mail
        client: smtplib.SMTP
        if self.implicit_tls:
            client = smtplib.SMTP_SSL(self.host, self.port, local, timeout=self.timeout_s, context=context)
        else:
            client = smtplib.SMTP(self.host, self.port, local, timeout=self.timeout_s)
        try:
            client.ehlo()
            encrypted = self.implicit_tls
            if not self.implicit_tls and client.has_extn("starttls"):
                client.starttls(context=context)
                client.ehlo()
                encrypted = True
            if not encrypted and self.require_starttls:
                raise MailError(
                    f"the mail server at {self.where} does not offer STARTTLS, which KOPRA_SMTP_URL requires",
                    server_down=True,
                )
            if self.user is not None:
                if not encrypted and not _is_loopback(self.host):
                    raise MailError(
                        f"the mail server at {self.where} offers no TLS, so the password was not sent",
                        server_down=True,
                    )
                client.login(self.user, self._password or "")
            envelope_from = parseaddr(self.sender)[1]
            client.send_message(message, from_addr=envelope_from, to_addrs=[to])
            # Accepted: from here on nothing may turn it into a failure (that would send it twice).
            try:
                client.quit()
            except (smtplib.SMTPException, OSError):
                pass
        finally:
            client.close()


def _said(said: bytes | str) -> str:
    return said.decode("utf-8", "replace") if isinstance(said, bytes) else str(said)


def transport_from_settings(settings: Settings, *, timeout_s: float = SMTP_TIMEOUT_S) -> Transport:
    """The mail server of KOPRA_SMTP_URL, or with none .eml files under KOPRA_DATA_DIR/outbox/."""
    if settings.smtp_url:
        return SmtpTransport(settings.smtp_url, sender=settings.mail_from, timeout_s=timeout_s)
    return FileTransport(settings.mail_outbox_dir, sender=settings.mail_from)


# --- the queue: claim, record ----------------------------------------------------------------------------


@dataclass(frozen=True)
class ClaimedMail:
    """One notification's email a mailer holds the lease of."""

    mail_id: int
    notification_id: int
    user_id: int
    digest: bool
    attempt: int  # 1 for the first try
    #: The lease this claim set: it is also the claim's token (a record from a mailer whose lease ran
    #: out and was taken by another finds a different value and changes nothing).
    lease_until: datetime = field(repr=False)


def backoff(attempts: int) -> timedelta:
    """How long to wait after the `attempts`-th failure: 1 min, 2, 4 … up to an hour, plus up to 10% so
    mails refused together (a server down) do not all come back in the same instant."""
    base = min(MAX_BACKOFF_S, FIRST_BACKOFF_S * 2 ** max(0, min(attempts - 1, 20)))
    return timedelta(seconds=min(MAX_BACKOFF_S, base * random.uniform(1.0, 1.1)))


def _is_postgresql(session: Session) -> bool:
    return session.get_bind().dialect.name == "postgresql"


def _free(now: datetime):
    return or_(NotificationMail.lease_until.is_(None), NotificationMail.lease_until < now)


def _due(now: datetime):
    return and_(NotificationMail.status == MailStatus.PENDING, NotificationMail.due_at <= now, _free(now))


def claim_due(
    store: Store, *, worker: str, now: datetime, limit: int = BATCH, lease: timedelta = LEASE
) -> list[ClaimedMail]:
    """Lease up to `limit` due mails to `worker` (plus the rest of the due digest rows of the users among
    them, so a digest goes out whole); returns them oldest first."""
    now = require_aware(now)
    with store.transaction() as session:
        postgresql = _is_postgresql(session)
        query = select(NotificationMail.id, NotificationMail.user_id, NotificationMail.digest).where(_due(now))
        query = query.order_by(NotificationMail.due_at, NotificationMail.id).limit(limit)
        if postgresql:
            # Rows another mailer is claiming right now are skipped, not waited for: the mailers share.
            query = query.with_for_update(skip_locked=True, of=NotificationMail)
        rows = session.execute(query).all()
        ids = [row.id for row in rows]
        digest_users = sorted({row.user_id for row in rows if row.digest})
        if digest_users:
            rest = select(NotificationMail.id).where(
                _due(now),
                NotificationMail.digest.is_(True),
                among(NotificationMail.user_id, digest_users, session.get_bind().dialect.name),
            )
            if postgresql:
                rest = rest.with_for_update(skip_locked=True, of=NotificationMail)
            ids = sorted(set(ids) | set(session.scalars(rest)))
        if not ids:
            return []
        # A token of its own: the same instant twice (two mailers, one clock) still differs.
        token = now + lease + timedelta(microseconds=secrets.randbelow(1_000_000))
        got = session.execute(
            update(NotificationMail)
            .where(among(NotificationMail.id, ids, session.get_bind().dialect.name), _due(now))
            .values(lease_until=token)
            .returning(
                NotificationMail.id,
                NotificationMail.notification_id,
                NotificationMail.user_id,
                NotificationMail.digest,
                NotificationMail.attempts,
            )
            .execution_options(synchronize_session=False)
        ).all()
    claimed = [
        ClaimedMail(row.id, row.notification_id, row.user_id, row.digest, row.attempts + 1, token) for row in got
    ]
    log.debug("%s claimed %d mails", worker, len(claimed))
    return sorted(claimed, key=lambda m: m.mail_id)


def _held(mails: Sequence[ClaimedMail], dialect: str):
    """The rows of `mails` still PENDING and still held by this claim (the lease token)."""
    tokens = {m.lease_until for m in mails}
    return and_(
        among(NotificationMail.id, [m.mail_id for m in mails], dialect),
        NotificationMail.status == MailStatus.PENDING,
        NotificationMail.lease_until.in_(sorted(tokens)),
    )


def _held_rows(session: Session, mails: Sequence[ClaimedMail]) -> list[NotificationMail]:
    """The rows of `mails` this claim still holds, each with its own lease token, locked (PostgreSQL)."""
    query = select(NotificationMail).where(_held(mails, session.get_bind().dialect.name))
    if _is_postgresql(session):
        query = query.with_for_update(of=NotificationMail)
    tokens = {m.mail_id: m.lease_until for m in mails}
    return [row for row in session.scalars(query) if row.lease_until == tokens.get(row.id)]


def record_sent(store: Store, mails: Sequence[ClaimedMail], *, now: datetime) -> int:
    """The server accepted the mail: SENT. Recorded even if the lease ran out meanwhile (the mail is
    out; sending it again would only make a duplicate); returns how many rows changed."""
    now = require_aware(now)
    if not mails:
        return 0
    with store.transaction() as session:
        dialect = session.get_bind().dialect.name
        result = session.execute(
            update(NotificationMail)
            .where(among(NotificationMail.id, [m.mail_id for m in mails], dialect))
            .where(NotificationMail.status == MailStatus.PENDING)
            .values(
                status=MailStatus.SENT,
                sent_at=now,
                attempts=NotificationMail.attempts + 1,
                lease_until=None,
                last_error=None,
            )
            .returning(NotificationMail.id)
            .execution_options(synchronize_session=False)
        ).all()
        return len(result)


def _error_text(error: str) -> str:
    return " ".join(error.split())[:MAX_ERROR] or "failed"


def record_failed(store: Store, mails: Sequence[ClaimedMail], *, error: str, now: datetime) -> int:
    """The mail did not go out: tried again after the back-off. A record from a mailer that no longer
    holds the lease changes nothing; returns how many rows were recorded."""
    now = require_aware(now)
    if not mails:
        return 0
    with store.transaction() as session:
        rows = _held_rows(session, mails)
        for row in rows:
            row.attempts += 1
            row.last_error = _error_text(error)
            row.due_at = now + backoff(row.attempts)
            row.lease_until = None
        return len(rows)


def record_skipped(store: Store, mails: Sequence[ClaimedMail], *, reason: str, now: datetime) -> int:
    """The mail must not go (see the module's docstring): SKIPPED, with the reason in `last_error`."""
    now = require_aware(now)
    if not mails:
        return 0
    with store.transaction() as session:
        rows = _held_rows(session, mails)
        for row in rows:
            row.status = MailStatus.SKIPPED
            row.last_error = _error_text(reason)
            row.lease_until = None
        return len(rows)


def release(store: Store, mails: Sequence[ClaimedMail]) -> int:
    """Give claimed mails back unsent and untried (a round that ran out of time): due again at once."""
    if not mails:
        return 0
    with store.transaction() as session:
        rows = _held_rows(session, mails)
        for row in rows:
            row.lease_until = None
        return len(rows)


# --- a round ---------------------------------------------------------------------------------------------


@dataclass
class _Plan:
    """One mail to send: the rows it covers, what it tells, to whom."""

    mails: list[ClaimedMail]
    notices: list[Notice]
    recipient: Recipient
    digest: bool


def _skip_reason(
    mail: NotificationMail,
    user: User,
    company: Company,
    preference: NotificationPreference | None,
    kind: NotificationKind,
) -> str | None:
    if (
        user.deleted_at is not None
        or user.status == UserStatus.BLOCKED
        or not company.is_whitelisted
        or user.company_id != company.id
    ):
        return SKIP_NO_STANDING
    if preference is None or not preference.email or preference.email_verified_at is None:
        return SKIP_NO_ADDRESS
    if preference.email_verified_at > mail.created_at:
        return SKIP_ADDRESS_CHANGED
    if not kinds.KINDS[kind].by_email or kind not in email_kinds(preference.email_kinds):
        return SKIP_KIND_OFF
    return None


def _plan(session: Session, claimed: Sequence[ClaimedMail]) -> tuple[list[_Plan], dict[str, list[ClaimedMail]]]:
    """What to send and what to skip, from the rows and the users' preferences as they are now."""
    by_id = {m.mail_id: m for m in claimed}
    rows = session.execute(
        select(NotificationMail, Notification, User, Company, NotificationPreference, Order.order_number)
        .join(Notification, Notification.id == NotificationMail.notification_id)
        .join(User, User.id == NotificationMail.user_id)
        .join(Company, Company.id == Notification.company_id)
        .outerjoin(NotificationPreference, NotificationPreference.user_id == NotificationMail.user_id)
        .outerjoin(Order, and_(Order.id == Notification.order_id, Order.company_id == Notification.company_id))
        .where(among(NotificationMail.id, list(by_id), session.get_bind().dialect.name))
        .order_by(NotificationMail.id)
    ).all()
    skipped: dict[str, list[ClaimedMail]] = {}
    zones: dict[int, str] = {}
    singles: list[_Plan] = []
    digests: dict[int, _Plan] = {}
    for mail, notification, user, company, preference, order_number in rows:
        claim = by_id[mail.id]
        reason = _skip_reason(mail, user, company, preference, NotificationKind(notification.kind))
        if reason is not None:
            skipped.setdefault(reason, []).append(claim)
            continue
        if company.id not in zones:
            zones[company.id] = company_time_zone(session, company.id)
        assert preference is not None and preference.email  # _skip_reason saw to it
        recipient = Recipient(
            user.id, user.display_name, company.name, preference.email, zones[company.id], user.language
        )
        with using(chosen(user.language)):  # the mail's language: compose says the rest in it too
            notice = notice_of(notification, order_number)
        if mail.digest:
            plan = digests.setdefault(user.id, _Plan([], [], recipient, True))
            plan.mails.append(claim)
            plan.notices.append(notice)
        else:
            singles.append(_Plan([claim], [notice], recipient, False))
    return singles + list(digests.values()), skipped


def _outcome(plan_mails: Sequence[ClaimedMail], *, key: str, outcome: str, worker: str, error: str | None = None):
    return {
        "mail": key,
        "user_id": plan_mails[0].user_id,
        "notifications": [m.notification_id for m in plan_mails],
        "digest": any(m.digest for m in plan_mails),
        "attempt": max(m.attempt for m in plan_mails),
        "outcome": outcome,
        "error": error,
        "worker": worker,
    }


def send_due(
    store: Store,
    transport: Transport,
    *,
    worker: str,
    now: datetime,
    portal_url: str = "",
    limit: int = BATCH,
    lease: timedelta = LEASE,
    clock: Callable[[], datetime] | None = None,
) -> dict[str, Any]:
    """One round: claim what is due, skip what must not go, send the rest (a digest per user), record.

    `clock` (the entry point's; without it every time is `now`) stamps each outcome, and no mail is
    started once half the lease is gone: the rest is given back for the next round, so a slow server
    never lets a lease run out under a mail being sent.

    Returns {"claimed", "sent", "failed", "skipped", "later"} (counts of notification rows) and "mails":
    one entry per mail or skipped row ({"mail", "user_id", "notifications", "digest", "attempt",
    "outcome", "error", "worker"}; outcome "sent", "retry", "skipped", "later" (given back unsent) or
    "superseded": the lease had run out and another mailer has the row now). Never a recipient's
    address or a mail's body."""
    now = require_aware(now)
    at: Callable[[], datetime] = (lambda: require_aware(clock())) if clock is not None else (lambda: now)
    claimed = claim_due(store, worker=worker, now=now, limit=limit, lease=lease)
    report: dict[str, Any] = {"claimed": len(claimed), "sent": 0, "failed": 0, "skipped": 0, "later": 0, "mails": []}
    if not claimed:
        return report
    with store.reading() as session:
        plans, skipped = _plan(session, claimed)
    for reason, mails in skipped.items():
        report["skipped"] += record_skipped(store, mails, reason=reason, now=now)
        for mail in mails:
            report["mails"].append(
                _outcome([mail], key=f"kopra.notification-{mail.notification_id}", outcome="skipped", worker=worker)
                | {"error": reason}
            )
    down: str | None = None  # once the server does not answer, the rest of the round waits too
    cutoff = now + lease / 2
    for index, plan in enumerate(plans):
        key = f"kopra.notification-{plan.mails[0].notification_id}"
        if at() >= cutoff:
            rest = plans[index:]
            report["later"] += release(store, [mail for later in rest for mail in later.mails])
            for later in rest:
                report["mails"].append(
                    _outcome(
                        later.mails,
                        key=f"kopra.notification-{later.mails[0].notification_id}",
                        outcome="later",
                        worker=worker,
                    )
                )
            break
        try:
            outgoing = compose(plan.notices, plan.recipient, now=now, portal_url=portal_url)
            key = outgoing.key
            if down is not None:
                raise MailError(f"not tried: {down}", server_down=True)
            transport.send(outgoing)
        except Exception as exc:  # a MailError, or a notification that cannot be composed
            error = exc.message if isinstance(exc, MailError) else f"could not compose: {type(exc).__name__}: {exc}"
            if isinstance(exc, MailError) and exc.server_down and down is None:
                down = exc.message
            if not isinstance(exc, MailError):
                log.exception("could not compose mail %s", key)
            recorded = record_failed(store, plan.mails, error=error, now=at())
            report["failed"] += recorded
            outcome = "retry" if recorded else "superseded"
            report["mails"].append(_outcome(plan.mails, key=key, outcome=outcome, worker=worker, error=error))
            continue
        report["sent"] += record_sent(store, plan.mails, now=at())
        report["mails"].append(_outcome(plan.mails, key=key, outcome="sent", worker=worker))
    return report
