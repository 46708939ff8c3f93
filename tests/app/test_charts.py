"""app.ui.charts: a figure is built once per source object, chart and language."""

from __future__ import annotations

import plotly.graph_objects as go

from app.ui.charts import remembered_figure
from core.i18n import using


def test_a_figure_is_built_once_per_source_chart_and_language():
    built = []

    def build(source):
        built.append(source)
        return go.Figure(go.Bar(x=[1], y=source))

    first, second = [1], [1]  # equal, but two answers (two snapshots): each its own figure
    with using("en"):
        figure = remembered_figure("trend", first, lambda: build(first))
        assert remembered_figure("trend", first, lambda: build(first)) is figure
        assert remembered_figure("trend", second, lambda: build(second)) is not figure
        assert remembered_figure("funnel", first, lambda: build(first)) is not figure
    with using("id"):
        assert remembered_figure("trend", first, lambda: build(first)) is not figure
    assert len(built) == 4
