"""Accounts: login with three fields, lockout, server-side sessions, password policy, expiry and
the forced change — on SQLite and PostgreSQL (the `store` fixture)."""

from __future__ import annotations

import dataclasses
import statistics
import time
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import delete, select, text, update

from core.accounts import audit, bankops, hashing, login, policy, sessions
from core.accounts import passwords as accounts_passwords
from core.accounts.login import login as log_in
from core.accounts.policy import BLOCKED_MESSAGE, INVALID_CREDENTIALS, NOT_WHITELISTED_MESSAGE
from core.config import Settings
from core.domain import ActorKind, Role, UserStatus
from core.errors import AccessDenied, InvalidInput
from core.store.database import Store
from core.store.models import AuditEntry, Company, LoginSession, LoginThrottle, PasswordHistory, UnknownLogin, User
from tests.builders import OPERATOR, PASSWORD, add_user, audit_actions, count_bcrypt_checks, seed, user_row


def settings_for(store: Store, **overrides) -> Settings:
    return dataclasses.replace(Settings(data_dir=Path("."), database_url=store.database_url), **overrides)


@pytest.fixture
def acme(store, now) -> Store:
    seed(store, now)
    return store


def login_pm(store: Store, now: datetime, password: str = PASSWORD, **kw) -> login.LoginResult:
    return log_in(store, "ACME01", "pm", password, now, **kw)


# --- Logging in ---------------------------------------------------------------------------------


def test_a_correct_login_opens_a_server_side_session_and_the_store_keeps_only_its_hash(acme, now):
    result = login_pm(acme, now)
    assert result.ok and result.message is None and not result.must_change_password
    assert len(result.token) >= 40
    assert result.actor.company_code == "ACME01" and result.actor.user_code == "pm"
    assert result.actor.role == Role.PRODUCT_MANAGER
    assert result.expires_at == now + timedelta(hours=12)
    with acme.reading() as session:
        row = session.scalar(select(LoginSession))
        assert row.token_hash == sessions.token_hash(result.token) != result.token
        assert row.created_at == row.last_seen_at == now and row.revoked_at is None
    assert user_row(acme, "ACME01", "pm").last_login_at == now
    assert audit_actions(acme) == ["login.success"]


def test_company_and_user_ids_are_matched_without_regard_to_case(acme, now):
    assert log_in(acme, " acme01 ", "PM", PASSWORD, now).ok


def test_the_password_is_used_exactly_as_typed_whitespace_included(acme, now):
    add_user(acme, "ACME01", "spaces", Role.PRODUCT_MANAGER, now, password="  kopi susu 12  ")
    assert not log_in(acme, "ACME01", "spaces", "kopi susu 12", now).ok
    assert log_in(acme, "ACME01", "spaces", "  kopi susu 12  ", now).ok


def test_a_very_long_password_is_checked_whole(acme, now):
    long_password = "a1" * 120  # 240 bytes: bcrypt alone would refuse or cut it at 72
    add_user(acme, "ACME01", "long", Role.PRODUCT_MANAGER, now, password=long_password)
    assert log_in(acme, "ACME01", "long", long_password, now).ok
    assert not log_in(acme, "ACME01", "long", long_password[:-1] + "X", now).ok


def test_empty_fields_are_asked_for(acme, now):
    for company, user, password in (("", "pm", PASSWORD), ("ACME01", " ", PASSWORD), ("ACME01", "pm", "")):
        assert log_in(acme, company, user, password, now).message == policy.MISSING_FIELDS


def test_unknown_company_unknown_user_and_wrong_password_get_the_same_sentence(acme, now):
    answers = {
        log_in(acme, "NOPE99", "pm", PASSWORD, now).message,
        log_in(acme, "ACME01", "nobody", PASSWORD, now).message,
        log_in(acme, "ACME01", "pm", "Wrong-Password-1", now).message,
    }
    assert answers == {INVALID_CREDENTIALS}
    assert audit_actions(acme) == ["login.failure"] * 3


