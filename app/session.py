"""The browser's side of a login: the session token in Streamlit's session state, the HttpOnly
cookie, who may see which page, and `require_actor`, which every page calls first.

The token is opaque (core.accounts makes it and keeps only its hash); everything about the user
is reloaded from the store on every rerun. The cookie only lets a new browser session (a reload,
a second tab) find its login again. The server sets it (app/server.py): after a login this page
draws a small script (/session/cookie.js) that hands the server a one-time ticket, and the server
answers with an HttpOnly, SameSite=Strict cookie holding a token of its own; at logout the same
script asks the server to end the cookie's session and clear it. The script never answers the page,
so it never reruns it: a notice or a half-typed form stays as it is.
"""

from __future__ import annotations

import os
import time
from contextvars import ContextVar
from dataclasses import dataclass
from pathlib import Path

import streamlit as st

from app.bootstrap import get_settings, get_store
from app.ui.plain import say
from core.accounts import passwords, policy, sessions
from core.accounts.sessions import SessionCheck
from core.acting import Actor
from core.clock import utc_now
from core.domain import Role
from core.errors import AccessDenied, DomainError
from core.i18n import N_, _, gettext
from core.logs import REQUEST_ID

SESSION_KEY = "session_token"  # other code (tests, pages) may read it; nothing else is stable
#: The cookie's names, as app/server.py sets them: with the __Host- prefix over HTTPS.
COOKIE_NAMES = ("__Host-kopra_session", "kopra_session")
COOKIE_NAME = COOKIE_NAMES[-1]
#: For how long after a login or a logout the page keeps the script that talks to the server.
COOKIE_SCRIPT_SECONDS = 30
_COOKIE_SEEN = "_kopra_cookie_seen"
_COOKIE_OP = "_kopra_cookie_op"
_NOTICES = "_kopra_notices"


@dataclass(frozen=True)
class PageSpec:
    file: str  # under app/pages/
    title: str  # in English, the catalogue's msgid: shown through gettext
    icon: str


#: Each role's menu, in order: exactly the FAQ's menus. A page missing here for a role is not
#: registered in that role's navigation, so its URL does not exist for them.
ROLE_PAGES: dict[Role, tuple[PageSpec, ...]] = {
    Role.SYSTEM_ADMINISTRATOR: (
        PageSpec("warehouse_management.py", N_("Warehouse Management"), ":material/warehouse:"),
        PageSpec("company_profile.py", N_("Company Profile"), ":material/business:"),
    ),
    Role.PRODUCT_MANAGER: (
        PageSpec("dashboard.py", N_("Dashboard"), ":material/dashboard:"),
        PageSpec("product_management.py", N_("Product Management"), ":material/inventory_2:"),
        PageSpec("sales_management.py", N_("Sales Management"), ":material/receipt_long:"),
        PageSpec("transaction_history.py", N_("Transaction History"), ":material/history:"),
        PageSpec("settings.py", N_("Settings"), ":material/settings:"),
    ),
}
#: Every logged-in user's notifications, whatever their role. Outside the menus above (they are the
#: FAQ's): reached from the bell that app/main.py draws in the sidebar of every page.
NOTIFICATIONS_PAGE = PageSpec("notifications.py", N_("Notifications"), ":material/notifications:")
LOGIN_PAGE = PageSpec("login.py", N_("Log in"), ":material/login:")
CHANGE_PASSWORD_PAGE = PageSpec("change_password.py", N_("Change your password"), ":material/password:")


# --- Notices that survive a rerun --------------------------------------------------------------


def notify(kind: str, text: str) -> None:
    """Show `text` (kind: success, info, warning, error) on the next run, e.g. after st.rerun()."""
    st.session_state.setdefault(_NOTICES, []).append((kind, text))


def show_notices() -> None:
    for kind, text in st.session_state.pop(_NOTICES, []):
        say(kind, text)  # a notice often quotes what someone typed: shown as plain text


# --- The cookie --------------------------------------------------------------------------------


def _queue_cookie(ticket: str | None) -> None:
    """Ask the server to set the cookie for `ticket`, or (None) to end the cookie's session and clear it."""
    st.session_state[_COOKIE_OP] = (ticket, time.monotonic() + COOKIE_SCRIPT_SECONDS)


def sync_cookie() -> None:
    """Draw, for a little while after a login or a logout, the script that has the server set or
    clear the cookie. main.py calls this on every run; the element is the same on every run, so the
    browser runs the script once."""
    draw_cookie_script(_COOKIE_OP, "ticket")  # a ticket is URL-safe base64: nothing to escape


def draw_cookie_script(pending: str, attribute: str) -> None:
    """Draw /session/cookie.js with `data-<attribute>` set to the value st.session_state[pending] holds
    (value, until), until its time is up; a value of None draws it bare (the logout)."""
    queued = st.session_state.get(pending)
    if not queued:
        return
    value, until = queued
    if time.monotonic() > until:
        del st.session_state[pending]
        return
    data = f' data-{attribute}="{value}"' if value else ""
    st.html(f'<script src="/session/cookie.js"{data}></script>', unsafe_allow_javascript=True)


