"""Two languages, one meaning: what a person reads, in Bahasa Indonesia or English.

Text is written in English in the code and looked up in the Indonesian gettext catalogue
(`core/i18n/locale/id/LC_MESSAGES/messages.po`, managed with Babel: `make i18n` extracts, updates and
compiles it; docs/glossary.md fixes the words). Three ways a text is marked for the catalogue:

- `N_("...")`: a fixed text kept as a constant (a refusal core raises, a page title); it stays the
  English msgid in the code and is translated where it is shown: `gettext(text)`.
- `_("Order {number} was accepted.", number=...)`: a `Message`, the msgid with its values, rendered
  in the reader's language when shown (`str()` renders in the active language, `render(language)` in
  a given one). Values are filled after translation, so both languages keep every placeholder (a test
  checks the catalogue for it).
- `_n("{count} order", "{count} orders", count)`: the same with plural forms (Indonesian has one;
  English two).

The reader's language is a context (`using(language)`): a page run, an API request, an email; outside
one it is `DEFAULT_LANGUAGE`.
"""

from __future__ import annotations

import gettext as _gettext
import os
import re
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

#: The languages a person may choose, by code, each named in its own language.
LANGUAGES: dict[str, str] = {"id": "Bahasa Indonesia", "en": "English"}
#: What a person reads before they choose: KOPRA_LANGUAGE (core.config refuses an unknown one), else
#: Bahasa Indonesia, the sellers' language.
DEFAULT_LANGUAGE = os.environ.get("KOPRA_LANGUAGE", "").strip() or "id"
if DEFAULT_LANGUAGE not in LANGUAGES:
    DEFAULT_LANGUAGE = "id"
#: Where the catalogues are: <language>/LC_MESSAGES/messages.po (and .mo once compiled).
LOCALE_DIR = Path(__file__).resolve().parent / "locale"
DOMAIN = "messages"
#: A placeholder in a msgid: "{number}".
PLACEHOLDER = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")

_active: ContextVar[str] = ContextVar("kopra-language", default=DEFAULT_LANGUAGE)


def chosen(code: str | None) -> str:
    """The language a person chose (a user's stored choice, a cookie), or the default if none or unknown."""
    return code if code in LANGUAGES else DEFAULT_LANGUAGE


def language() -> str:
    """The reader's language now."""
    return _active.get()


@contextmanager
def using(code: str) -> Iterator[str]:
    """Read in `code` inside the block (an unknown code reads in the default language)."""
    token = _active.set(code if code in LANGUAGES else DEFAULT_LANGUAGE)
    try:
        yield _active.get()
    finally:
        _active.reset(token)


@cache
def catalogue(code: str) -> _gettext.NullTranslations:
    """The compiled catalogue of `code`; English is the code's own text. A catalogue not compiled yet
    (`make i18n`) is read from its .po, so a checkout works before its first `make`."""
    if code == "en" or code not in LANGUAGES:
        return _gettext.NullTranslations()
    compiled = LOCALE_DIR / code / "LC_MESSAGES" / f"{DOMAIN}.mo"
    source = compiled.with_suffix(".po")
    if compiled.exists() and compiled.stat().st_mtime >= source.stat().st_mtime:
        with compiled.open("rb") as handle:
            return _gettext.GNUTranslations(handle)
    return _from_po(source)


def _from_po(source: Path) -> _gettext.NullTranslations:
    from io import BytesIO

    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    with source.open("rb") as handle:
        parsed = read_po(handle)
    buffer = BytesIO()
    write_mo(buffer, parsed)
    buffer.seek(0)
    return _gettext.GNUTranslations(buffer)


def gettext(text: str, code: str | None = None) -> str:
    """A fixed text (marked with `N_`) in the reader's language, or in `code`."""
    return catalogue(code or language()).gettext(text)


def N_(text: str) -> str:  # noqa: N802 - gettext's name for "mark, translate later"
    """Mark a fixed text for the catalogue; it is translated where it is shown (`gettext`)."""
    return text


@dataclass(frozen=True)
class Message:
    """A text with values, translated when it is read: one meaning in both languages."""

    msgid: str
    values: Mapping[str, Any] = field(default_factory=dict)
    plural: str | None = None
    count: int | None = None

    def render(self, code: str | None = None) -> str:
        translations = catalogue(code or language())
        if self.plural is not None and self.count is not None:
            pattern = translations.ngettext(self.msgid, self.plural, self.count)
        else:
            pattern = translations.gettext(self.msgid)
        if not self.values:  # a fixed text: braces in it are its own (a name someone typed), not placeholders
            return pattern
        return pattern.format_map({name: _shown(value, code) for name, value in self.values.items()})

    def __str__(self) -> str:
        return self.render()


def _shown(value: Any, code: str | None) -> Any:
    """A value as the reader's language writes it: a nested Message rendered in the same language."""
    return value.render(code) if isinstance(value, Message) else value


def _(msgid: str, **values: Any) -> Message:
    """A text with values, translated when read: `_("Order {number} was accepted.", number=number)`."""
    return Message(msgid, values)


def _n(singular: str, plural: str, count: int, /, **values: Any) -> Message:
    """A text with plural forms, `count` among its values: `_n("{count} order", "{count} orders", n)`."""
    return Message(singular, {"count": count, **values}, plural, count)


def placeholders(text: str) -> set[str]:
    """The names of a text's placeholders: "Order {number}" -> {"number"}."""
    return set(PLACEHOLDER.findall(text))
