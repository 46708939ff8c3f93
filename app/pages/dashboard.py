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
from app.ui.charts import remembered_figure
from app.ui.formats import (
    DATE_INPUT_FORMAT,
    NONE,
    calendar_day,
    count,
    local_time,
    percent,
    percent_change,
    rupiah,
    rupiah_short,
    time_left,
)
from app.ui.language import in_this_language
from app.ui.plain import chart_label, say, typed
from core.analytics.dashboard import (
    Dashboard,
    HealthMetric,
    company_warehouses,
    day_name,
    day_ticks,
    load_dashboard,
)
from core.analytics.scope import Period
from core.clock import utc_now
from core.domain import Role
from core.errors import DomainError
from core.formats import format_relative
from core.i18n import N_, Message, _, _n, gettext
from core.orders.search import STAGES, AttentionCounts, attention_counts, preset_period

actor = require_actor(Role.PRODUCT_MANAGER)
store = get_store()
analytics = get_analytics()
now = utc_now()
ALL = N_("All warehouses")
BLUE, GREY, GREEN, RED = "#003D79", "#9AA5B1", "#1E8E3E", "#C5221F"
VALUE_COLUMN = 106  # where the health chart writes each rate's value: right of every bar and target (at most 100%)

st.title(gettext("Dashboard"))


# --- what needs doing now: live counters, each opening its stage in Sales Management ---------------


@dataclass(frozen=True)
class Counter:
    field: str  # of AttentionCounts
    label: str  # an English msgid, as the texts below: gettext() shows it
    stage: str  # the Sales Management stage it opens (?stage=…)
    meaning: str  # its tooltip: what it counts


