"""Typed text in the company profile and the payout account: a NUL byte, an invisible or a
text-direction character is refused naming the field, on SQLite and PostgreSQL, never a database
error; nothing is stored. The password is used exactly as typed."""

from __future__ import annotations

import pytest
from sqlalchemy import select, update

from core.accounts.hashing import hash_password
from core.company import payout_account as payout
from core.company import profile
from core.errors import InvalidInput
from core.store.models import AuditEntry, Company, User

PASSWORD = " Admin-Passw0rd-2026\u200b "  # a password is never cleaned: spaces and all count
ACCOUNT = dict(bank_name="Bank Mandiri", account_number="1370-0098-76543", account_holder="PT Acme Jaya")


@pytest.fixture
def admin(world):
    with world.store.transaction() as session:
        session.execute(
            update(User).where(User.id == world.admin.user_id).values(password_hash=hash_password(PASSWORD))
        )
    return world.admin


def stored(world) -> tuple:
    with world.store.reading() as session:
        company = session.get(Company, world.admin.company_id)
        return (
            company.description,
            company.contact_phone,
            company.payout_bank_name,
            company.payout_account_number,
            company.payout_account_holder,
            session.scalars(select(AuditEntry.id)).all(),
        )


@pytest.mark.parametrize(
    "change, field, words",
    [
        ({"description": "Grosir\x00beras"}, "description", "The description contains a control character (U+0000)"),
        ({"description": "Grosir \u202esarab"}, "description", "text-direction control character (U+202E)"),
        ({"description": "Grosir\u200bberas"}, "description", "invisible character (U+200B)"),
        ({"contact_phone": "021\x005091 4000"}, "contact_phone", "The contact phone contains a control character"),
        ({"contact_phone": "021 5091 4000\u200b"}, "contact_phone", "invisible character (U+200B)"),
        ({"contact_phone": "0" * 33}, "contact_phone", "at most 32 characters; it has 33."),
    ],
)
def test_bad_text_in_the_profile_is_refused_naming_the_field(world, admin, now, change, field, words):
    before = stored(world)
    values = {"description": "Grosir beras", "contact_phone": "021 5091 4000", **change}
    with pytest.raises(InvalidInput) as refused:
        profile.update_profile(world.store, admin, **values, now=now)
    assert refused.value.field == field and words in refused.value.message
    assert "\x00" not in refused.value.message
    assert stored(world) == before


def test_a_description_keeps_its_lines_and_tabs(world, admin, now):
    saved = profile.update_profile(
        world.store, admin, description=" Beras\r\n\tMinyak \n", contact_phone="021 5091 4000", now=now
    )
    assert saved.description == "Beras\n\tMinyak"


@pytest.mark.parametrize(
    "change, field, words",
    [
        ({"bank_name": "Bank\x00Mandiri"}, "bank_name", "The bank name contains a control character (U+0000)"),
        ({"bank_name": "Bank Mandiri\u200b"}, "bank_name", "invisible character (U+200B)"),
        ({"account_number": "1370\x00009876543"}, "account_number", "control character (U+0000)"),
        ({"account_number": "1370\u200b009876543"}, "account_number", "invisible character (U+200B)"),
        ({"account_number": "1" * 41}, "account_number", "at most 40 characters; it has 41."),
        ({"account_holder": "PT Acme\x00Jaya"}, "account_holder", "The account holder's name contains a control"),
        ({"account_holder": "PT \u202eayaJ"}, "account_holder", "(U+202E)"),
    ],
)
def test_bad_text_in_the_payout_account_is_refused_before_the_password_is_checked(
    world, admin, now, change, field, words
):
    before = stored(world)
    with pytest.raises(InvalidInput) as refused:
        payout.change_payout_account(world.store, admin, **{**ACCOUNT, **change}, current_password="wrong", now=now)
    assert refused.value.field == field and words in refused.value.message
    assert stored(world) == before  # no failed password was counted either


def test_the_password_is_used_exactly_as_typed(world, admin, now):
    with pytest.raises(InvalidInput, match="Your password is not correct"):
        payout.change_payout_account(world.store, admin, **ACCOUNT, current_password=PASSWORD.strip(), now=now)
    changed = payout.change_payout_account(world.store, admin, **ACCOUNT, current_password=PASSWORD, now=now)
    assert changed.payout_account_masked.endswith("6543")
