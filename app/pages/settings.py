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
from app.ui.language import in_this_language
from app.ui.notifications import preferences_section
from app.ui.plain import say, typed
from app.warehouses.table import warehouse_rows
from core.accounts import passwords as accounts
from core.clock import utc_now
from core.company import profile as company
from core.domain import Role
from core.i18n import _, _n, gettext
from core.warehouses import management, operations, rules

actor = require_actor(Role.PRODUCT_MANAGER)
st.title(gettext("Settings"))

store = get_store()


def _weekday(day: int) -> str:
    """Monday is 0, in the reader's language."""
    return gettext(rules.WEEKDAY_NAMES[day])


def _closure_label(closure: rules.Closure) -> str:
    return f"{calendar_day(closure.day)} ({_weekday(closure.day.weekday())}) · {closure.reason}"


def _warehouse_label(code: str) -> str:
    warehouse = by_code[code]
    if warehouse.is_open:
        return _("{code} · {name} (open)", code=code, name=warehouse.name).render()
    return _("{code} · {name} (closed)", code=code, name=warehouse.name).render()


now = utc_now()
warehouses = read_or_stop(lambda: management.list_warehouses(store, actor, now))
profile = read_or_stop(lambda: company.company_profile(store, actor))
by_code = {w.code: w for w in warehouses}

# --- Warehouse operations ----------------------------------------------------------------------
st.subheader(gettext("Warehouse operations"))
st.info(gettext(rules.CHANGES_APPLY_FROM_NOW))
if not warehouses:
    st.write(gettext("Your company has no warehouse yet; your System Administrator adds them."))
else:
    picked = st.selectbox(
        gettext("Warehouse"), list(by_code), key="ops_pick", format_func=in_this_language(_warehouse_label)
    )
    current = by_code[picked]
    st.caption(
        _(
            "{zone}. Times are the warehouse's local time ({abbreviation}).",
            zone=current.zone_label,
            abbreviation=current.zone_abbreviation,
        ).render()
    )
    # Keys carry the code, so choosing another warehouse shows that warehouse's values.
    with st.form(f"operations_{picked}"):
        days = st.multiselect(
            gettext("Operating days"),
            list(range(7)),
            default=list(current.operating_days),
            format_func=in_this_language(_weekday),
            key=f"ops_days_{picked}",
        )
        opens_col, closes_col = st.columns(2)
        opens_at = opens_col.time_input(
            _("Opens at ({zone})", zone=current.zone_abbreviation).render(),
            value=current.opens_at,
            key=f"ops_opens_{picked}",
        )
        closes_at = closes_col.time_input(
            _("Closes at ({zone})", zone=current.zone_abbreviation).render(),
            value=current.closes_at,
            key=f"ops_closes_{picked}",
        )
        processing = st.number_input(
            gettext("Processing time (business days to pack an accepted order)"),
            min_value=rules.PROCESSING_DAYS[0],
            max_value=rules.PROCESSING_DAYS[1],
            value=current.processing_days,
            step=1,
            key=f"ops_processing_{picked}",
        )
        observe = st.checkbox(
            gettext("Observe joint-leave days (cuti bersama): the warehouse does not work on them"),
            value=current.observe_joint_leave,
            key=f"ops_joint_leave_{picked}",
        )
        ops_clicked = st.form_submit_button(gettext("Save operations"), type="primary")
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
            say("info", _("Nothing to save: warehouse {code} already works this way.", code=picked))
        elif outcome:
            rerun_saying(
                _(
                    "Operations of {code} are saved: {changes}. They apply to orders from now on; deadlines already "
                    "set do not move.",
                    code=picked,
                    changes=outcome.value.summary,
                ).render()
            )

    today = rules.local_today(current.time_zone, now)
    joint_leave = operations.joint_leave_days(today, today + timedelta(days=365))
    if joint_leave:
        st.caption(
            _(
                "Joint-leave days in the coming year: {days}.",
                days="; ".join(f"{calendar_day(c.day)} ({typed(c.reason)})" for c in joint_leave),
            ).render()
        )

    st.markdown(_("**Closure dates of {code}**", code=typed(picked)).render())
    if current.closures:
        st.dataframe(
            [
                {
                    gettext("Date"): calendar_day(c.day),
                    gettext("Day"): _weekday(c.day.weekday()),
                    gettext("Reason"): c.reason,
                }
                for c in current.closures
            ],
            hide_index=True,
        )
    else:
        st.caption(gettext("No closures planned. Public holidays are skipped without being listed here."))
    with st.form(f"closure_{picked}"):
        first_col, last_col = st.columns(2)
        first_day = first_col.date_input(
            gettext("First day closed"), value=today, format=DATE_INPUT_FORMAT, key=f"closure_first_{picked}"
        )
        last_day = last_col.date_input(
            gettext("Last day closed (the same day for one day)"),
            value=today,
            format=DATE_INPUT_FORMAT,
            key=f"closure_last_{picked}",
        )
        reason = st.text_input(
            gettext("Reason"),
            max_chars=rules.MAX_CLOSURE_REASON,
            key=f"closure_reason_{picked}",
            placeholder=gettext("e.g. stock-taking, renovation, local holiday"),
        )
        closure_clicked = st.form_submit_button(gettext("Add closure"))
    if closure_clicked:
        outcome = attempt(lambda: operations.add_closures(store, actor, picked, first_day, last_day, reason, utc_now()))
        if outcome:
            added = outcome.value
            rerun_saying(
                _n(
                    "{code} is closed on {days} ({reason}). Orders from now on skip this day.",
                    "{code} is closed on {days} ({reason}). Orders from now on skip these days.",
                    len(added),
                    code=picked,
                    days=", ".join(calendar_day(d) for d in added),
                    reason=reason.strip(),
                ).render()
            )
    if current.closures:
        remove_col, button_col = st.columns([3, 1], vertical_alignment="bottom")
        to_remove = remove_col.selectbox(
            gettext("Closure to remove"),
            list(current.closures),
            format_func=in_this_language(_closure_label),
            key=f"closure_remove_pick_{picked}",
        )
        if button_col.button(gettext("Remove closure"), key=f"closure_remove_{picked}") and attempt(
            lambda: operations.remove_closure(store, actor, picked, to_remove.day, utc_now())
        ):
            rerun_saying(
                _(
                    "{code} works on {day} after all (if it is an operating day).",
                    code=picked,
                    day=calendar_day(to_remove.day),
                ).render()
            )

