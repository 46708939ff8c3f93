"""core.text: typed text normalised and checked once, for every field (no store involved)."""

from __future__ import annotations

import sys

import pytest

import core.text as core_text
from core.errors import InvalidInput
from core.text import clean_text, lookup_text, shown


def clean(value, **kw):
    options = {"what": "product name", "field": "name", "max_length": 200, **kw}
    return clean_text(value, **options)


def refusal(value, **kw) -> InvalidInput:
    with pytest.raises(InvalidInput) as refused:
        clean(value, **kw)
    return refused.value


# --- What is kept, and how -----------------------------------------------------------------------


def test_text_is_trimmed_and_composed_to_nfc():
    assert clean("  Kopi Susu  ") == "Kopi Susu"
    assert clean("Cafe\u0301") == "Caf\u00e9"  # e + combining acute: one character, as typed elsewhere
    assert clean(None) == ""


def test_inner_spaces_stay_unless_the_field_reads_as_one_line():
    assert clean("Kopi   Susu") == "Kopi   Susu"
    assert clean("Kopi \t Susu\n\u00a0Gula", collapse_spaces=True) == "Kopi Susu Gula"


def test_multi_line_text_keeps_its_tabs_and_line_breaks_as_newlines():
    assert clean("Line one\r\n\tLine two\rThree\u2028Four\n", multiline=True) == "Line one\n\tLine two\nThree\nFour"


def test_non_latin_letters_and_emoji_are_plain_text():
    for text in (
        "Beras Pandan Wangi 5 kg",
        "\u0643\u0631\u064a\u0645",
        "\u7c73",
        "Kopi \u2615",
        "\U0001f1ee\U0001f1e9",
    ):
        assert clean(text) == text


# --- What is refused -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "value, words",
    [
        ("Kopi\x00Susu", "contains a control character (U+0000); remove it and try again."),
        ("Kopi\x1bSusu", "contains a control character (U+001B)"),
        ("Kopi\x7fSusu", "contains a control character (U+007F)"),
        ("Kopi\x85Susu", "contains a control character (U+0085)"),
        ("Kopi\tSusu", "contains a tab (U+0009)"),
        ("Kopi\nSusu", "contains a line break (U+000A)"),
        ("Kopi\u2028Susu", "contains a line break (U+2028)"),
        (
            "Kopi\u202eusuS",
            "contains a text-direction control character (U+202E), which can make text display reversed",
        ),
        ("Kopi\u2066Susu", "(U+2066)"),
        ("Kopi\u200fSusu", "(U+200F)"),
        ("Kopi\u061cSusu", "(U+061C)"),
        ("Kopi\u200bSusu", "contains an invisible character (U+200B)"),
        ("Kopi\u200dSusu", "(U+200D)"),
        ("Kopi\u2061Susu", "(U+2061)"),
        ("\ufeffKopi", "(U+FEFF)"),
        ("Ko\u00adpi", "(U+00AD)"),
        ("Kopi\ud800", "contains an invalid character (U+D800)"),
    ],
)
def test_characters_no_field_may_hold_are_refused_naming_the_field_and_the_character(value, words):
    refused = refusal(value)
    assert refused.field == "name"
    assert refused.message.startswith("The product name contains ")
    assert words in refused.message


def test_text_copied_from_a_page_loses_the_word_joiners_the_page_put_in():
    """app/ui/plain.py shows typed text with U+2060 inside addresses and shortcodes; pasted back into
    a form, it is the text that was shown."""
    shown = "Toko Maju, toko@\u2060maju.example, see https:\u2060//maju.example :\u2060smile:"
    assert clean_text(shown, what="product name", field="name", max_length=200) == (
        "Toko Maju, toko@maju.example, see https://maju.example :smile:"
    )


def test_the_sentence_for_an_invisible_character_is_the_one_people_read():
    assert refusal("Kopi\u200bSusu").message == (
        "The product name contains an invisible character (U+200B); remove it and try again."
    )


def test_controls_are_refused_even_where_whitespace_is_collapsed_or_lines_allowed():
    assert "(U+0000)" in refusal("a\x00b", collapse_spaces=True).message
    assert "(U+0000)" in refusal("a\x00b", multiline=True).message
    assert "(U+001F)" in refusal("a\x1fb", collapse_spaces=True).message  # Python's split() would eat it
    assert "(U+200B)" in refusal("a\u200bb", multiline=True).message


def test_too_long_is_refused_stating_the_limit_and_the_length_never_cut():
    refused = refusal("r" * 983, what="rejection reason", field="reason", max_length=500)
    assert refused.field == "reason"
    assert refused.message == "The rejection reason may be at most 500 characters; it has 983."
    assert clean("r" * 500, max_length=500) == "r" * 500


def test_the_length_is_counted_after_trimming_and_composing():
    assert clean("  " + "e\u0301" * 200 + "  ") == "\u00e9" * 200


def test_a_field_may_keep_its_own_sentence_for_too_long():
    refused = refusal("N" * 201, too_long="The name is {length} characters long; the limit is {limit}.")
    assert refused.message == "The name is 201 characters long; the limit is 200."


def test_a_required_field_says_what_to_enter():
    assert refusal("   ", required="Enter the product's name.").message == "Enter the product's name."
    assert clean("   ") == ""


# --- Lookups and messages ------------------------------------------------------------------------


def test_a_lookup_of_text_that_cannot_exist_gives_none():
    assert lookup_text(" acme01 ", max_length=32) == "acme01"
    assert lookup_text("ACME\x0001", max_length=32) is None
    assert lookup_text("ACME\u200b01", max_length=32) is None
    assert lookup_text("A" * 33, max_length=32) is None
    assert lookup_text("kopi \t susu", max_length=32, collapse_spaces=True) == "kopi susu"


def test_typed_text_is_quoted_in_a_sentence_without_its_hidden_characters():
    assert shown("JKT-1") == "JKT-1"
    assert shown("DEMO\x0001") == "DEMO[U+0000]01"
    assert shown("abc\u202edef") == "abc[U+202E]def"
    assert shown("x" * 100) == "x" * 40 + "…"


def test_the_quick_search_refuses_exactly_the_characters_described():
    """One regular expression finds a refused character; it must agree with the words that describe it."""
    for multiline, pattern in ((False, core_text._REFUSED), (True, core_text._REFUSED_IN_LINES)):
        differ = [
            f"U+{code:04X}"
            for code in range(sys.maxunicode + 1)
            if (core_text._kind(chr(code), multiline=multiline) is None) == bool(pattern.match(chr(code)))
        ]
        assert differ == [], multiline
