"""Company Profile as the System Administrator sees it (AppTest on a throw-away demo store):
description and phone, the logo previewed before saving, the payout account behind the password;
every refusal in words, the store unchanged, never a traceback."""

from __future__ import annotations

import io

import pytest
from PIL import Image
from sqlalchemy import select

from core import images
from core.accounts import audit, policy, sessions
from core.clock import utc_now
from core.company import profile as company
from core.demo.seed import DEMO_PASSWORD
from core.domain import UserStatus
from core.store.models import Company, User
from tests.app.screen import errors, run, successes, texts

PAGE = "pages/company_profile.py"


@pytest.fixture
def admin_page(app_as):
    app = app_as("admin", page=PAGE)
    assert [t.value for t in app.at.title] == ["Company Profile"]
    return app


def company_row(app) -> tuple:
    with app.store.reading() as session:
        c = session.scalar(select(Company).where(Company.company_code == "DEMO01"))
        return (
            c.description,
            c.contact_phone,
            c.logo,
            c.logo_mime,
            c.payout_bank_name,
            c.payout_account_number,
            c.payout_account_holder,
            c.updated_at,
        )


def png(size=(800, 300)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (10, 80, 160)).save(out, format="PNG")
    return out.getvalue()


def click(at, label: str) -> None:
    next(b for b in at.button if b.label == label).click()


def test_the_page_shows_the_profile_with_the_account_number_masked(admin_page):
    at = admin_page.at
    assert "PT Sumber Pangan Nusantara" in texts(at) and "Contact phone for buyers: +62 21 5091 4000" in texts(at)
    assert "Payouts go to Bank Mandiri account •••••••••7890 (PT Sumber Pangan Nusantara)." in texts(at)
    assert "1230004567890" not in texts(at)
    assert "No logo yet." in texts(at)


# --- Description and phone ---------------------------------------------------------------------


def test_saving_the_description_and_phone_says_what_buyers_now_see(admin_page):
    at = admin_page.at
    at.text_area(key="profile_description").input("Grosir sembako untuk toko dan warung.")
    at.text_input(key="profile_phone").input("0812-3456-7890")
    click(at, "Save profile")
    at = run(admin_page)
    assert successes(at) == ["The profile is saved. Buyers now see the contact phone +62 812 3456 7890."]
    assert company_row(admin_page)[:2] == ("Grosir sembako untuk toko dan warung.", "+62 812 3456 7890")


def test_a_bad_phone_is_refused_with_examples_and_nothing_is_saved(admin_page):
    before = company_row(admin_page)
    at = admin_page.at
    at.text_area(key="profile_description").input("Changed, but not saved")
    at.text_input(key="profile_phone").input("555-1234")
    click(at, "Save profile")
    at = run(admin_page)
    assert errors(at) == [
        "'555-1234' is not an Indonesian phone number; write it like +62 21 5091 4000, 021-5091-4000 or 0812 3456 7890."
    ]
    assert company_row(admin_page) == before


# --- Logo --------------------------------------------------------------------------------------


def test_an_uploaded_logo_is_previewed_then_saved(admin_page):
    at = admin_page.at
    at.file_uploader(key="logo_upload_0").upload("logo.png", png(), "image/png")
    at = run(admin_page)
    assert errors(at) == []
    [preview] = at.get("image")
    assert preview.captions == ["Preview, as it will be stored: 512×192 pixels. Not saved yet."]
    assert company_row(admin_page)[2] is None  # previewing stores nothing
    click(at, "Save this logo")
    at = run(admin_page)
    assert successes(at) == ["The new logo is saved."]
    logo, mime = company_row(admin_page)[2:4]
    assert mime == "image/jpeg" and Image.open(io.BytesIO(logo)).size == (512, 192)
    assert [img.captions for img in at.get("image")] == [["Current logo"]]  # the uploader is empty again


def test_a_file_that_is_not_an_image_but_named_png_is_refused_and_nothing_is_offered_to_save(admin_page):
    before = company_row(admin_page)
    at = admin_page.at
    at.file_uploader(key="logo_upload_0").upload("logo.png", b"MZ\x90\x00 an executable, renamed", "image/png")
    at = run(admin_page)
    assert errors(at) == ["The logo 'logo.png' is not a readable PNG, JPEG or WebP image (whatever its name says)."]
    assert not any(b.label == "Save this logo" for b in at.button)
    assert company_row(admin_page) == before


