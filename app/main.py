"""Streamlit entry point: `streamlit run app/main.py`. Builds the navigation for who is logged in."""
from __future__ import annotations

import sys
from pathlib import Path

# `streamlit run` puts app/ on sys.path, not the project root that holds core/.
PROJECT_ROOT = str(Path(__file__).resolve().parent.parent)
if PROJECT_ROOT not in sys.path:
    sys.path.insert(0, PROJECT_ROOT)

import streamlit as st  # noqa: E402

st.set_page_config(page_title="Kopra Partnership", page_icon="🏬", layout="wide")

PAGES_DIR = Path(__file__).resolve().parent / "pages"

navigation = st.navigation([st.Page(PAGES_DIR / "login.py", title="Log in", icon="🔐", default=True)])
navigation.run()
