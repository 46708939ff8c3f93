"""The HttpOnly cookie's token: given by the server, once, for a one-time ticket that lives a minute,
and never the token the browser tab holds. On SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from core.accounts import sessions
from core.accounts.login import login
from core.store.models import LoginSession
from tests.builders import PASSWORD, seed


def logged_in(store, now) -> str:
    seed(store, now)
    result = login(store, "ACME01", "pm", PASSWORD, now)
    assert result.ok
    return result.token


def test_a_ticket_is_exchanged_once_for_a_cookie_token_of_its_own(store, now):
    tab_token = logged_in(store, now)
    ticket = sessions.issue_cookie_ticket(store, tab_token, now)
    grant = sessions.redeem_cookie_ticket(store, ticket, now + timedelta(seconds=5))
    assert grant is not None and grant.token not in (tab_token, ticket)
    assert sessions.redeem_cookie_ticket(store, ticket, now + timedelta(seconds=6)) is None  # never twice
    # Both the tab and the cookie find the same login; the store keeps neither token nor ticket.
    assert sessions.actor_for_session(store, grant.token, now).user_code == "pm"
    assert sessions.actor_for_session(store, tab_token, now).user_code == "pm"
    with store.reading() as session:
        row = session.scalar(select(LoginSession))
        assert row.cookie_token_hash == sessions.token_hash(grant.token) and row.ticket_hash is None
        assert grant.expires_at == row.expires_at


def test_an_expired_ticket_or_one_of_an_ended_session_gives_nothing(store, now):
    tab_token = logged_in(store, now)
    late = sessions.issue_cookie_ticket(store, tab_token, now)
    assert sessions.redeem_cookie_ticket(store, late, now + sessions.TICKET_LIFETIME) is None
    ended = sessions.issue_cookie_ticket(store, tab_token, now)
    sessions.logout(store, tab_token, now)
    assert sessions.redeem_cookie_ticket(store, ended, now) is None
    assert sessions.issue_cookie_ticket(store, tab_token, now) is None  # no ticket for an ended session
    assert sessions.redeem_cookie_ticket(store, "made-up", now) is None


def test_logging_out_with_the_cookie_ends_the_session_for_the_tab_too(store, now):
    tab_token = logged_in(store, now)
    grant = sessions.redeem_cookie_ticket(store, sessions.issue_cookie_ticket(store, tab_token, now), now)
    sessions.logout(store, grant.token, now)
    assert sessions.actor_for_session(store, tab_token, now) is None
    assert sessions.actor_for_session(store, grant.token, now) is None