@pytest.mark.parametrize(
    "company, user, password",
    [
        ("NOPE99", "pm", PASSWORD),  # unknown company
        ("ACME01", "nobody", PASSWORD),  # unknown user
        ("ACME01", "pm", "Wrong-Password-1"),  # wrong password
        ("GHOST03", "admin", PASSWORD),  # company not whitelisted
    ],
    ids=["unknown-company", "unknown-user", "wrong-password", "not-whitelisted"],
)
def test_every_refusal_spends_exactly_one_bcrypt_verification(acme, now, monkeypatch, company, user, password):
    hashing.burn_verification_time("warm-up")  # the dummy hash is made once per process
    calls = count_bcrypt_checks(monkeypatch)
    assert not log_in(acme, company, user, password, now).ok
    assert calls[0] == 1


@pytest.mark.slow  # times many bcrypt runs
def test_unknown_company_unknown_user_and_wrong_password_take_comparable_time(acme, now, monkeypatch):
    """Medians of interleaved attempts at a bcrypt cost where bcrypt dominates (~60 ms): if one
    path skipped bcrypt it would be several times faster. No absolute times are asserted."""
    monkeypatch.setenv("KOPRA_BCRYPT_ROUNDS", "10")
    add_user(acme, "ACME01", "timed", Role.PRODUCT_MANAGER, now)  # hashed at cost 10
    hashing.burn_verification_time("warm-up")
    paths = {
        "unknown company": ("NOPE99", "timed"),
        "unknown user": ("ACME01", "nobody"),
        "wrong password": ("ACME01", "timed"),
    }
    times: dict[str, list[float]] = {name: [] for name in paths}
    for _ in range(7):
        for name, (company, user) in paths.items():
            started = time.perf_counter()
            result = log_in(acme, company, user, "Not-The-Password-9", now)
            times[name].append(time.perf_counter() - started)
            assert result.message == INVALID_CREDENTIALS
        with acme.transaction() as session:  # keep every path short of the lockout and the address's wait
            session.execute(update(User).where(User.user_code == "timed").values(failed_login_count=0))
            session.execute(delete(UnknownLogin))
            session.execute(delete(LoginThrottle))
    medians = {name: statistics.median(values) for name, values in times.items()}
    assert max(medians.values()) / min(medians.values()) < 2.0, medians


def test_a_company_that_is_not_whitelisted_is_told_to_contact_its_relationship_manager(acme, now):
    result = log_in(acme, "GHOST03", "admin", PASSWORD, now)
    assert not result.ok and result.message == NOT_WHITELISTED_MESSAGE
    assert "Relationship Manager" in result.message and "not registered" in result.message
    # With a wrong password nothing tells a guesser that the company exists.
    assert log_in(acme, "GHOST03", "admin", "Wrong-Password-1", now).message == INVALID_CREDENTIALS
    with acme.reading() as session:
        assert session.scalar(select(LoginSession)) is None


def test_a_deleted_user_is_an_unknown_user(acme, now):
    bankops.delete_user(acme, operator=OPERATOR, company_code="ACME01", user_code="pm", now=now)
    assert login_pm(acme, now).message == INVALID_CREDENTIALS


# --- Lockout ------------------------------------------------------------------------------------


def test_the_fifth_wrong_password_in_a_row_blocks_the_user_and_says_so(acme, now):
    for attempt in range(1, 5):
        assert login_pm(acme, now, "Wrong-Password-1").message == INVALID_CREDENTIALS
        assert user_row(acme, "ACME01", "pm").failed_login_count == attempt
    assert login_pm(acme, now, "Wrong-Password-1").message == BLOCKED_MESSAGE
    user = user_row(acme, "ACME01", "pm")
    assert user.status == UserStatus.BLOCKED and user.failed_login_count == 5
    assert audit_actions(acme, "login.") == ["login.failure"] * 4 + ["login.lockout"]


def test_a_blocked_user_gets_the_same_blocked_sentence_whether_the_password_is_right_or_not(acme, now):
    bankops.block_user(acme, operator=OPERATOR, company_code="ACME01", user_code="pm", now=now)
    right, wrong = login_pm(acme, now), login_pm(acme, now, "Wrong-Password-1")
    assert right.message == wrong.message == BLOCKED_MESSAGE
    assert not right.ok and not wrong.ok
    assert BLOCKED_MESSAGE == (
        "Your user ID is blocked. Please contact your Relationship Manager or Mandiri Call 14000 to reactivate it."
    )


