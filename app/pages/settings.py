"""Settings (Product Manager): warehouse operations (days, hours, processing time, closure dates,
cuti bersama), read-only company information and warehouse list — and the user's own password
change (issue 4) and which notifications also come by email (issue 13).

Thin: each form calls one core service (core.warehouses, core.company, core.accounts) and says
what happened, or shows the refusal as core wrote it.
"""

from __future__ import annotations

from datetime import timedelta

import streamlit as st

from app.bootstrap import get_settings, get_store
from app.session import password_change_form, require_actor
from app.ui.actions import attempt, read_or_stop, rerun_saying
from app.ui.formats import DATE_INPUT_FORMAT, calendar_day, local_time
from app.ui.notifications import preferences_section
from app.ui.plain import say, typed
from app.warehouses.table import warehouse_rows
from core.accounts import passwords as accounts
from core.clock import utc_now
from core.company import profile as company
from core.domain import Role
from core.warehouses import management, operations, rules

actor = require_actor(Role.PRODUCT_MANAGER)
st.title("Settings")

store = get_store()


def _weekday(day: int) -> str:
    return rules.WEEKDAY_NAMES[day]


def _closure_label(closure: rules.Closure) -> str:
    return f"{calendar_day(closure.day)} ({closure.day:%A}) · {closure.reason}"


now = utc_now()
warehouses = read_or_stop(lambda: management.list_warehouses(store, actor, now))
profile = read_or_stop(lambda: company.company_profile(store, actor))
by_code = {w.code: w for w in warehouses}

# --- Warehouse operations ----------------------------------------------------------------------
st.subheader("Warehouse operations")
st.info(rules.CHANGES_APPLY_FROM_NOW)
if not warehouses:
    st.write("Your company has no warehouse yet; your System Administrator adds them.")