def _cookie_token() -> str | None:
    try:
        cookies = st.context.cookies
    except Exception:  # no browser request behind this run (e.g. a bare script run)
        return None
    for name in COOKIE_NAMES:
        value = cookies.get(name)
        if isinstance(value, str) and value:
            return value
    return None


def client_address() -> str | None:
    """The browser's address as the server saw it (behind a proxy on this machine, the one it
    forwarded); None on this machine itself."""
    try:
        address = st.context.ip_address
    except Exception:  # no browser request behind this run
        return None
    return address if isinstance(address, str) and address else None


# --- Resolving the session ---------------------------------------------------------------------


def adopt(token: str) -> None:
    """This browser now holds `token` (after a login or a password change); the cookie follows."""
    st.session_state[SESSION_KEY] = token
    ticket = sessions.issue_cookie_ticket(get_store(), token, utc_now())
    if ticket:
        _queue_cookie(ticket)


def _forget(message: str | None) -> None:
    st.session_state.pop(SESSION_KEY, None)
    if message:
        notify("warning", message)
    _queue_cookie(None)


def resolve() -> SessionCheck:
    """Who is logged in on this browser session, reloaded from the store once per script run (main.py
    and the page it runs ask in the same run: the second gets the first's answer). Restores the login
    from the cookie in a new browser session, and forgets a session the server has ended."""
    run = REQUEST_ID.get()
    token = st.session_state.get(SESSION_KEY)
    checked = _CHECKED.get()
    if run is not None and checked is not None and checked[0] == run and checked[1] == token:
        return checked[2]
    check = _resolve(token)
    _CHECKED.set((run, st.session_state.get(SESSION_KEY), check))
    return check


#: This script run's answer of `resolve`: (run id, the token it was for, the check).
_CHECKED: ContextVar[tuple[str | None, str | None, SessionCheck] | None] = ContextVar("kopra_checked", default=None)


def _resolve(token: str | None) -> SessionCheck:
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
    notify("success", gettext("You are logged out."))


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
    say(kind, text)
    st.stop()


def _logged_in() -> SessionCheck:
    ensure_main_navigation()
    check = resolve()
    if check.actor is None:
        _stop_with("warning", check.ended_message or gettext("Please log in to use Kopra Partnership."))
    return check


def _role_names(roles: tuple[Role, ...]) -> str:
    """ "Product Manager" or "System Administrator or Product Manager", in the reader's language."""
    names = [gettext(role.label) for role in roles]
    return names[0] if len(names) == 1 else _("{first} or {second}", first=names[0], second=names[1]).render()


def require_login() -> Actor:
    """The logged-in user, even one who must first change their password (for that page only)."""
    return _logged_in().actor


def require_actor(*roles: Role) -> Actor:
    """Every page's first line: the acting user, reloaded from the store, if their role may see
    this page. Otherwise shows why not and stops the page."""
    check = _logged_in()
    if check.must_change_password:
        _stop_with("warning", gettext("Please set a new password before you continue."))
    if roles and check.actor.role not in roles:
        told = _(
            "This page is for a {allowed}; you are logged in as {role}.",
            allowed=_role_names(roles),
            role=check.actor.role.label,
        )
        _stop_with("error", told.render())
    return check.actor


def password_change_form(actor: Actor, *, key: str, after_change: str = "stay") -> None:
    """The change-own-password form (Settings, the forced change after login, the System
    Administrator's sidebar). after_change="rerun" moves on to the role's pages."""
    with st.form(key, clear_on_submit=True):
        current = st.text_input(
            gettext("Current password"), type="password", max_chars=policy.PASSWORD_MAX_LENGTH, key=f"{key}_current"
        )
        new = st.text_input(
            gettext("New password"),
            type="password",
            max_chars=policy.PASSWORD_MAX_LENGTH,
            help=policy.PASSWORD_RULES.render(),
            key=f"{key}_new",
        )
        again = st.text_input(
            gettext("New password again"), type="password", max_chars=policy.PASSWORD_MAX_LENGTH, key=f"{key}_again"
        )
        st.caption(policy.PASSWORD_RULES.render())
        submitted = st.form_submit_button(gettext("Change password"), type="primary")
    if not submitted:
        return
    try:
        changed = passwords.change_password(get_store(), actor, current, new, again, utc_now(), get_settings())
    except AccessDenied as exc:  # e.g. the fifth wrong current password blocked the user
        _forget(None)
        notify("error", exc.message)
        st.rerun()
    except DomainError as exc:
        say("error", exc.message)
        return
    adopt(changed.token)
    if after_change == "rerun":
        notify("success", gettext("Your password is changed."))
        st.rerun()
    st.success(gettext("Your password is changed. Your other sessions, if any, have been logged out."))