def test_failures_are_counted_per_user_in_the_store_across_sessions_and_processes(acme, now):
    for _ in range(3):
        login_pm(acme, now, "Wrong-Password-1")
    # A new browser, even another UI process: a fresh Store on the same database sees the count.
    other_process = Store(acme.database_url)
    try:
        assert login_pm(other_process, now, "Wrong-Password-1").message == INVALID_CREDENTIALS
        assert login_pm(other_process, now + timedelta(hours=5), "Wrong-Password-1").message == BLOCKED_MESSAGE
    finally:
        if other_process.backend == "sqlite":
            other_process.dispose()
    # Counted per user: the colleague is untouched.
    assert user_row(acme, "ACME01", "admin").failed_login_count == 0
    assert log_in(acme, "ACME01", "admin", PASSWORD, now).ok


def test_wrong_passwords_arriving_at_the_same_moment_all_count(acme, now):
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=8) as pool:
        answers = list(pool.map(lambda _: login_pm(acme, now, "Wrong-Password-1").message, range(8)))
    # Serialised by the row lock: four plain failures, the fifth blocks, the rest meet the block.
    assert sorted(answers) == sorted([INVALID_CREDENTIALS] * 4 + [BLOCKED_MESSAGE] * 4)
    user = user_row(acme, "ACME01", "pm")
    assert user.failed_login_count == 5 and user.status == UserStatus.BLOCKED


def test_a_successful_login_starts_the_count_again(acme, now):
    for _ in range(4):
        login_pm(acme, now, "Wrong-Password-1")
    assert login_pm(acme, now).ok
    assert user_row(acme, "ACME01", "pm").failed_login_count == 0
    for _ in range(4):
        login_pm(acme, now, "Wrong-Password-1")
    assert user_row(acme, "ACME01", "pm").status == UserStatus.ACTIVE


def test_unblocking_lets_the_user_in_again_with_a_fresh_count(acme, now):
    for _ in range(5):
        login_pm(acme, now, "Wrong-Password-1")
    bankops.unblock_user(acme, operator=OPERATOR, company_code="ACME01", user_code="pm", now=now)
    assert user_row(acme, "ACME01", "pm").failed_login_count == 0
    assert login_pm(acme, now).ok


# --- Sessions -----------------------------------------------------------------------------------


def test_a_session_gives_back_the_actor_reloaded_from_the_store(acme, now):
    token = login_pm(acme, now).token
    check = sessions.check_session(acme, token, now + timedelta(minutes=1))
    assert check.actor.user_code == "pm" and check.actor.company_code == "ACME01"
    assert sessions.actor_for_session(acme, token, now + timedelta(minutes=1)) == check.actor
    # The display name is read on every request: a change shows at once.
    with acme.transaction() as session:
        session.execute(update(User).where(User.user_code == "pm").values(display_name="Putri M."))
    assert sessions.actor_for_session(acme, token, now + timedelta(minutes=2)).display_name == "Putri M."


def test_unknown_or_missing_tokens_give_no_actor(acme, now):
    assert sessions.check_session(acme, None, now) == sessions.SessionCheck()
    assert sessions.check_session(acme, "", now).ended_message is None
    forged = sessions.check_session(acme, "made-up-token", now)
    assert forged.actor is None and forged.ended_message == policy.SESSION_ENDED


def _last_seen(store: Store) -> datetime:
    with store.reading() as session:
        return session.scalar(select(LoginSession.last_seen_at))


def test_a_rerun_only_writes_the_last_seen_time_once_a_minute(acme, now):
    token = login_pm(acme, now).token
    sessions.check_session(acme, token, now + timedelta(seconds=59))
    assert _last_seen(acme) == now
    sessions.check_session(acme, token, now + timedelta(seconds=61))
    assert _last_seen(acme) == now + timedelta(seconds=61)


