"""Transaction History (Product Manager). Minimal placeholder written by the accounts work so the navigation can
register it; the analytics work owns this page and replaces it."""
from __future__ import annotations

import streamlit as st

from app.session import require_actor
from core.domain import Role

actor = require_actor(Role.PRODUCT_MANAGER)
st.title("Transaction History")
st.write("Here you will see your completed sales.")
