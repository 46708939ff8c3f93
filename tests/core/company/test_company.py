"""The company profile on a real store (SQLite and PostgreSQL): description and contact phone,
the logo (decoded, re-encoded, previewed before saving), and the payout account, which asks for
the password again and is audited with masked account numbers. Refusals leave the store unchanged."""

from __future__ import annotations

import dataclasses
import io
import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image
from sqlalchemy import select, update

from core.accounts import audit
from core.accounts import policy as accounts
from core.accounts.hashing import hash_password
from core.company import payout_account as payout
from core.company import profile
from core.domain import UserStatus
from core.errors import AccessDenied, InvalidInput
from core.store.models import AuditEntry, Company, User

PASSWORD = "Admin-Passw0rd-2026"
NEW_ACCOUNT = dict(
    bank_name="Bank Mandiri", account_number="1370-0098-76543", account_holder="PT Acme Jaya", current_password=PASSWORD
)


@pytest.fixture
def admin(world):
    """world's System Administrator, with a real password."""
    with world.store.transaction() as session:
        session.execute(
            update(User).where(User.id == world.admin.user_id).values(password_hash=hash_password(PASSWORD))
        )
    return world.admin


def image_bytes(fmt="PNG", size=(300, 120), mode="RGB") -> bytes:
    out = io.BytesIO()
    Image.new(mode, size, (20, 90, 160) if mode == "RGB" else 0).save(out, format=fmt)
    return out.getvalue()


def snapshot(world) -> tuple:
    with world.store.reading() as session:
        company = session.get(Company, world.admin.company_id)
        row = (
            company.description,
            company.contact_phone,
            company.logo,
            company.logo_mime,
            company.payout_bank_name,
            company.payout_account_number,
            company.payout_account_holder,
            company.updated_at,
        )
        return row, session.scalars(select(AuditEntry.id).where(AuditEntry.action.startswith("company."))).all()


def company_audit(world) -> list[audit.AuditRecord]:
    with world.store.reading() as session:
        return list(reversed(audit.entries(session, company_id=world.admin.company_id, action_prefix="company.")))


def failed_logins(world) -> tuple[int, UserStatus]:
    with world.store.reading() as session:
        user = session.get(User, world.admin.user_id)
        return user.failed_login_count, UserStatus(user.status)


# --- Reading -----------------------------------------------------------------------------------


def test_both_roles_read_the_profile_with_the_account_number_masked(world):
    for actor in (world.admin, world.pm):
        seen = profile.company_profile(world.store, actor)
        assert (seen.company_code, seen.name, seen.payout_bank_name) == ("ACME01", "ACME01 Tbk", "Bank Mandiri")
        assert seen.payout_account_masked == "••••••7890"
    assert profile.company_profile(world.store, world.other_pm).company_code == "OTHER02"


def test_a_forged_actor_reads_nothing(world):
    forged = dataclasses.replace(world.pm, company_id=world.other_pm.company_id)
    with pytest.raises(AccessDenied):
        profile.company_profile(world.store, forged)


# --- Description and contact phone -------------------------------------------------------------


@pytest.mark.parametrize(
    "typed, stored",
    [
        ("+62 21 5091 4000", "+62 21 5091 4000"),
        ("021-5091-4000", "+62 21 5091 4000"),
        ("(021) 5091 4000", "+62 21 5091 4000"),
        ("0812 3456 7890", "+62 812 3456 7890"),
        ("+62 (0)812-3456-7890", "+62 812 3456 7890"),
        ("6281234567890", "+62 812 3456 7890"),
        ("0411 123 4567", "+62 411 123 4567"),
        ("0361.123.456", "+62 361 123 456"),
    ],
)
def test_an_indonesian_phone_number_is_accepted_in_the_forms_people_write(typed, stored):
    assert profile.normalise_phone(typed) == stored


@pytest.mark.parametrize(
    "typed",
    [
        "",
        "12345",
        "+1 202 555 0100",
        "0812 345",
        "0812 3456 7890 123",
        "021-ABCD-4000",
        "+620 21 5091 4000",
        "00 62 21 5091 4000",
        "٠٨١٢٣٤٥٦٧٨٩٠",
    ],
)
def test_anything_else_is_refused_with_examples_of_what_works(typed):
    with pytest.raises(InvalidInput) as refused:
        profile.normalise_phone(typed)
    assert refused.value.field == "contact_phone"
    assert "+62 21 5091 4000, 021-5091-4000 or 0812 3456 7890" in refused.value.message


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet="+0123456789 -().", max_size=20))
def test_a_normalised_number_normalises_to_itself(typed):
    try:
        once = profile.normalise_phone(typed)
    except InvalidInput:
        return
    assert once.startswith("+62 ") and profile.normalise_phone(once) == once


def test_the_administrator_updates_description_and_phone(world, admin, now):
    seen = profile.update_profile(
        world.store, admin, description="  Grosir sembako.  ", contact_phone="0812 3456 7890", now=now
    )
    assert (seen.description, seen.contact_phone, seen.updated_at) == ("Grosir sembako.", "+62 812 3456 7890", now)
    [entry] = company_audit(world)
    assert entry.action == "company.profile_changed"
    assert entry.details == {"contact_phone": [None, "+62 812 3456 7890"], "description": {"characters": 15}}