def test_a_saved_logo_is_removed_only_once_the_confirmation_is_ticked(admin_page):
    at = admin_page.at
    at.file_uploader(key="logo_upload_0").upload("logo.webp", png((64, 64)), "image/webp")
    run(admin_page)
    click(at, "Save this logo")
    at = run(admin_page)
    assert at.checkbox(key="remove_logo_sure").label == company.REMOVING_LOGO
    click(at, "Remove the logo")
    at = run(admin_page)
    assert [w.value for w in at.warning] == ["Tick the box above to confirm removing the logo; nothing has changed."]
    assert company_row(admin_page)[2] is not None
    at.checkbox(key="remove_logo_sure").check()
    click(at, "Remove the logo")
    at = run(admin_page)
    assert successes(at) == ["The logo is removed."] and company_row(admin_page)[2] is None


def test_the_logo_uploader_states_the_limits_core_checks(admin_page):
    uploader = admin_page.at.file_uploader(key="logo_upload_0")
    assert uploader.label == "New logo: PNG, JPEG or WebP, up to 2 MB"
    assert uploader.help == images.upload_hint(images.LOGO)
    assert uploader.proto.max_upload_size_mb == 2 and uploader.allowed_type == [".png", ".jpg", ".jpeg", ".webp"]


# --- Payout account ----------------------------------------------------------------------------


def fill_payout(at, number="1370 0098 76543", holder="PT Sumber Pangan Nusantara", password=DEMO_PASSWORD):
    at.text_input(key="payout_bank").input("Bank Mandiri")
    at.text_input(key="payout_number").input(number)
    at.text_input(key="payout_holder").input(holder)
    at.text_input(key="payout_password").input(password)
    click(at, "Change payout account")


def test_changing_the_payout_account_with_the_password_says_where_payouts_go(admin_page):
    fill_payout(admin_page.at)
    at = run(admin_page)
    assert successes(at) == [
        "The payout account is changed: payouts from now on go to Bank Mandiri account "
        "•••••••••6543 (PT Sumber Pangan Nusantara)."
    ]
    assert company_row(admin_page)[5] == "1370009876543"
    with admin_page.store.reading() as session:
        [entry] = audit.entries(session, action_prefix="company.payout_account_changed")
    assert (entry.details["old_account"], entry.details["new_account"]) == ("•••••••••7890", "•••••••••6543")


def test_a_wrong_password_changes_nothing_and_says_so(admin_page):
    before = company_row(admin_page)
    fill_payout(admin_page.at, password="not-my-password-1")
    at = run(admin_page)
    assert errors(at) == ["Your password is not correct; the payout account was not changed."]
    assert company_row(admin_page) == before


@pytest.mark.parametrize(
    "number, holder, message",
    [
        ("1370-ABC-76543", "PT Sumber Pangan Nusantara", "The account number may contain digits only."),
        ("123456789", "PT Sumber Pangan Nusantara", "The account number must have 10 to 16 digits; 9 entered."),
        (
            "1370009876543",
            "PT <Maju>",
            "The account holder's name may contain letters, digits, spaces and . , ' - & ( ) / only.",
        ),
    ],
    ids=["letters", "too-short", "holder-digits"],
)
def test_a_bad_account_is_refused_in_words(admin_page, number, holder, message):
    before = company_row(admin_page)
    fill_payout(admin_page.at, number=number, holder=holder)
    at = run(admin_page)
    assert errors(at) == [message] and company_row(admin_page) == before


def test_the_fifth_wrong_password_blocks_the_user_and_ends_the_session(admin_page):
    for _ in range(policy.LOCKOUT_THRESHOLD):
        fill_payout(admin_page.at, password="not-my-password-1")
        at = run(admin_page)
    assert [t.value for t in at.title] == ["Kopra Partnership"]  # back at the login
    assert [w.value for w in at.warning] == [policy.BLOCKED_MESSAGE]
    with admin_page.store.reading() as session:
        user = session.scalar(select(User).where(User.user_code == "admin", User.company_id == 1))
        assert user.status == UserStatus.BLOCKED
    assert company_row(admin_page)[5] == "1230004567890"
    assert sessions.actor_for_session(admin_page.store, admin_page.token, utc_now()) is None
