"""Idempotency keys: a client's POST retried with the same `Idempotency-Key` gets the first answer,
never a second order (draft-ietf-httpapi-idempotency-key-header).

`answer_once` runs the request's work and records the key with its answer in one transaction
(`Store.one_unit_of_work`), so a key is remembered exactly when its work committed. The key's row is
the transaction's last write, one INSERT: a twin request with the same key (a retry sent while the
first still runs) does its work too, then waits on the key's unique index (PostgreSQL) or the write
lock (SQLite) until the first commits, fails to insert the key, rolls all its work back and gets the
first answer. A twin never waits on anything but a finished request's key, so it cannot deadlock. A
retry refused by the state its first request left (an order already cancelled) looks the key up and
gets the first answer too. A refusal of a new key rolls back and is not remembered: nothing was
written, and a retry runs again. Keys are kept for `KEPT` and then forgotten by the scheduler
(`forget_expired`).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import bindparam, delete, insert, select
from sqlalchemy.exc import IntegrityError

from core.errors import DomainError, InvalidInput
from core.i18n import N_, _
from core.integration.clients import ApiClientRef
from core.store.database import Store, rowcount
from core.store.models import IdempotencyKey, idempotency_t

KEPT = timedelta(hours=24)
MAX_KEY = 255
KEY_REUSED = N_("This Idempotency-Key was already used with another request body; use a new key for a new request.")


@dataclass(frozen=True)
class Answer:
    status_code: int
    body: Any  # JSON-ready
    replayed: bool = False


class KeyMissing(InvalidInput):
    """A POST without a usable Idempotency-Key: a retry of it could not be told from a new request."""


class KeyReused(InvalidInput):
    """The same key came with another request: a client bug, never served the first answer."""


class _Taken(Exception):
    """Another request holds (or held) this key."""


def fingerprint(method: str, path: str, body: bytes) -> str:
    return hashlib.sha256(b"\0".join([method.encode(), path.encode(), body])).hexdigest()


def checked_key(key: str | None) -> str:
    text = (key or "").strip()
    if not text or len(text) > MAX_KEY or not text.isprintable() or not text.isascii():
        raise KeyMissing(
            _(
                "Every POST needs an Idempotency-Key header: 1 to {most} printable ASCII characters, "
                "e.g. a UUID, new for each new request.",
                most=MAX_KEY,
            ),
            field="Idempotency-Key",
        )
    return text


_RECALL = select(idempotency_t.c.fingerprint, idempotency_t.c.status_code, idempotency_t.c.body).where(
    idempotency_t.c.client_id == bindparam("client"), idempotency_t.c.key == bindparam("key")
)
#: A request's key with its answer, built once: every POST runs it.
_REMEMBER = insert(idempotency_t)


def _recall(store: Store, client: ApiClientRef, key: str, print_: str) -> Answer | None:
    with store.reading() as session:
        row = session.execute(_RECALL, {"client": client.id, "key": key}).first()
    if row is None:
        return None
    if row.fingerprint != print_:
        raise KeyReused(KEY_REUSED, field="Idempotency-Key")
    return Answer(row.status_code, json.loads(row.body), replayed=True)


def answer_once(
    store: Store,
    client: ApiClientRef,
    *,
    key: str,
    request_fingerprint: str,
    now: datetime,
    work: Callable[[], Answer],
) -> Answer:
    """The first answer to (client, key): made now by `work` (which calls core services), or recalled
    when the key's row is there already (a retry costs its work rolled back; a new key, one INSERT)."""
    try:
        with store.one_unit_of_work() as session:
            answer = work()
            remembered = {
                "client_id": client.id,
                "key": key,
                "fingerprint": request_fingerprint,
                "status_code": answer.status_code,
                "body": json.dumps(answer.body, ensure_ascii=False),
                "created_at": now,
            }
            try:  # last: a twin request waits here until this one ends
                session.execute(_REMEMBER, remembered)
            except IntegrityError:
                raise _Taken from None
    except _Taken:
        again = _recall(store, client, key, request_fingerprint)
        if again is None:  # the other request was refused and rolled back meanwhile: run this one
            return answer_once(store, client, key=key, request_fingerprint=request_fingerprint, now=now, work=work)
        return again
    except DomainError:
        # A retry of a request already answered meets the state that answer left (the order
        # cancelled, the stock taken) and is refused before it reaches the key: it gets the first
        # answer instead. A refusal costs this one read; a new key's success, none.
        again = _recall(store, client, key, request_fingerprint)
        if again is None:
            raise
        return again
    return answer


def forget_expired(store: Store, now: datetime) -> int:
    """Keys older than KEPT: a retry that late is a new request."""
    with store.transaction() as session:
        return rowcount(session.execute(delete(IdempotencyKey).where(IdempotencyKey.created_at < now - KEPT)))
