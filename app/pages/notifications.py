"""Notifications (every logged-in user): what the user was told of, newest first, unread ones marked;
each opens what it is about (an order in Sales Management); mark one read, or all of them.

Reached from the bell in the sidebar (app/ui/notifications.py). The System Administrator, who has
no Settings page, chooses here what also comes by email; the Product Manager does in Settings.
Thin: each button calls one core.notifications.inbox service; sentences are shown as plain text.
"""

from __future__ import annotations

import streamlit as st

from app.bootstrap import get_store
from app.session import ROLE_PAGES, require_actor
from app.ui.actions import attempt, read_or_stop, rerun_saying
from app.ui.formats import count, local_time
from app.ui.notifications import preferences_section
from app.ui.plain import typed
from core.clock import utc_now
from core.domain import NotificationKind, Role
from core.i18n import N_, _, gettext
from core.notifications import inbox
from core.notifications.inbox import NotificationView

actor = require_actor(Role.SYSTEM_ADMINISTRATOR, Role.PRODUCT_MANAGER)
store = get_store()
SHOWN = 50  # the newest this many
SALES = "pages/sales_management.py"
#: Where a notification that is not about an order leads, if the user's menu has that page (its file
#: and its menu title).
PAGE_OF_KIND = {
    NotificationKind.LOW_STOCK: ("product_management.py", N_("Product Management")),
    NotificationKind.CLOSURE_TOMORROW: ("warehouse_management.py", N_("Warehouse Management")),
    NotificationKind.PAYOUT_ACCOUNT_CHANGED: ("company_profile.py", N_("Company Profile")),
}
MY_PAGES = {spec.file for spec in ROLE_PAGES[actor.role]}


def open_it(note: NotificationView) -> None:
    """Mark it read and go to what it is about."""
    attempt(lambda: inbox.mark_read(store, actor, note.id, now=utc_now()))
    if note.order_number:
        st.switch_page(SALES, query_params={"order": note.order_number})
    st.switch_page(f"pages/{PAGE_OF_KIND[note.kind][0]}")


def where_it_leads(note: NotificationView) -> str | None:
    """The label of the button that opens what it is about, if this user may open it."""
    if note.order_number and "sales_management.py" in MY_PAGES:
        return _("Open order {number}", number=note.order_number).render()
    page = PAGE_OF_KIND.get(note.kind)
    if not note.order_number and page and page[0] in MY_PAGES:
        return _("Open {page}", page=gettext(page[1])).render()
    return None


def show(note: NotificationView) -> None:
    with st.container(border=True, key=f"note_{note.id}"):
        text, buttons = st.columns([5, 2], vertical_alignment="center")
        when = local_time(note.created_at, note.time_zone)
        if note.read:
            text.markdown(f"{typed(note.title)} · {when}  \n{typed(note.sentence)}")
        else:
            unread_word = gettext("unread")
            text.markdown(f"● **{typed(note.title)}** · {when} · {unread_word}  \n{typed(note.sentence)}")
        label = where_it_leads(note)
        if label and buttons.button(label, key=f"open_{note.id}", icon=":material/open_in_new:", width="stretch"):
            open_it(note)
        if not note.read and buttons.button(gettext("Mark read"), key=f"read_{note.id}", width="stretch"):
            if attempt(lambda: inbox.mark_read(store, actor, note.id, now=utc_now())):
                st.rerun()


st.title(gettext("Notifications"))
notes = read_or_stop(lambda: inbox.recent(store, actor, now=utc_now(), limit=SHOWN))
unread = sum(not note.read for note in notes)
summary, mark_all = st.columns([5, 2], vertical_alignment="center")
summary.caption(
    _(
        "{unread} unread among your latest {latest}, newest first. The bell in the menu counts new ones by itself.",
        unread=count(unread),
        latest=count(len(notes)),
    ).render()
    if notes
    else gettext("Nothing yet. The bell in the menu counts new notifications as they come.")
)
if mark_all.button(gettext("Mark all read"), key="read_all", disabled=not unread, width="stretch"):
    marked = attempt(lambda: inbox.mark_all_read(store, actor, now=utc_now(), newest_seen=max(n.id for n in notes)))
    if marked.value is not None:
        rerun_saying(_("{count} marked read.", count=count(marked.value)).render())
for note in notes:
    show(note)

st.divider()
if "settings.py" in MY_PAGES:
    st.page_link(
        "pages/settings.py",
        label=gettext("Which notifications also come by email: Settings"),
        icon=":material/mail:",
    )
else:  # the System Administrator has no Settings page
    preferences_section(actor, key="notes_prefs")
