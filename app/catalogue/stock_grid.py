"""The Stock & prices tab: one editable grid of product × warehouse (on hand and price), the
preview of what saving would change, and the explicit confirmation of large price changes."""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd
import streamlit as st

from app.catalogue.labels import ALL_WAREHOUSES, warehouse_filter
from app.catalogue.refusals import large_changes_warning, show_catalogue_refusal, show_large_changes
from app.ui.actions import attempt, rerun_saying
from app.ui.formats import NONE, RUPIAH_COLUMN, count, price_change, rupiah
from app.ui.rounds import current_round, next_round
from core.acting import Actor
from core.catalogue.planning import StockEdit
from core.catalogue.rules import LARGE_PRICE_CHANGE_PERCENT, SOURCE_GRID
from core.catalogue.stock import GridRow, apply_changes, preview_changes, stock_grid
from core.clock import utc_now
from core.store.database import Store

ON_HAND, PRICE = "On hand", "Price (Rp)"  # the grid's editable columns
GRID_ROUND = "pm_round_grid"  # a new round: the grid reloads, without the edits in progress


def stock_and_prices_tab(store: Store, actor: Actor, warehouse_codes: list[str]) -> None:
    search_col, warehouse_col = st.columns([3, 2])
    search = search_col.text_input("Search SKU or name", key="pm_grid_search")
    warehouse = warehouse_col.selectbox("Warehouse", [ALL_WAREHOUSES, *warehouse_codes], key="pm_grid_warehouse")
    loaded = attempt(lambda: grid_rows(store, actor, search, warehouse))
    if not loaded:
        return
    key, rows = loaded.value
    if not rows:
        st.info("No products match. Add products first, or change the search.")
        return
    st.caption(
        "Edit **On hand** and **Price (Rp)** (whole rupiah); Reserved and Available are read-only. "
        "An empty row is a warehouse where the product is not stocked yet: fill both to stock it. "
        f"Price changes of more than {LARGE_PRICE_CHANGE_PERCENT}% need your explicit confirmation."
    )
    original = grid_frame(rows)
    locked = [c for c in original.columns if c not in (ON_HAND, PRICE)]
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
            ON_HAND: st.column_config.NumberColumn(ON_HAND),
            # Reads as rupiah ("Rp1.234.567") like every other amount; edited as the whole number.
            PRICE: st.column_config.NumberColumn(PRICE, format=RUPIAH_COLUMN),
        },
    )
    edits, touched = grid_edits(rows, edited)
    if touched and st.button("Discard my edits", key="pm_grid_discard"):
        next_round(GRID_ROUND)
        st.rerun()
    if touched:
        review_and_save(store, actor, edits)


def grid_rows(store: Store, actor: Actor, search: str, warehouse: str) -> tuple[str, list[GridRow]]:
    """The grid's rows and its editor's key. Fresh from the store on every run, except while the
    person has edits in progress: then the rows stay as they were loaded, because the editor keeps
    edits by row position (the save then refuses any cell that moved meanwhile)."""
    signature = f"{current_round(GRID_ROUND)}|{warehouse}|{search}"
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
    """The whole edited grid for the core, and whether any cell differs from what was loaded."""
    edits, touched = [], False
    for row, on_hand, price in zip(rows, edited[ON_HAND].tolist(), edited[PRICE].tolist()):
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
    st.markdown(f"**{len(preview.changes)} change{'s' if len(preview.changes) != 1 else ''} to save**")
    st.dataframe(
        pd.DataFrame(
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
        ),
        hide_index=True,
        width="stretch",
    )
    confirmed = False
    if preview.large:
        large = len(preview.large)
        large_changes_warning(large)
        show_large_changes(preview.large)
        confirmed = st.checkbox(
            f"I have checked the {large} large price change{'s' if large != 1 else ''} above and want to apply "
            f"{'them' if large != 1 else 'it'}",
            key=f"pm_grid_confirm_{current_round(GRID_ROUND)}",
        )
    if not st.button("Save changes", type="primary", key="pm_grid_save"):
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
            f"Saved: {applied.stock_changes} on-hand figure{'s' if applied.stock_changes != 1 else ''} "
            f"and {applied.price_changes} price{'s' if applied.price_changes != 1 else ''} changed; "
            "every price change is in the price history."
        )
