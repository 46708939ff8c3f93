"""The one way a page calls core and shows a refusal.

Core says no with a DomainError whose message is a sentence for the person who tried; a page shows
that sentence as it is, as plain text (it may quote what was typed: app.ui.plain). `attempt` runs
one action and returns an `Outcome` (falsy when refused); `read_or_stop` is a page's first read,
without which the page has nothing to show; `rerun_saying` announces a success on the next run,
after st.rerun() has drawn the page afresh.

    if attempt(lambda: management.close_warehouse(store, actor, code, utc_now())):
        rerun_saying(_("Warehouse {code} is closed.", code=code))

Every sentence is in the reader's language: a refusal's is core's (`DomainError.message`), a
spinner's or a notice's is a `core.i18n.Message` or an already translated text (`gettext`).

A refused form is not rerun, so it keeps what was typed, next to the reason.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Generic, NoReturn, TypeVar

import streamlit as st

from app.session import notify
from app.ui.plain import say
from core.errors import DomainError
from core.i18n import Message

T = TypeVar("T")

#: How a refusal is shown: given core's error, draw it (the default: its sentence in red).
ShowRefusal = Callable[[DomainError], None]


def show_refusal(refusal: DomainError) -> None:
    """The refusal's sentence, as core wrote it (plain text: it may quote what was typed)."""
    say("error", refusal.message)


def quietly(refusal: DomainError) -> None:
    """Show nothing now: the caller keeps the outcome and shows its refusal later."""


@dataclass(frozen=True)
class Outcome(Generic[T]):
    """What an action came to: its result, or core's refusal. True when the action was done."""

    value: T | None = None
    refusal: DomainError | None = None

    def __bool__(self) -> bool:
        return self.refusal is None


def attempt(
    action: Callable[[], T], *, show: ShowRefusal = show_refusal, spinner: str | Message | None = None
) -> Outcome[T]:
    """Run one core action. Refused: show why (`show`) and return the failed outcome.

    `spinner`: a sentence shown while the action runs, for the ones that take a moment."""
    try:
        if spinner is None:
            return Outcome(action())
        with st.spinner(str(spinner)):
            return Outcome(action())
    except DomainError as refusal:
        show(refusal)
        return Outcome(refusal=refusal)


def read_or_stop(read: Callable[[], T], *, show: ShowRefusal = show_refusal) -> T:
    """A page's first read: what it returns, or, refused, why (`show`), and the page stops there."""
    outcome = attempt(read, show=show)
    if not outcome:
        st.stop()
    return outcome.value


def rerun_saying(text: str | Message) -> NoReturn:
    """Say `text` as a success on the next run, and rerun now so the page shows the store as it is.

    `text` is a plain sentence in the reader's language, a Message rendered now (typed values in it
    show as typed: app.session shows every notice through app.ui.plain)."""
    notify("success", str(text))
    st.rerun()
