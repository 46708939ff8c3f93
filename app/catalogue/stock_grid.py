"""The Stock & prices tab: one editable grid of product × warehouse (on hand and price), the
preview of what saving would change, and the explicit confirmation of large price changes."""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd
import streamlit as st

from app.catalogue.labels import ALL_WAREHOUSES, shown_columns, warehouse_choice, warehouse_filter
from app.catalogue.refusals import large_changes_warning, show_catalogue_refusal, show_large_changes
from app.ui.actions import attempt, rerun_saying
from app.ui.formats import NONE, RUPIAH_COLUMN, count, price_change, rupiah
from app.ui.language import in_this_language
from app.ui.rounds import current_round, next_round
from core.acting import Actor
from core.catalogue.planning import StockEdit
from core.catalogue.rules import LARGE_PRICE_CHANGE_PERCENT, SOURCE_GRID
from core.catalogue.stock import GridRow, apply_changes, preview_changes, stock_grid
from core.clock import utc_now
from core.i18n import _, _n, gettext, language
from core.store.database import Store

ON_HAND, PRICE = "On hand", "Price (Rp)"  # the grid's editable columns (labels.COLUMN_NAMES: shown translated)
GRID_ROUND = "pm_round_grid"  # a new round: the grid reloads, without the edits in progress


def stock_and_prices_tab(store: Store, actor: Actor, warehouse_codes: list[str]) -> None:
    search_col, warehouse_col = st.columns([3, 2])
    search = search_col.text_input(gettext("Search SKU or name"), key="pm_grid_search")
    warehouse = warehouse_col.selectbox(
        gettext("Warehouse"),
        [ALL_WAREHOUSES, *warehouse_codes],
        format_func=in_this_language(warehouse_choice),
        key="pm_grid_warehouse",
    )
    loaded = attempt(lambda: grid_rows(store, actor, search, warehouse))
    if not loaded:
        return
    key, rows = loaded.value
    if not rows:
        st.info(gettext("No products match. Add products first, or change the search."))
        return
    st.caption(
        _(
            "Edit **{on_hand}** and **{price}** (whole rupiah); {reserved} and {available} are read-only. An empty "
            "row is a warehouse where the product is not stocked yet: fill both to stock it. Price changes of more "
            "than {percent}% need your explicit confirmation.",
            on_hand=gettext(ON_HAND),
            price=gettext(PRICE),
            reserved=gettext("Reserved"),
            available=gettext("Available"),
            percent=LARGE_PRICE_CHANGE_PERCENT,
        ).render()
    )
    original = shown_columns(grid_frame(rows))  # the columns named in the reader's language
    on_hand, price = gettext(ON_HAND), gettext(PRICE)
    locked = [c for c in original.columns if c not in (on_hand, price)]
    edited = st.data_editor(
        original,
        key=key,
        hide_index=True,
        num_rows="fixed",
        disabled=locked,
        width="stretch",
        placeholder=NONE,
        column_config={
            # No step: a decimal typed by mistake reaches core, which refuses it by name, instead of the
            # grid rounding it away without a word.
            on_hand: st.column_config.NumberColumn(on_hand),
            # Reads as rupiah ("Rp1.234.567") like every other amount; edited as the whole number.
            price: st.column_config.NumberColumn(price, format=RUPIAH_COLUMN),
        },
    )
    edits, touched = grid_edits(rows, edited)
    if touched and st.button(gettext("Discard my edits"), key="pm_grid_discard"):
        next_round(GRID_ROUND)
        st.rerun()
    if touched:
        review_and_save(store, actor, edits)


def grid_rows(store: Store, actor: Actor, search: str, warehouse: str) -> tuple[str, list[GridRow]]:
    """The grid's rows and its editor's key. Fresh from the store on every run, except while the
    person has edits in progress: then the rows stay as they were loaded, because the editor keeps
    edits by row position (the save then refuses any cell that moved meanwhile). The editor keeps them
    by column name too, which is in the reader's language: another language is another grid."""
    signature = f"{current_round(GRID_ROUND)}|{language()}|{warehouse}|{search}"
    loaded, key = st.session_state.get("pm_grid_rows"), st.session_state.get("pm_grid_key")
    editing = (
        loaded is not None and loaded[0] == signature and bool((st.session_state.get(key) or {}).get("edited_rows"))
    )
    if not editing:
        rows = stock_grid(store, actor, search=search, warehouse_code=warehouse_filter(warehouse))
        st.session_state["pm_grid_rows"] = (signature, rows)
        st.session_state["pm_grid_key"] = key = f"pm_grid_{abs(hash(signature))}"
    return key, st.session_state["pm_grid_rows"][1]


