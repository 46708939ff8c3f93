"""Every page in both languages: nothing of the catalogue's English leaks into an Indonesian page, the
switch on the login page and in the sidebar, and the user's choice kept in the store.

The leak check reads every text the page sends to the browser (each element's labels, help texts,
options, values, table headers, chart specs: every string field of its message) and looks there for
the catalogue's English msgids whose Indonesian differs: a whole text equal to one, or a msgid of
three words or more inside one. The same check over the English page finds plenty, which proves it
looks where the texts are.
"""

from __future__ import annotations

import json
import re
from functools import cache

import pytest
from babel.messages.pofile import read_po
from google.protobuf.message import Message as Proto
from sqlalchemy import select

from core import i18n
from core.accounts import policy
from core.demo.seed import DEMO_COMPANY_CODE, DEMO_PASSWORD
from core.domain import Role
from core.i18n import gettext
from core.store.models import User
from tests.app.conftest import new_app_test

CATALOGUE = i18n.LOCALE_DIR / "id" / "LC_MESSAGES" / "messages.po"

#: Every page a Product Manager or a System Administrator opens, by who opens it.
PAGES = [
    ("pm", "pages/dashboard.py"),
    ("pm", "pages/product_management.py"),
    ("pm", "pages/sales_management.py"),
    ("pm", "pages/transaction_history.py"),
    ("pm", "pages/settings.py"),
    ("pm", "pages/notifications.py"),
    ("admin", "pages/warehouse_management.py"),
    ("admin", "pages/company_profile.py"),
    ("admin", "pages/notifications.py"),
]


@cache
def english_texts() -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The catalogue's msgids that read differently in Indonesian, split by placeholders into their
    literal parts: (whole texts, parts of three words or more that the Indonesian does not keep)."""
    with CATALOGUE.open("rb") as handle:
        catalogue = read_po(handle, locale="id")
    whole, long_parts = set(), set()
    for message in catalogue:
        msgid = message.id[0] if isinstance(message.id, tuple) else message.id
        translated = message.string[0] if isinstance(message.string, tuple) else message.string
        if not msgid or not translated or translated == msgid:
            continue
        parts = [part.strip(" .,:;") for part in i18n.PLACEHOLDER.split(msgid)[::2]]
        if len(parts) == 1:
            whole.add(parts[0])
        # A part the Indonesian keeps as it is ("· User ID") is no leak.
        long_parts.update(part for part in parts if _words(part) >= 3 and part not in translated)
    return tuple(sorted(whole)), tuple(sorted(long_parts))


def _words(text: str) -> int:
    return len(re.findall(r"[A-Za-z]{2,}", text))


def strings_of(proto: Proto) -> list[str]:
    """Every string field of an element's message, nested ones included; a JSON string (a chart's
    spec, a table's column settings) gives the strings among its values, not its keys."""
    found: list[str] = []
    for _field, value in proto.ListFields():
        values = value if isinstance(value, (list, tuple)) or hasattr(value, "extend") else [value]
        for item in values:
            if isinstance(item, Proto):
                found.extend(strings_of(item))
            elif isinstance(item, str):
                found.extend(_json_values(item) if item.startswith(("{", "[")) else [item])
    return found


def _json_values(text: str) -> list[str]:
    try:
        parsed = json.loads(text)
    except ValueError:
        return [text]
    values: list[str] = []

    def walk(node) -> None:
        if isinstance(node, dict):
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)
        elif isinstance(node, str):
            values.append(node)

    walk(parsed)
    return values


def _column_names(element) -> list[str]:
    """A table's column names as the person reads them: a column's label, or its own name."""
    settings = json.loads(element.proto.columns or "{}")
    shown = []
    for column in element.value.columns:
        setting = settings.get(str(column)) or {}
        if not setting.get("hidden"):
            shown.append(setting.get("label") or str(column))
    return shown


def shown(at) -> list[str]:
    """What the page sent: every element's strings, and the column names its tables show."""
    texts: list[str] = []

    def visit(node) -> None:
        proto = getattr(node, "proto", None)
        if isinstance(proto, Proto):
            texts.extend(strings_of(proto))
        for child in getattr(node, "children", {}).values():
            visit(child)

    visit(at._tree)
    for table in at.dataframe:
        texts.extend(_column_names(table))
    return [text.strip() for text in texts if text.strip()]


def leaks(texts: list[str]) -> set[str]:
    whole, long_parts = english_texts()
    whole_set = set(whole)
    found = {text for text in texts if text.strip(" .,:;") in whole_set}
    blob = "\n".join(texts)
    found.update(part for part in long_parts if part in blob)
    return found


def _open(app_as, user: str, page: str, language: str):
    app = app_as(user, run=False)
    app.at.session_state["language"] = language
    app.at.run()
    app.at.switch_page(page).run()
    assert not app.at.exception, app.at.exception
    return app.at


