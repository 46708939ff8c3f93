"""Guessing at the door: the lockout tells nobody which users exist, one address cannot lock out a
company cheaply, and the company's administrators learn of each lockout. SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from core.accounts import audit, throttle
from core.accounts.login import login
from core.accounts.policy import BLOCKED_MESSAGE, INVALID_CREDENTIALS
from core.acting import actor_of
from core.domain import Role, UserStatus
from core.errors import AccessDenied
from core.store.models import Company, User
from tests.builders import PASSWORD, add_user, count_bcrypt_checks, seed, user_row

WRONG = "Not-The-Password-9"


def test_an_unknown_pair_answers_as_a_real_user_does_at_every_attempt(store, now, monkeypatch):
    seed(store, now)
    bcrypt_calls = count_bcrypt_checks(monkeypatch)
    paths = {"real user": ("ACME01", "pm"), "unknown user": ("ACME01", "ghost"), "unknown company": ("NOPE99", "x")}
    answers: dict[str, list[str]] = {name: [] for name in paths}
    work: dict[str, list[int]] = {name: [] for name in paths}
    for attempt in range(1, 8):
        for index, (name, (company, user)) in enumerate(paths.items()):
            before = bcrypt_calls[0]
            result = login(store, company, user, WRONG, now + timedelta(seconds=attempt), address=f"10.0.0.{index}")
            answers[name].append(result.message)
            work[name].append(bcrypt_calls[0] - before)
    expected = [INVALID_CREDENTIALS] * 4 + [BLOCKED_MESSAGE] * 3
    assert answers == {name: expected for name in paths}
    assert work == {name: [1] * 7 for name in paths}  # the same bcrypt work, every time
    # Only a hash of the typed pair is kept, never the IDs themselves.
    with store.reading() as session:
        assert "ghost" not in repr(session.execute(select(throttle.UnknownLogin)).all())


def test_one_address_waits_longer_after_each_failure_and_its_waits_lock_nobody_out(store, now):
    seed(store, now)
    users = [f"staff{n}" for n in range(6)]
    for user in users:
        add_user(store, "ACME01", user, Role.PRODUCT_MANAGER, now)
    attacker, clock, answers = "203.0.113.7", now, []
    for attempt in range(throttle.FREE_FAILURES + 2):  # cycling through the staff, as to lock them all out
        clock += timedelta(milliseconds=100)
        answers.append(login(store, "ACME01", users[attempt % len(users)], WRONG, clock, address=attacker).message)
    assert answers[: throttle.FREE_FAILURES + 1] == [INVALID_CREDENTIALS] * (throttle.FREE_FAILURES + 1)
    assert answers[-1] == "Too many unsuccessful logins from your connection. Please wait 1 second and try again."
    failures = {user: user_row(store, "ACME01", user).failed_login_count for user in users}
    assert sum(failures.values()) == throttle.FREE_FAILURES + 1  # the throttled try counted for nobody
    assert all(user_row(store, "ACME01", u).status == UserStatus.ACTIVE for u in users)
    # Once the wait is over it is looked at again; each failure doubles the next wait.
    clock += timedelta(seconds=1)
    assert login(store, "ACME01", users[0], WRONG, clock, address=attacker).message == INVALID_CREDENTIALS
    waited = login(store, "ACME01", users[1], WRONG, clock, address=attacker).message
    assert waited == "Too many unsuccessful logins from your connection. Please wait 2 seconds and try again."
    # The right password from another address is not held back by the attacker's waits.
    assert login(store, "ACME01", "pm", PASSWORD, clock, address="198.51.100.20").ok
    with store.reading() as session:
        throttled = [e for e in audit.entries(session, action_prefix="login.throttled")]
    assert [e.details["address"] for e in throttled] == [attacker, attacker]


def test_a_quiet_address_starts_afresh_after_the_window(store, now):
    seed(store, now)
    for n in range(throttle.FREE_FAILURES + 1):
        login(store, "NOPE99", f"guess{n}", WRONG, now, address="203.0.113.8")
    assert login(store, "NOPE99", "again", WRONG, now, address="203.0.113.8").message.startswith("Too many")
    later = now + throttle.WINDOW + throttle.MAX_WAIT + timedelta(seconds=1)
    assert login(store, "NOPE99", "later", WRONG, later, address="203.0.113.8").message == INVALID_CREDENTIALS


def test_the_company_administrators_see_each_lockout_with_when_and_from_where(store, now):
    seed(store, now)
    for attempt in range(5):
        login(store, "ACME01", "pm", WRONG, now + timedelta(seconds=attempt), address="203.0.113.9")
    with store.reading() as session:
        company = session.scalar(select(Company).where(Company.company_code == "ACME01"))
        admin = actor_of(
            session.scalar(select(User).where(User.user_code == "admin", User.company_id == company.id)), company
        )
        pm = actor_of(
            session.scalar(select(User).where(User.user_code == "pm", User.company_id == company.id)), company
        )
    [lockout] = throttle.recent_lockouts(store, admin, now + timedelta(minutes=1))
    assert (lockout.user, lockout.at, lockout.address) == ("ACME01/pm", now + timedelta(seconds=4), "203.0.113.9")
    assert throttle.recent_lockouts(store, admin, now + timedelta(days=8)) == []  # a week later it is old news
    with pytest.raises(AccessDenied):
        throttle.recent_lockouts(store, pm, now)
