"""Streamlit entry point (served by app/server.py). Builds the navigation for who is logged in.

Logged out: the login page only. Logged in with a password to change (first login with a
one-time password, or an expired one): the change-password page only. Otherwise exactly the
role's menu (app.session.ROLE_PAGES); another role's pages are not registered for this user, and
each page checks the role again when it loads. Every logged-in user also has the Notifications page
(app.session.NOTIFICATIONS_PAGE, outside the menus) and, in the sidebar of every page, the bell that
leads to it: its unread count, which refreshes by itself and is also in the browser tab's title.

Every other page's address still answers, never with Streamlit's "Page not found": logged out, a
link to /dashboard shows the login form and, once logged in, the Dashboard; a page outside the
user's menu moves them to their first page.
"""

from __future__ import annotations

import sys
from pathlib import Path

# `streamlit run` puts app/ on sys.path, not the project root that holds core/.
PROJECT_ROOT = str(Path(__file__).resolve().parent.parent)
if PROJECT_ROOT not in sys.path:
    sys.path.insert(0, PROJECT_ROOT)

import streamlit as st  # noqa: E402

st.set_page_config(page_title="Kopra Partnership", page_icon="🏬", layout="wide")

import secrets  # noqa: E402

from app import run_cost, session  # noqa: E402
from app.bootstrap import get_store  # noqa: E402
from app.ui import language  # noqa: E402
from app.ui.actions import attempt, quietly  # noqa: E402
from app.ui.formats import local_time  # noqa: E402
from app.ui.notifications import bell  # noqa: E402
from app.ui.plain import say, typed  # noqa: E402
from core.accounts.policy import LOCKOUT_THRESHOLD  # noqa: E402
from core.accounts.throttle import recent_lockouts  # noqa: E402
from core.clock import utc_now  # noqa: E402
from core.domain import Role  # noqa: E402
from core.i18n import _, gettext, using  # noqa: E402
from core.i18n import language as i18n_language  # noqa: E402
from core.logs import REQUEST_ID  # noqa: E402

REQUEST_ID.set(f"run-{secrets.token_hex(6)}")  # the log lines of this script run belong together

PAGES_DIR = Path(__file__).resolve().parent / "pages"


def _page(spec: session.PageSpec, *, default: bool = False, hidden: bool = False) -> st.Page:
    # The first page is served at "/"; its file's own name (e.g. "dashboard") is left to a stand-in
    # that leads to "/", since two pages may not share a name.
    extra = {"url_path": "home"} if default else {}
    if hidden:  # registered (its address works) but not in the menu
        extra["visibility"] = "hidden"
    return st.Page(PAGES_DIR / spec.file, title=gettext(spec.title), icon=spec.icon, default=default, **extra)


def _address(spec: session.PageSpec) -> str:
    return Path(spec.file).stem  # Streamlit's own url_path for a page file


#: Every page of the portal, whoever may see it.
ALL_PAGES = (
    *(spec for specs in session.ROLE_PAGES.values() for spec in specs),
    session.NOTIFICATIONS_PAGE,
    session.CHANGE_PASSWORD_PAGE,
)


def _stand_ins(shown: list[session.PageSpec], logged_in: bool) -> list[st.Page]:
    """Hidden pages at the addresses this user has no page for. Logged out, each shows the login form
    at the link's address; logged in, each leads to the first page (app/stand_in.py is never drawn).
    The first page itself is served at "/", so its own address (e.g. /dashboard) gets one too."""
    addresses = {_address(spec) for spec in shown[1:]}
    script = Path(__file__).resolve().parent / "stand_in.py" if logged_in else PAGES_DIR / shown[0].file
    return [
        st.Page(script, title=gettext(shown[0].title), url_path=_address(spec), visibility="hidden")
        for spec in ALL_PAGES
        if _address(spec) not in addresses
    ]


def _account_sidebar(check, page: st.Page) -> None:
    actor = check.actor
    with st.sidebar:
        name = typed(actor.display_name or actor.user_code)
        st.markdown(f"**{name}**  \n{gettext(actor.role.label)} · {typed(actor.company_code)}")
        if not check.must_change_password:
            bell(actor, session_expires_at=check.expires_at, page_title=page.title)
        language.switch(key="sidebar_language", actor=actor)
        if st.button(gettext("Log out"), key="logout", icon=":material/logout:"):
            session.logout()
            st.rerun()
        # The System Administrator's menu has no Settings page: their password form lives here.
        if actor.role == Role.SYSTEM_ADMINISTRATOR and not check.must_change_password:
            with st.expander(gettext("Change my password")):
                session.password_change_form(actor, key="sidebar_password")


def _lockouts_for_administrators(check) -> None:
    """A System Administrator learns of every user of the company blocked by wrong passwords lately."""
    if check.actor is None or check.must_change_password or check.actor.role != Role.SYSTEM_ADMINISTRATOR:
        return
    lockouts = attempt(lambda: recent_lockouts(get_store(), check.actor, utc_now()), show=quietly).value or []
    for lockout in lockouts:
        told = _(
            "{user} was blocked after {count} wrong passwords at {at} (from {address}). If that was not "
            "them, tell your Relationship Manager; if it was, the bank can unblock them.",
            user=lockout.user,
            count=LOCKOUT_THRESHOLD,
            at=local_time(lockout.at, lockout.time_zone),
            address=lockout.address or _("this machine"),
        )
        say("warning", told.render())


def _run() -> None:
    check = session.resolve()
    if check.actor is not None and language.adopt_user_choice(check.actor) != i18n_language():
        with using(language.current()):  # the user's stored choice, read once per login
            _pages(check)
    else:
        _pages(check)


def _pages(check) -> None:
    if check.actor is None:
        shown = [session.LOGIN_PAGE]
    elif check.must_change_password:
        shown = [session.CHANGE_PASSWORD_PAGE]
    else:
        shown = [*session.ROLE_PAGES[check.actor.role], session.NOTIFICATIONS_PAGE]
    pages = [
        _page(spec, default=index == 0, hidden=spec == session.NOTIFICATIONS_PAGE) for index, spec in enumerate(shown)
    ]
    stand_ins = _stand_ins(shown, logged_in=check.actor is not None)

    navigation = st.navigation(pages + stand_ins)
    run_cost.drawing(navigation.url_path or "home")
    if navigation in stand_ins and check.actor is not None:
        st.switch_page(pages[0])  # logged out, the login form stays at the link's address; otherwise move on
    if check.actor is not None:
        _account_sidebar(check, navigation)
    # The cookie script is drawn only for a little while after a login or a logout: in a container drawn
    # on every run, its coming and going never shifts the page's own elements.
    with st.container():
        session.sync_cookie()
        language.sync_cookie()
    session.show_notices()
    _lockouts_for_administrators(check)
    navigation.run()


with run_cost.measured(), using(language.current()):  # the whole run reads in this session's language
    _run()
