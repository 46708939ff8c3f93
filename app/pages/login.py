"""Login: Company ID + User ID + Password."""
from __future__ import annotations

import streamlit as st

st.title("Kopra Partnership")
st.caption("Seller portal · Kopra by Mandiri")

with st.form("login", clear_on_submit=False):
    company_code = st.text_input("Company ID", max_chars=32)
    user_code = st.text_input("User ID", max_chars=64)
    password = st.text_input("Password", type="password", max_chars=256)
    submitted = st.form_submit_button("Log in", type="primary")

if submitted:
    st.info("Signing in is not switched on in this build yet.")

st.caption("Keep your password secret and change it periodically. "
           "Problems? Contact your Relationship Manager or Mandiri Call 14000.")