def grid_frame(rows: list[GridRow]) -> pd.DataFrame:
    frame = pd.DataFrame(
        [
            {
                "SKU": r.sku,
                "Product": r.name,
                "Warehouse": r.warehouse_code,
                ON_HAND: r.on_hand,
                "Reserved": r.reserved,
                "Available": r.available,
                PRICE: r.price,
                "Current price": rupiah(r.price),
            }
            for r in rows
        ],
        columns=["SKU", "Product", "Warehouse", ON_HAND, "Reserved", "Available", PRICE, "Current price"],
    )
    for column in (ON_HAND, "Reserved", "Available", PRICE):
        frame[column] = frame[column].astype("Int64")
    return frame


def plain(value):
    """A grid cell as plain Python (the core knows nothing of pandas): None when empty."""
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return None
    return value.item() if hasattr(value, "item") else value


def grid_edits(rows: list[GridRow], edited: pd.DataFrame) -> tuple[list[StockEdit], bool]:
    """The whole edited grid for the core, and whether any cell differs from what was loaded (its
    columns named in the reader's language)."""
    edits, touched = [], False
    for row, on_hand, price in zip(rows, edited[gettext(ON_HAND)].tolist(), edited[gettext(PRICE)].tolist()):
        on_hand, price = plain(on_hand), plain(price)
        touched = touched or on_hand != row.on_hand or price != row.price
        edits.append(StockEdit(row.sku, row.warehouse_code, on_hand, price, row.on_hand, row.price))
    return edits, touched


def before_after(old, new, show: Callable[[int], str]) -> str:
    """'297 → 310' for a change, '297' when it stays, '— → 40' for new stock."""
    return show(new) if old == new else f"{NONE if old is None else show(old)} → {show(new)}"


def review_and_save(store: Store, actor: Actor, edits: list[StockEdit]) -> None:
    """What saving would change, the large price changes to confirm, and the Save button."""
    previewed = attempt(lambda: preview_changes(store, actor, edits), show=show_catalogue_refusal)
    if not previewed or previewed.value.is_empty:
        return
    preview = previewed.value
    changes = len(preview.changes)
    st.markdown(_n("**{count} change to save**", "**{count} changes to save**", changes, count=count(changes)).render())
    frame = pd.DataFrame(
        [
            {
                "SKU": c.sku,
                "Warehouse": c.warehouse_code,
                "On hand": before_after(c.old_on_hand, c.new_on_hand, count),
                "Price": before_after(c.old_price, c.new_price, rupiah),
                "Price change": price_change(c.percent) if c.price_changed else "",
            }
            for c in preview.changes
        ]
    )
    st.dataframe(shown_columns(frame), hide_index=True, width="stretch")
    confirmed = False
    if preview.large:
        large = len(preview.large)
        large_changes_warning(large)
        show_large_changes(preview.large)
        confirmed = st.checkbox(
            _n(
                "I have checked the {count} large price change above and want to apply it",
                "I have checked the {count} large price changes above and want to apply them",
                large,
            ).render(),
            key=f"pm_grid_confirm_{current_round(GRID_ROUND)}",
        )
    if not st.button(gettext("Save changes"), type="primary", key="pm_grid_save"):
        return
    saved = attempt(
        lambda: apply_changes(
            store,
            actor,
            edits,
            utc_now(),
            source=SOURCE_GRID,
            confirmed_large=preview.large_keys if confirmed else frozenset(),
        ),
        show=show_catalogue_refusal,
    )
    if saved:
        applied = saved.value
        next_round(GRID_ROUND)
        rerun_saying(
            _(
                "Saved: {figures} and {prices} changed; every price change is in the price history.",
                figures=_n("{count} on-hand figure", "{count} on-hand figures", applied.stock_changes),
                prices=_n("{count} price", "{count} prices", applied.price_changes),
            )
        )
