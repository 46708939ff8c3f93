"""The login page loads the Dashboard's chart library ahead of the first chart (app/server.py)."""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import streamlit
from streamlit.testing.v1 import AppTest

from app.server import chart_library_url, preload_script
from core.config import PROJECT_ROOT

MAIN = str(PROJECT_ROOT / "app" / "main.py")


def test_the_preload_script_imports_the_chunk_streamlit_serves_for_plotly():
    url = chart_library_url()
    assert url is not None, "this Streamlit names its Plotly chunk otherwise: app/server.py must look again"
    assert (Path(streamlit.__file__).parent / "static" / url.lstrip("/")).is_file()
    with ThreadPoolExecutor(1) as thread:  # a loop of its own: browser tests may hold this thread's
        response = thread.submit(asyncio.run, preload_script(None)).result()  # type: ignore[arg-type]
    assert response.media_type == "text/javascript"
    assert f'import("{url}")' in response.body.decode()


def test_the_login_page_draws_the_preload_script():
    at = AppTest.from_file(MAIN, default_timeout=30).run()
    assert not at.exception
    drawn = [element.proto.body for element in at.get("html")]
    assert '<script src="/preload/charts.js"></script>' in drawn