def test_the_session_ends_after_30_idle_minutes_by_default(acme, now):
    token = login_pm(acme, now).token
    assert sessions.actor_for_session(acme, token, now + timedelta(minutes=30)) is not None
    # …which counted as activity: 30 more minutes from there are still fine.
    assert sessions.actor_for_session(acme, token, now + timedelta(minutes=60)) is not None
    check = sessions.check_session(acme, token, now + timedelta(minutes=90, seconds=1))
    assert check.actor is None and "30 minutes without activity" in check.ended_message
    with acme.reading() as session:
        assert session.scalar(select(LoginSession.revoked_reason)) == "idle"
    assert sessions.actor_for_session(acme, token, now + timedelta(minutes=91)) is None


def test_the_idle_timeout_is_configurable(acme, now):
    settings = settings_for(acme, session_idle_minutes=5)
    token = login_pm(acme, now, settings=settings).token
    assert sessions.actor_for_session(acme, token, now + timedelta(minutes=6), settings) is None


def test_an_active_session_still_ends_at_its_absolute_lifetime(acme, now):
    settings = settings_for(acme, session_lifetime_hours=2)
    token = login_pm(acme, now, settings=settings).token
    moment = now
    while moment < now + timedelta(hours=2) - timedelta(minutes=10):
        moment += timedelta(minutes=10)
        assert sessions.actor_for_session(acme, token, moment, settings) is not None
    check = sessions.check_session(acme, token, now + timedelta(hours=2), settings)
    assert check.actor is None and "limit of 2 hours" in check.ended_message


def test_the_default_lifetime_is_12_hours(acme, now):
    token = login_pm(acme, now).token
    for minutes in range(20, 12 * 60, 20):
        assert sessions.actor_for_session(acme, token, now + timedelta(minutes=minutes)) is not None
    assert sessions.actor_for_session(acme, token, now + timedelta(hours=12)) is None


def test_logout_revokes_the_session(acme, now):
    token = login_pm(acme, now).token
    sessions.logout(acme, token, now + timedelta(minutes=1))
    assert sessions.actor_for_session(acme, token, now + timedelta(minutes=2)) is None
    with acme.reading() as session:
        assert session.scalar(select(LoginSession.revoked_reason)) == "logout"
    sessions.logout(acme, token, now + timedelta(minutes=3))  # twice is harmless
    sessions.logout(acme, None, now)
    assert audit_actions(acme) == ["login.success", "logout"]


@pytest.mark.parametrize(
    "change, message",
    [
        (
            lambda s, now: bankops.block_user(s, operator=OPERATOR, company_code="ACME01", user_code="pm", now=now),
            BLOCKED_MESSAGE,
        ),
        (
            lambda s, now: bankops.delete_user(s, operator=OPERATOR, company_code="ACME01", user_code="pm", now=now),
            policy.USER_GONE,
        ),
        (
            lambda s, now: bankops.set_whitelisted(
                s, operator=OPERATOR, company_code="ACME01", whitelisted=False, now=now
            ),
            NOT_WHITELISTED_MESSAGE,
        ),
        (
            lambda s, now: bankops.reset_password(s, operator=OPERATOR, company_code="ACME01", user_code="pm", now=now),
            policy.SESSION_ENDED,
        ),
    ],
    ids=["blocked", "deleted", "dewhitelisted", "password-reset"],
)
def test_the_bank_taking_access_away_ends_the_session_at_once(acme, now, change, message):
    token = login_pm(acme, now).token
    change(acme, now + timedelta(minutes=1))
    check = sessions.check_session(acme, token, now + timedelta(minutes=1, seconds=1))
    assert check.actor is None and check.ended_message == message


@pytest.mark.parametrize(
    "column, value, message",
    [
        ("status", UserStatus.BLOCKED.value, BLOCKED_MESSAGE),
        ("deleted_at", "now", policy.USER_GONE),
    ],
    ids=["blocked", "deleted"],
)
def test_even_a_change_made_straight_in_the_store_takes_effect_on_the_next_request(acme, now, column, value, message):
    token = login_pm(acme, now).token
    with acme.transaction() as session:
        session.execute(update(User).where(User.user_code == "pm").values({column: now if value == "now" else value}))
    check = sessions.check_session(acme, token, now + timedelta(seconds=5))
    assert check.actor is None and check.ended_message == message


def test_a_company_losing_its_whitelisting_in_the_store_ends_its_sessions(acme, now):
    token = login_pm(acme, now).token
    with acme.transaction() as session:
        session.execute(update(Company).where(Company.company_code == "ACME01").values(is_whitelisted=False))
    assert sessions.check_session(acme, token, now).ended_message == NOT_WHITELISTED_MESSAGE


