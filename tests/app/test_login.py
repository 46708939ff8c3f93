"""Logging in through the UI (AppTest): the three-field form, every refusal, the forced password
change, and changing one's own password in Settings or (System Administrator) the sidebar."""

from __future__ import annotations

import pytest

from core.accounts import bankops, policy, sessions
from core.accounts.login import login as core_login
from core.clock import utc_now
from core.demo.seed import DEMO_PASSWORD
from core.domain import Role
from tests.app.conftest import new_app_test
from tests.app.screen import errors

NEW_PASSWORD = "Gudang-Cakung-2027"


def log_in(at, company: str, user: str, password: str):
    at.text_input(key="login_company").input(company)
    at.text_input(key="login_user").input(user)
    at.text_input(key="login_password").input(password)
    next(b for b in at.button if b.label == "Log in").click()
    return at.run()


def titles(at) -> list[str]:
    return [title.value for title in at.title]


def submit(at, form_key: str, current: str, new: str, again: str | None = None, *, sidebar: bool = False):
    where = at.sidebar if sidebar else at
    where.text_input(key=f"{form_key}_current").input(current)
    where.text_input(key=f"{form_key}_new").input(new)
    where.text_input(key=f"{form_key}_again").input(new if again is None else again)
    next(b for b in where.button if b.label == "Change password").click()
    return at.run()


def test_the_form_has_company_id_user_id_and_a_hidden_password(logged_out_app):
    at = logged_out_app
    assert [field.label for field in at.text_input] == ["Company ID", "User ID", "Password"]
    assert at.text_input(key="login_password").proto.type == at.text_input[2].proto.PASSWORD


@pytest.mark.parametrize("user_code, first_page", [("admin", "Warehouse Management"), ("pm", "Dashboard")])
def test_a_demo_user_logs_in_and_lands_on_their_first_page(logged_out_app, demo_store, user_code, first_page):
    at = log_in(logged_out_app, "DEMO01", user_code, DEMO_PASSWORD)
    assert not at.exception
    assert titles(at) == [first_page]
    token = at.session_state["session_token"]
    assert sessions.actor_for_session(demo_store.store, token, utc_now()).user_code == user_code


@pytest.mark.parametrize(
    "company, user, password",
    [
        ("NOPE99", "pm", DEMO_PASSWORD),
        ("DEMO01", "nobody", DEMO_PASSWORD),
        ("DEMO01", "pm", "Kopra-Demo-2025"),
    ],
    ids=["unknown-company", "unknown-user", "wrong-password"],
)
def test_unknown_company_unknown_user_and_wrong_password_read_the_same(logged_out_app, company, user, password):
    at = log_in(logged_out_app, company, user, password)
    assert errors(at) == [policy.INVALID_CREDENTIALS]
    assert titles(at) == ["Kopra Partnership"] and "session_token" not in at.session_state


def test_the_demo_blocked_user_is_told_to_contact_the_relationship_manager(logged_out_app):
    at = log_in(logged_out_app, "DEMO01", "blocked", DEMO_PASSWORD)
    assert errors(at) == [
        "Your user ID is blocked. Please contact your Relationship Manager or Mandiri Call 14000 to reactivate it."
    ]


def test_a_company_that_is_not_whitelisted_is_refused(logged_out_app):
    at = log_in(logged_out_app, "NOTWL02", "admin", DEMO_PASSWORD)
    assert errors(at) == [policy.NOT_WHITELISTED_MESSAGE]


def test_missing_fields_are_asked_for(logged_out_app):
    at = log_in(logged_out_app, "DEMO01", "", "")
    assert errors(at) == [policy.MISSING_FIELDS]


