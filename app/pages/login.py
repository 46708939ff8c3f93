"""Login: Company ID + User ID + Password (our own form: streamlit-authenticator's has two fields).

Thin: reads the three fields, calls core.accounts.login, and either adopts the new session (the
navigation then shows the role's menu, or the forced password change) or shows the refusal.
"""

from __future__ import annotations

import streamlit as st

from app import session
from app.bootstrap import get_settings, get_store
from app.ui import language
from app.ui.charts import preload_chart_library
from core.accounts import policy
from core.accounts.login import login as log_in
from core.clock import utc_now
from core.i18n import gettext

session.ensure_main_navigation()
language.switch(key="login_language")
st.title("Kopra Partnership")
st.caption(gettext("Seller portal · Kopra by Mandiri"))

with st.form("login", clear_on_submit=False):
    company_code = st.text_input(gettext("Company ID"), max_chars=32, key="login_company")
    user_code = st.text_input(gettext("User ID"), max_chars=64, key="login_user")
    password = st.text_input(
        gettext("Password"), type="password", max_chars=policy.PASSWORD_MAX_LENGTH, key="login_password"
    )
    submitted = st.form_submit_button(gettext("Log in"), type="primary")

if submitted:
    result = log_in(
        get_store(), company_code, user_code, password, utc_now(), get_settings(), address=session.client_address()
    )
    if result.ok:
        session.adopt(result.token)
        st.rerun()
    st.error(gettext(result.message))

st.caption(
    gettext(
        "Keep your password secret and change it periodically. "
        "Problems? Contact your Relationship Manager or Mandiri Call 14000."
    )
)
preload_chart_library()
