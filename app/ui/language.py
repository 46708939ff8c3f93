"""The language this browser session reads in, and the switch that changes it.

Where the choice comes from, first found wins: this session's own choice (the switch), the user's
choice kept in the store (read once per login), the browser's cookie (set when someone chose on this
browser, before or after login), the default (Bahasa Indonesia). main.py reads it at the top of every
run and renders the whole run in it (core.i18n.using), so core's refusals, the pages and the
documents a page makes all read in the same language.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import streamlit as st

from app.bootstrap import get_store
from app.session import draw_cookie_script
from core.accounts.language import choose_language, stored_language
from core.acting import Actor
from core.clock import utc_now
from core.errors import DomainError
from core.i18n import LANGUAGES, chosen, gettext, using
from core.i18n import language as i18n_language

#: st.session_state's key for this session's language (tests set it before a run).
SESSION_KEY = "language"
#: The cookie that remembers a browser's choice (set by app/server.py's /session/language).
COOKIE = "kopra_language"
_ADOPTED_FOR = "_kopra_language_user"
_CHOSEN_HERE = "_kopra_language_chosen_here"
_COOKIE_OP = "_kopra_language_cookie"
#: For how long after a choice the page keeps the script that has the server set the cookie.
COOKIE_SCRIPT_SECONDS = 30


def current() -> str:
    """This session's language: its own choice, else the browser's cookie, else the default."""
    code = st.session_state.get(SESSION_KEY)
    if code not in LANGUAGES:
        code = chosen(_cookie())
        st.session_state[SESSION_KEY] = code
    return code


def _cookie() -> str | None:
    try:
        value = st.context.cookies.get(COOKIE)
    except Exception:  # no browser request behind this run (a bare script run, AppTest)
        return None
    return value if isinstance(value, str) else None


def adopt_user_choice(actor: Actor) -> str:
    """Once per login: a language chosen with the switch in this session (on the login page) becomes the
    user's; otherwise the one they chose before (kept in the store) becomes this session's. A user who
    never chose keeps the browser's language."""
    if st.session_state.get(_ADOPTED_FOR) == actor.user_id:
        return current()
    st.session_state[_ADOPTED_FOR] = actor.user_id
    try:
        if st.session_state.pop(_CHOSEN_HERE, False):
            choose_language(get_store(), actor, current(), utc_now())
        elif (stored := stored_language(get_store(), actor)) and stored != current():
            _now_reading(stored)
    except DomainError:  # e.g. blocked a moment ago: the next run's session check says so
        pass
    return current()


def _now_reading(code: str) -> None:
    """This session reads in `code` from now on; the browser's cookie and the page's `lang` follow."""
    st.session_state[SESSION_KEY] = code
    st.session_state[_COOKIE_OP] = (code, time.monotonic() + COOKIE_SCRIPT_SECONDS)


def _chosen(key: str, actor: Actor | None) -> None:
    code = st.session_state.get(key)
    if code not in LANGUAGES or code == st.session_state.get(SESSION_KEY):
        return
    _now_reading(code)
    st.session_state[_CHOSEN_HERE] = actor is None  # chosen before login: the user's choice once logged in
    if actor is not None:
        try:
            choose_language(get_store(), actor, code, utc_now())
            st.session_state[_ADOPTED_FOR] = actor.user_id
        except DomainError:  # e.g. blocked a moment ago: the next run's session check says so
            pass


def switch(*, key: str, actor: Actor | None = None) -> None:
    """The language switch (login page, sidebar): each language named in its own words."""
    code = current()
    st.session_state[key] = code  # follows a choice made with the other switch
    st.segmented_control(
        gettext("Language"),
        list(LANGUAGES),
        format_func=LANGUAGES.__getitem__,
        key=key,
        required=True,
        on_change=_chosen,
        args=(key, actor),
        label_visibility="collapsed",
    )


def sync_cookie() -> None:
    """Draw, for a little while after a choice, the script that has the server remember it in the
    browser's cookie and sets the page's `lang` attribute (main.py calls this on every run)."""
    draw_cookie_script(_COOKIE_OP, "language")  # a code of LANGUAGES: nothing to escape


def in_this_language(format_func: Callable[[Any], str]) -> Callable[[Any], str]:
    """A widget's format_func that reads in this run's language whenever it is called: AppTest calls
    it again after the run, outside the run's language."""
    code = i18n_language()

    def shown(value: Any) -> str:
        with using(code):
            return format_func(value)

    return shown
