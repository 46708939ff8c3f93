"""What a person or the buyer app typed, shown as plain text wherever it is drawn.

Streamlit reads Markdown in st.markdown, st.write of a string, st.caption, titles and headers,
alerts (success, info, warning, error), toasts, and in the labels of widgets, tabs, expanders and
metrics; on top of CommonMark it makes links of bare addresses (``https://…``, ``www.…``,
``name@host.tld``), colours and icons of directives (``:red[…]``, ``:material/…:``), an image of
``:streamlit:``, emoji of shortcodes (``:smile:``), formulas of ``$…$`` and arrows of ``->``.
Plotly reads a subset of HTML (``<a href>``, ``<b>``, ``<br>``, …) in a figure's texts and labels.
So a product named ``[Klik](https://evil.example)`` would be a link, and a complaint with
``![x](http://…)`` would make the seller's browser fetch an image by itself.

Every page puts typed text into those elements through this module, and through nothing else:

    st.markdown(f"**Buyer:** {typed(buyer.name)}")       # inside Markdown
    say("success", _("Warehouse {code} ({name}) is added.", code=code, name=name))  # a whole sentence
    go.Bar(y=[chart_label(p.name) for p in top])           # a Plotly label

Where a value reads as well on its own, a plain element needs nothing: st.text, st.dataframe and
st.data_editor cells, selectbox and multiselect options (not radio options: those are Markdown),
the values of text inputs.

`typed` keeps the text exactly as it reads: every character that could start a construct is
backslash-escaped (which CommonMark shows as the character itself), and where Streamlit rewrites
the text after parsing (bare addresses, shortcodes, arrows) an invisible word joiner (U+2060) goes
between the characters the rewrite looks for. Ordinary sentences come through unchanged ("SBY-01",
"Saved: 2 prices.", "Rp1.234.567", "PT Maju & Jaya (Surabaya)"), so core's sentences read the same
in tests and on screen.
"""

from __future__ import annotations

import html
import re

import streamlit as st

from core.i18n import Message

#: Shows nothing, and stops a rewrite that looks for the characters on either side of it.
JOINER = "\u2060"

#: Escaped wherever they stand: emphasis, code, links and images, HTML and autolinks, formulas,
#: strikethrough, tables, headings (and a heading's closing #s), and the backslash itself.
_ESCAPED = frozenset("\\`*_[]<>$~|#")
#: Character references (&lt; &#60; &#x3C;): escaped, so they show as typed instead of as "<".
_REFERENCE = re.compile(r"&(?=#?[0-9A-Za-z]+;)")
#: Block markers at the start of a line: list items ("- ", "+ ", "1. ", "1) "), thematic breaks and
#: setext underlines ("---", "==="). Not "-5" or "+62 21 555 0101", which are no markers.
_LINE_MARKER = re.compile(r"^([=+-](?=[\s=+-]|$)|\d{1,9}(?=[.)](?:\s|$)))")

#: Rewrites Streamlit makes in the text once it is parsed, broken by a joiner:
_REWRITES = (
    # a colon that opens a directive, an icon, an emoji shortcode or an address ("https:", "mailto:"):
    # any colon followed by something other than a space or a digit, or by digits and a colon (":100:")
    (re.compile(r":(?=[^\s\d]|\d+:)"), ":" + JOINER),
    (re.compile(r"(?i)(?<![0-9a-z])www(?=\.)"), "www" + JOINER),  # www.example.com
    (re.compile(r"@"), "@" + JOINER),  # name@example.com
)
#: Typographic arrows and dashes between spaces ("->" shows as an arrow): a joiner after the first sign.
_ARROWS = re.compile(r"(?<!\S)(<->|->|<-|--|>=|<=|~=)(?!\S)")


def _keep_as_typed(text: str) -> str:
    """Break each post-parse rewrite with a joiner (the text still reads the same)."""
    text = _ARROWS.sub(lambda m: m.group(1)[0] + JOINER + m.group(1)[1:], text)
    for pattern, replacement in _REWRITES:
        text = pattern.sub(replacement, text)
    return text


def _escape_line(line: str) -> str:
    line = line.lstrip(" \t")  # indentation would make code; Markdown drops it from a line anyway
    escaped = "".join("\\" + c if c in _ESCAPED else c for c in line)
    escaped = _REFERENCE.sub(r"\\&", escaped)
    marker = _LINE_MARKER.match(escaped)
    if marker is None:
        return escaped
    if marker.group(1)[0].isdigit():  # "1." / "1)": escape the dot or the parenthesis
        end = marker.end()
        return escaped[:end] + "\\" + escaped[end:]
    return "\\" + escaped


def typed(value: object) -> str:
    """`value` (any text a person or the buyer app typed) as Markdown that shows exactly that text.

    One line stays one line; the line breaks of a multi-line text are kept (as Markdown line
    breaks). None is the empty string."""
    if value is None:
        return ""
    text = str(value).replace("\r\n", "\n").replace("\r", "\n")
    return "  \n".join(_escape_line(line) for line in _keep_as_typed(text).split("\n"))


def say(kind: str, sentence: str | Message) -> None:
    """Show a whole sentence as plain text in an alert: kind is success, info, warning or error.

    For core's sentences (a DomainError's message quotes what was typed) and for the notices a page
    composes with typed values in them (a `core.i18n.Message` reads in the reader's language)."""
    getattr(st, kind)(typed(sentence))


def chart_label(value: object) -> str:
    """`value` as a Plotly text, label or hover text that shows exactly that text: HTML-escaped
    (Plotly reads <a>, <b>, <br>, <span> and entities), "$" as an entity (a formula otherwise,
    where MathJax is loaded), line breaks as spaces."""
    if value is None:
        return ""
    text = html.escape(str(value), quote=False).replace("$", "&#36;")
    return re.sub(r"[\r\n]+", " ", text)
