"""The forced password change: after a first login with a one-time password, or when the
password is older than KOPRA_PASSWORD_MAX_AGE_DAYS. The navigation shows only this page until
the change is done."""

from __future__ import annotations

import streamlit as st

from app.session import password_change_form, require_login
from app.ui.plain import typed
from core.i18n import _, gettext

actor = require_login()
st.title(gettext("Change your password"))
st.write(
    _(
        "Welcome, {name}. Before you continue, please replace your one-time or expired password with a new one "
        "that only you know.",
        name=typed(actor.display_name or actor.user_code),
    ).render()
)
password_change_form(actor, key="forced_password", after_change="rerun")