COUNTERS = (
    Counter("to_confirm", N_("To confirm"), "new", N_("New orders waiting for you to accept or reject them.")),
    Counter("to_pack", N_("To pack"), "processing", N_("Accepted orders waiting to be packed.")),
    Counter("to_ship", N_("To ship"), "to-ship", N_("Packed orders waiting to be handed to the courier.")),
    Counter(
        "complaints_to_answer", N_("Complaints to answer"), "complaints", N_("Complaints waiting for your answer.")
    ),
    Counter(
        "overdue",
        N_("Overdue"),
        "all",
        N_("Orders whose deadline (to confirm, pack, ship or answer) passed while it was your turn."),
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
                    gettext(counter.label),
                    count(number),
                    delta=gettext("past deadline") if late else None,
                    delta_color="inverse",  # red: the deadline has passed
                    delta_arrow="off",
                )
                stage = gettext(STAGES[counter.stage].label)  # where it opens: the stage's name in Sales Management
                opens = (
                    _("Opens {stage} in Sales Management, soonest deadline first.", stage=stage)
                    if counter.stage == "all"
                    else _("Opens {stage} in Sales Management.", stage=stage)
                )
                st.page_link(
                    SALES,
                    label=stage,
                    icon=":material/arrow_forward:",
                    icon_position="right",
                    help=f"{gettext(counter.meaning)} {opens}",
                    query_params={"stage": counter.stage},
                )
    st.caption(
        _(
            "Your orders as of {time}, live: the counts refresh every minute by themselves.",
            time=local_time(at, "Asia/Jakarta", with_date=False),
        ).render()
    )


attention_counters()


def no_figures_yet(problem: DomainError) -> None:
    """No snapshot to show yet (e.g. before the first sync): say so, and offer to make one now."""
    say("info", problem.message)
    refresh_button(actor, "refresh_empty")


# --- filters: the period (a preset or a custom range) and the warehouse ------------------------------
# The options keep their English names (core.orders.search.preset_period reads them, and they are the
# widget's value); the control shows each in the reader's language (format_func).
PRESETS = (N_("Today"), N_("Last 7 days"), N_("Last 30 days"), N_("This month"))
CUSTOM = N_("Custom range")
DEFAULT_PRESET = "Last 30 days"


def custom_range() -> None:
    """The person picked dates themselves: the preset no longer says what the period is."""
    st.session_state["dash_preset"] = CUSTOM


warehouses = read_or_stop(lambda: company_warehouses(store, analytics, actor), show=no_figures_yet)

today = now.astimezone(ZoneInfo("Asia/Jakarta")).date()
st.session_state.setdefault("dash_preset", DEFAULT_PRESET)
preset = st.segmented_control(
    gettext("Period"), [*PRESETS, CUSTOM], key="dash_preset", required=True, format_func=in_this_language(gettext)
)
if preset in PRESETS:  # the preset sets the dates (again on each run: "Today" moves at midnight)
    st.session_state["dash_period"] = preset_period(preset, now)
left, middle, right = st.columns([2, 2, 3])
with left:
    picked = st.date_input(
        gettext("From – to"),
        max_value=today + timedelta(days=1),
        format=DATE_INPUT_FORMAT,
        key="dash_period",
        on_change=custom_range,
    )
with middle:
    labels = {gettext(ALL): None} | {f"{w.code} · {w.name} ({w.zone_abbr})": w.code for w in warehouses}
    warehouse_label = st.selectbox(gettext("Warehouse"), list(labels), key="dash_warehouse")
    warehouse_code = labels[warehouse_label]

if not isinstance(picked, tuple) or len(picked) != 2:
    st.info(gettext("Choose the last day of the period too."))
    st.stop()

dashboard: Dashboard = read_or_stop(lambda: load_dashboard(store, analytics, actor, Period(*picked), warehouse_code))

zone = next((w for w in warehouses if w.code == warehouse_code), None)
shown_zone = {"WIB": "Asia/Jakarta", "WITA": "Asia/Makassar", "WIT": "Asia/Jayapura"}.get(
    zone.zone_abbr if zone else "WIB", "Asia/Jakarta"
)
with right:
    info = dashboard.info
    st.caption(
        _(
            "Figures as of **{time}** ({age}). The scheduler refreshes them on every sweep.",
            time=local_time(info.synced_at, shown_zone),
            age=format_relative(min(info.synced_at - now, timedelta(0))),  # "2 hours ago", "2 jam yang lalu"
        ).render()
    )
    refresh_button(actor, "refresh")


def days_between(start: date, end: date) -> str:
    return f"{calendar_day(start)} – {calendar_day(end)}"


period, previous = dashboard.period, dashboard.previous_period
stated: dict[str, object] = dict(
    preset=gettext(preset or CUSTOM),
    dates=days_between(period.start, period.end),
    previous=days_between(previous.start, previous.end),
)
if zone is None:
    said = _n(
        "**{preset}: {dates}** ({count} day), all warehouses; changes compare with the previous day ({previous}).",
        "**{preset}: {dates}** ({count} days), all warehouses; changes compare with the previous {count} days "
        "({previous}).",
        period.days,
        **stated,
    )
else:
    said = _n(
        "**{preset}: {dates}** ({count} day), {warehouse}; changes compare with the previous day ({previous}).",
        "**{preset}: {dates}** ({count} days), {warehouse}; changes compare with the previous {count} days "
        "({previous}).",
        period.days,
        warehouse=typed(warehouse_label),  # a warehouse's name is typed text
        **stated,
    )
st.markdown(said.render())

with st.expander(gettext("How these are counted"), icon=":material/help:", key="dash_how"):
    st.markdown(
        gettext(
            "**The counters at the top** are your orders as they are now, straight from the order book (not the "
            "figures' snapshot): *to confirm* are new orders, *to pack* accepted ones, *to ship* packed ones and "
            "*complaints to answer* the complaints still waiting for your answer. *Overdue* are the orders among "
            "those whose deadline (to confirm, pack, ship or answer) has already passed: at its next sweep the "
            "scheduler cancels an unconfirmed order and refunds an unanswered complaint, and the buyer may cancel an "
            "order not packed, or not delivered, by its deadline. Each counter opens its stage in Sales Management; "
            "overdue opens all orders, soonest deadline first."
        )
    )
    st.markdown(
        gettext(
            "**Sales and payouts.** Revenue, orders, units, payouts, the trend, top products and revenue per "
            "warehouse count orders **completed** in the period; the funnel and fulfilment health count orders "
            "**placed** in the period. Dates are each warehouse's local dates (WIB, WITA, WIT). Changes compare "
            "with the previous period of the same length. Payouts are those of the orders completed in the "
            "period: pending ones are still to be transferred."
        )
    )
    st.markdown(
        gettext(
            "**Fulfilment health.** Orders placed in the period, each against its target (the dark tick). "
            "Acceptance rate = accepted ÷ (accepted + rejected + auto-cancelled); on-time packing = packed by the "
            "packing deadline, among orders packed; on-time delivery = delivered by the delivery deadline, among "
            "orders delivered; complaint and refund rates are over orders shipped."
        )
    )

# --- KPI cards -----------------------------------------------------------------------------------
cards = st.columns(3) + st.columns(3)  # two rows of three: readable on a laptop screen
for card, kpi in zip(cards, dashboard.kpis):
    if kpi.unit == "rupiah":
        value = rupiah_short(kpi.value)
        exact = _("{amount} (previous period {previous}).", amount=rupiah(kpi.value), previous=rupiah(kpi.previous))
    else:
        value = count(kpi.value)
        exact = _("Previous period: {previous}.", previous=count(kpi.previous))
    delta = None if kpi.change is None else percent_change(kpi.change)
    nothing_before = gettext("Nothing in the previous period to compare with.")
    card.metric(
        gettext(kpi.label),
        value,
        delta=delta,
        border=True,
        delta_color="inverse" if kpi.key == "payouts_pending" else "normal",
        help=f"{exact} {nothing_before}" if delta is None else str(exact),
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
# Every text of a chart is written here in the reader's language: titles, legend, axis titles and
# hover texts (`hovertext`, shown by `HOVER`); the dates under the trend are Babel's (day_ticks), since
# Plotly's own month names are English without its locale script. Numbers group with dots (layout).
HOVER = "%{hovertext}<extra></extra>"


def trend_figure(dashboard: Dashboard) -> go.Figure:
    days = [p.day for p in dashboard.trend]
    tick_days, tick_texts = day_ticks(days)
    trend = go.Figure()
    trend.add_bar(
        x=days,
        y=[p.revenue for p in dashboard.trend],
        name=gettext("Revenue (Rp)"),
        marker_color=BLUE,
        hovertext=[
            str(_("{day}: completed revenue {amount}", day=day_name(p.day), amount=rupiah(p.revenue)))
            for p in dashboard.trend
        ],
        hovertemplate=HOVER,
    )
    trend.add_scatter(
        x=days,
        y=[p.orders for p in dashboard.trend],
        name=gettext("Orders"),
        yaxis="y2",
        mode="lines+markers",
        line=dict(color="#F2A900"),
        hovertext=[
            str(
                _n(
                    "{day}: {number} completed order",
                    "{day}: {number} completed orders",
                    p.orders,
                    day=day_name(p.day),
                    number=count(p.orders),
                )
            )
            for p in dashboard.trend
        ],
        hovertemplate=HOVER,
    )
    trend.update_layout(
        title=gettext("Daily completed revenue and orders"),
        xaxis=dict(tickmode="array", tickvals=tick_days, ticktext=tick_texts),
        yaxis=dict(title="Rp", gridcolor="#EEE", tickformat=",d"),
        yaxis2=dict(
            title=gettext("Orders"),
            overlaying="y",
            side="right",
            showgrid=False,
            tickformat=",d",
            rangemode="tozero",
        ),
    )
    return layout(trend)


def funnel_figure(dashboard: Dashboard) -> go.Figure:
    placed = dashboard.funnel[0].count if dashboard.funnel else 0

    def stage_hover(label: str, number: int) -> str:
        if not placed:
            return str(
                _n("{stage}: {number} order", "{stage}: {number} orders", number, stage=label, number=count(number))
            )
        return str(
            _n(
                "{stage}: {number} order, {share} of the orders placed",
                "{stage}: {number} orders, {share} of the orders placed",
                number,
                stage=label,
                number=count(number),
                share=percent(number / placed),
            )
        )

    stages = [(gettext(s.label), s.count) for s in dashboard.funnel]
    funnel = go.Figure(
        go.Funnel(
            y=[label for label, _number in stages],
            x=[number for _label, number in stages],
            textinfo="value+percent initial",
            marker=dict(color=BLUE),
            hovertext=[stage_hover(label, number) for label, number in stages],
            hovertemplate=HOVER,
        )
    )
    funnel.update_layout(title=gettext("Orders placed: how far they got"))
    return layout(funnel)


def chart(name: str, build) -> go.Figure:
    """The dashboard's figure `name`, built once per dashboard core answered (one per snapshot, company,
    period and warehouse) and language."""
    return remembered_figure(name, dashboard, lambda: build(dashboard))


left, right = st.columns([3, 2])
with left:
    st.plotly_chart(chart("trend", trend_figure), width="stretch", key="trend")
with right:
    st.plotly_chart(chart("funnel", funnel_figure), width="stretch", key="funnel")


# --- products and warehouses ---------------------------------------------------------------------
def products_figure(dashboard: Dashboard) -> go.Figure:
    top = list(reversed(dashboard.top_products))
    products = go.Figure(
        go.Bar(
            x=[p.revenue for p in top],
            y=[chart_label(f"{p.name} ({p.sku})") for p in top],
            orientation="h",
            marker_color=BLUE,
            text=[str(_n("{number} unit", "{number} units", p.units, number=count(p.units))) for p in top],
            textposition="auto",
            hovertext=[
                str(
                    _n(
                        "{product}: {amount}, {number} unit sold",
                        "{product}: {amount}, {number} units sold",
                        p.units,
                        product=chart_label(f"{p.name} ({p.sku})"),
                        amount=rupiah(p.revenue),
                        number=count(p.units),
                    )
                )
                for p in top
            ],
            hovertemplate=HOVER,
        )
    )
    products.update_layout(title=gettext("Top products by completed revenue (Rp)"), xaxis=dict(tickformat=",d"))
    return layout(products, 360)


def warehouses_figure(dashboard: Dashboard) -> go.Figure:
    per_warehouse = go.Figure(
        go.Bar(
            x=[chart_label(w.code) for w in dashboard.warehouse_revenue],
            y=[w.revenue for w in dashboard.warehouse_revenue],
            marker_color=BLUE,
            text=[
                str(_n("{number} order", "{number} orders", w.orders, number=count(w.orders)))
                for w in dashboard.warehouse_revenue
            ],
            hovertext=[
                str(
                    _n(
                        "{warehouse}: {amount}, {number} completed order",
                        "{warehouse}: {amount}, {number} completed orders",
                        w.orders,
                        warehouse=chart_label(f"{w.code} · {w.name}"),
                        amount=rupiah(w.revenue),
                        number=count(w.orders),
                    )
                )
                for w in dashboard.warehouse_revenue
            ],
            hovertemplate=HOVER,
        )
    )
    per_warehouse.update_layout(title=gettext("Completed revenue per warehouse (Rp)"), yaxis=dict(tickformat=",d"))
    return layout(per_warehouse, 360)


left, right = st.columns([3, 2])
with left:
    st.plotly_chart(chart("top_products", products_figure), width="stretch", key="top_products")
with right:
    st.plotly_chart(chart("warehouse_revenue", warehouses_figure), width="stretch", key="warehouse_revenue")


# --- fulfilment health ---------------------------------------------------------------------------
def target_said(metric: HealthMetric) -> Message:
    """The metric's target as a sentence: "Target: at least 95%"."""
    target = percent(metric.target, digits=0)
    if metric.direction == "min":
        return _("Target: at least {target}", target=target)
    return _("Target: at most {target}", target=target)


def hours_said(value: float | None) -> str:
    """Hours with a decimal comma: "2,5 h" ("2,5 jam"); none -> "—"."""
    return NONE if value is None else str(_("{hours} h", hours=f"{value:.1f}".replace(".", ",")))


def health_figure(dashboard: Dashboard) -> go.Figure:
    shares = [m for m in dashboard.health if m.unit == "share"]
    rate_names = [gettext(m.label) for m in shares]
    # The values stand in a column of their own right of 100%, where no bar ends and no target
    # tick stands: next to the bar's end they ran into the tick whenever a rate was near its target.
    values = [NONE if m.value is None else percent(m.value) for m in shares]
    health = go.Figure()
    health.add_bar(
        y=rate_names,
        x=[(m.value or 0) * 100 for m in shares],
        orientation="h",
        marker_color=[GREY if m.met is None else (GREEN if m.met else RED) for m in shares],
        text=values,
        textposition="none",
        customdata=[
            str(
                _(
                    "{numerator} of {denominator}",
                    numerator=count(m.numerator or 0),
                    denominator=count(m.denominator or 0),
                )
            )
            for m in shares
        ],
        hovertemplate="%{y}: %{text} (%{customdata})<extra></extra>",
        name=gettext("This period"),
    )
    health.add_scatter(
        y=rate_names,
        x=[m.target * 100 for m in shares],
        mode="markers",
        marker=dict(symbol="line-ns-open", size=30, color="#1B2430", line=dict(width=3, color="#1B2430")),
        hovertext=[str(target_said(m)) for m in shares],
        hovertemplate=HOVER,
        name=gettext("Target"),
    )
    health.add_scatter(
        y=rate_names,
        x=[VALUE_COLUMN] * len(shares),
        mode="text",
        text=[f"<b>{value}</b>" for value in values],
        textposition="middle right",
        textfont=dict(color="#1B2430"),
        hoverinfo="skip",
        showlegend=False,
        cliponaxis=False,
        name=gettext("Value"),
    )
    health.update_layout(
        title=gettext("Rates (%)"),
        xaxis=dict(range=[0, VALUE_COLUMN + 24], tickvals=[0, 25, 50, 75, 100], ticksuffix="%"),
        yaxis=dict(autorange="reversed"),
    )
    return layout(health, 360)


st.subheader(gettext("Fulfilment health"))
shares = [m for m in dashboard.health if m.unit == "share"]
accept_time = next(m for m in dashboard.health if m.unit == "hours")
rate_names = [gettext(m.label) for m in shares]
left, right = st.columns([3, 2])
with left:
    st.plotly_chart(chart("health", health_figure), width="stretch", key="health")
with right:
    a, b = st.columns(2)
    a.metric(
        gettext("Median time to accept"),
        hours_said(accept_time.value),
        border=True,
        delta=None
        if accept_time.met is None
        else (gettext("on target") if accept_time.met else gettext("above target")),
        delta_color="normal" if accept_time.met else "inverse",
        help=str(
            _n(
                "Target: at most {count} hour.",
                "Target: at most {count} hours.",
                round(accept_time.target),
            )
        ),
    )
    b.metric(
        gettext("Refunds"),
        count(dashboard.refunds_count),
        border=True,
        help=gettext("Refunds of orders placed in the period."),
    )
    st.metric(gettext("Refunded amount"), rupiah(dashboard.refunds_amount), border=True)
    for metric, name in zip(shares, rate_names):
        mark = "—" if metric.met is None else (":material/check_circle:" if metric.met else ":material/warning:")
        target = percent(metric.target, digits=0)
        if metric.value is None:
            line = (
                _("{rate}: no orders to measure; target at least {target}", rate=name, target=target)
                if metric.direction == "min"
                else _("{rate}: no orders to measure; target at most {target}", rate=name, target=target)
            )
        else:
            measured = dict(
                rate=name,
                value=percent(metric.value),
                numerator=count(metric.numerator or 0),
                denominator=count(metric.denominator or 0),
                target=target,
            )
            line = (
                _("{rate}: {value} ({numerator} of {denominator}); target at least {target}", **measured)
                if metric.direction == "min"
                else _("{rate}: {value} ({numerator} of {denominator}); target at most {target}", **measured)
            )
        st.caption(f"{mark} {line}")

# --- needs action now ----------------------------------------------------------------------------
st.subheader(gettext("Needs action now"))
st.caption(gettext("Open orders waiting for you, nearest deadline first (as of the figures' time above)."))
if not dashboard.needs_action:
    st.success(gettext("Nothing is waiting for you."))
else:
    st.dataframe(
        [
            {
                gettext("Order"): item.order_number,
                gettext("To do"): gettext(item.action),
                gettext("Deadline"): local_time(item.deadline, item.time_zone),
                gettext("Time left"): ("⚠ " if item.overdue(now) else "") + time_left(item.deadline, now),
                gettext("Warehouse"): item.warehouse_code,
                gettext("Buyer"): item.buyer_name,
                gettext("Amount"): rupiah(item.total_amount),
            }
            for item in dashboard.needs_action
        ],
        hide_index=True,
        width="stretch",
    )
