"""Typed text, checked once for every field: the first step of every core service that takes what a
person typed (or a CSV cell, or the buyer app's text), before its own rules (a SKU's pattern, a
phone number's form) and before anything reaches the store.

`clean_text` gives back the text as it will be stored: Unicode NFC, without leading or trailing
whitespace (single-line fields that always read as one line also get their inner runs of
whitespace made single spaces), and refuses, with InvalidInput naming the field and saying what was
wrong in plain words:

- control characters (NUL and the other C0/C1 controls; tabs and line breaks only in multi-line
  fields), which PostgreSQL refuses (NUL) or which break lists, logs and CSV files;
- text-direction controls (bidi overrides, embeddings, isolates and marks), which make text display
  reversed or out of order (a product name that reads differently from what it is);
- zero-width and other invisible characters, which make two values that look the same differ
  (a code nobody can find again, a name that spoofs another);
- text longer than the field's limit, stating the limit and the length typed: never cut.

Such characters are refused, not silently removed: what is stored is exactly what the person sees,
and removing a character they did not know was there would change their text behind their back (the
same fault as cutting it). Pasting from a document is the usual cause; the message names the
character so they can find it. One exception: the word joiner (U+2060) is removed, because the
portal itself puts it into typed text it shows (app/ui/plain.py breaks Streamlit's link and emoji
rewrites with it), so text copied from a page and pasted into a form reads as what was shown.

`lookup_text` is for text that is only looked up, never stored (a Company ID at login, a search box,
a code to find): text that cannot exist gives None, which the caller answers as "not found" the way
it answers any unknown value, so it never reaches the database driver. `shown` puts typed text into
a sentence safely. Passwords never come here: they are used exactly as typed.
"""

from __future__ import annotations

import re
import unicodedata

from core.errors import InvalidInput
from core.i18n import N_, Message

#: Line breaks as people's systems type them; multi-line fields store them all as "\n".
_LINE_BREAKS = re.compile(r"\r\n|[\r\u2028\u2029]")
#: What counts as whitespace when a field is trimmed or its inner runs are made single spaces:
#: spaces (Unicode's space separators included), tabs, line and form feeds; no other control character.
_SPACE = " \t\n\r\f\v\u00a0\u1680" + "".join(map(chr, range(0x2000, 0x200B))) + "\u2028\u2029\u202f\u205f\u3000"
_SPACES = re.compile(f"[{_SPACE}]+")
_SURROGATE = re.compile("[\ud800-\udfff]")

#: Bidi overrides, embeddings, isolates and marks (U+202A–U+202E, U+2066–U+2069, U+200E, U+200F,
#: U+061C).
BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c")
#: Zero-width and other characters that take no space (U+200B–U+200D, U+2061–U+2064, U+FEFF,
#: U+00AD soft hyphen, U+180E, U+FFF9–U+FFFB).
INVISIBLE = frozenset("\u200b\u200c\u200d\u2061\u2062\u2063\u2064\ufeff\u00ad\u180e\ufff9\ufffa\ufffb")
#: The word joiner the pages put into text they show (see the module's docstring): removed.
WORD_JOINER = "\u2060"

#: Every character `_kind` refuses, for one search at C speed (a CSV import checks 100,000 cells):
#: the C0 and C1 controls (Unicode category Cc), lone surrogates, line separators, bidi controls and
#: invisible characters; multi-line text may hold tabs and line breaks.
_REFUSED = re.compile("[\x00-\x1f\x7f-\x9f\ud800-\udfff\u2028\u2029" + "".join(sorted(BIDI_CONTROLS | INVISIBLE)) + "]")
_REFUSED_IN_LINES = re.compile(
    "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff" + "".join(sorted(BIDI_CONTROLS | INVISIBLE)) + "]"
)

#: The sentence for text over its limit, unless a field keeps its own: {what}, {limit} and {length}
#: are filled in (marked for the catalogue: translated when the refusal is read).
TOO_LONG = N_("The {what} may be at most {limit} characters; it has {length}.")

#: What is wrong with a character, as `_kind` names it, and the whole sentence that says so: {what}
#: (the field, in the reader's language) and {code} ('U+0000') are filled in.
_REFUSALS = {
    "a text-direction control character": N_(
        "The {what} contains a text-direction control character ({code}), which can make text display reversed; "
        "remove it and try again."
    ),
    "an invisible character": N_("The {what} contains an invisible character ({code}); remove it and try again."),
    "a tab": N_("The {what} contains a tab ({code}); remove it and try again."),
    "a line break": N_("The {what} contains a line break ({code}); remove it and try again."),
    "a control character": N_("The {what} contains a control character ({code}); remove it and try again."),
    "an invalid character": N_("The {what} contains an invalid character ({code}); remove it and try again."),
}


