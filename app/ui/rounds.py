"""Fresh, empty widgets after a save.

A browser keeps what was typed into a widget whose key stays the same. A page that wants an empty
form (or an empty uploader) after a save puts a round number in the widgets' keys and moves to the
next round once the save is done: the next run draws new, empty widgets.

    round_ = current_round("add_form_round")
    st.text_input("Code", key=f"add_code_{round_}")
    ...
    next_round("add_form_round")
"""

from __future__ import annotations

import streamlit as st


def current_round(name: str) -> int:
    """The round number to put in the keys of the widgets named `name` (0 at first)."""
    return st.session_state.setdefault(name, 0)


def next_round(name: str) -> None:
    """From the next run on, the widgets named `name` are new and empty."""
    st.session_state[name] = st.session_state.get(name, 0) + 1
