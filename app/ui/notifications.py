"""Notifications on every page: the bell in the sidebar with the unread count, the count in the
browser tab's title; and the user's email preferences (the Product Manager's Settings, the System
Administrator's Notifications page).

The bell is a fragment that app/main.py draws on every full run of a logged-in page; it asks core
for the count again every BELL_EVERY seconds by itself, without rerunning the page (nothing under
the person's hands moves). It leads to the Notifications page.

The tab title ("(3) Kopra Partnership") is set with st.set_page_config from the same fragment: the
title travels in Streamlit's own messages, so no script runs on the page and the server's
Content-Security-Policy (app/server.py: no inline scripts but Streamlit's own) stays as it is. A page
that keeps a count of its own in the title (Sales Management: new orders) keeps it there.

The bell never keeps a login alive: its refreshes do not touch the session (only a person's click, a
full run, does). Once this tab has had no full run for the idle time, or the session's lifetime is
over, or core refuses the user, the bell asks for a full run, whose session check ends the login and
says why, instead of counting on for nobody.
"""

from __future__ import annotations

import time
from datetime import datetime

import streamlit as st

from app.bootstrap import get_settings, get_store
from app.ui.actions import attempt, quietly, rerun_saying
from app.ui.formats import count, local_time
from app.ui.language import in_this_language
from app.ui.plain import typed
from core.accounts.policy import AccountPolicy
from core.acting import Actor
from core.clock import utc_now
from core.errors import AccessDenied
from core.i18n import N_, _, _n, gettext
from core.notifications import inbox, kinds, preferences
from core.notifications.mailer import transport_from_settings
from core.notifications.preferences import Preferences

APP_TITLE = "Kopra Partnership"
BELL_EVERY = 10  # seconds between two counts of the bell
NOTIFICATIONS_PAGE = "pages/notifications.py"
#: Above this, the bell and the title say "99+".
MOST_SHOWN = 99
#: Pages whose fragment writes a count of its own into the tab title (by their menu title, in English or
#: in the reader's language).
PAGES_WITH_THEIR_OWN_TITLE = frozenset({N_("Sales Management")})

_LAST_FULL_RUN = "_kopra_last_full_run"  # time.monotonic() of this tab's last full run
_FULL_RUN = "_kopra_bell_in_full_run"  # set by `bell` just before the fragment runs in a full run


def shown_count(unread: int) -> str:
    return f"{MOST_SHOWN}+" if unread > MOST_SHOWN else count(unread)


def tab_title(unread: int) -> str:
    """The browser tab's title: `"(3) Kopra Partnership"`, or just the name with nothing unread."""
    return f"({shown_count(unread)}) {APP_TITLE}" if unread else APP_TITLE


def bell_label(unread: int | None) -> str:
    return _("Notifications ({count})", count=shown_count(unread)).render() if unread else gettext("Notifications")


def _bell_help(unread: int | None) -> str | None:
    if unread is None:
        return None
    return _("{count} unread", count=shown_count(unread)).render() if unread else gettext("Nothing unread")


def _has_its_own_title(page_title: str) -> bool:
    return any(page_title in (title, gettext(title)) for title in PAGES_WITH_THEIR_OWN_TITLE)


def bell(actor: Actor, *, session_expires_at: datetime | None, page_title: str) -> None:
    """The bell, drawn by app/main.py in the sidebar on every full run of a logged-in page."""
    st.session_state[_LAST_FULL_RUN] = time.monotonic()
    st.session_state[_FULL_RUN] = True
    idle_s = AccountPolicy.of(get_settings()).session_idle.total_seconds()
    _bell(actor, session_expires_at, idle_s, not _has_its_own_title(page_title))


@st.fragment(run_every=BELL_EVERY)
def _bell(actor: Actor, session_expires_at: datetime | None, idle_s: float, set_title: bool) -> None:
    in_full_run = st.session_state.pop(_FULL_RUN, False)
    if not in_full_run:  # refreshing by itself
        idle_for = time.monotonic() - st.session_state.get(_LAST_FULL_RUN, 0.0)
        if idle_for > idle_s or (session_expires_at is not None and utc_now() >= session_expires_at):
            st.rerun()  # a full run: its session check ends the login and says why
    counted = attempt(lambda: inbox.unread_count(get_store(), actor, now=utc_now()), show=quietly)
    if not counted and isinstance(counted.refusal, AccessDenied) and not in_full_run:
        st.rerun()  # blocked, deleted, no longer whitelisted: the full run says so
    unread = counted.value if counted else None
    st.page_link(
        NOTIFICATIONS_PAGE,
        label=bell_label(unread),
        icon=":material/notifications_active:" if unread else ":material/notifications:",
        help=_bell_help(unread),
        width="stretch",
    )
    if set_title and unread is not None:
        st.set_page_config(page_title=tab_title(unread))


