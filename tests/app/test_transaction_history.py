"""The Transaction History page as Streamlit renders it: totals, paging, filters, each line's payout,
the export, and no page-only download in the grid."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from sqlalchemy import select, update

from core.analytics.export import COLUMN_TITLES
from core.analytics.history import HistoryFilters, load_history
from core.analytics.snapshots import AnalyticsStore
from core.analytics.sync import rebuild
from core.clock import utc_now
from core.domain import OrderStatus, PayoutStatus
from core.formats import format_rupiah, format_rupiah_short
from core.i18n import gettext
from core.store.models import Order, Payout
from tests.app.conftest import default_period, pm

PAGE = "pages/transaction_history.py"


def core_history(app, filters, page):
    """The page of history that core gives the app's Product Manager."""
    return load_history(app.store, AnalyticsStore(app.settings.analytics_dir), pm(app.store), filters, page=page)


def button(at, label: str):
    return next(b for b in at.button if b.label == label)


def shown_totals(at) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def expected_totals(page) -> dict[str, str]:
    t = page.totals
    return {
        "Orders": f"{t.orders:,}".replace(",", "."),
        "Product lines": f"{t.lines:,}".replace(",", "."),
        "Units": f"{t.units:,}".replace(",", "."),
        "Amount": format_rupiah_short(t.amount),
    }


@pytest.fixture
def history_app(with_sales, app_as):  # noqa: F811
    app = app_as("pm", page=PAGE)
    assert not app.at.exception, app.at.exception
    return app


def with_waiting_payouts(app, orders: int = 12) -> set[int]:
    """The payouts of the newest completed orders not paid yet (the bulk demo pays them at once),
    and the snapshot rebuilt; the page run again."""
    with app.store.transaction() as s:
        newest = list(
            s.scalars(
                select(Order.id)
                .where(Order.status == OrderStatus.COMPLETED)
                .order_by(Order.completed_at.desc())
                .limit(orders)
            )
        )
        s.execute(
            update(Payout)
            .where(Payout.order_id.in_(newest))
            .values(status=PayoutStatus.PENDING, paid_at=None, transfer_reference=None)
        )
    rebuild(app.store, AnalyticsStore(app.settings.analytics_dir), utc_now())
    app.at.run()
    assert not app.at.exception, app.at.exception
    return set(newest)


def test_the_history_shows_totals_and_the_first_page(history_app):
    at = history_app.at
    expected = core_history(history_app, HistoryFilters(default_period()), 1)
    assert shown_totals(at) == expected_totals(expected)
    table = at.dataframe[0].value
    assert len(table) == min(50, expected.totals.lines)
    assert table["Order"].tolist() == [r.order_number for r in expected.rows]
    assert table["Line total"].tolist() == [format_rupiah(r.line_total) for r in expected.rows]
    assert all(value.endswith(("WIB", "WITA", "WIT")) for value in table["Completed"])
    assert f"Page 1 of {expected.page_count:,}".replace(",", ".") in " ".join(m.value for m in at.markdown)


def test_next_and_previous_pages(history_app):
    at = history_app.at
    first = at.dataframe[0].value["Order"].tolist()
    button(at, "Next").click().run()
    assert "Page 2 of" in " ".join(m.value for m in at.markdown)
    second = at.dataframe[0].value["Order"].tolist()
    assert second != first
    expected = core_history(history_app, HistoryFilters(default_period()), 2)
    assert second == [r.order_number for r in expected.rows]
    button(at, "Previous").click().run()
    assert at.dataframe[0].value["Order"].tolist() == first
    button(at, "Last").click().run()
    expected_last = core_history(history_app, HistoryFilters(default_period()), expected.page_count)
    assert at.dataframe[0].value["Order"].tolist() == [r.order_number for r in expected_last.rows]
    button(at, "Previous").click().run()
    before_last = core_history(history_app, HistoryFilters(default_period()), expected.page_count - 1)
    assert at.dataframe[0].value["Order"].tolist() == [r.order_number for r in before_last.rows]


def test_filtering_by_product_and_amount(history_app):
    at = history_app.at
    product_label = at.selectbox[1].options[1]
    sku = product_label.rsplit("(", 1)[1].rstrip(")")
    at.selectbox[1].set_value(product_label)
    at.number_input[0].set_value(100_000)
    button(at, "Show").click().run()
    assert not at.exception, at.exception
    expected = core_history(history_app, HistoryFilters(default_period(), product_sku=sku, min_total=100_000), 1)
    assert shown_totals(at) == expected_totals(expected)
    if expected.rows:
        assert set(at.dataframe[0].value["SKU"]) == {sku}


def test_an_impossible_amount_range_is_said_in_one_sentence(history_app):
    at = history_app.at
    at.number_input[0].set_value(500_000)
    at.number_input[1].set_value(1_000)
    button(at, "Show").click().run()
    assert not at.exception
    assert "The lowest order total must not be above the highest." in [e.value for e in at.error]


