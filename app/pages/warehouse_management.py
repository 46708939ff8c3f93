"""Warehouse Management (System Administrator): the company's warehouses with their status, time
zone, hours and open orders; add, modify (name, address, time zone, delivery SLA), close and reopen.

Thin: each action reads its form, calls one core.warehouses service and says what happened, or
shows the refusal as core wrote it. After a change the page reruns, so the list is fresh.
"""

from __future__ import annotations

from datetime import time

import streamlit as st

from app.bootstrap import get_store
from app.session import require_actor
from app.ui.actions import attempt, read_or_stop, rerun_saying
from app.ui.plain import say, typed
from app.ui.rounds import current_round, next_round
from app.warehouses.table import warehouse_rows
from core.clock import utc_now
from core.domain import Role
from core.i18n import _, _n, gettext
from core.warehouses import management, rules
from core.warehouses.business_time import INDONESIAN_TIME_ZONES

actor = require_actor(Role.SYSTEM_ADMINISTRATOR)
st.title(gettext("Warehouse Management"))
st.caption(
    _(
        "Add, modify and close your company's warehouses and set each one's delivery SLA. {changes_apply}",
        changes_apply=gettext(rules.CHANGES_APPLY_FROM_NOW),
    ).render()
)

store = get_store()
ZONES = list(INDONESIAN_TIME_ZONES)
DAYS = list(range(7))
#: The add form's round (app.ui.rounds): the next one after a warehouse is added, so the form is
#: empty again (a browser keeps what was typed into a widget whose key stays the same).
ADD_ROUND = "add_form_round"


#: The options' labels, in this run's language: a widget's format_func only looks them up, so it
#: gives the same label whenever it is called (AppTest calls it outside the run's language).
ZONE_LABELS = {zone: rules.zone_label(zone) for zone in ZONES}
WEEKDAYS = {day: rules.weekday_name(day) for day in DAYS}


warehouses = read_or_stop(lambda: management.list_warehouses(store, actor, utc_now()))
by_code = {w.code: w for w in warehouses}

st.subheader(gettext("Your warehouses"))
if warehouses:
    st.dataframe(warehouse_rows(warehouses), hide_index=True, width="stretch")
else:
    st.info(gettext("Your company has no warehouse yet. Add the first one below."))

# Keyed and tracked, so the tab a person works in stays open after an action reruns the page (a
# refusal to close a warehouse with open orders is said where the Close button was).
add_tab, modify_tab, status_tab = st.tabs(
    [gettext("Add a warehouse"), gettext("Modify a warehouse"), gettext("Close or reopen")],
    key="wm_tab",
    on_change="rerun",
)

with add_tab:
    add_round = current_round(ADD_ROUND)
    with st.form(f"add_warehouse_{add_round}"):
        code = st.text_input(
            gettext("Code"),
            max_chars=32,
            key=f"add_code_{add_round}",
            placeholder=gettext("e.g. SBY-01"),
            help=gettext(
                "2 to 32 letters, digits and dashes. It cannot be changed later: orders, "
                "stock and the buyer app refer to it."
            ),
        )
        name = st.text_input(
            gettext("Name"),
            max_chars=rules.MAX_NAME,
            key=f"add_name_{add_round}",
            placeholder=gettext("e.g. Gudang Rungkut"),
        )
        address = st.text_area(gettext("Address"), max_chars=rules.MAX_ADDRESS, key=f"add_address_{add_round}")
        zone = st.selectbox(
            gettext("Time zone"), ZONES, format_func=ZONE_LABELS.__getitem__, key=f"add_zone_{add_round}"
        )
        opens_col, closes_col = st.columns(2)
        opens_at = opens_col.time_input(gettext("Opens at (local time)"), value=time(8), key=f"add_opens_{add_round}")
        closes_at = closes_col.time_input(
            gettext("Closes at (local time)"), value=time(17), key=f"add_closes_{add_round}"
        )
        days = st.multiselect(
            gettext("Operating days"),
            DAYS,
            default=[0, 1, 2, 3, 4],
            format_func=WEEKDAYS.__getitem__,
            key=f"add_days_{add_round}",
        )
        sla = st.number_input(
            gettext("Delivery SLA (calendar days from packing)"),
            min_value=rules.SLA_DAYS[0],
            max_value=rules.SLA_DAYS[1],
            value=rules.DEFAULT_SLA_DAYS,
            step=1,
            key=f"add_sla_{add_round}",
        )
        st.caption(
            _n(
                "A new warehouse opens for orders at once, with a processing time of {count} business day; the "
                "Product Manager can adjust its operations in Settings.",
                "A new warehouse opens for orders at once, with a processing time of {count} business days; the "
                "Product Manager can adjust its operations in Settings.",
                rules.DEFAULT_PROCESSING_DAYS,
            ).render()
        )
        add_clicked = st.form_submit_button(gettext("Add warehouse"), type="primary")
    if add_clicked:
        outcome = attempt(
            lambda: management.add_warehouse(
                store,
                actor,
                code=code,
                name=name,
                address=address,
                time_zone=zone,
                opens_at=opens_at,
                closes_at=closes_at,
                operating_days=days,
                delivery_sla_days=int(sla),
                now=utc_now(),
            )
        )
        if outcome:
            added = outcome.value
            next_round(ADD_ROUND)  # an empty form, so it is not added twice by mistake
            rerun_saying(
                _n(
                    "Warehouse {code} ({name}) is added and open for orders: {days}, {hours}, delivery SLA "
                    "{count} day.",
                    "Warehouse {code} ({name}) is added and open for orders: {days}, {hours}, delivery SLA "
                    "{count} days.",
                    added.delivery_sla_days,
                    code=added.code,
                    name=added.name,
                    days=added.days_label,
                    hours=added.hours_label,
                ).render()
            )