# --- Passwords ----------------------------------------------------------------------------------

NEW = "Gudang-Baru-77"


def _actor(store: Store, now: datetime):
    return login_pm(store, now).actor


def test_changing_the_password_ends_every_session_and_gives_this_browser_a_fresh_one(acme, now):
    first = login_pm(acme, now)
    other_browser = login_pm(acme, now).token
    changed = accounts_passwords.change_password(acme, first.actor, PASSWORD, NEW, NEW, now + timedelta(minutes=5))
    later = now + timedelta(minutes=6)
    assert sessions.actor_for_session(acme, first.token, later) is None
    assert sessions.actor_for_session(acme, other_browser, later) is None
    assert sessions.actor_for_session(acme, changed.token, later).user_code == "pm"
    with acme.reading() as session:
        reasons = set(session.scalars(select(LoginSession.revoked_reason).where(LoginSession.revoked_at.is_not(None))))
        assert reasons == {"password changed"}
        assert session.scalar(select(PasswordHistory.id)) is not None
    assert not login_pm(acme, later).ok
    assert login_pm(acme, later, NEW).ok
    assert "password.changed" in audit_actions(acme)


@pytest.mark.parametrize(
    "new, repeated, words, field",
    [
        ("Short-1", "Short-1", "at least 10 characters", "new_password"),
        ("x" * 255 + "12", "x" * 255 + "12", "at most 256", "new_password"),
        ("only-letters-here", "only-letters-here", "letters and digits", "new_password"),
        ("1234567890-", "1234567890-", "letters and digits", "new_password"),
        ("my-PM-password-1", "my-PM-password-1", "may not contain your User ID", "new_password"),
        (NEW, NEW + "x", "not the same", "repeated_password"),
        (PASSWORD, PASSWORD, "last 5 passwords", "new_password"),
    ],
    ids=["short", "long", "no-digit", "no-letter", "user-id", "not-repeated", "current"],
)
def test_the_password_policy(acme, now, new, repeated, words, field):
    actor = _actor(acme, now)
    with pytest.raises(InvalidInput) as refused:
        accounts_passwords.change_password(acme, actor, PASSWORD, new, repeated, now)
    assert words in refused.value.message and refused.value.field == field
    assert login_pm(acme, now).ok  # nothing changed


def test_none_of_the_last_five_passwords_may_come_back(acme, now):
    passwords = [PASSWORD] + [f"Rotasi-Kata-{n}0" for n in range(1, 6)]  # P0 … P5
    actor = _actor(acme, now)
    for before, after in zip(passwords, passwords[1:]):
        accounts_passwords.change_password(acme, actor, before, after, after, now)
    current = passwords[-1]
    for recent in passwords[1:]:  # P1 … P5: the last five
        with pytest.raises(InvalidInput, match="last 5 passwords"):
            accounts_passwords.change_password(acme, actor, current, recent, recent, now)
    accounts_passwords.change_password(acme, actor, current, passwords[0], passwords[0], now)  # P0 is six back


def test_a_wrong_current_password_counts_towards_the_lockout(acme, now):
    first = login_pm(acme, now)
    for _ in range(4):
        with pytest.raises(InvalidInput, match="current password is not correct"):
            accounts_passwords.change_password(acme, first.actor, "Wrong-Password-1", NEW, NEW, now)
    with pytest.raises(AccessDenied) as blocked:
        accounts_passwords.change_password(acme, first.actor, "Wrong-Password-1", NEW, NEW, now)
    assert blocked.value.message == BLOCKED_MESSAGE
    assert sessions.check_session(acme, first.token, now).ended_message == BLOCKED_MESSAGE


def test_an_expired_password_must_be_changed_after_a_correct_login(acme, now):
    add_user(acme, "ACME01", "old", Role.PRODUCT_MANAGER, now, changed_days_ago=91)
    result = log_in(acme, "ACME01", "old", PASSWORD, now)
    assert result.ok and result.must_change_password
    assert sessions.check_session(acme, result.token, now).must_change_password
    assert user_row(acme, "ACME01", "old").must_change_password  # kept, even if the browser is closed
    changed = accounts_passwords.change_password(acme, result.actor, PASSWORD, NEW, NEW, now)
    assert not sessions.check_session(acme, changed.token, now).must_change_password
    assert not log_in(acme, "ACME01", "old", NEW, now).must_change_password


