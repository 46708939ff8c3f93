"""Company Profile: arrives with the menus issue."""
from __future__ import annotations

import streamlit as st

from app.session import require_actor
from core.domain import Role

actor = require_actor(Role.SYSTEM_ADMINISTRATOR)
st.title("Company Profile")
st.info("This menu is being built.")
