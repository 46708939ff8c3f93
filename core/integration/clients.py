"""API clients: each integrating system (the buyer app; each courier) holds one bearer token that the
bank creates, rotates and revokes (`python -m jobs.bankops api-client ...`).

A token reads `kpa_<key id>_<secret>`. The key id finds the client; only a SHA-256 of the secret is
stored (the secret is 256 random bits, so a slow password hash would add nothing), and it is
compared in constant time, also when the key id names nobody. The token is shown once, when it is
made. Every change is written to the audit log with the operator's name, never with the token.

Bearer tokens over HTTPS rather than signed requests: every HTTP client and API gateway the bank's
integration teams use sends them as they are, a leaked log line cannot replay a request for longer
than the token lives (rotation ends it at once), and webhooks out are signed separately.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from core.accounts import audit
from core.clock import require_aware
from core.domain import ActorKind, ApiScope
from core.errors import AccessDenied, InvalidInput, NotAuthenticated, NotFound
from core.i18n import N_, Message, _
from core.store.database import Store
from core.store.models import ApiClient, api_clients_t
from core.text import clean_text, shown

MAX_OPERATOR = 100
NAME_PATTERN = re.compile(r"[a-z0-9][a-z0-9-]{1,47}")
TOKEN_PATTERN = re.compile(r"kpa_([0-9a-f]{16})_([A-Za-z0-9_-]{43})")
REFUSED = N_("The API token is missing, wrong, rotated or revoked.")
_DUMMY_HASH = hashlib.sha256(b"no such client").hexdigest()


@dataclass(frozen=True)
class ApiClientRef:
    """Who is calling: what the API needs to authorise a request."""

    id: int
    name: str
    scope: ApiScope


@dataclass(frozen=True)
class IssuedToken:
    """A token just made: shown once to the operator, never stored."""

    name: str
    scope: ApiScope
    token: str


@dataclass(frozen=True)
class ApiClientRow:
    name: str
    scope: ApiScope
    key_id: str
    created_at: datetime
    rotated_at: datetime | None
    revoked_at: datetime | None


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def _new_token() -> tuple[str, str, str]:
    key_id, secret = secrets.token_hex(8), secrets.token_urlsafe(32)
    return key_id, secret, f"kpa_{key_id}_{secret}"


def _operator(operator: str) -> str:
    return clean_text(
        operator,
        what="operator name",
        field="operator",
        max_length=MAX_OPERATOR,
        required="Say who is acting: an operator name is required.",
    )


def _name(name: str) -> str:
    text = clean_text(name, what="client name", field="name", max_length=48).lower()
    if not NAME_PATTERN.fullmatch(text):
        raise InvalidInput(
            f"An API client's name has 2 to 48 lowercase letters, digits or '-', e.g. livin-merchant or jne; "
            f"{shown(name)!r} is not one.",
            field="name",
        )
    return text


def parse_scope(scope: str) -> ApiScope:
    wanted = scope.strip().upper().replace("-", "_")
    if wanted not in ApiScope.__members__:
        choices = ", ".join(s.value.lower().replace("_", "-") for s in ApiScope)
        raise InvalidInput(f"Unknown scope {shown(scope)!r}; choose one of {choices}.", field="scope")
    return ApiScope[wanted]


def _audit(session: Session, operator: str, now: datetime, client: ApiClient, action: str) -> None:
    audit.record(
        session,
        at=now,
        actor_kind=ActorKind.BANK,
        actor=operator,
        company_id=None,
        action=f"bank.api_client.{action}",
        target=client.name,
        details={"scope": ApiScope(client.scope).value, "key_id": client.key_id},
    )


def _client(session: Session, name: str) -> ApiClient:
    client = session.scalar(select(ApiClient).where(ApiClient.name == _name(name)))
    if client is None:
        raise NotFound(f"There is no API client named {shown(name)!r}.")
    return client


def create_client(store: Store, *, operator: str, name: str, scope: ApiScope, now: datetime) -> IssuedToken:
    """Register an integrating system and make its first token."""
    now, operator, name = require_aware(now), _operator(operator), _name(name)
    key_id, secret, token = _new_token()
    with store.transaction() as session:
        if session.scalar(select(ApiClient.id).where(ApiClient.name == name)) is not None:
            raise InvalidInput(f"An API client named {name!r} already exists; rotate its token instead.", field="name")
        client = ApiClient(name=name, scope=scope, key_id=key_id, secret_hash=_hash(secret), created_at=now)
        session.add(client)
        session.flush()
        _audit(session, operator, now, client, "create")
    return IssuedToken(name, scope, token)


def rotate_client(store: Store, *, operator: str, name: str, now: datetime) -> IssuedToken:
    """A new token for the client; the old one stops working at once (a revoked client comes back)."""
    now, operator = require_aware(now), _operator(operator)
    key_id, secret, token = _new_token()
    with store.transaction() as session:
        client = _client(session, name)
        client.key_id, client.secret_hash, client.rotated_at, client.revoked_at = key_id, _hash(secret), now, None
        _audit(session, operator, now, client, "rotate")
        return IssuedToken(client.name, ApiScope(client.scope), token)


def revoke_client(store: Store, *, operator: str, name: str, now: datetime) -> ApiClientRow:
    """The client's token stops working at once; rotating gives it a new one."""
    now, operator = require_aware(now), _operator(operator)
    with store.transaction() as session:
        client = _client(session, name)
        if client.revoked_at is None:
            client.revoked_at = now
        _audit(session, operator, now, client, "revoke")
        return _row(client)


