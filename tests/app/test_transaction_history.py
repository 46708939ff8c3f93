"""The Transaction History page as Streamlit renders it: totals, paging, filters, the export."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest

from core.analytics.history import HistoryFilters, load_history
from core.analytics.snapshots import AnalyticsStore
from core.formats import format_rupiah, format_rupiah_short
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
    button(at, "Prepare CSV").click().run()
    assert not at.exception, at.exception
    prepared = at.session_state["history_export"]
    assert prepared["rows"] == expected.totals.lines > 50  # more than the page on screen
    rows = list(csv.reader(io.StringIO(Path(prepared["path"]).read_text(encoding="utf-8"), newline="")))
    assert rows[0][:3] == ["order_number", "placed_at", "completed_at"] and len(rows) == expected.totals.lines + 1
    assert sum(int(r[10]) for r in rows[1:]) == expected.totals.amount
    assert at.get("download_button")
