"""The "Refresh now" button of the analytics pages: brings the DuckDB snapshot up to date through
the single writer (a separate process), then reruns the page so it shows the new figures."""
from __future__ import annotations

import streamlit as st

from app.session import notify
from core.acting import Actor
from core.analytics.refresh import refresh_now
from core.errors import DomainError


def refresh_button(actor: Actor, key: str) -> None:
    if st.button("Refresh now", key=key, icon=":material/refresh:",
                 help="Bring the figures up to date with the latest orders (the scheduler does it every sweep)."):
        with st.spinner("Refreshing the figures…"):
            try:
                outcome = refresh_now(actor)
            except DomainError as refused:
                st.error(refused.message)
                return
        notify("success", f"Figures refreshed ({outcome.changed_orders:,} changed orders taken in, "
                          f"{outcome.seconds} s).")
        st.rerun()
