"""Dashboard (Product Manager): sales, payouts and fulfilment health for a period and a warehouse,
from the analytics snapshot (core.analytics). The page reads the filters, calls core, and draws."""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

import plotly.graph_objects as go
import streamlit as st

from app.analytics_refresh import refresh_button
from app.bootstrap import get_analytics, get_store
from app.session import require_actor
from app.ui.actions import read_or_stop
from app.ui.formats import (
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
from app.ui.plain import chart_label, say
from core.analytics.dashboard import Dashboard, company_warehouses, load_dashboard
from core.analytics.scope import Period
from core.clock import utc_now
from core.domain import Role
from core.errors import DomainError

actor = require_actor(Role.PRODUCT_MANAGER)
store = get_store()
analytics = get_analytics()
now = utc_now()
ALL = "All warehouses"
BLUE, GREY, GREEN, RED = "#003D79", "#9AA5B1", "#1E8E3E", "#C5221F"

st.title("Dashboard")


def no_figures_yet(problem: DomainError) -> None:
    """No snapshot to show yet (e.g. before the first sync): say so, and offer to make one now."""
    say("info", problem.message)
    refresh_button(actor, "refresh_empty")


# --- filters ---------------------------------------------------------------------------------
warehouses = read_or_stop(lambda: company_warehouses(store, analytics, actor), show=no_figures_yet)

today = now.astimezone(ZoneInfo("Asia/Jakarta")).date()
left, middle, right = st.columns([2, 2, 3])
with left:
    picked = st.date_input(
        "Period",
        value=(today - timedelta(days=29), today),
        max_value=today + timedelta(days=1),
        format="DD/MM/YYYY",
        key="dash_period",
    )
with middle:
    labels = {ALL: None} | {f"{w.code} · {w.name} ({w.zone_abbr})": w.code for w in warehouses}
    warehouse_code = labels[st.selectbox("Warehouse", list(labels), key="dash_warehouse")]

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

previous = dashboard.previous_period
st.caption(
    "Revenue, orders, units, payouts, the trend, top products and revenue per warehouse count orders "
    "**completed** in the period; the funnel and fulfilment health count orders **placed** in the period. "
    "Dates are each warehouse's local dates (WIB, WITA, WIT). Changes compare with the previous "
    f"{dashboard.period.days} days ({calendar_day(previous.start)} – {calendar_day(previous.end)}). "
    "Payouts are those of the orders completed in the period: pending ones are still to be transferred."
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
st.caption(
    "Orders placed in the period, each against its target (the dark tick). Acceptance rate = accepted ÷ "
    "(accepted + rejected + auto-cancelled); on-time packing = packed by the packing deadline, among orders "
    "packed; on-time delivery = delivered by the delivery deadline, among orders delivered; complaint and "
    "refund rates are over orders shipped."
)
shares = [m for m in dashboard.health if m.unit == "share"]
accept_time = next(m for m in dashboard.health if m.unit == "hours")
left, right = st.columns([3, 2])
with left:
    health = go.Figure()
    health.add_bar(
        y=[m.label for m in shares],
        x=[(m.value or 0) * 100 for m in shares],
        orientation="h",
        marker_color=[GREY if m.met is None else (GREEN if m.met else RED) for m in shares],
        text=[NONE if m.value is None else percent(m.value) for m in shares],
        customdata=[f"{count(m.numerator)} of {count(m.denominator)}" for m in shares],
        hovertemplate="%{y}: %{text} (%{customdata})<extra></extra>",
        textposition="outside",
        cliponaxis=False,
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
    health.update_layout(
        title="Rates (%)", xaxis=dict(range=[0, 115], ticksuffix="%"), yaxis=dict(autorange="reversed")
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
