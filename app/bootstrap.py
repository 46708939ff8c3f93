"""Wiring for the UI process: settings and the store, created once per process and shared by
every browser session (Streamlit's resource cache). Pages get them from here, never build them."""
from __future__ import annotations

import streamlit as st

from core.config import Settings, load_settings
from core.store.database import Store


@st.cache_resource(show_spinner=False)
def get_settings() -> Settings:
    return load_settings()


@st.cache_resource(show_spinner=False)
def get_store() -> Store:
    return Store.from_settings(get_settings())
