"""The language a user reads the portal and their emails in: their own choice, kept in the store.

A user who never chose reads in the browser's choice (its cookie) or the default language
(core.i18n.DEFAULT_LANGUAGE). Choosing needs no role: every logged-in user, even one who must still
change a one-time password, may pick the language they read that form in.
"""

from __future__ import annotations

from datetime import datetime

from core.acting import ANY_ROLE, Actor, acting
from core.errors import InvalidInput
from core.i18n import LANGUAGES, N_, _
from core.store.database import Store


def stored_language(store: Store, actor: Actor) -> str | None:
    """The language `actor` chose, or None if they never chose one."""
    with acting(
        store, actor, *ANY_ROLE, doing=N_("read your language"), write=False, password_change_pending_ok=True
    ) as (_session, user, _now):
        chosen = user.language
    return chosen if chosen in LANGUAGES else None


def choose_language(store: Store, actor: Actor, code: str, now: datetime) -> str:
    """Remember `code` as the language `actor` reads in; returns it."""
    if code not in LANGUAGES:
        raise InvalidInput(
            _("{code} is not a language of the portal: choose {choices}.", code=code, choices=", ".join(LANGUAGES)),
            field="language",
        )
    with acting(store, actor, *ANY_ROLE, doing=N_("choose a language"), now=now, password_change_pending_ok=True) as (
        _session,
        user,
        _now,
    ):
        user.language = code
    return code
