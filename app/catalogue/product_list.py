"""The Products tab: search and filter the catalogue, see it per warehouse with stock, price and
low stock, and open one product (app.catalogue.product_detail)."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from app.catalogue.labels import (
    ALL_WAREHOUSES,
    STATUS_FILTERS,
    STATUS_NAMES,
    shown_columns,
    warehouse_choice,
    warehouse_filter,
    yes,
)
from app.catalogue.product_detail import show_product
from app.ui.actions import attempt
from app.ui.formats import count, rupiah
from app.ui.language import in_this_language
from core.acting import Actor
from core.catalogue.products import ProductRow, list_products
from core.catalogue.rules import LOW_STOCK_LEVEL, MAX_ON_HAND
from core.i18n import _n, gettext
from core.store.database import Store


def products_tab(store: Store, actor: Actor, warehouse_codes: list[str]) -> None:
    search_col, status_col, warehouse_col, low_col = st.columns([3, 2, 2, 2])
    search = search_col.text_input(gettext("Search SKU or name"), key="pm_search")
    status = STATUS_FILTERS[
        status_col.selectbox(
            gettext("Status"), list(STATUS_FILTERS), format_func=in_this_language(gettext), key="pm_status"
        )
    ]
    warehouse = warehouse_col.selectbox(
        gettext("Warehouse"),
        [ALL_WAREHOUSES, *warehouse_codes],
        format_func=in_this_language(warehouse_choice),
        key="pm_warehouse",
    )
    low_level = int(
        low_col.number_input(
            gettext("Low stock at or below"),
            min_value=0,
            max_value=MAX_ON_HAND,
            value=LOW_STOCK_LEVEL,
            step=1,
            key="pm_low_level",
        )
    )
    low_only = low_col.checkbox(gettext("Low stock only"), key="pm_low_only")
    listed = attempt(
        lambda: list_products(
            store,
            actor,
            search=search,
            status=status,
            low_stock_only=low_only,
            warehouse_code=warehouse_filter(warehouse),
            low_stock_level=low_level,
        )
    )
    if not listed:
        return
    products = listed.value
    if not products:
        st.info(gettext("No products match these filters."))
        return
    st.caption(str(_n("{count} product", "{count} products", len(products), count=count(len(products)))))
    table = product_table(products, low_level)
    st.dataframe(shown_columns(table), hide_index=True, width="stretch")
    names = {p.sku: p.name for p in products}
    sku = st.selectbox(
        gettext("Open a product"), list(names), format_func=lambda s: f"{s} · {names[s]}", key="pm_selected"
    )
    if sku:
        show_product(store, actor, sku)


def product_table(products: list[ProductRow], low_level: int) -> pd.DataFrame:
    """One row per product and warehouse; a product stocked nowhere gets one row that says so."""
    rows = []
    for p in products:
        base = {"SKU": p.sku, "Product": p.name, "Unit": p.unit, "Status": gettext(STATUS_NAMES[p.status])}
        if not p.stock:
            rows.append(
                {
                    **base,
                    "Warehouse": gettext("not stocked"),
                    "On hand": None,
                    "Reserved": None,
                    "Available": None,
                    "Price": rupiah(None),
                    "Low stock": yes(True),
                }
            )
        for cell in p.stock:
            rows.append(
                {
                    **base,
                    "Warehouse": cell.warehouse_code,
                    "On hand": cell.on_hand,
                    "Reserved": cell.reserved,
                    "Available": cell.available,
                    "Price": rupiah(cell.price),
                    "Low stock": yes(cell.available <= low_level),
                }
            )
    frame = pd.DataFrame(rows)
    for column in ("On hand", "Reserved", "Available"):
        frame[column] = frame[column].astype("Int64")
    return frame
