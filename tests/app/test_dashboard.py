"""The Dashboard page as Streamlit renders it, on a demo store with bulk orders synced."""

from __future__ import annotations

import json
from datetime import timedelta

from core.analytics.dashboard import load_dashboard
from core.analytics.scope import Period
from core.analytics.snapshots import AnalyticsStore
from core.formats import format_rupiah, format_rupiah_short
from tests.app.conftest import default_period, pm


def shown_kpis(at) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def expected_kpis(dashboard) -> dict[str, str]:
    return {
        k.label: format_rupiah_short(k.value) if k.unit == "rupiah" else f"{k.value:,}".replace(",", ".")
        for k in dashboard.kpis
    }


def charts(at) -> dict[str, dict]:
    return {
        json.loads(el.proto.spec)["layout"]["title"]["text"]: json.loads(el.proto.spec) for el in at.get("plotly_chart")
    }


def test_before_the_first_sync_the_dashboard_says_so(app_as):
    app = app_as("pm", page="pages/dashboard.py")
    assert not app.at.exception
    assert app.at.title[0].value == "Dashboard"
    assert "not ready yet" in app.at.info[0].value
    assert app.at.button(key="refresh_empty")


def test_the_dashboard_shows_the_figures_of_the_snapshot(with_sales, app_as):
    app = app_as("pm", page="pages/dashboard.py")
    at = app.at
    assert not at.exception, at.exception
    expected = load_dashboard(app.store, AnalyticsStore(app.settings.analytics_dir), pm(app.store), default_period())
    assert {k: v for k, v in shown_kpis(at).items() if k in expected_kpis(expected)} == expected_kpis(expected)
    assert expected.kpis[0].value > 0
    helps = {m.label: m.proto.help for m in at.metric}
    assert format_rupiah(expected.kpis[0].value) in helps["Completed revenue"]  # the exact amount
    figures = charts(at)
    assert set(figures) == {
        "Daily completed revenue and orders",
        "Orders placed: how far they got",
        "Top products by completed revenue (Rp)",
        "Completed revenue per warehouse (Rp)",
        "Rates (%)",
    }
    trend = figures["Daily completed revenue and orders"]["data"][0]
    assert sum(trend["y"]) == expected.kpis[0].value and len(trend["x"]) == 30
    assert figures["Orders placed: how far they got"]["data"][0]["x"] == [s.count for s in expected.funnel]
    targets = figures["Rates (%)"]["data"][1]["x"]
    assert targets == [m.target * 100 for m in expected.health if m.unit == "share"]
    captions = " ".join(c.value for c in at.caption)
    assert "Figures as of" in captions and "WIB" in captions
    assert "**completed**" in captions and "**placed**" in captions
    if expected.needs_action:
        assert at.dataframe[0].value["Order"].tolist() == [a.order_number for a in expected.needs_action]


def test_choosing_a_warehouse_and_a_period_changes_the_figures(with_sales, app_as):
    app = app_as("pm", page="pages/dashboard.py")
    at = app.at
    label = next(option for option in at.selectbox(key="dash_warehouse").options if option.startswith("JKT-01"))
    at.selectbox(key="dash_warehouse").set_value(label).run()
    period = Period(default_period().end - timedelta(days=59), default_period().end)
    at.date_input(key="dash_period").set_value((period.start, period.end)).run()
    assert not at.exception, at.exception
    expected = load_dashboard(app.store, AnalyticsStore(app.settings.analytics_dir), pm(app.store), period, "JKT-01")
    assert {k: v for k, v in shown_kpis(at).items() if k in expected_kpis(expected)} == expected_kpis(expected)
    assert charts(at)["Completed revenue per warehouse (Rp)"]["data"][0]["x"] == ["JKT-01"]


def test_refresh_now_runs_the_sync_and_says_so(with_sales, app_as):
    app = app_as("pm", page="pages/dashboard.py")
    before = AnalyticsStore(app.settings.analytics_dir).read_pointer()["generation"]
    app.at.button(key="refresh").click().run(timeout=120)
    assert not app.at.exception, app.at.exception
    assert any("Figures refreshed" in s.value for s in app.at.success), [e.value for e in app.at.error]
    assert AnalyticsStore(app.settings.analytics_dir).read_pointer()["generation"] == before + 1