def test_five_wrong_passwords_then_the_blocked_message(logged_out_app, demo_store):
    demo_store.add_user("DEMO01", "tries", Role.PRODUCT_MANAGER)
    at = logged_out_app
    for _ in range(4):
        log_in(at, "DEMO01", "tries", "Wrong-Password-1")
        assert errors(at) == [policy.INVALID_CREDENTIALS]
    log_in(at, "DEMO01", "tries", "Wrong-Password-1")
    assert errors(at) == [policy.BLOCKED_MESSAGE]
    # A new browser session with the right password: still blocked (counted in the store).
    assert errors(log_in(new_app_test().run(), "DEMO01", "tries", DEMO_PASSWORD)) == [policy.BLOCKED_MESSAGE]


def test_a_first_login_with_a_one_time_password_goes_through_the_forced_change(logged_out_app, demo_store):
    otp = bankops.create_user(
        demo_store.store,
        operator="rm.sari",
        company_code="DEMO01",
        user_code="rina",
        display_name="Rina Wijaya",
        role=Role.SYSTEM_ADMINISTRATOR,
        now=utc_now(),
    )
    at = log_in(logged_out_app, "DEMO01", "rina", otp.password)
    assert titles(at) == ["Change your password"]
    first_token = at.session_state["session_token"]

    submit(at, "forced_password", otp.password, "short")
    assert errors(at) == ["The new password must be at least 10 characters long."]
    submit(at, "forced_password", otp.password, NEW_PASSWORD)
    assert titles(at) == ["Warehouse Management"]
    assert "Your password is changed." in [s.value for s in at.success]
    assert at.session_state["session_token"] != first_token
    assert sessions.actor_for_session(demo_store.store, first_token, utc_now()) is None
    assert core_login(demo_store.store, "DEMO01", "rina", NEW_PASSWORD, utc_now()).ok


def test_a_product_manager_changes_their_password_in_settings(app_as):
    app = app_as("pm", page="pages/settings.py")
    at = app.at
    assert titles(at) == ["Settings"]
    assert any("Warehouse operations" == h.value for h in at.subheader)
    submit(at, "settings_password", "not-my-password-1", NEW_PASSWORD)
    assert errors(at) == ["Your current password is not correct."]
    submit(at, "settings_password", DEMO_PASSWORD, NEW_PASSWORD, NEW_PASSWORD + "!")
    assert errors(at) == ["The two new passwords are not the same."]
    submit(at, "settings_password", DEMO_PASSWORD, NEW_PASSWORD)
    assert not errors(at) and any("Your password is changed" in s.value for s in at.success)
    assert titles(at) == ["Settings"]  # still logged in, on a fresh session
    assert sessions.actor_for_session(app.store, app.token, utc_now()) is None
    assert sessions.actor_for_session(app.store, at.session_state["session_token"], utc_now()).user_code == "pm"
    assert core_login(app.store, "DEMO01", "pm", NEW_PASSWORD, utc_now()).ok


def test_a_system_administrator_changes_their_password_from_the_sidebar(app_as):
    app = app_as("admin")
    submit(app.at, "sidebar_password", DEMO_PASSWORD, NEW_PASSWORD, sidebar=True)
    assert any("Your password is changed" in s.value for s in app.at.sidebar.success)
    assert core_login(app.store, "DEMO01", "admin", NEW_PASSWORD, utc_now()).ok


def test_the_fifth_wrong_current_password_logs_the_user_out_blocked(app_as):
    app = app_as("pm", page="pages/settings.py")
    for _ in range(5):
        submit(app.at, "settings_password", "not-my-password-1", NEW_PASSWORD)
    assert titles(app.at) == ["Kopra Partnership"]
    assert policy.BLOCKED_MESSAGE in errors(app.at)


def test_a_system_administrator_is_told_of_a_colleague_blocked_by_wrong_passwords(app_as, demo_store):
    for _ in range(5):
        core_login(demo_store.store, "DEMO01", "pm", "Not-The-Password-9", utc_now(), address="203.0.113.5")
    admin = app_as("admin")
    warnings = [w.value for w in admin.at.warning]
    assert len(warnings) == 1
    assert warnings[0].startswith("DEMO01/pm was blocked after 5 wrong passwords at ")
    assert "(from 203.0.113.5)" in warnings[0] and "tell your Relationship Manager" in warnings[0]
