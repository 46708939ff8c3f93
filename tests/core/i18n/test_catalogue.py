"""The Indonesian catalogue against the code: every marked text translated, with the same
placeholders and every plural form; texts marked only as plain literals (a formatted string would reach
the catalogue filled in, never matching); rendering in both languages."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from core import i18n
from core.accounts import policy
from core.config import PROJECT_ROOT
from core.i18n import Message, _, _n, gettext, placeholders, using

CATALOGUE = i18n.LOCALE_DIR / "id" / "LC_MESSAGES" / "messages.po"
SOURCES = ("core", "app", "api", "jobs")
#: What `make i18n` extracts: its keywords and pybabel's default `gettext("a literal")`.
KEYWORDS = {"_": None, "N_": None, "_n": (1, 2), "gettext": None}
#: Marks whose texts must be literals (gettext also takes a text kept in a constant: gettext(BLOCKED_MESSAGE)).
LITERAL_ONLY = ("_", "N_", "_n")


def marked_in_code() -> dict[str | tuple[str, str], list[str]]:
    """{msgid, or (singular, plural): where} for every text the code marks, as `make i18n` extracts them."""
    found: dict = {}
    for folder in SOURCES:
        for filename, line, message, _comments, _context in extract_from_dir(
            PROJECT_ROOT / folder, method_map=[("**.py", "python")], keywords=KEYWORDS, comment_tags=()
        ):
            found.setdefault(message, []).append(f"{folder}/{filename}:{line}")
    return found


def catalogue():
    with CATALOGUE.open("rb") as handle:
        return read_po(handle, locale="id")


def test_every_marked_text_has_an_indonesian_translation_with_the_same_placeholders():
    translated = {m.id: m for m in catalogue() if m.id}
    problems = []
    for msgid, where in marked_in_code().items():
        entry = translated.get(msgid)
        forms = list(msgid) if isinstance(msgid, tuple) else [msgid]
        if entry is None or entry.fuzzy:
            problems.append(f"{where[0]}: no Indonesian translation of {forms[0]!r} (run make i18n, then translate)")
            continue
        strings = list(entry.string) if isinstance(entry.string, tuple) else [entry.string]
        if not all(strings):
            problems.append(f"{where[0]}: an empty translation of {forms[0]!r}")
        wanted = set().union(*(placeholders(form) for form in forms))
        for text in strings:
            if placeholders(text) != wanted:
                problems.append(f"{where[0]}: {text!r} has {placeholders(text)}, the code gives {wanted}")
    assert not problems, "\n".join(problems)


def test_the_catalogue_holds_nothing_the_code_no_longer_says():
    in_code = set(marked_in_code())
    stale = [m.id for m in catalogue() if m.id and m.id not in in_code]
    assert not stale, f"make i18n drops these: {stale}"


def test_indonesian_has_one_plural_form():
    assert catalogue().num_plurals == 1


def test_texts_are_marked_as_plain_literals_only():
    """`_(f"...")` or `_("a" + b)` would send the filled-in text to the catalogue, found by nobody."""
    problems = []
    for folder in SOURCES:
        for path in sorted(Path(PROJECT_ROOT / folder).rglob("*.py")):
            for node in ast.walk(ast.parse(path.read_text(), str(path))):
                if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in LITERAL_ONLY:
                    texts = node.args[:2] if node.func.id == "_n" else node.args[:1]
                    if not texts or not all(isinstance(t, ast.Constant) and isinstance(t.value, str) for t in texts):
                        problems.append(f"{path.relative_to(PROJECT_ROOT)}:{node.lineno}")
    assert not problems, f"a marked text that is not a plain string: {problems}"


def test_the_blocked_and_not_whitelisted_messages_read_as_the_bank_writes_them_in_both_languages():
    assert gettext(policy.BLOCKED_MESSAGE, "en") == policy.BLOCKED_MESSAGE
    blocked = gettext(policy.BLOCKED_MESSAGE, "id")
    assert blocked.startswith("User ID Anda diblokir.")
    assert "Relationship Manager" in blocked and "Mandiri Call 14000" in blocked
    not_listed = gettext(policy.NOT_WHITELISTED_MESSAGE, "id")
    assert not_listed.startswith("Perusahaan Anda belum terdaftar di Kopra Partnership")
    assert "Relationship Manager" in not_listed
    with using("id"):
        assert gettext(policy.USER_GONE).startswith("User ID Anda sudah tidak terdaftar.")
    assert gettext(policy.USER_GONE) == policy.USER_GONE  # outside, the default language


def test_a_message_keeps_its_values_in_either_language_and_an_unknown_text_reads_as_written():
    text = _("Your session has ended. Please log in again.")
    assert text.render("id") == "Sesi Anda telah berakhir. Silakan login kembali."
    assert str(text) == "Your session has ended. Please log in again."
    untranslated = Message("Order {number} for {buyer}", {"number": "KP-00000042", "buyer": "Toko <b>"})
    assert untranslated.render("id") == "Order KP-00000042 for Toko <b>"  # values as given, never markup


@pytest.mark.parametrize("count, english", [(1, "1 order waits"), (3, "3 orders wait")])
def test_plural_forms_follow_each_language(count, english):
    message = _n("{count} order waits", "{count} orders wait", count)
    assert message.render("en") == english
    assert message.render("id") == english  # not in the catalogue: the code's English, its plural chosen


def test_an_unknown_language_reads_in_the_default_one():
    with using("fr") as chosen:
        assert chosen == i18n.DEFAULT_LANGUAGE
        assert gettext(policy.SESSION_ENDED) == policy.SESSION_ENDED


def test_a_refusal_keeps_one_meaning_in_both_languages():
    from core.errors import AccessDenied, InvalidInput

    blocked = AccessDenied(policy.BLOCKED_MESSAGE)
    assert blocked.message == str(blocked) == policy.BLOCKED_MESSAGE
    assert blocked.text("id").startswith("User ID Anda diblokir.")
    with using("id"):
        assert blocked.message.startswith("User ID Anda diblokir.")
        assert str(blocked) == policy.BLOCKED_MESSAGE  # logs and tracebacks stay in English
    typed = InvalidInput("Product {RICE} {} is not on sale.", field="sku")  # braces someone typed
    assert typed.text("id") == typed.message == "Product {RICE} {} is not on sale." and typed.field == "sku"


def test_the_portal_reads_in_indonesian_unless_kopra_language_says_otherwise():
    import os
    import subprocess
    import sys

    from core.config import ConfigError, load_settings

    asked = "from core import i18n; print(i18n.DEFAULT_LANGUAGE)"
    env = {key: value for key, value in os.environ.items() if key != "KOPRA_LANGUAGE"}
    run = subprocess.run([sys.executable, "-c", asked], env=env, capture_output=True, text=True, cwd=PROJECT_ROOT)
    assert run.stdout.strip() == "id", run.stderr
    run = subprocess.run(
        [sys.executable, "-c", asked],
        env={**env, "KOPRA_LANGUAGE": "en"},
        capture_output=True,
        text=True,
        cwd=PROJECT_ROOT,
    )
    assert run.stdout.strip() == "en", run.stderr
    with pytest.raises(ConfigError, match="KOPRA_LANGUAGE must be one of id, en"):
        load_settings({"KOPRA_LANGUAGE": "fr"})