# --- Email preferences -------------------------------------------------------------------------------

#: The radio's options (English msgids, shown in the reader's language).
AT_ONCE, DIGEST = N_("Each one as it comes"), N_("One email a day (a digest)")


def preferences_section(actor: Actor, *, key: str) -> None:
    """Which notifications also come by email, at once or in a daily digest, and the address they go
    to, confirmed by a code sent there. Each form calls one core.notifications.preferences service."""
    with st.expander(gettext("Notifications by email"), icon=":material/mail:"):
        st.caption(
            gettext(
                "Every notification always shows in the portal (the bell in the menu counts the unread ones). "
                "Choose which also come by email, to an address you confirm with a code we send there."
            )
        )
        read = attempt(lambda: preferences.preferences(get_store(), actor, now=utc_now()))
        if read.value is None:  # refused: the reason is shown
            return
        _address(actor, read.value, key)
        _choices(actor, read.value, key)


def _address(actor: Actor, prefs: Preferences, key: str) -> None:
    store = get_store()
    if prefs.verified:
        shown, stop = st.columns([4, 1], vertical_alignment="center")
        shown.markdown(str(_("Notification email goes to **{email}** (confirmed).", email=typed(prefs.email))))
        if stop.button(gettext("Stop email"), key=f"{key}_stop") and attempt(
            lambda: preferences.stop_email(store, actor, now=utc_now())
        ):
            rerun_saying(gettext("No more notification email; every notification still shows here."))
    else:
        st.markdown(gettext("No email address is confirmed yet: notifications show here only."))
    if prefs.pending_email and prefs.code_expires_at:
        with st.form(f"{key}_verify", clear_on_submit=True):
            zone = "Asia/Jakarta"
            st.markdown(
                str(
                    _(
                        "We sent a code to **{email}**. Enter it to confirm that address (valid until {until}).",
                        email=typed(prefs.pending_email),
                        until=local_time(prefs.code_expires_at, zone),
                    )
                )
            )
            code = st.text_input(gettext("Code from the email"), max_chars=12, key=f"{key}_code")
            if st.form_submit_button(gettext("Confirm the address"), type="primary") and attempt(
                lambda: preferences.verify_email(store, actor, code=code, now=utc_now())
            ):
                rerun_saying(
                    str(
                        _(
                            "{email} is confirmed: the notifications you chose come there.",
                            email=prefs.pending_email,
                        )
                    )
                )
    with st.form(f"{key}_address", clear_on_submit=False):
        label = gettext("Send email to another address") if prefs.verified else gettext("Email address")
        email = st.text_input(
            label, max_chars=preferences.MAX_EMAIL, key=f"{key}_email", placeholder="name@company.co.id"
        )
        if st.form_submit_button(gettext("Send a code")) and attempt(
            lambda: preferences.request_email_code(
                store, actor, email=email, now=utc_now(), send=transport_from_settings(get_settings()).send
            ),
            spinner=gettext("Sending the code…"),
        ):
            rerun_saying(
                str(
                    _n(
                        "A code is on its way to {email}. Enter it below within {count} minute.",
                        "A code is on its way to {email}. Enter it below within {count} minutes.",
                        int(preferences.CODE_VALID.total_seconds() // 60),
                        email=email.strip(),
                    )
                )
            )


def _choices(actor: Actor, prefs: Preferences, key: str) -> None:
    with st.form(f"{key}_choices"):
        st.markdown(
            gettext("**What comes by email**")
            if prefs.verified
            else gettext("**What comes by email** (once an address is confirmed)")
        )
        chosen = {
            kind
            for kind in prefs.kinds
            if st.checkbox(kinds.title(kind), value=kind in prefs.email_kinds, key=f"{key}_kind_{kind.value}")
        }
        when = st.radio(
            gettext("When"),
            [AT_ONCE, DIGEST],
            format_func=in_this_language(gettext),
            index=1 if prefs.digest else 0,
            key=f"{key}_when",
            horizontal=True,
        )
        if st.form_submit_button(gettext("Save email choices")) and attempt(
            lambda: preferences.save_preferences(
                get_store(), actor, email_kinds=chosen, digest=when == DIGEST, now=utc_now()
            )
        ):
            saved = (
                _n(
                    "Saved: {chosen} of {count} kind by email, in one daily digest.",
                    "Saved: {chosen} of {count} kinds by email, in one daily digest.",
                    len(prefs.kinds),
                    chosen=count(len(chosen)),
                )
                if when == DIGEST
                else _n(
                    "Saved: {chosen} of {count} kind by email, each one as it comes.",
                    "Saved: {chosen} of {count} kinds by email, each one as it comes.",
                    len(prefs.kinds),
                    chosen=count(len(chosen)),
                )
            )
            rerun_saying(str(saved))
