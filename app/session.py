"""The browser's side of a login: the session token in Streamlit's session state and in a cookie,
who may see which page, and `require_actor`, which every page calls first.

The token is opaque (core.accounts makes it and keeps only its hash); everything about the user
is reloaded from the store on every rerun. The cookie only lets a new browser session (a reload,
a second tab) find its login again. It is set and cleared through streamlit-authenticator's
cookie plumbing (its CookieController and the CookieManager component under it), which runs in
the browser: so the cookie cannot be HttpOnly, and it appears a moment after the page renders.
What it holds is worthless once the server has ended the session.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import streamlit as st

from app.bootstrap import get_settings, get_store
from core.accounts import passwords, policy, sessions
from core.accounts.sessions import SessionCheck
from core.acting import Actor
from core.clock import utc_now
from core.domain import Role
from core.errors import AccessDenied, DomainError

SESSION_KEY = "session_token"  # other code (tests, pages) may read it; nothing else is stable
COOKIE_NAME = "kopra_session"
_COOKIE_SEEN = "_kopra_cookie_seen"
_COOKIE_OP = "_kopra_cookie_op"
_COOKIE_OPS = "_kopra_cookie_ops"
_NOTICES = "_kopra_notices"


@dataclass(frozen=True)
class PageSpec:
    file: str  # under app/pages/
    title: str
    icon: str


#: Each role's menu, in order: exactly the FAQ's menus. A page missing here for a role is not
#: registered in that role's navigation, so its URL does not exist for them.
ROLE_PAGES: dict[Role, tuple[PageSpec, ...]] = {
    Role.SYSTEM_ADMINISTRATOR: (
        PageSpec("warehouse_management.py", "Warehouse Management", ":material/warehouse:"),
        PageSpec("company_profile.py", "Company Profile", ":material/business:"),
    ),
    Role.PRODUCT_MANAGER: (
        PageSpec("dashboard.py", "Dashboard", ":material/dashboard:"),
        PageSpec("product_management.py", "Product Management", ":material/inventory_2:"),
        PageSpec("sales_management.py", "Sales Management", ":material/receipt_long:"),
        PageSpec("transaction_history.py", "Transaction History", ":material/history:"),
        PageSpec("settings.py", "Settings", ":material/settings:"),
    ),
}
LOGIN_PAGE = PageSpec("login.py", "Log in", ":material/login:")
CHANGE_PASSWORD_PAGE = PageSpec("change_password.py", "Change your password", ":material/password:")


# --- Notices that survive a rerun --------------------------------------------------------------


def notify(kind: str, text: str) -> None:
    """Show `text` (kind: success, info, warning, error) on the next run, e.g. after st.rerun()."""
    st.session_state.setdefault(_NOTICES, []).append((kind, text))


def show_notices() -> None:
    for kind, text in st.session_state.pop(_NOTICES, []):
        getattr(st, kind)(text)


# --- The cookie --------------------------------------------------------------------------------


def _queue_cookie(kind: str, token: str | None = None, expires_at: datetime | None = None) -> None:
    # Each operation gets its own component key: a fresh iframe runs it and reports back once.
    number = st.session_state.get(_COOKIE_OPS, 0) + 1
    st.session_state[_COOKIE_OPS] = number
    st.session_state[_COOKIE_OP] = (kind, token, expires_at, f"kopra_cookie_{kind}_{number}")


def sync_cookie() -> None:
    """Carry out a pending cookie change in the browser. main.py calls this on every run; it
    draws nothing once the browser has confirmed the change."""
    pending = st.session_state.get(_COOKIE_OP)
    if not pending:
        return
    kind, token, expires_at, key = pending
    if st.session_state.get(key):  # the component answered: the browser has done it
        del st.session_state[_COOKIE_OP]
        return
    # Imported here: the library pulls in a good deal, and only these runs need it.
    from streamlit_authenticator.controllers.cookie_controller import CookieController

    # The key would sign the library's JWT; we never let it write one (our cookie is opaque).
    cookies = CookieController(cookie_name=COOKIE_NAME, cookie_key=None, cookie_expiry_days=1)
    if kind == "set":
        cookies.cookie_model.cookie_manager.set(COOKIE_NAME, token, key=key, expires_at=expires_at, same_site="strict")
    else:
        try:
            cookies.cookie_model.cookie_manager.delete(COOKIE_NAME, key=key)
        except KeyError:  # the component's own copy of the cookies did not have it yet
            pass


def _cookie_token() -> str | None:
    try:
        value = st.context.cookies.get(COOKIE_NAME)
    except Exception:  # no browser request behind this run (e.g. a bare script run)
        return None
    return value if isinstance(value, str) and value else None


# --- Resolving the session ---------------------------------------------------------------------


def adopt(token: str, expires_at: datetime | None) -> None:
    """This browser now holds `token` (after a login or a password change)."""
    st.session_state[SESSION_KEY] = token
    _queue_cookie("set", token, expires_at)


def _forget(message: str | None) -> None:
    st.session_state.pop(SESSION_KEY, None)
    if message:
        notify("warning", message)
    _queue_cookie("delete")


def resolve() -> SessionCheck:
    """Who is logged in on this browser session, reloaded from the store. Restores the login from
    the cookie in a new browser session, and forgets a session the server has ended."""
    token = st.session_state.get(SESSION_KEY)
    from_cookie = False
    if not token:
        cookie = _cookie_token()
        # Each cookie value is tried once per browser session, not on every rerun.
        if cookie and cookie != st.session_state.get(_COOKIE_SEEN):
            st.session_state[_COOKIE_SEEN] = cookie
            token, from_cookie = cookie, True
    if not token:
        return SessionCheck()
    check = sessions.check_session(get_store(), token, utc_now(), get_settings())
    if check.actor is None:
        _forget(check.ended_message)
    elif from_cookie:
        st.session_state[SESSION_KEY] = token
    return check


def logout() -> None:
    sessions.logout(get_store(), st.session_state.get(SESSION_KEY), utc_now())
    _forget(None)
    notify("success", "You are logged out.")


# --- For pages ---------------------------------------------------------------------------------

MAIN_SCRIPT = os.path.realpath(Path(__file__).resolve().parent / "main.py")


def ensure_main_navigation() -> None:
    """Make sure this page runs inside main.py's navigation; if not, go through main.py.

    Streamlit takes app/pages/ for a legacy pages folder: until main.py's st.navigation has run
    once in the server process, a URL naming a page file runs that file directly, under an
    automatic menu of every file in the folder. That run is recognisable by main.py itself being
    a registered page (our navigation never registers it); we then leave that mode for the whole
    process and restart the run through main.py, which shows only the user's pages.
    """
    from streamlit.runtime.pages_manager import PagesManager
    from streamlit.runtime.scriptrunner import get_script_run_ctx

    ctx = get_script_run_ctx()
    if ctx is None:
        return
    registered = ctx.pages_manager.get_pages()
    if any(os.path.realpath(str(info.get("script_path", ""))) == MAIN_SCRIPT for info in registered.values()):
        PagesManager.uses_pages_directory = False
        # Ask for the same page again: main.py's navigation opens it if the user's role has it,
        # and the role's first page otherwise.
        this_page = registered.get(ctx.pages_manager.current_page_script_hash, {}).get("script_path")
        st.switch_page(this_page or MAIN_SCRIPT)


def _stop_with(kind: str, text: str):
    getattr(st, kind)(text)
    st.stop()


def _logged_in() -> SessionCheck:
    ensure_main_navigation()
    check = resolve()
    if check.actor is None:
        _stop_with("warning", check.ended_message or "Please log in to use Kopra Partnership.")
    return check


def require_login() -> Actor:
    """The logged-in user, even one who must first change their password (for that page only)."""
    return _logged_in().actor


def require_actor(*roles: Role) -> Actor:
    """Every page's first line: the acting user, reloaded from the store, if their role may see
    this page. Otherwise shows why not and stops the page."""
    check = _logged_in()
    if check.must_change_password:
        _stop_with("warning", "Please set a new password before you continue.")
    if roles and check.actor.role not in roles:
        allowed = " or ".join(role.label for role in roles)
        _stop_with("error", f"This page is for a {allowed}; you are logged in as {check.actor.role.label}.")
    return check.actor


def password_change_form(actor: Actor, *, key: str, after_change: str = "stay") -> None:
    """The change-own-password form (Settings, the forced change after login, the System
    Administrator's sidebar). after_change="rerun" moves on to the role's pages."""
    with st.form(key, clear_on_submit=True):
        current = st.text_input(
            "Current password", type="password", max_chars=policy.PASSWORD_MAX_LENGTH, key=f"{key}_current"
        )
        new = st.text_input(
            "New password",
            type="password",
            max_chars=policy.PASSWORD_MAX_LENGTH,
            help=policy.PASSWORD_RULES_TEXT,
            key=f"{key}_new",
        )
        again = st.text_input(
            "New password again", type="password", max_chars=policy.PASSWORD_MAX_LENGTH, key=f"{key}_again"
        )
        st.caption(policy.PASSWORD_RULES_TEXT)
        submitted = st.form_submit_button("Change password", type="primary")
    if not submitted:
        return
    try:
        changed = passwords.change_password(get_store(), actor, current, new, again, utc_now(), get_settings())
    except AccessDenied as exc:  # e.g. the fifth wrong current password blocked the user
        _forget(None)
        notify("error", exc.message)
        st.rerun()
    except DomainError as exc:
        st.error(exc.message)
        return
    adopt(changed.token, changed.expires_at)
    if after_change == "rerun":
        notify("success", "Your password is changed.")
        st.rerun()
    st.success("Your password is changed. Your other sessions, if any, have been logged out.")