# --- Company information (read-only) -----------------------------------------------------------
st.subheader(gettext("Company information"))
st.caption(gettext("Set by your System Administrator in Company Profile; shown here read-only."))
logo_col, text_col = st.columns([1, 3])
with logo_col:
    if profile.logo:
        st.image(profile.logo, width=120)
    else:
        st.caption(gettext("No logo."))
with text_col:
    st.markdown(
        _("**{name}** · Company ID {code}", name=typed(profile.name), code=typed(profile.company_code)).render()
    )
    st.text(profile.description or gettext("No description."))
    if profile.contact_phone:
        st.markdown(_("Contact phone for buyers: {phone}", phone=typed(profile.contact_phone)).render())
    else:
        st.markdown(gettext("Contact phone for buyers: not set"))
    if profile.payout_account_masked:
        st.markdown(
            _(
                "Payout account: {bank} {account} ({holder})",
                bank=typed(profile.payout_bank_name),
                account=typed(profile.payout_account_masked),
                holder=typed(profile.payout_account_holder),
            ).render()
        )
    else:
        st.write(gettext("Payout account: not set"))

st.subheader(gettext("Warehouse list"))
st.caption(gettext("Added, modified and closed by your System Administrator in Warehouse Management."))
if warehouses:
    st.dataframe(warehouse_rows(warehouses), hide_index=True)
else:
    st.caption(gettext("No warehouses yet."))

# --- My password (issue 4) and my notification email (issue 13) ---------------------------------
st.subheader(gettext("My password"))
account = read_or_stop(lambda: accounts.account_summary(store, actor, utc_now(), get_settings()))
valid_until = local_time(account.password_expires_at, account.time_zone)
if account.last_login_at:
    about_me = _(
        "{name} · User ID {user} · {company} ({company_code}) · last login {last_login} · password valid until "
        "{valid_until}",
        name=typed(account.display_name),
        user=typed(account.user_code),
        company=typed(account.company_name),
        company_code=typed(account.company_code),
        last_login=local_time(account.last_login_at, account.time_zone),
        valid_until=valid_until,
    )
else:
    about_me = _(
        "{name} · User ID {user} · {company} ({company_code}) · never logged in before · password valid until "
        "{valid_until}",
        name=typed(account.display_name),
        user=typed(account.user_code),
        company=typed(account.company_name),
        company_code=typed(account.company_code),
        valid_until=valid_until,
    )
st.caption(about_me.render())
password_change_form(actor, key="settings_password")
preferences_section(actor, key="settings_notes")
