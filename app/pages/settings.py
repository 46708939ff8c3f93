"""Settings (Product Manager): change own password; warehouse operations arrive with the menus issue."""
from __future__ import annotations

import streamlit as st

from app.session import password_change_form, require_actor
from core.domain import Role

actor = require_actor(Role.PRODUCT_MANAGER)
st.title("Settings")
st.subheader("Warehouse operations")
st.info("Operating days, hours and closures are being built.")
st.subheader("Change your password")
password_change_form(actor, key="settings_password")
