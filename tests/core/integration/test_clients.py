"""API clients (core.integration.clients) on a real store: a token is shown once and kept only as a
hash, it authenticates its client until it is rotated or revoked, every failure gets one answer,
and the audit log names the operator, never the token."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from core.domain import ApiScope
from core.errors import InvalidInput, NotAuthenticated, NotFound
from core.integration import clients
from core.store.models import ApiClient, AuditEntry
from tests.builders import MONDAY_10

BANK = {"operator": "ops.dewi", "now": MONDAY_10}


def test_a_new_client_gets_a_token_shown_once_and_kept_only_as_a_hash(store):
    issued = clients.create_client(store, name="livin-merchant", scope=ApiScope.BUYER_APP, **BANK)
    assert issued.token.startswith("kpa_") and len(issued.token) == 4 + 16 + 1 + 43
    with store.reading() as session:
        row = session.scalar(select(ApiClient))
        assert issued.token.split("_", 2)[2] not in (row.secret_hash, row.key_id)
        assert issued.token not in " ".join(str(e.details) + str(e.target) for e in session.scalars(select(AuditEntry)))
    caller = clients.authenticate(store, issued.token)
    assert (caller.name, caller.scope) == ("livin-merchant", ApiScope.BUYER_APP)


@pytest.mark.parametrize(
    "token",
    [None, "", "Bearer x", "kpa_0123456789abcdef_" + "A" * 43, "kpa_zz_short", "kpa_" + "0" * 16 + "_" + "x" * 43],
)
def test_a_missing_malformed_or_unknown_token_gets_one_answer(store, token):
    clients.create_client(store, name="jne", scope=ApiScope.COURIER, **BANK)
    with pytest.raises(NotAuthenticated) as refused:
        clients.authenticate(store, token)
    assert refused.value.message == clients.REFUSED


def test_a_wrong_secret_for_a_real_key_id_is_refused_the_same_way(store):
    issued = clients.create_client(store, name="jne", scope=ApiScope.COURIER, **BANK)
    key_part = issued.token[: len("kpa_") + 16 + 1]
    with pytest.raises(NotAuthenticated, match="missing, wrong, rotated or revoked"):
        clients.authenticate(store, key_part + "B" * 43)


def test_rotating_ends_the_old_token_at_once_and_revoking_ends_the_new_one(store):
    old = clients.create_client(store, name="sicepat", scope=ApiScope.COURIER, **BANK)
    new = clients.rotate_client(store, name="sicepat", **BANK)
    with pytest.raises(NotAuthenticated):
        clients.authenticate(store, old.token)
    assert clients.authenticate(store, new.token).name == "sicepat"
    row = clients.revoke_client(store, name="sicepat", **BANK)
    assert row.revoked_at == MONDAY_10
    with pytest.raises(NotAuthenticated):
        clients.authenticate(store, new.token)
    again = clients.rotate_client(store, name="sicepat", **BANK)  # the bank may let it back in
    assert clients.authenticate(store, again.token).scope == ApiScope.COURIER


def test_names_scopes_and_operators_are_checked_in_words(store):
    clients.create_client(store, name="jne", scope=ApiScope.COURIER, **BANK)
    with pytest.raises(InvalidInput, match="already exists; rotate its token instead"):
        clients.create_client(store, name="JNE", scope=ApiScope.COURIER, **BANK)
    with pytest.raises(InvalidInput, match="lowercase letters, digits or '-'"):
        clients.create_client(store, name="j n e", scope=ApiScope.COURIER, **BANK)
    with pytest.raises(InvalidInput, match="choose one of buyer-app, courier"):
        clients.parse_scope("seller")
    assert clients.parse_scope("buyer-app") == ApiScope.BUYER_APP
    with pytest.raises(InvalidInput, match="operator name is required"):
        clients.create_client(store, name="anteraja", scope=ApiScope.COURIER, operator=" ", now=MONDAY_10)
    with pytest.raises(NotFound, match="no API client named 'pos'"):
        clients.revoke_client(store, name="pos", **BANK)


def test_every_change_is_audited_with_the_operator(store):
    clients.create_client(store, name="jne", scope=ApiScope.COURIER, **BANK)
    clients.rotate_client(store, name="jne", **BANK)
    clients.revoke_client(store, name="jne", **BANK)
    assert [row.name for row in clients.list_clients(store, **BANK)] == ["jne"]
    with store.reading() as session:
        entries = session.execute(select(AuditEntry.action, AuditEntry.actor, AuditEntry.target)).all()
    assert entries == [
        ("bank.api_client.create", "ops.dewi", "jne"),
        ("bank.api_client.rotate", "ops.dewi", "jne"),
        ("bank.api_client.revoke", "ops.dewi", "jne"),
        ("bank.api_client.list", "ops.dewi", None),
    ]
