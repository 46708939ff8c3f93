"""Roles and navigation: each role reaches exactly its pages; another role's page is neither
registered (switch_page fails, as a deep link finds nothing) nor willing to show itself when its
script runs anyway; the session is re-checked on every rerun."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import update
from streamlit.testing.v1 import AppTest

from app.session import CHANGE_PASSWORD_PAGE, LOGIN_PAGE, ROLE_PAGES
from core.accounts import bankops, policy, sessions
from core.clock import utc_now
from core.config import PROJECT_ROOT
from core.demo.seed import DEMO_PASSWORD
from core.domain import Role
from core.store.models import LoginSession
from tests.app.conftest import ORIGINAL_PAGES_MANAGER_INIT, new_app_test

#: The FAQ's menus, written out again so a change to ROLE_PAGES cannot pass unnoticed.
EXPECTED_MENUS = {
    "admin": ["Warehouse Management", "Company Profile"],
    "pm": ["Dashboard", "Product Management", "Sales Management", "Transaction History", "Settings"],
}
ALL_PAGE_FILES = sorted(
    {spec.file for specs in ROLE_PAGES.values() for spec in specs} | {LOGIN_PAGE.file, CHANGE_PASSWORD_PAGE.file}
)


def reachable_pages(token: str | None) -> list[str]:
    """The titles of the pages a browser session holding `token` can switch to (each try from a
    fresh browser session, so one refusal cannot hide the next)."""
    titles = []
    for file in ALL_PAGE_FILES:
        at = new_app_test()
        if token:
            at.session_state["session_token"] = token
        at.run()
        try:
            at.switch_page(f"pages/{file}")
        except ValueError:  # not registered for this user: unreachable, as by URL
            continue
        at.run()
        assert not at.exception, at.exception
        titles.append(at.title[0].value)
    return titles


@pytest.mark.parametrize("user_code", ["admin", "pm"])
def test_each_role_reaches_exactly_its_pages(app_as, user_code):
    app = app_as(user_code)
    assert sorted(reachable_pages(app.token)) == sorted(EXPECTED_MENUS[user_code])


@pytest.mark.parametrize("user_code, first_page", [("admin", "Warehouse Management"), ("pm", "Dashboard")])
def test_after_login_the_first_menu_page_opens(app_as, user_code, first_page):
    app = app_as(user_code)
    assert [title.value for title in app.at.title] == [first_page]


def test_the_role_pages_are_the_faqs_menus():
    assert {role: [spec.title for spec in specs] for role, specs in ROLE_PAGES.items()} == {
        Role.SYSTEM_ADMINISTRATOR: EXPECTED_MENUS["admin"],
        Role.PRODUCT_MANAGER: EXPECTED_MENUS["pm"],
    }


def test_logged_out_only_the_login_page_exists(demo_store):
    assert reachable_pages(None) == ["Kopra Partnership"]


@pytest.mark.parametrize("user_code, other_role", [("admin", Role.PRODUCT_MANAGER), ("pm", Role.SYSTEM_ADMINISTRATOR)])
def test_switching_to_another_roles_page_fails(app_as, user_code, other_role):
    app = app_as(user_code)
    for spec in ROLE_PAGES[other_role]:
        with pytest.raises(ValueError, match="Could not find a navigation page"):
            app.at.switch_page(f"pages/{spec.file}")


def _run_page_directly(file: str, token: str | None) -> AppTest:
    at = AppTest.from_file(str(PROJECT_ROOT / "app" / "pages" / file), default_timeout=30)
    if token:
        at.session_state["session_token"] = token
    return at.run()


@pytest.mark.parametrize("user_code, other_role", [("admin", Role.PRODUCT_MANAGER), ("pm", Role.SYSTEM_ADMINISTRATOR)])
def test_each_page_checks_the_role_itself_when_it_loads(app_as, user_code, other_role):
    token = app_as(user_code, run=False).token
    for spec in ROLE_PAGES[other_role]:
        at = _run_page_directly(spec.file, token)
        assert not at.exception
        assert not at.title, f"{spec.title} showed itself to {user_code}"
        assert f"This page is for a {other_role.label}" in at.error[0].value


@pytest.mark.parametrize("file", [spec.file for specs in ROLE_PAGES.values() for spec in specs])
def test_no_page_shows_itself_to_someone_not_logged_in(demo_store, file):
    at = _run_page_directly(file, None)
    assert not at.exception and not at.title
    assert at.warning[0].value == "Please log in to use Kopra Partnership."


def test_the_sidebar_says_who_is_logged_in_and_logs_out(app_as):
    app = app_as("pm")
    assert "Putri Maharani" in app.at.sidebar.markdown[0].value
    assert "Product Manager · DEMO01" in app.at.sidebar.markdown[0].value
    app.at.sidebar.button(key="logout").click().run()
    assert [title.value for title in app.at.title] == ["Kopra Partnership"]
    assert "You are logged out." in [s.value for s in app.at.success]
    assert "session_token" not in app.at.session_state
    assert sessions.actor_for_session(app.store, app.token, utc_now()) is None


def test_a_user_blocked_by_the_bank_is_out_at_the_next_click(app_as):
    app = app_as("pm")
    bankops.block_user(app.store, operator="rm.sari", company_code="DEMO01", user_code="pm", now=utc_now())
    app.at.run()
    assert [title.value for title in app.at.title] == ["Kopra Partnership"]
    assert policy.BLOCKED_MESSAGE in [w.value for w in app.at.warning]


def test_a_company_taken_off_the_whitelist_is_out_at_the_next_click(app_as):
    app = app_as("admin")
    bankops.set_whitelisted(app.store, operator="rm.sari", company_code="DEMO01", whitelisted=False, now=utc_now())
    app.at.run()
    assert [title.value for title in app.at.title] == ["Kopra Partnership"]
    assert policy.NOT_WHITELISTED_MESSAGE in [w.value for w in app.at.warning]


def test_an_idle_session_ends(app_as):
    app = app_as("pm")
    with app.store.transaction() as session:
        session.execute(update(LoginSession).values(last_seen_at=utc_now() - timedelta(minutes=31)))
    app.at.run()
    assert [title.value for title in app.at.title] == ["Kopra Partnership"]
    assert any("30 minutes without activity" in w.value for w in app.at.warning)


def test_a_user_who_must_change_their_password_sees_only_that_page(app_as, demo_store):
    demo_store.add_user("DEMO01", "fresh", Role.PRODUCT_MANAGER, password=DEMO_PASSWORD, must_change_password=True)
    app = app_as("fresh")
    assert [title.value for title in app.at.title] == ["Change your password"]
    assert reachable_pages(app.token) == ["Change your password"]
    # …and a page of the role refuses as well, should its script run.
    at = _run_page_directly("dashboard.py", app.token)
    assert not at.title and at.warning[0].value == "Please set a new password before you continue."


@pytest.mark.parametrize(
    "user_code, deep_link, lands_on",
    [
        ("pm", "company_profile", "Dashboard"),
        ("admin", "dashboard", "Warehouse Management"),
        ("admin", "company_profile", "Company Profile"),
        (None, "settings", "Kopra Partnership"),
    ],
)
def test_a_deep_link_before_main_has_ever_run_still_goes_through_the_role_navigation(
    app_as, demo_store, monkeypatch, user_code, deep_link, lands_on
):
    """On a freshly started server Streamlit's legacy pages-folder mode would run a page file named
    in the URL directly, under a menu of every file in app/pages/ (AppTest starts every run in that
    mode; the autouse fixture normally switches it off). The pages send such a run through main.py."""
    from streamlit.runtime.pages_manager import PagesManager
    from streamlit.util import calc_hash

    monkeypatch.setattr(PagesManager, "__init__", ORIGINAL_PAGES_MANAGER_INIT)
    at = app_as(user_code, run=False).at if user_code else new_app_test()
    at._page_hash = calc_hash(deep_link)  # what the URL /<deep_link> asks for; AppTest has no public way
    at.run()
    assert not at.exception and not at.error
    assert titles(at) == [lands_on]


def titles(at) -> list[str]:
    return [title.value for title in at.title]
