"""Transaction History (Product Manager): completed sales, one row per product line with its order's
payout, with filters, totals of the whole filtered set, paging, and a CSV export of the whole
filtered set. Reads the analytics snapshot through core.analytics; the page reads input, calls
core, and shows.

The grid offers no download of its own: Streamlit's grid toolbar would download only the page on
screen, beside the real export of the whole filtered set. Streamlit 1.67 has no per-grid switch
for it (only `client.disableDataExport`, which would take it, and clipboard copy, off every grid of
the app), so a style scoped to this grid's container hides that one button
(tests/e2e/test_analytics_pages.py checks it in Chromium).

Every word reads in the reader's language (core.i18n); the grid keeps English column names (the
tests read them) and shows them translated (column_config)."""

from __future__ import annotations

import os
import time
from datetime import timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import streamlit as st

from app.analytics_refresh import refresh_button
from app.bootstrap import get_analytics, get_store
from app.session import require_actor
from app.ui.actions import attempt, read_or_stop
from app.ui.formats import (
    DATE_INPUT_FORMAT,
    NONE,
    calendar_day,
    count,
    duration,
    local_time,
    rupiah,
    rupiah_short,
    wall_time,
)
from app.ui.plain import say
from core.analytics.export import export_history_csv
from core.analytics.history import (
    PAYOUT_STATUS_LABELS,
    HistoryFilters,
    HistoryPage,
    history_options,
    load_history,
    payout_status_label,
)
from core.analytics.scope import Period
from core.clock import utc_now
from core.domain import PayoutStatus, Role
from core.errors import DomainError
from core.formats import format_megabytes
from core.i18n import N_, _, _n, gettext

actor = require_actor(Role.PRODUCT_MANAGER)
store = get_store()
analytics = get_analytics()
now = utc_now()
PAGE_SIZE = 50
EXPORTS = analytics.directory / "exports"
FILTERS, PAGE, EXPORT = "history_filters", "history_page", "history_export"
ROWS = "history_rows"  # the grid's container: its key is the CSS class `st-key-history_rows`
#: Hides the grid toolbar's "Download as CSV" (it would download only this page), nothing else.
NO_PAGE_DOWNLOAD = (
    f'<style>.st-key-{ROWS} [data-testid="stElementToolbar"] button[aria-label^="Download as CSV"]'
    "{display: none !important;}</style>"
)
#: The grid's column names (its keys, in English) as the reader reads them: st.column_config labels.
COLUMNS = (
    N_("Completed"),
    N_("Order"),
    N_("Warehouse"),
    N_("Buyer"),
    N_("Product"),
    N_("SKU"),
    N_("Qty"),
    N_("Unit price"),
    N_("Line total"),
    N_("Payout"),
    N_("Paid"),
    N_("Transfer reference"),
)
#: The pager's buttons, by their English names (their widget keys).
MOVES = (N_("First"), N_("Previous"), N_("Next"), N_("Last"))
FILE_NAME = N_("transaction-history")  # the exported file's name, before its period

st.title(gettext("Transaction History"))


def no_figures_yet(problem: DomainError) -> None:
    """No snapshot to show yet (e.g. before the first sync): say so, and offer to make one now."""
    say("info", problem.message)
    refresh_button(actor, "history_refresh_empty")


options = read_or_stop(lambda: history_options(store, analytics, actor), show=no_figures_yet)

today = now.astimezone(ZoneInfo("Asia/Jakarta")).date()
with st.form("history_filter_form"):
    a, b, c = st.columns([2, 2, 2])
    period = a.date_input(
        gettext("Completed between"), value=(today - timedelta(days=29), today), format=DATE_INPUT_FORMAT
    )
    warehouses = {gettext("All warehouses"): None} | {
        f"{w.code} · {w.name} ({w.zone_abbr})": w.code for w in options.warehouses
    }
    warehouse = b.selectbox(gettext("Warehouse"), list(warehouses))
    products = {gettext("All products"): None} | {f"{name} ({sku})": sku for sku, name in options.products}
    product = c.selectbox(gettext("Product"), list(products))
    d, e, f, g = st.columns([2, 2, 1, 1])
    buyers = {gettext("All buyers"): None} | {f"{name} ({code})": code for code, name in options.buyers}
    buyer = d.selectbox(gettext("Buyer"), list(buyers))
    payouts = {gettext("All payouts"): None} | {
        gettext(label): PayoutStatus(status) for status, label in PAYOUT_STATUS_LABELS.items()
    }
    payout = e.selectbox(gettext("Payout"), list(payouts))
    low = f.number_input(gettext("Order total from (Rp)"), min_value=0, value=None, step=10_000, format="%d")
    high = g.number_input(gettext("Order total up to (Rp)"), min_value=0, value=None, step=10_000, format="%d")
    if st.form_submit_button(gettext("Show"), type="primary"):
        if not isinstance(period, tuple) or len(period) != 2:
            st.error(gettext("Choose the first and the last day of the period."))
        else:
            st.session_state[FILTERS] = dict(
                start=period[0],
                end=period[1],
                warehouse_code=warehouses[warehouse],
                product_sku=products[product],
                buyer_code=buyers[buyer],
                min_total=None if low is None else int(low),
                max_total=None if high is None else int(high),
                payout_status=payouts[payout],
            )
            st.session_state[PAGE] = {"page": 1}
            st.session_state.pop(EXPORT, None)