def test_the_export_holds_the_whole_filtered_set(history_app):
    at = history_app.at
    expected = core_history(history_app, HistoryFilters(default_period()), 1)
    at.checkbox(key="history_machine_header").check()
    button(at, "Prepare CSV").click().run()
    assert not at.exception, at.exception
    prepared = at.session_state["history_export"]
    assert prepared["rows"] == expected.totals.lines > 50  # more than the page on screen
    raw = Path(prepared["path"]).read_bytes()
    assert raw.startswith(b"\xef\xbb\xbforder_number,")  # UTF-8 with a byte-order mark, for Excel
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"), newline="")))
    assert rows[0][:3] == ["order_number", "placed_at", "completed_at"] and len(rows) == expected.totals.lines + 1
    assert rows[0][-3:] == ["payout_status", "paid_at", "transfer_reference"]
    assert sum(int(r[10]) for r in rows[1:]) == expected.totals.amount
    assert at.get("download_button")


def test_the_export_for_people_names_its_columns_in_the_readers_language(history_app):
    at = history_app.at
    at.session_state["language"] = "id"
    at.run()
    button(at, "Siapkan CSV").click().run()
    assert not at.exception, at.exception
    raw = Path(at.session_state["history_export"]["path"]).read_bytes()
    header = next(csv.reader(io.StringIO(raw.decode("utf-8-sig"), newline="")))
    assert header == [gettext(title, "id") for title in COLUMN_TITLES.values()]
    assert header[0] == "Nomor pesanan"


def test_each_line_shows_its_payout_in_words_its_paid_time_and_the_transfer_reference(history_app):
    at = history_app.at
    with_waiting_payouts(history_app)
    expected = core_history(history_app, HistoryFilters(default_period()), 1).rows
    table = at.dataframe[0].value
    words = {"PENDING": "Waiting", "PAID": "Paid"}
    assert table["Payout"].tolist() == [words[r.payout_status] for r in expected]
    assert table["Transfer reference"].tolist() == [r.transfer_reference or "—" for r in expected]
    paid = [(r.local(r.paid_at).strftime("%d %b %Y %H:%M") + f" {r.zone_abbr}") if r.paid_at else "—" for r in expected]
    assert table["Paid"].tolist() == paid
    assert set(table["Payout"]) == {"Waiting", "Paid"}


@pytest.mark.parametrize("label,status", [("Waiting", PayoutStatus.PENDING), ("Paid", PayoutStatus.PAID)])
def test_filtering_by_payout_status(history_app, label, status):
    at = history_app.at
    with_waiting_payouts(history_app)
    payout = next(s for s in at.selectbox if s.label == "Payout")
    assert payout.options == ["All payouts", "Waiting", "Paid"]
    payout.set_value(label)
    button(at, "Show").click().run()
    assert not at.exception, at.exception
    expected = core_history(history_app, HistoryFilters(default_period(), payout_status=status), 1)
    assert expected.rows and shown_totals(at) == expected_totals(expected)
    assert set(at.dataframe[0].value["Payout"]) == {label}


def test_the_grid_offers_no_download_of_its_own_page(history_app):
    """Streamlit's grid toolbar would download only the page on screen: a style scoped to the grid's
    container hides that button (AppTest draws no toolbar: tests/e2e/test_analytics_pages.py looks
    at the real one in Chromium)."""
    at = history_app.at
    grid = next(block for block in at.main if getattr(block, "key", None) == "history_rows")
    assert [type(node).__name__ for node in grid] == ["Block", "Dataframe"]  # the container, and the grid in it
    styles = [html.proto.body for html in at.get("html")]
    assert any(
        ".st-key-history_rows" in body and 'button[aria-label^="Download as CSV"]' in body and "display: none" in body
        for body in styles
    ), styles


def test_the_history_reads_in_indonesian_with_the_same_grid_and_buttons(history_app):
    at = history_app.at
    at.session_state["language"] = "id"
    at.run()
    assert not at.exception, at.exception
    assert at.title[0].value == "Riwayat Transaksi"
    assert {m.label for m in at.metric} == {"Pesanan", "Item produk", "Unit", "Total"}
    payout = next(s for s in at.selectbox if s.label == "Pencairan dana")
    assert payout.options[0] == "Semua pencairan dana"
    assert "Halaman 1 dari" in " ".join(m.value for m in at.markdown)
    table = at.dataframe[0]
    assert "Order" in table.value.columns  # the keys stay; the labels translate
    labels = json.loads(table.proto.columns)
    assert (labels["Completed"]["label"], labels["Qty"]["label"]) == ("Selesai", "Jml")
    button(at, "Berikutnya").click().run()
    assert not at.exception and "Halaman 2 dari" in " ".join(m.value for m in at.markdown)