with modify_tab:
    if not warehouses:
        st.info(gettext("There is no warehouse to modify yet."))
    else:
        picked = st.selectbox(
            gettext("Warehouse"), list(by_code), format_func=lambda c: f"{c} · {by_code[c].name}", key="modify_pick"
        )
        current = by_code[picked]
        # Keys carry the code, so choosing another warehouse shows that warehouse's values.
        with st.form(f"modify_{picked}"):
            name = st.text_input(
                gettext("Name"), value=current.name, max_chars=rules.MAX_NAME, key=f"modify_name_{picked}"
            )
            address = st.text_area(
                gettext("Address"), value=current.address, max_chars=rules.MAX_ADDRESS, key=f"modify_address_{picked}"
            )
            zone = st.selectbox(
                gettext("Time zone"),
                ZONES,
                index=ZONES.index(current.time_zone),
                format_func=ZONE_LABELS.__getitem__,
                key=f"modify_zone_{picked}",
            )
            sla = st.number_input(
                gettext("Delivery SLA (calendar days from packing)"),
                min_value=rules.SLA_DAYS[0],
                max_value=rules.SLA_DAYS[1],
                value=current.delivery_sla_days,
                step=1,
                key=f"modify_sla_{picked}",
            )
            st.caption(
                gettext(
                    "Operating days, hours, processing time and closures are set by the Product Manager in Settings."
                )
            )
            modify_clicked = st.form_submit_button(gettext("Save changes"), type="primary")
        if modify_clicked:
            outcome = attempt(
                lambda: management.modify_warehouse(
                    store,
                    actor,
                    picked,
                    name=name,
                    address=address,
                    time_zone=zone,
                    delivery_sla_days=int(sla),
                    now=utc_now(),
                )
            )
            if outcome and not outcome.value.changes:
                say("info", _("Nothing to save: warehouse {code} already has these values.", code=picked).render())
            elif outcome:
                rerun_saying(
                    _(
                        "Warehouse {code} is updated: {changes}. This applies to orders from now on.",
                        code=picked,
                        changes=outcome.value.summary,
                    ).render()
                )

with status_tab:
    if not warehouses:
        st.info(gettext("There is no warehouse to close yet."))
    else:
        picked = st.selectbox(
            gettext("Warehouse"), list(by_code), format_func=lambda c: f"{c} · {by_code[c].name}", key="status_pick"
        )
        current = by_code[picked]
        if current.is_open:
            st.write(
                _(
                    "**{code}** is open: {orders}, {units}. A closed warehouse takes no new orders; it can be closed "
                    "only when it has no open orders and no reserved stock, and it can be reopened later.",
                    code=typed(picked),
                    orders=_n("{count} open order", "{count} open orders", current.open_orders),
                    units=_n("{count} reserved unit", "{count} reserved units", current.reserved_units),
                ).render()
            )
            # Confirmed in the same form: the tick and the click arrive together, or nothing happens.
            with st.form(f"close_{picked}"):
                sure = st.checkbox(typed(current.closing_sentence(utc_now())), key=f"close_sure_{picked}")
                close_clicked = st.form_submit_button(
                    _("Close warehouse {code}", code=typed(picked)).render(), key="close_warehouse"
                )
            if close_clicked and not sure:
                say(
                    "warning",
                    _("Tick the box above to confirm closing {code}; nothing has changed.", code=picked).render(),
                )
            elif close_clicked and attempt(lambda: management.close_warehouse(store, actor, picked, utc_now())):
                rerun_saying(
                    _(
                        "Warehouse {code} is closed: it takes no new orders. You can reopen it at any time.",
                        code=picked,
                    ).render()
                )
        else:
            st.write(
                _(
                    "**{code}** is closed and takes no orders. Reopening it lets buyers order from it again, "
                    "with the settings it had.",
                    code=typed(picked),
                ).render()
            )
            reopen = _("Reopen warehouse {code}", code=typed(picked)).render()
            if st.button(reopen, key="reopen_warehouse", type="primary") and attempt(
                lambda: management.reopen_warehouse(store, actor, picked, utc_now())
            ):
                rerun_saying(_("Warehouse {code} is open again and takes orders.", code=picked).render())