chosen = st.session_state.get(FILTERS) or dict(start=today - timedelta(days=29), end=today)
# Previous/Next seek from the row at the page's edge (fast at any depth); First/Last count from an end.
position = st.session_state.get(PAGE) or {"page": 1}
filters = read_or_stop(
    lambda: HistoryFilters(
        Period(chosen["start"], chosen["end"]), **{k: v for k, v in chosen.items() if k not in ("start", "end")}
    )
)
history: HistoryPage = read_or_stop(
    lambda: load_history(
        store,
        analytics,
        actor,
        filters,
        page=position["page"],
        page_size=PAGE_SIZE,
        after=position.get("after"),
        before=position.get("before"),
    )
)

covered = _(
    "Completed sales whose completion falls between {start} and {end} (each warehouse's local date); "
    "times in the warehouse's local time.",
    start=calendar_day(filters.period.start),
    end=calendar_day(filters.period.end),
)
as_of = _(
    "Figures as of {time} ({duration} ago).",
    time=local_time(history.info.synced_at, "Asia/Jakarta"),
    duration=duration(now - history.info.synced_at),
)
st.caption(f"{covered} {as_of}")

totals = history.totals
t1, t2, t3, t4 = st.columns(4)
t1.metric(gettext("Orders"), count(totals.orders), border=True)
t2.metric(gettext("Product lines"), count(totals.lines), border=True)
t3.metric(gettext("Units"), count(totals.units), border=True)
t4.metric(gettext("Amount"), rupiah_short(totals.amount), border=True, help=rupiah(totals.amount))

if not history.rows:
    st.info(gettext("No completed sales match these filters."))
else:
    st.html(NO_PAGE_DOWNLOAD)
    # Cells are plain text in a grid (app/ui/plain.py): buyer and product names and the bank's
    # transfer reference show exactly as typed.
    st.container(key=ROWS).dataframe(
        [
            {
                "Completed": wall_time(row.local(row.completed_at), row.zone_abbr),
                "Order": row.order_number,
                "Warehouse": row.warehouse_code,
                "Buyer": row.buyer_name,
                "Product": row.product_name,
                "SKU": row.sku,
                "Qty": row.quantity,
                "Unit price": rupiah(row.unit_price),
                "Line total": rupiah(row.line_total),
                "Payout": payout_status_label(row.payout_status) or NONE,
                "Paid": wall_time(row.local(row.paid_at), row.zone_abbr) if row.paid_at else NONE,
                "Transfer reference": row.transfer_reference or NONE,
            }
            for row in history.rows
        ],
        hide_index=True,
        width="stretch",
        column_config={name: st.column_config.Column(gettext(name)) for name in COLUMNS},
    )

    first, previous, where, following, last = st.columns([1, 1, 2, 1, 1])
    moves = {
        "First": (first, history.page <= 1, {"page": 1}, ":material/first_page:"),
        "Previous": (
            previous,
            history.page <= 1,
            {"page": history.page - 1, "before": history.first_key},
            ":material/chevron_left:",
        ),
        "Next": (
            following,
            history.page >= history.page_count,
            {"page": history.page + 1, "after": history.last_key},
            ":material/chevron_right:",
        ),
        "Last": (last, history.page >= history.page_count, {"page": history.page_count}, ":material/last_page:"),
    }
    at_page = _("Page {page} of {pages}", page=count(history.page), pages=count(history.page_count))
    where.markdown(f"<div style='text-align:center'>{at_page}</div>", unsafe_allow_html=True)
    for name, (column, disabled, target, icon) in moves.items():
        if column.button(gettext(name), disabled=disabled, icon=icon, key=f"history_{name.lower()}"):
            st.session_state[PAGE] = target
            st.rerun()

# --- export: the whole filtered set --------------------------------------------------------------
st.subheader(gettext("Export"))
st.caption(
    gettext(
        "A CSV file of every line of the filtered set, not just this page, with each order's payout: "
        "UTF-8 with a byte-order mark, so Excel shows every name as typed, and a header row."
    )
)
for_scripts = st.checkbox(
    gettext("Column names for scripts (stable, in English)"),
    key="history_machine_header",
    help=gettext("Leave it off for a file people read: its column names are in the language you read."),
)
if st.button(gettext("Prepare CSV"), icon=":material/download:", disabled=totals.lines == 0):
    EXPORTS.mkdir(parents=True, exist_ok=True)
    for old in EXPORTS.glob("*.csv"):  # files left by earlier exports, after an hour
        if time.time() - old.stat().st_mtime > 3600:
            old.unlink(missing_ok=True)
    target = EXPORTS / f"history-{actor.company_code}-{os.getpid()}-{time.monotonic_ns()}.csv"
    exported = attempt(
        lambda: export_history_csv(
            store, analytics, actor, filters, target, header="machine" if for_scripts else "reader"
        ),
        spinner=_("Writing the file…"),
    )
    if exported:
        previous_file = st.session_state.get(EXPORT, {}).get("path")
        if previous_file and previous_file != str(target):
            Path(previous_file).unlink(missing_ok=True)
        st.session_state[EXPORT] = {
            "path": str(target),
            "rows": exported.value.rows,
            "name": f"{gettext(FILE_NAME)}-{filters.period.start}-{filters.period.end}.csv",
        }

prepared = st.session_state.get(EXPORT)
if prepared and Path(prepared["path"]).exists():
    path = Path(prepared["path"])
    size = path.stat().st_size
    rows = prepared["rows"]
    st.download_button(
        str(
            _n(
                "Download {count} row ({size})",
                "Download {count} rows ({size})",
                rows,
                count=count(rows),
                size=format_megabytes(size),
            )
        ),
        data=lambda: path.read_bytes(),
        file_name=prepared["name"],
        mime="text/csv",
        icon=":material/file_download:",
        on_click="ignore",
    )
