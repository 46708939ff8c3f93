"""Notifications in the portal (issue 13), in AppTest on a throw-away demo store: the bell in every
page's sidebar counts the unread ones and leads to the Notifications page; the page lists them newest
first with the unread ones marked, opens the order one is about in Sales Management, marks one or all
read; typed text in a sentence shows as plain text; both roles have the page, and each role chooses
what also comes by email (the Product Manager in Settings, the System Administrator on the page).
Rows are written directly, as the code that creates them would."""

from __future__ import annotations

import email
import json
import re
from datetime import timedelta
from email import policy

import pytest
from sqlalchemy import select

from app.ui.notifications import tab_title
from core.acting import Actor
from core.clock import utc_now
from core.demo.seed import DEMO_COMPANY_CODE
from core.domain import NotificationKind, Role
from core.orders import buyer_channel as buyers
from core.store.models import Company, Notification, NotificationPreference, Order, User
from tests.app.markup import as_read, assert_shown_as_typed, shows
from tests.app.screen import errors, run, successes, texts

PAGE = "pages/notifications.py"
LOW_STOCK = NotificationKind.LOW_STOCK
CLOSURE = NotificationKind.CLOSURE_TOMORROW
#: Typed text as a product's name or a closure's reason could carry it (tests/app/markup.py reads it).
LINK = "[Click here](https://evil.example/login) ![px](http://127.0.0.1:9/t.png)"
MARKS = "**EVIL bold** :red[EVIL] :material/skull: $x^2$ <b>EVIL</b> www.evil.example"


def user(store, user_code: str) -> Actor:
    with store.reading() as session:
        company = session.scalar(select(Company).where(Company.company_code == DEMO_COMPANY_CODE))
        row = session.scalar(select(User).where(User.company_id == company.id, User.user_code == user_code))
        return Actor(row.id, company.id, DEMO_COMPANY_CODE, user_code, Role(row.role))


def note(store, actor: Actor, kind, minutes_ago: int, *, facts=None, order_number=None, read=False) -> int:
    at = utc_now() - timedelta(minutes=minutes_ago)
    with store.transaction() as session:
        order_id = session.scalar(select(Order.id).where(Order.order_number == order_number)) if order_number else None
        row = Notification(
            user_id=actor.user_id,
            company_id=actor.company_id,
            kind=kind,
            subject=f"test:{kind}:{minutes_ago}",
            order_id=order_id,
            facts=json.dumps(facts or {}),
            created_at=at,
            read_at=at if read else None,
        )
        session.add(row)
        session.flush()
        return row.id


def read_at(store, notification_id: int):
    with store.reading() as session:
        return session.get(Notification, notification_id).read_at


def stock(product: str, available: int) -> dict:
    return {"sku": "SPN-0001", "product": product, "unit": "pcs", "warehouse": "JKT-01", "available": available}


def place_order(store) -> str:
    """A buyer's order: it tells every Product Manager of the company (core.notifications.notify)."""
    return buyers.place_order(
        store,
        buyer_code="LVM-00003",
        company_code=DEMO_COMPANY_CODE,
        warehouse_code="JKT-01",
        lines=[buyers.OrderLine("SPN-0001", 1)],
        now=utc_now(),
    ).order_number


def said(sentences: list[str]) -> list[str]:
    """Alerts as a person reads them (typed text in them is escaped for Markdown)."""
    return [as_read(sentence) for sentence in sentences]


def bell(at):
    [link] = at.sidebar.get("page_link")
    return link.proto


def cards(at) -> list[str]:
    """The notifications on the page, top to bottom (each one's Markdown)."""
    return [m.value for m in at.main.markdown if " · " in m.value and "  \n" in m.value]


@pytest.fixture
def pm_notes(app_as):
    """The Product Manager with three notifications: two unread, the oldest read."""
    app = app_as("pm", run=False)
    pm = user(app.store, "pm")
    ids = {
        "oldest": note(app.store, pm, LOW_STOCK, 30, facts=stock("Sabun Cair", 2), read=True),
        "middle": note(app.store, pm, LOW_STOCK, 20, facts=stock("Minyak Goreng", 1)),
        "newest": note(app.store, pm, LOW_STOCK, 10, facts=stock("Gula Pasir", 0)),
    }
    note(app.store, user(app.store, "admin"), CLOSURE, 5, facts={"warehouse": "JKT-01"})  # a colleague's
    run(app)
    return app, ids


