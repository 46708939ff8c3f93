"""Reading what a page shows as Markdown, to check that typed text in it is plain text.

`rendered(at.main)` gives every string Streamlit renders as Markdown under a block: bodies,
headings, alerts, captions, the labels of widgets, tabs and expanders, help, radio options and
image captions (not st.text, tables or selectbox options, which show text as it is).
`live_markup(markdown)` names what in a string would still render as markup, read the way
Streamlit's Markdown reads it: a backslash-escaped character shows as itself, so only what is left
after removing those can make a link, an image, a tag or a directive. A word joiner (U+2060)
between "https:" and "//" (or after "www", "@", the colon of a shortcode) is what stops Streamlit's
rewrites of bare text, so such text is not live either. Typed test values carry the marker EVIL
(EVILHEAD, EVILITEM, ... on the lines of multi-line text), so emphasis and block markup around
them can be told from the page's own. `shows(strings, value)` tells whether `value` reads exactly
as typed in one of them; `figure_labels(at)` gives the strings in each Plotly figure's data.
"""

from __future__ import annotations

import json
import re

#: A backslash-escaped ASCII punctuation character: Markdown shows the character itself.
ESCAPED = re.compile(r"\\[!-/:-@\[-`{-~]")
#: The page's own icons (dashboard captions), never typed.
OWN_DIRECTIVES = re.compile(r":material/(?:check_circle|warning|refresh|download|file_download):")
LIVE = {
    "a link or an image ([...])": re.compile(r"[\[\]]"),
    "an HTML tag or autolink": re.compile(r"<[A-Za-z/!?]"),
    "a bare address made a link": re.compile(r"(?i)https?://|www\.|@[\w-]+\.\w"),
    "a directive, an icon or a shortcode": re.compile(r":(?:[A-Za-z+_-]|\d+:)"),
    "a formula": re.compile(r"\$"),
    "code or strikethrough": re.compile(r"[`~]"),
    "emphasis around typed text": re.compile(r"[*_]+EVIL|EVIL[*_]+(?!\w)"),
    "a heading": re.compile(r"(?m)^[ \t]*#+[ \t]*EVILHEAD"),
    "a list item": re.compile(r"(?m)^[ \t]*(?:[-+*][ \t]+EVILITEM|\d{1,9}[.)][ \t]+EVILNUM)"),
    "a quote": re.compile(r"(?m)^[ \t]*>[ \t]*EVILQUOTE"),
    "code by indentation": re.compile(r"(?m)^(?: {4,}|\t)EVILCODE"),
    "a heading by underline": re.compile(r"(?m)^[ \t]*=+[ \t]*$"),
    "an arrow": re.compile(r"(?<!\S)(?:->|<-|--)(?!\S)"),
}
#: Elements that show their text as it is (no Markdown).
PLAIN_ELEMENTS = {"Text", "Code", "Exception", "Arrow", "PlotlyChart", "Json", "Empty"}
#: Fields Streamlit renders as Markdown, in any element or block (labels, bodies, help, captions).
MARKDOWN_FIELDS = {"body", "label", "help", "text", "caption"}


def markdown_strings(proto) -> list[str]:
    """Every string of `proto` (and the messages in it) that Streamlit renders as Markdown."""
    kind = proto.DESCRIPTOR.name
    if kind in PLAIN_ELEMENTS or (kind == "Markdown" and proto.allow_html):
        return []
    found = []
    for field, value in proto.ListFields():
        values = list(value) if field.is_repeated else [value]
        if field.type == field.TYPE_MESSAGE:
            for message in values:
                found += markdown_strings(message)
        elif field.type == field.TYPE_STRING and (
            field.name in MARKDOWN_FIELDS or (kind == "Radio" and field.name == "options")
        ):
            found += values
    return found


def rendered(block) -> list[str]:
    """The Markdown of every element and block under `block` (at.main, at.sidebar)."""
    found = []
    for node in block:
        if getattr(node, "proto", None) is not None:
            found += markdown_strings(node.proto)
    return found


def live_markup(markdown: str) -> list[str]:
    """What in `markdown` would still render as markup: escaped characters show as themselves."""
    bare = OWN_DIRECTIVES.sub("", ESCAPED.sub("\x00", markdown))
    return [name for name, pattern in LIVE.items() if pattern.search(bare)]


def assert_shown_as_typed(block, where: str) -> list[str]:
    """No string under `block` has live markup; returns them, for checking that the values are there."""
    strings = rendered(block)
    assert strings, f"{where}: nothing rendered"
    offending = {text: live_markup(text) for text in strings if live_markup(text)}
    assert not offending, f"{where}: typed text rendered as markup: {offending}"
    return strings


def unsafe_html_is_not_typed(block, where: str) -> None:
    """Markdown with unsafe_allow_html (the page's own) never carries typed text."""
    for node in block:
        proto = getattr(node, "proto", None)
        if proto is not None and proto.DESCRIPTOR.name == "Markdown" and proto.allow_html:
            assert "EVIL" not in proto.body and "evil" not in proto.body, f"{where}: typed text in raw HTML"


def figure_labels(at) -> dict[str, list[str]]:
    """Every string in the data of each Plotly figure, by the figure's title."""

    def strings(value):
        if isinstance(value, str):
            yield value
        elif isinstance(value, dict):
            for item in value.values():
                yield from strings(item)
        elif isinstance(value, list):
            for item in value:
                yield from strings(item)

    figures = {}
    for chart in at.get("plotly_chart"):
        spec = json.loads(chart.proto.spec)
        figures[spec["layout"]["title"]["text"]] = list(strings(spec["data"]))
    return figures


def as_read(text: str) -> str:
    """What a reader sees of `text`: escaped characters as themselves, no word joiners, and whitespace
    as single spaces (Markdown's line breaks and the lines' indentation are layout, not text)."""
    shown = ESCAPED.sub(lambda m: m.group()[1], text).replace("\u2060", "")
    return " ".join(shown.split())


def shows(strings: list[str], value: str) -> bool:
    """Whether one of `strings` shows `value` exactly as it was typed."""
    return any(as_read(value) in as_read(text) for text in strings)
