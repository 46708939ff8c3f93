"""Plotly figures built once for what they show, then drawn on every run: building one costs more than
drawing it (Plotly checks every property it is given), and a page runs again on every click.

A figure is remembered per language, chart and source: the very object core answered with (core
remembers its answers per snapshot, core.analytics.snapshots, so a page run again gets the same
object, and a new snapshot a new one). It is shared by the process's sessions; the figure objects are
only read once built (Streamlit copies a figure to draw it).
"""

from __future__ import annotations

from collections.abc import Callable

import plotly.graph_objects as go
import streamlit as st

from core.analytics.snapshots import Answers
from core.i18n import language

#: Enough for the dashboards a process's sessions look at (each a handful of figures of a few kB).
REMEMBERED = 256

# (language, chart, id(source)) -> (source, figure): the entry holds its source, so no other object can
# take that id while the figure is remembered.
_figures = Answers(REMEMBERED)


def remembered_figure(chart: str, source: object, build: Callable[[], go.Figure]) -> go.Figure:
    """The figure `build()` makes of `source` for `chart`, in the reader's language; built once."""
    _source, figure = _figures.get((language(), chart, id(source)), lambda: (source, build()))
    return figure


def preload_chart_library() -> None:
    """Draw the script that loads the browser's chart library ahead of the first chart (app/server.py,
    /preload/charts.js): the login page calls it, so that a fresh browser compiles the library while
    a person types, not after the click (the first Dashboard there: 1.7-1.8 s, 1.1-1.2 s with it
    loaded before; bench/ui.py). The element is the same on every run, so the browser runs it once."""
    st.html('<script src="/preload/charts.js"></script>', unsafe_allow_javascript=True)