def test_the_bell_counts_the_user_s_unread_and_leads_to_the_notifications_page(pm_notes):
    app, _ = pm_notes
    link = bell(app.at)
    assert (link.label, link.help, link.page) == ("Notifications (2)", "2 unread", "notifications")
    assert link.icon == ":material/notifications_active:"
    app.at.switch_page(PAGE)
    at = run(app)
    assert [t.value for t in at.title] == ["Notifications"]
    assert bell(at).label == "Notifications (2)"  # on every page, this one too


def test_the_page_lists_newest_first_with_the_unread_marked(pm_notes):
    app, _ = pm_notes
    app.at.switch_page(PAGE)
    at = run(app)
    shown = cards(at)
    assert [re.search(r"Gula Pasir|Minyak Goreng|Sabun Cair", text).group() for text in shown] == [
        "Gula Pasir",
        "Minyak Goreng",
        "Sabun Cair",
    ]
    assert ["unread" in text for text in shown] == [True, True, False]
    assert all(text.split(" · ")[0].strip("● *") == "Low stock" for text in shown)
    assert "Gula Pasir (SPN-0001) is sold out" in shown[0]
    assert "2 unread among your latest 3, newest first." in texts(at)
    assert "WIB" in shown[0]  # the time, in the company's zone
    assert [b.label for b in at.main.button] == [
        "Mark all read",
        "Open Product Management",
        "Mark read",
        "Open Product Management",
        "Mark read",
        "Open Product Management",
    ]


def test_mark_read_marks_that_one_and_mark_all_read_the_rest(pm_notes):
    app, ids = pm_notes
    app.at.switch_page(PAGE)
    at = run(app)
    at.button(key=f"read_{ids['middle']}").click()
    at = run(app)
    assert read_at(app.store, ids["middle"]) is not None and read_at(app.store, ids["newest"]) is None
    assert ["unread" in text for text in cards(at)] == [True, False, False]
    assert bell(at).label == "Notifications (1)"
    at.button(key="read_all").click()
    at = run(app)
    assert successes(at) == ["1 marked read."]
    assert read_at(app.store, ids["newest"]) is not None
    assert not any("unread" in text for text in cards(at))
    assert at.button(key="read_all").disabled
    assert (bell(at).label, bell(at).help) == ("Notifications", "Nothing unread")


def test_a_notification_about_an_order_opens_it_in_sales_management_and_is_read(app_as):
    app = app_as("pm", run=False)
    number = place_order(app.store)  # the Product Manager is told of it
    run(app)
    assert bell(app.at).label == "Notifications (1)"
    app.at.switch_page(PAGE)
    at = run(app)
    [shown] = cards(at)
    assert f"New order {number}" in shown and "unread" in shown
    next(b for b in at.main.button if b.label == f"Open order {number}").click()
    at = run(app)
    assert [t.value for t in at.title] == ["Sales Management"]
    assert at.query_params["order"] == number
    assert f"**Open order:** {number}" in [m.value for m in at.markdown]
    assert bell(at).label == "Notifications"


def test_typed_text_in_a_sentence_shows_as_plain_text(app_as):
    app = app_as("pm", run=False)
    note(app.store, user(app.store, "pm"), LOW_STOCK, 1, facts=stock(LINK, 3))
    note(app.store, user(app.store, "pm"), LOW_STOCK, 2, facts=stock(MARKS, 1))
    run(app)
    app.at.switch_page(PAGE)
    at = run(app)
    seen = assert_shown_as_typed(at.main, "Notifications")
    assert shows(seen, LINK) and shows(seen, MARKS)
    assert_shown_as_typed(at.sidebar, "the sidebar with the bell")


def test_the_system_administrator_has_the_page_and_chooses_email_there(app_as):
    app = app_as("admin", run=False)
    admin = user(app.store, "admin")
    note(app.store, admin, CLOSURE, 3, facts={"warehouse": "JKT-01", "day": "2026-12-24", "reason": LINK})
    note(app.store, user(app.store, "pm"), LOW_STOCK, 1, facts=stock("Gula", 1))  # not theirs
    run(app)
    assert bell(app.at).label == "Notifications (1)"
    app.at.switch_page(PAGE)
    at = run(app)
    [shown] = cards(at)
    assert "Warehouse JKT-01 is closed tomorrow, 24 Dec 2026" in shown
    assert [b.label for b in at.main.button][:2] == ["Mark all read", "Open Warehouse Management"]
    assert shows(assert_shown_as_typed(at.main, "Notifications (administrator)"), LINK)
    assert [e.label for e in at.main.expander] == ["Notifications by email"]
    assert [c.label for c in at.main.checkbox] == ["Warehouse closed tomorrow", "Payout account changed"]


