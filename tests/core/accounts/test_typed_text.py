"""Typed text at the front door and in the bank's back office: a NUL byte, an invisible or a
text-direction character, or text too long is refused or found nowhere, on SQLite and PostgreSQL,
never a database error; the login still answers with its one sentence and is audited."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from core.accounts import audit, bankops, hashing, policy
from core.accounts.login import login as log_in
from core.accounts.policy import INVALID_CREDENTIALS
from core.domain import Role
from core.errors import InvalidInput, NotFound
from core.store.models import AuditEntry, Company, User
from tests.builders import OPERATOR, PASSWORD, count_bcrypt_checks, seed, user_row


@pytest.fixture
def acme(store, now):
    seed(store, now)
    return store


def _failures(store) -> list[dict]:
    with store.reading() as session:
        return [e.details for e in reversed(audit.entries(session, action_prefix="login.failure"))]


@pytest.mark.parametrize(
    "company, user, reason",
    [
        ("ACME\x0001", "pm", "unknown company"),
        ("ACME01\x00", "pm", "unknown company"),
        ("ACME\u200b01", "pm", "unknown company"),
        ("A" * 5000, "pm", "unknown company"),
        ("ACME01", "p\x00m", "unknown user"),
        ("ACME01", "pm\u202e", "unknown user"),
        ("ACME01", "p" * 5000, "unknown user"),
    ],
    ids=["nul-company", "trailing-nul", "zero-width-company", "long-company", "nul-user", "bidi-user", "long-user"],
)
def test_an_id_that_cannot_exist_answers_like_an_unknown_one_after_the_same_work_and_is_audited(
    acme, now, monkeypatch, company, user, reason
):
    hashing.burn_verification_time("warm-up")
    calls = count_bcrypt_checks(monkeypatch)
    result = log_in(acme, company, user, PASSWORD, now)
    assert not result.ok and result.message == INVALID_CREDENTIALS
    assert calls[0] == 1  # the same bcrypt work as any other refusal
    assert _failures(acme) == [{"reason": reason}]


def test_the_demo_company_id_with_a_nul_byte_is_an_unknown_company(acme, now):
    assert log_in(acme, "DEMO\x0001", "admin", PASSWORD, now).message == INVALID_CREDENTIALS
    assert _failures(acme) == [{"reason": "unknown company"}]


def test_ids_are_still_matched_as_typed_around_the_check(acme, now):
    assert log_in(acme, "  ACME01  ", " pm ", PASSWORD, now).ok


def test_the_id_limits_are_the_stored_columns(acme):
    assert (policy.MAX_COMPANY_CODE, policy.MAX_USER_CODE) == (
        Company.company_code.type.length,
        User.user_code.type.length,
    )


# --- The back office --------------------------------------------------------------------------


def _counts(store) -> tuple[int, int, int]:
    with store.reading() as session:
        return (
            session.scalar(select(func.count(Company.id))),
            session.scalar(select(func.count(User.id))),
            session.scalar(select(func.count(AuditEntry.id))),
        )


@pytest.mark.parametrize(
    "change, field, words",
    [
        ({"company_code": "NEW\x0001"}, "company_code", "contains a control character (U+0000)"),
        ({"company_code": "NEW\u200b01"}, "company_code", "contains an invisible character (U+200B)"),
        ({"name": "PT Baru\x00"}, "name", "The company name contains a control character (U+0000)"),
        ({"name": "PT \u202eBaru"}, "name", "text-direction control character (U+202E)"),
        ({"name": "N" * 201}, "name", "at most 200 characters; it has 201"),
        ({"operator": "rm\x00sari"}, "operator", "The operator name contains a control character (U+0000)"),
    ],
)
def test_bad_text_in_a_new_company_is_refused_and_nothing_is_stored(acme, now, change, field, words):
    before = _counts(acme)
    args = {"operator": OPERATOR, "company_code": "NEW01", "name": "PT Baru", "whitelisted": True, **change}
    with pytest.raises(InvalidInput) as refused:
        bankops.create_company(acme, now=now, **args)
    assert refused.value.field == field and words in refused.value.message
    assert _counts(acme) == before


@pytest.mark.parametrize(
    "change, field, words",
    [
        ({"user_code": "new\x00"}, "user_code", "The User ID contains a control character (U+0000)"),
        ({"display_name": "Sari\x00"}, "display_name", "The user's name contains a control character (U+0000)"),
        ({"display_name": "Sari\u2066"}, "display_name", "(U+2066)"),
    ],
)
def test_bad_text_in_a_new_user_is_refused_and_nothing_is_stored(acme, now, change, field, words):
    before = _counts(acme)
    args = {"company_code": "ACME01", "user_code": "new", "display_name": "Sari", "role": Role.PRODUCT_MANAGER}
    with pytest.raises(InvalidInput) as refused:
        bankops.create_user(acme, operator=OPERATOR, now=now, **{**args, **change})
    assert refused.value.field == field and words in refused.value.message
    assert _counts(acme) == before


def test_a_block_reason_is_refused_rather_than_cut(acme, now):
    for reason, words in (("r" * 201, "at most 200 characters; it has 201."), ("fraud\x00", "(U+0000)")):
        with pytest.raises(InvalidInput, match=re.escape(words)) as refused:
            bankops.block_user(acme, operator=OPERATOR, company_code="ACME01", user_code="pm", now=now, reason=reason)
        assert refused.value.field == "reason"
    assert user_row(acme, "ACME01", "pm").status == "ACTIVE"
    bankops.block_user(acme, operator=OPERATOR, company_code="ACME01", user_code="pm", now=now, reason="r" * 200)
    with acme.reading() as session:
        assert audit.entries(session, action_prefix="bank.block_user")[0].details["reason"] == "r" * 200


@pytest.mark.parametrize(
    "company, user", [("ACME\x0001", "pm"), ("ACME01", "p\x00m"), ("A" * 500, "pm"), ("ACME01", "\u200bpm")]
)
def test_a_company_or_user_that_cannot_exist_is_not_found_and_the_sentence_shows_no_hidden_character(
    acme, now, company, user
):
    with pytest.raises(NotFound) as refused:
        bankops.unblock_user(acme, operator=OPERATOR, company_code=company, user_code=user, now=now)
    assert "\x00" not in refused.value.message and "\u200b" not in refused.value.message
    assert len(refused.value.message) < 200