def test_a_bad_phone_or_a_long_description_is_refused_and_nothing_is_stored(world, admin, now):
    before = snapshot(world)
    with pytest.raises(InvalidInput, match="'5091' is not an Indonesian phone number") as refused:
        profile.update_profile(world.store, admin, description="ok", contact_phone="5091", now=now)
    assert refused.value.field == "contact_phone"
    with pytest.raises(InvalidInput, match="at most 2000 characters") as refused:
        profile.update_profile(world.store, admin, description="x" * 2001, contact_phone="021 5091 4000", now=now)
    assert refused.value.field == "description"
    assert snapshot(world) == before


def test_only_the_administrator_changes_the_profile(world, now):
    for call in (
        lambda: profile.update_profile(world.store, world.pm, description="", contact_phone="021 5091 4000", now=now),
        lambda: profile.save_logo(world.store, world.pm, image_bytes(), "logo.png", now),
        lambda: profile.remove_logo(world.store, world.pm, now),
        lambda: payout.change_payout_account(world.store, world.pm, **NEW_ACCOUNT, now=now),
    ):
        with pytest.raises(AccessDenied, match="Only a System Administrator may"):
            call()


# --- Logo --------------------------------------------------------------------------------------


def test_a_logo_is_previewed_without_being_saved(world, admin):
    before = snapshot(world)
    preview = profile.preview_logo(image_bytes("PNG", (1024, 400)), "logo.png")
    assert (preview.width, preview.height, preview.mime) == (512, 200, "image/jpeg")  # scaled down, re-encoded
    assert Image.open(io.BytesIO(preview.data)).format == "JPEG"
    assert snapshot(world) == before


def test_a_saved_logo_is_the_re_encoded_image(world, admin, now):
    upload = image_bytes("WEBP", (200, 200)) + b"trailing bytes smuggled after the image"
    saved = profile.save_logo(world.store, admin, upload, "logo.webp", now)
    seen = profile.company_profile(world.store, admin)
    assert seen.logo == saved.data and seen.logo_mime == saved.mime and b"smuggled" not in seen.logo
    [entry] = company_audit(world)
    assert entry.action == "company.logo_changed" and entry.details["width"] == 200


def test_a_transparent_logo_stays_a_png(world, admin, now):
    saved = profile.save_logo(world.store, admin, image_bytes("PNG", (64, 64), mode="RGBA"), "logo.png", now)
    assert saved.mime == "image/png"


def bomb() -> bytes:
    """A small PNG that decodes to 100 million pixels."""
    out = io.BytesIO()
    Image.new("1", (10_000, 10_000)).save(out, format="PNG", optimize=True)
    return out.getvalue()


@pytest.mark.parametrize(
    "data, name, words",
    [
        (b"%PDF-1.7 this is not an image", "logo.png", "is not a readable PNG, JPEG or WebP image"),
        (b"", "logo.png", "is empty"),
        (image_bytes("GIF"), "logo.gif", "is a GIF image; only PNG, JPEG or WebP are accepted"),
        (b"\x89PNG\r\n\x1a\n" + b"\x00" * (2 * 1024 * 1024), "big.png", "the limit is 2.0 MB"),
        (None, "bomb.png", "is too large to open safely"),
    ],
    ids=["renamed-pdf", "empty", "gif", "too-big", "bomb"],
)
def test_a_file_that_is_not_an_acceptable_image_is_refused_and_nothing_is_stored(world, admin, now, data, name, words):
    data = bomb() if data is None else data
    before = snapshot(world)
    for call in (
        lambda: profile.preview_logo(data, name),
        lambda: profile.save_logo(world.store, admin, data, name, now),
    ):
        with pytest.raises(InvalidInput) as refused:
            call()
        assert refused.value.field == "logo" and words in refused.value.message
    assert snapshot(world) == before


def test_a_logo_can_be_removed(world, admin, now):
    with pytest.raises(InvalidInput, match="no logo to remove"):
        profile.remove_logo(world.store, admin, now)
    profile.save_logo(world.store, admin, image_bytes(), "logo.png", now)
    profile.remove_logo(world.store, admin, now)
    assert profile.company_profile(world.store, admin).logo is None


# --- Payout account ----------------------------------------------------------------------------


def test_changing_the_payout_account_with_the_password_is_audited_masked(world, admin, now):
    seen = payout.change_payout_account(world.store, admin, **NEW_ACCOUNT, now=now)
    assert (seen.payout_bank_name, seen.payout_account_masked, seen.payout_account_holder) == (
        "Bank Mandiri",
        "•••••••••6543",
        "PT Acme Jaya",
    )
    with world.store.reading() as session:
        assert session.get(Company, admin.company_id).payout_account_number == "1370009876543"
        raw = session.scalar(select(AuditEntry.details).where(AuditEntry.action == "company.payout_account_changed"))
    [entry] = company_audit(world)
    assert (entry.action, entry.actor) == ("company.payout_account_changed", "ACME01/admin")
    assert entry.details["old_account"] == "••••••7890" and entry.details["new_account"] == "•••••••••6543"
    assert "1234567890" not in raw and "1370009876543" not in raw and PASSWORD not in raw
    assert json.loads(raw)["new_holder"] == "PT Acme Jaya"


