"""The bank's back office as functions: onboarding, whitelisting, users, and the audit trail of
every action — on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from core.accounts import audit, bankops, policy, sessions
from core.accounts.login import login as log_in
from core.domain import ActorKind, Role, UserStatus
from core.errors import InvalidInput, NotFound
from core.store.models import LoginSession
from tests.builders import PASSWORD, audit_actions, seed, user_row

OPERATOR = "rm.sari"


@pytest.fixture
def acme(store, now):
    seed(store, now)
    return store


def test_a_company_is_onboarded_not_whitelisted_unless_asked(store, now):
    row = bankops.create_company(
        store, operator=OPERATOR, company_code="NEW01", name="PT Baru", whitelisted=False, now=now
    )
    assert row == bankops.CompanyRow("NEW01", "PT Baru", False)
    bankops.create_company(store, operator=OPERATOR, company_code="NEW02", name="PT Dua", whitelisted=True, now=now)
    listed = bankops.list_companies(store, operator=OPERATOR, now=now)
    assert [(c.company_code, c.is_whitelisted) for c in listed] == [("NEW01", False), ("NEW02", True)]


@pytest.mark.parametrize(
    "code, name, words",
    [
        ("acme01", "PT Lain", "already exists"),  # Company IDs are unique without regard to case
        ("A", "PT Pendek", "2 to 32 letters"),
        ("BAD CODE", "PT Spasi", "2 to 32 letters"),
        ("OK01", " ", "needs a name"),
    ],
)
def test_a_bad_or_duplicate_company_is_refused(acme, now, code, name, words):
    with pytest.raises(InvalidInput, match=words):
        bankops.create_company(acme, operator=OPERATOR, company_code=code, name=name, whitelisted=True, now=now)


def test_whitelisting_lets_a_company_in_and_taking_it_off_ends_its_sessions(acme, now):
    assert not log_in(acme, "GHOST03", "admin", PASSWORD, now).ok
    bankops.set_whitelisted(acme, operator=OPERATOR, company_code="ghost03", whitelisted=True, now=now)
    token = log_in(acme, "GHOST03", "admin", PASSWORD, now).token
    assert token
    bankops.set_whitelisted(acme, operator=OPERATOR, company_code="GHOST03", whitelisted=False, now=now)
    with acme.reading() as session:
        assert session.scalar(select(LoginSession.revoked_reason)) == "company not whitelisted"
    assert sessions.actor_for_session(acme, token, now) is None


def test_a_new_user_gets_a_one_time_password_to_change_at_first_login(acme, now):
    otp = bankops.create_user(
        acme,
        operator=OPERATOR,
        company_code="ACME01",
        user_code="rina",
        display_name="Rina Wijaya",
        role=Role.SYSTEM_ADMINISTRATOR,
        now=now,
    )
    assert (otp.company_code, otp.user_code) == ("ACME01", "rina")
    user = user_row(acme, "ACME01", "rina")
    assert user.role == Role.SYSTEM_ADMINISTRATOR and user.must_change_password
    assert user.password_hash != otp.password and otp.password not in user.password_hash
    result = log_in(acme, "ACME01", "rina", otp.password, now)
    assert result.ok and result.must_change_password


@pytest.mark.parametrize(
    "company, user, error, words",
    [
        ("NOPE99", "rina", NotFound, "There is no company with Company ID 'NOPE99'"),
        ("ACME01", "PM", InvalidInput, "already has a user with User ID 'pm'"),
        ("ACME01", "bad id", InvalidInput, "1 to 64 letters"),
    ],
)
def test_a_user_for_an_unknown_company_or_a_duplicate_user_is_refused(acme, now, company, user, error, words):
    with pytest.raises(error, match=words):
        bankops.create_user(
            acme,
            operator=OPERATOR,
            company_code=company,
            user_code=user,
            display_name="X",
            role=Role.PRODUCT_MANAGER,
            now=now,
        )


def test_a_deleted_users_id_is_not_given_out_again(acme, now):
    bankops.delete_user(acme, operator=OPERATOR, company_code="ACME01", user_code="pm", now=now)
    with pytest.raises(InvalidInput, match="deleted"):
        bankops.create_user(
            acme,
            operator=OPERATOR,
            company_code="ACME01",
            user_code="pm",
            display_name="X",
            role=Role.PRODUCT_MANAGER,
            now=now,
        )


@pytest.mark.parametrize(
    "action", [bankops.block_user, bankops.unblock_user, bankops.reset_password, bankops.delete_user]
)
def test_actions_on_an_unknown_user_say_so(acme, now, action):
    with pytest.raises(NotFound, match="has no user with User ID 'ghost'"):
        action(acme, operator=OPERATOR, company_code="ACME01", user_code="ghost", now=now)


def test_block_ends_sessions_and_unblock_resets_the_count(acme, now):
    token = log_in(acme, "ACME01", "pm", PASSWORD, now).token
    for _ in range(3):
        log_in(acme, "ACME01", "pm", "Wrong-Password-1", now)
    row = bankops.block_user(
        acme, operator=OPERATOR, company_code="ACME01", user_code="pm", now=now, reason="asked by the company"
    )
    assert row.status == "BLOCKED"
    assert sessions.actor_for_session(acme, token, now) is None
    row = bankops.unblock_user(acme, operator=OPERATOR, company_code="ACME01", user_code="pm", now=now)
    assert (row.status, row.failed_login_count) == ("ACTIVE", 0)
    assert log_in(acme, "ACME01", "pm", PASSWORD, now).ok


def test_a_reset_password_is_one_time_and_keeps_a_blocked_user_blocked(acme, now):
    bankops.block_user(acme, operator=OPERATOR, company_code="ACME01", user_code="pm", now=now)
    otp = bankops.reset_password(acme, operator=OPERATOR, company_code="ACME01", user_code="pm", now=now)
    assert log_in(acme, "ACME01", "pm", otp.password, now).message == policy.BLOCKED_MESSAGE
    bankops.unblock_user(acme, operator=OPERATOR, company_code="ACME01", user_code="pm", now=now)
    assert not log_in(acme, "ACME01", "pm", PASSWORD, now).ok
    result = log_in(acme, "ACME01", "pm", otp.password, now)
    assert result.ok and result.must_change_password


def test_list_users_shows_status_and_last_login_of_that_company_only(acme, now):
    log_in(acme, "ACME01", "pm", PASSWORD, now + timedelta(hours=1))
    bankops.block_user(acme, operator=OPERATOR, company_code="ACME01", user_code="admin", now=now)
    rows = bankops.list_users(acme, operator=OPERATOR, company_code="ACME01", now=now)
    assert [(r.company_code, r.user_code, r.status, r.last_login_at) for r in rows] == [
        ("ACME01", "admin", "BLOCKED", None),
        ("ACME01", "pm", "ACTIVE", now + timedelta(hours=1)),
    ]
    assert {r.company_code for r in bankops.list_users(acme, operator=OPERATOR, company_code="GHOST03", now=now)} == {
        "GHOST03"
    }


def test_roles_are_read_the_way_people_write_them():
    assert bankops.parse_role("system-administrator") == Role.SYSTEM_ADMINISTRATOR
    assert bankops.parse_role("Product Manager") == Role.PRODUCT_MANAGER
    with pytest.raises(InvalidInput, match="choose one of system-administrator, product-manager"):
        bankops.parse_role("boss")


def test_an_operator_name_is_required(acme, now):
    with pytest.raises(InvalidInput, match="operator name is required"):
        bankops.block_user(acme, operator=" ", company_code="ACME01", user_code="pm", now=now)


def test_every_back_office_action_is_audited_with_who_and_when(acme, now):
    later = now + timedelta(minutes=7)
    common = dict(operator=OPERATOR, now=later)
    bankops.create_company(acme, company_code="NEW01", name="PT Baru", whitelisted=False, **common)
    bankops.set_whitelisted(acme, company_code="NEW01", whitelisted=True, **common)
    bankops.create_user(
        acme, company_code="NEW01", user_code="u1", display_name="U", role=Role.PRODUCT_MANAGER, **common
    )
    bankops.block_user(acme, company_code="NEW01", user_code="u1", **common)
    bankops.unblock_user(acme, company_code="NEW01", user_code="u1", **common)
    bankops.reset_password(acme, company_code="NEW01", user_code="u1", **common)
    bankops.list_users(acme, company_code="NEW01", **common)
    bankops.delete_user(acme, company_code="NEW01", user_code="u1", **common)
    bankops.set_whitelisted(acme, company_code="NEW01", whitelisted=False, **common)
    bankops.list_companies(acme, **common)
    with acme.reading() as session:
        entries = list(reversed(audit.entries(session, action_prefix="bank.")))
    assert [e.action for e in entries] == [
        "bank.create_company",
        "bank.whitelist",
        "bank.create_user",
        "bank.block_user",
        "bank.unblock_user",
        "bank.reset_password",
        "bank.list_users",
        "bank.delete_user",
        "bank.dewhitelist",
        "bank.list_companies",
    ]
    assert {(e.actor_kind, e.actor, e.at) for e in entries} == {(ActorKind.BANK, OPERATOR, later)}
    assert {e.target for e in entries if "user" in e.action and e.action != "bank.list_users"} == {"NEW01/u1"}
    assert audit_actions(acme, "login.") == []  # the back office never logs anyone in


def test_a_refused_action_changes_nothing_and_is_not_audited(acme, now):
    with pytest.raises(InvalidInput):
        bankops.create_user(
            acme,
            operator=OPERATOR,
            company_code="ACME01",
            user_code="pm",
            display_name="X",
            role=Role.PRODUCT_MANAGER,
            now=now,
        )
    assert audit_actions(acme) == []
    assert user_row(acme, "ACME01", "pm").status == UserStatus.ACTIVE
