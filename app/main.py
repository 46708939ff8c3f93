"""Streamlit entry point: `streamlit run app/main.py`. Builds the navigation for who is logged in.

Logged out: the login page only. Logged in with a password to change (first login with a
one-time password, or an expired one): the change-password page only. Otherwise exactly the
role's menu (app.session.ROLE_PAGES); another role's pages are not registered, so their URLs do
not exist for this user, and each page checks the role again when it loads.
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

from app import session  # noqa: E402
from core.domain import Role  # noqa: E402

PAGES_DIR = Path(__file__).resolve().parent / "pages"


def _page(spec: session.PageSpec, *, default: bool = False) -> st.Page:
    return st.Page(PAGES_DIR / spec.file, title=spec.title, icon=spec.icon, default=default)


def _account_sidebar(check) -> None:
    actor = check.actor
    with st.sidebar:
        st.markdown(f"**{actor.display_name or actor.user_code}**  \n{actor.role.label} · {actor.company_code}")
        if st.button("Log out", key="logout", icon=":material/logout:"):
            session.logout()
            st.rerun()
        # The System Administrator's menu has no Settings page: their password form lives here.
        if actor.role == Role.SYSTEM_ADMINISTRATOR and not check.must_change_password:
            with st.expander("Change my password"):
                session.password_change_form(actor, key="sidebar_password")


check = session.resolve()
if check.actor is None:
    pages = [_page(session.LOGIN_PAGE, default=True)]
elif check.must_change_password:
    pages = [_page(session.CHANGE_PASSWORD_PAGE, default=True)]
else:
    specs = session.ROLE_PAGES[check.actor.role]
    pages = [_page(spec, default=index == 0) for index, spec in enumerate(specs)]

navigation = st.navigation(pages)
if check.actor is not None:
    _account_sidebar(check)
# The cookie component is drawn only while a cookie change is pending, and its answer reruns the
# page: in a container drawn on every run, its coming and going never shifts the page's own
# elements, so a form being filled in at that moment keeps what was typed.
with st.container():
    session.sync_cookie()
session.show_notices()
navigation.run()