@pytest.mark.parametrize(("user", "page"), PAGES, ids=[f"{user}-{page.split('/')[-1][:-3]}" for user, page in PAGES])
def test_every_page_reads_in_indonesian_with_no_english_left(app_as, user, page):
    indonesian = shown(_open(app_as, user, page, "id"))
    assert not leaks(indonesian), f"English left on {page} in Indonesian: {sorted(leaks(indonesian))}"
    english = shown(_open(app_as, user, page, "en"))
    assert leaks(english), "the check found no catalogue text on the English page: it reads the wrong texts"


#: Product Management's tabs other than the first (only the open tab is drawn), by their msgids, with
#: what only that tab draws.
PRODUCT_TABS = {
    "Stock & prices": lambda at: at.data_editor,
    "Add product": lambda at: at.text_input(key="pm_add_sku_0"),
    "CSV import / export": lambda at: at.file_uploader(key="pm_import_file_0"),
}


@pytest.mark.parametrize("tab", PRODUCT_TABS)
def test_every_product_management_tab_reads_in_indonesian_with_no_english_left(app_as, tab):
    def opened(language: str):
        at = _open(app_as, "pm", "pages/product_management.py", language)
        at.session_state["pm_tab"] = gettext(tab, language)
        at.run()
        assert not at.exception, at.exception
        assert PRODUCT_TABS[tab](at)  # the tab is the one drawn
        return shown(at)

    indonesian = opened("id")
    assert not leaks(indonesian), f"English left on the tab {tab} in Indonesian: {sorted(leaks(indonesian))}"
    assert leaks(opened("en"))


def test_the_login_page_reads_in_indonesian_and_switches_to_english(demo_store):
    at = new_app_test()
    at.session_state["language"] = "id"
    at.run()
    assert not leaks(shown(at))
    assert "Portal penjual · Kopra by Mandiri" in [caption.value for caption in at.caption]

    at.button_group(key="login_language").set_value("en").run()
    assert "Seller portal · Kopra by Mandiri" in [caption.value for caption in at.caption]
    assert at.session_state["language"] == "en"


@pytest.mark.parametrize("language", ["id", "en"])
def test_the_blocked_user_is_told_in_the_bank_words_of_either_language(demo_store, language):
    message = _refusal_at_login(DEMO_COMPANY_CODE, "blocked", DEMO_PASSWORD, language)
    assert message == gettext(policy.BLOCKED_MESSAGE, language)
    assert "Relationship Manager" in message and "Mandiri Call 14000" in message
    assert ("diblokir" if language == "id" else "blocked") in message


@pytest.mark.parametrize("language", ["id", "en"])
def test_a_company_not_on_the_whitelist_is_told_in_the_bank_words_of_either_language(demo_store, language):
    demo_store.add_user("NOWL01", "rina", Role.PRODUCT_MANAGER, whitelisted=False)
    message = _refusal_at_login("NOWL01", "rina", DEMO_PASSWORD, language)
    assert message == gettext(policy.NOT_WHITELISTED_MESSAGE, language)
    assert "Relationship Manager" in message and "whitelist" in message
    assert ("terdaftar" if language == "id" else "registered") in message


def _refusal_at_login(company: str, user: str, password: str, language: str) -> str:
    at = new_app_test()
    at.session_state["language"] = language
    at.run()
    at.text_input(key="login_company").input(company)
    at.text_input(key="login_user").input(user)
    at.text_input(key="login_password").input(password)
    at.button[0].click().run()
    assert not at.exception, at.exception
    return " ".join(error.value for error in at.error)


def test_the_sidebar_switch_keeps_the_choice_for_the_user(app_as):
    app = app_as("pm", page="pages/settings.py")
    assert app.at.session_state["language"] == i18n.DEFAULT_LANGUAGE
    app.at.button_group(key="sidebar_language").set_value("id").run()
    assert not app.at.exception
    with app.store.reading() as session:
        user = session.scalar(select(User).where(User.user_code == "pm"))
        assert user.language == "id"

    # A new browser session of the same user (no cookie, no choice of its own) reads in their language.
    again = new_app_test()
    again.session_state["session_token"] = app.token
    again.run()
    assert again.session_state["language"] == "id"
    assert not leaks(shown(again))


def test_a_user_who_never_chose_reads_in_the_browsers_language(app_as):
    app = app_as("admin", run=False)
    app.at.session_state["language"] = "id"
    app.at.run()
    assert app.at.session_state["language"] == "id"
    with app.store.reading() as session:
        admin = session.scalar(select(User).where(User.user_code == "admin", User.role == Role.SYSTEM_ADMINISTRATOR))
        assert admin.language is None  # nothing chosen, nothing stored


def test_a_language_chosen_on_the_login_page_becomes_the_users_choice(demo_store):
    at = new_app_test()
    at.run()
    at.button_group(key="login_language").set_value("id").run()
    at.text_input(key="login_company").input(DEMO_COMPANY_CODE)
    at.text_input(key="login_user").input("pm")
    at.text_input(key="login_password").input(DEMO_PASSWORD)
    at.button[0].click().run()
    assert not at.exception, at.exception
    assert at.session_state["language"] == "id"
    with demo_store.store.reading() as session:
        assert session.scalar(select(User.language).where(User.user_code == "pm")) == "id"