def list_clients(store: Store, *, operator: str, now: datetime) -> list[ApiClientRow]:
    now, operator = require_aware(now), _operator(operator)
    with store.transaction() as session:
        clients = session.scalars(select(ApiClient).order_by(ApiClient.name)).all()
        audit.record(
            session, at=now, actor_kind=ActorKind.BANK, actor=operator, company_id=None, action="bank.api_client.list"
        )
        return [_row(client) for client in clients]


def _row(client: ApiClient) -> ApiClientRow:
    return ApiClientRow(
        client.name, ApiScope(client.scope), client.key_id, client.created_at, client.rotated_at, client.revoked_at
    )


#: Read on every request: built once.
_c = api_clients_t.c
_CLIENT = select(_c.id, _c.name, _c.scope, _c.secret_hash, _c.revoked_at).where(_c.key_id == bindparam("key_id"))


def authenticate(store: Store, token: str | None) -> ApiClientRef:
    """The client a bearer token belongs to, or NotAuthenticated (one answer for every failure)."""
    match = TOKEN_PATTERN.fullmatch(token or "")
    key_id, secret = match.groups() if match else ("", "")
    with store.reading() as session:
        client = session.execute(_CLIENT, {"key_id": key_id}).first() if match else None
    stored = client.secret_hash if client is not None else _DUMMY_HASH
    matches = hmac.compare_digest(_hash(secret), stored)  # always compared: the same time either way
    if client is None or not matches or client.revoked_at is not None:
        raise NotAuthenticated(REFUSED)
    return ApiClientRef(client.id, client.name, ApiScope(client.scope))


def require_scope(client: ApiClientRef, scope: ApiScope, doing: str) -> None:
    """AccessDenied unless `client` was registered for `scope` (a courier cannot place orders). `doing`:
    what it tried, in English and marked for the catalogue (`N_("place orders")`), as core.acting's."""
    if client.scope == scope:
        return
    what = Message(doing)
    if scope == ApiScope.BUYER_APP:
        raise AccessDenied(
            _(
                "Only the bank's buyer app may {doing}; API client {client} is not registered for that.",
                doing=what,
                client=client.name,
            )
        )
    raise AccessDenied(
        _(
            "Only a courier may {doing}; API client {client} is not registered for that.",
            doing=what,
            client=client.name,
        )
    )