def test_nobody_logged_out_reaches_the_page(logged_out_app):
    with pytest.raises(ValueError, match="Could not find a navigation page"):
        logged_out_app.switch_page(PAGE)


def test_the_tab_title_counts_what_is_unread():
    assert tab_title(0) == "Kopra Partnership"
    assert tab_title(3) == "(3) Kopra Partnership"
    assert tab_title(1200) == "(99+) Kopra Partnership"


# --- email preferences in Settings ------------------------------------------------------------------


def code_sent_to(settings, address: str) -> str:
    """The 6-digit code in the newest mail to `address` (no mail server in tests: .eml files)."""
    mails = sorted(settings.mail_outbox_dir.glob("*.eml"))
    for path in reversed(mails):
        message = email.message_from_bytes(path.read_bytes(), policy=policy.default)
        if message["To"] == address:
            return re.search(r"^\s+(\d{6})\s*$", message.get_body(("plain",)).get_content(), re.M).group(1)
    raise AssertionError(f"no mail to {address} among {mails}")


def preference_row(store, actor: Actor) -> NotificationPreference | None:
    with store.reading() as session:
        return session.get(NotificationPreference, actor.user_id)


def test_settings_confirms_an_address_by_a_code_and_saves_what_comes_by_email(app_as):
    app = app_as("pm", page="pages/settings.py")
    at = app.at
    assert "Notifications by email" in [e.label for e in at.main.expander]
    assert "No email address is confirmed yet: notifications show here only." in texts(at)
    at.text_input(key="settings_notes_email").input("putri@maju.co.id")
    next(b for b in at.button if b.label == "Send a code").click()
    at = run(app)
    assert said(successes(at)) == ["A code is on its way to putri@maju.co.id. Enter it below within 15 minutes."]
    code = code_sent_to(app.settings, "putri@maju.co.id")

    at.text_input(key="settings_notes_code").input("000000" if code != "000000" else "111111")
    next(b for b in at.button if b.label == "Confirm the address").click()
    at = run(app)
    assert said(errors(at)) == ["That code is not right; 4 more tries before you must ask for a new code."]
    at.text_input(key="settings_notes_code").input(code)
    next(b for b in at.button if b.label == "Confirm the address").click()
    at = run(app)
    assert said(successes(at)) == ["putri@maju.co.id is confirmed: the notifications you chose come there."]
    assert "Notification email goes to **putri@maju.co.id** (confirmed)." in as_read(texts(at))

    at.checkbox(key="settings_notes_kind_LOW_STOCK").uncheck()
    at.radio(key="settings_notes_when").set_value("One email a day (a digest)")
    next(b for b in at.button if b.label == "Save email choices").click()
    at = run(app)
    pm = user(app.store, "pm")
    row = preference_row(app.store, pm)
    assert row.email == "putri@maju.co.id" and row.email_verified_at is not None
    assert row.digest and "LOW_STOCK" not in row.email_kinds.split(",") and "NEW_ORDER" in row.email_kinds
    assert successes(at)[0].startswith("Saved: ") and successes(at)[0].endswith("in one daily digest.")
    assert not at.checkbox(key="settings_notes_kind_LOW_STOCK").value

    next(b for b in at.button if b.label == "Stop email").click()
    at = run(app)
    assert successes(at) == ["No more notification email; every notification still shows here."]
    assert preference_row(app.store, pm).email is None


def test_settings_refuses_what_is_not_an_email_address_in_words(app_as):
    app = app_as("pm", page="pages/settings.py")
    at = app.at
    at.text_input(key="settings_notes_email").input("[x](https://evil.example)")
    next(b for b in at.button if b.label == "Send a code").click()
    at = run(app)
    assert said(errors(at)) == [
        "'[x](https://evil.example)' is not an email address; write it like name@company.co.id."
    ]
    assert not list(app.settings.mail_outbox_dir.glob("*.eml"))
    assert_shown_as_typed(at.main, "Settings with a refused address")