def _kind(char: str, *, multiline: bool) -> str | None:
    """What is wrong with one character, in words ('a control character'), or None."""
    if char in BIDI_CONTROLS:
        return "a text-direction control character"
    if char in INVISIBLE:
        return "an invisible character"
    if char == "\t":
        return None if multiline else "a tab"
    if char == "\n" or char in "\r\u2028\u2029":
        return None if multiline else "a line break"
    category = unicodedata.category(char)
    if category == "Cc":
        return "a control character"
    if category == "Cs":
        return "an invalid character"
    return None


def _problem(text: str, *, multiline: bool) -> tuple[str, str] | None:
    """(what is wrong, 'U+XXXX') for the first character the field may not hold, or None."""
    found = (_REFUSED_IN_LINES if multiline else _REFUSED).search(text)
    if found is None:
        return None
    char = found.group()
    kind = _kind(char, multiline=multiline)
    assert kind is not None  # the patterns hold exactly what _kind refuses
    return kind, f"U+{ord(char):04X}"


def _prepare(value: object, *, multiline: bool, collapse_spaces: bool) -> str:
    text = ("" if value is None else str(value)).replace(WORD_JOINER, "")
    if _SURROGATE.search(text):
        return text  # a lone surrogate cannot be normalised; the check refuses it
    if not unicodedata.is_normalized("NFC", text):
        text = unicodedata.normalize("NFC", text)
    if multiline:
        text = _LINE_BREAKS.sub("\n", text)
    elif collapse_spaces:
        text = _SPACES.sub(" ", text)
    return text.strip(_SPACE)


def clean_text(
    value: object,
    *,
    what: str | Message,
    field: str,
    max_length: int | None,
    multiline: bool = False,
    collapse_spaces: bool = False,
    required: str | Message | None = None,
    too_long: str = TOO_LONG,
) -> str:
    """The text as it will be stored, or InvalidInput(field=`field`) saying what is wrong.

    what: the field in the user's words, as the sentences name it: `N_("rejection reason")` (a text
    marked for the catalogue, put into the sentence in the reader's language when it is read).
    max_length: the most characters it may have (None: the caller's own rule bounds it right after,
    e.g. a SKU's pattern). multiline: tabs and line breaks are allowed (and line breaks stored as
    "\\n"). collapse_spaces: a one-line field whose inner runs of whitespace (tabs and line breaks
    included) become single spaces. required: the sentence to say when nothing was typed (None:
    empty is fine; a text marked with N_, or a Message). too_long: the over-the-limit sentence, with
    {what}, {limit} and {length}, marked with N_ (a literal brace in it doubled).
    """
    named = what if isinstance(what, Message) else Message(what)
    text = _prepare(value, multiline=multiline, collapse_spaces=collapse_spaces)
    problem = _problem(text, multiline=multiline)
    if problem is not None:
        kind, code = problem
        raise InvalidInput(Message(_REFUSALS[kind], {"what": named, "code": code}), field=field)
    if required is not None and not text:
        raise InvalidInput(required, field=field)
    if max_length is not None and len(text) > max_length:
        said = Message(too_long, {"what": named, "limit": max_length, "length": len(text)})
        raise InvalidInput(said, field=field)
    return text


def lookup_text(value: object, *, max_length: int, collapse_spaces: bool = False) -> str | None:
    """Text to look up, NFC and trimmed; None if no stored value can be like it (a character no
    field may hold, or longer than the field's limit): the caller answers "not found"."""
    text = _prepare(value, multiline=False, collapse_spaces=collapse_spaces)
    if len(text) > max_length or _problem(text, multiline=False) is not None:
        return None
    return text


def shown(value: object, limit: int = 40) -> str:
    """Typed text as a sentence may quote it: characters no field may hold written as [U+XXXX],
    and anything past `limit` characters left out with '…' (a message, not what is stored)."""
    text = "" if value is None else str(value).strip()
    cut = len(text) > limit
    text = "".join(f"[U+{ord(c):04X}]" if _kind(c, multiline=False) is not None else c for c in text[:limit])
    return text + "…" if cut else text
