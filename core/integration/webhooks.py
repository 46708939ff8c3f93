"""Webhooks out: the endpoints API clients hear events on, the deliveries made from the outbox, and the
signature receivers check.

The bank adds an endpoint for a client (`python -m jobs.bankops webhook add`): a URL, the topics it
wants (or every one) and a signing secret shown once. The delivery worker (`python -m jobs.webhooks`)
then runs rounds of:

1. `fan_out`: each live endpoint turns the outbox events it has not seen yet into one PENDING delivery
   per matching event, set-based, and moves its watermark (`fanned_out_to`) past them.
2. `claim`: a worker leases due deliveries for a while (so no other worker sends them meanwhile), never
   a later event of an order while an earlier one of the same order is still pending: per order,
   receivers get events in outbox order.
3. Sending (jobs.webhooks, signed with `sign`), then `record_result`: a 2xx is DELIVERED; anything else
   is tried again after an exponential back-off, and after 24 hours of refusals it is PARKED until the
   bank replays it (`parked`, `replay`).

Delivery is at least once: a worker that dies mid-send leaves a lease that runs out, and another worker
sends the event again. Receivers deduplicate on the event id (the `Kopra-Event-Id` header).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import random
import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import cast
from urllib.parse import urlsplit

from sqlalchemy import Table, exists, func, insert, literal, or_, select, text, true, update
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, aliased

from core.accounts import audit
from core.clock import require_aware
from core.domain import ActorKind, DeliveryStatus
from core.errors import InvalidInput, NotFound
from core.integration.clients import _operator
from core.integration.outbox import TOPICS, event_document
from core.orders.effects import among
from core.store.database import Store, rowcount
from core.store.models import (
    ApiClient,
    Order,
    OutboxEvent,
    UtcDateTime,
    WebhookDelivery,
    WebhookEndpoint,
    outbox_t,
)
from core.text import clean_text, shown

SIGNATURE_HEADER = "Kopra-Signature"
EVENT_ID_HEADER = "Kopra-Event-Id"
EVENT_TYPE_HEADER = "Kopra-Event-Type"

ALL_TOPICS = "*"
MAX_URL = 500
LEASE_S = 60
FAN_OUT_BATCH = 5000
FIRST_BACKOFF_S = 5
MAX_BACKOFF_S = 3600
GIVE_UP_AFTER = timedelta(hours=24)
MAX_ERROR = 300
SIGNATURE_TOLERANCE_S = 300
LOCK_WAIT_MS = 200
LOCK_NOT_AVAILABLE = "55P03"  # PostgreSQL's SQLSTATE when lock_timeout ran out

deliveries_t: Table = cast(Table, WebhookDelivery.__table__)
endpoints_t: Table = cast(Table, WebhookEndpoint.__table__)


@dataclass(frozen=True)
class IssuedEndpoint:
    """An endpoint just added: its secret is shown once to the operator (the CLI prints it)."""

    id: int
    client_name: str
    url: str
    topics: tuple[str, ...] | None  # None: every topic, also ones added later
    secret: str = field(repr=False)


@dataclass(frozen=True)
class EndpointRow:
    id: int
    client_name: str
    url: str
    topics: tuple[str, ...] | None
    created_at: datetime
    disabled_at: datetime | None
    pending: int
    parked: int


@dataclass(frozen=True)
class Claimed:
    """One delivery a worker holds the lease of: everything needed to send it."""

    delivery_id: int
    endpoint_id: int
    url: str
    secret: str = field(repr=False)
    event_id: int
    topic: str
    attempt: int  # 1 for the first try
    body: bytes = field(repr=False)


@dataclass(frozen=True)
class ParkedRow:
    delivery_id: int
    client_name: str
    url: str
    event_id: int
    topic: str
    order_number: str | None
    attempts: int
    last_status: int | None
    last_error: str | None
    created_at: datetime


# --- the bank's side: endpoints ------------------------------------------------------------------


def _url(url: str) -> str:
    cleaned = clean_text(
        url, what="webhook URL", field="url", max_length=MAX_URL, required="Give the URL the webhooks are sent to."
    )
    try:
        parts = urlsplit(cleaned)
        _ = parts.port  # reading it is what checks the port
    except ValueError:
        parts = None
    spaced = any(c.isspace() for c in cleaned)
    if parts is None or parts.scheme not in ("http", "https") or not parts.hostname or spaced:
        raise InvalidInput(
            f"A webhook URL starts with https:// (or http://) and names a host, e.g. "
            f"https://hooks.example.com/kopra; {shown(url)!r} is not one.",
            field="url",
        )
    if parts.username is not None or parts.password is not None:
        # Such credentials would sit in logs and listings; the signature already proves who sends.
        raise InvalidInput(
            "A webhook URL may not carry a user name or password; the signature proves the sender.", field="url"
        )
    return cleaned


def _topics(topics: list[str] | None) -> tuple[str, ...] | None:
    if topics is None:
        return None
    wanted = tuple(dict.fromkeys(t.strip().lower() for t in topics))
    if not wanted:
        raise InvalidInput("Name at least one topic, or leave the topics out for every one.", field="topics")
    for topic in wanted:
        if topic not in TOPICS:
            raise InvalidInput(
                f"Unknown topic {shown(topic)!r}; choose among {', '.join(TOPICS)}.",
                field="topics",
            )
    return wanted


def _stored_topics(topics: tuple[str, ...] | None) -> str:
    return ALL_TOPICS if topics is None else ",".join(topics)


def _read_topics(stored: str) -> tuple[str, ...] | None:
    return None if stored == ALL_TOPICS else tuple(stored.split(","))


def _live_client(session: Session, name: str) -> ApiClient:
    client = session.scalar(select(ApiClient).where(ApiClient.name == name.strip().lower()))
    if client is None:
        raise NotFound(f"There is no API client named {shown(name)!r}.")
    if client.revoked_at is not None:
        raise NotFound(f"API client {client.name!r} is revoked; rotate its token first to let it back in.")
    return client


def _audit(session: Session, operator: str, now: datetime, action: str, target: str | None, **details) -> None:
    audit.record(
        session,
        at=now,
        actor_kind=ActorKind.BANK,
        actor=operator,
        company_id=None,
        action=f"bank.webhook.{action}",
        target=target,
        details=details or None,
    )


def add_endpoint(
    store: Store, *, operator: str, client_name: str, url: str, topics: list[str] | None, now: datetime
) -> IssuedEndpoint:
    """Where a client wants to hear of events from now on (not of the history before)."""
    now, operator = require_aware(now), _operator(operator)
    url, wanted = _url(url), _topics(topics)
    secret = "whsec_" + secrets.token_urlsafe(32)  # kept as is: signing needs the secret itself
    with store.transaction() as session:
        client = _live_client(session, client_name)
        endpoint = WebhookEndpoint(
            client_id=client.id,
            url=url,
            secret=secret,
            topics=_stored_topics(wanted),
            fanned_out_to=session.scalar(select(func.coalesce(func.max(OutboxEvent.id), 0))),
            created_at=now,
        )
        session.add(endpoint)
        session.flush()
        _audit(session, operator, now, "add", client.name, endpoint_id=endpoint.id, url=url, topics=endpoint.topics)
        return IssuedEndpoint(endpoint.id, client.name, url, wanted, secret)


def remove_endpoint(store: Store, *, operator: str, endpoint_id: int, now: datetime) -> EndpointRow:
    """No more deliveries to it, from the next round on (what is pending there stays, unsent)."""
    now, operator = require_aware(now), _operator(operator)
    with store.transaction() as session:
        endpoint = session.get(WebhookEndpoint, endpoint_id)
        if endpoint is None:
            raise NotFound(f"There is no webhook endpoint {endpoint_id}.")
        if endpoint.disabled_at is None:
            endpoint.disabled_at = now
        client_name = session.scalar(select(ApiClient.name).where(ApiClient.id == endpoint.client_id))
        _audit(session, operator, now, "remove", client_name, endpoint_id=endpoint.id, url=endpoint.url)
        session.flush()
        return _endpoint_rows(session, WebhookEndpoint.id == endpoint_id)[0]


def list_endpoints(store: Store, *, operator: str, now: datetime) -> list[EndpointRow]:
    """Every endpoint, removed ones too, with how many deliveries wait there; never a secret."""
    now, operator = require_aware(now), _operator(operator)
    with store.transaction() as session:
        _audit(session, operator, now, "list", None)
        return _endpoint_rows(session, true())


def _endpoint_rows(session: Session, where) -> list[EndpointRow]:
    counted = (
        select(WebhookDelivery.endpoint_id, WebhookDelivery.status, func.count().label("n"))
        .where(WebhookDelivery.status.in_([DeliveryStatus.PENDING, DeliveryStatus.PARKED]))
        .group_by(WebhookDelivery.endpoint_id, WebhookDelivery.status)
    )
    counts = {(row.endpoint_id, row.status): row.n for row in session.execute(counted)}
    rows = session.execute(
        select(WebhookEndpoint, ApiClient.name)
        .join(ApiClient, ApiClient.id == WebhookEndpoint.client_id)
        .where(where)
        .order_by(WebhookEndpoint.id)
    ).all()
    return [
        EndpointRow(
            endpoint.id,
            name,
            endpoint.url,
            _read_topics(endpoint.topics),
            endpoint.created_at,
            endpoint.disabled_at,
            counts.get((endpoint.id, DeliveryStatus.PENDING), 0),
            counts.get((endpoint.id, DeliveryStatus.PARKED), 0),
        )
        for endpoint, name in rows
    ]


# --- the worker's side: fan out, claim, record ---------------------------------------------------


def _is_postgresql(session: Session) -> bool:
    return session.get_bind().dialect.name == "postgresql"


def _horizon(store: Store) -> int | None:
    """The newest outbox event below which no other event can still appear, or None for "not now".

    On PostgreSQL ids come from a sequence when a step inserts, but steps commit in any order: event 41
    may commit after event 42 has been seen, and a watermark moved to 42 would skip 41 for good. A SHARE
    lock on the outbox waits for every transaction that inserted into it to end (new inserts queue behind
    it for that instant), so once it is held every id up to the max is committed or never will be. The
    wait is short or skipped: while a long transaction (a sweep's batch) holds the outbox, steps queued
    behind the lock would wait too, so after LOCK_WAIT_MS this round fans out nothing and the next one tries
    again. On SQLite writers are serialised (each commits before the next gets an id), so the max is
    already such a point."""
    if store.backend != "postgresql":
        with store.reading() as session:
            return session.scalar(select(func.coalesce(func.max(outbox_t.c.id), 0))) or 0
    try:
        with store.transaction() as session:
            session.execute(text(f"SET LOCAL lock_timeout = '{LOCK_WAIT_MS}ms'"))
            session.execute(text(f"LOCK TABLE {outbox_t.name} IN SHARE MODE"))
            return session.scalar(select(func.coalesce(func.max(outbox_t.c.id), 0))) or 0
    except OperationalError as exc:
        if getattr(exc.orig, "sqlstate", None) == LOCK_NOT_AVAILABLE:
            return None
        raise


def fan_out(store: Store, now: datetime) -> int:
    """One PENDING delivery per endpoint and new matching event; returns how many were made."""
    now = require_aware(now)
    with store.reading() as session:
        newest = session.scalar(select(func.coalesce(func.max(outbox_t.c.id), 0))) or 0
        behind = _endpoints_behind(session, newest)
    if not behind:  # nothing new: a quiet round takes no lock at all
        return 0
    horizon = _horizon(store)
    if horizon is None:
        return 0
    return sum(_fan_out_endpoint(store, endpoint_id, horizon, now) for endpoint_id in behind)


def _endpoints_behind(session: Session, newest: int) -> list[int]:
    return list(
        session.scalars(
            select(WebhookEndpoint.id)
            .join(ApiClient, ApiClient.id == WebhookEndpoint.client_id)
            .where(
                WebhookEndpoint.disabled_at.is_(None),
                ApiClient.revoked_at.is_(None),
                WebhookEndpoint.fanned_out_to < newest,
            )
            .order_by(WebhookEndpoint.id)
        )
    )


def _fan_out_endpoint(store: Store, endpoint_id: int, horizon: int, now: datetime) -> int:
    with store.transaction() as session:
        # The watermark is read under the endpoint's lock, so two workers never fan out the same events;
        # on PostgreSQL a worker finding it locked leaves it to the other (SQLite: the write lock is ours).
        query = (
            select(WebhookEndpoint.fanned_out_to, WebhookEndpoint.topics)
            .join(ApiClient, ApiClient.id == WebhookEndpoint.client_id)
            .where(
                WebhookEndpoint.id == endpoint_id,
                WebhookEndpoint.disabled_at.is_(None),
                ApiClient.revoked_at.is_(None),
            )
        )
        if _is_postgresql(session):
            query = query.with_for_update(skip_locked=True, of=WebhookEndpoint)
        row = session.execute(query).first()
        if row is None:
            return 0
        done, topics = row
        batch = (
            select(outbox_t.c.id)
            .where(outbox_t.c.id > done, outbox_t.c.id <= horizon)
            .order_by(outbox_t.c.id)
            .limit(FAN_OUT_BATCH)
            .subquery()
        )
        upto = session.scalar(select(func.max(batch.c.id)))
        if upto is None:
            return 0
        events = select(
            literal(endpoint_id),
            outbox_t.c.id,
            outbox_t.c.order_id,
            literal(DeliveryStatus.PENDING.value),
            literal(0),
            literal(now, UtcDateTime()),
            literal(now, UtcDateTime()),
        ).where(outbox_t.c.id > done, outbox_t.c.id <= upto)
        wanted = _read_topics(topics)
        if wanted is not None:
            events = events.where(outbox_t.c.topic.in_(wanted))
        made = session.execute(
            insert(deliveries_t)
            .from_select(
                ["endpoint_id", "event_id", "order_id", "status", "attempts", "next_attempt_at", "created_at"],
                events.order_by(outbox_t.c.id),
            )
            # Counted from RETURNING: psycopg reports no row count for INSERT .. SELECT through SQLAlchemy.
            .returning(deliveries_t.c.id)
        ).all()
        session.execute(update(endpoints_t).where(endpoints_t.c.id == endpoint_id).values(fanned_out_to=upto))
        return len(made)


def _due(now: datetime):
    """Deliveries a worker may take now. A later event of an order waits while an earlier one of the same
    order is pending for the same endpoint (even leased or backing off): that keeps each order in order."""
    earlier = aliased(WebhookDelivery)
    blocked = exists().where(
        earlier.endpoint_id == WebhookDelivery.endpoint_id,
        earlier.order_id == WebhookDelivery.order_id,  # NULL never equals: events of no order are free
        earlier.status == DeliveryStatus.PENDING,
        earlier.id < WebhookDelivery.id,
    )
    return (
        select(WebhookDelivery.id)
        .join(WebhookEndpoint, WebhookEndpoint.id == WebhookDelivery.endpoint_id)
        .join(ApiClient, ApiClient.id == WebhookEndpoint.client_id)
        .where(
            WebhookDelivery.status == DeliveryStatus.PENDING,
            WebhookDelivery.next_attempt_at <= now,
            _lease_free(now),
            WebhookEndpoint.disabled_at.is_(None),
            ApiClient.revoked_at.is_(None),
            ~blocked,
        )
        .order_by(WebhookDelivery.id)
    )


def _lease_free(now: datetime):
    return or_(WebhookDelivery.lease_until.is_(None), WebhookDelivery.lease_until < now)


def claim(
    store: Store, *, worker: str, now: datetime, limit: int = 50, lease: timedelta = timedelta(seconds=LEASE_S)
) -> list[Claimed]:
    """Lease up to `limit` due deliveries to `worker` until now + lease; returns what it got, oldest first."""
    now = require_aware(now)
    with store.transaction() as session:
        query = _due(now).limit(limit)
        if _is_postgresql(session):
            # Rows another worker is claiming right now are skipped, not waited for: the workers share.
            query = query.with_for_update(skip_locked=True, of=WebhookDelivery)
        candidates = list(session.scalars(query))
        if not candidates:
            return []
        dialect = session.get_bind().dialect.name
        got = session.scalars(
            update(deliveries_t)
            .where(
                among(deliveries_t.c.id, candidates, dialect),
                deliveries_t.c.status == DeliveryStatus.PENDING.value,
                or_(deliveries_t.c.lease_until.is_(None), deliveries_t.c.lease_until < now),
            )
            .values(lease_until=now + lease, leased_by=worker)
            .returning(deliveries_t.c.id)
        ).all()
    # Built after the claim commits: the write lock (SQLite) is not held while documents are assembled.
    with store.reading() as session:
        return _claimed(session, sorted(got))


def _claimed(session: Session, ids: list[int]) -> list[Claimed]:
    if not ids:
        return []
    rows = session.execute(
        select(WebhookDelivery, WebhookEndpoint.url, WebhookEndpoint.secret, OutboxEvent)
        .join(WebhookEndpoint, WebhookEndpoint.id == WebhookDelivery.endpoint_id)
        .join(OutboxEvent, OutboxEvent.id == WebhookDelivery.event_id)
        .where(among(WebhookDelivery.id, ids, session.get_bind().dialect.name))
        .order_by(WebhookDelivery.id)
    ).all()
    return [
        Claimed(
            delivery_id=delivery.id,
            endpoint_id=delivery.endpoint_id,
            url=url,
            secret=secret,
            event_id=event.id,
            topic=event.topic,
            attempt=delivery.attempts + 1,
            body=body(session, event),
        )
        for delivery, url, secret, event in rows
    ]


def body(session: Session, event: OutboxEvent) -> bytes:
    """The bytes sent and signed: the event's document as compact UTF-8 JSON."""
    return json.dumps(event_document(session, event), separators=(",", ":"), ensure_ascii=False).encode()


def backoff(attempts: int) -> timedelta:
    """How long to wait after the `attempts`-th refusal: 5 s, 10 s, 20 s … up to an hour, plus up to 10%
    so that deliveries refused together (a receiver down) do not all come back in the same instant."""
    base = min(MAX_BACKOFF_S, FIRST_BACKOFF_S * 2 ** max(0, min(attempts - 1, 20)))
    return timedelta(seconds=min(MAX_BACKOFF_S, base * random.uniform(1.0, 1.1)))


def _error_text(error: str | None, secret: str) -> str | None:
    if not error:
        return None
    return error.replace(secret, "[secret]").strip()[:MAX_ERROR] or None


def record_result(
    store: Store, *, delivery_id: int, worker: str, ok: bool, status: int | None, error: str | None, now: datetime
) -> DeliveryStatus | None:
    """What a send came to; `attempts` counts every send, the successful one too. Returns the delivery's
    status now, or None when the result was ignored: a failure from a worker that no longer holds the
    lease (another worker has the delivery now)."""
    now = require_aware(now)
    with store.transaction() as session:
        query = (
            select(WebhookDelivery, WebhookEndpoint.secret)
            .join(WebhookEndpoint, WebhookEndpoint.id == WebhookDelivery.endpoint_id)
            .where(WebhookDelivery.id == delivery_id)
        )
        if _is_postgresql(session):
            query = query.with_for_update(of=WebhookDelivery)
        row = session.execute(query).first()
        if row is None:
            return None
        delivery, secret = row
        if ok:
            _delivered(delivery, status, now)
            return delivery.status
        if delivery.status != DeliveryStatus.PENDING or delivery.leased_by != worker:
            return None
        delivery.attempts += 1
        delivery.last_status, delivery.last_error = status, _error_text(error, secret)
        delivery.lease_until = delivery.leased_by = None
        if now - delivery.created_at >= GIVE_UP_AFTER:
            delivery.status = DeliveryStatus.PARKED
        else:
            delivery.next_attempt_at = now + backoff(delivery.attempts)
        return delivery.status


def _delivered(delivery: WebhookDelivery, status: int | None, now: datetime) -> None:
    # Always recorded, even from a worker whose lease ran out: the receiver has the event, and sending it
    # again would only make a duplicate.
    if delivery.status == DeliveryStatus.DELIVERED:
        return
    delivery.status, delivery.delivered_at = DeliveryStatus.DELIVERED, now
    delivery.attempts += 1
    delivery.last_status, delivery.last_error = status, None
    delivery.lease_until = delivery.leased_by = None


# --- parked deliveries: the bank's view and replay ---------------------------------------------


def parked(store: Store, *, operator: str, now: datetime) -> list[ParkedRow]:
    """Deliveries refused for 24 hours, oldest first."""
    now, operator = require_aware(now), _operator(operator)
    with store.transaction() as session:
        _audit(session, operator, now, "parked", None)
        rows = session.execute(
            select(
                WebhookDelivery.id,
                ApiClient.name,
                WebhookEndpoint.url,
                WebhookDelivery.event_id,
                OutboxEvent.topic,
                Order.order_number,
                WebhookDelivery.attempts,
                WebhookDelivery.last_status,
                WebhookDelivery.last_error,
                WebhookDelivery.created_at,
            )
            .join(WebhookEndpoint, WebhookEndpoint.id == WebhookDelivery.endpoint_id)
            .join(ApiClient, ApiClient.id == WebhookEndpoint.client_id)
            .join(OutboxEvent, OutboxEvent.id == WebhookDelivery.event_id)
            .outerjoin(Order, Order.id == WebhookDelivery.order_id)
            .where(WebhookDelivery.status == DeliveryStatus.PARKED)
            .order_by(WebhookDelivery.id)
        ).all()
    return [ParkedRow(*tuple(row)) for row in rows]


def replay(store: Store, *, operator: str, delivery_ids: list[int] | None, now: datetime) -> int:
    """Parked deliveries (these, or with None every one) go out again at once, with another 24 hours
    before they would park again. Naming one that is not parked replays nothing."""
    now, operator = require_aware(now), _operator(operator)
    if delivery_ids is not None and not delivery_ids:
        raise InvalidInput("Name the deliveries to replay, or replay every parked one.", field="delivery_ids")
    with store.transaction() as session:
        where = [deliveries_t.c.status == DeliveryStatus.PARKED.value]
        if delivery_ids is not None:
            wanted = sorted(set(delivery_ids))
            where.append(among(deliveries_t.c.id, wanted, session.get_bind().dialect.name))
            found = set(session.scalars(select(deliveries_t.c.id).where(*where)))
            if missing := [i for i in wanted if i not in found]:
                listed = ", ".join(map(str, missing))
                raise NotFound(f"These deliveries are not parked: {listed}; nothing was replayed.")
        replayed = rowcount(
            session.execute(
                update(deliveries_t)
                .where(*where)
                .values(
                    status=DeliveryStatus.PENDING.value,
                    next_attempt_at=now,
                    attempts=0,
                    created_at=now,
                    lease_until=None,
                    leased_by=None,
                )
            )
        )
        which = "all" if delivery_ids is None else sorted(set(delivery_ids))
        _audit(session, operator, now, "replay", None, count=replayed, deliveries=which)
        return replayed


# --- signatures ---------------------------------------------------------------------------------


def _digest(secret: str, timestamp: int, body: bytes) -> str:
    return hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()


def sign(secret: str, timestamp: int, body: bytes) -> str:
    """The Kopra-Signature header: `t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>." + body>`. The time is
    signed too, so a captured request cannot be replayed later than the receiver's tolerance."""
    return f"t={timestamp},v1={_digest(secret, timestamp, body)}"


def verify(secret: str, header: str, body: bytes, now: datetime, tolerance_s: int = SIGNATURE_TOLERANCE_S) -> bool:
    """What a receiver does with the header: the body is the one signed with `secret`, recently."""
    parts = [part.partition("=") for part in header.split(",")]
    stamps = [value for key, _, value in parts if key.strip() == "t"]
    signatures = [value.strip() for key, _, value in parts if key.strip() == "v1"]
    if len(stamps) != 1 or not stamps[0].strip().isdigit() or not signatures:
        return False
    timestamp = int(stamps[0])
    if abs(require_aware(now).timestamp() - timestamp) > tolerance_s:
        return False
    expected = _digest(secret, timestamp, body)
    # Every candidate is compared (in constant time), so the time taken says nothing about which matched.
    return sum(hmac.compare_digest(expected, candidate) for candidate in signatures) > 0
