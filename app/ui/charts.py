"""Plotly figures built once for what they show, then drawn on every run: building one costs more than
drawing it (Plotly checks every property it is given), and a page runs again on every click.

A figure is remembered per language, chart and source: the very object core answered with (core
remembers its answers per snapshot, core.analytics.snapshots, so a page run again gets the same
object, and a new snapshot a new one). It is shared by the process's sessions; the figure objects are
only read once built (Streamlit copies a figure to draw it).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable

import plotly.graph_objects as go

from core.i18n import language

#: Enough for the dashboards a process's sessions look at (each a handful of figures of a few kB).
REMEMBERED = 256

# (language, chart, id(source)) -> (source, figure): the source is held, so its id is not reused meanwhile.
_figures: OrderedDict[tuple[str, str, int], tuple[object, go.Figure]] = OrderedDict()
_lock = threading.Lock()


def remembered_figure(chart: str, source: object, build: Callable[[], go.Figure]) -> go.Figure:
    """The figure `build()` makes of `source` for `chart`, in the reader's language; built once."""
    key = (language(), chart, id(source))
    with _lock:
        found = _figures.get(key)
        if found is not None and found[0] is source:
            _figures.move_to_end(key)
            return found[1]
    figure = build()
    with _lock:
        _figures[key] = (source, figure)
        _figures.move_to_end(key)
        while len(_figures) > REMEMBERED:
            _figures.popitem(last=False)
    return figure
