"""The Dashboard page as Streamlit renders it, on a demo store with bulk orders synced."""

from __future__ import annotations

import json
from datetime import timedelta

from core.analytics.dashboard import day_ticks, load_dashboard
from core.analytics.scope import Period
from core.analytics.snapshots import AnalyticsStore
from core.clock import utc_now
from core.formats import format_rupiah, format_rupiah_short
from core.orders import buyer_channel as buyers
from core.orders.search import attention_counts, preset_period
from tests.app.conftest import default_period, pm

PAGE = "pages/dashboard.py"
COUNTERS = {  # label: (AttentionCounts field, the stage it opens)
    "To confirm": ("to_confirm", "new"),
    "To pack": ("to_pack", "processing"),
    "To ship": ("to_ship", "to-ship"),
    "Complaints to answer": ("complaints_to_answer", "complaints"),
    "Overdue": ("overdue", "all"),
}


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
    how = at.expander(key="dash_how")  # the explanations of the figures, folded away
    assert how.label == "How these are counted" and not how.proto.expanded
    explained = " ".join(m.value for m in how.markdown)
    assert "**completed**" in explained and "**placed**" in explained and "Acceptance rate =" in explained
    assert "**completed**" not in captions and "Acceptance rate =" not in captions  # not also outside it
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


def shown_counters(at) -> dict[str, str]:
    return {m.label: m.value for m in at.metric if m.label in COUNTERS}


def expected_counters(app) -> dict[str, str]:
    counts = attention_counts(app.store, pm(app.store), utc_now())
    return {label: f"{getattr(counts, field):,}".replace(",", ".") for label, (field, _) in COUNTERS.items()}


def test_the_counters_are_live_and_each_opens_its_stage_in_sales_management(app_as):
    """Before the first sync too: the counters read the order book, not the figures' snapshot."""
    app = app_as("pm", page=PAGE)
    at = app.at
    assert not at.exception, at.exception
    assert "not ready yet" in at.info[0].value  # no snapshot yet, and the counters are there all the same
    assert shown_counters(at) == expected_counters(app)
    assert list(shown_counters(at)) == list(COUNTERS)  # in the order of the working day, at the very top
    before = int(shown_counters(at)["To confirm"].replace(".", ""))
    buyers.place_order(
        app.store,
        buyer_code="LVM-00001",
        company_code="DEMO01",
        warehouse_code="JKT-01",
        lines=[buyers.OrderLine("SPN-0001", 1)],
        now=utc_now(),
    )
    at.run()
    assert shown_counters(at)["To confirm"] == f"{before + 1:,}".replace(",", ".")
    links = {link.proto.query_string: link for link in at.page_link}
    for _label, (_field, stage) in COUNTERS.items():
        link = links[f"stage={stage}"]
        assert link.proto.page == "sales_management" and not link.proto.external
    assert [links[f"stage={stage}"].value for _field, stage in COUNTERS.values()] == [
        "New",
        "Processing",
        "To ship",
        "Complaints",
        "All orders",
    ]  # each names where it opens: the stage as Sales Management calls it
    assert "soonest deadline first" in links["stage=all"].proto.help
    assert any("Your orders as of" in c.value and "WIB" in c.value for c in at.caption)


def test_a_period_preset_sets_the_period_and_the_page_says_which(with_sales, app_as):
    app = app_as("pm", page=PAGE)
    at = app.at
    assert at.segmented_control(key="dash_preset").value == "Last 30 days"
    assert any(m.value.startswith("**Last 30 days:") for m in at.markdown)
    at.segmented_control(key="dash_preset").set_value("Last 7 days").run()
    assert not at.exception, at.exception
    start, end = preset_period("Last 7 days", utc_now())
    assert at.date_input(key="dash_period").value == (start, end)
    expected = load_dashboard(app.store, AnalyticsStore(app.settings.analytics_dir), pm(app.store), Period(start, end))
    assert {k: v for k, v in shown_kpis(at).items() if k in expected_kpis(expected)} == expected_kpis(expected)
    stated = next(m.value for m in at.markdown if m.value.startswith("**Last 7 days:"))
    assert f"{start:%d %b %Y} – {end:%d %b %Y}" in stated and "(7 days), all warehouses" in stated
    at.segmented_control(key="dash_preset").set_value("Today").run()
    assert at.date_input(key="dash_period").value == (end, end)
    assert any(m.value.startswith("**Today:") and "(1 day)" in m.value for m in at.markdown)
    # Dates picked by hand: the period is a custom range, and says so.
    at.date_input(key="dash_period").set_value((end - timedelta(days=13), end)).run()
    assert at.segmented_control(key="dash_preset").value == "Custom range"
    assert at.date_input(key="dash_period").value == (end - timedelta(days=13), end)
    assert any(m.value.startswith("**Custom range:") and "(14 days)" in m.value for m in at.markdown)


def test_the_health_rates_stand_clear_of_the_target_ticks(with_sales, app_as):
    at = app_as("pm", page=PAGE).at
    rates = charts(at)["Rates (%)"]
    bars, targets, values = rates["data"]
    assert bars.get("textposition") == "none"  # no label at the bar's end, where a target tick may stand
    assert values["mode"] == "text" and len(values["text"]) == len(bars["y"])
    assert min(values["x"]) > max(max(targets["x"]), max(bars["x"]), 100)  # a column of its own, right of 100%
    assert rates["layout"]["xaxis"]["range"][1] > min(values["x"])


def test_the_dashboard_reads_in_indonesian_charts_included(with_sales, app_as):
    """Every text in the reader's language; the trend's dates with Indonesian month names (Plotly's
    own are English offline), its hover texts with rupiah as Indonesians write them."""
    app = app_as("pm", run=False)
    app.at.session_state["language"] = "id"
    at = app.at.run()
    at.switch_page(PAGE).run()
    assert not at.exception, at.exception
    assert at.title[0].value == "Dasbor"
    labels = {m.label for m in at.metric}
    assert {"Perlu dikonfirmasi", "Pendapatan pesanan selesai", "Median waktu menerima pesanan"} <= labels
    assert at.segmented_control(key="dash_preset").value == "Last 30 days"  # the value stays the English key
    assert any(m.value.startswith("**30 hari terakhir:") and "(30 hari), semua gudang" in m.value for m in at.markdown)
    figures = charts(at)
    assert "Pendapatan dan pesanan selesai per hari" in figures and "Tingkat (%)" in figures
    trend = figures["Pendapatan dan pesanan selesai per hari"]
    ticks = trend["layout"]["xaxis"]["ticktext"]
    days = default_period()
    expected_ticks = day_ticks([days.start + timedelta(days=n) for n in range(days.days)], "id")[1]
    assert ticks == expected_ticks and len(ticks) <= 8
    bars = trend["data"][0]
    assert bars["name"] == "Pendapatan (Rp)" and "pendapatan pesanan selesai Rp" in bars["hovertext"][-1]
    revenue = max(bars["y"])
    assert any(format_rupiah(revenue) in text for text in bars["hovertext"])  # Rp1.234.567
    assert "Figures as of" not in " ".join(c.value for c in at.caption)
    assert any(c.value.startswith("Data per **") for c in at.caption)
    assert at.expander(key="dash_how").label == "Cara menghitung data ini"
    at.session_state["language"] = "en"  # switched back: the same widgets, in English
    at.run()
    assert not at.exception, at.exception
    assert at.title[0].value == "Dashboard" and at.selectbox(key="dash_warehouse").value == "All warehouses"