def test_a_wrong_password_changes_nothing_and_counts_like_a_failed_login(world, admin, now):
    before = snapshot(world)
    with pytest.raises(InvalidInput) as refused:
        payout.change_payout_account(world.store, admin, **{**NEW_ACCOUNT, "current_password": "guess-1234"}, now=now)
    assert refused.value.field == "current_password"
    assert refused.value.message == "Your password is not correct; the payout account was not changed."
    assert snapshot(world) == before
    assert failed_logins(world) == (1, UserStatus.ACTIVE)
    payout.change_payout_account(world.store, admin, **NEW_ACCOUNT, now=now)
    assert failed_logins(world) == (0, UserStatus.ACTIVE)  # the right password ends the run


def test_the_fifth_wrong_password_in_a_row_blocks_the_user(world, admin, now):
    for _ in range(accounts.LOCKOUT_THRESHOLD - 1):
        with pytest.raises(InvalidInput):
            payout.change_payout_account(world.store, admin, **{**NEW_ACCOUNT, "current_password": "x"}, now=now)
    with pytest.raises(AccessDenied) as refused:
        payout.change_payout_account(world.store, admin, **{**NEW_ACCOUNT, "current_password": "x"}, now=now)
    assert refused.value.message == accounts.BLOCKED_MESSAGE
    assert failed_logins(world) == (5, UserStatus.BLOCKED)
    with world.store.reading() as session:
        assert session.get(Company, admin.company_id).payout_account_number == "1234567890"


@pytest.mark.parametrize(
    "change, field, words",
    [
        ({"account_number": "1234 5678 9"}, "account_number", "10 to 16 digits; 9 entered"),
        ({"account_number": "1" * 17}, "account_number", "10 to 16 digits; 17 entered"),
        ({"account_number": "12345ABC901"}, "account_number", "digits only"),
        ({"account_number": "١٢٣٤٥٦٧٨٩٠"}, "account_number", "digits only"),
        ({"account_number": ""}, "account_number", "Enter the payout account number"),
        ({"account_holder": ""}, "account_holder", "Enter the account holder's name"),
        ({"account_holder": "PT Acme <99>"}, "account_holder", "letters, digits, spaces and . , ' - & ( ) / only"),
        ({"account_holder": "12345"}, "account_holder", "letters, digits, spaces and . , ' - & ( ) / only"),
        ({"account_holder": "A" * 101}, "account_holder", "at most 100 characters"),
        ({"bank_name": " "}, "bank_name", "Enter the name of the bank"),
        ({"bank_name": "Bank <script>"}, "bank_name", "letters, digits, spaces"),
    ],
    ids=lambda v: v if isinstance(v, str) and len(v) < 20 else None,
)
def test_a_bad_account_is_refused_before_the_password_is_checked(world, admin, now, change, field, words):
    before = snapshot(world)
    with pytest.raises(InvalidInput) as refused:
        payout.change_payout_account(
            world.store, admin, **{**NEW_ACCOUNT, **change, "current_password": "wrong"}, now=now
        )
    assert refused.value.field == field and words in refused.value.message
    assert snapshot(world) == before
    assert failed_logins(world) == (0, UserStatus.ACTIVE)  # a typo in the form costs no attempt


@pytest.mark.parametrize("holder", ["PT Bank Mandiri (Persero) Tbk", "CV Maju & Jaya", "PT Tiga Pilar 2000"])
def test_real_legal_names_are_accepted_as_the_account_holder(world, admin, now, holder):
    changed = payout.change_payout_account(world.store, admin, **{**NEW_ACCOUNT, "account_holder": holder}, now=now)
    assert changed.payout_account_holder == holder


def test_the_same_account_again_is_refused_without_asking_for_the_password(world, admin, now):
    payout.change_payout_account(world.store, admin, **NEW_ACCOUNT, now=now)
    before = snapshot(world)
    with pytest.raises(InvalidInput, match="This is already your payout account; nothing was changed."):
        payout.change_payout_account(world.store, admin, **{**NEW_ACCOUNT, "current_password": "wrong"}, now=now)
    assert snapshot(world) == before and failed_logins(world) == (0, UserStatus.ACTIVE)


def test_a_blocked_administrator_cannot_change_the_account(world, admin, now):
    with world.store.transaction() as session:
        session.execute(update(User).where(User.id == admin.user_id).values(status=UserStatus.BLOCKED.value))
    with pytest.raises(AccessDenied, match="blocked"):
        payout.change_payout_account(world.store, admin, **NEW_ACCOUNT, now=now)


def test_masking_keeps_only_the_last_four_digits():
    assert profile.mask_account("1230004567890") == "•••••••••7890"
    assert profile.mask_account(None) is None