else:
    picked = st.selectbox(
        "Warehouse",
        list(by_code),
        key="ops_pick",
        format_func=lambda c: f"{c} · {by_code[c].name} ({'open' if by_code[c].is_open else 'closed'})",
    )
    current = by_code[picked]
    st.caption(f"{current.zone_label}. Times are the warehouse's local time ({current.zone_abbreviation}).")
    # Keys carry the code, so choosing another warehouse shows that warehouse's values.
    with st.form(f"operations_{picked}"):
        days = st.multiselect(
            "Operating days",
            list(range(7)),
            default=list(current.operating_days),
            format_func=_weekday,
            key=f"ops_days_{picked}",
        )
        opens_col, closes_col = st.columns(2)
        opens_at = opens_col.time_input(
            f"Opens at ({current.zone_abbreviation})", value=current.opens_at, key=f"ops_opens_{picked}"
        )
        closes_at = closes_col.time_input(
            f"Closes at ({current.zone_abbreviation})", value=current.closes_at, key=f"ops_closes_{picked}"
        )
        processing = st.number_input(
            "Processing time (business days to pack an accepted order)",
            min_value=rules.PROCESSING_DAYS[0],
            max_value=rules.PROCESSING_DAYS[1],
            value=current.processing_days,
            step=1,
            key=f"ops_processing_{picked}",
        )
        observe = st.checkbox(
            "Observe joint-leave days (cuti bersama): the warehouse does not work on them",
            value=current.observe_joint_leave,
            key=f"ops_joint_leave_{picked}",
        )
        ops_clicked = st.form_submit_button("Save operations", type="primary")
    if ops_clicked:
        outcome = attempt(
            lambda: operations.update_operations(
                store,
                actor,
                picked,
                operating_days=days,
                opens_at=opens_at,
                closes_at=closes_at,
                processing_days=int(processing),
                observe_joint_leave=observe,
                now=utc_now(),
            )
        )
        if outcome and not outcome.value.changes:
            say("info", f"Nothing to save: warehouse {picked} already works this way.")
        elif outcome:
            rerun_saying(
                f"Operations of {picked} are saved: {outcome.value.summary}. They apply to orders from now on; "
                "deadlines already set do not move."
            )

    today = rules.local_today(current.time_zone, now)
    joint_leave = operations.joint_leave_days(today, today + timedelta(days=365))
    if joint_leave:
        st.caption(
            "Joint-leave days in the coming year: "
            + "; ".join(f"{calendar_day(c.day)} ({typed(c.reason)})" for c in joint_leave)
            + "."
        )

    st.markdown(f"**Closure dates of {typed(picked)}**")
    if current.closures:
        st.dataframe(
            [{"Date": calendar_day(c.day), "Day": f"{c.day:%A}", "Reason": c.reason} for c in current.closures],
            hide_index=True,
        )
    else:
        st.caption("No closures planned. Public holidays are skipped without being listed here.")
    with st.form(f"closure_{picked}"):
        first_col, last_col = st.columns(2)
        first_day = first_col.date_input(
            "First day closed", value=today, format=DATE_INPUT_FORMAT, key=f"closure_first_{picked}"
        )
        last_day = last_col.date_input(
            "Last day closed (the same day for one day)",
            value=today,
            format=DATE_INPUT_FORMAT,
            key=f"closure_last_{picked}",
        )
        reason = st.text_input(
            "Reason",
            max_chars=rules.MAX_CLOSURE_REASON,
            key=f"closure_reason_{picked}",
            placeholder="e.g. stock-taking, renovation, local holiday",
        )
        closure_clicked = st.form_submit_button("Add closure")
    if closure_clicked:
        outcome = attempt(lambda: operations.add_closures(store, actor, picked, first_day, last_day, reason, utc_now()))
        if outcome:
            added = outcome.value
            rerun_saying(
                f"{picked} is closed on {', '.join(calendar_day(d) for d in added)} ({reason.strip()}). "
                f"Orders from now on skip {'this day' if len(added) == 1 else 'these days'}."
            )
    if current.closures:
        remove_col, button_col = st.columns([3, 1], vertical_alignment="bottom")
        to_remove = remove_col.selectbox(
            "Closure to remove", list(current.closures), format_func=_closure_label, key=f"closure_remove_pick_{picked}"
        )
        if button_col.button("Remove closure", key=f"closure_remove_{picked}") and attempt(
            lambda: operations.remove_closure(store, actor, picked, to_remove.day, utc_now())
        ):
            rerun_saying(f"{picked} works on {calendar_day(to_remove.day)} after all (if it is an operating day).")

# --- Company information (read-only) -----------------------------------------------------------
st.subheader("Company information")
st.caption("Set by your System Administrator in Company Profile; shown here read-only.")
logo_col, text_col = st.columns([1, 3])
with logo_col:
    if profile.logo:
        st.image(profile.logo, width=120)
    else:
        st.caption("No logo.")
with text_col:
    st.markdown(f"**{typed(profile.name)}** · Company ID {typed(profile.company_code)}")
    st.text(profile.description or "No description.")
    st.markdown(f"Contact phone for buyers: {typed(profile.contact_phone or 'not set')}")
    if profile.payout_account_masked:
        st.markdown(
            f"Payout account: {typed(profile.payout_bank_name)} {typed(profile.payout_account_masked)} "
            f"({typed(profile.payout_account_holder)})"
        )
    else:
        st.write("Payout account: not set")

st.subheader("Warehouse list")
st.caption("Added, modified and closed by your System Administrator in Warehouse Management.")
if warehouses:
    st.dataframe(warehouse_rows(warehouses), hide_index=True)
else:
    st.caption("No warehouses yet.")

# --- My password (issue 4) and my notification email (issue 13) ---------------------------------
st.subheader("My password")
account = read_or_stop(lambda: accounts.account_summary(store, actor, utc_now(), get_settings()))
last_login = local_time(account.last_login_at, account.time_zone) if account.last_login_at else "never"
st.caption(
    f"{typed(account.display_name)} · User ID {typed(account.user_code)} · {typed(account.company_name)} "
    f"({typed(account.company_code)}) · last login {last_login} · password valid until "
    f"{local_time(account.password_expires_at, account.time_zone)}"
)
password_change_form(actor, key="settings_password")
preferences_section(actor, key="settings_notes")