def test_the_password_lifetime_is_configurable(acme, now):
    settings = settings_for(acme, password_max_age_days=30)
    add_user(acme, "ACME01", "month", Role.PRODUCT_MANAGER, now, changed_days_ago=31)
    add_user(acme, "ACME01", "fresh", Role.PRODUCT_MANAGER, now, changed_days_ago=29)
    assert log_in(acme, "ACME01", "month", PASSWORD, now, settings).must_change_password
    assert not log_in(acme, "ACME01", "fresh", PASSWORD, now, settings).must_change_password


def test_a_first_login_with_a_one_time_password_must_change_it(acme, now):
    otp = bankops.create_user(
        acme,
        operator=OPERATOR,
        company_code="ACME01",
        user_code="rina",
        display_name="Rina Wijaya",
        role=Role.PRODUCT_MANAGER,
        now=now,
    )
    result = log_in(acme, "ACME01", "rina", otp.password, now)
    assert result.ok and result.must_change_password
    changed = accounts_passwords.change_password(acme, result.actor, otp.password, NEW, NEW, now)
    assert not sessions.check_session(acme, changed.token, now).must_change_password
    assert not log_in(acme, "ACME01", "rina", otp.password, now).ok
    assert log_in(acme, "ACME01", "rina", NEW, now).ok


def test_one_time_passwords_are_random_and_readable():
    passwords = {policy.new_one_time_password() for _ in range(200)}
    assert len(passwords) == 200
    for password in passwords:
        assert len(password) == 14 and password.count("-") == 2
        assert not set(password) & set("0O1lI")
        assert any(c.isdigit() for c in password) and any(c.isalpha() for c in password)


# --- Never a secret in the store's logs ---------------------------------------------------------


def test_no_password_or_token_ever_reaches_the_audit_log(acme, now):
    secrets_seen = [PASSWORD, NEW, "Wrong-Password-1"]
    result = login_pm(acme, now)
    secrets_seen.append(result.token)
    login_pm(acme, now, "Wrong-Password-1")
    log_in(acme, "ACME01", "Wrong-Password-1", PASSWORD, now)  # a password typed as User ID
    changed = accounts_passwords.change_password(acme, result.actor, PASSWORD, NEW, NEW, now)
    secrets_seen.append(changed.token)
    otp = bankops.create_user(
        acme,
        operator=OPERATOR,
        company_code="ACME01",
        user_code="rina",
        display_name="Rina",
        role=Role.PRODUCT_MANAGER,
        now=now,
    )
    reset = bankops.reset_password(acme, operator=OPERATOR, company_code="ACME01", user_code="rina", now=now)
    secrets_seen += [otp.password, reset.password]
    sessions.logout(acme, changed.token, now)
    with acme.reading() as session:
        dump = " ".join(str(value) for row in session.execute(text("SELECT * FROM audit_log")) for value in row)
        dump += " ".join(str(value) for row in session.execute(text("SELECT * FROM login_sessions")) for value in row)
    for secret in secrets_seen:
        assert secret not in dump


def test_the_audit_log_refuses_details_that_look_like_secrets(acme, now):
    with pytest.raises(audit.SecretInAuditLog):
        with acme.transaction() as session:
            audit.record(
                session,
                at=now,
                actor_kind=ActorKind.USER,
                actor="ACME01/pm",
                company_id=None,
                action="test",
                details={"new_password": "x"},
            )


def test_audit_entries_are_in_utc_with_who_and_what(acme, now):
    login_pm(acme, now)
    with acme.reading() as session:
        entry = session.scalar(select(AuditEntry))
        company_id = login.find_company(session, "ACME01").id
    assert entry.at == now and entry.at.utcoffset() == timedelta(0)
    assert (entry.actor_kind, entry.actor, entry.company_id, entry.action) == (
        ActorKind.USER,
        "ACME01/pm",
        company_id,
        "login.success",
    )
