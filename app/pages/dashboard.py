"""Dashboard (Product Manager): what needs doing now, then sales, payouts and fulfilment health for a
period and a warehouse.

The counters at the top (to confirm, to pack, to ship, complaints to answer, overdue) are read live
from the store (core.orders.search.attention_counts) and refresh by themselves every minute; each is
a link that opens Sales Management on its stage. The figures below come from the analytics snapshot
(core.analytics), for a period picked by a preset or as a custom range; how each one is counted is
behind "How these are counted". The page reads the filters, calls core, and draws."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from zoneinfo import ZoneInfo

import plotly.graph_objects as go
import streamlit as st

from app.analytics_refresh import refresh_button
from app.bootstrap import get_analytics, get_store
from app.session import require_actor
from app.ui.actions import attempt, read_or_stop
from app.ui.formats import (
    DATE_INPUT_FORMAT,
    NONE,
    calendar_day,
    count,
    duration,
    hours,
    local_time,
    percent,
    percent_change,
    rupiah,
    rupiah_short,
    time_left,
)
from app.ui.plain import chart_label, say, typed
from core.analytics.dashboard import Dashboard, company_warehouses, load_dashboard
from core.analytics.scope import Period
from core.clock import utc_now
from core.domain import Role
from core.errors import DomainError
from core.orders.search import STAGES, AttentionCounts, attention_counts, preset_period

actor = require_actor(Role.PRODUCT_MANAGER)
store = get_store()
analytics = get_analytics()
now = utc_now()
ALL = "All warehouses"
BLUE, GREY, GREEN, RED = "#003D79", "#9AA5B1", "#1E8E3E", "#C5221F"
VALUE_COLUMN = 106  # where the health chart writes each rate's value: right of every bar and target (at most 100%)

st.title("Dashboard")


# --- what needs doing now: live counters, each opening its stage in Sales Management ---------------


@dataclass(frozen=True)
class Counter:
    field: str  # of AttentionCounts
    label: str
    stage: str  # the Sales Management stage it opens (?stage=…)
    meaning: str  # its tooltip: what it counts


COUNTERS = (
    Counter("to_confirm", "To confirm", "new", "New orders waiting for you to accept or reject them."),
    Counter("to_pack", "To pack", "processing", "Accepted orders waiting to be packed."),
    Counter("to_ship", "To ship", "to-ship", "Packed orders waiting to be handed to the courier."),
    Counter("complaints_to_answer", "Complaints to answer", "complaints", "Complaints waiting for your answer."),
    Counter(
        "overdue",
        "Overdue",
        "all",
        "Orders whose deadline (to confirm, pack, ship or answer) passed while it was your turn.",
    ),
)
SALES = "pages/sales_management.py"
COUNTERS_REFRESH_S = 60


@st.fragment(run_every=COUNTERS_REFRESH_S)
def attention_counters() -> None:
    """The counters, live from the store; only this part reruns every minute."""
    at = utc_now()
    counts: AttentionCounts | None = attempt(lambda: attention_counts(store, actor, at)).value
    if counts is None:
        return
    with st.container(horizontal=True, gap="small", key="attention"):
        for counter in COUNTERS:
            with st.container(border=True, width="stretch", key=f"counter_{counter.field}"):
                number = getattr(counts, counter.field)
                late = counter.field == "overdue" and number > 0
                st.metric(
                    counter.label,
                    count(number),
                    delta="past deadline" if late else None,
                    delta_color="inverse",  # red: the deadline has passed
                    delta_arrow="off",
                )
                stage = STAGES[counter.stage]
                st.page_link(
                    SALES,
                    label=stage.label,  # where it opens: the stage's name in Sales Management
                    icon=":material/arrow_forward:",
                    icon_position="right",
                    help=f"{counter.meaning} Opens {stage.label} in Sales Management"
                    + (", soonest deadline first." if counter.stage == "all" else "."),
                    query_params={"stage": counter.stage},
                )
    st.caption(
        f"Your orders as of {local_time(at, 'Asia/Jakarta', with_date=False)}, live: the counts refresh every "
        "minute by themselves."
    )


attention_counters()


def no_figures_yet(problem: DomainError) -> None:
    """No snapshot to show yet (e.g. before the first sync): say so, and offer to make one now."""
    say("info", problem.message)
    refresh_button(actor, "refresh_empty")


# --- filters: the period (a preset or a custom range) and the warehouse ------------------------------
PRESETS = ("Today", "Last 7 days", "Last 30 days", "This month")
CUSTOM = "Custom range"
DEFAULT_PRESET = "Last 30 days"


def custom_range() -> None:
    """The person picked dates themselves: the preset no longer says what the period is."""
    st.session_state["dash_preset"] = CUSTOM


warehouses = read_or_stop(lambda: company_warehouses(store, analytics, actor), show=no_figures_yet)

today = now.astimezone(ZoneInfo("Asia/Jakarta")).date()
st.session_state.setdefault("dash_preset", DEFAULT_PRESET)
preset = st.segmented_control("Period", [*PRESETS, CUSTOM], key="dash_preset", required=True)
if preset in PRESETS:  # the preset sets the dates (again on each run: "Today" moves at midnight)
    st.session_state["dash_period"] = preset_period(preset, now)
left, middle, right = st.columns([2, 2, 3])
with left:
    picked = st.date_input(
        "From – to",
        max_value=today + timedelta(days=1),
        format=DATE_INPUT_FORMAT,
        key="dash_period",
        on_change=custom_range,
    )
with middle:
    labels = {ALL: None} | {f"{w.code} · {w.name} ({w.zone_abbr})": w.code for w in warehouses}
    warehouse_label = st.selectbox("Warehouse", list(labels), key="dash_warehouse")
    warehouse_code = labels[warehouse_label]

if not isinstance(picked, tuple) or len(picked) != 2:
    st.info("Choose the last day of the period too.")
    st.stop()

dashboard: Dashboard = read_or_stop(lambda: load_dashboard(store, analytics, actor, Period(*picked), warehouse_code))

zone = next((w for w in warehouses if w.code == warehouse_code), None)
shown_zone = {"WIB": "Asia/Jakarta", "WITA": "Asia/Makassar", "WIT": "Asia/Jayapura"}.get(
    zone.zone_abbr if zone else "WIB", "Asia/Jakarta"
)
with right:
    info = dashboard.info
    st.caption(
        f"Figures as of **{local_time(info.synced_at, shown_zone)}** "
        f"({duration(now - info.synced_at)} ago). The scheduler refreshes them on every sweep."
    )
    refresh_button(actor, "refresh")


def days_between(start: date, end: date) -> str:
    return f"{calendar_day(start)} – {calendar_day(end)}"


period, previous = dashboard.period, dashboard.previous_period
length = "1 day" if period.days == 1 else f"{count(period.days)} days"
where = "all warehouses" if zone is None else typed(warehouse_label)  # a warehouse's name is typed text
st.markdown(
    f"**{preset}: {days_between(period.start, period.end)}** ({length}), {where}; changes compare with the "
    f"previous {'day' if period.days == 1 else length} ({days_between(previous.start, previous.end)})."
)

with st.expander("How these are counted", icon=":material/help:", key="dash_how"):
    st.markdown(
        "**The counters at the top** are your orders as they are now, straight from the order book (not the "
        "figures' snapshot): *to confirm* are new orders, *to pack* accepted ones, *to ship* packed ones and "
        "*complaints to answer* the complaints still waiting for your answer. *Overdue* are the orders among "
        "those whose deadline (to confirm, pack, ship or answer) has already passed: at its next sweep the "
        "scheduler cancels an unconfirmed order and refunds an unanswered complaint, and the buyer may cancel an "
        "order not packed, or not delivered, by its deadline. Each counter opens its stage in Sales Management; "
        "overdue opens all orders, soonest deadline first."
    )
    st.markdown(
        "**Sales and payouts.** Revenue, orders, units, payouts, the trend, top products and revenue per "
        "warehouse count orders **completed** in the period; the funnel and fulfilment health count orders "
        "**placed** in the period. Dates are each warehouse's local dates (WIB, WITA, WIT). Changes compare "
        "with the previous period of the same length. Payouts are those of the orders completed in the "
        "period: pending ones are still to be transferred."
    )
    st.markdown(
        "**Fulfilment health.** Orders placed in the period, each against its target (the dark tick). "
        "Acceptance rate = accepted ÷ (accepted + rejected + auto-cancelled); on-time packing = packed by the "
        "packing deadline, among orders packed; on-time delivery = delivered by the delivery deadline, among "
        "orders delivered; complaint and refund rates are over orders shipped."
    )

# --- KPI cards -----------------------------------------------------------------------------------
cards = st.columns(3) + st.columns(3)  # two rows of three: readable on a laptop screen
for card, kpi in zip(cards, dashboard.kpis):
    if kpi.unit == "rupiah":
        value = rupiah_short(kpi.value)
        exact = f"{rupiah(kpi.value)} (previous period {rupiah(kpi.previous)})."
    else:
        value = count(kpi.value)
        exact = f"Previous period: {count(kpi.previous)}."
    delta = None if kpi.change is None else percent_change(kpi.change)
    card.metric(
        kpi.label,
        value,
        delta=delta,
        border=True,
        delta_color="inverse" if kpi.key == "payouts_pending" else "normal",
        help=exact + (" Nothing in the previous period to compare with." if delta is None else ""),
    )


def layout(figure: go.Figure, height: int = 320) -> go.Figure:
    figure.update_layout(
        height=height,
        margin=dict(l=10, r=10, t=40, b=10),
        legend=dict(orientation="h", y=-0.2),
        plot_bgcolor="white",
        separators=",.",
    )
    return figure


# --- trend and funnel ----------------------------------------------------------------------------
left, right = st.columns([3, 2])
with left:
    trend = go.Figure()
    trend.add_bar(
        x=[p.day for p in dashboard.trend],
        y=[p.revenue for p in dashboard.trend],
        name="Revenue (Rp)",
        marker_color=BLUE,
    )
    trend.add_scatter(
        x=[p.day for p in dashboard.trend],
        y=[p.orders for p in dashboard.trend],
        name="Orders",
        yaxis="y2",
        mode="lines+markers",
        line=dict(color="#F2A900"),
    )
    trend.update_layout(
        title="Daily completed revenue and orders",
        yaxis=dict(title="Rp", gridcolor="#EEE", tickformat=",d"),
        yaxis2=dict(title="Orders", overlaying="y", side="right", showgrid=False, tickformat=",d", rangemode="tozero"),
    )
    st.plotly_chart(layout(trend), width="stretch", key="trend")
with right:
    funnel = go.Figure(
        go.Funnel(
            y=[s.label for s in dashboard.funnel],
            x=[s.count for s in dashboard.funnel],
            textinfo="value+percent initial",
            marker=dict(color=BLUE),
        )
    )
    funnel.update_layout(title="Orders placed: how far they got")
    st.plotly_chart(layout(funnel), width="stretch", key="funnel")

# --- products and warehouses ---------------------------------------------------------------------
left, right = st.columns([3, 2])
with left:
    top = list(reversed(dashboard.top_products))
    products = go.Figure(
        go.Bar(
            x=[p.revenue for p in top],
            y=[chart_label(f"{p.name} ({p.sku})") for p in top],
            orientation="h",
            marker_color=BLUE,
            text=[f"{count(p.units)} units" for p in top],
            textposition="auto",
        )
    )
    products.update_layout(title="Top products by completed revenue (Rp)", xaxis=dict(tickformat=",d"))
    st.plotly_chart(layout(products, 360), width="stretch", key="top_products")
with right:
    per_warehouse = go.Figure(
        go.Bar(
            x=[chart_label(w.code) for w in dashboard.warehouse_revenue],
            y=[w.revenue for w in dashboard.warehouse_revenue],
            marker_color=BLUE,
            text=[f"{count(w.orders)} orders" for w in dashboard.warehouse_revenue],
        )
    )
    per_warehouse.update_layout(title="Completed revenue per warehouse (Rp)", yaxis=dict(tickformat=",d"))
    st.plotly_chart(layout(per_warehouse, 360), width="stretch", key="warehouse_revenue")

# --- fulfilment health ---------------------------------------------------------------------------
st.subheader("Fulfilment health")
shares = [m for m in dashboard.health if m.unit == "share"]
accept_time = next(m for m in dashboard.health if m.unit == "hours")
left, right = st.columns([3, 2])
with left:
    # The values stand in a column of their own right of 100%, where no bar ends and no target
    # tick stands: next to the bar's end they ran into the tick whenever a rate was near its target.
    values = [NONE if m.value is None else percent(m.value) for m in shares]
    health = go.Figure()
    health.add_bar(
        y=[m.label for m in shares],
        x=[(m.value or 0) * 100 for m in shares],
        orientation="h",
        marker_color=[GREY if m.met is None else (GREEN if m.met else RED) for m in shares],
        text=values,
        textposition="none",
        customdata=[f"{count(m.numerator)} of {count(m.denominator)}" for m in shares],
        hovertemplate="%{y}: %{text} (%{customdata})<extra></extra>",
        name="This period",
    )
    health.add_scatter(
        y=[m.label for m in shares],
        x=[m.target * 100 for m in shares],
        mode="markers",
        marker=dict(symbol="line-ns-open", size=30, color="#1B2430", line=dict(width=3, color="#1B2430")),
        hovertemplate="target %{x}%<extra></extra>",
        name="Target",
    )
    health.add_scatter(
        y=[m.label for m in shares],
        x=[VALUE_COLUMN] * len(shares),
        mode="text",
        text=[f"<b>{value}</b>" for value in values],
        textposition="middle right",
        textfont=dict(color="#1B2430"),
        hoverinfo="skip",
        showlegend=False,
        cliponaxis=False,
        name="Value",
    )
    health.update_layout(
        title="Rates (%)",
        xaxis=dict(range=[0, VALUE_COLUMN + 24], tickvals=[0, 25, 50, 75, 100], ticksuffix="%"),
        yaxis=dict(autorange="reversed"),
    )
    st.plotly_chart(layout(health, 360), width="stretch", key="health")
with right:
    a, b = st.columns(2)
    a.metric(
        "Median time to accept",
        hours(accept_time.value),
        border=True,
        delta=None if accept_time.met is None else ("on target" if accept_time.met else "above target"),
        delta_color="normal" if accept_time.met else "inverse",
        help=f"Target: at most {accept_time.target:.0f} hours.",
    )
    b.metric(
        "Refunds",
        count(dashboard.refunds_count),
        border=True,
        help="Refunds of orders placed in the period.",
    )
    st.metric("Refunded amount", rupiah(dashboard.refunds_amount), border=True)
    for metric in shares:
        mark = "—" if metric.met is None else (":material/check_circle:" if metric.met else ":material/warning:")
        direction = "at least" if metric.direction == "min" else "at most"
        shown = (
            "no orders to measure"
            if metric.value is None
            else f"{percent(metric.value)} ({count(metric.numerator)} of {count(metric.denominator)})"
        )
        st.caption(f"{mark} {metric.label}: {shown}; target {direction} {percent(metric.target, digits=0)}")

# --- needs action now ----------------------------------------------------------------------------
st.subheader("Needs action now")
st.caption("Open orders waiting for you, nearest deadline first (as of the figures' time above).")
if not dashboard.needs_action:
    st.success("Nothing is waiting for you.")
else:
    st.dataframe(
        [
            {
                "Order": item.order_number,
                "To do": item.action,
                "Deadline": local_time(item.deadline, item.time_zone),
                "Time left": ("⚠ " if item.overdue(now) else "") + time_left(item.deadline, now),
                "Warehouse": item.warehouse_code,
                "Buyer": item.buyer_name,
                "Amount": rupiah(item.total_amount),
            }
            for item in dashboard.needs_action
        ],
        hide_index=True,
        width="stretch",
    )
