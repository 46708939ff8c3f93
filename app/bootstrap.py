"""The UI process's wiring: core.bootstrap once per process, shared by every browser session
(Streamlit's resource cache). Pages take the settings and stores from here, never build them."""

from __future__ import annotations

import streamlit as st

from core.analytics.snapshots import AnalyticsStore
from core.bootstrap import Wiring, bootstrap
from core.config import Settings
from core.store.database import Store


@st.cache_resource(show_spinner=False)
def wiring() -> Wiring:
    return bootstrap()


def get_settings() -> Settings:
    return wiring().settings


def get_store() -> Store:
    return wiring().store


def get_analytics() -> AnalyticsStore:
    return wiring().analytics
