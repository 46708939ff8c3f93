"""The Products tab: search and filter the catalogue, see it per warehouse with stock, price and
low stock, and open one product (app.catalogue.product_detail)."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from app.catalogue.labels import ALL_WAREHOUSES, STATUS_FILTERS, warehouse_filter
from app.catalogue.product_detail import show_product
from app.ui.actions import attempt
from app.ui.formats import rupiah
from core.acting import Actor
from core.catalogue.products import ProductRow, list_products
from core.catalogue.rules import LOW_STOCK_LEVEL, MAX_ON_HAND
from core.store.database import Store


def products_tab(store: Store, actor: Actor, warehouse_codes: list[str]) -> None:
    search_col, status_col, warehouse_col, low_col = st.columns([3, 2, 2, 2])
    search = search_col.text_input("Search SKU or name", key="pm_search")
    status = STATUS_FILTERS[status_col.selectbox("Status", list(STATUS_FILTERS), key="pm_status")]
    warehouse = warehouse_col.selectbox("Warehouse", [ALL_WAREHOUSES, *warehouse_codes], key="pm_warehouse")
    low_level = int(
        low_col.number_input(
            "Low stock at or below",
            min_value=0,
            max_value=MAX_ON_HAND,
            value=LOW_STOCK_LEVEL,
            step=1,
            key="pm_low_level",
        )
    )
    low_only = low_col.checkbox("Low stock only", key="pm_low_only")
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
        st.info("No products match these filters.")
        return
    st.caption(f"{len(products)} product{'s' if len(products) != 1 else ''}")
    st.dataframe(product_table(products, low_level), hide_index=True, width="stretch")
    names = {p.sku: p.name for p in products}
    sku = st.selectbox("Open a product", list(names), format_func=lambda s: f"{s} · {names[s]}", key="pm_selected")
    if sku:
        show_product(store, actor, sku)


def product_table(products: list[ProductRow], low_level: int) -> pd.DataFrame:
    """One row per product and warehouse; a product stocked nowhere gets one row that says so."""
    rows = []
    for p in products:
        base = {"SKU": p.sku, "Product": p.name, "Unit": p.unit, "Status": p.status.value.title()}
        if not p.stock:
            rows.append(
                {
                    **base,
                    "Warehouse": "not stocked",
                    "On hand": None,
                    "Reserved": None,
                    "Available": None,
                    "Price": rupiah(None),
                    "Low stock": "yes",
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
                    "Low stock": "yes" if cell.available <= low_level else "",
                }
            )
    frame = pd.DataFrame(rows)
    for column in ("On hand", "Reserved", "Available"):
        frame[column] = frame[column].astype("Int64")
    return frame
